import { utf8 } from './pretty-json'
import { uuidToBytes } from './uuid-bytes'

/**
 * Record layouts of the binary media catalog (`<media-uuid>.log`, PBS `media_catalog.rs`).
 * Each record is one type byte followed by a `repr(C)` struct *with natural padding*, little endian,
 * then optional variable data. PBS leaves padding uninitialised; we write zeros and ignore it on read.
 *
 *  'L' LabelEntry        32: file_number u64 | uuid[16] | seq_nr u64
 *  'A' ChunkArchiveStart 32: file_number u64 | uuid[16] | store_name_len u8 | pad[7]   + store
 *  'C' digest            32
 *  'E' ChunkArchiveEnd   24: file_number u64 | uuid[16]
 *  'S' SnapshotEntry     32: file_number u64 | uuid[16] | store_name_len u8 | pad u8 |
 *                            name_len u16 | pad[4]                   + store + ':' + snapshot
 */

export const REC_LABEL = 0x4c // 'L'
export const REC_CHUNK_ARCHIVE_START = 0x41 // 'A'
export const REC_CHUNK = 0x43 // 'C'
export const REC_CHUNK_ARCHIVE_END = 0x45 // 'E'
export const REC_SNAPSHOT = 0x53 // 'S'

export const LABEL_ENTRY_SIZE = 32
export const CHUNK_ARCHIVE_START_SIZE = 32
export const CHUNK_DIGEST_SIZE = 32
export const CHUNK_ARCHIVE_END_SIZE = 24
export const SNAPSHOT_ENTRY_SIZE = 32

function record(type: number, structSize: number, extra = 0): { buf: Uint8Array; dv: DataView } {
  const buf = new Uint8Array(1 + structSize + extra)
  buf[0] = type
  return { buf, dv: new DataView(buf.buffer, 1) }
}

export function encodeLabelRecord(fileNumber: number, uuid: string, seqNr: number): Uint8Array {
  const { buf, dv } = record(REC_LABEL, LABEL_ENTRY_SIZE)
  dv.setBigUint64(0, BigInt(fileNumber), true)
  buf.set(uuidToBytes(uuid), 1 + 8)
  dv.setBigUint64(24, BigInt(seqNr), true)
  return buf
}

export function encodeChunkArchiveStartRecord(
  fileNumber: number,
  uuid: string,
  store: string
): Uint8Array {
  const name = utf8(store)
  if (name.length > 0xff) throw new RangeError(`datastore name too long for catalog: ${store}`)
  const { buf, dv } = record(REC_CHUNK_ARCHIVE_START, CHUNK_ARCHIVE_START_SIZE, name.length)
  dv.setBigUint64(0, BigInt(fileNumber), true)
  buf.set(uuidToBytes(uuid), 1 + 8)
  buf[1 + 24] = name.length
  buf.set(name, 1 + CHUNK_ARCHIVE_START_SIZE)
  return buf
}

export function encodeChunkRecord(digest: Uint8Array): Uint8Array {
  if (digest.length !== CHUNK_DIGEST_SIZE) throw new RangeError('chunk digest must be 32 bytes')
  const buf = new Uint8Array(1 + CHUNK_DIGEST_SIZE)
  buf[0] = REC_CHUNK
  buf.set(digest, 1)
  return buf
}

export function encodeChunkArchiveEndRecord(fileNumber: number, uuid: string): Uint8Array {
  const { buf, dv } = record(REC_CHUNK_ARCHIVE_END, CHUNK_ARCHIVE_END_SIZE)
  dv.setBigUint64(0, BigInt(fileNumber), true)
  buf.set(uuidToBytes(uuid), 1 + 8)
  return buf
}

export function encodeSnapshotRecord(
  fileNumber: number,
  uuid: string,
  store: string,
  snapshot: string
): Uint8Array {
  const storeBytes = utf8(store)
  const snapBytes = utf8(snapshot)
  if (storeBytes.length > 0xff)
    throw new RangeError(`datastore name too long for catalog: ${store}`)
  if (snapBytes.length > 0xffff) throw new RangeError('snapshot path too long for catalog')
  const extra = storeBytes.length + 1 + snapBytes.length
  const { buf, dv } = record(REC_SNAPSHOT, SNAPSHOT_ENTRY_SIZE, extra)
  dv.setBigUint64(0, BigInt(fileNumber), true)
  buf.set(uuidToBytes(uuid), 1 + 8)
  buf[1 + 24] = storeBytes.length
  dv.setUint16(26, snapBytes.length, true)
  let at = 1 + SNAPSHOT_ENTRY_SIZE
  buf.set(storeBytes, at)
  at += storeBytes.length
  buf[at++] = 0x3a // ':'
  buf.set(snapBytes, at)
  return buf
}
