import { defineStore } from 'pinia'
import { ref } from 'vue'
import { call } from '@/api/client'
import type { ApiArgs, DatastoreConfig, DatastoreStatus } from '@/api/contract'
import { errorMessage } from '@/api/errors'
import { byName, useConfigList } from './util'

export const useDatastoresStore = defineStore('datastores', () => {
  const list = useConfigList<DatastoreConfig>(
    async () => byName(await call('datastore.list', {})),
    'datastore.cfg'
  )
  /** Last known status per datastore name. */
  const status = ref<Record<string, DatastoreStatus>>({})
  const statusError = ref<Record<string, string>>({})
  const statusLoading = ref<Record<string, boolean>>({})

  async function loadStatus(name: string): Promise<void> {
    statusLoading.value[name] = true
    try {
      status.value[name] = await call('datastore.status', { name })
      delete statusError.value[name]
    } catch (err) {
      statusError.value[name] = errorMessage(err)
    } finally {
      statusLoading.value[name] = false
    }
  }

  async function add(args: ApiArgs<'datastore.add'>): Promise<void> {
    await call('datastore.add', args)
    await list.load()
  }
  async function remove(name: string): Promise<void> {
    await call('datastore.remove', { name })
    delete status.value[name]
    await list.load()
  }
  /** UPID of the latest scan started from this window, per datastore. */
  const scans = ref<Record<string, string>>({})

  /** Starts a scan task; returns its UPID. */
  async function scan(name: string): Promise<string> {
    const { upid } = await call('datastore.scan', { name })
    scans.value[name] = upid
    return upid
  }

  return {
    datastores: list.items,
    loading: list.loading,
    loaded: list.loaded,
    error: list.error,
    load: list.load,
    status,
    statusError,
    statusLoading,
    loadStatus,
    add,
    remove,
    scans,
    scan
  }
})
