/**
 * The virtual drive's write buffer. A real drive accepts a block into its buffer and reports
 * success before the block reaches the tape; a write error surfaces at a later command. The
 * virtual drive does the same with the host file: consecutive blocks are gathered into spans of
 * several blocks, each full span's positioned write is started, and the caller only waits when
 * `depth` spans are still in flight. That keeps the thread pool writing while the caller builds
 * the next blocks, which is what lets a backup stream; writing spans instead of single blocks
 * keeps the cost per write call off the caller's thread.
 */
import type { FileHandle } from 'node:fs/promises'
import { alignedBuffer } from '../../util/direct-io'
import { InFlight } from '../../util/in-flight'

interface Span {
  fh: FileHandle
  /** File offset of the span's first byte. */
  start: number
  length: number
  buffer: Buffer
}

export class WriteBehind {
  private readonly inflight: InFlight
  private readonly spare: Buffer[] = []
  private span: Span | undefined

  constructor(
    private readonly spanBytes = 2 * 1024 * 1024,
    depth = 4
  ) {
    this.inflight = new InFlight(depth)
  }

  /** Takes a copy of `block` for `position`; throws a failure of an earlier write. */
  async write(fh: FileHandle, block: Uint8Array, position: number): Promise<void> {
    let s = this.span
    if (s && (s.fh !== fh || s.start + s.length !== position || !this.fits(s, block))) {
      await this.startSpan()
      s = undefined
    }
    if (!s) {
      const size = Math.max(this.spanBytes, block.length)
      const spare = this.spare.pop()
      // aligned, so the drive may open its files for direct I/O (util/direct-io)
      const buffer = spare && spare.length >= size ? spare : alignedBuffer(size)
      s = this.span = { fh, start: position, length: 0, buffer }
    }
    s.buffer.set(block, s.length)
    s.length += block.length
    if (s.length === s.buffer.length) await this.startSpan()
  }

  /** Writes what is gathered and waits for every write in flight; throws the first failure. */
  async drain(): Promise<void> {
    await this.startSpan()
    await this.inflight.drain()
  }

  private fits(s: Span, block: Uint8Array): boolean {
    return s.length + block.length <= s.buffer.length
  }

  private async startSpan(): Promise<void> {
    const s = this.span
    if (!s) return
    this.span = undefined
    await this.inflight.add(
      s.fh.write(s.buffer, 0, s.length, s.start).then(({ bytesWritten }) => {
        if (bytesWritten !== s.length) throw new Error(`short write (${bytesWritten} bytes)`)
        this.spare.push(s.buffer)
      })
    )
  }
}
