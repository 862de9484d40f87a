/**
 * The demo datastore: a realistic, byte-for-byte reproducible PBS datastore for trying Tapedeck
 * without a backup server — VMs with fixed-index disks, containers and hosts with pxar archives in
 * dynamic indexes, several daily snapshots per group that share most of their chunks, owners,
 * notes, a protected snapshot and optionally namespaces. The same spec always gives the same
 * bytes: all data comes from DemoRandom keyed by the seed, all times from a fixed base date.
 */
import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PxarDirEncoder } from '../format/pxar-encoder'
import { utf8 } from '../format/pretty-json'
import { encodeBlob } from './blob'
import { buildDynamicIndex, buildFixedIndex } from './chunk-index'
import { ContentChunker } from './content-chunker'
import { ArchiveModel, type ArchiveKind } from './demo-archive'
import { pctConf, qemuServerConf } from './demo-content'
import { DiskModel, FIXED_CHUNK_SIZE } from './demo-disk'
import { DemoRandom } from './demo-random'
import { createDatastore, DatastoreWriter } from './datastore-writer'
import { NOTES_FILE, epochToBackupTime, groupDir, snapshotName, type BackupType } from './layout'
import {
  CLIENT_LOG_BLOB_NAME,
  encodeManifestBlob,
  type Manifest,
  type ManifestFile
} from './manifest'
import { zstdReady } from './zstd'

const MiB = 1024 * 1024

export interface DemoSpec {
  seed: number
  vms: number
  cts: number
  hosts: number
  /** Snapshots per group, one a day. */
  snapshots: number
  /** Bytes per VM disk. */
  diskSize: number
  /** Spread the groups over the root namespace, `prod`, `prod/db` and `dev`. */
  namespaces: boolean
}

export const DEMO_DEFAULTS: DemoSpec = {
  seed: 1,
  vms: 2,
  cts: 1,
  hosts: 1,
  snapshots: 3,
  diskSize: 64 * MiB,
  namespaces: false
}

/** `done` and `total` count bytes of source data (disk images and archived files). */
export interface DemoProgress {
  done: number
  total: number
  message: string
}

export interface DemoHooks {
  progress?(p: DemoProgress): void
  signal?: AbortSignal
  log?(line: string): void
  /** 'on-demand' skips making the 65 536 chunk directories up front (tests); default 'all'. */
  prefixDirs?: 'all' | 'on-demand'
}

export interface DemoResult {
  snapshots: number
  /** Distinct chunks in the store and the bytes their blob files take. */
  chunks: number
  chunkBytes: number
  /** Sum of the image/archive sizes over all snapshots (what the indexes describe). */
  logicalBytes: number
}

/** The newest snapshots are taken on this day; older ones a day apart before it. */
export const DEMO_BASE_TIME = Date.UTC(2026, 0, 31, 2, 0, 0) / 1000
export const DEMO_NAMESPACES: readonly (readonly string[])[] = [
  [],
  ['prod'],
  ['prod', 'db'],
  ['dev']
]

const VM_NAMES = [
  'webshop',
  'gitlab',
  'db-primary',
  'mail',
  'monitoring',
  'ci-runner',
  'dc01',
  'fileserver'
]
const CT_NAMES = ['dns', 'proxy', 'nextcloud', 'wiki', 'mqtt', 'grafana']
const HOST_NAMES = ['web-01', 'db-01', 'mail-01', 'files-01', 'build-01', 'proxy-01']
const MAX_GROUPS_PER_TYPE = 1000

interface GroupPlan {
  ns: string[]
  type: BackupType
  id: string
  /** Guest name or host name. */
  name: string
  owner: string
  /** Snapshot epochs, oldest first. */
  times: number[]
}

interface UploadStats {
  count: number
  size: number
  compressed_size: number
  duplicates: number
}

function validate(spec: DemoSpec): void {
  const count = (name: keyof DemoSpec, min: number, max: number) => {
    const v = spec[name]
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new RangeError(`demo datastore: ${name} must be an integer from ${min} to ${max}`)
    }
  }
  if (!Number.isSafeInteger(spec.seed))
    throw new RangeError('demo datastore: seed must be an integer')
  count('vms', 0, MAX_GROUPS_PER_TYPE)
  count('cts', 0, MAX_GROUPS_PER_TYPE)
  count('hosts', 0, MAX_GROUPS_PER_TYPE)
  count('snapshots', 1, 3650)
  count('diskSize', 1, 2 ** 40)
}

