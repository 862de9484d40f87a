/**
 * A PBS host built without Tapedeck's code, for the pbs-import tests (integration and e2e): a
 * datastore and a media set on tapes in a PBS virtual-drive directory from the independent Python
 * writers in tests/fixtures, and the host's /etc/proxmox-backup and /var/lib/proxmox-backup
 * written the way PBS writes them — section-config files, the tape key files,
 * `tape/inventory.json` (serde field names, pretty, keys sorted, entries by uuid), the binary media
 * catalogs `tape/<uuid>.log` exactly as the tape writer produced them, `.index` snapshot-list
 * caches and a job state file.
 */
import { spawnSync } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createKeyConfig, serializeKeyConfig } from '../../main/core/crypto/key-config'

const FIXTURES = join(__dirname, '..', 'fixtures')
const DATASTORE_WRITER = join(FIXTURES, 'pbs-datastore', 'write_datastore.py')
const TAPE_WRITER = join(FIXTURES, 'pbs-tape-writer', 'pbs_tape_writer.py')

export const PBS_TAPE_SIZE = 3 * 1024 * 1024
export const PBS_CTIME = 1735689600 // 2025-01-01T00:00:00Z
export const PBS_LABELS = ['PBS001L8', 'PBS002L8', 'PBS003L8', 'PBS004L8', 'PBS005L8']
export const PBS_JOB_UPID =
  'UPID:pbs:000004F3:00000D2C:00000004:6774A000:tape-backup-job:store1\\x3aoffsite\\x3apbsvd\\x3anightly:root@pam:'

/** What the tape writer reports about the media set it wrote. */
export interface PbsTapeSummary {
  'media-set-uuid': string
  tapes: {
    label: string
    uuid: string
    'seq-nr': number | null
    full: boolean
    catalog: string | null
  }[]
  snapshots: { snapshot: string; tape: string }[]
}

/** What the independent datastore writer says it wrote (its --expect file). */
export interface ExpectedDatastore {
  snapshots: {
    ns: string
    'backup-type': string
    'backup-id': string
    'backup-time': string
    files: string[]
    finished?: boolean
  }[]
  chunks: Record<string, string[]>
}

/** A snapshot's path inside its datastore, namespaces included (`ns/a/ns/b/vm/100/<time>`). */
export const snapshotPath = (s: ExpectedDatastore['snapshots'][number]): string =>
  `${
    s.ns
      ? s.ns
          .split('/')
          .map((n) => `ns/${n}/`)
          .join('')
      : ''
  }` + `${s['backup-type']}/${s['backup-id']}/${s['backup-time']}`

/** A blob's payload, decompressed with the zstd CLI (not Tapedeck's decoder) when compressed. */
export function blobPayload(raw: Buffer): Buffer {
  const kind = raw.subarray(0, 8).toString('hex')
  if (kind === '42ab3807be8370a1') return raw.subarray(12)
  if (kind !== '31b958426fb6a37f') throw new Error(`not an unencrypted blob (magic ${kind})`)
  const result = spawnSync('/usr/bin/zstd', ['-q', '-d', '-c'], { input: raw.subarray(12) })
  if (result.status !== 0) throw new Error(`zstd failed: ${result.stderr}`)
  return result.stdout
}

export function python(args: string[]): string {
  const result = spawnSync('/usr/bin/python3', args, { encoding: 'utf8', maxBuffer: 64 << 20 })
  if (result.status !== 0) throw new Error(`${args[0]} failed: ${result.stderr}`)
  return result.stdout
}

/**
 * A datastore `store1` at `source` (its expected content in `expectFile`) backed up by the
 * independent tape writer into the PBS virtual-drive directory `drive`: pool `offsite`, the five
 * PBS_LABELS tapes (the last ones stay unused), every set member with a catalog.
 */
export function writePbsMediaSet(source: string, drive: string, expectFile: string) {
  python([DATASTORE_WRITER, source, '--expect', expectFile, '--chunk-dirs', 'used'])
  return JSON.parse(
    python([
      TAPE_WRITER,
      ...['--datastore', source, '--store-name', 'store1', '--out', drive],
      ...[
        '--pool',
        'offsite',
        '--labels',
        PBS_LABELS.join(','),
        '--tape-size',
        String(PBS_TAPE_SIZE)
      ],
      ...['--ctime', String(PBS_CTIME), '--seed', '21']
    ])
  ) as PbsTapeSummary
}

/** serde_json::to_string_pretty of a value whose maps are sorted (PBS serialises via Value). */
export function pbsJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])])
          )
        : v
  return JSON.stringify(sort(value), null, 2)
}

