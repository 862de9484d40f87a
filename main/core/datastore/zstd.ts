/**
 * zstd for DataBlobs, through the WebAssembly build of the reference library (no native addon to
 * compile, identical output everywhere, ~1 GB/s decoding). PBS writes its chunks with a streaming
 * encoder, so most frames do not declare their size: the caller passes the size it expects (a chunk's
 * length from its index) and we retry with the blob limit when that was too small.
 */
import { compress, decompress, init } from '@bokuweb/zstd-wasm'
import { FormatError } from '../format/format-error'
import { MAX_BLOB_SIZE } from '../format/data-blob'

const ZSTD_MAGIC = 0xfd2fb528
const DST_SIZE_TOO_SMALL = -70

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
 * Decodes one zstd frame of at most MAX_BLOB_SIZE bytes. `expectedSize` is a capacity hint for
 * frames that do not declare their size.
 */
export function zstdDecompress(frame: Uint8Array, expectedSize?: number): Uint8Array {
  assertLoaded()
  const declared = declaredContentSize(frame)
  if (declared !== undefined && declared > MAX_BLOB_SIZE) {
    throw new FormatError(`zstd frame declares ${declared} bytes, more than a blob may hold`)
  }
  const first = declared ?? Math.min(Math.max(expectedSize ?? 0, 4 * 1024 * 1024), MAX_BLOB_SIZE)
  try {
    return decompress(frame, { defaultHeapSize: first })
  } catch (err) {
    const code = Number(/code (-?\d+)/.exec(String((err as Error).message))?.[1])
    if (declared === undefined && code === DST_SIZE_TOO_SMALL && first < MAX_BLOB_SIZE) {
      return zstdDecompressWithin(frame, MAX_BLOB_SIZE)
    }
    throw zstdError(err)
  }
}

function zstdDecompressWithin(frame: Uint8Array, capacity: number): Uint8Array {
  try {
    return decompress(frame, { defaultHeapSize: capacity })
  } catch (err) {
    throw zstdError(err)
  }
}

function zstdError(err: unknown): FormatError {
  const code = /code (-?\d+)/.exec(String((err as Error).message))?.[1]
  return new FormatError(`zstd data is corrupt (zstd error ${code ?? String(err)})`)
}

/** zstd at the given level (PBS uses level 1 for blobs). */
export function zstdCompress(data: Uint8Array, level = 1): Uint8Array {
  assertLoaded()
  return compress(data, level)
}
