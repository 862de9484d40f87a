import { FormatError } from './format-error'
import { MEDIA_CATALOG_MAGIC_1_0, MEDIA_CATALOG_MAGIC_1_1, sameMagic } from './magics'
import {
  CHUNK_ARCHIVE_END_SIZE,
  CHUNK_ARCHIVE_START_SIZE,
  CHUNK_DIGEST_SIZE,
  LABEL_ENTRY_SIZE,
  REC_CHUNK,
  REC_CHUNK_ARCHIVE_END,
  REC_CHUNK_ARCHIVE_START,
  REC_LABEL,
  REC_SNAPSHOT,
  SNAPSHOT_ENTRY_SIZE,
  encodeChunkArchiveEndRecord,
  encodeChunkArchiveStartRecord,
  encodeChunkRecord,
  encodeLabelRecord,
  encodeSnapshotRecord
} from './media-catalog-records'
import { decodeUtf8 } from './pretty-json'
import { parseSnapshotPath } from './snapshot-path'
import { bytesToUuid, normalizeUuid } from './uuid-bytes'

export interface MediaSetRef {
  uuid: string
  seqNr: number
}

/** What one datastore has on this tape: snapshot path → file number, chunk digest (hex) → file. */
export interface DatastoreContent {
  snapshots: Map<string, number>
  chunks: Map<string, number>
}

const hex = (digest: Uint8Array | string): string =>
  typeof digest === 'string' ? digest.toLowerCase() : Buffer.from(digest).toString('hex')

function fail(kind: new (message: string) => Error, problem: string | undefined): void {
  if (problem !== undefined) throw new kind(problem)
}

const TYPE_NAME: Record<number, string> = { 0x4c: 'L', 0x41: 'A', 0x43: 'C', 0x45: 'E', 0x53: 'S' }

/**
 * The binary media catalog of one tape (§4.9): an append-only log of which tape file holds which
 * snapshot and which chunks, plus the in-memory index built from it.
 *
 * `create` starts a new log, `load` replays an existing one (from disk or from a catalog archive)
 * under the same rules PBS enforces when registering: labels first (file 0 = the media, file 1 =
 * the media set), file numbers strictly increasing and ≥ 2 for archives, chunk records only inside
 * an A…E section whose end matches its start. New records accumulate as pending bytes that the
 * caller appends to the file at its commit points (`takePending`).
 */
export class MediaCatalog {
  private readonly stores = new Map<string, DatastoreContent>()
  private pending: Uint8Array[] = []
  private lastFile: number | undefined
  private current: { uuid: string; fileNumber: number; store: string } | undefined
  private set: MediaSetRef | undefined

  private constructor(readonly mediaUuid: string) {}

  /** A new catalog: magic, L(0) for the media and, for a tape in a set, L(1). All pending. */
  static create(mediaUuid: string, mediaSet?: MediaSetRef): MediaCatalog {
    const cat = new MediaCatalog(normalizeUuid(mediaUuid, 'media uuid'))
    cat.pending.push(MEDIA_CATALOG_MAGIC_1_1.slice())
    cat.registerLabel(cat.mediaUuid, 0, 0)
    if (mediaSet !== undefined) cat.registerLabel(mediaSet.uuid, mediaSet.seqNr, 1)
    return cat
  }

  /**
   * Parses and validates a whole catalog. `expect.mediaUuid` must match L(0) and
   * `expect.mediaSet` must match L(1) when given (PBS compares them with the tape's labels).
   */
  static load(
    bytes: Uint8Array,
    expect: { mediaUuid?: string; mediaSet?: MediaSetRef } = {}
  ): MediaCatalog {
    return MediaCatalog.parse(bytes, expect)
  }

  /** The media set from L(1), if the catalog has one. */
  get mediaSet(): MediaSetRef | undefined {
    return this.set
  }

  /** Highest file number registered so far. */
  get lastFileNumber(): number | undefined {
    return this.lastFile
  }

