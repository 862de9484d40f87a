/**
 * SipHash-2-4 (Aumasson & Bernstein) with a 128-bit key given as two u64 halves, returning the u64
 * result. pxar hashes file names with it for its goodbye tables. Names are short and few per
 * archive, so BigInt arithmetic is fast enough and keeps the code close to the specification.
 */

const MASK = 0xffff_ffff_ffff_ffffn

const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & MASK

export function siphash24(k0: bigint, k1: bigint, data: Uint8Array): bigint {
  let v0 = k0 ^ 0x736f6d6570736575n
  let v1 = k1 ^ 0x646f72616e646f6dn
  let v2 = k0 ^ 0x6c7967656e657261n
  let v3 = k1 ^ 0x7465646279746573n

  const round = (): void => {
    v0 = (v0 + v1) & MASK
    v1 = rotl(v1, 13n) ^ v0
    v0 = rotl(v0, 32n)
    v2 = (v2 + v3) & MASK
    v3 = rotl(v3, 16n) ^ v2
    v0 = (v0 + v3) & MASK
    v3 = rotl(v3, 21n) ^ v0
    v2 = (v2 + v1) & MASK
    v1 = rotl(v1, 17n) ^ v2
    v2 = rotl(v2, 32n)
  }
  const compress = (m: bigint): void => {
    v3 ^= m
    round()
    round()
    v0 ^= m
  }

  const len = data.length
  const fullEnd = len - (len % 8)
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  for (let i = 0; i < fullEnd; i += 8) compress(view.getBigUint64(i, true))

  // Last block: remaining bytes little-endian, message length (mod 256) in the top byte.
  let last = BigInt(len & 0xff) << 56n
  for (let i = fullEnd; i < len; i++) last |= BigInt(data[i]) << BigInt(8 * (i - fullEnd))
  compress(last)

  v2 ^= 0xffn
  round()
  round()
  round()
  round()
  return (v0 ^ v1 ^ v2 ^ v3) & MASK
}
