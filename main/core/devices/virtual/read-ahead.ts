/**
 * The virtual drive's read buffer. A real drive streams ahead of the host into its buffer; the
 * virtual drive reads a tape file in spans of several blocks into one of two buffers and reads the
 * next span into the other while the caller works through the current one, so a restore never
 * waits for a round trip per block. The two buffers belong to the drive and serve file after file:
 * fresh multi-megabyte buffers per tape file cost a page fault per 4 KiB on first touch.
 */
import type { FileHandle } from 'node:fs/promises'

interface Span {
  first: number
  /** Bytes read; fewer than a whole span only at the end of the file (or a short host file). */
  bytes: number
  buffer: 0 | 1
}

/** Blocks per read. */
const SPAN = 8

/** The pair of buffers a ReadAhead works with, for blocks of `blockSize`. */
export function readAheadBuffers(blockSize: number): [Buffer, Buffer] {
  return [Buffer.allocUnsafe(blockSize * SPAN), Buffer.allocUnsafe(blockSize * SPAN)]
}

export class ReadAhead {
  private current: Span | undefined
  private next: Promise<Span> | undefined

  /**
   * `blocks`: how many blocks the file holds (nothing beyond is read); `buffers`: two of
   * `readAheadBuffers`' size for `blockSize`, not used by anything else until `settle` resolves.
   */
  constructor(
    private readonly fh: FileHandle,
    private readonly blockSize: number,
    private readonly blocks: number,
    private readonly buffers: [Buffer, Buffer]
  ) {}

  /** Resolves when no read is under way into the buffers any more. */
  async settle(): Promise<void> {
    await this.next?.catch(() => undefined)
    this.next = undefined
  }

  /**
   * Block `n` of the file, valid until the next call; shorter than a block only when the host
   * file is shorter than recorded.
   */
  async block(n: number): Promise<Uint8Array> {
    if (!this.holds(this.current, n)) {
      const ahead = await this.next
      this.next = undefined
      this.current = ahead && this.holds(ahead, n) ? ahead : await this.read(n, ahead?.buffer ?? 0)
      const after = this.current.first + SPAN
      if (after < this.blocks) {
        this.next = this.read(after, this.current.buffer === 0 ? 1 : 0)
        this.next.catch(() => undefined) // surfaces when that span is wanted
      }
    }
    const span = this.current!
    const at = (n - span.first) * this.blockSize
    return this.buffers[span.buffer].subarray(at, Math.min(at + this.blockSize, span.bytes))
  }

  private holds(span: Span | undefined, n: number): boolean {
    return span !== undefined && n >= span.first && n < span.first + SPAN
  }

  private async read(first: number, buffer: 0 | 1): Promise<Span> {
    const length = Math.min(SPAN, this.blocks - first) * this.blockSize
    const { bytesRead } = await this.fh.read(
      this.buffers[buffer],
      0,
      length,
      first * this.blockSize
    )
    return { first, bytes: bytesRead, buffer }
  }
}
