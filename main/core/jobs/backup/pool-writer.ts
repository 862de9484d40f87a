/**
 * Writes one backup job's archives into a media set across as many tapes as it takes (PBS
 * `PoolWriter`): allocates tapes with the pool logic, loads them, writes the media-set label and
 * the catalogs of the set's earlier tapes, appends chunk / snapshot / catalog archives, and moves
 * on to the next tape of the same set at the early warning (LEOM).
 *
 * Commit points (PBS `PoolWriter::commit`): archives end with buffered filemarks, so the drive keeps
 * streaming; every COMMIT_BYTES, at the end of a tape and at the end of the job the drive is
 * flushed and only then are the archives written since the last commit recorded in the catalog,
 * in one transaction. A crash in between loses that much tape work and never leaves the catalog
 * naming an archive the tape does not hold.
 */
import { lstat, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Datastore, SnapshotInfo } from '../../datastore/datastore'
import type { DigestSet } from '../../datastore/digest-set'
import { snapshotDir, snapshotName } from '../../datastore/layout'
import { CLIENT_LOG_BLOB_NAME } from '../../datastore/manifest'
import { CRITICAL_TAPE_ALERT_FLAGS } from '../../devices/tape-alert'
import { writeCatalogArchive } from '../../format/catalog-archive'
import { ChunkArchiveWriter, MAX_CHUNK_ARCHIVE_SIZE } from '../../format/chunk-archive-writer'
import { writeMediaSetLabelFile, type MediaSetLabel } from '../../format/media-set-label'
import {
  snapshotFileOrder,
  writeSnapshotArchive,
  type SnapshotArchiveFile
} from '../../format/snapshot-archive-writer'
import type { CatalogStore } from '../../media/catalog-store'
import type { CatalogEntry } from '../../media/catalog-types'
import type { Inventory } from '../../media/inventory'
import type { DriveContext, MediaRecord, PoolPolicy } from '../../media/media-state'
import { chooseNextTape, sessionMediaSet, type WriteSession } from '../../media/pool-logic'
import type { DriveHandle } from '../../operations/devices'
import type { SetEncryption } from '../../operations/tape-encryption'
import { mediaSetKey } from '../../crypto/media-set-key'
import { requestMedia } from '../request-media'
import type { TaskContext } from '../task-runner'
import type { SourceChunk } from './chunk-source'
import { toMediaRecord } from './media-records'

const MIB = 1024 * 1024
/** Tape bytes between commit points: ~3 s of an LTO-9 drive, so a crash costs little to redo. */
export const COMMIT_BYTES = 1024 * MIB

interface LoadedTape {
  uuid: string
  labelText: string
  set: MediaSetLabel
  full: boolean
}

export interface PoolWriterOptions {
  drive: DriveHandle
  policy: PoolPolicy
  session: WriteSession
  inventory: Inventory
  catalog: CatalogStore
  ctx: TaskContext
  /** The job backs up namespaced snapshots: catalog archives use the v1.1 magic. */
  namespaces: boolean
  /** The pool's key (resolved before the job writes anything); undefined for a plain pool. */
  encryption?: SetEncryption
  now?: () => number
  /** Polls while waiting for an operator to insert a tape (default 5 s, as PBS). */
  pollMs?: number
  /** Told when a tape must be inserted by hand (notifications). */
  onTapeRequest?: (request: { label: string; drive: string; reason: string }) => void
}

export class PoolWriter {
  private tape: LoadedTape | undefined
  /** Label texts of the tapes this job wrote to, in order. */
  readonly usedTapes: string[] = []
  /** Bytes of chunk data written by this job. */
  chunkBytes = 0
  /** Archives written since the last commit point (all on one tape), and their bytes. */
  private uncommitted:
    | { tape: { uuid: string; labelText: string }; entries: CatalogEntry[]; bytes: number }
    | undefined

  private constructor(
    private readonly o: PoolWriterOptions,
    /** Chunks the media set holds (catalog + what this job wrote). */
    private readonly setChunks: DigestSet
  ) {}

  static async open(options: PoolWriterOptions): Promise<PoolWriter> {
    const chunks = await options.catalog.mediaSetChunkSet(options.session.mediaSetUuid)
    return new PoolWriter(options, chunks)
  }

  get mediaSetUuid(): string {
    return this.o.session.mediaSetUuid
  }

  hasChunk(digest: Uint8Array): boolean {
    return this.setChunks.has(digest)
  }