  get content(): ReadonlyMap<string, DatastoreContent> {
    return this.stores
  }

  hasPending(): boolean {
    return this.pending.length > 0
  }

  /** The bytes registered since the last call, to append to the `.log` file. */
  takePending(): Uint8Array {
    const out = Buffer.concat(this.pending)
    this.pending = []
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
  }

  lookupSnapshot(store: string, snapshot: string): number | undefined {
    return this.stores.get(store)?.snapshots.get(snapshot)
  }

  lookupChunk(store: string, digest: Uint8Array | string): number | undefined {
    return this.stores.get(store)?.chunks.get(hex(digest))
  }

  containsSnapshot(store: string, snapshot: string): boolean {
    return this.lookupSnapshot(store, snapshot) !== undefined
  }

  containsChunk(store: string, digest: Uint8Array | string): boolean {
    return this.lookupChunk(store, digest) !== undefined
  }

  /** All snapshots as (store, snapshot path, file number). */
  *snapshots(): Generator<{ store: string; snapshot: string; fileNumber: number }> {
    for (const [store, c] of this.stores) {
      for (const [snapshot, fileNumber] of c.snapshots) yield { store, snapshot, fileNumber }
    }
  }

  /** Registers file 0 (media label, seq 0) or file 1 (media-set label). */
  registerLabel(uuid: string, seqNr: number, fileNumber: number): void {
    fail(Error, this.checkLabel(fileNumber, normalizeUuid(uuid, 'label uuid'), seqNr))
    this.pending.push(encodeLabelRecord(fileNumber, uuid, seqNr))
    this.applyLabel(normalizeUuid(uuid, 'label uuid'), seqNr, fileNumber)
  }

  /** Registers a finished chunk archive with the chunks it holds completely. */
  registerChunkArchive(
    uuid: string,
    fileNumber: number,
    store: string,
    digests: Iterable<Uint8Array>
  ): void {
    const id = normalizeUuid(uuid, 'archive uuid')
    fail(Error, this.checkStart(fileNumber))
    const records = [encodeChunkArchiveStartRecord(fileNumber, id, store)]
    const list = [...digests]
    for (const d of list) records.push(encodeChunkRecord(d))
    records.push(encodeChunkArchiveEndRecord(fileNumber, id))
    this.pending.push(...records)
    this.applyStart(id, fileNumber, store)
    for (const d of list) this.applyChunk(d)
    this.applyEnd()
  }

  /** Registers a complete snapshot archive. */
  registerSnapshot(uuid: string, fileNumber: number, store: string, snapshot: string): void {
    const id = normalizeUuid(uuid, 'archive uuid')
    parseSnapshotPath(snapshot)
    fail(Error, this.checkSnapshot(fileNumber))
    this.pending.push(encodeSnapshotRecord(fileNumber, id, store, snapshot))
    this.applySnapshot(fileNumber, store, snapshot)
  }

  // --- rules shared by writing and loading (messages as PBS's) ---

  private checkLabel(fileNumber: number, uuid: string, seqNr: number): string | undefined {
    if (fileNumber >= 2) return `register label failed: got wrong file number (${fileNumber} >= 2)`
    if (fileNumber === 0 && uuid !== this.mediaUuid)
      return 'register label failed: uuid does not match'
    if (fileNumber === 0 && seqNr !== 0)
      return 'register label failed: seq_nr of the media label must be 0'
    if (this.current !== undefined) return 'register label failed: inside chunk archive'
    const expected = this.lastFile === undefined ? 0 : this.lastFile + 1
    if (fileNumber !== expected) {
      return `register label failed: got unexpected file number (${fileNumber} != ${expected})`
    }
    return undefined
  }

  private checkStart(fileNumber: number): string | undefined {
    if (this.current !== undefined) return 'start_chunk_archive failed: already started'
    return this.checkArchiveFile('start_chunk_archive', fileNumber)
  }