const nameFrom = (list: readonly string[], i: number, prefix: string): string =>
  i < list.length ? list[i] : `${prefix}-${String(i + 1).padStart(2, '0')}`

function planGroups(spec: DemoSpec, seed: string): GroupPlan[] {
  const groups: Omit<GroupPlan, 'ns' | 'times'>[] = []
  for (let i = 0; i < spec.vms; i++) {
    groups.push({
      type: 'vm',
      id: String(100 + i),
      name: nameFrom(VM_NAMES, i, 'vm'),
      owner: 'root@pam'
    })
  }
  // Guest ids are unique across VMs and containers on a PVE cluster.
  const ctBase = Math.max(200, 100 * Math.ceil((100 + spec.vms) / 100))
  for (let i = 0; i < spec.cts; i++) {
    groups.push({
      type: 'ct',
      id: String(ctBase + i),
      name: nameFrom(CT_NAMES, i, 'ct'),
      owner: 'root@pam'
    })
  }
  for (let i = 0; i < spec.hosts; i++) {
    const name = nameFrom(HOST_NAMES, i, 'node')
    groups.push({ type: 'host', id: name, name, owner: 'backup@pbs' })
  }
  return groups.map((g, index) => {
    // One backup job: the groups run one after another, a few minutes each, every night.
    const rng = DemoRandom.fromKey(seed, 'times', g.type, g.id)
    const start = DEMO_BASE_TIME + ((index * 4 * 60) % 43_200)
    const times = Array.from(
      { length: spec.snapshots },
      (_, k) => start - (spec.snapshots - 1 - k) * 86_400 + rng.int(60)
    )
    const ns = spec.namespaces ? [...DEMO_NAMESPACES[index % DEMO_NAMESPACES.length]] : []
    return { ...g, ns, times }
  })
}

/** Archive budget: pxar archives scale with the disk size, within 2..32 MiB for a container. */
const archiveBudget = (spec: DemoSpec): number =>
  Math.min(32 * MiB, Math.max(2 * MiB, Math.round(spec.diskSize / 4)))

function groupArchives(
  spec: DemoSpec,
  seed: string,
  g: GroupPlan
): { file: string; model: ArchiveModel }[] {
  const budget = archiveBudget(spec)
  const make = (file: string, kind: ArchiveKind, size: number) => ({
    file,
    model: new ArchiveModel(`${seed}/${g.type}/${g.id}/${file}`, kind, g.name, size, g.times[0])
  })
  if (g.type === 'ct') return [make('root.pxar.didx', 'ct-root', budget)]
  if (g.type === 'host') {
    return [
      make('etc.pxar.didx', 'host-etc', budget / 8),
      make('home.pxar.didx', 'host-home', budget / 2)
    ]
  }
  return []
}

function abortError(): Error {
  const err = new Error('demo datastore generation was cancelled')
  err.name = 'AbortError'
  return err
}

const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest()

/** Chunk insertion with dedup bookkeeping for the whole run and for one snapshot's upload. */
class ChunkSink {
  /** Digest hex → size of its blob file. */
  private readonly stored = new Map<string, number>()
  chunkBytes = 0

  constructor(private readonly writer: DatastoreWriter) {}

  get chunks(): number {
    return this.stored.size
  }

  /**
   * Stores `data` unless its chunk exists and accounts for it as the backup client would: chunks
   * the previous snapshot's index already had are not uploaded at all; uploaded chunks the server
   * already has count as duplicates.
   */
  async put(data: Uint8Array, digest: Buffer, upload: Upload): Promise<void> {
    const hex = digest.toString('hex')
    let blobSize = this.stored.get(hex)
    const existed = blobSize !== undefined
    if (blobSize === undefined) {
      const blob = encodeBlob(data, { compress: true })
      await this.writer.insertChunk(hex, blob)
      blobSize = blob.length
      this.stored.set(hex, blobSize)
      this.chunkBytes += blobSize
    }
    upload.account(hex, data.length, blobSize, existed)
  }

  /** Accounts for a chunk known to be stored (its data was not regenerated). */
  reuse(hex: string, length: number, upload: Upload): void {
    upload.account(hex, length, this.stored.get(hex) ?? 0, true)
  }
}

