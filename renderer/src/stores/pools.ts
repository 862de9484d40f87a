import { defineStore } from 'pinia'
import { ref } from 'vue'
import { call, onEvent } from '@/api/client'
import type { ApiArgs, ApiResult, PoolConfig } from '@/api/contract'
import { errorMessage } from '@/api/errors'
import { byName, useConfigList } from './util'

type PoolPreview = ApiResult<'pool.preview'>

export const usePoolsStore = defineStore('pools', () => {
  const list = useConfigList<PoolConfig>(
    async () => byName(await call('pool.list', {})),
    'media-pool.cfg'
  )

  /** What the next backup into each pool would do (pool.preview), or why it could not be asked. */
  const previews = ref<Record<string, PoolPreview | { error: string }>>({})
  let previewSeq = 0
  async function loadPreviews(): Promise<void> {
    const mine = ++previewSeq
    const names = list.items.value.map((p) => p.name)
    const entries = await Promise.all(
      names.map(async (name) => {
        try {
          return [name, await call('pool.preview', { name })] as const
        } catch (err) {
          return [name, { error: errorMessage(err) }] as const
        }
      })
    )
    if (mine === previewSeq) previews.value = Object.fromEntries(entries)
  }
  // tapes are labeled, written, moved by tasks; job drives by tape-job.cfg
  onEvent('task.finished', () => {
    if (list.loaded.value) void loadPreviews()
  })
  onEvent('config.changed', (p) => {
    if (list.loaded.value && (p.file === 'tape-job.cfg' || p.file === 'tape.cfg'))
      void loadPreviews()
  })

  async function create(args: ApiArgs<'pool.create'>): Promise<void> {
    await call('pool.create', args)
    await list.load()
  }
  async function update(args: ApiArgs<'pool.update'>): Promise<void> {
    await call('pool.update', args)
    await list.load()
  }
  async function remove(name: string): Promise<void> {
    await call('pool.remove', { name })
    await list.load()
  }

  return {
    pools: list.items,
    loading: list.loading,
    loaded: list.loaded,
    error: list.error,
    load: list.load,
    previews,
    loadPreviews,
    config: (name: string) => call('pool.config', { name }),
    previewCalendar: (event: string) => call('calendar.preview', { event, count: 5 }),
    previewTimespan: (span: string) => call('timespan.preview', { span }),
    create,
    update,
    remove
  }
})
