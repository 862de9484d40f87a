import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { TaskState } from '../../../main/core/api/contract'
import { openDatabase, type Db } from '../../../main/core/db/connection'
import {
  JobStateStore,
  lastRunFields,
  lastRunTime,
  nextRunTime,
  type JobRunState
} from '../../../main/core/jobs/job-state'
import { formatUpid } from '../../../main/core/jobs/upid'
import { parseCalendarEvent } from '../../../main/core/media/calendar-event'

const at = (iso: string) => Date.parse(iso) / 1000
const iso = (epoch: number | null) => (epoch === null ? null : new Date(epoch * 1000).toISOString())
const next = (schedule: string, run: JobRunState, zone = 'UTC') =>
  iso(nextRunTime(parseCalendarEvent(schedule), run, zone))

describe('next run (PBS last_run_time + compute_next_event)', () => {
  it('counts a job that never ran from its creation', () => {
    const run: JobRunState = { state: 'created', time: at('2026-11-27T15:00:00Z') }
    expect(next('daily', run)).toBe('2026-11-28T00:00:00.000Z')
    expect(next('mon..fri 22:00', run)).toBe('2026-11-27T22:00:00.000Z')
    // a time that passed already today counts from tomorrow
    expect(next('14:00', run)).toBe('2026-11-28T14:00:00.000Z')
  })

  it('counts from the start of the last run, or from a later schedule change', () => {
    const started: JobRunState = {
      state: 'started',
      upid: 'x',
      starttime: at('2026-11-27T02:00:00Z')
    }
    expect(next('02:00', started)).toBe('2026-11-28T02:00:00.000Z')
    const finished: JobRunState = {
      state: 'finished',
      starttime: at('2026-11-27T02:00:00Z'),
      endtime: at('2026-11-27T05:00:00Z'),
      status: 'OK'
    }
    // the start, not the end: an hourly job that ran for three hours is due at once
    expect(next('hourly', finished)).toBe('2026-11-27T03:00:00.000Z')
    const changed = { ...finished, updated: at('2026-11-27T12:34:00Z') }
    expect(lastRunTime(changed)).toBe(at('2026-11-27T12:34:00Z'))
    expect(next('hourly', changed)).toBe('2026-11-27T13:00:00.000Z')
  })

  it('follows systemd across daylight saving time (Europe/Berlin)', () => {
    // 02:30 does not exist on 2026-03-29: that day is skipped
    const spring: JobRunState = { state: 'created', time: at('2026-03-28T01:30:00Z') }
    expect(next('02:30', spring, 'Europe/Berlin')).toBe('2026-03-30T00:30:00.000Z')
    // 02:30 happens twice on 2026-10-25: only the first one counts
    const fall: JobRunState = { state: 'created', time: at('2026-10-24T00:30:00Z') }
    expect(next('02:30', fall, 'Europe/Berlin')).toBe('2026-10-25T00:30:00.000Z')
    const afterFirst: JobRunState = {
      state: 'started',
      starttime: at('2026-10-25T00:30:00Z')
    }
    expect(next('02:30', afterFirst, 'Europe/Berlin')).toBe('2026-10-26T01:30:00.000Z')
    // a day is 25 hours long there
    const midnight: JobRunState = { state: 'created', time: at('2026-10-24T22:00:00Z') }
    expect(next('daily', midnight, 'Europe/Berlin')).toBe('2026-10-25T23:00:00.000Z')
  })

  it('lists last-run fields as PBS JobScheduleStatus does', () => {
    expect(lastRunFields({ state: 'created', time: 1 })).toEqual({})
    expect(lastRunFields({ state: 'started', upid: 'U', starttime: 1 })).toEqual({
      'last-run-upid': 'U'
    })
    expect(
      lastRunFields({ state: 'finished', upid: 'U', starttime: 1, endtime: 9, status: 'OK' })
    ).toEqual({ 'last-run-upid': 'U', 'last-run-state': 'OK', 'last-run-endtime': 9 })
  })
})

