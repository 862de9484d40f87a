import { FormatError } from './format-error'
import { CHUNK_ARCHIVE_ENTRY_MAGIC_1_0, sameMagic } from './magics'

/** Packed LE entry header before each blob in a chunk archive: magic(8) | digest(32) | size u64. */
export const CHUNK_ENTRY_HEADER_SIZE = 48

/**
 * Largest blob we accept in an entry: PBS caps blob data at 128 MiB, plus the biggest blob header.
 * Checked before allocating, so a damaged size field cannot exhaust memory.
 */
export const MAX_CHUNK_ENTRY_SIZE = 128 * 1024 * 1024 + 44

export interface ChunkEntryHeader {
  /** SHA-256 chunk id (32 bytes). */
  digest: Uint8Array
  /** Length of the raw blob that follows. */
  size: number
}

export function encodeChunkEntryHeader(h: ChunkEntryHeader): Uint8Array {
  if (h.digest.length !== 32) throw new RangeError('chunk digest must be 32 bytes')
  const out = new Uint8Array(CHUNK_ENTRY_HEADER_SIZE)
  out.set(CHUNK_ARCHIVE_ENTRY_MAGIC_1_0, 0)
  out.set(h.digest, 8)
  new DataView(out.buffer).setBigUint64(40, BigInt(h.size), true)
  return out
}

export function decodeChunkEntryHeader(bytes: Uint8Array): ChunkEntryHeader {
  if (!sameMagic(bytes.subarray(0, 8), CHUNK_ARCHIVE_ENTRY_MAGIC_1_0)) {
    throw new FormatError('chunk archive entry: wrong magic number')
  }
  const size = new DataView(bytes.buffer, bytes.byteOffset, CHUNK_ENTRY_HEADER_SIZE).getBigUint64(
    40,
    true
  )
  if (size > BigInt(MAX_CHUNK_ENTRY_SIZE)) {
    throw new FormatError(`chunk archive entry: blob size ${size} exceeds ${MAX_CHUNK_ENTRY_SIZE}`)
  }
  return { digest: bytes.slice(8, 40), size: Number(size) }
}
