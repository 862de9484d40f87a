/**
 * Run state of scheduled jobs, kept in SQLite (table `job_state`, migration 0005) the way PBS keeps
 * `/var/lib/proxmox-backup/jobstates/<jobtype>-<id>.json` (src/server/jobstate.rs):
 *
 * - created:  the job exists but never ran (`time` = when it was created)
 * - started:  a run was started (UPID; its task is still running)
 * - finished: the last run ended (task status text and end time), optionally with `updated`, the
 *             time the schedule was changed after that run
 *
 * The scheduler decides from one number, the job's *last run time* (PBS `last_run_time`):
 * created → `time`; started → the run's start time; finished → `updated` if set, else the run's
 * start time. A job is due when the first calendar event after that time has come
 * (`next <= now`). Consequences, exactly as in PBS:
 *
 * - A job that never ran counts from its creation: `daily` created at 15:00 first runs at
 *   00:00 the next day.
 * - Missed runs collapse into one: when Tapedeck was not running at 02:00 on three days, the
 *   first scheduler tick after it starts finds the first missed slot due, runs the job once,
 *   and the next run counts from that start — the next future slot.
 * - A slot that passes while the previous run is still busy is not started twice; once that run
 *   has ended, the job runs once more at the next tick (its next event after the old start
 *   time has passed).
 * - Changing a job's schedule counts from the change (PBS `update_job_last_run_time`), so a new
 *   schedule never fires for slots between the last run and the change.
 *
 * Where Tapedeck differs, deliberately:
 * - PBS shows `next-run` of a finished job counted from the run's *end*; the scheduler counts
 *   from its *start*. Tapedeck shows what the scheduler will do (from the start).
 * - Run state is read from the tasks table (the UPID's task row), not from a lock file and a
 *   task log; a run whose process died shows the task runner's `unknown: …` status.
 * - A job without any state (a tape-job.cfg copied in by hand) counts as created 30 seconds ago,
 *   as in PBS; the scheduler stores that the first time it sees the job.
 */
import type { TaskState } from '../api/contract'
import { ApiError } from '../api/errors'
import type { Db } from '../db/connection'
import { nextCalendarEvent, type CalendarEvent } from '../media/calendar-event'
import { parseUpid } from './upid'

export type JobRunState =
  | { state: 'created'; time: number }
  | {
      state: 'started'
      /** undefined while the scheduler is still starting the run */
      upid?: string
      starttime: number
    }
  | {
      state: 'finished'
      /** undefined when the run could not be started at all */
      upid?: string
      starttime: number
      /** PBS task status text: `OK`, `WARNINGS: n`, the error message, `unknown` … */
      status: string
      endtime: number
      /** set when the schedule changed after this run */
      updated?: number
    }

export interface LoadedJobState {
  run: JobRunState
  /** Row version for compare-and-set; undefined when no row exists yet. */
  version: number | undefined
}

/** What the store needs to know about a task. */
export type TaskLookup = (
  upid: string
) => Promise<{ state: TaskState; status?: string; endtime?: number } | undefined>

/** Task lookup over the task runner (a task that does not exist reads as undefined). */
export function taskLookupOf(tasks: {
  status(upid: string): Promise<{ state: TaskState; status?: string; endtime?: number }>
}): TaskLookup {
  return (upid) =>
    tasks.status(upid).catch((err: unknown) => {
      if (err instanceof ApiError && err.code === 'not-found') return undefined
      throw err
    })
}

/** The PBS `last_run_time` the next run counts from. */
export function lastRunTime(run: JobRunState): number {
  if (run.state === 'created') return run.time
  if (run.state === 'finished' && run.updated !== undefined) return run.updated
  return run.starttime
}

/** First event of `schedule` after the job's last run time (null: never again). */
export function nextRunTime(
  schedule: CalendarEvent,
  run: JobRunState,
  timeZone?: string
): number | null {
  return nextCalendarEvent(schedule, lastRunTime(run), timeZone)
}

/** PBS `JobScheduleStatus` fields (without next-run). */
export function lastRunFields(run: JobRunState): {
  'last-run-upid'?: string
  'last-run-state'?: string
  'last-run-endtime'?: number
} {
  if (run.state === 'created') return {}
  if (run.state === 'started') return run.upid ? { 'last-run-upid': run.upid } : {}
  return {
    ...(run.upid ? { 'last-run-upid': run.upid } : {}),
    'last-run-state': run.status,
    'last-run-endtime': run.endtime
  }
}

interface Row {
  job_id: string
  created: number
  upid: string | null
  starttime: number | null
  updated: number | null
  status: string | null
  endtime: number | null
  version: number
}

const TABLE = 'job_state'
/** A run the scheduler claimed but never got a task id for (its process died) is given up. */
const STALE_CLAIM_SECONDS = 600

const startOf = (upid: string, fallback: number): number => {
  try {
    return parseUpid(upid).starttime
  } catch {
    return fallback
  }
}

/**
 * Job state per (job type, job id). Only tape backup jobs exist today; the type keeps room for
 * others, as PBS's `<jobtype>-<id>` file names do.
 */
export class JobStateStore {
  constructor(
    private readonly db: Db,
    private readonly tasks: TaskLookup,
    private readonly clock: () => number = () => Math.floor(Date.now() / 1000),
    readonly jobType = 'tape-backup-job'
  ) {}

  private key(jobId: string) {
    return { job_type: this.jobType, job_id: jobId }
  }

  private async row(jobId: string): Promise<Row | undefined> {
    return this.db(TABLE).where(this.key(jobId)).first()
  }

