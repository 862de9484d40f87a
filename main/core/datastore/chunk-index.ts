/**
 * PBS chunk indexes: `.fidx` (fixed-size chunks, VM disks) and `.didx` (variable-size chunks,
 * pxar archives). Both have a 4096-byte little-endian header; the index checksum the manifest
 * records is recomputed from the entries on demand. Digests are handed out as views into the file
 * buffer, never as strings, so walking a large index allocates almost nothing.
 */
import { createHash } from 'node:crypto'
import { FormatError } from '../format/format-error'
import { sameMagic } from '../format/magics'

const m = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes)
/** "Proxmox Backup fixed sized chunk index v1.0" */
export const FIXED_INDEX_MAGIC_1_0 = m(0x2f, 0x7f, 0x41, 0xed, 0x91, 0xfd, 0x0f, 0xcd)
/** "Proxmox Backup dynamic sized chunk index v1.0" */
export const DYNAMIC_INDEX_MAGIC_1_0 = m(0x1c, 0x91, 0x4e, 0xa5, 0x19, 0xba, 0xb3, 0xcd)

export const INDEX_HEADER_SIZE = 4096
const DIGEST_SIZE = 32
const DYNAMIC_ENTRY_SIZE = 40

export interface ChunkIndex {
  readonly kind: 'fixed' | 'dynamic'
  /** Raw 16-byte uuid and creation time (epoch seconds). */
  readonly uuid: Uint8Array
  readonly ctime: number
  /** The checksum stored in the header. */
  readonly storedCsum: Uint8Array
  /** Bytes the index describes (image size / archive size): the manifest's `size`. */
  readonly size: number
  readonly count: number
  digest(i: number): Uint8Array
  /** Offset and length of chunk i within the described data. */
  chunkRange(i: number): { offset: number; length: number }
  /** The checksum recomputed from the entries. */
  computeCsum(): Buffer
}

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
}

function u64(dv: DataView, at: number, what: string): number {
  const value = dv.getBigUint64(at, true)
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(`${what} too large (${value})`)
  return Number(value)
}

function readHeader(buf: Uint8Array, magic: Uint8Array, what: string) {
  if (buf.length < INDEX_HEADER_SIZE) {
    throw new FormatError(
      `${what} too small (${buf.length} bytes, header needs ${INDEX_HEADER_SIZE})`
    )
  }
  if (!sameMagic(buf.subarray(0, 8), magic)) throw new FormatError(`${what} has wrong magic number`)
  const dv = view(buf)
  return {
    dv,
    uuid: buf.subarray(8, 24),
    ctime: Number(dv.getBigInt64(24, true)),
    storedCsum: buf.subarray(32, 64)
  }
}

export function parseFixedIndex(buf: Uint8Array): ChunkIndex {
  const { dv, uuid, ctime, storedCsum } = readHeader(buf, FIXED_INDEX_MAGIC_1_0, 'fixed index')
  const size = u64(dv, 64, 'fixed index size')
  const chunkSize = u64(dv, 72, 'fixed index chunk size')
  if (chunkSize === 0) throw new FormatError('fixed index has chunk size 0')
  const count = Math.ceil(size / chunkSize)
  const expected = INDEX_HEADER_SIZE + count * DIGEST_SIZE
  if (buf.length !== expected) {
    throw new FormatError(
      `fixed index has wrong length (${buf.length} bytes, expected ${expected} for ${count} chunks)`
    )
  }
  return {
    kind: 'fixed',
    uuid,
    ctime,
    storedCsum,
    size,
    count,
    digest: (i) =>
      buf.subarray(INDEX_HEADER_SIZE + i * DIGEST_SIZE, INDEX_HEADER_SIZE + (i + 1) * DIGEST_SIZE),
    chunkRange: (i) => {
      const offset = i * chunkSize
      return { offset, length: Math.min(chunkSize, size - offset) }
    },
    computeCsum: () => createHash('sha256').update(buf.subarray(INDEX_HEADER_SIZE)).digest()
  }
}

