/**
 * Content-defined chunking for dynamic indexes, in the style of PBS's chunker: a buzhash over a
 * 64-byte window, a chunk boundary wherever the hash's low bits are all ones, with minimum and
 * maximum chunk sizes. Because a boundary depends only on the bytes just before it, inserting or
 * changing data moves the boundaries around the change and no others, so an archive that changed
 * a little mostly consists of the same chunks as before.
 *
 * The hash restarts at every boundary and only starts rolling `WINDOW` bytes before the minimum
 * size is reached (nothing before that could end the chunk anyway).
 */
import { DemoRandom } from './demo-random'

export const CHUNKER_WINDOW = 64

export interface ChunkerOptions {
  /** No boundary before this many bytes (≥ the window). */
  minSize: number
  /** Roughly minSize + 2^k where 2^k is the power of two nearest to avgSize − minSize. */
  avgSize: number
  /** A boundary is forced here. */
  maxSize: number
}

/** 64 KiB minimum, ~320 KiB average, 4 MiB maximum. */
export const DEFAULT_CHUNKER_OPTIONS: ChunkerOptions = {
  minSize: 64 * 1024,
  avgSize: 320 * 1024,
  maxSize: 4 * 1024 * 1024
}

/** 256 random 32-bit words; fixed forever, or boundaries (and dedup with older stores) move. */
const BUZHASH_TABLE: Int32Array = (() => {
  const rng = DemoRandom.fromKey('tapedeck content chunker buzhash table v1')
  const table = new Int32Array(256)
  for (let i = 0; i < 256; i++) table[i] = rng.u32()
  return table
})()

export class ContentChunker {
  private readonly pending: Uint8Array
  private length = 0
  private hash = 0
  private readonly mask: number
  private readonly hashStart: number

  constructor(readonly options: ChunkerOptions = DEFAULT_CHUNKER_OPTIONS) {
    const { minSize, avgSize, maxSize } = options
    if (!(minSize >= CHUNKER_WINDOW && avgSize > minSize && maxSize >= avgSize)) {
      throw new Error('chunker: need window ≤ minSize < avgSize ≤ maxSize')
    }
    const bits = Math.max(1, Math.min(30, Math.round(Math.log2(avgSize - minSize))))
    this.mask = (1 << bits) - 1
    this.hashStart = minSize - CHUNKER_WINDOW
    this.pending = new Uint8Array(maxSize)
  }

  /** Feeds bytes; returns the chunks they completed (fresh copies, in order). */
  push(data: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = []
    const { minSize, maxSize } = this.options
    const pending = this.pending
    const mask = this.mask
    const start = this.hashStart
    let pos = 0
    while (pos < data.length) {
      if (this.length < start) {
        // Too early for a boundary: copy without hashing.
        const n = Math.min(start - this.length, data.length - pos)
        pending.set(data.subarray(pos, pos + n), this.length)
        this.length += n
        pos += n
        continue
      }
      // Copy as much as fits, then roll the hash over it; bytes after a boundary are dropped
      // again and read from `data` on the next round.
      const from = this.length
      const n = Math.min(data.length - pos, maxSize - from)
      pending.set(data.subarray(pos, pos + n), from)
      const to = from + n
      const table = BUZHASH_TABLE
      let h = this.hash
      let end = to
      let cut = false
      for (let i = from; i < to; i++) {
        h = ((h << 1) | (h >>> 31)) ^ table[pending[i]]
        // The byte leaving the window entered 64 rotations ago: 64 ≡ 0 (mod 32), so no rotation.
        if (i >= minSize) h ^= table[pending[i - CHUNKER_WINDOW]]
        if (i + 1 >= minSize && (h & mask) === mask) {
          end = i + 1
          cut = true
          break
        }
      }
      pos += end - from
      this.length = end
      this.hash = h
      if (cut || end === maxSize) out.push(this.take())
    }
    return out
  }

  /** The final, possibly short chunk (undefined when nothing is pending). */
  finish(): Uint8Array | undefined {
    return this.length > 0 ? this.take() : undefined
  }

  private take(): Uint8Array {
    const chunk = this.pending.slice(0, this.length)
    this.length = 0
    this.hash = 0
    return chunk
  }
}

/** Chunk end offsets of `data` cut in one go (tests, tools). */
export function chunkBoundaries(data: Uint8Array, options?: ChunkerOptions): number[] {
  const chunker = new ContentChunker(options)
  const ends: number[] = []
  let offset = 0
  for (const chunk of chunker.push(data)) ends.push((offset += chunk.length))
  const last = chunker.finish()
  if (last) ends.push(offset + last.length)
  return ends
}
