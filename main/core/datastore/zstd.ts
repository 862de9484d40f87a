/**
 * zstd for DataBlobs: the runtime's own zstd where it has one (Node ≥ 22.15, so the Electron app),
 * else the WebAssembly build of the reference library (no native addon to compile, identical
 * output everywhere). PBS writes its chunks with a streaming encoder, so most frames do not declare
 * their size: the caller passes the size it expects (a chunk's length from its index) and the
 * decoder doubles its output area until the frame fits or the blob limit is reached.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import zlib from 'node:zlib'
import { compress, init } from '@bokuweb/zstd-wasm'
import { FormatError } from '../format/format-error'
import { MAX_BLOB_SIZE } from '../format/data-blob'

const ZSTD_MAGIC = 0xfd2fb528
const DST_SIZE_TOO_SMALL = -70

/**
 * Node ≥ 22.15 (and so the Electron app) has zstd built in, about three times faster than the
 * WebAssembly build; Node 20 does not.
 */
const nativeDecompress = (
  zlib as { zstdDecompressSync?: (data: Uint8Array, options: object) => Buffer }
).zstdDecompressSync

let ready: Promise<void> | undefined
let loaded = false

/** Loads the WebAssembly module once; every other function here needs it. */
export function zstdReady(): Promise<void> {
  ready ??= init().then(() => {
    loaded = true
  })
  return ready
}

function assertLoaded(): void {
  if (!loaded) throw new Error('zstd used before zstdReady() resolved')
}

/**
 * The content size a zstd frame header declares, `undefined` when it declares none.
 * Throws a FormatError when the bytes do not start with a zstd frame.
 */
export function declaredContentSize(frame: Uint8Array): number | undefined {
  if (frame.length < 5) throw new FormatError('zstd frame too short')
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
  if (view.getUint32(0, true) !== ZSTD_MAGIC) throw new FormatError('not a zstd frame (bad magic)')
  const descriptor = frame[4]
  const sizeFlag = descriptor >> 6
  const singleSegment = (descriptor >> 5) & 1
  const dictionaryIdBytes = [0, 1, 2, 4][descriptor & 3]
  const sizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][sizeFlag]
  if (sizeBytes === 0) return undefined
  const at = 5 + (singleSegment ? 0 : 1) + dictionaryIdBytes
  if (frame.length < at + sizeBytes) throw new FormatError('zstd frame header truncated')
  switch (sizeBytes) {
    case 1:
      return view.getUint8(at)
    case 2:
      return view.getUint16(at, true) + 256
    case 4:
      return view.getUint32(at, true)
    default: {
      const size = view.getBigUint64(at, true)
      return size > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(size)
    }
  }
}

/**
 * Decodes one zstd frame of at most MAX_BLOB_SIZE bytes and hands the data to `use`. The view
 * may live in reused decoder memory: it is valid only during the call, so callers that only hash
 * or compare the data (verify, restore) never copy it. `expectedSize` is a capacity hint for
 * frames that do not declare their size.
 */
export function withZstdDecoded<T>(
  frame: Uint8Array,
  use: (data: Uint8Array) => T,
  expectedSize?: number
): T {
  assertLoaded()
  const declared = declaredContentSize(frame)
  if (declared !== undefined && declared > MAX_BLOB_SIZE) {
    throw new FormatError(`zstd frame declares ${declared} bytes, more than a blob may hold`)
  }
  if (nativeDecompress) {
    let data: Buffer
    try {
      data = nativeDecompress(frame, { maxOutputLength: MAX_BLOB_SIZE })
    } catch (err) {
      throw new FormatError(`zstd data is corrupt (${(err as Error).message})`)
    }
    return use(data)
  }
  return use(wasmDecode(frame, declared ?? Math.max(expectedSize ?? 0, 4 * 1024 * 1024)))
}

/** Decodes one zstd frame of at most MAX_BLOB_SIZE bytes into a buffer of its own. */
export function zstdDecompress(frame: Uint8Array, expectedSize?: number): Uint8Array {
  return withZstdDecoded(frame, (data) => (nativeDecompress ? data : data.slice()), expectedSize)
}

/**
 * Input and output areas in the WebAssembly memory, kept between calls: allocating, zeroing and
 * collecting a fresh output buffer per chunk cost more than the decoding itself.
 */
interface ZstdWasm {
  HEAPU8: Uint8Array
  _malloc(size: number): number
  _free(ptr: number): void
  _ZSTD_decompress(dst: number, capacity: number, src: number, length: number): number
  _ZSTD_isError(code: number): number
}
/**
 * The package's Emscripten module, for decoding into memory we keep: its `decompress` allocates,
 * fills and copies out a new buffer per call. The package exports only its wrappers, so the
 * module file is loaded by path, beside the entry point (one instance, shared with `init`).
 */
const requireHere = createRequire(__filename)
const wasm = (
  requireHere(join(dirname(requireHere.resolve('@bokuweb/zstd-wasm')), 'module.js')) as {
    Module: ZstdWasm
  }
).Module

const areas = { src: { ptr: 0, size: 0 }, dst: { ptr: 0, size: 0 } }

function reserve(area: { ptr: number; size: number }, size: number): number {
  if (area.size < size) {
    if (area.ptr) wasm._free(area.ptr)
    area.ptr = wasm._malloc(size)
    area.size = area.ptr ? size : 0
    if (!area.ptr) throw new Error(`zstd: cannot allocate ${size} bytes of decoder memory`)
  }
  return area.ptr
}

function wasmDecode(frame: Uint8Array, capacity: number): Uint8Array {
  const src = reserve(areas.src, frame.length)
  wasm.HEAPU8.set(frame, src)
  for (let cap = Math.min(capacity, MAX_BLOB_SIZE); ; cap = Math.min(cap * 2, MAX_BLOB_SIZE)) {
    const dst = reserve(areas.dst, cap)
    const result = wasm._ZSTD_decompress(dst, cap, src, frame.length)
    if (!wasm._ZSTD_isError(result)) return wasm.HEAPU8.subarray(dst, dst + result)
    // size_t error codes come back as negative 32-bit numbers
    if (result !== DST_SIZE_TOO_SMALL || cap === MAX_BLOB_SIZE) {
      throw new FormatError(`zstd data is corrupt (zstd error ${result})`)
    }
  }
}

/** zstd at the given level (PBS uses level 1 for blobs). */
export function zstdCompress(data: Uint8Array, level = 1): Uint8Array {
  assertLoaded()
  return compress(data, level)
}
