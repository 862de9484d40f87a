import {
  BLOCK_HEADER_SIZE,
  BLOCK_PAYLOAD_SIZE,
  BLOCK_SIZE,
  FLAG_END_OF_STREAM,
  FLAG_INCOMPLETE,
  encodeBlockHeader
} from './block-header'
import type { BlockSink } from './block-io'

/**
 * Turns a byte stream into one PBS tape file: full 256 KiB blocks with the 16-byte block header,
 * then (on `finish`) one END_OF_STREAM block and a filemark.
 *
 * The LEOM flag (drive early warning) is sticky: once a block write reported it, every later `write`
 * returns true, so archive writers can close the current archive as PBS does.
 *
 * One block buffer is allocated per writer and reused for every block; `write` copies with
 * `Uint8Array.set` (memcpy), so the hot path allocates nothing but the subarray views.
 * Calls must not overlap (await each one): the block buffer is shared.
 */
export class BlockedWriter {
  private readonly block = new Uint8Array(BLOCK_SIZE)
  private pos = 0
  private seqNr = 0
  private leomSeen = false
  private blocksWritten = 0
  private payload = 0
  private state: 'open' | 'finished' | 'aborted' | 'failed' = 'open'
  private busy = false

  constructor(private readonly sink: BlockSink) {}

  /** True once the drive reported the early warning for any block of this file. */
  get leom(): boolean {
    return this.leomSeen
  }

  /** Raw bytes sent to the drive so far (whole blocks), as PBS counts them for archive limits. */
  get bytesWritten(): number {
    return this.blocksWritten * BLOCK_SIZE
  }

  /** Payload bytes accepted so far (the logical stream position). */
  get payloadBytes(): number {
    return this.payload
  }

  get isOpen(): boolean {
    return this.state === 'open'
  }

  /**
   * Appends `data` to the stream, emitting every block that fills up.
   * Returns the sticky LEOM flag.
   */
  async write(data: Uint8Array): Promise<boolean> {
    this.enter()
    try {
      const len = data.length
      let off = 0
      while (off < len) {
        const n = Math.min(len - off, BLOCK_PAYLOAD_SIZE - this.pos)
        this.block.set(
          off === 0 && n === len ? data : data.subarray(off, off + n),
          BLOCK_HEADER_SIZE + this.pos
        )
        this.pos += n
        off += n
        this.payload += n
        if (this.pos === BLOCK_PAYLOAD_SIZE) await this.emit(0, BLOCK_PAYLOAD_SIZE)
      }
      return this.leomSeen
    } catch (err) {
      this.state = 'failed'
      throw err
    } finally {
      this.busy = false
    }
  }

  /**
   * Ends the stream: always one more block carrying the buffered rest (possibly 0 bytes) with
   * END_OF_STREAM (+ INCOMPLETE when asked), zero-filled behind the data, then one filemark.
   * Returns the sticky LEOM flag.
   */
  async finish(incomplete: boolean): Promise<boolean> {
    this.enter()
    try {
      // Zero padding: stale bytes of the previous block must not leak onto tape.
      this.block.fill(0, BLOCK_HEADER_SIZE + this.pos)
      await this.emit(FLAG_END_OF_STREAM | (incomplete ? FLAG_INCOMPLETE : 0), this.pos)
      this.state = 'finished'
      await this.sink.writeFilemark()
      return this.leomSeen
    } catch (err) {
      this.state = 'failed'
      throw err
    } finally {
      this.busy = false
    }
  }

  /**
   * Gives up on the stream without an end marker, like PBS does when its writer is dropped: a
   * filemark still closes the tape file, and readers see "stream without end marker".
   * Does nothing if the stream was already finished or aborted; best effort after a failure.
   */
  async abort(): Promise<void> {
    if (this.state === 'finished' || this.state === 'aborted' || this.busy) return
    this.state = 'aborted'
    await this.sink.writeFilemark()
  }

  private enter(): void {
    if (this.busy) throw new Error('BlockedWriter: overlapping calls (await each write)')
    if (this.state !== 'open') throw new Error(`BlockedWriter: stream already ${this.state}`)
    this.busy = true
  }

  private async emit(flags: number, size: number): Promise<void> {
    encodeBlockHeader(this.block, { flags, size, seqNr: this.seqNr })
    this.seqNr++
    const { leom } = await this.sink.writeBlock(this.block)
    this.blocksWritten++
    if (leom) this.leomSeen = true
    this.pos = 0
  }
}
