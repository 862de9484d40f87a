import { describe, expect, it } from 'vitest'
import { BLOCK_HEADER_SIZE, BLOCK_SIZE } from '../../../main/core/format/block-header'
import { BlockedReader } from '../../../main/core/format/blocked-reader'
import { BlockedWriter } from '../../../main/core/format/blocked-writer'
import {
  CatalogArchiveReader,
  writeCatalogArchive
} from '../../../main/core/format/catalog-archive'
import { ChunkArchiveReader } from '../../../main/core/format/chunk-archive-reader'
import { ChunkArchiveWriter } from '../../../main/core/format/chunk-archive-writer'
import { FormatError } from '../../../main/core/format/format-error'
import { parsePbsCatalog } from '../../../main/core/format/media-catalog'
import { readMediaLabelFile, writeMediaLabelFile } from '../../../main/core/format/media-label'
import {
  readMediaSetLabelFile,
  writeMediaSetLabelFile
} from '../../../main/core/format/media-set-label'
import { PxarDirDecoder } from '../../../main/core/format/pxar-decoder'
import { PxarDirEncoder, SNAPSHOT_ROOT_STAT } from '../../../main/core/format/pxar-encoder'
import { SnapshotArchiveReader } from '../../../main/core/format/snapshot-archive-reader'
import { writeSnapshotArchive } from '../../../main/core/format/snapshot-archive-writer'
import { catalogBytes, chunkArchive, snapshotArchive } from '../../helpers/pbs-catalog'
import { chunk } from './blobs'
import { MemoryTape, type TapeMark } from './memory-tape'

const ITERATIONS = 2000
const SEED = 0x7a9ede

/** mulberry32: small, fast, deterministic. */
function prng(seed: number) {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number): number => Math.floor(next() * n)
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)] }
}
type Rng = ReturnType<typeof prng>

const UUID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'
const SET = 'f0e1d2c3-b4a5-4697-8877-665544332211'

async function corpus(): Promise<{
  files: TapeMark[][]
  payloads: Uint8Array[]
  catalog: Uint8Array
  pxar: Uint8Array
}> {
  const files: TapeMark[][] = []
  const take = async (write: (t: MemoryTape) => Promise<unknown>) => {
    const t = new MemoryTape()
    await write(t)
    files.push(t.marks)
  }
  await take((t) =>
    writeMediaLabelFile(t, { uuid: UUID, labelText: 'TAPE01L9', ctime: 1, pool: 'p' })
  )
  await take((t) =>
    writeMediaSetLabelFile(
      t,
      {
        pool: 'p',
        uuid: SET,
        seqNr: 1,
        ctime: 2,
        encryptionKeyFingerprint: Array(32).fill('ab').join(':')
      },
      { kdf: null, created: 1, modified: 1, data: 'AA==' }
    )
  )
  await take(async (t) => {
    const w = await ChunkArchiveWriter.start(t, 'store1')
    for (const [size, seed] of [
      [100, 1],
      [5000, 2],
      [270_000, 3],
      [1, 4]
    ]) {
      const c = chunk(size, seed)
      await w.tryWriteChunk(c.digest, c.blob)
    }
    await w.finish()
  })
  const file = (name: string, size: number) => ({
    name,
    size,
    mode: 0o644,
    uid: 0,
    gid: 0,
    mtime: { secs: 1, nanos: 2 },
    content: new Uint8Array(size).fill(size & 0xff)
  })
  await take((t) =>
    writeSnapshotArchive(t, {
      store: 'store1',
      snapshot: 'ns/a/vm/100/2024-01-01T00:00:00Z',
      files: [
        file('index.json.blob', 300),
        file('drive-scsi0.img.fidx', 280_000),
        file('client.log.blob', 0)
      ]
    })
  )
  const catalog = await catalogBytes(UUID, { uuid: SET, seqNr: 1 }, [
    chunkArchive('11111111-2222-4333-8444-555555555555', 2, 'store1', [
      chunk(1, 1).digest,
      chunk(2, 2).digest
    ]),
    snapshotArchive(
      '66666666-7777-4888-9999-aaaaaaaaaaaa',
      3,
      'store1',
      'vm/100/2024-01-01T00:00:00Z'
    )
  ])
  await take((t) =>
    writeCatalogArchive(t, { uuid: UUID, mediaSetUuid: SET, seqNr: 1 }, catalog, {
      namespaces: true
    })
  )

  const payloads = await Promise.all(files.map(payloadOf))
  const parts: Uint8Array[] = []
  const enc = new PxarDirEncoder(async (d) => {
    parts.push(d.slice())
  })
  await enc.start(SNAPSHOT_ROOT_STAT)
  await enc.addFile(
    'index.json.blob',
    { ...SNAPSHOT_ROOT_STAT, mode: 0o100644 },
    3,
    new Uint8Array(3)
  )
  await enc.addFile('b', { ...SNAPSHOT_ROOT_STAT, mode: 0o100644 }, 40, new Uint8Array(40))
  await enc.finish()
  return { files, payloads, catalog, pxar: Uint8Array.from(Buffer.concat(parts)) }
}

