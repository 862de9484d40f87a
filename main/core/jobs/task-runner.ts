/**
 * Long operations run as tasks: a UPID, a persisted log, progress events, cancellation. The UI,
 * the CLI and tests all watch tasks the same way. State lives in SQLite so a task started by the
 * app is visible to the CLI and vice versa; a task whose process died shows as aborted.
 */
import { hostname, userInfo } from 'node:os'
import type { TaskInfo, TaskLogLine, TaskProgress, TaskState } from '../api/contract'
import { ApiError, notFound } from '../api/errors'
import type { Db } from '../db/connection'
import type { EventBus } from './events'
import { processIsRunning, processStartTime } from './process-info'
import { formatUpid } from './upid'

export interface TaskContext {
  readonly upid: string
  readonly signal: AbortSignal
  log(text: string): void
  warn(text: string): void
  progress(progress: Omit<TaskProgress, 'rate' | 'eta'>): void
  /** Throws when the task was asked to stop; call it between units of work. */
  checkAbort(): void
}

export interface TaskSpec {
  type: string
  id?: string
}

interface TaskRow {
  upid: string
  node: string
  pid: number
  pstart: number
  starttime: number
  worker_type: string
  worker_id: string | null
  user: string
  endtime: number | null
  state: TaskState
  status: string | null
  progress: string | null
  stop_requested: number | boolean
}

class TaskAborted extends Error {
  constructor() {
    super('aborted on request')
  }
}

const now = () => Math.floor(Date.now() / 1000)

function toInfo(row: TaskRow): TaskInfo {
  return {
    upid: row.upid,
    node: row.node,
    pid: row.pid,
    starttime: row.starttime,
    worker_type: row.worker_type,
    worker_id: row.worker_id ?? undefined,
    user: row.user,
    endtime: row.endtime ?? undefined,
    state: row.state,
    status: row.status ?? undefined,
    progress: row.progress ? (JSON.parse(row.progress) as TaskProgress) : undefined
  }
}

/** Rate over a sliding window of samples, so a stall shows quickly and noise averages out. */
class RateMeter {
  private samples: Array<[number, number]> = []
  add(done: number): number | undefined {
    const t = Date.now()
    this.samples.push([t, done])
    while (this.samples.length > 2 && t - this.samples[0]![0] > 5000) this.samples.shift()
    const [t0, d0] = this.samples[0]!
    return t - t0 >= 200 ? ((done - d0) * 1000) / (t - t0) : undefined
  }
}

interface RunningTask {
  info: TaskInfo
  abort: AbortController
  nextLine: number
  pendingLines: TaskLogLine[]
  warnings: number
  rate: RateMeter
  lastProgressEmit: number
  lastProgressSave: number
  writes: Promise<unknown>
}

export class TaskRunner {
  readonly node = hostname().split('.')[0] || 'localhost'
  readonly user = `${userInfo().username}@pam`
  private readonly pstart = processStartTime('self') ?? 0
  private readonly running = new Map<string, RunningTask>()
  private taskNr = 0
  private stopPoll: NodeJS.Timeout | undefined

  constructor(
    private readonly db: Db,
    private readonly events: EventBus
  ) {}

  /** Mark tasks whose process is gone as aborted (run at startup and before listing). */
  async reapOrphans(): Promise<void> {
    const rows: TaskRow[] = await this.db('tasks').where({ state: 'running' })
    for (const row of rows) {
      if (this.running.has(row.upid)) continue
      if (row.node !== this.node) continue // another host's task: not ours to judge
      if (processIsRunning(row.pid, row.pstart)) continue
      await this.db('tasks')
        .where({ upid: row.upid, state: 'running' })
        .update({
          state: 'aborted',
          status: 'unknown: the Tapedeck process running this task ended unexpectedly',
          endtime: row.endtime ?? now()
        })
    }
  }

  start(spec: TaskSpec, work: (ctx: TaskContext) => Promise<void>): Promise<string> {
    const starttime = now()
    const upid = formatUpid({
      node: this.node,
      pid: process.pid,
      pstart: this.pstart,
      taskNr: this.taskNr++,
      starttime,
      workerType: spec.type,
      workerId: spec.id,
      user: this.user
    })
    const info: TaskInfo = {
      upid,
      node: this.node,
      pid: process.pid,
      starttime,
      worker_type: spec.type,
      worker_id: spec.id,
      user: this.user,
      state: 'running'
    }
    const task: RunningTask = {
      info,
      abort: new AbortController(),
      nextLine: 0,
      pendingLines: [],
      warnings: 0,
      rate: new RateMeter(),
      lastProgressEmit: 0,
      lastProgressSave: 0,
      writes: Promise.resolve()
    }
    return this.db('tasks')
      .insert({
        upid,
        node: info.node,
        pid: info.pid,
        pstart: this.pstart,
        starttime,
        worker_type: spec.type,
        worker_id: spec.id ?? null,
        user: info.user,
        state: 'running'
      })
      .then(() => {
        this.running.set(upid, task)
        this.ensureStopPolling()
        this.events.emit('task.started', { ...info })
        void this.execute(task, work)
        return upid
      })
  }

