/**
 * Gets the chunks of a chunk archive back from behind an unreadable block. A normal reader stops
 * there (block sequence broken); but every entry carries its own magic, digest, size and a CRC'd
 * blob, so the rest of the file can be read block by block, skipping unreadable ones, and the
 * entries found again by their magic. An entry is accepted only when its whole blob is there and
 * its CRC matches; entries that overlap a bad block are lost, nothing else.
 */
import type { BlockSource } from './block-io'
import {
  BLOCK_HEADER_SIZE,
  FLAG_END_OF_STREAM,
  decodeBlockHeader,
  hasBlockHeaderMagic
} from './block-header'
import { CHUNK_ENTRY_HEADER_SIZE, MAX_CHUNK_ENTRY_SIZE } from './chunk-archive-entry'
import type { ChunkArchiveEntry } from './chunk-archive-reader'
import { verifyDataBlob } from './data-blob'
import { CHUNK_ARCHIVE_ENTRY_MAGIC_1_0 } from './magics'

/** More unreadable blocks in a row than this: the tape is beyond salvage here. */
const MAX_BAD_BLOCKS_IN_A_ROW = 16

export interface SalvageOptions {
  /** Whether an error thrown by `readBlock` is an unreadable block (the drive moved past it). */
  isReadError(err: unknown): boolean
  /** Told about each unreadable block. */
  onBadBlock?(err: unknown): void
}

/**
 * Reads the rest of the current tape file (up to and including its filemark) and yields every
 * intact chunk entry in it. Call it right after a read error inside a chunk archive.
 */
export async function* salvageChunkEntries(
  source: BlockSource,
  options: SalvageOptions
): AsyncGenerator<ChunkArchiveEntry> {
  // Payload bytes since the last gap; entries are searched in it.
  let data: Buffer = Buffer.alloc(0)
  let badInARow = 0
  for (;;) {
    let block: Uint8Array | 'filemark' | 'end-of-data'
    try {
      block = await source.readBlock()
    } catch (err) {
      if (!options.isReadError(err) || ++badInARow > MAX_BAD_BLOCKS_IN_A_ROW) throw err
      options.onBadBlock?.(err)
      data = Buffer.alloc(0) // an entry spanning the gap cannot be completed
      continue
    }
    badInARow = 0
    if (block === 'filemark' || block === 'end-of-data') return
    if (!hasBlockHeaderMagic(block)) continue
    const { flags, size } = decodeBlockHeader(block)
    const payload = block.subarray(BLOCK_HEADER_SIZE, BLOCK_HEADER_SIZE + size)
    data = Buffer.concat([data, payload])
    const { entries, consumed } = findEntries(data)
    data = data.subarray(consumed)
    yield* entries
    if (flags & FLAG_END_OF_STREAM) {
      // The filemark follows; read it so the drive stands at the next file.
      try {
        await source.readBlock()
      } catch (err) {
        if (!options.isReadError(err)) throw err
      }
      return
    }
  }
}

/**
 * Entries complete in `data`, and how many leading bytes are done with (everything before the
 * first magic that may still start an incomplete entry).
 */
function findEntries(data: Buffer): { entries: ChunkArchiveEntry[]; consumed: number } {
  const entries: ChunkArchiveEntry[] = []
  let at = 0
  for (;;) {
    const found = data.indexOf(CHUNK_ARCHIVE_ENTRY_MAGIC_1_0, at)
    if (found < 0) return { entries, consumed: Math.max(at, data.length - 7) }
    if (found + CHUNK_ENTRY_HEADER_SIZE > data.length) return { entries, consumed: found }
    const size = Number(data.readBigUInt64LE(found + 40))
    const end = found + CHUNK_ENTRY_HEADER_SIZE + size
    if (size < 12 || size > MAX_CHUNK_ENTRY_SIZE) {
      at = found + 1 // not an entry header after all
      continue
    }
    if (end > data.length) return { entries, consumed: found }
    const blob = new Uint8Array(data.subarray(found + CHUNK_ENTRY_HEADER_SIZE, end))
    try {
      verifyDataBlob(blob)
    } catch {
      at = found + 1
      continue
    }
    entries.push({ digest: new Uint8Array(data.subarray(found + 8, found + 40)), blob })
    at = end
  }
}