/** The label JSON of a tape file, read straight out of the virtual-drive file (pretty JSON). */
export async function labelJson(
  drive: string,
  label: string,
  file: number
): Promise<Record<string, unknown>> {
  const raw = await readFile(join(drive, `tapefile-${file}-${label}.json`))
  const start = raw.indexOf('{')
  return JSON.parse(raw.subarray(start, raw.indexOf('\n}', start) + 2).toString()) as Record<
    string,
    unknown
  >
}

/**
 * A PBS host's directories at `host/etc` and `host/var` for the set on the tapes in `drive`: a
 * changer with an LTO drive, the virtual drive `pbsvd` (the tape directory), pools `offsite` and
 * `vault` (encrypted with `key`), the job `nightly` with its run state, the key, the inventory
 * (all tapes online in pbsvd) and the catalogs.
 */
export async function writePbsHost(
  host: string,
  {
    drive,
    summary,
    key,
    fingerprint
  }: {
    drive: string
    summary: PbsTapeSummary
    key: Buffer
    fingerprint: string
  }
): Promise<void> {
  const etc = join(host, 'etc')
  const tape = join(host, 'var', 'tape')
  await mkdir(tape, { recursive: true })
  await mkdir(etc)
  await mkdir(join(host, 'var', 'jobstates'))
  await writeFile(
    join(etc, 'tape.cfg'),
    `changer: sl3\n\texport-slots 14,15,16\n\tpath /dev/tape/by-id/scsi-CJ0JBE0059\n\n` +
      `lto: hh8\n\tchanger sl3\n\tpath /dev/tape/by-id/scsi-10WT065325-sg\n\n` +
      `virtual: pbsvd\n\tmax-size ${PBS_TAPE_SIZE}\n\tpath ${drive}\n`
  )
  await writeFile(
    join(etc, 'media-pool.cfg'),
    `pool: offsite\n\tallocation continue\n\tretention keep\n\n` +
      `pool: vault\n\tallocation mon\n\tencrypt ${fingerprint}\n\tretention 3 weeks\n\ttemplate %Y-%m-%d %H:%M\n`
  )
  await writeFile(
    join(etc, 'tape-job.cfg'),
    `backup: nightly\n\tdrive pbsvd\n\tgroup-filter type:vm\n\tgroup-filter type:ct\n\tpool offsite\n\tschedule daily\n\tstore store1\n`
  )
  const config = serializeKeyConfig(
    await createKeyConfig(key, { password: 'correct horse', kdf: 'pbkdf2', hint: 'the horse' })
  )
  await writeFile(join(etc, 'tape-encryption-key-config.json'), pbsJson([config]))
  await writeFile(
    join(etc, 'tape-encryption-keys.json'),
    pbsJson([{ fingerprint, key: key.toString('hex') }]),
    { mode: 0o600 }
  )

  // inventory.json: Inventory::replace_file — entries in uuid order (BTreeMap), keys sorted
  const entries: unknown[] = []
  for (const t of summary.tapes) {
    const label = await labelJson(drive, t.label, 0)
    const entry: Record<string, unknown> = { id: { label }, location: 'online-pbsvd' }
    if (t['seq-nr'] !== null) {
      ;(entry.id as Record<string, unknown>).media_set_label = await labelJson(drive, t.label, 1)
      if (t.full) entry.status = 'full'
      entry.bytes_used = 1000 + t['seq-nr']
      await writeFile(join(tape, `${t.uuid}.log`), Buffer.from(t.catalog!, 'hex'))
      // the snapshot-list cache: (inode, size, mtime) of the .log, then store:snapshot lines
      const snaps = summary.snapshots
        .filter((s) => s.tape === t.label)
        .map((s) => `store1:${s.snapshot}`)
      await writeFile(
        join(tape, `${t.uuid}.index`),
        ['0000000000000001-0000000000000002-0000000000000003', ...snaps, ''].join('\n')
      )
    }
    entries.push(entry)
  }
  entries.sort((a, b) => {
    const uuid = (e: unknown) => (e as { id: { label: { uuid: string } } }).id.label.uuid
    return uuid(a) < uuid(b) ? -1 : 1
  })
  await writeFile(join(tape, 'inventory.json'), pbsJson(entries))
  await writeFile(join(tape, '.inventory.lck'), '')
  // JobState::Finished { upid, state: TaskState::OK { endtime }, updated: None } (serde_json::to_string)
  await writeFile(
    join(host, 'var', 'jobstates', 'tape-backup-job-nightly.json'),
    JSON.stringify({
      finished: { upid: PBS_JOB_UPID, state: { OK: { endtime: PBS_CTIME + 3600 } }, updated: null }
    })
  )
}
