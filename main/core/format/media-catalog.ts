/**
 * The PBS binary media catalog (`<media-uuid>.log`, pbs-tape.md §4.9) as a whole: parsing one into
 * its records in file order (for import into SQLite) and encoding one from stored rows (for
 * catalog archives and for PBS hosts). Record layouts: media-catalog-records.ts.
 *
 * Parsing keeps the record order and keeps chunk digests as views into the input rather than
 * indexing them into per-chunk maps (~150 bytes per chunk): a catalog with millions of chunks goes
 * straight into SQLite, which answers "where is chunk X" (catalog-store.ts).
 */
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
  encodeLabelRecord,
  encodeSnapshotRecord
} from './media-catalog-records'
import { decodeUtf8, utf8 } from './pretty-json'
import { parseSnapshotPath } from './snapshot-path'
import { bytesToUuid, normalizeUuid } from './uuid-bytes'

export interface MediaSetRef {
  uuid: string
  seqNr: number
}

/** Size of one 'C' record: type byte + digest. */
export const CHUNK_RECORD_SIZE = 1 + CHUNK_DIGEST_SIZE

/** Digests laid out at a fixed stride inside a buffer (packed: stride 32, offset 0). */
export interface DigestRun {
  bytes: Uint8Array
  count: number
  stride: number
  offset: number
}

export type PbsCatalogFile =
  | {
      kind: 'chunk-archive'
      fileNumber: number
      contentUuid: string
      store: string
      digests: DigestRun
    }
  | {
      kind: 'snapshot-archive'
      fileNumber: number
      contentUuid: string
      store: string
      snapshot: string
    }

export interface PbsCatalogContent {
  mediaUuid: string
  mediaSet?: MediaSetRef
  /** Archives in record (= file) order. */
  files: PbsCatalogFile[]
}

const TYPE_NAME: Record<number, string> = { 0x4c: 'L', 0x41: 'A', 0x43: 'C', 0x45: 'E', 0x53: 'S' }

/**
 * Parses and validates a whole catalog: the first record is L(0) with the media uuid
 * (`expect.mediaUuid` when given), L(1) matches `expect.mediaSet` when given, file numbers
 * strictly increase (archives ≥ 2), 'C' records only inside an A…E section whose end matches.
 */
