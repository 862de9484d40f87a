import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { call } from '@/api/client'
import type { ApiArgs, TaskInfo } from '@/api/contract'
import { errorMessage } from '@/api/errors'
import { useTasksStore } from './tasks'

export type DemoSize = NonNullable<ApiArgs<'demo.run'>['size']>

/**
 * The one-click demo (`demo.run`, the same steps as `tapedeck demo`) started from this window:
 * its task, kept while the window lives so the Dashboard can show how it went.
 */
export const useDemoStore = defineStore('demo', () => {
  const tasks = useTasksStore()
  const upid = ref<string | null>(null)
  const starting = ref(false)
  const error = ref<string | null>(null)

  const task = computed<TaskInfo | null>(() =>
    upid.value === null ? null : (tasks.byUpid[upid.value] ?? null)
  )

  async function start(size: DemoSize): Promise<void> {
    starting.value = true
    error.value = null
    try {
      const started = await call('demo.run', { size })
      upid.value = started.upid
      await tasks.fetchTask(started.upid)
    } catch (err) {
      error.value = errorMessage(err)
    } finally {
      starting.value = false
    }
  }

  function dismiss(): void {
    upid.value = null
    error.value = null
  }

  return { upid, task, starting, error, start, dismiss }
})
