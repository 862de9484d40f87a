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
import { createChunkChecker, type ChunkChecker } from '../../datastore/chunk-check-pool'
import { isIndexFile, parseChunkIndex } from '../../datastore/chunk-index'
import { Datastore } from '../../datastore/datastore'
import { DatastoreWriter, SnapshotExistsError } from '../../datastore/datastore-writer'
import { DigestSet } from '../../datastore/digest-set'
import { parseSnapshotName, snapshotName, type SnapshotPath } from '../../datastore/layout'
import {
  MANIFEST_BLOB_NAME,
  decodeManifestBlob,
  encodeManifestBlob
} from '../../datastore/manifest'
import { BlockedReader } from '../../format/blocked-reader'
import { ChunkArchiveReader, type ChunkArchiveEntry } from '../../format/chunk-archive-reader'
import { salvageChunkEntries } from '../../format/chunk-archive-salvage'
import { isDecryptionError, isMediumReadError } from '../../devices/tape-driver'
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
import {
  programDriveForSet,
  requirePoolKey,
  tapeKeys,
  type TapeKeys
} from '../../operations/tape-encryption'
import type { CoreServices } from '../../tapedeck'
import { requestMedia } from '../request-media'
import type { TaskContext } from '../task-runner'
import { BufferPool } from '../../util/buffer-pool'
import { InFlight } from '../../util/in-flight'
import { parseDatastoreMap, type DatastoreMap } from './datastore-map'
import { parseNamespaceMap, type NamespaceMap } from './namespace-map'
import { snapshotsNamed, splitSnapshotArg } from './snapshot-arg'
import { logRestorePlan } from './restore-plan'

export interface RestoreOptions {
  mediaSet: string
  /** Datastore map: `[src=]dst,…` */
  store: string
  /** `store:snapshot` or `snapshot`; empty/undefined = the whole set. */
  snapshots?: string[]
  /** PBS namespace mappings (`store=…,source=…,target=…,max-depth=…`); implies a selective restore. */
  namespaces?: string[]
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
  await logRestorePlan(core, planArgs(options, handle.name), ctx)
  const job = await RestoreJob.prepare(core, handle, options, ctx)
  try {
    if ((options.snapshots && options.snapshots.length > 0) || job.nsMap)
      await job.restoreSelected(options.snapshots ?? [])
    else await job.restoreAll()
    await job.flush()
    await job.checkRestoredSnapshots()
  } finally {
    await job.close()
  }
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
  /** Namespace mappings (`--namespace`), when given. */
  nsMap: NamespaceMap | undefined
  /** Where the drive key of an encrypted set comes from. */
  keys: TapeKeys | undefined
  /** Chunks are decoded and hashed on worker threads while the tape reads on. */
  private readonly checker: ChunkChecker = createChunkChecker()
  private readonly checking = new InFlight(this.checker.parallelism * 8)
  private readonly blobBuffers = new BufferPool(32, true)
  /**
   * Snapshot writes, one after the other in tape order, each once the chunks read before it are
   * in: the tape reads on meanwhile instead of waiting for every snapshot's chunks and fsyncs.
   */
  private snapshotChain = Promise.resolve()
  private readonly snapshotWrites = new InFlight(8)

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
    const keys = tapeKeys(core)
    if (fingerprint) {
      ctx.log(`encryption key fingerprint: ${fingerprint}`)
      // Without the key nothing could be read: fail before the targets are touched.
      await requirePoolKey(keys, fingerprint, `media set ${options.mediaSet}`)
    }
    ctx.log(`Required media list: ${members.map((m) => m['label-text']).join(';')}`)
    const job = new RestoreJob(
      handle,
      options,
      ctx,
      map,
      targets,
      members,
      new CatalogStore(core.db)
    )
    job.keys = keys
    if (options.namespaces?.length) {
      job.nsMap = parseNamespaceMap(options.namespaces)
      // As PBS: the mapped target namespaces are created up front.
      for (const m of job.nsMap.mappings) {
        const target = map.target(m.store)
        if (target !== undefined) await targets.get(target)!.writer.ensureNamespace(m.target)
      }
    }
    return job
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
          // Without the right key no later file reads either: stop instead of skipping them all.
          if (isDecryptionError(err)) throw err
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
      const { store, digests, contentUuid } = await this.readChunkArchive(
        reader,
        header,
        `'${tape['label-text']}' file ${file}`
      )
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
   * A cut or incomplete archive keeps what was read before the cut; after an unreadable block
   * the rest of the file is salvaged entry by entry.
   */
  private async readChunkArchive(
    reader: BlockedReader,
    header: MediaContentHeader,
    where: string,
    wanted?: DigestSet
  ) {
    // The checker verifies CRC, decoding and digest off the main thread.
    const archive = await ChunkArchiveReader.fromHeader(reader, header, {
      checkCrc: false,
      allocate: (size, alignment) => this.blobBuffers.take(size, alignment)
    })
    const target = this.map.target(archive.store)
    const digests: Uint8Array[] = []
    let queued = 0
    // With a wanted list, stop reading as soon as the last wanted chunk of this file is done.
    let remaining = wanted?.size ?? Infinity
    /** Takes one entry; true when nothing more is wanted from this file. */
    const take = async ({ digest, blob }: ChunkArchiveEntry): Promise<boolean> => {
      digests.push(digest)
      if (target === undefined || (wanted && !wanted.has(digest))) {
        this.blobBuffers.give(blob)
        return false
      }
      if (await this.restoreChunk(target, digest, blob)) queued++
      return --remaining === 0
    }
    try {
      for (let entry = await archive.next(); entry; entry = await archive.next())
        if (await take(entry)) break
    } catch (err) {
      if (isMediumReadError(err)) {
        let bad = 0
        const onBadBlock = (e: unknown) => {
          bad++
          this.ctx.warn(`${where}: ${(e as Error).message}; reading on behind it`)
        }
        onBadBlock(err)
        const salvage = salvageChunkEntries(this.driver, {
          isReadError: isMediumReadError,
          onBadBlock
        })
        for await (const entry of salvage) if (await take(entry)) break
        this.summary.failed.push(`${where}: ${bad} unreadable block${bad === 1 ? '' : 's'}`)
      } else if (err instanceof IncompleteArchiveError) {
        this.ctx.log(
          `chunk archive ${archive.contentUuid}: ${err.message}; keeping the ${digests.length} chunks before it`
        )
      } else throw err
    }
    if (queued > 0) this.ctx.log(`restoring ${queued} chunks from ${archive.store} into ${target}`)
    return { store: archive.store, digests, contentUuid: archive.contentUuid }
  }

