/**
 * Tape restore (PBS `restore`, pbs-tape.md §6): a whole media set read tape by tape — chunks
 * verified and inserted, snapshots written with the manifest last, catalogs rebuilt on the way —
 * or selected snapshots found through the catalog, reading only the tape files they need, in tape
 * order. Restores never overwrite an existing snapshot.
 */
import { stat, utimes } from 'node:fs/promises'
import type { ApiArgs } from '../../api/contract'
import { invalidArgument } from '../../api/errors'
import { runDriveTask } from '../../operations/drive-task'
import { decodeBlob, isEncryptedKind } from '../../datastore/blob'
import { isIndexFile, parseChunkIndex } from '../../datastore/chunk-index'
import { Datastore } from '../../datastore/datastore'
import { DatastoreWriter, SnapshotExistsError } from '../../datastore/datastore-writer'
import { DigestSet } from '../../datastore/digest-set'
import { parseSnapshotName } from '../../datastore/layout'
import {
  MANIFEST_BLOB_NAME,
  decodeManifestBlob,
  encodeManifestBlob
} from '../../datastore/manifest'
import { blobKind } from '../../format/data-blob'
import { BlockedReader } from '../../format/blocked-reader'
import { ChunkArchiveReader } from '../../format/chunk-archive-reader'
import { readContentHeader, type MediaContentHeader } from '../../format/content-header'
import { IncompleteArchiveError } from '../../format/format-error'
import { contentMagicInfo } from '../../format/magics'
import {
  SnapshotArchiveReader,
  type SnapshotArchiveEntry
} from '../../format/snapshot-archive-reader'
import { CatalogStore } from '../../media/catalog-store'
import { Inventory, type InventoryEntry } from '../../media/inventory'
import type { DriveHandle } from '../../operations/devices'
import type { CoreServices } from '../../tapedeck'
import { requestMedia } from '../request-media'
import type { TaskContext } from '../task-runner'
import { parseDatastoreMap, type DatastoreMap } from './datastore-map'

export interface RestoreOptions {
  mediaSet: string
  /** Datastore map: `[src=]dst,…` */
  store: string
  /** `store:snapshot` or `snapshot`; empty/undefined = the whole set. */
  snapshots?: string[]
  owner?: string
  pollMs?: number
}

export interface RestoreSummary {
  snapshots: string[]
  skipped: string[]
  failed: string[]
  chunks: number
  bytes: number
}

interface Target {
  store: Datastore
  writer: DatastoreWriter
}

const hexOf = (digest: Uint8Array) => Buffer.from(digest).toString('hex')

export async function runRestore(
  core: CoreServices,
  handle: DriveHandle,
  options: RestoreOptions,
  ctx: TaskContext
): Promise<RestoreSummary> {
  const job = await RestoreJob.prepare(core, handle, options, ctx)
  if (options.snapshots && options.snapshots.length > 0)
    await job.restoreSelected(options.snapshots)
  else await job.restoreAll()
  await job.flush()
  await job.checkRestoredSnapshots()
  return job.finish()
}

class RestoreJob {
  private readonly summary: RestoreSummary = {
    snapshots: [],
    skipped: [],
    failed: [],
    chunks: 0,
    bytes: 0
  }
  /** Chunks already restored (or found present) in this run, per target store. */
  private readonly restored = new Map<string, DigestSet>()

  private constructor(
    private readonly handle: DriveHandle,
    private readonly options: RestoreOptions,
    private readonly ctx: TaskContext,
    private readonly map: DatastoreMap,
    private readonly targets: Map<string, Target>,
    private readonly members: InventoryEntry[],
    private readonly catalog: CatalogStore
  ) {}