describe('JobStateStore', () => {
  let db: Db
  let now: number
  const tasks = new Map<string, { state: TaskState; status?: string; endtime?: number }>()
  let store: JobStateStore
  const upidAt = (starttime: number, nr = 0) =>
    formatUpid({
      node: 'test',
      pid: 1,
      pstart: 0,
      taskNr: nr,
      starttime,
      workerType: 'tape-backup-job',
      workerId: 'job1',
      user: 'root@pam'
    })

  beforeEach(async () => {
    db = await openDatabase(':memory:')
    now = at('2026-11-27T12:00:00Z')
    tasks.clear()
    store = new JobStateStore(
      db,
      async (upid) => tasks.get(upid),
      () => now
    )
  })
  afterEach(async () => {
    await db.destroy()
  })

  it('reads a job without state as created 30 seconds ago (as PBS)', async () => {
    expect(await store.load('job1')).toEqual({
      run: { state: 'created', time: now - 30 },
      version: undefined
    })
  })

  it('records creation, start and end of a run', async () => {
    await store.create('job1')
    expect((await store.load('job1')).run).toEqual({ state: 'created', time: now })

    const upid = upidAt(now + 60)
    now += 65
    tasks.set(upid, { state: 'running' })
    await store.recordStart('job1', upid)
    expect((await store.load('job1')).run).toEqual({
      state: 'started',
      upid,
      starttime: now - 5 // the UPID's start time
    })

    tasks.set(upid, { state: 'warning', status: 'WARNINGS: 2', endtime: now + 100 })
    const finished = {
      state: 'finished',
      upid,
      starttime: now - 5,
      status: 'WARNINGS: 2',
      endtime: now + 100
    }
    expect((await store.load('job1')).run).toEqual(finished)
    // the end is stored: it survives the task record going away
    tasks.clear()
    expect((await store.load('job1')).run).toEqual(finished)
  })

  it('reads a run whose task is gone as unknown', async () => {
    await store.recordStart('job1', upidAt(now - 100))
    expect((await store.load('job1')).run).toMatchObject({ state: 'finished', status: 'unknown' })
  })

  it('counts from a schedule change, unless the job is running', async () => {
    await store.create('job1')
    now += 1000
    await store.scheduleChanged('job1')
    expect((await store.load('job1')).run).toEqual({ state: 'created', time: now })

    const upid = upidAt(now)
    tasks.set(upid, { state: 'running' })
    await store.recordStart('job1', upid)
    now += 1000
    await store.scheduleChanged('job1')
    expect((await store.load('job1')).run).toMatchObject({
      state: 'started',
      starttime: now - 1000
    })

    tasks.set(upid, { state: 'ok', status: 'OK', endtime: now - 500 })
    await store.scheduleChanged('job1')
    const { run } = await store.load('job1')
    expect(run).toMatchObject({ state: 'finished', updated: now })
    expect(lastRunTime(run)).toBe(now)
  })

  it('lets only one of two schedulers claim a run', async () => {
    await store.create('job1')
    const { version } = await store.load('job1')
    expect(await store.claim('job1', version)).toBe(true)
    expect(await store.claim('job1', version)).toBe(false)
    // a job without any state is claimed once as well
    expect(await store.claim('job2', undefined)).toBe(true)
    expect(await store.claim('job2', undefined)).toBe(false)
    expect((await store.load('job2')).run).toEqual({ state: 'started', starttime: now })
  })

  it('records a run that could not start as a failed run', async () => {
    await store.create('job1')
    expect(await store.claim('job1', (await store.load('job1')).version)).toBe(true)
    await store.recordFailure('job1', 'drive hh8 does not exist')
    expect((await store.load('job1')).run).toEqual({
      state: 'finished',
      starttime: now,
      endtime: now,
      status: 'drive hh8 does not exist'
    })
  })

  it('gives up a claim whose scheduler died before the task started', async () => {
    await store.claim('job1', undefined)
    now += 601
    expect((await store.load('job1')).run).toMatchObject({
      state: 'finished',
      status: expect.stringMatching(/^unknown/)
    })
  })

  it('forgets a removed job', async () => {
    await store.create('job1')
    await store.remove('job1')
    expect((await store.load('job1')).version).toBeUndefined()
  })
})
