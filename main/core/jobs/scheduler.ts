/**
 * Starts scheduled tape backup jobs, like the task scheduler of PBS's proxmox-backup-proxy
 * (`run_task_scheduler` / `schedule_tape_backup_jobs`): once a minute, aligned to the minute,
 * read tape-job.cfg and start every job whose next calendar event after its last run time has
 * come (see job-state.ts for what that means for missed runs).
 *
 * - A job whose previous run is still going is not started again (PBS: the job lock is held);
 *   it is logged once and runs at the first tick after that run ended.
 * - Two schedulers on one home (the app and `tapedeck scheduler`) never start the same run twice:
 *   a start is claimed in SQLite with compare-and-set first.
 * - A runner that fails to start a job is logged and the failure recorded as the job's last run,
 *   so the job is tried again at its next slot (not every minute).
 * - Errors never stop the scheduler; each job and each tick is on its own.
 */
import type { BackupJobConfig } from '../api/contract'
import type { BackupJobConfigService } from '../config/backup-jobs'
import { CalendarEventError, parseCalendarEvent, type CalendarEvent } from '../media/calendar-event'
import { formatIso, localTimeZone } from '../util/time'
import { nextRunTime, type JobStateStore } from './job-state'

/** Starts a backup job as a task and returns its UPID once the task exists. */
export type RunJob = (jobId: string, options: { schedule: boolean }) => Promise<string>

export interface SchedulerTimer {
  set(callback: () => void, ms: number): unknown
  clear(handle: unknown): void
}

export interface SchedulerOptions {
  /** Where the jobs come from (read again at every tick). */
  jobs: Pick<BackupJobConfigService, 'configs'>
  state: JobStateStore
  runJob: RunJob
  /** Wall clock in milliseconds since the epoch. */
  now?: () => number
  timer?: SchedulerTimer
  log?: (message: string) => void
  /** Zone schedules are evaluated in; undefined = the process's local zone (as PBS). */
  timeZone?: string
}

export type TickAction = 'started' | 'failed' | 'running' | 'claimed-elsewhere'

export interface TickEntry {
  job: string
  action: TickAction
  /** the slot that was due (epoch) */
  due: number
  upid?: string
  error?: string
}

const realTimer: SchedulerTimer = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout)
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err))

export class Scheduler {
  private readonly now: () => number
  private readonly timer: SchedulerTimer
  private readonly log: (message: string) => void
  private handle: unknown
  private current: Promise<unknown> | undefined
  private stopped = true
  /** Jobs whose start is in progress in this process. */
  private readonly starting = new Set<string>()
  /** Things already logged, so a skipped job or a bad schedule is reported once, not per minute. */
  private readonly reported = new Set<string>()
  private readonly parsed = new Map<string, CalendarEvent | CalendarEventError>()

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? Date.now
    this.timer = options.timer ?? realTimer
    this.log = options.log ?? ((text) => console.log(`tapedeck scheduler: ${text}`))
  }

  get active(): boolean {
    return !this.stopped
  }

  /** Tick at every full minute from now on (the first at the next minute boundary). */
  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.arm()
  }

  /** No more ticks; waits for a tick in progress. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.handle !== undefined) this.timer.clear(this.handle)
    this.handle = undefined
    await this.current
  }

  /** Resolves when the tick in progress (if any) is done. */
  async settled(): Promise<void> {
    await this.current
  }

  private arm(): void {
    if (this.stopped) return
    const ms = 60_000 - (this.now() % 60_000)
    this.handle = this.timer.set(() => this.fire(), ms)
  }

  private fire(): void {
    this.handle = undefined
    const run = this.tick()
      .catch((err) => this.log(`scheduling failed - ${message(err)}`))
      .finally(() => {
        this.current = undefined
        this.arm()
      })
    this.current = run
  }

  private schedule(text: string): CalendarEvent | CalendarEventError {
    let event = this.parsed.get(text)
    if (!event) {
      try {
        event = parseCalendarEvent(text)
      } catch (err) {
        if (!(err instanceof CalendarEventError)) throw err
        event = err
      }
      this.parsed.set(text, event)
    }
    return event
  }

  private once(key: string, text: string): void {
    if (this.reported.has(key)) return
    this.reported.add(key)
    this.log(text)
  }

  /** One scheduling round (what the timer runs each minute; tests call it directly). */
  async tick(): Promise<TickEntry[]> {
    let jobs: BackupJobConfig[]
    try {
      jobs = await this.options.jobs.configs()
    } catch (err) {
      this.log(`unable to read tape job config - ${message(err)}`)
      return []
    }
    const entries: TickEntry[] = []
    for (const job of jobs) {
      if (job.schedule === undefined) continue
      try {
        const entry = await this.consider(job, job.schedule)
        if (entry) entries.push(entry)
      } catch (err) {
        this.log(`backup job '${job.id}': scheduling failed - ${message(err)}`)
      }
    }
    return entries
  }

  private async consider(job: BackupJobConfig, scheduleText: string): Promise<TickEntry | void> {
    const event = this.schedule(scheduleText)
    if (event instanceof CalendarEventError) {
      this.once(
        `schedule:${job.id}:${scheduleText}`,
        `backup job '${job.id}': unable to parse schedule '${scheduleText}' - ${event.message}`
      )
      return
    }
    if (this.starting.has(job.id)) return
    const now = Math.floor(this.now() / 1000)
    const { state } = this.options
    const { run, version } = await state.load(job.id)
    const due = nextRunTime(event, run, this.options.timeZone)
    if (due === null || due > now) return
    if (run.state === 'started') {
      if (!run.upid) return // another scheduler is starting it right now
      this.once(
        `running:${job.id}:${run.upid}`,
        `backup job '${job.id}' is due (${this.time(due)}) but its previous run ${run.upid} is still running; it starts after that run ends`
      )
      return { job: job.id, action: 'running', due, upid: run.upid }
    }
    if (!(await state.claim(job.id, version, now))) {
      return { job: job.id, action: 'claimed-elsewhere', due }
    }
    this.starting.add(job.id)
    try {
      this.log(
        `starting backup job '${job.id}' (schedule '${scheduleText}', due ${this.time(due)})`
      )
      let upid: string
      try {
        upid = await this.options.runJob(job.id, { schedule: true })
      } catch (err) {
        const error = message(err)
        this.log(`unable to start backup job '${job.id}' - ${error}`)
        await state.recordFailure(job.id, error)
        return { job: job.id, action: 'failed', due, error }
      }
      await state.recordStart(job.id, upid)
      this.log(`backup job '${job.id}' started: ${upid}`)
      return { job: job.id, action: 'started', due, upid }
    } finally {
      this.starting.delete(job.id)
    }
  }

  private time(epoch: number): string {
    return formatIso(epoch, this.options.timeZone ?? localTimeZone())
  }
}

/** What startScheduler needs of the core. */
export interface SchedulerHost {
  readonly config: { readonly backupJobs: BackupJobConfigService }
}

/**
 * Start the scheduler of a core with the function that starts a backup job. Hosts call this
 * once (the app, `tapedeck serve`, `tapedeck scheduler`) and `stop()` it before closing the core.
 */
export function startScheduler(
  core: SchedulerHost,
  runJob: RunJob,
  options: Partial<Omit<SchedulerOptions, 'jobs' | 'state' | 'runJob'>> = {}
): Scheduler {
  const scheduler = new Scheduler({
    ...options,
    jobs: core.config.backupJobs,
    state: core.config.backupJobs.state,
    runJob
  })
  scheduler.start()
  return scheduler
}