  private context(task: RunningTask): TaskContext {
    const log = (text: string) => {
      for (const line of text.split('\n')) {
        const entry = { n: task.nextLine++, t: now(), text: line }
        task.pendingLines.push(entry)
        this.events.emit('task.log', { upid: task.info.upid, line: entry })
      }
      this.scheduleWrite(task)
    }
    return {
      upid: task.info.upid,
      signal: task.abort.signal,
      log,
      warn: (text) => {
        task.warnings++
        log(`WARN: ${text}`)
      },
      progress: (p) => {
        const rate = task.rate.add(p.done)
        const progress: TaskProgress = { ...p }
        if (rate !== undefined) progress.rate = rate
        if (rate && p.total !== undefined) progress.eta = Math.max(0, (p.total - p.done) / rate)
        task.info.progress = progress
        const t = Date.now()
        const final = p.total !== undefined && p.done >= p.total
        if (final || t - task.lastProgressEmit >= 200) {
          task.lastProgressEmit = t
          this.events.emit('task.progress', { upid: task.info.upid, progress })
        }
        if (final || t - task.lastProgressSave >= 1000) {
          task.lastProgressSave = t
          this.scheduleWrite(task, { progress: JSON.stringify(progress) })
        }
      },
      checkAbort: () => {
        if (task.abort.signal.aborted) throw new TaskAborted()
      }
    }
  }

  /** Serialise this task's database writes so log lines land in order and nothing is lost. */
  private scheduleWrite(task: RunningTask, update?: Record<string, unknown>): void {
    task.writes = task.writes.then(async () => {
      const lines = task.pendingLines.splice(0)
      if (lines.length > 0) {
        // SQLite limits bound variables per statement; 4 per row keeps chunks well below it.
        for (let i = 0; i < lines.length; i += 200) {
          const rows = lines.slice(i, i + 200).map((l) => ({ upid: task.info.upid, ...l }))
          await this.db('task_log').insert(rows)
        }
      }
      if (update) await this.db('tasks').where({ upid: task.info.upid }).update(update)
    })
  }

  private async execute(task: RunningTask, work: (ctx: TaskContext) => Promise<void>) {
    const ctx = this.context(task)
    let state: TaskState
    let status: string
    try {
      await work(ctx)
      state = task.warnings > 0 ? 'warning' : 'ok'
      status = task.warnings > 0 ? `WARNINGS: ${task.warnings}` : 'OK'
      ctx.log(`TASK ${status}`)
    } catch (err) {
      const aborted = err instanceof TaskAborted || task.abort.signal.aborted
      state = aborted ? 'aborted' : 'error'
      status = aborted ? 'aborted on request' : err instanceof Error ? err.message : String(err)
      ctx.log(`TASK ERROR: ${status}`)
    }
    Object.assign(task.info, { state, status, endtime: now() })
    this.scheduleWrite(task, {
      state,
      status,
      endtime: task.info.endtime,
      progress: task.info.progress ? JSON.stringify(task.info.progress) : null
    })
    try {
      await task.writes
    } catch (err) {
      // The task itself is over; the database failing to record it must not crash the process.
      console.error(`tapedeck: could not store the state of task ${task.info.upid}:`, err)
    } finally {
      this.running.delete(task.info.upid)
      this.events.emit('task.finished', { ...task.info })
    }
  }

  /** A stop request for a task of another process is left in the database for that process. */
  private ensureStopPolling(): void {
    if (this.stopPoll) return
    this.stopPoll = setInterval(() => {
      if (this.running.size === 0) {
        clearInterval(this.stopPoll)
        this.stopPoll = undefined
        return
      }
      void this.db('tasks')
        .whereIn('upid', [...this.running.keys()])
        .andWhere({ stop_requested: true })
        .select('upid')
        .then((rows: Array<{ upid: string }>) => {
          for (const { upid } of rows) this.running.get(upid)?.abort.abort()
        })
        .catch(() => undefined)
    }, 500)
    this.stopPoll.unref()
  }