  static async prepare(
    core: CoreServices,
    handle: DriveHandle,
    options: RestoreOptions,
    ctx: TaskContext
  ) {
    const map = parseDatastoreMap(options.store)
    const targets = new Map<string, Target>()
    for (const name of map.targets()) {
      const { config } = await core.config.datastores.get(name)
      targets.set(name, {
        store: await Datastore.open(config.path),
        writer: new DatastoreWriter(config.path)
      })
    }
    const members = (await new Inventory(core.db).list())
      .filter((m) => m['media-set-uuid'] === options.mediaSet)
      .sort((a, b) => (a['seq-nr'] ?? 0) - (b['seq-nr'] ?? 0))
    if (members.length === 0)
      throw new Error(`media set ${options.mediaSet} is not in the inventory`)
    const missing = members.flatMap((m, i) => (m['seq-nr'] === i ? [] : [i]))
    if (missing.length > 0) {
      throw new Error(
        `media set ${options.mediaSet} is incomplete: no tape known for seq ${missing.join(', ')}`
      )
    }
    const fingerprint = members[0]['encryption-key-fingerprint']
    if (fingerprint) ctx.log(`encryption key fingerprint: ${fingerprint}`)
    ctx.log(`Required media list: ${members.map((m) => m['label-text']).join(';')}`)
    return new RestoreJob(handle, options, ctx, map, targets, members, new CatalogStore(core.db))
  }

  private get driver() {
    return this.handle.driver
  }

  private owner(): string {
    return this.options.owner ?? 'root@pam'
  }

  // ------------------------------------------------------------------------------------------
  // Full media set: every tape in order, every file from 2 on.

  async restoreAll(): Promise<void> {
    const totalBytes = this.members.reduce((n, m) => n + (m['bytes-used'] ?? 0), 0)
    this.ctx.log(
      `plan: read ${this.members.length} tape${this.members.length === 1 ? '' : 's'} in order (${this.members.map((m) => m['label-text']).join(', ')})${totalBytes ? `, about ${(totalBytes / 1024 ** 2).toFixed(0)} MiB` : ''}`
    )
    for (const member of this.members) {
      await this.loadTape(member)
      await this.catalog.beginTape(member.uuid, {
        uuid: this.options.mediaSet,
        seqNr: member['seq-nr'] ?? 0,
        pool: member.pool,
        ctime: member['media-set-ctime'],
        encryptionKeyFingerprint: member['encryption-key-fingerprint']
      })
      await this.driver.locateFile(2)
      for (let file = 2; ; file++) {
        this.ctx.checkAbort()
        const reader = await BlockedReader.open(this.driver)
        if (reader === 'end-of-data') break
        if (reader === 'filemark') continue
        try {
          await this.restoreFile(reader, member, file)
        } catch (err) {
          this.ctx.warn(
            `'${member['label-text']}' file ${file}: ${(err as Error).message} - skipped`
          )
          this.summary.failed.push(`${member['label-text']} file ${file}`)
          await this.driver.locateFile(file + 1)
        }
      }
      this.ctx.log(`finished reading '${member['label-text']}'`)
    }
  }

  private async restoreFile(
    reader: BlockedReader,
    tape: InventoryEntry,
    file: number
  ): Promise<void> {
    const header = await readContentHeader(reader)
    const kind = contentMagicInfo(header.contentMagic)?.kind
    if (kind === 'chunk-archive') {
      const { store, digests, contentUuid } = await this.readChunkArchive(reader, header)
      await this.catalog.recordChunkArchive(tape.uuid, file, contentUuid, store, digests)
    } else if (kind === 'snapshot-archive') {
      const archive = await SnapshotArchiveReader.fromHeader(reader, header)
      let files: SnapshotArchiveEntry[]
      try {
        files = await archive.readAll()
      } catch (err) {
        if (!(err instanceof IncompleteArchiveError)) throw err
        this.ctx.log(`skip incomplete snapshot archive ${archive.store}:${archive.snapshot}`)
        return
      }
      await this.catalog.recordSnapshotArchive(
        tape.uuid,
        file,
        archive.contentUuid,
        archive.store,
        archive.snapshot
      )
      await this.writeSnapshot(archive.store, archive.snapshot, files)
    } else if (kind === 'catalog-archive') {
      await reader.skipToEnd()
    } else {
      throw new Error(`unknown content (magic ${Buffer.from(header.contentMagic).toString('hex')})`)
    }
  }