export function parseDynamicIndex(buf: Uint8Array): ChunkIndex {
  const { dv, uuid, ctime, storedCsum } = readHeader(buf, DYNAMIC_INDEX_MAGIC_1_0, 'dynamic index')
  const entryBytes = buf.length - INDEX_HEADER_SIZE
  if (entryBytes % DYNAMIC_ENTRY_SIZE !== 0) {
    throw new FormatError(`dynamic index has a truncated entry (${entryBytes} bytes of entries)`)
  }
  const count = entryBytes / DYNAMIC_ENTRY_SIZE
  const ends = new Float64Array(count)
  let previous = 0
  for (let i = 0; i < count; i++) {
    const end = u64(dv, INDEX_HEADER_SIZE + i * DYNAMIC_ENTRY_SIZE, 'dynamic index offset')
    if (end <= previous) {
      throw new FormatError(
        `dynamic index entry ${i} does not advance (end ${end} after ${previous})`
      )
    }
    ends[i] = end
    previous = end
  }
  const entry = (i: number) => INDEX_HEADER_SIZE + i * DYNAMIC_ENTRY_SIZE
  return {
    kind: 'dynamic',
    uuid,
    ctime,
    storedCsum,
    size: previous,
    count,
    digest: (i) => buf.subarray(entry(i) + 8, entry(i) + DYNAMIC_ENTRY_SIZE),
    chunkRange: (i) => {
      const offset = i === 0 ? 0 : ends[i - 1]
      return { offset, length: ends[i] - offset }
    },
    computeCsum: () => createHash('sha256').update(buf.subarray(INDEX_HEADER_SIZE)).digest()
  }
}

/** Parses by file name: `*.fidx` or `*.didx`. */
export function parseChunkIndex(name: string, buf: Uint8Array): ChunkIndex {
  if (name.endsWith('.fidx')) return parseFixedIndex(buf)
  if (name.endsWith('.didx')) return parseDynamicIndex(buf)
  throw new FormatError(`${name} is not a chunk index`)
}

export const isIndexFile = (name: string): boolean =>
  name.endsWith('.fidx') || name.endsWith('.didx')

function header(magic: Uint8Array, uuid: Uint8Array, ctime: number): Buffer {
  if (uuid.length !== 16) throw new Error('index uuid must be 16 bytes')
  const buf = Buffer.alloc(INDEX_HEADER_SIZE)
  buf.set(magic, 0)
  buf.set(uuid, 8)
  buf.writeBigInt64LE(BigInt(ctime), 24)
  return buf
}

/** Builds a `.fidx` file; `digests` holds one 32-byte digest per chunk. */
export function buildFixedIndex(opts: {
  uuid: Uint8Array
  ctime: number
  size: number
  chunkSize: number
  digests: Uint8Array[]
}): Buffer {
  if (opts.digests.length !== Math.ceil(opts.size / opts.chunkSize)) {
    throw new Error('fixed index: digest count does not match size / chunk size')
  }
  const head = header(FIXED_INDEX_MAGIC_1_0, opts.uuid, opts.ctime)
  head.writeBigUInt64LE(BigInt(opts.size), 64)
  head.writeBigUInt64LE(BigInt(opts.chunkSize), 72)
  const entries = Buffer.concat(opts.digests)
  createHash('sha256').update(entries).digest().copy(head, 32)
  return Buffer.concat([head, entries])
}

/** Builds a `.didx` file from chunk end offsets and digests. */
export function buildDynamicIndex(opts: {
  uuid: Uint8Array
  ctime: number
  entries: { end: number; digest: Uint8Array }[]
}): Buffer {
  const head = header(DYNAMIC_INDEX_MAGIC_1_0, opts.uuid, opts.ctime)
  const entries = Buffer.alloc(opts.entries.length * DYNAMIC_ENTRY_SIZE)
  opts.entries.forEach((e, i) => {
    entries.writeBigUInt64LE(BigInt(e.end), i * DYNAMIC_ENTRY_SIZE)
    entries.set(e.digest, i * DYNAMIC_ENTRY_SIZE + 8)
  })
  createHash('sha256').update(entries).digest().copy(head, 32)
  return Buffer.concat([head, entries])
}
