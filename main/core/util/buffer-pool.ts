/**
 * Reusable buffers for streams of large, short-lived byte arrays (chunks read from disk or tape).
 * Fresh multi-megabyte buffers cost page faults to fill and garbage-collector work to free — at
 * these rates more than the reading itself; taking one from a small free list costs nothing.
 *
 * `shared` pools hand out SharedArrayBuffers, for bytes that visit worker threads: posting one
 * shares it, while moving an ArrayBuffer there and back makes a new buffer object each time, and
 * the garbage collector runs a full collection for every few dozen megabytes of those.
 */
const GRAIN = 1024 * 1024

export class BufferPool {
  private readonly free: ArrayBufferLike[] = []

  constructor(
    private readonly keep = 32,
    private readonly shared = false
  ) {}

  /**
   * A view of exactly `size` bytes over a pooled buffer (contents undefined), starting `offset`
   * (0–7) bytes into it. V8 copies into shared memory word by word only when source and target
   * sit at the same address modulo 8, and byte by byte otherwise: callers that fill the view
   * from another buffer pass that buffer's alignment.
   */
  take(size: number, offset = 0): Uint8Array {
    const need = size + offset
    let best = -1
    for (let i = 0; i < this.free.length; i++) {
      const n = this.free[i].byteLength
      if (n >= need && (best < 0 || n < this.free[best].byteLength)) best = i
    }
    if (best >= 0) return new Uint8Array(this.free.splice(best, 1)[0], offset, size)
    const bytes = Math.ceil(need / GRAIN) * GRAIN
    const buffer = this.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes)
    return new Uint8Array(buffer, offset, size)
  }

  /** Hands a buffer from `take` back; the caller must not use `bytes` afterwards. */
  give(bytes: Uint8Array): void {
    const buffer = bytes.buffer
    if (buffer.byteLength === 0) return // detached
    if (this.free.length < this.keep) this.free.push(buffer)
  }
}
