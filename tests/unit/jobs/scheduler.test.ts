import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { BackupJobConfig, TaskState } from '../../../main/core/api/contract'
import { openDatabase, type Db } from '../../../main/core/db/connection'
import { JobStateStore } from '../../../main/core/jobs/job-state'
import { Scheduler, type SchedulerTimer, type TickEntry } from '../../../main/core/jobs/scheduler'
import { formatUpid } from '../../../main/core/jobs/upid'

const at = (iso: string) => Date.parse(iso)
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16)

/** A fake wall clock and timer: `advanceTo` fires every timer due on the way, tick by tick. */
class FakeTime {
  ms = 0
  private timers: Array<{ id: number; at: number; callback: () => void }> = []
  private ids = 0
  readonly timer: SchedulerTimer = {
    set: (callback, ms) => {
      const id = ++this.ids
      this.timers.push({ id, at: this.ms + ms, callback })
      return id
    },
    clear: (id) => {
      this.timers = this.timers.filter((t) => t.id !== id)
    }
  }
  readonly now = () => this.ms
  pending(): number[] {
    return this.timers.map((t) => t.at - this.ms)
  }
  async advanceTo(target: number, schedulers: Scheduler[]): Promise<void> {
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at)
      const next = this.timers[0]
      if (!next || next.at > target) break
      this.timers.shift()
      this.ms = next.at
      next.callback()
      for (const s of schedulers) await s.settled()
    }
    this.ms = target
  }
}

let db: Db
let time: FakeTime
let jobs: BackupJobConfig[]
let tasks: Map<string, { state: TaskState; status?: string; endtime?: number }>
let logs: string[]
let started: Array<{ job: string; at: string; upid: string }>
let failNext: string | undefined
let state: JobStateStore
let taskNr = 0

const job = (id: string, schedule?: string): BackupJobConfig => ({
  id,
  store: 'store1',
  pool: 'daily',
  drive: 'hh8',
  schedule
})

async function runJob(jobId: string, options: { schedule: boolean }): Promise<string> {
  expect(options).toEqual({ schedule: true })
  if (failNext) {
    const message = failNext
    failNext = undefined
    throw new Error(message)
  }
  const upid = formatUpid({
    node: 'test',
    pid: 1,
    pstart: 0,
    taskNr: taskNr++,
    starttime: Math.floor(time.ms / 1000),
    workerType: 'tape-backup-job',
    workerId: jobId,
    user: 'root@pam'
  })
  tasks.set(upid, { state: 'running' })
  started.push({ job: jobId, at: hhmm(time.ms), upid })
  return upid
}

const finish = (upid: string, status = 'OK') =>
  tasks.set(upid, { state: 'ok', status, endtime: Math.floor(time.ms / 1000) })

function scheduler(extra: Partial<ConstructorParameters<typeof Scheduler>[0]> = {}) {
  return new Scheduler({
    jobs: { configs: async () => jobs },
    state,
    runJob,
    now: time.now,
    timer: time.timer,
    log: (text) => logs.push(`${hhmm(time.ms)} ${text}`),
    timeZone: 'UTC',
    ...extra
  })
}

beforeEach(async () => {
  db = await openDatabase(':memory:')
  time = new FakeTime()
  jobs = []
  tasks = new Map()
  logs = []
  started = []
  failNext = undefined
  state = new JobStateStore(
    db,
    async (upid) => tasks.get(upid),
    () => Math.floor(time.ms / 1000)
  )
})
afterEach(async () => {
  await db.destroy()
})

