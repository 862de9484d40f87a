import { describe, expect, it } from 'vitest'
import { binaryTreeArrayPermutation } from '../../../main/core/format/binary-tree-array'
import { FormatError } from '../../../main/core/format/format-error'
import { PxarDirDecoder } from '../../../main/core/format/pxar-decoder'
import { PxarDirEncoder, SNAPSHOT_ROOT_STAT } from '../../../main/core/format/pxar-encoder'
import { hashFilename, mtimeFromNs } from '../../../main/core/format/pxar-format'
import { utf8 } from '../../../main/core/format/pretty-json'
import { siphash24 } from '../../../main/core/format/siphash'
import { hex, sameBytes, unhex } from './memory-tape'

// SipHash-2-4 reference vectors (Aumasson/Bernstein vectors.h): key 00..0f, message 00..(i-1),
// output as bytes in little-endian order.
const SIPHASH_VECTORS = `
310e0edd47db6f72 fd67dc93c539f874 5a4fa9d909806c0d 2d7efbd796666785 b7877127e09427cf 8da699cd64557618
cee3fe586e46c9cb 37d1018bf50002ab 6224939a79f5f593 b0e4a90bdf82009e f3b9dd94c5bb5d7a a7ad6b22462fb3f4
fbe50e86bc8f1e75 903d84c02756ea14 eef27a8e90ca23f7 e545be4961ca29a1 db9bc2577fcc2a3f 9447be2cf5e99a69
9cd38d96f0b3c14b bd6179a71dc96dbb 98eea21af25cd6be c7673b2eb0cbf2d0 883ea3e395675393 c8ce5ccd8c030ca8
94af49f6c650adb8 eab8858ade92e1bc f315bb5bb835d817 adcf6b0763612e2f a5c91da7acaa4dde 716595876650a2a6
28ef495c53a387ad 42c341d8fa92d832 ce7cf2722f512771 e37859f94623f3a7 381205bb1ab0e012 ae97a10fd434e015
b4a31508beff4d31 81396229f0907902 4d0cf49ee5d4dcca 5c73336a76d8bf9a d0a704536ba93e0e 925958fcd6420cad
a915c29bc8067318 952b79f3bc0aa6d4 f21df2e41d4535f9 87577519048f53a9 10a56cf5dfcd9adb eb75095ccd986cd0
51a9cb9ecba312e6 96afadfc2ce666c7 72fe52975a4364ee 5a1645b276d592a1 b274cb8ebf87870a 6f9bb4203de7b381
eaecb2a30b22a87f 9924a43cc1315724 bd838d3aafbf8db7 0b1a2a3265d51aea 135079a3231ce660 932b2846e4d70666
e1915f5cb1eca46c f325965ca16d629f 575ff28e60381be5 724506eb4c328a95`
  .trim()
  .split(/\s+/)

// Hashes and tree layouts printed by the real code: the `siphasher` 0.3 crate with pxar's keys and
// pxar's `binary_tree_array::copy` compiled from proxmox/pxar 0.10.2 (the version PBS 3.2.4 uses).
const PXAR_NAME_HASHES: Record<string, string> = {
  a: '0c26e9067c2c7bcf',
  b: '4d1da3f512e8c733',
  'hi.txt': '3396ff5f3750ded5',
  'index.json.blob': '6f5c8a818879259d',
  'drive-scsi0.img.fidx': 'e7c751a9f2d2d27f',
  'client.log.blob': 'f9188752910e2cb4',
  'catalog.pcat1.didx': '13294df9837b0718',
  'root.pxar.didx': '8778f60ddaae93d0',
  'qemu-server.conf.blob': '6de6a3afa83d88b4',
  'fw.conf.blob': 'e71493d95bd83ff3'
}
const BST_LAYOUTS: Record<number, number[]> = {
  0: [],
  1: [0],
  2: [1, 0],
  3: [1, 0, 2],
  4: [2, 1, 3, 0],
  5: [3, 1, 4, 0, 2],
  6: [3, 1, 5, 0, 2, 4],
  7: [3, 1, 5, 0, 2, 4, 6],
  8: [4, 2, 6, 1, 3, 5, 7, 0],
  9: [5, 3, 7, 1, 4, 6, 8, 0, 2],
  10: [6, 3, 8, 1, 5, 7, 9, 0, 2, 4],
  13: [7, 3, 11, 1, 5, 9, 12, 0, 2, 4, 6, 8, 10],
  16: [8, 4, 12, 2, 6, 10, 14, 1, 3, 5, 7, 9, 11, 13, 15, 0],
  33: [
    17, 9, 25, 5, 13, 21, 29, 3, 7, 11, 15, 19, 23, 27, 31, 1, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22,
    24, 26, 28, 30, 32, 0, 2
  ]
}