class Upload {
  readonly sent = new Set<string>()

  constructor(
    private readonly previous: ReadonlySet<string>,
    readonly stats: UploadStats
  ) {}

  account(hex: string, length: number, blobSize: number, existed: boolean): void {
    if (this.previous.has(hex) || this.sent.has(hex)) return
    this.sent.add(hex)
    this.stats.count++
    this.stats.size += length
    this.stats.compressed_size += blobSize
    if (existed) this.stats.duplicates++
  }
}

/** "512 B", "1.50 KiB", "64.00 MiB", as PBS prints sizes. */
function humanBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(2)} ${units[unit]}`
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** "Sat Jan 31 02:00:00 2026" (UTC), as the backup client prints times. */
function ctimeText(epoch: number): string {
  const d = new Date(epoch * 1000)
  const two = (n: number) => String(n).padStart(2, '0')
  const hms = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`
  return `${WEEKDAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${hms} ${d.getUTCFullYear()}`
}

/** What every part of one run shares: the chunk store, progress and cancellation. */
interface Run {
  spec: DemoSpec
  seed: string
  path: string
  writer: DatastoreWriter
  sink: ChunkSink
  hooks: DemoHooks
  checkAbort(): void
  /** Counts `bytes` of source data as done. */
  advance(bytes: number, message: string): void
}

/** Chunks one VM disk image; unchanged chunks are looked up in `known` instead of generated. */
async function writeDiskChunks(
  run: Run,
  disk: DiskModel,
  known: Map<string, Buffer>,
  upload: Upload,
  message: string
): Promise<{ digests: Buffer[]; generated: number }> {
  const buf = new Uint8Array(Math.min(FIXED_CHUNK_SIZE, disk.size))
  const digests: Buffer[] = []
  let generated = 0
  for (let i = 0; i < disk.count; i++) {
    run.checkAbort()
    const key = disk.chunkKey(i)
    const length = disk.chunkLength(i)
    let digest = known.get(key)
    if (digest) {
      run.sink.reuse(digest.toString('hex'), length, upload)
    } else {
      const data = buf.subarray(0, length)
      disk.fill(i, data)
      digest = sha256(data)
      known.set(key, digest)
      await run.sink.put(data, digest, upload)
      generated++
    }
    digests.push(digest)
    run.advance(length, message)
  }
  return { digests, generated }
}

/** Encodes the archive's current files as pxar and cuts the stream into content-defined chunks. */
async function writePxarChunks(
  run: Run,
  model: ArchiveModel,
  upload: Upload,
  message: string
): Promise<{ end: number; digest: Buffer }[]> {
  const chunker = new ContentChunker()
  const entries: { end: number; digest: Buffer }[] = []
  let end = 0
  const take = async (chunk: Uint8Array) => {
    run.checkAbort()
    const digest = sha256(chunk)
    await run.sink.put(chunk, digest, upload)
    entries.push({ end: (end += chunk.length), digest })
  }
  const encoder = new PxarDirEncoder(async (data) => {
    for (const chunk of chunker.push(data)) await take(chunk)
  })
  await encoder.start(model.rootStat())
  for (const f of model.files()) {
    run.checkAbort()
    await encoder.addFile(f.name, f.stat, f.content.length, f.content)
    run.advance(f.content.length, `${message} ${f.name}`)
  }
  await encoder.finish()
  const last = chunker.finish()
  if (last) await take(last)
  return entries
}

/** Seconds the demo pretends an archive took to back up. */
const backupSeconds = (size: number): number => 0.4 + size / (180 * MiB)

/** The lines `proxmox-backup-client` prints for one uploaded directory archive. */
function archiveLogLines(file: string, size: number, sent: UploadStats): string[] {
  const archive = file.replace(/\.didx$/, '')
  const dir = `/${archive.replace(/\.pxar$/, '')}`
  const took = backupSeconds(size)
  return [
    `Upload directory '${dir}' to 'backup@pbs@pbs.example.lan:store1' as ${file}`,
    `${archive}: had to backup ${humanBytes(sent.size)} of ${humanBytes(size)} (compressed ${humanBytes(sent.compressed_size)}) in ${took.toFixed(2)}s`,
    `${archive}: backup was done incrementally, reused ${humanBytes(size - sent.size)} (${((100 * (size - sent.size)) / size).toFixed(1)}%)`
  ]
}

