/**
 * `tapedeck pbs-import`: a workstation takes over a PBS host's tape state and uses it before
 * reading any tape.
 *
 * The PBS side is built without Tapedeck's code (tests/helpers/pbs-host.ts): the datastore and
 * the tapes (a PBS virtual-drive directory) come from the independent Python writers in
 * tests/fixtures, and the PBS host's directories are written the way PBS writes them.
 *
 * Then, in fresh homes: a dry run changes nothing; the import takes everything over; `media
 * content` lists every snapshot of the set while the tape directory is moved away; a selective
 * restore through the imported `virtual:` drive is identical to the source; a second run imports
 * nothing; conflicts and a damaged catalog are skipped with their reasons; the PBS directories
 * are byte- and mtime-identical at the end.
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { cp, lstat, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keyFingerprint } from '../../main/core/crypto/key-config'
import { tapedeck } from '../helpers/cli'
import {
  PBS_CTIME,
  PBS_JOB_UPID,
  PBS_LABELS,
  blobPayload,
  labelJson,
  snapshotPath,
  writePbsHost,
  writePbsMediaSet,
  type ExpectedDatastore,
  type PbsTapeSummary
} from '../helpers/pbs-host'
import { tempDir } from '../helpers/temp'

type Expected = ExpectedDatastore
interface Item {
  kind: string
  name: string
  action: 'imported' | 'present' | 'skipped'
  source: string
  reason?: string
}
interface Report {
  'dry-run': boolean
  items: Item[]
  notes: string[]
  summary: { imported: number; present: number; skipped: number }
}

let work: Awaited<ReturnType<typeof tempDir>>
const at = (...parts: string[]) => join(work.path, ...parts)
let summary: PbsTapeSummary
let expected: Expected
let key: Buffer
let fingerprint: string

function cli(home: string, ...args: string[]) {
  const result = tapedeck(at(home), ['--output-format', 'json', ...args], {}, 120_000)
  return { ...result, log: `${args.join(' ')}\n${result.stdout}\n${result.stderr}` }
}
function ok(home: string, ...args: string[]): string {
  const result = cli(home, ...args)
  expect(result.code, result.log).toBe(0)
  return result.stdout
}
const json = <T>(home: string, ...args: string[]) => JSON.parse(ok(home, ...args)) as T
const pbsImport = (home: string, host: string, ...extra: string[]) =>
  json<Report>(
    home,
    'pbs-import',
    '--config-dir',
    at(host, 'etc'),
    '--state-dir',
    at(host, 'var'),
    ...extra
  )

/** Every entry under root with its type, mode, size, mtime and content hash. */
async function treeState(root: string): Promise<string[]> {
  const out: string[] = []
  for (const name of await readdir(root, { recursive: true })) {
    const path = join(root, name)
    const info = await lstat(path)
    const hash = info.isFile()
      ? createHash('sha256')
          .update(await readFile(path))
          .digest('hex')
      : '-'
    out.push(
      `${relative(root, path)} ${info.mode.toString(8)} ${info.size} ${info.mtimeMs} ${hash}`
    )
  }
  const self = await lstat(root)
  return [`. ${self.mode.toString(8)} ${self.mtimeMs}`, ...out.sort()]
}

/**
 * The target holds exactly the chosen snapshots and the chunks they use, every file identical to
 * the source; manifests equal but for `unprotected.verify_state`, which a restore drops (as PBS).
 */
async function expectRestored(target: string, snapshots: string[]) {
  const chunks = Object.entries(expected.chunks)
    .filter(([, users]) => users.some((u) => snapshots.includes(u)))
    .map(([hex]) => `.chunks/${hex.slice(0, 4)}/${hex}`)
  const snapshotFiles = expected.snapshots
    .filter((s) => snapshots.includes(snapshotPath(s)))
    .flatMap((s) => s.files.map((f) => `${snapshotPath(s)}/${f}`))
  expect(snapshotFiles.length).toBeGreaterThan(0)
  const present: string[] = []
  for (const e of await readdir(target, { recursive: true, withFileTypes: true })) {
    if (e.isFile() && !/^(\.lock|owner|notes|\.protected)$/.test(e.name)) {
      present.push(relative(target, join(e.parentPath, e.name)))
    }
  }
  expect(present.sort()).toEqual([...chunks, ...snapshotFiles].sort())
  for (const path of [...chunks, ...snapshotFiles]) {
    const got = await readFile(join(target, path))
    const want = await readFile(at('source', path))
    if (!path.endsWith('/index.json.blob')) {
      expect(got.equals(want), path).toBe(true)
      continue
    }
    const manifest = JSON.parse(blobPayload(want).toString()) as {
      unprotected: Record<string, unknown>
    }
    delete manifest.unprotected.verify_state
    expect(JSON.parse(blobPayload(got).toString()), path).toEqual(manifest)
  }
}