const le64 = (v: number | bigint): string => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)))
  return b.toString('hex')
}
const le32 = (v: number): string => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(v)
  return b.toString('hex')
}
const h2le = (hashHex: string): string => le64(BigInt('0x' + hashHex))

/** A two-file archive written out by hand from pxar's format definition. */
const GOLDEN = [
  // root ENTRY: header + stat(mode 040664, flags 0, uid 0, gid 0, mtime 0.0)
  le64(0xd5956474e588acefn) +
    le64(56) +
    le64(0o40664) +
    le64(0) +
    le32(0) +
    le32(0) +
    le64(0) +
    le32(0) +
    le32(0),
  // @56 FILENAME "index.json.blob\0"
  le64(0x16701121063917b3n) + le64(32) + Buffer.from('index.json.blob\0').toString('hex'),
  // @88 ENTRY: 0100644, uid 1000, gid 34, mtime 1700000000.123456789
  le64(0xd5956474e588acefn) +
    le64(56) +
    le64(0o100644) +
    le64(0) +
    le32(1000) +
    le32(34) +
    le64(1700000000) +
    le32(123456789) +
    le32(0),
  // @144 PAYLOAD "M"
  le64(0x28147a1b0b7c1a25n) + le64(17) + '4d',
  // @161 FILENAME "a\0", ENTRY, PAYLOAD "hi" (ends @253)
  le64(0x16701121063917b3n) + le64(18) + '6100',
  le64(0xd5956474e588acefn) +
    le64(56) +
    le64(0o100600) +
    le64(0) +
    le32(0) +
    le32(0) +
    le64(0) +
    le32(0) +
    le32(0),
  le64(0x28147a1b0b7c1a25n) + le64(18) + '6869',
  // @253 GOODBYE: sorted by hash a (0c26…) < index.json.blob (6f5c…), tree [1,0] → index first
  le64(0x2fec4fa642d5731dn) + le64(16 + 3 * 24),
  h2le(PXAR_NAME_HASHES['index.json.blob']) + le64(253 - 56) + le64(161 - 56),
  h2le(PXAR_NAME_HASHES.a) + le64(253 - 161) + le64(253 - 161),
  // tail: marker, offset back to the root ENTRY (0), size of the goodbye item
  le64(0xef5eed5b753e1555n) + le64(253) + le64(88)
].join('')

const goldenFiles = [
  {
    name: 'index.json.blob',
    mode: 0o100644,
    uid: 1000,
    gid: 34,
    mtime: { secs: 1_700_000_000, nanos: 123_456_789 },
    data: utf8('M')
  },
  { name: 'a', mode: 0o100600, uid: 0, gid: 0, mtime: { secs: 0, nanos: 0 }, data: utf8('hi') }
]

async function encode(
  files: {
    name: string
    mode: number
    uid: number
    gid: number
    mtime: { secs: number; nanos: number }
    data: Uint8Array
  }[]
): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  const enc = new PxarDirEncoder(async (d) => {
    parts.push(d.slice())
  })
  await enc.start(SNAPSHOT_ROOT_STAT)
  for (const f of files) await enc.addFile(f.name, { ...f, flags: 0n }, f.data.length, f.data)
  await enc.finish()
  return Uint8Array.from(Buffer.concat(parts))
}

function bytesSource(bytes: Uint8Array) {
  let pos = 0
  return {
    async readFully(dest: Uint8Array): Promise<number> {
      const n = Math.min(dest.length, bytes.length - pos)
      dest.set(bytes.subarray(pos, pos + n))
      pos += n
      return n
    }
  }
}

async function decode(bytes: Uint8Array) {
  const dec = new PxarDirDecoder(bytesSource(bytes))
  const out = []
  for await (const e of dec) out.push(e)
  return out
}

