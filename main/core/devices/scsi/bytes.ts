/**
 * Big-endian field access for SCSI data (every multi-byte SCSI field is big-endian), and the one
 * error type parsers throw when a device answers with data that does not fit the layout.
 */

/** A device answered with bytes that do not match the page or descriptor layout. */
export class ScsiDataError extends Error {
  override readonly name: string = 'ScsiDataError'
}

export const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1]
export const u24 = (b: Uint8Array, o: number): number => (b[o] << 16) | (b[o + 1] << 8) | b[o + 2]
export const u32 = (b: Uint8Array, o: number): number => u24(b, o) * 256 + b[o + 3]
export const i32 = (b: Uint8Array, o: number): number => u32(b, o) | 0

/** An unsigned big-endian integer of any length up to 8 bytes (log and MAM counters vary). */
export function uint(b: Uint8Array, o = 0, length = b.length - o): number {
  if (length > 8) throw new ScsiDataError(`counter of ${length} bytes is longer than 8`)
  let value = 0n
  for (let i = 0; i < length; i++) value = (value << 8n) | BigInt(b[o + i])
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ScsiDataError(`counter ${value} exceeds the safe integer range`)
  }
  return Number(value)
}

/** Signed 64-bit (SPACE(16) counts, descriptor-format INFORMATION), as a JS number. */
export const i64 = (b: Uint8Array, o: number): number =>
  Number(new DataView(b.buffer, b.byteOffset + o, 8).getBigInt64(0))

/** SCSI ASCII fields are space padded (and some devices pad with NULs): trim both. */
export function ascii(b: Uint8Array, start = 0, end = b.length): string {
  return Buffer.from(b.subarray(start, Math.min(end, b.length)))
    .toString('latin1')
    .replace(/^[\s\0]+|[\s\0]+$/g, '')
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

export function requireLength(data: Uint8Array, length: number, what: string): void {
  if (data.length < length) {
    throw new ScsiDataError(`${what}: ${data.length} bytes received, at least ${length} needed`)
  }
}

/** Throws unless `value` is an integer in [min, max]: CDB fields must never wrap silently. */
export function checkRange(value: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} ${value} is outside ${min}..${max}`)
  }
  return value
}

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff
  b[o + 1] = v & 0xff
}

export function put24(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 16) & 0xff
  put16(b, o + 1, v)
}

export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = Math.floor(v / 0x1000000) & 0xff
  put24(b, o + 1, v % 0x1000000)
}

/** Signed or unsigned 64-bit big-endian (two's complement for negatives). */
export function put64(b: Uint8Array, o: number, v: number | bigint): void {
  new DataView(b.buffer, b.byteOffset + o, 8).setBigUint64(0, BigInt.asUintN(64, BigInt(v)))
}