function clientLogText(g: GroupPlan, k: number, lines: string[], seconds: number): string {
  const epoch = g.times[k]
  return [
    `Starting backup: ${g.type}/${g.id}/${epochToBackupTime(epoch)}`,
    `Client name: ${g.name}`,
    `Starting backup protocol: ${ctimeText(epoch)}`,
    k > 0 ? `Downloading previous manifest (${ctimeText(g.times[k - 1])})` : 'No previous manifest',
    ...lines,
    `Duration: ${seconds.toFixed(2)}s`,
    `End Time: ${ctimeText(epoch + Math.ceil(seconds))}`,
    ''
  ].join('\n')
}

const GROUP_NOTES = (g: GroupPlan) =>
  `${g.name}: production ${g.type === 'vm' ? 'VM' : g.type === 'ct' ? 'container' : 'host'}\n` +
  'Maintained by the ops team (ops@example.com). Keep at least 14 daily backups.\n'

/** Writes all snapshots of one group, oldest first; returns the bytes its indexes describe. */
async function writeGroup(run: Run, g: GroupPlan, groupIndex: number): Promise<number> {
  const { spec, seed } = run
  const disk = g.type === 'vm' ? new DiskModel(seed, g.id, g.name, spec.diskSize) : undefined
  const archives = groupArchives(spec, seed, g)
  /** Disk chunk key → digest, so unchanged disk chunks are not generated again. */
  const diskDigests = new Map<string, Buffer>()
  /** Archive → digests of its previous snapshot's index (the client does not upload those). */
  const previous = new Map<string, Set<string>>()
  const confRng = DemoRandom.fromKey(seed, g.type, g.id, 'config')
  const created = g.times[0] - 40 * 86_400
  const conf =
    g.type === 'vm'
      ? qemuServerConf(confRng, Number(g.id), g.name, spec.diskSize, created)
      : g.type === 'ct'
        ? pctConf(confRng, g.name, Number(g.id))
        : undefined
  let logicalBytes = 0

  for (const [k, epoch] of g.times.entries()) {
    const snapshot = { ns: g.ns, type: g.type, id: g.id, time: epochToBackupTime(epoch) }
    const label = snapshotName(snapshot)
    const stats: UploadStats = { count: 0, size: 0, compressed_size: 0, duplicates: 0 }
    const files: ManifestFile[] = []
    const clientLog: string[] = []
    let seconds = 0
    const uuids = DemoRandom.fromKey(seed, g.type, g.id, 'uuids', k)
    const sw = await run.writer.beginSnapshot(snapshot, g.owner)
    if (k === 0 && groupIndex === 0)
      await writeFile(join(groupDir(run.path, g), NOTES_FILE), GROUP_NOTES(g))

    const addBlob = async (filename: string, text: string) => {
      const blob = encodeBlob(utf8(text), { compress: true })
      await sw.writeFile(filename, blob)
      files.push({
        filename,
        'crypt-mode': 'none',
        size: blob.length,
        csum: sha256(blob).toString('hex')
      })
    }
    const addIndex = async (filename: string, index: Buffer, size: number, digests: Buffer[]) => {
      await sw.writeFile(filename, index)
      // The index checksum sits at bytes 32..64 of both index headers.
      const csum = Buffer.from(index.subarray(32, 64)).toString('hex')
      files.push({ filename, 'crypt-mode': 'none', size, csum })
      previous.set(filename, new Set(digests.map((d) => d.toString('hex'))))
      logicalBytes += size
    }

    if (g.type === 'vm' && disk && conf) {
      await addBlob('qemu-server.conf.blob', conf)
      if (k > 0) disk.advance()
      const filename = 'drive-scsi0.img.fidx'
      const upload = new Upload(previous.get(filename) ?? new Set(), stats)
      const { digests, generated } = await writeDiskChunks(
        run,
        disk,
        diskDigests,
        upload,
        `${label}: ${filename}`
      )
      const index = buildFixedIndex({
        uuid: uuids.uuid(),
        ctime: epoch,
        size: spec.diskSize,
        chunkSize: FIXED_CHUNK_SIZE,
        digests
      })
      await addIndex(filename, index, spec.diskSize, digests)
      run.hooks.log?.(
        `${label}: ${filename} ${humanBytes(spec.diskSize)} in ${disk.count} chunks, ${generated} generated, ${upload.sent.size} uploaded`
      )
    }
    if (g.type === 'ct' && conf) await addBlob('pct.conf.blob', conf)

    for (const { file, model } of archives) {
      if (k > 0) model.advance(epoch)
      const sent: UploadStats = { count: 0, size: 0, compressed_size: 0, duplicates: 0 }
      const upload = new Upload(previous.get(file) ?? new Set(), sent)
      const entries = await writePxarChunks(run, model, upload, `${label}: ${file}`)
      const size = entries.at(-1)?.end ?? 0
      const index = buildDynamicIndex({ uuid: uuids.uuid(), ctime: epoch, entries })
      await addIndex(
        file,
        index,
        size,
        entries.map((e) => e.digest)
      )
      for (const key of Object.keys(stats) as (keyof UploadStats)[]) stats[key] += sent[key]
      clientLog.push(...archiveLogLines(file, size, sent))
      seconds += backupSeconds(size)
      run.hooks.log?.(
        `${label}: ${file} ${humanBytes(size)} in ${entries.length} chunks, ${sent.count} uploaded`
      )
    }

    if (g.type === 'host') {
      // Uploaded after the backup finished, so not listed in the manifest (as in PBS).
      const blob = encodeBlob(utf8(clientLogText(g, k, clientLog, seconds)), { compress: true })
      await sw.writeFile(CLIENT_LOG_BLOB_NAME, blob)
    }

    const unprotected: Record<string, unknown> = { chunk_upload_stats: stats }
    if (g.type === 'vm' && groupIndex === 0 && k === g.times.length - 1) {
      unprotected.notes = 'Before the upgrade to Debian 13 - keep until the upgrade is verified.'
      await sw.setProtected()
    }
    const manifest: Manifest = {
      'backup-type': g.type,
      'backup-id': g.id,
      'backup-time': epoch,
      files,
      unprotected,
      signature: null
    }
    await sw.commit(encodeManifestBlob(manifest))
  }
  return logicalBytes
}