  private checkSnapshot(fileNumber: number): string | undefined {
    if (this.current !== undefined) return 'register_snapshot failed: inside chunk_archive'
    return this.checkArchiveFile('register_snapshot', fileNumber)
  }

  private checkArchiveFile(what: string, fileNumber: number): string | undefined {
    if (fileNumber < 2) return `${what} failed: got wrong file number (${fileNumber} < 2)`
    const min = this.lastFile === undefined ? 0 : this.lastFile + 1
    if (fileNumber < min)
      return `${what} failed: got unexpected file number (${fileNumber} < ${min})`
    return undefined
  }

  private checkEnd(uuid: string, fileNumber: number): string | undefined {
    if (this.current === undefined) return 'end_chunk_archive failed: not started'
    if (uuid !== this.current.uuid) return 'end_chunk_archive failed: got unexpected uuid'
    if (fileNumber !== this.current.fileNumber) {
      return `end_chunk_archive failed: got unexpected file number (${fileNumber} != ${this.current.fileNumber})`
    }
    return undefined
  }

  private applyLabel(uuid: string, seqNr: number, fileNumber: number): void {
    if (fileNumber === 1) this.set = { uuid, seqNr }
    this.lastFile = fileNumber
  }

  private applyStart(uuid: string, fileNumber: number, store: string): void {
    this.storeContent(store)
    this.current = { uuid, fileNumber, store }
  }

  private applyChunk(digest: Uint8Array): void {
    const cur = this.current
    if (cur === undefined) throw new Error('register_chunk failed: no archive started')
    this.storeContent(cur.store).chunks.set(hex(digest), cur.fileNumber)
  }

  private applyEnd(): void {
    if (this.current !== undefined) this.lastFile = this.current.fileNumber
    this.current = undefined
  }

  private applySnapshot(fileNumber: number, store: string, snapshot: string): void {
    this.storeContent(store).snapshots.set(snapshot, fileNumber)
    this.lastFile = fileNumber
  }

  private storeContent(store: string): DatastoreContent {
    let c = this.stores.get(store)
    if (c === undefined) {
      c = { snapshots: new Map(), chunks: new Map() }
      this.stores.set(store, c)
    }
    return c
  }