  /**
   * Starts checking a chunk from tape on a worker (CRC; unencrypted chunks are also decoded and
   * hashed) and then inserting it, while the tape reads on; snapshots and flushes wait for all of
   * them. A damaged chunk is reported and skipped. False when the chunk was restored already.
   */
  private async restoreChunk(
    targetName: string,
    digest: Uint8Array,
    blob: Uint8Array
  ): Promise<boolean> {
    let done = this.restored.get(targetName)
    if (!done) this.restored.set(targetName, (done = new DigestSet(1 << 12)))
    if (!done.add(digest)) {
      this.blobBuffers.give(blob)
      return false
    }
    await this.checking.add(this.checkAndInsert(targetName, digest, blob))
    return true
  }

  private async checkAndInsert(targetName: string, digest: Uint8Array, blob: Uint8Array) {
    const problem = await this.checker.checkBlob(blob, digest)
    if (problem) {
      this.ctx.warn(`chunk ${hexOf(digest)} from tape is damaged (${problem}): not restored`)
      this.summary.failed.push(`chunk ${hexOf(digest)}`)
      this.blobBuffers.give(blob)
      return
    }
    const result = await this.targets.get(targetName)!.writer.insertChunk(hexOf(digest), blob)
    this.blobBuffers.give(blob)
    if (result === 'exists') return
    this.summary.chunks++
    this.summary.bytes += blob.length
    this.ctx.progress({
      done: this.summary.bytes,
      unit: 'bytes',
      message: `${this.summary.chunks} chunks restored`
    })
  }

  /**
   * Queues writing a snapshot from its archive files, the manifest last, never over an existing
   * one: after the chunks read so far (its own among them) are in, and after the snapshots
   * before it.
   */
  private async writeSnapshot(
    sourceStore: string,
    snapshot: string,
    files: SnapshotArchiveEntry[]
  ): Promise<void> {
    const targetName = this.map.target(sourceStore)
    if (targetName === undefined) return
    const paths = this.targetPaths(sourceStore, snapshot)
    const chunksBefore = this.checking.settled()
    this.snapshotChain = this.snapshotChain.then(async () => {
      await chunksBefore
      for (const path of paths) await this.writeSnapshotTo(targetName, path, files)
    })
    await this.snapshotWrites.add(this.snapshotChain)
  }