/**
 * Independent goodbye-table check written only from pxar's format description: walk the table
 * from the end, follow every offset back to a FILENAME, compare hashes with the real-crate values,
 * and find every name by a binary-tree search from index 0 (children at 2i+1 / 2i+2).
 */
function checkGoodbye(archive: Uint8Array, names: string[]): void {
  const buf = Buffer.from(archive)
  const tailAt = buf.length - 24
  expect(buf.readBigUInt64LE(tailAt)).toBe(0xef5eed5b753e1555n)
  const gbSize = Number(buf.readBigUInt64LE(tailAt + 16))
  const gbStart = buf.length - gbSize
  expect(Number(buf.readBigUInt64LE(tailAt + 8))).toBe(gbStart) // root ENTRY at 0
  expect(buf.readBigUInt64LE(gbStart)).toBe(0x2fec4fa642d5731dn)
  const n = (gbSize - 16) / 24 - 1
  expect(n).toBe(names.length)
  const items = Array.from({ length: n }, (_, i) => ({
    hash: buf.readBigUInt64LE(gbStart + 16 + i * 24),
    offset: Number(buf.readBigUInt64LE(gbStart + 16 + i * 24 + 8)),
    size: Number(buf.readBigUInt64LE(gbStart + 16 + i * 24 + 16))
  }))
  for (const name of names) {
    const want = BigInt('0x' + PXAR_NAME_HASHES[name])
    let i = 0
    while (i < n && items[i].hash !== want) i = want < items[i].hash ? 2 * i + 1 : 2 * i + 2
    expect(i, `find ${name} by tree search`).toBeLessThan(n)
    const at = gbStart - items[i].offset
    expect(buf.readBigUInt64LE(at)).toBe(0x16701121063917b3n)
    const nameLen = Number(buf.readBigUInt64LE(at + 8)) - 16
    expect(buf.subarray(at + 16, at + 16 + nameLen).toString()).toBe(name + '\0')
    const next = at + items[i].size
    expect(next === gbStart || buf.readBigUInt64LE(next) === 0x16701121063917b3n).toBe(true)
  }
}

describe('SipHash-2-4', () => {
  it('matches the 64 reference vectors', () => {
    const k0 = 0x0706050403020100n
    const k1 = 0x0f0e0d0c0b0a0908n
    expect(SIPHASH_VECTORS).toHaveLength(64)
    SIPHASH_VECTORS.forEach((want, len) => {
      const msg = Uint8Array.from({ length: len }, (_, i) => i)
      expect(le64(siphash24(k0, k1, msg)), `length ${len}`).toBe(want)
    })
  })

  it('pxar file-name hashes equal the siphasher crate with pxar keys', () => {
    for (const [name, want] of Object.entries(PXAR_NAME_HASHES)) {
      expect(hashFilename(utf8(name)).toString(16).padStart(16, '0'), name).toBe(want)
    }
  })
})

describe('mtime', () => {
  it('splits nanoseconds like pxar StatxTimestamp (floor, also before 1970)', () => {
    expect(mtimeFromNs(1_430_487_000_001_000_000n)).toEqual({
      secs: 1_430_487_000,
      nanos: 1_000_000
    })
    // pxar's own test: 1960-05-01 15:30 minus 1 ms → secs - 1, 999_000_000 ns
    expect(mtimeFromNs(-305_112_600_001_000_000n)).toEqual({
      secs: -305_112_601,
      nanos: 999_000_000
    })
    expect(mtimeFromNs(-305_112_600_000_000_000n)).toEqual({ secs: -305_112_600, nanos: 0 })
  })
})

describe('binary tree array', () => {
  it('permutations equal pxar binary_tree_array::copy', () => {
    for (const [n, layout] of Object.entries(BST_LAYOUTS)) {
      expect(binaryTreeArrayPermutation(Number(n)), `n=${n}`).toEqual(layout)
    }
  })
})

