import {
  BLOCK_HEADER_SIZE,
  BLOCK_PAYLOAD_SIZE,
  BLOCK_SIZE,
  FLAG_END_OF_STREAM,
  FLAG_INCOMPLETE,
  decodeBlockHeader
} from './block-header'
import type { BlockSource } from './block-io'
import { FormatError } from './format-error'

/** Something bytes can be pulled from; the blocked reader is one, tests use plain buffers. */
export interface ByteSource {
  /** Fills `dest` completely unless the stream ends first; returns the number of bytes read. */
  readFully(dest: Uint8Array): Promise<number>
}

/**
 * Reads one PBS tape file (a block stream written by `BlockedWriter`) back as bytes, checking every
 * block as PBS's `BlockedReader` does: exact block size, magic, sequence numbers, payload size, the
 * END_OF_STREAM block being followed by the filemark. Errors are `FormatError`s with PBS's wording
 * where PBS has one; after an error every further read fails.
 */
export class BlockedReader implements ByteSource {
  /** Payload of the current block: a view into the source's buffer, or into `eosCopy`. */
  private cur: Uint8Array = new Uint8Array(0)
  private pos = 0
  private seqNr = 0
  private foundEndMarker = false
  private incomplete = false
  private gotEod = false
  private failed = false
  private eosCopy: Uint8Array | undefined

  private constructor(private readonly source: BlockSource) {}

  /**
   * Starts reading the tape file at the current position. Returns `'filemark'` when the position is
   * right before a filemark (an empty file) and `'end-of-data'` when nothing more is recorded, so
   * callers can tell the end of a tape from a damaged file.
   */
  static async open(source: BlockSource): Promise<BlockedReader | 'filemark' | 'end-of-data'> {
    const first = await source.readBlock()
    if (first === 'filemark' || first === 'end-of-data') return first
    const reader = new BlockedReader(source)
    await reader.accept(first)
    return reader
  }

  /** True once the whole stream (including the filemark behind it) has been consumed. */
  get atEnd(): boolean {
    return this.gotEod
  }

  /** Whether the stream ended with the INCOMPLETE flag; only known at the end. */
  isIncomplete(): boolean {
    if (!this.gotEod) throw new FormatError('is_incomplete failed: EOD not reached')
    if (!this.foundEndMarker) throw new FormatError('is_incomplete failed: no end marker found')
    return this.incomplete
  }

  /** Whether the stream had an END_OF_STREAM block (false = aborted write); only known at the end. */
  hasEndMarker(): boolean {
    if (!this.gotEod) throw new FormatError('has_end_marker failed: EOD not reached')
    return this.foundEndMarker
  }

  /**
   * The memory address modulo 8 of the next payload byte (0 when it is in a block not read yet,
   * which starts aligned), for callers that choose where to copy it (see BufferPool.take).
   */
  get nextByteAlignment(): number {
    return this.pos < this.cur.length ? (this.cur.byteOffset + this.pos) & 7 : 0
  }

  /**
   * Copies up to `length` bytes into `dest` at `offset`. Returns 0 only at the end of the stream;
   * a stream that ends at a filemark without END_OF_STREAM block is an error here.
   */
  async read(dest: Uint8Array, offset = 0, length = dest.length - offset): Promise<number> {
    if (this.failed) throw new FormatError('detected read after error - internal error')
    if (length <= 0) return 0
    if (this.pos >= this.cur.length) {
      if (this.gotEod) return 0
      await this.guard(this.nextBlock(true))
      if (this.pos >= this.cur.length) return 0
    }
    const n = Math.min(length, this.cur.length - this.pos)
    dest.set(this.cur.subarray(this.pos, this.pos + n), offset)
    this.pos += n
    return n
  }

  async readFully(dest: Uint8Array): Promise<number> {
    let got = 0
    while (got < dest.length) {
      const n = await this.read(dest, got)
      if (n === 0) break
      got += n
    }
    return got
  }

  /** Reads exactly `length` bytes into a new buffer; a shorter stream is an error naming `what`. */
  async readExact(length: number, what = 'data'): Promise<Uint8Array> {
    const buf = new Uint8Array(length)
    const got = await this.readFully(buf)
    if (got !== length) {
      throw new FormatError(
        `unexpected end of stream while reading ${what} (${got} of ${length} bytes)`
      )
    }
    return buf
  }