describe('Scheduler', () => {
  it('ticks at every full minute', async () => {
    time.ms = at('2026-11-27T12:00:30.500Z')
    const s = scheduler()
    s.start()
    expect(time.pending()).toEqual([29_500])
    await time.advanceTo(at('2026-11-27T12:03:10Z'), [s])
    expect(time.pending()).toEqual([50_000])
    await s.stop()
    expect(time.pending()).toEqual([])
  })

  it('starts a due job once', async () => {
    time.ms = at('2026-11-27T11:58:10Z')
    jobs = [job('noon', '12:00'), job('manual')]
    await state.create('noon')
    const s = scheduler()
    s.start()
    await time.advanceTo(at('2026-11-27T12:01:30Z'), [s])
    expect(started.map((r) => `${r.job}@${r.at}`)).toEqual(['noon@12:00'])
    finish(started[0]!.upid)
    await time.advanceTo(at('2026-11-27T12:30:00Z'), [s])
    expect(started).toHaveLength(1)
    expect(logs).toEqual([
      "12:00 starting backup job 'noon' (schedule '12:00', due 2026-11-27T12:00:00+00:00)",
      `12:00 backup job 'noon' started: ${started[0]!.upid}`
    ])
    await s.stop()
  })

  it('does not start a job again while its previous run is going, and catches up once after', async () => {
    time.ms = at('2026-11-27T11:59:30Z')
    jobs = [job('often', '*:0/10')]
    await state.create('often')
    const s = scheduler()
    s.start()
    const entries: TickEntry[] = []
    await time.advanceTo(at('2026-11-27T12:24:30Z'), [s])
    expect(started.map((r) => r.at)).toEqual(['12:00'])
    // 12:10 and 12:20 passed while the 12:00 run was busy: logged once, not started
    expect(logs.filter((l) => l.includes('still running'))).toEqual([
      `12:10 backup job 'often' is due (2026-11-27T12:10:00+00:00) but its previous run ${started[0]!.upid} is still running; it starts after that run ends`
    ])
    entries.push(...(await s.tick()))
    expect(entries).toEqual([
      expect.objectContaining({ job: 'often', action: 'running', upid: started[0]!.upid })
    ])
    finish(started[0]!.upid)
    await time.advanceTo(at('2026-11-27T12:29:30Z'), [s])
    // one catch-up run right after, not one per missed slot
    expect(started.map((r) => r.at)).toEqual(['12:00', '12:25'])
    finish(started[1]!.upid)
    await time.advanceTo(at('2026-11-27T12:30:30Z'), [s])
    expect(started.map((r) => r.at)).toEqual(['12:00', '12:25', '12:30'])
    await s.stop()
  })

  it('runs a job once after Tapedeck was not running for several slots', async () => {
    jobs = [job('nightly', '02:00')]
    // last run a week ago, then Tapedeck was down
    time.ms = at('2026-11-20T02:00:00Z')
    const upid = await runJob('nightly', { schedule: true })
    await state.recordStart('nightly', upid)
    time.ms = at('2026-11-20T03:00:00Z')
    finish(upid)
    started = []

    time.ms = at('2026-11-27T12:00:10Z')
    const s = scheduler()
    s.start()
    await time.advanceTo(at('2026-11-27T12:01:00Z'), [s])
    expect(started.map((r) => r.at)).toEqual(['12:01'])
    finish(started[0]!.upid)
    await time.advanceTo(at('2026-11-27T12:10:00Z'), [s])
    expect(started).toHaveLength(1)
    expect((await state.load('nightly')).run).toMatchObject({
      starttime: at('2026-11-27T12:01:00Z') / 1000
    })
    // (skip the quiet hours without ticking through them)
    await s.stop()
    time.ms = at('2026-11-28T01:58:30Z')
    s.start()
    await time.advanceTo(at('2026-11-28T02:00:30Z'), [s])
    expect(started.map((r) => r.at)).toEqual(['12:01', '02:00'])
    await s.stop()
  })

  it('logs a failing runner and retries at the next slot, not every minute', async () => {
    time.ms = at('2026-11-27T11:59:30Z')
    jobs = [job('hourly-job', 'hourly')]
    await state.create('hourly-job')
    const s = scheduler()
    s.start()
    failNext = 'drive hh8 is busy'
    await time.advanceTo(at('2026-11-27T12:59:30Z'), [s])
    expect(started).toEqual([])
    expect(logs).toContain("12:00 unable to start backup job 'hourly-job' - drive hh8 is busy")
    expect((await state.load('hourly-job')).run).toMatchObject({
      state: 'finished',
      status: 'drive hh8 is busy'
    })
    await time.advanceTo(at('2026-11-27T13:00:30Z'), [s])
    expect(started.map((r) => r.at)).toEqual(['13:00'])
    await s.stop()
  })

  it('survives a broken config and a bad schedule', async () => {
    time.ms = at('2026-11-27T11:59:30Z')
    let broken = true
    await state.create('good')
    const s = scheduler({
      jobs: {
        configs: async () => {
          if (broken) throw new Error('tape-job.cfg line 3: unknown property')
          return [job('bad', 'mon..frx'), job('good', '*:*')]
        }
      }
    })
    s.start()
    await time.advanceTo(at('2026-11-27T12:00:00Z'), [s])
    expect(logs).toEqual([
      '12:00 unable to read tape job config - tape-job.cfg line 3: unknown property'
    ])
    broken = false
    await time.advanceTo(at('2026-11-27T12:02:00Z'), [s])
    expect(logs.filter((l) => l.includes("'bad'"))).toHaveLength(1)
    expect(logs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^12:01 backup job 'bad': unable to parse schedule 'mon\.\.frx'/)
      ])
    )
    expect(started.map((r) => `${r.job}@${r.at}`)).toEqual(['good@12:01'])
    await s.stop()
  })

  it('never lets two schedulers on one home start the same run', async () => {
    time.ms = at('2026-11-27T11:59:30Z')
    jobs = [job('noon', '12:00')]
    await state.create('noon')
    const a = scheduler()
    const b = scheduler()
    a.start()
    b.start()
    await time.advanceTo(at('2026-11-27T12:05:00Z'), [a, b])
    expect(started.map((r) => r.at)).toEqual(['12:00'])
    await Promise.all([a.stop(), b.stop()])
  })

  it('runs a 02:30 job once on the night the clocks go back (Europe/Berlin)', async () => {
    time.ms = at('2026-10-25T00:25:00Z')
    jobs = [job('night', '02:30')]
    await state.create('night')
    const s = scheduler({ timeZone: 'Europe/Berlin' })
    s.start()
    for (const stop of ['2026-10-25T00:31:00Z', '2026-10-25T01:35:00Z']) {
      await time.advanceTo(at(stop), [s])
      for (const r of started) finish(r.upid)
    }
    // 02:30 CEST = 00:30 UTC; the second 02:30 (CET, 01:30 UTC) does not run it again
    expect(started.map((r) => r.at)).toEqual(['00:30'])
    await s.stop()
  })
})