  /**
   * Reads a chunk archive; restores its chunks (all, or those in `wanted`) into the mapped store.
   * A cut or incomplete archive keeps what was read before the cut.
   */
  private async readChunkArchive(
    reader: BlockedReader,
    header: MediaContentHeader,
    wanted?: DigestSet
  ) {
    const archive = await ChunkArchiveReader.fromHeader(reader, header)
    const target = this.map.target(archive.store)
    const digests: Uint8Array[] = []
    let restoredHere = 0
    // With a wanted list, stop reading as soon as the last wanted chunk of this file is done.
    let remaining = wanted?.size ?? Infinity
    try {
      for (let entry = await archive.next(); entry; entry = await archive.next()) {
        digests.push(entry.digest)
        if (target === undefined || (wanted && !wanted.has(entry.digest))) continue
        if (await this.restoreChunk(target, entry.digest, entry.blob)) restoredHere++
        if (--remaining === 0) break
      }
    } catch (err) {
      if (!(err instanceof IncompleteArchiveError)) throw err
      this.ctx.log(
        `chunk archive ${archive.contentUuid}: ${err.message}; keeping the ${digests.length} chunks before it`
      )
    }
    if (restoredHere > 0)
      this.ctx.log(`restored ${restoredHere} chunks from ${archive.store} into ${target}`)
    return { store: archive.store, digests, contentUuid: archive.contentUuid }
  }

  /** Verifies a chunk from tape and inserts it; returns false when it was there already. */
  private async restoreChunk(
    targetName: string,
    digest: Uint8Array,
    blob: Uint8Array
  ): Promise<boolean> {
    let done = this.restored.get(targetName)
    if (!done) this.restored.set(targetName, (done = new DigestSet(1 << 12)))
    if (done.has(digest)) return false
    const kind = blobKind(blob)!
    // The chunk archive reader checked the CRC; unencrypted chunks are also decoded and hashed.
    if (!isEncryptedKind(kind)) decodeBlob(blob, { digest })
    const result = await this.targets.get(targetName)!.writer.insertChunk(hexOf(digest), blob)
    done.add(digest)
    if (result === 'exists') return false
    this.summary.chunks++
    this.summary.bytes += blob.length
    this.ctx.progress({
      done: this.summary.bytes,
      unit: 'bytes',
      message: `${this.summary.chunks} chunks restored`
    })
    return true
  }

  /** Writes a snapshot from its archive files, the manifest last; never over an existing one. */
  private async writeSnapshot(
    sourceStore: string,
    snapshot: string,
    files: SnapshotArchiveEntry[]
  ): Promise<void> {
    const targetName = this.map.target(sourceStore)
    if (targetName === undefined) return
    const path = parseSnapshotName(snapshot)
    const label = `${targetName}:${snapshot}`
    const manifestFile = files.find((f) => f.name === MANIFEST_BLOB_NAME)
    if (!manifestFile) throw new Error(`snapshot archive ${snapshot} has no manifest`)
    let writer
    try {
      writer = await this.targets.get(targetName)!.writer.beginSnapshot(path, this.owner())
    } catch (err) {
      if (err instanceof SnapshotExistsError) {
        this.ctx.log(`skip snapshot ${label}: it already exists`)
        this.summary.skipped.push(label)
        return
      }
      this.ctx.warn(`cannot restore snapshot ${label}: ${(err as Error).message}`)
      this.summary.failed.push(label)
      return
    }
    try {
      for (const file of files)
        if (file.name !== MANIFEST_BLOB_NAME) await writer.writeFile(file.name, file.data)
      await writer.commit(restoredManifest(manifestFile.data))
    } catch (err) {
      await writer.abort()
      throw err
    }
    this.ctx.log(`restored snapshot ${label}`)
    this.summary.snapshots.push(label)
  }

  // ------------------------------------------------------------------------------------------
  // Selected snapshots: through the catalog, only the files needed, in tape order.