  snapshotInSet(store: string, snapshot: string): Promise<boolean> {
    return this.o.catalog.snapshotInSet(this.mediaSetUuid, store, snapshot)
  }

  private get driver() {
    return this.o.drive.driver
  }

  private now(): number {
    return this.o.now?.() ?? Math.floor(Date.now() / 1000)
  }

  private driveContext(): DriveContext {
    return this.o.drive.changer ? { changer: this.o.drive.changer.name } : {}
  }

  private async records(): Promise<MediaRecord[]> {
    return (await this.o.inventory.list()).map(toMediaRecord)
  }

  /** The tape to write to next: the current one until it is full, then the set's next tape. */
  private async writableTape(): Promise<LoadedTape> {
    if (this.tape && !this.tape.full) return this.tape
    const { ctx, policy, session } = this.o
    const all = await this.records()
    const next = chooseNextTape(policy, all, this.driveContext(), this.now(), session)
    for (const line of next.log) ctx.log(line)
    if (next.kind === 'none') throw new Error(next.reason)
    for (const warning of next.warnings) ctx.warn(warning)
    if (this.tape) await this.recordBytesUsed(this.tape)

    const media = next.media
    const labels = await requestMedia(this.o.drive, media, ctx, {
      pollMs: this.o.pollMs,
      onRequest: this.o.onTapeRequest
    })
    await this.checkTapeAlerts(media)

    let set: MediaSetLabel
    if (next.kind === 'current') {
      set = media.mediaSet!
      if (labels.mediaSet?.uuid !== set.uuid || labels.mediaSet.seqNr !== set.seqNr) {
        throw new Error(
          `media '${media.labelText}': its media-set label does not match the inventory`
        )
      }
      ctx.log(`appending to media '${media.labelText}' (seq ${set.seqNr} of media set ${set.uuid})`)
      await this.driver.setEncryption(this.driveKey(set))
      await this.driver.moveToEndOfData()
      if ((await this.driver.position()).block > 0) {
        // An interrupted write left the last file open (PBS `move_to_eom(true)`): close it.
        ctx.log(`'${media.labelText}' ends inside an unfinished tape file: writing its filemark`)
        await this.driver.writeFilemarks(1)
      }
    } else {
      set = next.mediaSet
      ctx.log(
        `${next.kind} media '${media.labelText}' joins media set ${set.uuid} as seq ${set.seqNr}`
      )
      const driveKey = this.driveKey(set)
      // A drive without encryption (PBS virtual drive) refuses the key here, before anything
      // is recorded or written.
      if (driveKey) await this.driver.setEncryption(driveKey)
      await this.o.inventory.store({ label: labels.label, mediaSet: set })
      await this.o.catalog.beginTape(media.uuid, { ...set })
      await this.driver.rewind()
      await this.driver.spaceFilemarks(1)
      // Labels in clear (the key config in file 1 is what recovers the key), data files encrypted.
      await this.driver.setEncryption(undefined)
      await writeMediaSetLabelFile(
        this.driver,
        set,
        driveKey ? this.o.encryption!.keyConfig : undefined
      )
      await this.driver.writeFilemarks(0) // the set label is a commit point of its own
      await this.driver.setEncryption(driveKey)
      if (driveKey) ctx.log(`data files are encrypted with key ${set.encryptionKeyFingerprint}`)
      await this.writePreviousCatalogs(media, set)
    }
    this.tape = { uuid: media.uuid, labelText: media.labelText, set, full: false }
    if (!this.usedTapes.includes(media.labelText)) this.usedTapes.push(media.labelText)
    return this.tape
  }

  /**
   * The drive key for writing data files of `set` (PBS derives one per media set from the pool
   * key); undefined for a plain set. The pool logic starts a new set when the pool's key
   * changes, so a set naming another key than the job's is an inconsistency, not a choice.
   */
  private driveKey(set: MediaSetLabel): Buffer | undefined {
    const fp = set.encryptionKeyFingerprint
    if (fp === undefined) return undefined
    const enc = this.o.encryption
    if (!enc || enc.fingerprint.toLowerCase() !== fp.toLowerCase()) {
      throw new Error(
        `media set ${set.uuid} is encrypted with key ${fp}, but the pool's key is ${enc?.fingerprint ?? 'none'}`
      )
    }
    return mediaSetKey(enc.poolKey, set.uuid)
  }