  private static parse(
    bytes: Uint8Array,
    expect: { mediaUuid?: string; mediaSet?: MediaSetRef }
  ): MediaCatalog {
    if (bytes.length === 0) throw new FormatError('media catalog is empty (no magic number)')
    if (bytes.length < 8) throw new FormatError('media catalog too short for its magic number')
    const magic = bytes.subarray(0, 8)
    if (sameMagic(magic, MEDIA_CATALOG_MAGIC_1_0)) {
      throw new FormatError('old catalog format (v1.0) is no longer supported')
    }
    if (!sameMagic(magic, MEDIA_CATALOG_MAGIC_1_1))
      throw new FormatError('media catalog: wrong magic number')

    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    let pos = 8
    let cat: MediaCatalog | undefined
    const need = (type: number, n: number): void => {
      if (pos + n > bytes.length) {
        throw new FormatError(
          `media catalog truncated inside a '${TYPE_NAME[type]}' record at offset ${pos - 1}`
        )
      }
    }
    const u64 = (at: number, what: string): number => {
      const v = dv.getBigUint64(at, true)
      if (v > BigInt(Number.MAX_SAFE_INTEGER))
        throw new FormatError(`media catalog: ${what} ${v} out of range`)
      return Number(v)
    }
    const check = (problem: string | undefined, at: number): void => {
      if (problem !== undefined)
        throw new FormatError(`media catalog record at offset ${at}: ${problem}`)
    }

    while (pos < bytes.length) {
      const at = pos
      const type = bytes[pos++]
      if (type === REC_LABEL) {
        need(type, LABEL_ENTRY_SIZE)
        const fileNumber = u64(pos, 'file number')
        const uuid = bytesToUuid(bytes.subarray(pos + 8, pos + 24))
        const seqNr = u64(pos + 24, 'sequence number')
        pos += LABEL_ENTRY_SIZE
        if (cat === undefined) {
          const mediaUuid =
            expect.mediaUuid === undefined ? uuid : normalizeUuid(expect.mediaUuid, 'media uuid')
          cat = new MediaCatalog(mediaUuid)
        }
        check(cat.checkLabel(fileNumber, uuid, seqNr), at)
        if (fileNumber === 1 && expect.mediaSet !== undefined) {
          if (normalizeUuid(expect.mediaSet.uuid, 'media set uuid') !== uuid) {
            check('got unexpected media set uuid', at)
          }
          if (expect.mediaSet.seqNr !== seqNr) check('got unexpected media set sequence number', at)
        }
        cat.applyLabel(uuid, seqNr, fileNumber)
        continue
      }
      if (cat === undefined) {
        throw new FormatError('media catalog: first record must be the media label (L, file 0)')
      }
      switch (type) {
        case REC_CHUNK_ARCHIVE_START: {
          need(type, CHUNK_ARCHIVE_START_SIZE)
          const fileNumber = u64(pos, 'file number')
          const uuid = bytesToUuid(bytes.subarray(pos + 8, pos + 24))
          const storeLen = bytes[pos + 24]
          pos += CHUNK_ARCHIVE_START_SIZE
          need(type, storeLen)
          const store = decodeUtf8(bytes.subarray(pos, pos + storeLen), 'datastore name')
          pos += storeLen
          check(cat.checkStart(fileNumber), at)
          cat.applyStart(uuid, fileNumber, store)
          break
        }
        case REC_CHUNK: {
          need(type, CHUNK_DIGEST_SIZE)
          if (cat.current === undefined) check('register_chunk failed: no archive started', at)
          cat.applyChunk(bytes.subarray(pos, pos + CHUNK_DIGEST_SIZE))
          pos += CHUNK_DIGEST_SIZE
          break
        }
        case REC_CHUNK_ARCHIVE_END: {
          need(type, CHUNK_ARCHIVE_END_SIZE)
          const fileNumber = u64(pos, 'file number')
          const uuid = bytesToUuid(bytes.subarray(pos + 8, pos + 24))
          pos += CHUNK_ARCHIVE_END_SIZE
          check(cat.checkEnd(uuid, fileNumber), at)
          cat.applyEnd()
          break
        }
        case REC_SNAPSHOT: {
          need(type, SNAPSHOT_ENTRY_SIZE)
          const fileNumber = u64(pos, 'file number')
          const storeLen = bytes[pos + 24]
          const nameLen = dv.getUint16(pos + 26, true)
          pos += SNAPSHOT_ENTRY_SIZE
          need(type, storeLen + 1 + nameLen)
          const store = decodeUtf8(bytes.subarray(pos, pos + storeLen), 'datastore name')
          if (bytes[pos + storeLen] !== 0x3a) {
            throw new FormatError(
              `media catalog record at offset ${at}: missing separator in SnapshotEntry`
            )
          }
          const snapshot = decodeUtf8(
            bytes.subarray(pos + storeLen + 1, pos + storeLen + 1 + nameLen),
            'snapshot path'
          )
          pos += storeLen + 1 + nameLen
          parseSnapshotPath(snapshot)
          check(cat.checkSnapshot(fileNumber), at)
          cat.applySnapshot(fileNumber, store, snapshot)
          break
        }
        default:
          throw new FormatError(
            `media catalog: unknown entry type '${String.fromCharCode(type)}' (0x${type.toString(16)}) at offset ${at}`
          )
      }
    }
    if (cat === undefined) throw new FormatError('media catalog has no media label record')
    const open = cat.current
    if (open !== undefined) {
      // PBS would accept this and index the chunks; a section without its E record can only come
      // from a torn write, so we refuse rather than trust chunks that may not be on tape.
      throw new FormatError(
        `media catalog ends inside the chunk archive of file ${open.fileNumber}`
      )
    }
    return cat
  }
}
