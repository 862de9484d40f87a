/**
 * `pbs.import` on the edge cases of a PBS host's files, in-process on a temporary home: keys that
 * come without their other half or do not check out, inventory entries that clash with tapes this
 * home knows, catalogs that belong to nobody or to another media set, job states that do not map.
 * Each is skipped with its reason and the rest is imported; a dry run writes nothing.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ApiResult } from '../../main/core/api/contract'
import {
  createKeyConfig,
  keyFingerprint,
  serializeKeyConfig
} from '../../main/core/crypto/key-config'
import { TapeKeyStore } from '../../main/core/crypto/tape-keys'
import { CatalogStore } from '../../main/core/media/catalog-store'
import { Inventory } from '../../main/core/media/inventory'
import { catalogBytes, snapshotArchive } from '../helpers/pbs-catalog'
import { tempCore, tempDir } from '../helpers/temp'

type Report = ApiResult<'pbs.import'>

const SET = '9da37e5c-1f40-4a4c-9b8a-7c2f0e0a0001'
const OTHER_SET = '9da37e5c-1f40-4a4c-9b8a-7c2f0e0a0002'
const uuid = (n: number) => `7f42c1a0-0000-4000-8000-${String(n).padStart(12, '0')}`
const NIL = '00000000-0000-0000-0000-000000000000'

let core: Awaited<ReturnType<typeof tempCore>>
let host: Awaited<ReturnType<typeof tempDir>>
const etc = (...p: string[]) => join(host.path, 'etc', ...p)
const state = (...p: string[]) => join(host.path, 'var', ...p)

const run = (dryRun = false): Promise<Report> =>
  core.api.invoke('pbs.import', { configDir: etc(), stateDir: state(), dryRun })

const item = (report: Report, kind: string, name: string) =>
  report.items.find((i) => i.kind === kind && i.name === name)

function tape(n: number, label: string, set?: { uuid: string; seq: number }, extra = {}) {
  return {
    id: {
      label: { ctime: 1700000000 + n, label_text: label, pool: 'daily', uuid: uuid(n) },
      ...(set && {
        media_set_label: { ctime: 1700001000 + n, pool: 'daily', seq_nr: set.seq, uuid: set.uuid }
      })
    },
    ...extra
  }
}

beforeEach(async () => {
  core = await tempCore()
  host = await tempDir('tapedeck-pbs-host-')
  await mkdir(etc(), { recursive: true })
  await mkdir(state('tape'), { recursive: true })
  await mkdir(state('jobstates'), { recursive: true })
})

afterEach(async () => {
  await core?.cleanup()
  await host?.remove()
})

describe('pbs.import edge cases', () => {
  it('imports key pairs and skips keys missing a half or not matching their fingerprint', async () => {
    const keys = [1, 2, 3, 4].map((n) => Buffer.alloc(32, n))
    const fps = keys.map((k) => keyFingerprint(k))
    const config = async (k: Buffer) =>
      serializeKeyConfig(
        await createKeyConfig(k, { password: 'secret pw', kdf: 'pbkdf2', hint: 'h' })
      )
    // 0: pair; 1: plain only; 2: config only; 3: plain entry under a wrong fingerprint
    await writeFile(
      etc('tape-encryption-keys.json'),
      JSON.stringify([
        { fingerprint: fps[0], key: keys[0]!.toString('hex') },
        { fingerprint: fps[1], key: keys[1]!.toString('hex') },
        { fingerprint: fps[0]!.replace(/^../, 'ff'), key: keys[3]!.toString('hex') }
      ])
    )
    await writeFile(
      etc('tape-encryption-key-config.json'),
      JSON.stringify([await config(keys[0]!), await config(keys[2]!)])
    )
    const report = await run()
    expect(item(report, 'key', fps[0]!)?.action).toBe('imported')
    expect(item(report, 'key', fps[1]!)).toMatchObject({
      action: 'skipped',
      reason: expect.stringContaining('no password-protected config')
    })
    expect(item(report, 'key', fps[2]!)).toMatchObject({
      action: 'skipped',
      reason: expect.stringContaining('no plain copy')
    })
    expect(report.items.find((i) => i.reason?.includes('does not match its key'))).toBeDefined()
    const store = new TapeKeyStore(core.home)
    expect((await store.plainKey(fps[0]!))?.equals(keys[0]!)).toBe(true)
    expect((await store.list()).map((k) => k.fingerprint)).toEqual([fps[0]])
    expect(JSON.stringify(report)).not.toMatch(/0101010101010101/)
  })

  it('takes over tapes, keeps this home’s tapes, and skips entries that clash', async () => {
    const inventory = new Inventory(core.db)
    // here already: tape 2 in another media set, and label TAPE03 on another tape
    await inventory.store({
      label: { uuid: uuid(2), labelText: 'TAPE02', ctime: 1 },
      mediaSet: { uuid: OTHER_SET, seqNr: 0, ctime: 5, pool: 'daily' }
    })
    await inventory.store({ label: { uuid: uuid(99), labelText: 'TAPE03', ctime: 1 } })
    await writeFile(
      state('tape', 'inventory.json'),
      JSON.stringify([
        tape(1, 'TAPE01', { uuid: SET, seq: 0 }, { status: 'full', location: 'vault-bunker' }),
        tape(2, 'TAPE02', { uuid: SET, seq: 1 }),
        tape(3, 'TAPE03'),
        { id: { label: { ctime: 1, uuid: uuid(4) } } },
        // labelled for a pool, not yet written: PBS's all-zero set label carries the pool
        {
          id: {
            label: { ctime: 1, label_text: 'TAPE05', uuid: uuid(5) },
            media_set_label: { ctime: 0, pool: 'weekly', seq_nr: 0, uuid: NIL }
          }
        },
        tape(6, 'TAPE06', { uuid: OTHER_SET, seq: 1 })
      ])
    )
    const dry = await run(true)
    expect(await inventory.list()).toHaveLength(2)
    const report = await run()
    expect(report.items).toEqual(dry.items)
    expect(item(report, 'media', 'TAPE01')?.action).toBe('imported')
    expect(item(report, 'media', 'TAPE02')).toMatchObject({
      action: 'skipped',
      reason: `here it is in media set ${OTHER_SET} seq 0, on the PBS host in media set ${SET} seq 1`
    })
    expect(item(report, 'media', 'TAPE03')).toMatchObject({
      action: 'skipped',
      reason: `label text 'TAPE03' is used here by another tape (${uuid(99)})`
    })
    expect(item(report, 'media', 'entry 4')).toMatchObject({
      action: 'skipped',
      reason: expect.stringContaining('id.label.label_text')
    })
    expect(item(report, 'media-set', SET)?.action).toBe('imported')
    expect(item(report, 'media-set', OTHER_SET)).toMatchObject({
      action: 'present',
      reason: 'media set already known here'
    })
    expect(await inventory.findByLabelText('TAPE01')).toMatchObject({
      'media-set-uuid': SET,
      'seq-nr': 0,
      'media-set-ctime': 1700001001,
      status: 'full',
      location: 'vault-bunker'
    })
    const free = await inventory.findByLabelText('TAPE05')
    expect(free).toMatchObject({ pool: 'weekly' })
    expect(free?.['media-set-uuid']).toBeUndefined()
  })

  it('skips catalogs of unknown tapes, of another media set, and with bad names', async () => {
    await writeFile(
      state('tape', 'inventory.json'),
      JSON.stringify([
        tape(1, 'TAPE01', { uuid: SET, seq: 0 }),
        tape(2, 'TAPE02', { uuid: SET, seq: 1 })
      ])
    )
    const snap = (n: number) => [
      snapshotArchive(uuid(50 + n), 2, 'store1', `vm/10${n}/2025-01-0${n}T00:00:00Z`)
    ]
    await writeFile(
      state('tape', `${uuid(1)}.log`),
      await catalogBytes(uuid(1), { uuid: SET, seqNr: 0 }, snap(1))
    )
    await writeFile(
      state('tape', `${uuid(2)}.log`),
      await catalogBytes(uuid(2), { uuid: OTHER_SET, seqNr: 1 }, snap(2))
    )
    await writeFile(
      state('tape', `${uuid(7)}.log`),
      await catalogBytes(uuid(7), { uuid: SET, seqNr: 2 })
    )
    await writeFile(state('tape', 'notes.log'), 'x')
    const report = await run()
    expect(item(report, 'catalog', 'TAPE01')?.action).toBe('imported')
    expect(item(report, 'catalog', 'TAPE02')).toMatchObject({
      action: 'skipped',
      reason: expect.stringContaining(`${uuid(2)}.log`)
    })
    expect(item(report, 'catalog', uuid(7))).toMatchObject({
      action: 'skipped',
      reason: "the tape is not in the PBS host's inventory.json"
    })
    expect(item(report, 'catalog', 'notes')).toMatchObject({
      action: 'skipped',
      reason: 'not named after a media uuid'
    })
    const content = await new CatalogStore(core.db).mediaContent()
    expect(content.map((c) => [c['label-text'], c.snapshot])).toEqual([
      ['TAPE01', 'vm/101/2025-01-01T00:00:00Z']
    ])
  })

  it('takes over a finished run of a known job only', async () => {
    await writeFile(
      etc('tape-job.cfg'),
      'backup: job1\n\tdrive hh8\n\tpool daily\n\tstore store1\n\nbackup: job2\n\tdrive hh8\n\tpool daily\n\tstore store1\n'
    )
    const upid = 'UPID:pbs:000004F3:00000D2C:00000004:6774A000:tape-backup-job:job1:root@pam:'
    const write = (id: string, value: unknown) =>
      writeFile(state('jobstates', `tape-backup-job-${id}.json`), JSON.stringify(value))
    await write('job1', {
      finished: { upid, state: { Warning: { count: 2, endtime: 1735700000 } }, updated: null }
    })
    await write('job2', { started: { upid } })
    await write('gone', { finished: { upid, state: { OK: { endtime: 1 } } } })
    const report = await run()
    expect(item(report, 'job-state', 'job1')).toMatchObject({
      action: 'imported',
      reason: 'last run WARNINGS: 2'
    })
    expect(item(report, 'job-state', 'job2')).toMatchObject({
      action: 'skipped',
      reason: "the job's state is 'started', only a finished run is taken over"
    })
    expect(item(report, 'job-state', 'gone')).toMatchObject({
      action: 'skipped',
      reason: "no tape backup job 'gone' here"
    })
    const jobs = await core.config.backupJobs.list()
    expect(jobs.find((j) => j.id === 'job1')).toMatchObject({
      'last-run-upid': upid,
      'last-run-state': 'WARNINGS: 2',
      'last-run-endtime': 1735700000
    })
    expect(item(await run(), 'job-state', 'job1')?.action).toBe('present')
  })

  it('names a config file it cannot parse and goes on with the others', async () => {
    await writeFile(etc('tape.cfg'), 'lto: hh8\n\tpath /dev/sg3\n\tspeed fast\n')
    await writeFile(etc('media-pool.cfg'), 'pool: daily\n\tretention 2 weeks\n')
    const report = await run()
    expect(report.items[0]).toMatchObject({
      kind: 'drive',
      action: 'skipped',
      source: etc('tape.cfg'),
      reason: expect.stringContaining("unknown property 'speed'")
    })
    expect(item(report, 'pool', 'daily')?.action).toBe('imported')
  })
})
