import { createHash } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { unhex } from './memory-tape'

/** An uncompressed DataBlob built by hand: magic 42ab3807be8370a1, CRC32 LE of the data, data. */
export function plainBlob(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length)
  out.set(unhex('42ab3807be8370a1'))
  new DataView(out.buffer).setUint32(8, crc32(data), true)
  out.set(data, 12)
  return out
}

export function chunk(size: number, seed: number): { digest: Uint8Array; blob: Uint8Array } {
  const data = new Uint8Array(size)
  for (let i = 0; i < size; i++) data[i] = (i * 31 + seed * 17) & 0xff
  return { digest: createHash('sha256').update(data).digest(), blob: plainBlob(data) }
}