export function parsePbsCatalog(
  bytes: Uint8Array,
  expect: { mediaUuid?: string; mediaSet?: MediaSetRef } = {}
): PbsCatalogContent {
  if (bytes.length === 0) throw new FormatError('media catalog is empty (no magic number)')
  if (bytes.length < 8) throw new FormatError('media catalog too short for its magic number')
  const magic = bytes.subarray(0, 8)
  if (sameMagic(magic, MEDIA_CATALOG_MAGIC_1_0)) {
    throw new FormatError('old catalog format (v1.0) is no longer supported')
  }
  if (!sameMagic(magic, MEDIA_CATALOG_MAGIC_1_1)) {
    throw new FormatError('media catalog: wrong magic number')
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const files: PbsCatalogFile[] = []
  let mediaUuid: string | undefined
  let mediaSet: MediaSetRef | undefined
  let lastFile: number | undefined
  let open: { fileNumber: number; uuid: string; store: string; start: number } | undefined
  let pos = 8

  const need = (type: number, n: number): void => {
    if (pos + n > bytes.length) {
      throw new FormatError(
        `media catalog truncated inside a '${TYPE_NAME[type]}' record at offset ${pos - 1}`
      )
    }
  }
  const u64 = (at: number, what: string): number => {
    const v = dv.getBigUint64(at, true)
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new FormatError(`media catalog: ${what} ${v} out of range`)
    }
    return Number(v)
  }
  function fail(at: number, problem: string): never {
    throw new FormatError(`media catalog record at offset ${at}: ${problem}`)
  }
  const checkArchiveFile = (at: number, what: string, fileNumber: number): void => {
    if (fileNumber < 2) fail(at, `${what} failed: got wrong file number (${fileNumber} < 2)`)
    const min = lastFile === undefined ? 0 : lastFile + 1
    if (fileNumber < min) {
      fail(at, `${what} failed: got unexpected file number (${fileNumber} < ${min})`)
    }
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
      if (mediaUuid === undefined) {
        mediaUuid =
          expect.mediaUuid === undefined ? uuid : normalizeUuid(expect.mediaUuid, 'media uuid')
      }
      if (fileNumber >= 2) {
        fail(at, `register label failed: got wrong file number (${fileNumber} >= 2)`)
      }
      if (fileNumber === 0 && uuid !== mediaUuid)
        fail(at, 'register label failed: uuid does not match')
      if (fileNumber === 0 && seqNr !== 0) {
        fail(at, 'register label failed: seq_nr of the media label must be 0')
      }
      if (open !== undefined) fail(at, 'register label failed: inside chunk archive')
      const expected = lastFile === undefined ? 0 : lastFile + 1
      if (fileNumber !== expected) {
        fail(at, `register label failed: got unexpected file number (${fileNumber} != ${expected})`)
      }
      if (fileNumber === 1) {
        if (expect.mediaSet !== undefined) {
          if (normalizeUuid(expect.mediaSet.uuid, 'media set uuid') !== uuid) {
            fail(at, 'got unexpected media set uuid')
          }
          if (expect.mediaSet.seqNr !== seqNr) fail(at, 'got unexpected media set sequence number')
        }
        mediaSet = { uuid, seqNr }
      }
      lastFile = fileNumber
      continue
    }
    if (mediaUuid === undefined) {
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
        if (open !== undefined) fail(at, 'start_chunk_archive failed: already started')
        checkArchiveFile(at, 'start_chunk_archive', fileNumber)
        open = { fileNumber, uuid, store, start: pos }
        break
      }
      case REC_CHUNK: {
        need(type, CHUNK_DIGEST_SIZE)
        if (open === undefined) fail(at, 'register_chunk failed: no archive started')
        pos += CHUNK_DIGEST_SIZE
        break
      }
      case REC_CHUNK_ARCHIVE_END: {
        need(type, CHUNK_ARCHIVE_END_SIZE)
        const fileNumber = u64(pos, 'file number')
        const uuid = bytesToUuid(bytes.subarray(pos + 8, pos + 24))
        pos += CHUNK_ARCHIVE_END_SIZE
        if (open === undefined) fail(at, 'end_chunk_archive failed: not started')
        if (uuid !== open.uuid) fail(at, 'end_chunk_archive failed: got unexpected uuid')
        if (fileNumber !== open.fileNumber) {
          fail(
            at,
            `end_chunk_archive failed: got unexpected file number (${fileNumber} != ${open.fileNumber})`
          )
        }
        // Only C records can sit between A and E, so the digests are one contiguous run.
        const run = bytes.subarray(open.start, at)
        files.push({
          kind: 'chunk-archive',
          fileNumber,
          contentUuid: uuid,
          store: open.store,
          digests: {
            bytes: run,
            count: run.length / CHUNK_RECORD_SIZE,
            stride: CHUNK_RECORD_SIZE,
            offset: 1
          }
        })
        lastFile = fileNumber
        open = undefined
        break
      }
      case REC_SNAPSHOT: {
        need(type, SNAPSHOT_ENTRY_SIZE)
        const fileNumber = u64(pos, 'file number')
        const uuid = bytesToUuid(bytes.subarray(pos + 8, pos + 24))
        const storeLen = bytes[pos + 24]
        const nameLen = dv.getUint16(pos + 26, true)
        pos += SNAPSHOT_ENTRY_SIZE
        need(type, storeLen + 1 + nameLen)
        const store = decodeUtf8(bytes.subarray(pos, pos + storeLen), 'datastore name')
        if (bytes[pos + storeLen] !== 0x3a) fail(at, 'missing separator in SnapshotEntry')
        const snapshot = decodeUtf8(
          bytes.subarray(pos + storeLen + 1, pos + storeLen + 1 + nameLen),
          'snapshot path'
        )
        pos += storeLen + 1 + nameLen
        parseSnapshotPath(snapshot)
        if (open !== undefined) fail(at, 'register_snapshot failed: inside chunk_archive')
        checkArchiveFile(at, 'register_snapshot', fileNumber)
        files.push({ kind: 'snapshot-archive', fileNumber, contentUuid: uuid, store, snapshot })
        lastFile = fileNumber
        break
      }
      default:
        throw new FormatError(
          `media catalog: unknown entry type '${String.fromCharCode(type)}' (0x${type.toString(16)}) at offset ${at}`
        )
    }
  }
  if (mediaUuid === undefined) throw new FormatError('media catalog has no media label record')
  if (open !== undefined) {
    // PBS would accept this and index the chunks; a section without its E record can only come
    // from a torn write, so we refuse rather than trust chunks that may not be on tape.
    throw new FormatError(`media catalog ends inside the chunk archive of file ${open.fileNumber}`)
  }
  return { mediaUuid, mediaSet, files }
}