  /** Where a snapshot goes: its own path, or one per matching namespace mapping (none: skipped). */
  private targetPaths(sourceStore: string, snapshot: string): SnapshotPath[] {
    const path = parseSnapshotName(snapshot)
    if (!this.nsMap) return [path]
    return this.nsMap.targets(sourceStore, path.ns).map((ns) => ({ ...path, ns }))
  }

  private async writeSnapshotTo(
    targetName: string,
    path: SnapshotPath,
    files: SnapshotArchiveEntry[]
  ): Promise<void> {
    const label = `${targetName}:${snapshotName(path)}`
    const manifestFile = files.find((f) => f.name === MANIFEST_BLOB_NAME)
    if (!manifestFile) throw new Error(`snapshot archive ${snapshotName(path)} has no manifest`)
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
      // Reported here, with its name: the tape has read on since this write was queued.
      await writer.abort().catch(() => undefined)
      this.ctx.warn(`cannot restore snapshot ${label}: ${(err as Error).message}`)
      this.summary.failed.push(label)
      return
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
    if (this.nsMap) {
      // With namespace mappings and no snapshots: every snapshot that has a mapping (PBS).
      if (requested.length === 0) {
        requested = inSet
          .filter((s) => this.targetPaths(s.store, s.snapshot).length > 0)
          .filter((s) => this.map.target(s.store) !== undefined)
          .map((s) => `${s.store}:${s.snapshot}`)
        if (requested.length === 0) this.ctx.log('no snapshot of the set is in a mapped namespace')
      }
      requested = requested.filter((text) => {
        const { store: given, snapshot } = splitSnapshotArg(text)
        const store = given ?? inSet.find((s) => s.snapshot === text)?.store
        const ok = store !== undefined && this.targetPaths(store, snapshot).length > 0
        if (!ok) {
          this.ctx.warn(`could not find a target namespace for ${text}: skipped`)
          this.summary.skipped.push(text)
        }
        return ok
      })
    }
    const wanted = requested.map((text) => {
      const matches = snapshotsNamed(inSet, text)
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
        await this.readAt(loc, async (reader, header, where) => {
          await this.readChunkArchive(reader, header, where, inFile)
        })
      }
    }

    // Phase 3: the snapshots, manifest last.
    for (const a of archives) await this.writeSnapshot(a.store, a.snapshot, a.files)
  }

  /** Loads the tape and positions at `loc.fileNumber`, then hands the opened file to `read`. */
  private async readAt(
    loc: { mediaUuid: string; fileNumber: number },
    read: (reader: BlockedReader, header: MediaContentHeader, where: string) => Promise<void>
  ): Promise<void> {
    const member = this.members.find((m) => m.uuid === loc.mediaUuid)!
    if (this.loaded !== member.uuid) await this.loadTape(member)
    await this.driver.locateFile(loc.fileNumber)
    const where = `'${member['label-text']}' file ${loc.fileNumber}`
    const reader = await BlockedReader.open(this.driver)
    if (!(reader instanceof BlockedReader)) throw new Error(`${where}: no data`)
    await read(reader, await readContentHeader(reader), where)
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
    // The labels just read are plain; the data files need the set's key (PBS read_label).
    await programDriveForSet(
      this.driver,
      this.keys!,
      labels.mediaSet,
      `media set ${this.options.mediaSet}`
    )
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

  async close(): Promise<void> {
    await this.checking.drain().catch(() => undefined)
    await this.snapshotWrites.drain().catch(() => undefined)
    await this.checker.close()
  }

  /** Waits for the queued snapshots; chunks restored after the last of them reach the disk too. */
  async flush(): Promise<void> {
    await this.checking.drain()
    await this.snapshotWrites.drain()
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

const planArgs = (o: RestoreOptions, drive: string) => ({
  'media-set': o.mediaSet,
  store: o.store,
  drive,
  ...(o.snapshots?.length ? { snapshots: o.snapshots } : {}),
  ...(o.namespaces?.length ? { namespaces: o.namespaces } : {})
})

/** The `tape.restore` API method: checks the map, locks the drive, runs the restore as a task. */
export function restore(
  core: CoreServices,
  args: ApiArgs<'tape.restore'>
): Promise<{ upid: string }> {
  try {
    parseDatastoreMap(args.store)
    if (args.namespaces?.length) parseNamespaceMap(args.namespaces)
  } catch (err) {
    throw invalidArgument((err as Error).message)
  }
  const options: RestoreOptions = {
    mediaSet: args['media-set'],
    store: args.store,
    snapshots: args.snapshots,
    namespaces: args.namespaces,
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