  async restoreSelected(requested: string[]): Promise<void> {
    const inSet = await this.catalog.snapshotsInSet(this.options.mediaSet)
    if (inSet.length === 0) {
      throw new Error(
        `no catalog for media set ${this.options.mediaSet}: run 'catalog' first or restore the whole set`
      )
    }
    const wanted = requested.map((text) => {
      const colon = text.indexOf(':')
      const [store, snapshot] =
        colon > 0 && !text.startsWith('ns/')
          ? [text.slice(0, colon), text.slice(colon + 1)]
          : [undefined, text]
      const matches = inSet.filter(
        (s) => s.snapshot === snapshot && (store === undefined || s.store === store)
      )
      if (matches.length === 0)
        throw new Error(`snapshot ${text} is not in media set ${this.options.mediaSet}`)
      if (matches.length > 1)
        throw new Error(
          `snapshot ${text} is in several datastores of the set: say which (store:snapshot)`
        )
      return matches[0]
    })
    const bySeq = (
      a: { seqNr: number; fileNumber: number },
      b: { seqNr: number; fileNumber: number }
    ) => a.seqNr - b.seqNr || a.fileNumber - b.fileNumber
    wanted.sort(bySeq)
    this.ctx.log(
      `plan: ${wanted.length} snapshot archive${wanted.length === 1 ? '' : 's'} on ${[...new Set(wanted.map((w) => w.labelText))].join(', ')}, then the chunk archives they need`
    )

    // Phase 1: the snapshot archives, and which chunks each needs.
    const archives: { store: string; snapshot: string; files: SnapshotArchiveEntry[] }[] = []
    const needed = new Map<string, DigestSet>()
    for (const loc of wanted) {
      await this.readAt(loc, async (reader, header) => {
        const archive = await SnapshotArchiveReader.fromHeader(reader, header)
        const files = await archive.readAll()
        archives.push({ store: loc.store, snapshot: loc.snapshot, files })
        const set = needed.get(loc.store) ?? new DigestSet(1 << 12)
        needed.set(loc.store, set)
        for (const f of files) {
          if (!isIndexFile(f.name)) continue
          const index = parseChunkIndex(f.name, f.data)
          for (let i = 0; i < index.count; i++) set.add(index.digest(i))
        }
      })
    }

    // Phase 2: chunks not yet in the target, from the chunk archives that hold them.
    for (const [store, digests] of needed) {
      const targetName = this.map.target(store)
      if (targetName === undefined) continue
      const target = this.targets.get(targetName)!
      const missing: Uint8Array[] = []
      for (const digest of digests) {
        const path = target.store.chunkPath(digest)
        const present = await stat(path).then(
          () => true,
          () => false
        )
        if (present) {
          const now = new Date()
          await utimes(path, now, now)
        } else missing.push(new Uint8Array(digest))
      }
      if (missing.length === 0) {
        this.ctx.log(`all chunks of ${store} are already present in ${targetName}, skip phase 2`)
        continue
      }
      const locations = await this.catalog.chunkLocations(this.options.mediaSet, missing, store)
      const files = new Map<
        string,
        { loc: NonNullable<(typeof locations)[number]>; wanted: DigestSet }
      >()
      locations.forEach((loc, i) => {
        if (!loc)
          throw new Error(`chunk ${hexOf(missing[i])} is not in media set ${this.options.mediaSet}`)
        const key = `${loc.seqNr}:${loc.fileNumber}`
        const entry = files.get(key) ?? { loc, wanted: new DigestSet(64) }
        entry.wanted.add(missing[i])
        files.set(key, entry)
      })
      for (const { loc, wanted: inFile } of [...files.values()].sort((a, b) =>
        bySeq(a.loc, b.loc)
      )) {
        await this.readAt(loc, async (reader, header) => {
          await this.readChunkArchive(reader, header, inFile)
        })
      }
    }

    // Phase 3: the snapshots, manifest last.
    for (const a of archives) await this.writeSnapshot(a.store, a.snapshot, a.files)
  }

  /** Loads the tape and positions at `loc.fileNumber`, then hands the opened file to `read`. */
  private async readAt(
    loc: { mediaUuid: string; fileNumber: number },
    read: (reader: BlockedReader, header: MediaContentHeader) => Promise<void>
  ): Promise<void> {
    const member = this.members.find((m) => m.uuid === loc.mediaUuid)!
    if (this.loaded !== member.uuid) await this.loadTape(member)
    await this.driver.locateFile(loc.fileNumber)
    const reader = await BlockedReader.open(this.driver)
    if (!(reader instanceof BlockedReader)) {
      throw new Error(`'${member['label-text']}' has no data at file ${loc.fileNumber}`)
    }
    await read(reader, await readContentHeader(reader))
  }

