import { FormatError } from './format-error'
import { TAPE_BLOCK_HEADER_MAGIC } from './magics'

/** Every SCSI READ/WRITE of a PBS tape moves exactly one block of this size (256 KiB). */
export const BLOCK_SIZE = 262_144
/** Packed header at the start of every block. */
export const BLOCK_HEADER_SIZE = 16
/** Payload bytes that fit behind the header. */
export const BLOCK_PAYLOAD_SIZE = BLOCK_SIZE - BLOCK_HEADER_SIZE

/** Last block of a tape file's stream. */
export const FLAG_END_OF_STREAM = 0x01
/** Stream was cut short on purpose (LEOM); only meaningful together with END_OF_STREAM. */
export const FLAG_INCOMPLETE = 0x02

export interface BlockHeader {
  flags: number
  /** Payload bytes used in this block (24-bit). */
  size: number
  /** 0 for the first block of a file, +1 per block. */
  seqNr: number
}

/**
 * Writes the 16-byte header into the first bytes of `block`:
 * magic(8) | flags(1) | size(3, LE) | seq_nr(4, LE).
 */
export function encodeBlockHeader(block: Uint8Array, header: BlockHeader): void {
  if (!Number.isInteger(header.size) || header.size < 0 || header.size > BLOCK_PAYLOAD_SIZE) {
    throw new RangeError(`block payload size ${header.size} out of range`)
  }
  block.set(TAPE_BLOCK_HEADER_MAGIC, 0)
  block[8] = header.flags & 0xff
  block[9] = header.size & 0xff
  block[10] = (header.size >>> 8) & 0xff
  block[11] = (header.size >>> 16) & 0xff
  const s = header.seqNr >>> 0
  block[12] = s & 0xff
  block[13] = (s >>> 8) & 0xff
  block[14] = (s >>> 16) & 0xff
  block[15] = (s >>> 24) & 0xff
}

export function hasBlockHeaderMagic(block: Uint8Array): boolean {
  if (block.length < BLOCK_HEADER_SIZE) return false
  for (let i = 0; i < 8; i++) if (block[i] !== TAPE_BLOCK_HEADER_MAGIC[i]) return false
  return true
}

/** Reads the header fields; checks only the magic (stream rules are the reader's job). */
export function decodeBlockHeader(block: Uint8Array): BlockHeader {
  if (!hasBlockHeaderMagic(block)) {
    throw new FormatError(
      'got tape block with unknown magic number - not written by PBS or incompatible LTO version'
    )
  }
  return {
    flags: block[8],
    size: block[9] | (block[10] << 8) | (block[11] << 16),
    seqNr: (block[12] | (block[13] << 8) | (block[14] << 16) | (block[15] << 24)) >>> 0
  }
}