  private async checkTapeAlerts(media: MediaRecord): Promise<void> {
    const flags = (await this.driver.status())['alert-flags']
    const critical = flags.filter((f) => CRITICAL_TAPE_ALERT_FLAGS.has(f))
    if (critical.length > 0) {
      await this.o.inventory.setStatus(media.uuid, 'damaged')
      throw new Error(
        `media '${media.labelText}' marked damaged: drive reports TapeAlert ${critical.join(', ')}`
      )
    }
  }

  /** A tape that joins a set carries the catalogs of the set's earlier tapes after its labels. */
  private async writePreviousCatalogs(tape: MediaRecord, set: MediaSetLabel): Promise<void> {
    const members = sessionMediaSet(this.o.session, await this.records()).members
    for (const member of members.slice(0, set.seqNr)) {
      if (!member) continue
      const file = (await this.driver.position()).file
      const bytes = await this.o.catalog.exportPbsCatalog(member.uuid)
      const header = { uuid: member.uuid, mediaSetUuid: set.uuid, seqNr: member.mediaSet!.seqNr }
      const result = await writeCatalogArchive(this.driver, header, bytes, {
        namespaces: this.o.namespaces
      })
      if (!result.complete) throw new Error('the tape reached its end while writing catalogs')
      await this.written(tape, {
        kind: 'catalog-archive',
        fileNumber: file,
        contentUuid: result.contentUuid,
        catalog: { mediaUuid: member.uuid, mediaSetUuid: set.uuid, seqNr: header.seqNr }
      })
    }
  }

  /** Records an archive that is on tape; commits once COMMIT_BYTES were written since the last. */
  private async written(
    tape: { uuid: string; labelText: string },
    entry: CatalogEntry,
    bytes = 0
  ): Promise<void> {
    const open = (this.uncommitted ??= { tape, entries: [], bytes: 0 })
    if (open.tape.uuid !== tape.uuid) throw new Error('uncommitted archives on another tape')
    open.entries.push(entry)
    open.bytes += bytes
    if (open.bytes >= COMMIT_BYTES) await this.commit()
  }

  /**
   * A commit point: the drive flushes what it buffered, then the archives written since the last
   * commit go into the catalog in one transaction. Also called when a job fails, so everything
   * complete on tape is kept.
   */
  async commit(): Promise<void> {
    const open = this.uncommitted
    if (!open) return
    await this.driver.writeFilemarks(0)
    await this.o.catalog.recordFiles(open.tape.uuid, open.entries)
    this.uncommitted = undefined
    this.o.ctx.log(
      `committed ${open.entries.length} archive(s) on '${open.tape.labelText}' to the catalog`
    )
  }

  private async markFull(tape: LoadedTape): Promise<void> {
    await this.commit()
    tape.full = true
    this.o.ctx.log(`media '${tape.labelText}' is full (end of tape reached)`)
    await this.o.inventory.setStatus(tape.uuid, 'full')
    await this.recordBytesUsed(tape)
  }

  private async recordBytesUsed(tape: LoadedTape): Promise<void> {
    const used = (await this.driver.status())['bytes-used']
    if (used !== undefined) await this.o.inventory.setBytesUsed(tape.uuid, used)
  }

  /**
   * Writes every chunk `chunks` yields into chunk archives (≤ 4 GiB each), continuing on the set's
   * next tape at LEOM with the chunk that was cut off. Each archive is committed to the catalog
   * right after its filemark.
   */
  async writeChunks(
    store: string,
    chunks: AsyncIterator<SourceChunk>,
    onProgress?: (bytes: number) => void
  ): Promise<number> {
    let carry: SourceChunk | undefined
    const next = async (): Promise<SourceChunk | undefined> => {
      if (carry) {
        const chunk = carry
        carry = undefined
        return chunk
      }
      const result = await chunks.next()
      return result.done ? undefined : result.value
    }
    let written = 0
    for (let chunk = await next(); chunk; chunk = await next()) {
      this.o.ctx.checkAbort()
      const tape = await this.writableTape()
      const file = (await this.driver.position()).file
      const archive = await ChunkArchiveWriter.start(this.driver, store)
      const started = process.hrtime.bigint()
      let bytes = 0
      while (chunk) {
        if (!(await archive.tryWriteChunk(chunk.digest, chunk.blob))) {
          carry = chunk
          break
        }
        bytes += chunk.blob.length
        onProgress?.(chunk.blob.length)
        chunk.release()
        if (archive.closed || archive.bytesWritten >= MAX_CHUNK_ARCHIVE_SIZE) break
        chunk = await next()
      }
      const leom = await archive.finish()
      await this.written(
        tape,
        {
          kind: 'chunk-archive',
          fileNumber: file,
          contentUuid: archive.contentUuid,
          store,
          digests: archive.chunks
        },
        bytes
      )
      for (const digest of archive.chunks) this.setChunks.add(digest)
      written += archive.chunks.length
      this.chunkBytes += bytes
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      this.o.ctx.log(
        `wrote ${archive.chunks.length} chunks (${(bytes / MIB).toFixed(2)} MiB at ${(bytes / MIB / Math.max(seconds, 1e-6)).toFixed(2)} MiB/s) to '${tape.labelText}' file ${file}`
      )
      if (leom) await this.markFull(tape)
      if (!carry && !chunk) break
    }
    return written
  }

