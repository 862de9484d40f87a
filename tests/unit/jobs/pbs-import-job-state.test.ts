import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../main/core/db/connection'
import { JobStateStore, nextRunTime } from '../../../main/core/jobs/job-state'
import { formatUpid } from '../../../main/core/jobs/upid'
import { parseCalendarEvent } from '../../../main/core/media/calendar-event'
import { importJobStates } from '../../../main/core/operations/pbs-import/job-state'
import { ImportLog } from '../../../main/core/operations/pbs-import/report'

const at = (iso: string) => Date.parse(iso) / 1000
const iso = (epoch: number | null) => (epoch === null ? null : new Date(epoch * 1000).toISOString())

describe('pbs-import of tape backup job states', () => {
  let db: Db
  let dir: string
  let store: JobStateStore

  beforeEach(async () => {
    db = await openDatabase(':memory:')
    dir = await mkdtemp(join(tmpdir(), 'tapedeck-jobstates-'))
    await mkdir(join(dir, 'jobstates'))
    store = new JobStateStore(
      db,
      async () => undefined,
      () => at('2026-11-27T12:40:00Z')
    )
  })
  afterEach(async () => {
    await db.destroy()
    await rm(dir, { recursive: true, force: true })
  })

  /** A run from 02:00 to 05:00 UTC, as PBS writes the file (serde_json, one line). */
  async function writeState(job: string, updated: number | null): Promise<string> {
    const upid = formatUpid({
      node: 'pbs',
      pid: 0x4f3,
      pstart: 0xd2c,
      taskNr: 4,
      starttime: at('2026-11-27T02:00:00Z'),
      workerType: 'tape-backup-job',
      workerId: job,
      user: 'root@pam'
    })
    const endtime = at('2026-11-27T05:00:00Z')
    await writeFile(
      join(dir, 'jobstates', `tape-backup-job-${job}.json`),
      `{"finished":{"upid":"${upid}","state":{"OK":{"endtime":${endtime}}},"updated":${updated}}}`
    )
    return upid
  }

  const nextHourly = async (job: string) =>
    iso(nextRunTime(parseCalendarEvent('hourly'), (await store.load(job)).run, 'UTC'))

  it("counts the next run from PBS's `updated` (schedule changed after the run), else from the start", async () => {
    const changedUpid = await writeState('changed', at('2026-11-27T12:34:00Z'))
    await writeState('unchanged', null)
    const log = new ImportLog()
    await importJobStates(store, new Set(['changed', 'unchanged']), dir, false, log)
    expect(log.items.map((i) => [i.name, i.action, i.reason])).toEqual([
      ['changed', 'imported', 'last run OK'],
      ['unchanged', 'imported', 'last run OK']
    ])

    expect((await store.load('changed')).run).toEqual({
      state: 'finished',
      upid: changedUpid,
      starttime: at('2026-11-27T02:00:00Z'),
      status: 'OK',
      endtime: at('2026-11-27T05:00:00Z'),
      updated: at('2026-11-27T12:34:00Z')
    })
    // PBS last_run_time: `updated` when set, else the UPID's start time
    expect(await nextHourly('changed')).toBe('2026-11-27T13:00:00.000Z')
    expect(await nextHourly('unchanged')).toBe('2026-11-27T03:00:00.000Z')
  })
})