  /** Current state; a running UPID whose task has ended is recorded as finished. */
  async load(jobId: string): Promise<LoadedJobState> {
    const now = this.clock()
    const row = await this.row(jobId)
    // PBS JobState::load without a state file: Created { time: now - 30 }
    if (!row) return { run: { state: 'created', time: now - 30 }, version: undefined }
    const version = row.version
    if (row.starttime === null) return { run: { state: 'created', time: row.created }, version }
    const upid = row.upid ?? undefined
    if (row.endtime !== null) {
      return {
        run: {
          state: 'finished',
          upid,
          starttime: row.starttime,
          status: row.status ?? 'unknown',
          endtime: row.endtime,
          updated: row.updated ?? undefined
        },
        version
      }
    }
    if (!upid) {
      if (now - row.starttime < STALE_CLAIM_SECONDS) {
        return { run: { state: 'started', starttime: row.starttime }, version }
      }
      return {
        run: {
          state: 'finished',
          starttime: row.starttime,
          status: 'unknown: the run was never started',
          endtime: row.starttime,
          updated: row.updated ?? undefined
        },
        version
      }
    }
    const task = await this.tasks(upid)
    if (task?.state === 'running') {
      return { run: { state: 'started', upid, starttime: row.starttime }, version }
    }
    // PBS reads the task's final status; a task that is gone reads as `unknown`.
    const status = task?.status ?? (task ? task.state : 'unknown')
    const endtime = task?.endtime ?? now
    await this.db(TABLE)
      .where({ ...this.key(jobId), upid, version })
      .update({ status, endtime })
    return {
      run: {
        state: 'finished',
        upid,
        starttime: row.starttime,
        status,
        endtime,
        updated: row.updated ?? undefined
      },
      version
    }
  }

  /** A new job (PBS `create_state_file`): created now, replacing any old state of that id. */
  async create(jobId: string): Promise<void> {
    await this.db(TABLE)
      .insert({ ...this.key(jobId), created: this.clock(), version: 0 })
      .onConflict(['job_type', 'job_id'])
      .merge({
        created: this.clock(),
        upid: null,
        starttime: null,
        updated: null,
        status: null,
        endtime: null,
        version: this.db.raw('version + 1')
      })
  }

  /** Forget a removed job (PBS `remove_state_file`). */
  async remove(jobId: string): Promise<void> {
    await this.db(TABLE).where(this.key(jobId)).delete()
  }

  /**
   * The schedule changed (PBS `update_job_last_run_time`): count the next run from now. A job
   * that is running keeps its state.
   */
  async scheduleChanged(jobId: string): Promise<void> {
    const { run, version } = await this.load(jobId)
    const now = this.clock()
    if (version === undefined) {
      await this.create(jobId)
      return
    }
    if (run.state === 'started') return
    const change = run.state === 'created' ? { created: now } : { updated: now }
    await this.db(TABLE)
      .where({ ...this.key(jobId), version })
      .update({ ...change, version: version + 1 })
  }

  /**
   * Claim a due run: record a start at `now` if the state is still at `version` (undefined: no row
   * yet). False when another scheduler (another process on this home) got there first.
   */
  async claim(jobId: string, version: number | undefined, now = this.clock()): Promise<boolean> {
    let expected = version
    if (expected === undefined) {
      // No state yet: create it as PBS would read it (created 30 s ago), then claim that.
      await this.db(TABLE)
        .insert({ ...this.key(jobId), created: now - 30, version: 0 })
        .onConflict(['job_type', 'job_id'])
        .ignore()
      expected = 0
    }
    const changed = await this.db(TABLE)
      .where({ ...this.key(jobId), version: expected })
      .update({
        upid: null,
        starttime: now,
        updated: null,
        status: null,
        endtime: null,
        version: expected + 1
      })
    return changed === 1
  }

  /**
   * A run of the job started as task `upid` (scheduled after a claim, or started by hand). Its
   * start time is the UPID's.
   */
  async recordStart(jobId: string, upid: string): Promise<void> {
    const starttime = startOf(upid, this.clock())
    await this.db(TABLE)
      .insert({
        ...this.key(jobId),
        created: starttime,
        upid,
        starttime,
        version: 1
      })
      .onConflict(['job_type', 'job_id'])
      .merge({
        upid,
        starttime,
        updated: null,
        status: null,
        endtime: null,
        version: this.db.raw('version + 1')
      })
  }

  /**
   * Take over the last run of a job from a PBS host (`pbs-import`), with its `updated` (the
   * schedule changed after it): recorded only when this home has no run of the job yet. True
   * when recorded.
   */
  async adoptFinishedRun(
    jobId: string,
    run: { upid: string; starttime: number; status: string; endtime: number; updated?: number }
  ): Promise<boolean> {
    const row = await this.row(jobId)
    if (row?.starttime != null) return false
    const values = { ...run, updated: run.updated ?? null }
    if (!row) {
      await this.db(TABLE).insert({
        ...this.key(jobId),
        created: run.starttime,
        version: 1,
        ...values
      })
    } else {
      await this.db(TABLE)
        .where({ ...this.key(jobId), version: row.version })
        .update({ ...values, version: row.version + 1 })
    }
    return true
  }

  /** A claimed run could not be started; it counts as a failed run (the next slot retries). */
  async recordFailure(jobId: string, message: string): Promise<void> {
    const now = this.clock()
    await this.db(TABLE)
      .where(this.key(jobId))
      .whereNull('upid')
      .update({ status: message, endtime: now, version: this.db.raw('version + 1') })
  }
}
