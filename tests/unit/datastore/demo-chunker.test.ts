import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  ContentChunker,
  DEFAULT_CHUNKER_OPTIONS,
  chunkBoundaries
} from '../../../main/core/datastore/content-chunker'
import { fillBlocks } from '../../../main/core/datastore/demo-content'
import { DemoRandom } from '../../../main/core/datastore/demo-random'

const KiB = 1024
const MiB = 1024 * KiB
const { minSize, maxSize } = DEFAULT_CHUNKER_OPTIONS

/** 8 MiB like a file tree: text, zero and random blocks. */
function sample(key: string, size = 8 * MiB): Uint8Array {
  const out = new Uint8Array(size)
  fillBlocks(out, DemoRandom.fromKey(key), { text: 0.6, zero: 0.1, random: 0.3 }, 'host')
  return out
}

const digests = (data: Uint8Array): string[] => {
  let start = 0
  return chunkBoundaries(data).map((end) => {
    const hex = createHash('sha256').update(data.subarray(start, end)).digest('hex')
    start = end
    return hex
  })
}

describe('content-defined chunker', () => {
  const data = sample('chunker sample')

  it('cuts between the minimum and maximum size, ~320 KiB on average', () => {
    const ends = chunkBoundaries(data)
    expect(ends.at(-1)).toBe(data.length)
    const sizes = ends.map((end, i) => end - (i === 0 ? 0 : ends[i - 1]))
    for (const size of sizes.slice(0, -1)) {
      expect(size).toBeGreaterThanOrEqual(minSize)
      expect(size).toBeLessThanOrEqual(maxSize)
    }
    const average = data.length / sizes.length
    expect(average).toBeGreaterThan(160 * KiB)
    expect(average).toBeLessThan(1 * MiB)
  })

  it('cuts long runs of zeros at the maximum size', () => {
    expect(chunkBoundaries(new Uint8Array(9 * MiB))).toEqual([4 * MiB, 8 * MiB, 9 * MiB])
  })

  it('gives the same chunks however the input is split', () => {
    const chunker = new ContentChunker()
    const rng = DemoRandom.fromKey('pieces')
    const chunks: Uint8Array[] = []
    for (let at = 0; at < data.length;) {
      const n = Math.min(data.length - at, 1 + rng.int(200 * KiB))
      chunks.push(...chunker.push(data.subarray(at, at + n)))
      at += n
    }
    chunks.push(chunker.finish()!)
    expect(chunker.finish()).toBeUndefined()
    let end = 0
    expect(chunks.map((c) => (end += c.length))).toEqual(chunkBoundaries(data))
  })

  it('keeps the boundaries after an insertion near the start', () => {
    const inserted = new Uint8Array(data.length + 1000)
    inserted.set(data.subarray(0, 5000))
    inserted.set(DemoRandom.fromKey('insert').bytes(1000), 5000)
    inserted.set(data.subarray(5000), 6000)
    const before = digests(data)
    const after = digests(inserted)
    expect(before.length).toBeGreaterThan(10)
    // Only the first chunk differs; all boundaries after it move by exactly the insertion.
    expect(after[0]).not.toBe(before[0])
    expect(after.slice(1)).toEqual(before.slice(1))
    expect(chunkBoundaries(inserted).slice(1)).toEqual(
      chunkBoundaries(data)
        .slice(1)
        .map((e) => e + 1000)
    )
  })

  it('confines a change in the middle to the chunks around it', () => {
    const changed = data.slice()
    changed.set(DemoRandom.fromKey('overwrite').bytes(300), 4 * MiB)
    const before = digests(data)
    const after = digests(changed)
    const common = after.filter((d) => before.includes(d)).length
    expect(common).toBeGreaterThanOrEqual(after.length - 2)
    expect(common).toBeLessThan(after.length)
  })

  it('depends on the content only', () => {
    expect(digests(data)).toEqual(digests(sample('chunker sample')))
    expect(digests(sample('other'))).not.toEqual(digests(data))
  })
})

describe('DemoRandom', () => {
  it('is reproducible from its key and differs between keys', () => {
    const a = DemoRandom.fromKey(1, 'vm', 100)
    const b = DemoRandom.fromKey('1/vm/100')
    const seqA = Array.from({ length: 8 }, () => a.u32())
    expect(Array.from({ length: 8 }, () => b.u32())).toEqual(seqA)
    const c = DemoRandom.fromKey(2, 'vm', 100)
    expect(Array.from({ length: 8 }, () => c.u32())).not.toEqual(seqA)
    for (const v of seqA) expect(v >>> 0).toBe(v)
  })

  it('fills bytes as little-endian words, any length', () => {
    const words = DemoRandom.fromKey('fill')
    const expected = Buffer.alloc(12)
    for (let i = 0; i < 3; i++) expected.writeUInt32LE(words.u32(), i * 4)
    expect(Buffer.from(DemoRandom.fromKey('fill').bytes(12))).toEqual(expected)
    expect(Buffer.from(DemoRandom.fromKey('fill').bytes(7))).toEqual(expected.subarray(0, 7))
  })

  it('draws in range, shuffles, and makes version-4 uuids', () => {
    const rng = DemoRandom.fromKey('misc')
    for (let i = 0; i < 1000; i++) {
      const v = rng.range(3, 7)
      expect(v >= 3 && v <= 7 && Number.isInteger(v)).toBe(true)
    }
    const items = Array.from({ length: 20 }, (_, i) => i)
    expect([...rng.shuffle([...items])].sort((x, y) => x - y)).toEqual(items)
    const uuid = rng.uuid()
    expect(uuid[6] >> 4).toBe(4)
    expect(uuid[8] >> 6).toBe(2)
  })
})
