/**
 * Writing with O_DIRECT: the data goes from our buffer to the disk without a copy into the page
 * cache. A tape drive never fills the host's page cache either, and on some hosts (this project's
 * build VM among them) copying into fresh page-cache pages costs more CPU than everything else a
 * backup or restore does: `dd bs=2M` of 2 GB took 15.6 s buffered and 1.6 s with `oflag=direct`.
 *
 * O_DIRECT wants the buffer's address, the file offset and the length aligned to the device's
 * logical block size (512 or 4096 bytes). Buffers come from `alignedBuffer` (page-aligned);
 * offsets and lengths are multiples of DIRECT_ALIGN, or the caller pads and truncates
 * (`writeWholeFile`).
 */
import { constants } from 'node:fs'
import { open, unlink, type FileHandle } from 'node:fs/promises'

/** Linux only; elsewhere 0, and files are opened the ordinary way. */
const O_DIRECT: number = (constants as { O_DIRECT?: number }).O_DIRECT ?? 0

/** Alignment that satisfies every logical block size in use (512 and 4096). */
export const DIRECT_ALIGN = 4096
export const alignUp = (n: number): number => Math.ceil(n / DIRECT_ALIGN) * DIRECT_ALIGN

const WASM_PAGE = 65_536

/** The one WebAssembly API used here (the main tsconfig has no DOM/WebAssembly typings). */
const { Memory } = (
  globalThis as unknown as {
    WebAssembly: {
      Memory: new (size: { initial: number; maximum: number }) => { buffer: ArrayBuffer }
    }
  }
).WebAssembly

/**
 * A buffer of `bytes` (rounded up to 64 KiB) at a page-aligned address. Node gives no way to ask
 * for aligned memory, but a WebAssembly memory is mapped straight from the OS, page-aligned.
 */
export function alignedBuffer(bytes: number): Buffer {
  const pages = Math.max(1, Math.ceil(bytes / WASM_PAGE))
  return Buffer.from(new Memory({ initial: pages, maximum: pages }).buffer)
}

/**
 * Aligned buffers kept for reuse. A fresh one is a new memory mapping whose pages the kernel
 * faults in on first touch — on this project's build VM that costs ~3.5 s of CPU per GiB, more
 * than the write itself. Sizes are rounded up to a power of two (1 MiB at least), so a buffer
 * fits the next chunks of similar size instead of missing the pool and mapping another one.
 */
export class AlignedBuffers {
  private readonly free: Buffer[] = []

  constructor(private readonly keep = 8) {}

  take(size: number): Buffer {
    let best = -1
    for (let i = 0; i < this.free.length; i++) {
      const n = this.free[i].length
      if (n >= size && (best < 0 || n < this.free[best].length)) best = i
    }
    if (best >= 0) return this.free.splice(best, 1)[0]
    return alignedBuffer(2 ** Math.ceil(Math.log2(Math.max(size, MIN_POOLED))))
  }

  /** Keeps `buffer` unless the pool is full; a full pool trades its smallest for a larger one. */
  give(buffer: Buffer): void {
    if (this.free.length < this.keep) {
      this.free.push(buffer)
      return
    }
    const smallest = this.free.reduce((a, b, i) => (b.length < this.free[a].length ? i : a), 0)
    if (this.free[smallest].length < buffer.length) this.free[smallest] = buffer
  }
}

const MIN_POOLED = 1024 * 1024

/**
 * Opens `path` for direct writes when `tryDirect` and the file system supports them (tmpfs and
 * some others refuse O_DIRECT with EINVAL), else for ordinary buffered ones; `direct` says which.
 */
export async function openForDirectWrite(
  path: string,
  flags: number,
  mode: number,
  tryDirect = true
): Promise<{ fh: FileHandle; direct: boolean }> {
  if (tryDirect && O_DIRECT !== 0) {
    try {
      return { fh: await open(path, flags | O_DIRECT, mode), direct: true }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err
      // Linux creates the file before it checks O_DIRECT: with O_EXCL the retry would find it.
      if (flags & constants.O_EXCL) await unlink(path).catch(() => undefined)
    }
  }
  return { fh: await open(path, flags, mode), direct: false }
}

/** Writes `length` bytes of `buffer` at `position`, however many calls it takes. */
export async function writeFully(
  fh: FileHandle,
  buffer: Uint8Array,
  length: number,
  position: number
): Promise<void> {
  let done = 0
  while (done < length) {
    const { bytesWritten } = await fh.write(buffer, done, length - done, position + done)
    if (bytesWritten <= 0) throw new Error(`short write (${done} of ${length} bytes)`)
    done += bytesWritten
  }
}

/**
 * Makes a new file of exactly `data` through a handle from `openForDirectWrite`: direct handles
 * get the data through an aligned buffer, padded to the alignment and truncated back.
 */
export async function writeWholeFile(
  fh: FileHandle,
  direct: boolean,
  data: Uint8Array,
  buffers: AlignedBuffers
): Promise<void> {
  if (!direct) return writeFully(fh, data, data.length, 0)
  const padded = alignUp(data.length)
  const buffer = buffers.take(padded)
  try {
    // Restores hold blobs in SharedArrayBuffers. Node 20 copies out of shared memory (set, copy)
    // byte by byte unless both addresses agree modulo 8: 4.9 ms per 4 MiB here. Buffer#fill with
    // a buffer of exactly the range's length is one memcpy: 0.4 ms.
    if (data.length > 0)
      buffer.fill(Buffer.from(data.buffer, data.byteOffset, data.length), 0, data.length)
    buffer.fill(0, data.length, padded)
    await writeFully(fh, buffer, padded, 0)
    if (padded !== data.length) await fh.truncate(data.length)
  } finally {
    buffers.give(buffer)
  }
}
