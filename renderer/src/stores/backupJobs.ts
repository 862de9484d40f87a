import { defineStore } from 'pinia'
import { watch } from 'vue'
import { call } from '@/api/client'
import type { ApiArgs, BackupJobStatus } from '@/api/contract'
import { useTasksStore } from './tasks'
import { useConfigList } from './util'

/** Tape backup jobs (tape-job.cfg) with their schedule status. */
export const useBackupJobsStore = defineStore('backupJobs', () => {
  const list = useConfigList<BackupJobStatus>(
    async () => [...(await call('backup-job.list', {}))].sort((a, b) => a.id.localeCompare(b.id)),
    'tape-job.cfg'
  )
  const tasks = useTasksStore()
  // a run that starts or ends changes the last-run and next-run columns
  watch(
    () => tasks.changes,
    () => {
      if (list.loaded.value) void list.load()
    }
  )

  async function create(args: ApiArgs<'backup-job.create'>): Promise<void> {
    await call('backup-job.create', args)
    await list.load()
  }
  async function update(args: ApiArgs<'backup-job.update'>): Promise<void> {
    await call('backup-job.update', args)
    await list.load()
  }
  async function remove(id: string): Promise<void> {
    await call('backup-job.remove', { id })
    await list.load()
  }
  async function run(id: string): Promise<string> {
    const { upid } = await call('backup-job.run', { id })
    return upid
  }
  async function backupNow(args: ApiArgs<'tape.backup'>): Promise<string> {
    const { upid } = await call('tape.backup', args)
    return upid
  }

  return {
    jobs: list.items,
    loading: list.loading,
    loaded: list.loaded,
    error: list.error,
    load: list.load,
    config: (id: string) => call('backup-job.config', { id }),
    previewCalendar: (event: string) => call('calendar.preview', { event, count: 5 }),
    create,
    update,
    remove,
    run,
    backupNow
  }
})