/** An archive to encode; chunk digests come later, through `fill`. */
export type PbsExportFile =
  | {
      kind: 'chunk-archive'
      fileNumber: number
      contentUuid: string
      store: string
      chunkCount: number
    }
  | {
      kind: 'snapshot-archive'
      fileNumber: number
      contentUuid: string
      store: string
      snapshot: string
    }

/**
 * Encodes a catalog into one buffer of the exact size: magic, L(0), L(1) when in a set, then per
 * archive A C… E or S. `digestsOf(i)` gives the packed digests of chunk archive `files[i]`
 * (archive order); it is called in file order.
 */
export async function encodePbsCatalog(
  mediaUuid: string,
  mediaSet: MediaSetRef | undefined,
  files: readonly PbsExportFile[],
  digestsOf: (index: number) => Promise<Uint8Array>
): Promise<Uint8Array> {
  const head = [MEDIA_CATALOG_MAGIC_1_1, encodeLabelRecord(0, mediaUuid, 0)]
  if (mediaSet !== undefined) head.push(encodeLabelRecord(1, mediaSet.uuid, mediaSet.seqNr))
  let size = head.reduce((n, b) => n + b.length, 0)
  for (const f of files) {
    size +=
      f.kind === 'chunk-archive'
        ? 1 +
          CHUNK_ARCHIVE_START_SIZE +
          utf8(f.store).length +
          f.chunkCount * CHUNK_RECORD_SIZE +
          1 +
          CHUNK_ARCHIVE_END_SIZE
        : 1 + SNAPSHOT_ENTRY_SIZE + utf8(f.store).length + 1 + utf8(f.snapshot).length
  }
  const out = new Uint8Array(size)
  let pos = 0
  const put = (b: Uint8Array): void => {
    out.set(b, pos)
    pos += b.length
  }
  head.forEach(put)
  for (let i = 0; i < files.length; i++) {
    const f = files[i]!
    if (f.kind === 'snapshot-archive') {
      put(encodeSnapshotRecord(f.fileNumber, f.contentUuid, f.store, f.snapshot))
      continue
    }
    const packed = await digestsOf(i)
    if (packed.length !== f.chunkCount * CHUNK_DIGEST_SIZE) {
      throw new Error(
        `catalog of file ${f.fileNumber} lists ${f.chunkCount} chunks but ${packed.length / CHUNK_DIGEST_SIZE} are stored`
      )
    }
    put(encodeChunkArchiveStartRecord(f.fileNumber, f.contentUuid, f.store))
    // 'C' records: what encodeChunkRecord makes, written in place.
    for (let d = 0; d < packed.length;) {
      out[pos++] = REC_CHUNK
      for (const end = d + CHUNK_DIGEST_SIZE; d < end;) out[pos++] = packed[d++]!
    }
    put(encodeChunkArchiveEndRecord(f.fileNumber, f.contentUuid))
  }
  if (pos !== size) throw new Error(`catalog encoder wrote ${pos} of ${size} bytes`)
  return out
}
