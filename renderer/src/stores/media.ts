import { defineStore } from 'pinia'
import { ref, watch } from 'vue'
import { call } from '@/api/client'
import type { ApiArgs, ApiResult, InventoryEntry } from '@/api/contract'
import { errorMessage } from '@/api/errors'
import { useTasksStore } from './tasks'
import { onReconnect } from './util'

export type MediaContentEntry = ApiResult<'media.content'>[number]
export type MediaPage = ApiResult<'media.page'>

/** The tape inventory (media.list), reloaded whenever a task finishes (tapes get written then). */
export const useMediaStore = defineStore('media', () => {
  const tasks = useTasksStore()
  const media = ref<InventoryEntry[]>([])
  const loading = ref(false)
  const loaded = ref(false)
  const error = ref<string | null>(null)
  let seq = 0

  async function load(): Promise<void> {
    const mine = ++seq
    loading.value = true
    try {
      const list = await call('media.list', {})
      if (mine !== seq) return
      media.value = [...list].sort((a, b) => a['label-text'].localeCompare(b['label-text']))
      error.value = null
      loaded.value = true
    } catch (err) {
      if (mine === seq) error.value = errorMessage(err)
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  watch(
    () => tasks.changes,
    () => {
      if (loaded.value) void load()
    }
  )
  onReconnect(() => {
    if (loaded.value || error.value !== null) void load()
  })

  return {
    media,
    loading,
    loaded,
    error,
    load,
    content: (label: string) => call('media.content', { 'label-text': label }),
    /** One page of the inventory, filtered on the server. */
    page: (query: ApiArgs<'media.page'>) => call('media.page', query),
    setStatus: (args: ApiArgs<'media.set-status'>) => call('media.set-status', args),
    move: (args: ApiArgs<'media.move'>) => call('media.move', args),
    destroy: async (args: ApiArgs<'media.destroy'>) => {
      await call('media.destroy', args)
      void load()
    },
    /** Rebuild a tape's catalog (task): load it into `drive` first when it is in a changer. */
    catalog: async (args: ApiArgs<'drive.catalog'>) => {
      const { upid } = await call('drive.catalog', args)
      void tasks.fetchTask(upid)
      return upid
    }
  }
})
