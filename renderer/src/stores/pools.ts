import { defineStore } from 'pinia'
import { call } from '@/api/client'
import type { ApiArgs, PoolConfig } from '@/api/contract'
import { byName, useConfigList } from './util'

export const usePoolsStore = defineStore('pools', () => {
  const list = useConfigList<PoolConfig>(
    async () => byName(await call('pool.list', {})),
    'media-pool.cfg'
  )

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
    config: (name: string) => call('pool.config', { name }),
    previewCalendar: (event: string) => call('calendar.preview', { event, count: 5 }),
    previewTimespan: (span: string) => call('timespan.preview', { span }),
    create,
    update,
    remove
  }
})