const byKind = (report: Report, kind: string) =>
  report.items.filter((i) => i.kind === kind).map((i) => [i.name, i.action])

let hostBefore: string[]

beforeAll(async () => {
  work = await tempDir('tapedeck-pbs-import-')
  summary = writePbsMediaSet(at('source'), at('drive'), at('expected.json'))
  expected = JSON.parse(await readFile(at('expected.json'), 'utf8')) as Expected
  key = createHash('sha256').update('pbs-import test key').digest()
  fingerprint = keyFingerprint(key)
  await writePbsHost(at('host'), { drive: at('drive'), summary, key, fingerprint })
  hostBefore = await treeState(at('host'))
}, 120_000)

afterAll(() => work?.remove(), 60_000)

describe('pbs-import of a PBS host', () => {
  it('the fixture is a real media set: several tapes, every one with a catalog', () => {
    const members = summary.tapes.filter((t) => t['seq-nr'] !== null)
    expect(members.length).toBeGreaterThanOrEqual(2)
    expect(summary.tapes.length).toBeGreaterThan(members.length) // an unused, labelled tape too
    expect(members.every((t) => t.catalog)).toBe(true)
  })

  it('--dry-run reports everything it would import and changes nothing', () => {
    const report = pbsImport('fresh', 'host', '--dry-run')
    expect(report['dry-run']).toBe(true)
    expect(report.summary.skipped).toBe(0)
    expect(report.items.every((i) => i.action === 'imported')).toBe(true)
    expect(
      byKind(report, 'media')
        .map(([n]) => n)
        .sort()
    ).toEqual(PBS_LABELS)
    expect(json<unknown[]>('fresh', 'media', 'list')).toEqual([])
    expect(json<unknown[]>('fresh', 'drive', 'list')).toEqual([])
    expect(json<unknown[]>('fresh', 'key', 'list')).toEqual([])
    expect(existsSync(at('fresh', 'tape.cfg'))).toBe(false)
  })

  it('imports config files, keys, inventory, catalogs and job state', async () => {
    const report = pbsImport('fresh', 'host')
    expect(report.summary.skipped, JSON.stringify(report.items, null, 1)).toBe(0)
    expect(byKind(report, 'drive')).toEqual([
      ['hh8', 'imported'],
      ['pbsvd', 'imported']
    ])
    expect(byKind(report, 'changer')).toEqual([['sl3', 'imported']])
    expect(byKind(report, 'pool')).toEqual([
      ['offsite', 'imported'],
      ['vault', 'imported']
    ])
    expect(byKind(report, 'backup-job')).toEqual([['nightly', 'imported']])
    expect(byKind(report, 'key')).toEqual([[fingerprint, 'imported']])
    expect(byKind(report, 'media-set')).toEqual([[summary['media-set-uuid'], 'imported']])
    const members = summary.tapes.filter((t) => t['seq-nr'] !== null)
    expect(byKind(report, 'catalog').sort()).toEqual(members.map((t) => [t.label, 'imported']))
    expect(byKind(report, 'job-state')).toEqual([['nightly', 'imported']])
    expect(report.notes.join('\n')).toContain('.index')
    // Key material is never part of a report.
    expect(JSON.stringify(report)).not.toContain(key.toString('hex'))

    // The sections are PBS's, byte for byte (PBS writes keys sorted, as Tapedeck does).
    expect(await readFile(at('fresh', 'tape.cfg'), 'utf8')).toBe(
      await readFile(at('host', 'etc', 'tape.cfg'), 'utf8')
    )
    expect(await readFile(at('fresh', 'tape-job.cfg'), 'utf8')).toBe(
      await readFile(at('host', 'etc', 'tape-job.cfg'), 'utf8')
    )
    expect(json<{ fingerprint: string; storage: string }[]>('fresh', 'key', 'list')).toMatchObject([
      { fingerprint, storage: 'file', hint: 'the horse' }
    ])

    const media = json<Record<string, unknown>[]>('fresh', 'media', 'list')
    for (const t of summary.tapes) {
      const entry = media.find((m) => m['label-text'] === t.label)!
      const setLabel = t['seq-nr'] === null ? undefined : await labelJson(at('drive'), t.label, 1)
      expect(entry).toMatchObject({ uuid: t.uuid, pool: 'offsite', location: 'online-pbsvd' })
      expect(entry['media-set-uuid']).toBe(setLabel?.uuid)
      expect(entry['seq-nr']).toBe(setLabel?.seq_nr)
      expect(entry['media-set-ctime']).toBe(setLabel?.ctime)
      expect(entry.status).toBe(t.full ? 'full' : undefined)
      expect(entry['bytes-used']).toBe(t['seq-nr'] === null ? undefined : 1000 + t['seq-nr'])
    }

    const [job] = json<Record<string, unknown>[]>('fresh', 'backup-job', 'list')
    expect(job).toMatchObject({
      id: 'nightly',
      'last-run-upid': PBS_JOB_UPID,
      'last-run-state': 'OK',
      'last-run-endtime': PBS_CTIME + 3600
    })
  })

  it('media content lists every snapshot of the set without any tape', async () => {
    // The tapes are out of reach: the answer can only come from the imported catalogs.
    await rename(at('drive'), at('drive.away'))
    try {
      const content = json<Record<string, unknown>[]>('fresh', 'media', 'content')
      expect(content.map((c) => [c['label-text'], c.store, c.snapshot]).sort()).toEqual(
        summary.snapshots.map((s) => [s.tape, 'store1', s.snapshot]).sort()
      )
      for (const c of content) {
        expect(c).toMatchObject({ 'media-set-uuid': summary['media-set-uuid'], pool: 'offsite' })
      }
    } finally {
      await rename(at('drive.away'), at('drive'))
    }
  })

  it(
    'restores chosen snapshots through the imported catalogs and drive, identical to the source',
    { timeout: 180_000 },
    async () => {
      const chosen = [summary.snapshots[0]!.snapshot, summary.snapshots.at(-1)!.snapshot]
      await mkdir(at('chosen', '.chunks'), { recursive: true })
      await writeFile(at('chosen', '.lock'), '')
      ok('fresh', 'datastore', 'add', 'chosen', '--path', at('chosen'))
      const restore = cli(
        'fresh',
        'restore',
        summary['media-set-uuid'],
        'store1=chosen',
        '--drive',
        'pbsvd',
        ...chosen.map((s) => `store1:${s}`)
      )
      expect(restore.code, restore.log).toBe(0)
      await expectRestored(at('chosen'), chosen)
    }
  )

  it('a second run imports nothing and changes nothing', async () => {
    const files = ['tape.cfg', 'media-pool.cfg', 'tape-job.cfg', 'tape-encryption-keys.json']
    const before = await Promise.all(files.map((f) => readFile(at('fresh', f), 'utf8')))
    const report = pbsImport('fresh', 'host')
    expect(report.summary.imported).toBe(0)
    expect(report.summary.skipped).toBe(0)
    expect(report.items.every((i) => i.action === 'present')).toBe(true)
    expect(await Promise.all(files.map((f) => readFile(at('fresh', f), 'utf8')))).toEqual(before)
  })

  it('skips what conflicts or is damaged, saying why, and imports the rest', async () => {
    await cp(at('host'), at('host2'), { recursive: true })
    const first = summary.tapes.find((t) => t['seq-nr'] === 0)!
    const log = Buffer.from(first.catalog!, 'hex')
    await writeFile(
      at('host2', 'var', 'tape', `${first.uuid}.log`),
      log.subarray(0, log.length - 5)
    )
    await mkdir(at('conflict'))
    await writeFile(at('conflict', 'tape.cfg'), 'lto: hh8\n\tpath /dev/sg7\n')
    await writeFile(at('conflict', 'media-pool.cfg'), 'pool: offsite\n\tretention 1 week\n')

    const report = pbsImport('conflict', 'host2')
    const skipped = report.items.filter((i) => i.action === 'skipped')
    expect(skipped.map((i) => [i.kind, i.name])).toEqual([
      ['drive', 'hh8'],
      ['pool', 'offsite'],
      ['catalog', first.label]
    ])
    expect(skipped[0]!.reason).toContain(
      'path "/dev/sg7" here, "/dev/tape/by-id/scsi-10WT065325-sg" on the PBS host'
    )
    expect(skipped[1]!.reason).toContain('retention "1 week" here, "keep" on the PBS host')
    const damaged = skipped[2]!.reason!
    expect(damaged).toContain(at('host2', 'var', 'tape', `${first.uuid}.log`))
    expect(damaged).toMatch(/truncated inside a '.' record at offset \d+/)
    expect(await readFile(at('conflict', 'tape.cfg'), 'utf8')).toContain(
      'lto: hh8\n\tpath /dev/sg7\n'
    )

    // the text form: one table row per item and the totals
    const text = tapedeck(at('conflict'), [
      'pbs-import',
      '--config-dir',
      at('host2', 'etc'),
      '--state-dir',
      at('host2', 'var')
    ])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(
      /│ drive +│ hh8 +│ skipped │ already exists with different settings/
    )
    expect(text.stdout).toMatch(/0 imported, \d+ already present, 3 skipped/)
  })

  it('refuses directories that do not exist, naming them', () => {
    const result = cli(
      'fresh',
      'pbs-import',
      '--config-dir',
      at('nowhere'),
      '--state-dir',
      at('host', 'var')
    )
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain(`PBS config directory ${at('nowhere')} is not a directory`)
  })

  it('left the PBS host directories exactly as they were (content, modes, mtimes)', async () => {
    expect(await treeState(at('host'))).toEqual(hostBefore)
  })
})
