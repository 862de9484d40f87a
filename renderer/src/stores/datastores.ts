import { defineStore } from 'pinia'
import { ref } from 'vue'
import { call } from '@/api/client'
import type {
  ApiArgs,
  DatastoreConfig,
  DatastoreGroup,
  DatastoreSnapshot,
  DatastoreStatus,
  VerifyResult
} from '@/api/contract'
import { errorMessage } from '@/api/errors'
import { byName, useConfigList } from './util'

/** A backup group's key within its namespace: `vm/100`. */
export const groupKey = (g: { 'backup-type': string; 'backup-id': string }): string =>
  `${g['backup-type']}/${g['backup-id']}`

/** What is being browsed in one datastore: a namespace ('' = root) and a group in it. */
export interface BrowseState {
  ns: string
  group: string | null
}

export const useDatastoresStore = defineStore('datastores', () => {
  const list = useConfigList<DatastoreConfig>(
    async () => byName(await call('datastore.list', {})),
    'datastore.cfg'
  )
  /** The datastore shown in the details and browser (kept while other views are open). */
  const selected = ref<string | null>(null)
  /** Last known status per datastore name. */
  const status = ref<Record<string, DatastoreStatus>>({})
  const statusError = ref<Record<string, string>>({})
  const statusLoading = ref<Record<string, boolean>>({})
  /** Namespace and group browsed per datastore. */
  const browse = ref<Record<string, BrowseState>>({})
  /** Bumped when a datastore's contents may have changed (so open browsers reload). */
  const contentsVersion = ref<Record<string, number>>({})

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

  function contentsChanged(name: string): void {
    contentsVersion.value[name] = (contentsVersion.value[name] ?? 0) + 1
  }

  async function add(args: ApiArgs<'datastore.add'>): Promise<void> {
    await call('datastore.add', args)
    await list.load()
  }
  async function create(args: ApiArgs<'datastore.create'>): Promise<void> {
    await call('datastore.create', args)
    await list.load()
  }
  async function remove(name: string): Promise<void> {
    await call('datastore.remove', { name })
    delete status.value[name]
    delete browse.value[name]
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

  /** Starts writing a demo datastore; returns the task's UPID. */
  async function demo(args: ApiArgs<'datastore.demo'>): Promise<string> {
    return (await call('datastore.demo', args)).upid
  }

  /** Starts a verification (datastore, namespace or one snapshot); returns the task's UPID. */
  async function verify(args: ApiArgs<'datastore.verify'>): Promise<string> {
    return (await call('datastore.verify', args)).upid
  }

  async function verifyResult(upid: string): Promise<VerifyResult> {
    return call('datastore.verify-result', { upid })
  }

  async function namespaces(name: string): Promise<string[]> {
    return call('datastore.namespaces', { name })
  }

  async function groups(name: string, ns: string): Promise<DatastoreGroup[]> {
    const list = await call('datastore.groups', ns === '' ? { name } : { name, ns })
    return [...list].sort(
      (a, b) =>
        a['backup-type'].localeCompare(b['backup-type']) ||
        a['backup-id'].localeCompare(b['backup-id'], undefined, { numeric: true })
    )
  }

  /** The snapshots of one group, newest first. */
  async function snapshots(
    name: string,
    ns: string,
    group: { 'backup-type': DatastoreGroup['backup-type']; 'backup-id': string }
  ): Promise<DatastoreSnapshot[]> {
    const list = await call('datastore.snapshots', {
      name,
      ...(ns === '' ? {} : { ns }),
      'max-depth': 0,
      'backup-type': group['backup-type'],
      'backup-id': group['backup-id']
    })
    return [...list].sort((a, b) => b['backup-time'] - a['backup-time'])
  }

  return {
    datastores: list.items,
    loading: list.loading,
    loaded: list.loaded,
    error: list.error,
    load: list.load,
    selected,
    status,
    statusError,
    statusLoading,
    loadStatus,
    browse,
    contentsVersion,
    contentsChanged,
    add,
    create,
    remove,
    scans,
    scan,
    demo,
    verify,
    verifyResult,
    namespaces,
    groups,
    snapshots
  }
})
