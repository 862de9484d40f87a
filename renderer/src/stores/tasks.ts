import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { call, onEvent } from '@/api/client'
import type { TaskInfo } from '@/api/contract'
import { errorMessage } from '@/api/errors'
import { onReconnect } from './util'

export interface ProgressSummary {
  count: number
  /** 0..100, or null when no running task knows its total */
  percent: number | null
}

/** Fraction done of one task in percent, or null when its total is unknown. */
export function taskPercent(task: TaskInfo): number | null {
  const p = task.progress
  if (!p || p.total === undefined || p.total <= 0) return null
  return Math.min(100, Math.max(0, (p.done / p.total) * 100))
}

/**
 * Every task this window has heard of, keyed by UPID, kept current by the task events. Views ask
 * for pages of `task.list`; the running set feeds the app bar indicator and the dashboard.
 */
export const useTasksStore = defineStore('tasks', () => {
  const byUpid = ref<Record<string, TaskInfo>>({})
  /** Bumped whenever a task starts or finishes, so paged lists know to refresh. */
  const changes = ref(0)
  const error = ref<string | null>(null)
  const fetching = new Set<string>()

  function remember(task: TaskInfo): void {
    const old = byUpid.value[task.upid]
    byUpid.value[task.upid] =
      old?.progress && !task.progress ? { ...task, progress: old.progress } : task
  }

  const running = computed(() =>
    Object.values(byUpid.value)
      .filter((t) => t.state === 'running')
      .sort((a, b) => b.starttime - a.starttime)
  )

  const summary = computed<ProgressSummary>(() => {
    const list = running.value
    const known = list.map(taskPercent).filter((p): p is number => p !== null)
    return {
      count: list.length,
      percent: known.length === 0 ? null : known.reduce((a, b) => a + b, 0) / known.length
    }
  })

  async function fetchTask(upid: string): Promise<TaskInfo | null> {
    if (fetching.has(upid)) return byUpid.value[upid] ?? null
    fetching.add(upid)
    try {
      const task = await call('task.status', { upid })
      remember(task)
      return task
    } catch {
      return null
    } finally {
      fetching.delete(upid)
    }
  }

  async function loadRunning(): Promise<void> {
    try {
      const { tasks } = await call('task.list', { running: true, limit: 1000 })
      const now = new Set(tasks.map((t) => t.upid))
      tasks.forEach(remember)
      // tasks we thought running but that ended while we were not listening
      for (const t of running.value) if (!now.has(t.upid)) void fetchTask(t.upid)
      error.value = null
    } catch (err) {
      error.value = errorMessage(err)
    }
  }

  /** One page of the task list, newest first as the core returns it. */
  async function page(start: number, limit: number): Promise<{ total: number; upids: string[] }> {
    const { total, tasks } = await call('task.list', { start, limit })
    tasks.forEach(remember)
    return { total, upids: tasks.map((t) => t.upid) }
  }

  async function stop(upid: string): Promise<void> {
    await call('task.stop', { upid })
  }

  onEvent('task.started', (task) => {
    remember(task)
    changes.value++
  })
  onEvent('task.finished', (task) => {
    remember(task)
    changes.value++
  })
  onEvent('task.progress', ({ upid, progress }) => {
    const task = byUpid.value[upid]
    if (task) byUpid.value[upid] = { ...task, progress }
    else void fetchTask(upid)
  })
  onReconnect(() => {
    void loadRunning()
    changes.value++
  })

  return { byUpid, running, summary, changes, error, loadRunning, page, fetchTask, stop }
})