async function payloadOf(marks: TapeMark[]): Promise<Uint8Array> {
  const r = await BlockedReader.open(MemoryTape.of(marks))
  if (typeof r === 'string') throw new Error(r)
  const out: Uint8Array[] = []
  for await (const c of r.chunks()) out.push(c.slice())
  return Uint8Array.from(Buffer.concat(out))
}

/** Re-blocks a (mutated) payload so the archive parsers, not the block layer, see the damage. */
async function reblock(payload: Uint8Array, rng: Rng): Promise<TapeMark[]> {
  const t = new MemoryTape()
  const w = new BlockedWriter(t)
  await w.write(payload)
  const end = rng.int(10)
  if (end === 0) await w.abort()
  else await w.finish(end === 1)
  return t.marks
}

function flipBytes(data: Uint8Array, rng: Rng, hot: number): Uint8Array {
  const out = Uint8Array.from(data)
  const n = 1 + rng.int(4)
  for (let i = 0; i < n && out.length > 0; i++) {
    const at = rng.next() < 0.8 ? rng.int(Math.min(out.length, hot)) : rng.int(out.length)
    out[at] ^= 1 << rng.int(8)
  }
  return out
}

function mutateBytes(data: Uint8Array, rng: Rng): Uint8Array {
  switch (rng.int(5)) {
    case 0:
      return flipBytes(data, rng, 512)
    case 1:
      return data.subarray(0, rng.int(data.length + 1))
    case 2: {
      const at = rng.int(data.length + 1)
      const junk = Uint8Array.from({ length: 1 + rng.int(64) }, () => rng.int(256))
      return Uint8Array.from(Buffer.concat([data.subarray(0, at), junk, data.subarray(at)]))
    }
    case 3: {
      const at = rng.int(data.length + 1)
      return Uint8Array.from(
        Buffer.concat([data.subarray(0, at), data.subarray(at + 1 + rng.int(64))])
      )
    }
    default: {
      const out = Uint8Array.from(data)
      const at = rng.int(Math.max(1, out.length - 8))
      new DataView(out.buffer).setUint32(
        Math.min(at, Math.max(0, out.length - 4)),
        rng.int(2 ** 32),
        true
      )
      return out
    }
  }
}

function randomBlock(rng: Rng, seq: number): Uint8Array {
  const b = new Uint8Array(BLOCK_SIZE)
  if (rng.next() < 0.7) b.set([0xdc, 0xbd, 0xaf, 0xca, 0xeb, 0xa0, 0xa5, 0x28])
  else for (let i = 0; i < 8; i++) b[i] = rng.int(256)
  b[8] = rng.int(4)
  const size = rng.next() < 0.5 ? rng.int(262_200) : rng.int(2000)
  b[9] = size & 0xff
  b[10] = (size >> 8) & 0xff
  b[11] = (size >> 16) & 0xff
  new DataView(b.buffer).setUint32(12, rng.next() < 0.8 ? seq : rng.int(5), true)
  for (let i = 16; i < 16 + Math.min(size, 2000); i++) b[i] = rng.int(256)
  return b
}