/** Source bytes the run will generate: disks in full for every snapshot, archives file by file. */
function sourceBytes(spec: DemoSpec, seed: string, groups: GroupPlan[]): number {
  let total = 0
  for (const g of groups) {
    if (g.type === 'vm') total += spec.diskSize * g.times.length
    for (const { model } of groupArchives(spec, seed, g)) {
      g.times.forEach((epoch, k) => {
        if (k > 0) model.advance(epoch)
        total += model.contentSize
      })
    }
  }
  return total
}

/**
 * Writes the demo datastore into `path`, which must be missing or empty. Progress counts bytes
 * of source data; `signal` is checked between chunks and files (an AbortError is thrown and the
 * partial datastore is left for the caller to remove).
 */
export async function writeDemoDatastore(
  path: string,
  spec: DemoSpec,
  hooks: DemoHooks = {}
): Promise<DemoResult> {
  validate(spec)
  const seed = String(spec.seed)
  const checkAbort = () => {
    if (hooks.signal?.aborted) throw abortError()
  }
  checkAbort()
  await zstdReady()
  const groups = planGroups(spec, seed)
  const total = sourceBytes(spec, seed, groups)
  let done = 0

  await createDatastore(path, {
    prefixDirs: hooks.prefixDirs,
    onProgress: (dirs, of) =>
      hooks.progress?.({ done: 0, total, message: `creating chunk directories (${dirs} of ${of})` })
  })
  const writer = new DatastoreWriter(path)
  if (spec.namespaces) for (const ns of DEMO_NAMESPACES) await writer.ensureNamespace(ns)
  const run: Run = {
    spec,
    seed,
    path,
    writer,
    sink: new ChunkSink(writer),
    hooks,
    checkAbort,
    advance(bytes, message) {
      done += bytes
      hooks.progress?.({ done, total, message })
    }
  }
  run.advance(0, 'created the datastore')
  let logicalBytes = 0
  for (const [index, g] of groups.entries()) logicalBytes += await writeGroup(run, g, index)
  run.advance(0, 'done')
  return {
    snapshots: groups.length * spec.snapshots,
    chunks: run.sink.chunks,
    chunkBytes: run.sink.chunkBytes,
    logicalBytes
  }
}
