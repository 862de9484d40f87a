/**
 * The virtual drive's write buffer. A real drive accepts a block into its buffer and reports
 * success before the block reaches the tape; a write error surfaces at a later command. The
 * virtual drive does the same with the host file: each block is copied and its positioned write
 * started, and the caller only waits when `depth` writes are still in flight. That keeps the
 * thread pool writing while the caller builds the next block, which is what lets a backup stream.
 */
import type { FileHandle } from 'node:fs/promises'
import { InFlight } from '../../util/in-flight'

export class WriteBehind {
  private readonly inflight: InFlight
  private readonly spare: Buffer[] = []

  constructor(depth = 8) {
    this.inflight = new InFlight(depth)
  }

  /** Starts writing a copy of `block` at `position`; throws a failure of an earlier write. */
  async write(fh: FileHandle, block: Uint8Array, position: number): Promise<void> {
    const copy = this.spare.pop() ?? Buffer.allocUnsafe(block.length)
    copy.set(block)
    await this.inflight.add(
      fh.write(copy, 0, block.length, position).then(({ bytesWritten }) => {
        if (bytesWritten !== block.length) throw new Error(`short write (${bytesWritten} bytes)`)
        this.spare.push(copy)
      })
    )
  }

  /** Waits for every write in flight; throws the first failure. */
  drain(): Promise<void> {
    return this.inflight.drain()
  }
}