  async stop(upid: string): Promise<void> {
    const local = this.running.get(upid)
    if (local?.info.state === 'running') {
      local.abort.abort()
      return
    }
    const info = await this.status(upid)
    if (info.state !== 'running') throw new ApiError('conflict', `task ${upid} is not running`)
    await this.db('tasks').where({ upid }).update({ stop_requested: true })
  }

  async status(upid: string): Promise<TaskInfo> {
    const local = this.running.get(upid)
    if (local) return { ...local.info }
    await this.reapOrphans()
    const row: TaskRow | undefined = await this.db('tasks').where({ upid }).first()
    if (!row) throw notFound(`task ${upid} does not exist`)
    return toInfo(row)
  }

  async list(opts: { running?: boolean; start?: number; limit?: number }) {
    await this.reapOrphans()
    const query = this.db('tasks')
    if (opts.running) query.where({ state: 'running' })
    const [{ total }] = (await query.clone().count({ total: '*' })) as Array<{ total: number }>
    const rows: TaskRow[] = await query
      .orderBy([
        { column: 'starttime', order: 'desc' },
        { column: 'upid', order: 'desc' }
      ])
      .offset(opts.start ?? 0)
      .limit(opts.limit ?? 50)
    const tasks = rows.map((row) => {
      const live = this.running.get(row.upid)
      return live ? { ...live.info } : toInfo(row)
    })
    return { total: Number(total), tasks }
  }

  async log(upid: string, start = 0, limit = 5000) {
    const exists = await this.db('tasks').where({ upid }).first('upid')
    if (!exists) throw notFound(`task ${upid} does not exist`)
    const local = this.running.get(upid)
    if (local) await local.writes
    const [{ total }] = (await this.db('task_log').where({ upid }).count({ total: '*' })) as Array<{
      total: number
    }>
    const lines: TaskLogLine[] = await this.db('task_log')
      .where({ upid })
      .andWhere('n', '>=', start)
      .orderBy('n')
      .limit(limit)
      .select('n', 't', 'text')
    return { total: Number(total), lines }
  }

  /**
   * Relay tasks of other processes sharing this home (e.g. a CLI backup while the app is open) as
   * events, by polling the database, so every window shows them live. Returns a stop function.
   */
  watchOtherProcesses(intervalMs = 1000): () => void {
    const seen = new Map<string, { nextLine: number; progress: string | null }>()
    let since = now()
    let busy = false
    const poll = async () => {
      const rows: TaskRow[] = await this.db('tasks')
        .where({ state: 'running' })
        .orWhere('endtime', '>=', since - 2)
      since = now()
      for (const row of rows) {
        if (this.running.has(row.upid)) continue
        let known = seen.get(row.upid)
        if (!known) {
          if (row.state !== 'running') continue // finished before we ever saw it run
          known = { nextLine: 0, progress: null }
          seen.set(row.upid, known)
          this.events.emit('task.started', toInfo(row))
        }
        const lines: TaskLogLine[] = await this.db('task_log')
          .where({ upid: row.upid })
          .andWhere('n', '>=', known.nextLine)
          .orderBy('n')
          .select('n', 't', 'text')
        for (const line of lines) this.events.emit('task.log', { upid: row.upid, line })
        known.nextLine += lines.length
        if (row.progress && row.progress !== known.progress) {
          known.progress = row.progress
          this.events.emit('task.progress', { upid: row.upid, progress: JSON.parse(row.progress) })
        }
        if (row.state !== 'running') {
          seen.delete(row.upid)
          this.events.emit('task.finished', toInfo(row))
        }
      }
    }
    const timer = setInterval(() => {
      if (busy) return
      busy = true
      poll()
        .catch(() => undefined)
        .finally(() => (busy = false))
    }, intervalMs)
    timer.unref()
    return () => clearInterval(timer)
  }

  /** Wait for a task of this process to finish (tests and the CLI use it). */
  async wait(upid: string): Promise<TaskInfo> {
    for (;;) {
      const info = await this.status(upid)
      if (info.state !== 'running') return info
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  /** Stop every task of this process and wait until their state is stored. */
  async shutdown(): Promise<void> {
    for (const task of this.running.values()) task.abort.abort()
    while (this.running.size > 0) await new Promise((resolve) => setTimeout(resolve, 20))
    if (this.stopPoll) clearInterval(this.stopPoll)
  }
}