async function mutateMarks(marks: TapeMark[], payload: Uint8Array, rng: Rng): Promise<TapeMark[]> {
  const blocks = marks.filter((m): m is Uint8Array => m !== 'filemark')
  switch (rng.int(7)) {
    case 0: {
      // bit flips in one block, mostly in header and used payload
      const out = [...marks]
      const i = rng.int(blocks.length)
      const b = blocks[i]
      const used = BLOCK_HEADER_SIZE + (b[9] | (b[10] << 8) | (b[11] << 16))
      out[i] = flipBytes(b, rng, Math.min(BLOCK_SIZE, used + 64))
      return out
    }
    case 1:
      return marks.slice(0, rng.int(marks.length + 1))
    case 2: {
      const out = [...marks]
      const i = rng.int(blocks.length)
      out[i] = blocks[i].subarray(0, rng.int(BLOCK_SIZE))
      return out
    }
    case 3: {
      // shuffle / duplicate / drop blocks
      const seq: TapeMark[] = []
      for (const b of blocks) {
        const r = rng.next()
        if (r < 0.15) continue
        seq.push(b)
        if (r > 0.85) seq.push(b)
      }
      if (rng.next() < 0.5 && seq.length > 1) seq.reverse()
      if (rng.next() < 0.8) seq.push('filemark')
      return seq
    }
    case 4: {
      const seq: TapeMark[] = []
      const n = rng.int(4)
      for (let i = 0; i < n; i++) seq.push(randomBlock(rng, i))
      if (rng.next() < 0.7) seq.push('filemark')
      return seq
    }
    default:
      return reblock(mutateBytes(payload, rng), rng)
  }
}

type Reader = (marks: TapeMark[]) => Promise<unknown>
const withReader =
  (fn: (r: BlockedReader) => Promise<unknown>): Reader =>
  async (marks) => {
    const r = await BlockedReader.open(MemoryTape.of(marks))
    if (typeof r === 'string') return r
    return fn(r)
  }
const READERS: Record<string, Reader> = {
  'media label': withReader(readMediaLabelFile),
  'media-set label': withReader(readMediaSetLabelFile),
  'chunk archive': withReader(async (r) => {
    const a = await ChunkArchiveReader.open(r)
    for await (const e of a) void e
  }),
  'snapshot archive': withReader(async (r) => (await SnapshotArchiveReader.open(r)).readAll()),
  'catalog archive': withReader(async (r) =>
    parsePbsCatalog(await (await CatalogArchiveReader.open(r)).readAll())
  )
}

async function expectCleanOutcome(
  what: string,
  run: () => Promise<unknown> | unknown
): Promise<'ok' | 'error'> {
  try {
    await run()
    return 'ok'
  } catch (err) {
    if (!(err instanceof FormatError) || err.message.length === 0) {
      throw new Error(`${what}: crashed with ${String(err)}`, { cause: err })
    }
    return 'error'
  }
}

describe('fuzz: readers end in a FormatError or a result, never a crash or a hang', () => {
  it(
    `${ITERATIONS} seeded iterations over tape files, pxar streams and media catalogs`,
    { timeout: 30_000 },
    async () => {
      const rng = prng(SEED)
      const { files, payloads, catalog, pxar } = await corpus()
      const outcomes = { ok: 0, error: 0 }
      const started = Date.now()
      for (let i = 0; i < ITERATIONS; i++) {
        const k = rng.int(files.length + 2)
        if (k < files.length) {
          const marks = await mutateMarks(files[k], payloads[k], rng)
          for (const [name, read] of Object.entries(READERS)) {
            outcomes[await expectCleanOutcome(`#${i} ${name}`, () => read(marks))]++
          }
        } else if (k === files.length) {
          const bytes = mutateBytes(catalog, rng)
          outcomes[await expectCleanOutcome(`#${i} media catalog`, () => parsePbsCatalog(bytes))]++
        } else {
          const bytes = mutateBytes(pxar, rng)
          outcomes[
            await expectCleanOutcome(`#${i} pxar`, async () => {
              let pos = 0
              const dec = new PxarDirDecoder({
                readFully: async (dest) => {
                  const n = Math.min(dest.length, bytes.length - pos)
                  dest.set(bytes.subarray(pos, pos + n))
                  pos += n
                  return n
                }
              })
              for await (const e of dec) void e
            })
          ]++
        }
      }
      // Both outcomes must occur, or the mutations are not reaching the parsers.
      expect(outcomes.error).toBeGreaterThan(ITERATIONS)
      expect(outcomes.ok).toBeGreaterThan(0)
      expect(Date.now() - started).toBeLessThan(30_000)
    }
  )
})
