/**
 * Reusable buffers for streams of large, short-lived byte arrays (chunks read from disk or tape).
 * Fresh multi-megabyte buffers cost page faults to fill and garbage-collector work to free — at
 * these rates more than the reading itself; taking one from a small free list costs nothing.
 * (Not SharedArrayBuffers: V8 copies into those byte by byte, slower than the GC work saved.)
 */
const GRAIN = 1024 * 1024

export class BufferPool {
  private readonly free: ArrayBufferLike[] = []

  constructor(private readonly keep = 32) {}

  /** A view of exactly `size` bytes over a pooled buffer (contents undefined). */
  take(size: number): Uint8Array {
    let best = -1
    for (let i = 0; i < this.free.length; i++) {
      const n = this.free[i].byteLength
      if (n >= size && (best < 0 || n < this.free[best].byteLength)) best = i
    }
    if (best >= 0) return new Uint8Array(this.free.splice(best, 1)[0], 0, size)
    return new Uint8Array(new ArrayBuffer(Math.ceil(size / GRAIN) * GRAIN), 0, size)
  }

  /** Hands a buffer from `take` back; the caller must not use `bytes` afterwards. */
  give(bytes: Uint8Array): void {
    const buffer = bytes.buffer
    if (buffer.byteLength === 0) return // detached
    if (this.free.length < this.keep) this.free.push(buffer)
  }
}
