/**
 * The demo generator's only source of randomness: xoshiro128** (Blackman & Vigna), seeded from
 * SHA-256 of a key such as `1/vm/100/chunk/7/gen/2`. Keying every piece of generated data by what
 * it is (rather than drawing from one long stream) keeps unchanged data byte-identical between
 * snapshots and makes the output independent of generation order. Never touches the clock,
 * Math.random or the system RNG.
 */
import { createHash } from 'node:crypto'

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k))

export class DemoRandom {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(a: number, b: number, c: number, d: number) {
    this.a = a | 0
    this.b = b | 0
    this.c = c | 0
    this.d = d | 0
    // The all-zero state is the one xoshiro cannot leave.
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1
  }

  /** A generator keyed by the parts (joined with '/'), e.g. `fromKey(seed, 'vm', 100)`. */
  static fromKey(...parts: (string | number)[]): DemoRandom {
    const h = createHash('sha256').update(parts.join('/')).digest()
    return new DemoRandom(h.readInt32LE(0), h.readInt32LE(4), h.readInt32LE(8), h.readInt32LE(12))
  }

  /** Next unsigned 32-bit value. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0
    const t = this.b << 9
    this.c ^= this.a
    this.d ^= this.b
    this.b ^= this.c
    this.a ^= this.d
    this.c ^= t
    this.d = rotl(this.d, 11)
    return result
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 0x1_0000_0000
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n)
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1)
  }

  chance(p: number): boolean {
    return this.float() < p
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]
  }

  /** Fisher–Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const tmp = items[i]
      items[i] = items[j]
      items[j] = tmp
    }
    return items
  }

  /** Fills `out` with random bytes (little-endian words, the same on every platform). */
  fill(out: Uint8Array): Uint8Array {
    const whole = out.length & ~3
    let i = 0
    for (; i < whole; i += 4) {
      const v = this.u32()
      out[i] = v
      out[i + 1] = v >>> 8
      out[i + 2] = v >>> 16
      out[i + 3] = v >>> 24
    }
    if (i < out.length) {
      let v = this.u32()
      for (; i < out.length; i++, v >>>= 8) out[i] = v
    }
    return out
  }

  bytes(n: number): Uint8Array {
    return this.fill(new Uint8Array(n))
  }

  /** Characters drawn from `alphabet`. */
  token(length: number, alphabet = HEX): string {
    let s = ''
    for (let i = 0; i < length; i++) s += alphabet[this.int(alphabet.length)]
    return s
  }

  /** A random (version 4) UUID as 16 raw bytes, as PBS puts into index headers. */
  uuid(): Uint8Array {
    const u = this.bytes(16)
    u[6] = (u[6] & 0x0f) | 0x40
    u[8] = (u[8] & 0x3f) | 0x80
    return u
  }
}

export const HEX = '0123456789abcdef'
export const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