  /**
   * Yields the remaining payload as views into the block buffers, without copying. Each view is
   * valid only until the next iteration step.
   */
  async *chunks(): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.failed) throw new FormatError('detected read after error - internal error')
      if (this.pos < this.cur.length) {
        const view = this.cur.subarray(this.pos)
        this.pos = this.cur.length
        yield view
        continue
      }
      if (this.gotEod) return
      await this.guard(this.nextBlock(true))
    }
  }

  /**
   * Reads to the end and returns how many payload bytes were left; like PBS's `skip_to_end`, a
   * stream without end marker is an error.
   */
  async skipToEnd(): Promise<number> {
    let skipped = 0
    for await (const chunk of this.chunks()) skipped += chunk.length
    return skipped
  }

  /**
   * Reads to the end without complaining about a missing end marker (PBS `skip_data`), so a scan can
   * move past an aborted file. Returns the skipped payload bytes.
   */
  async skipData(): Promise<number> {
    if (this.failed) throw new FormatError('detected read after error - internal error')
    let skipped = this.cur.length - this.pos
    this.pos = this.cur.length
    while (!this.gotEod) {
      await this.guard(this.nextBlock(false))
      skipped += this.cur.length
      this.pos = this.cur.length
    }
    return skipped
  }

  private async guard(p: Promise<void>): Promise<void> {
    try {
      await p
    } catch (err) {
      this.failed = true
      throw err
    }
  }

  private async nextBlock(checkEndMarker: boolean): Promise<void> {
    const r = await this.source.readBlock()
    if (r === 'filemark') {
      this.gotEod = true
      this.cur = new Uint8Array(0)
      this.pos = 0
      if (!this.foundEndMarker && checkEndMarker) {
        throw new FormatError('detected tape stream without end marker')
      }
      return
    }
    if (r === 'end-of-data') throw new FormatError('got unexpected end of tape')
    await this.accept(r)
  }

  /** Validates one block and makes its payload current; after END_OF_STREAM consumes the filemark. */
  private async accept(block: Uint8Array): Promise<void> {
    if (block.length !== BLOCK_SIZE) {
      throw new FormatError(`got wrong block size (${block.length} bytes, expected ${BLOCK_SIZE})`)
    }
    const header = decodeBlockHeader(block)
    if (header.seqNr !== this.seqNr) {
      throw new FormatError(
        `detected tape block with wrong sequence number (${this.seqNr} != ${header.seqNr})`
      )
    }
    const eos = (header.flags & FLAG_END_OF_STREAM) !== 0
    if (header.size > BLOCK_PAYLOAD_SIZE) {
      throw new FormatError(
        `detected tape block with wrong payload size (${header.size} > ${BLOCK_PAYLOAD_SIZE})`
      )
    }
    if (header.size === 0 && !eos)
      throw new FormatError('detected tape block with zero payload size')
    if ((header.flags & FLAG_INCOMPLETE) !== 0 && !eos) {
      throw new FormatError(
        'detected tape block with INCOMPLETE flag but without END_OF_STREAM flag'
      )
    }
    this.seqNr++
    const payload = block.subarray(BLOCK_HEADER_SIZE, BLOCK_HEADER_SIZE + header.size)
    if (!eos) {
      this.cur = payload
      this.pos = 0
      return
    }
    // The filemark check below reads from the source again, which may reuse its buffer, so the
    // last block's payload is copied first (once per tape file).
    this.eosCopy ??= new Uint8Array(BLOCK_PAYLOAD_SIZE)
    this.eosCopy.set(payload)
    this.cur = this.eosCopy.subarray(0, header.size)
    this.pos = 0
    this.foundEndMarker = true
    this.incomplete = (header.flags & FLAG_INCOMPLETE) !== 0
    const next = await this.source.readBlock()
    if (next === 'end-of-data') throw new FormatError('got unexpected end of tape')
    if (next !== 'filemark') {
      throw new FormatError('detected tape block after block-stream end marker')
    }
    this.gotEod = true
  }
}