  /** Writes the snapshot archive; at LEOM the tape is full and the archive is written again on the next. */
  async writeSnapshot(storeName: string, store: Datastore, info: SnapshotInfo): Promise<void> {
    const name = snapshotName(info)
    const files = await snapshotArchiveFiles(store, info)
    for (let attempt = 0; attempt < 2; attempt++) {
      const tape = await this.writableTape()
      const file = (await this.driver.position()).file
      const result = await writeSnapshotArchive(this.driver, {
        store: storeName,
        snapshot: name,
        files
      })
      if (result.complete) {
        await this.written(
          tape,
          {
            kind: 'snapshot-archive',
            fileNumber: file,
            contentUuid: result.contentUuid,
            store: storeName,
            snapshot: name
          },
          files.reduce((n, f) => n + f.size, 0)
        )
        this.o.ctx.log(
          `wrote snapshot archive ${storeName}:${name} to '${tape.labelText}' file ${file}`
        )
        return
      }
      await this.markFull(tape)
    }
    throw new Error(`snapshot ${name} did not fit on an empty tape`)
  }

  /** Ends the job's writing with a catalog archive of the current tape (PBS does this once per job). */
  async writeCatalog(): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const tape = await this.writableTape()
      await this.commit() // the catalog archive carries everything before it
      const file = (await this.driver.position()).file
      const bytes = await this.o.catalog.exportPbsCatalog(tape.uuid)
      const header = { uuid: tape.uuid, mediaSetUuid: tape.set.uuid, seqNr: tape.set.seqNr }
      const result = await writeCatalogArchive(this.driver, header, bytes, {
        namespaces: this.o.namespaces
      })
      if (result.complete) {
        await this.written(tape, {
          kind: 'catalog-archive',
          fileNumber: file,
          contentUuid: result.contentUuid,
          catalog: { mediaUuid: tape.uuid, mediaSetUuid: tape.set.uuid, seqNr: tape.set.seqNr }
        })
        await this.commit()
        this.o.ctx.log(`wrote catalog archive to '${tape.labelText}' file ${file}`)
        await this.recordBytesUsed(tape)
        return
      }
      await this.markFull(tape)
    }
    throw new Error('the catalog archive did not fit on an empty tape')
  }

  /** The label of the tape in the drive, if this job loaded one. */
  get currentTape(): string | undefined {
    return this.tape?.labelText
  }
}

/** A snapshot directory's files in PBS's archive order, with the stat data PBS copies. */
async function snapshotArchiveFiles(
  store: Datastore,
  info: SnapshotInfo
): Promise<SnapshotArchiveFile[]> {
  const dir = snapshotDir(store.path, info)
  const hasClientLog = await lstat(join(dir, CLIENT_LOG_BLOB_NAME)).then(
    () => true,
    () => false
  )
  const names = snapshotFileOrder(
    (info.manifest?.files ?? []).map((f) => f.filename),
    hasClientLog
  )
  return Promise.all(
    names.map(async (name) => {
      const path = join(dir, name)
      const [stat, content] = await Promise.all([lstat(path, { bigint: true }), readFile(path)])
      return {
        name,
        size: content.length,
        mode: Number(stat.mode),
        uid: Number(stat.uid),
        gid: Number(stat.gid),
        mtime: {
          secs: Number(stat.mtimeNs / 1_000_000_000n),
          nanos: Number(stat.mtimeNs % 1_000_000_000n)
        },
        content
      }
    })
  )
}
