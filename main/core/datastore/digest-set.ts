/**
 * A set of 32-byte chunk digests kept in one flat buffer (open addressing, linear probing).
 * Millions of digests as hex strings would cost ~120 bytes each plus Set overhead; here each
 * costs 32 bytes over a table at most 3/4 full. Digests are SHA-256 values, so their first four
 * bytes already are a uniform hash.
 */
const DIGEST = 32

export class DigestSet {
  private table: Uint8Array
  private used: Uint8Array
  private capacity: number
  private count = 0

  constructor(expected = 1024) {
    this.capacity = 1
    while (this.capacity * 0.75 < expected) this.capacity *= 2
    this.capacity = Math.max(this.capacity, 16)
    this.table = new Uint8Array(this.capacity * DIGEST)
    this.used = new Uint8Array(this.capacity)
  }

  get size(): number {
    return this.count
  }

  has(digest: Uint8Array): boolean {
    return this.find(digest) >= 0
  }

  /** Adds the digest; returns false when it was already there. */
  add(digest: Uint8Array): boolean {
    if (digest.length !== DIGEST) throw new Error('a chunk digest has 32 bytes')
    if (this.find(digest) >= 0) return false
    if (this.count + 1 > this.capacity * 0.75) this.grow()
    this.insert(digest)
    this.count++
    return true
  }

  /** The digests, as views into the table (copy them to keep them past the next add). */
  *[Symbol.iterator](): Generator<Uint8Array> {
    for (let i = 0; i < this.capacity; i++) {
      if (this.used[i]) yield this.table.subarray(i * DIGEST, (i + 1) * DIGEST)
    }
  }

  private slot(digest: Uint8Array): number {
    // Unsigned 32-bit read of the first four bytes, masked to the table size.
    return (
      ((digest[0] << 24) | (digest[1] << 16) | (digest[2] << 8) | digest[3]) & (this.capacity - 1)
    )
  }

  private find(digest: Uint8Array): number {
    const mask = this.capacity - 1
    for (let i = this.slot(digest); this.used[i]; i = (i + 1) & mask) {
      if (this.equalAt(i, digest)) return i
    }
    return -1
  }

  private equalAt(i: number, digest: Uint8Array): boolean {
    const base = i * DIGEST
    for (let k = 0; k < DIGEST; k++) if (this.table[base + k] !== digest[k]) return false
    return true
  }

  private insert(digest: Uint8Array): void {
    const mask = this.capacity - 1
    let i = this.slot(digest)
    while (this.used[i]) i = (i + 1) & mask
    this.used[i] = 1
    this.table.set(digest, i * DIGEST)
  }

  private grow(): void {
    const { table, used, capacity } = this
    this.capacity = capacity * 2
    this.table = new Uint8Array(this.capacity * DIGEST)
    this.used = new Uint8Array(this.capacity)
    for (let i = 0; i < capacity; i++) {
      if (used[i]) this.insert(table.subarray(i * DIGEST, (i + 1) * DIGEST))
    }
  }
}