describe('pxar v1 subset', () => {
  it('encoder output equals the hand-written golden archive', async () => {
    const bytes = await encode(goldenFiles)
    expect(hex(bytes)).toBe(GOLDEN)
    checkGoodbye(bytes, ['index.json.blob', 'a'])
  })

  it('decoder reads the golden archive', async () => {
    const entries = await decode(unhex(GOLDEN))
    expect(entries.map((e) => [e.name, e.mode, e.uid, e.gid, e.mtime, hex(e.data)])).toEqual(
      goldenFiles.map((f) => [f.name, f.mode, f.uid, f.gid, f.mtime, hex(f.data)])
    )
  })

  it('round-trips a realistic snapshot file set with a valid goodbye table', async () => {
    const names = Object.keys(PXAR_NAME_HASHES)
    const files = names.map((name, i) => ({
      name,
      mode: 0o100644,
      uid: 34,
      gid: 34,
      mtime: { secs: 1_700_000_000 + i, nanos: i },
      data: Uint8Array.from({ length: i * 1000 }, (_, j) => (j * i) & 0xff)
    }))
    const bytes = await encode(files)
    checkGoodbye(bytes, names)
    const back = await decode(bytes)
    expect(back.map((e) => e.name)).toEqual(names)
    back.forEach((e, i) => expect(sameBytes(e.data, files[i].data)).toBe(true))
  })

  it('an archive without files is root ENTRY + goodbye with only the tail', async () => {
    const bytes = await encode([])
    expect(hex(bytes.subarray(56))).toBe(
      le64(0x2fec4fa642d5731dn) + le64(40) + le64(0xef5eed5b753e1555n) + le64(56) + le64(40)
    )
    expect(await decode(bytes)).toEqual([])
  })

  it('decoder rejects damage with FormatErrors', async () => {
    const golden = unhex(GOLDEN)
    const mutate = (at: number, value: number) => {
      const b = Uint8Array.from(golden)
      b[at] = value
      return b
    }
    const cases: [Uint8Array, RegExp][] = [
      [mutate(0, 0), /expected pxar entry of type 'Entry'/],
      [mutate(17, 0x81), /wrong root entry type/],
      [mutate(56 + 16 + 15, 0x41), /missing terminating zero/],
      [mutate(56 + 16, 0x2f), /contains slashes/],
      [mutate(88 + 16 + 1, 0x41), /wrong entry type/],
      [mutate(253 + 16, 0), /matches no file/],
      [mutate(253 + 16 + 8, 0), /matches no file/],
      [mutate(341 - 24, 0), /missing tail marker/],
      [mutate(341 - 16, 0), /tail offset/],
      [mutate(253 + 8, 0x40), /goodbye table has wrong size/],
      [golden.subarray(0, 300), /unexpected EOF/],
      [Uint8Array.from(Buffer.concat([golden, Uint8Array.of(0)])), /unexpected data after the end/]
    ]
    for (const [bytes, message] of cases) {
      await expect(decode(bytes), String(message)).rejects.toThrow(message)
      await expect(decode(bytes)).rejects.toBeInstanceOf(FormatError)
    }
    // swapped tree order (items sorted ascending instead of as a tree)
    const swapped = Uint8Array.from(golden)
    swapped.set(golden.subarray(269, 293), 293)
    swapped.set(golden.subarray(293, 317), 269)
    await expect(decode(swapped)).rejects.toThrow('goodbye table: items not in search-tree order')
  })

  it('encoder refuses bad names, duplicates and size mismatches', async () => {
    const enc = new PxarDirEncoder(async () => undefined)
    await enc.start(SNAPSHOT_ROOT_STAT)
    const stat = { ...SNAPSHOT_ROOT_STAT, mode: 0o100644 }
    await expect(enc.addFile('a/b', stat, 0, new Uint8Array(0))).rejects.toThrow(/slashes/)
    await expect(enc.addFile('..', stat, 0, new Uint8Array(0))).rejects.toThrow(/'\.\.'/)
    await expect(enc.addFile('x', SNAPSHOT_ROOT_STAT, 0, new Uint8Array(0))).rejects.toThrow(
      /not a regular file/
    )
    await expect(enc.addFile('y', stat, 3, utf8('ab'))).rejects.toThrow(
      "file 'y' shrunk while reading"
    )
    await expect(enc.addFile('z', stat, 1, utf8('ab'))).rejects.toThrow(
      "file 'z' changed while reading"
    )
    await expect(enc.addFile('z', stat, 1, utf8('a'))).rejects.toThrow(/duplicate/)
  })
})