  private loaded: string | undefined

  // ------------------------------------------------------------------------------------------

  /** Gets a set member into the drive and checks its labels. */
  private async loadTape(member: InventoryEntry): Promise<void> {
    const label = member['label-text']
    const labels = await requestMedia(
      this.handle,
      { uuid: member.uuid, labelText: label },
      this.ctx,
      { pollMs: this.options.pollMs }
    )
    if (
      labels.mediaSet?.uuid !== this.options.mediaSet ||
      labels.mediaSet.seqNr !== member['seq-nr']
    ) {
      throw new Error(
        `'${label}' does not belong to media set ${this.options.mediaSet} at seq ${member['seq-nr']}`
      )
    }
    this.loaded = member.uuid
    this.ctx.log(`reading '${label}' (seq ${member['seq-nr']})`)
  }

  /**
   * Every restored snapshot must find all its chunks in the target; what is missing (a chunk that
   * could not be read from tape) is reported per snapshot, so the admin knows exactly what was lost.
   */
  async checkRestoredSnapshots(): Promise<void> {
    for (const label of this.summary.snapshots) {
      const colon = label.indexOf(':')
      const target = this.targets.get(label.slice(0, colon))!
      const snapshot = await target.store.snapshotInfo(parseSnapshotName(label.slice(colon + 1)))
      const missing = new Set<string>()
      for (const file of snapshot.manifest?.files ?? []) {
        if (!isIndexFile(file.filename)) continue
        const index = await target.store.readIndex(snapshot, file.filename)
        for (let i = 0; i < index.count; i++) {
          const hex = hexOf(index.digest(i))
          if (missing.has(hex)) continue
          const present = await stat(target.store.chunkPath(hex)).then(
            () => true,
            () => false
          )
          if (!present) missing.add(hex)
        }
      }
      if (missing.size > 0) {
        this.ctx.warn(
          `snapshot ${label} is incomplete: ${missing.size} chunk${missing.size === 1 ? '' : 's'} could not be restored: ${[...missing].join(', ')}`
        )
        this.summary.failed.push(`${label} (${missing.size} chunks lost)`)
      }
    }
  }

  /** Chunks restored after the last snapshot commit reach the disk too. */
  async flush(): Promise<void> {
    for (const target of this.targets.values()) await target.writer.flush()
  }

  finish(): RestoreSummary {
    const s = this.summary
    this.ctx.log(
      `restore of media set ${this.options.mediaSet}: ${s.snapshots.length} snapshots restored, ${s.skipped.length} skipped, ${s.chunks} chunks (${s.bytes} bytes) written`
    )
    if (s.failed.length > 0) throw new Error(`restore finished with errors: ${s.failed.join(', ')}`)
    return s
  }
}

/** PBS re-encodes the manifest without `verify_state`: a restored snapshot is not verified yet. */
function restoredManifest(raw: Uint8Array): Uint8Array {
  const manifest = decodeManifestBlob(raw)
  if (!('verify_state' in manifest.unprotected)) return raw
  const { verify_state: _dropped, ...unprotected } = manifest.unprotected
  return encodeManifestBlob({ ...manifest, unprotected })
}

/** The `tape.restore` API method: checks the map, locks the drive, runs the restore as a task. */
export function restore(
  core: CoreServices,
  args: ApiArgs<'tape.restore'>
): Promise<{ upid: string }> {
  try {
    parseDatastoreMap(args.store)
  } catch (err) {
    throw invalidArgument((err as Error).message)
  }
  const options: RestoreOptions = {
    mediaSet: args['media-set'],
    store: args.store,
    snapshots: args.snapshots,
    owner: args.owner
  }
  return runDriveTask(
    core,
    'tape-restore',
    args.drive,
    async (ctx, handle) => void (await runRestore(core, handle, options, ctx)),
    `${args.store}:${args['media-set']}`
  )
}
