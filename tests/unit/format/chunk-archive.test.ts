import { describe, expect, it } from 'vitest'
import { BlockedReader } from '../../../main/core/format/blocked-reader'
import { BlockedWriter } from '../../../main/core/format/blocked-writer'
import { encodeChunkEntryHeader } from '../../../main/core/format/chunk-archive-entry'
import { ChunkArchiveReader } from '../../../main/core/format/chunk-archive-reader'
import { ChunkArchiveWriter } from '../../../main/core/format/chunk-archive-writer'
import { IncompleteArchiveError } from '../../../main/core/format/format-error'
import { writeContentHeader } from '../../../main/core/format/content-header'
import { verifyDataBlob } from '../../../main/core/format/data-blob'
import { CHUNK_ARCHIVE_MAGIC_1_0, CHUNK_ARCHIVE_MAGIC_1_1 } from '../../../main/core/format/magics'
import { utf8 } from '../../../main/core/format/pretty-json'
import { chunk, plainBlob } from './blobs'
import { MemoryTape, hex, sameBytes, unhex } from './memory-tape'

async function open(tape: MemoryTape): Promise<BlockedReader> {
  const r = await BlockedReader.open(tape)
  if (typeof r === 'string') throw new Error(r)
  return r
}

async function readArchive(tape: MemoryTape) {
  const reader = await ChunkArchiveReader.open(await open(tape))
  const entries = []
  for await (const e of reader) entries.push(e)
  return { reader, entries }
}

describe('DataBlob CRC', () => {
  it('golden: CRC32("123456789") = cbf43926, stored LE after the magic', () => {
    const blob = plainBlob(utf8('123456789'))
    expect(hex(blob.subarray(0, 12))).toBe('42ab3807be8370a1' + '2639f4cb')
    expect(verifyDataBlob(blob)).toBe('uncompressed')
  })

  it('encrypted blobs: CRC covers the bytes after IV and tag (44-byte header)', () => {
    const blob = new Uint8Array(44 + 9)
    blob.set(unhex('7b6785be222d4cf0'))
    blob.set(utf8('123456789'), 44)
    blob.set(unhex('2639f4cb'), 8)
    blob.fill(0x55, 12, 44) // IV + tag are not covered
    expect(verifyDataBlob(blob)).toBe('encrypted')
  })

  it('rejects bad magic, short blobs and CRC mismatches', () => {
    expect(() => verifyDataBlob(new Uint8Array(5))).toThrow('blob too small (5 bytes).')
    expect(() => verifyDataBlob(new Uint8Array(20))).toThrow('wrong magic')
    const enc = new Uint8Array(30)
    enc.set(unhex('e6591bbf0bbfd80b'))
    expect(() => verifyDataBlob(enc)).toThrow('encrypted blob too small (30 bytes).')
    const blob = plainBlob(utf8('abc'))
    blob[13] ^= 1
    expect(() => verifyDataBlob(blob)).toThrow('Data blob has wrong CRC checksum.')
  })
})

describe('chunk archive v1.1', () => {
  it('golden entry header: magic | digest | u64 LE size', () => {
    const digest = unhex('00112233445566778899aabbccddeeff'.repeat(2))
    expect(hex(encodeChunkEntryHeader({ digest, size: 0x0102_0304_05 }))).toBe(
      '48576df2de428fdc' + '00112233445566778899aabbccddeeff'.repeat(2) + '0504030201000000'
    )
  })

  it('stream layout: content header with {"store"} JSON, then entry header + raw blob', async () => {
    const tape = new MemoryTape()
    const c = chunk(100, 1)
    const w = await ChunkArchiveWriter.start(tape, 'store1', {
      uuid: '11111111-2222-4333-8444-555555555555',
      ctime: 9
    })
    expect(await w.tryWriteChunk(c.digest, c.blob)).toBe(true)
    await w.finish()
    const block = tape.marks[0] as Uint8Array
    const json = '{\n  "store": "store1"\n}'
    expect(hex(block.subarray(16, 32))).toBe('63ee149fcdf29b0c' + '6d31636dd70283bf')
    expect(Buffer.from(block.subarray(64, 64 + json.length)).toString()).toBe(json)
    const at = 64 + json.length
    expect(hex(block.subarray(at, at + 8))).toBe('48576df2de428fdc')
    expect(sameBytes(block.subarray(at + 8, at + 40), c.digest)).toBe(true)
    expect(hex(block.subarray(at + 40, at + 48))).toBe('7000000000000000') // 112 = 12 + 100
    expect(sameBytes(block.subarray(at + 48, at + 48 + 112), c.blob)).toBe(true)
  })

  it('round-trips many chunks across blocks, including multi-block blobs and an empty archive', async () => {
    const chunks = [
      chunk(10, 1),
      chunk(300_000, 2),
      chunk(262_132, 3),
      chunk(1, 4),
      chunk(700_001, 5)
    ]
    const tape = new MemoryTape()
    const w = await ChunkArchiveWriter.start(tape, 'store1')
    for (const c of chunks) expect(await w.tryWriteChunk(c.digest, c.blob)).toBe(true)
    expect(await w.finish()).toBe(false)
    expect(w.chunks).toHaveLength(5)

    const { reader, entries } = await readArchive(tape)
    expect(reader.store).toBe('store1')
    expect(reader.contentUuid).toBe(w.contentUuid)
    expect(reader.truncated).toBe(false)
    expect(entries).toHaveLength(5)
    entries.forEach((e, i) => {
      expect(sameBytes(e.digest, chunks[i].digest)).toBe(true)
      expect(sameBytes(e.blob, chunks[i].blob)).toBe(true)
    })

    const empty = new MemoryTape()
    await (await ChunkArchiveWriter.start(empty, 's')).finish()
    expect((await readArchive(empty)).entries).toHaveLength(0)
  })

  it('closes at LEOM mid-chunk (not incomplete); the cut chunk is not reported nor read back', async () => {
    const tape = new MemoryTape(3) // early warning on the third block
    const chunks = [chunk(200_000, 1), chunk(200_000, 2), chunk(800_000, 3), chunk(10, 4)]
    const w = await ChunkArchiveWriter.start(tape, 'store1')
    const results = []
    for (const c of chunks) results.push(await w.tryWriteChunk(c.digest, c.blob))
    expect(results).toEqual([true, true, false, false])
    expect(w.closed).toBe(true)
    expect(w.leom).toBe(true)
    expect(w.chunks.map(hex)).toEqual([hex(chunks[0].digest), hex(chunks[1].digest)])
    expect(tape.marks.filter((m) => m === 'filemark')).toHaveLength(1)
    const last = tape.marks[tape.marks.length - 2] as Uint8Array
    expect(last[8]).toBe(0x01) // END_OF_STREAM, not INCOMPLETE

    const { reader, entries } = await readArchive(tape)
    expect(entries.map((e) => hex(e.digest))).toEqual(w.chunks.map(hex))
    expect(reader.truncated).toBe(true)
  })

  it('a chunk completed by the slice that saw LEOM counts as written', async () => {
    const tape = new MemoryTape(2)
    const headerBytes = 48 + '{\n  "store": "s"\n}'.length
    const a = chunk(262_128 - headerBytes - 48 - 12, 1) // fills block 0 exactly
    const b = chunk(262_128 - 48 - 12, 2) // fills block 1 exactly → LEOM on its last slice
    const w = await ChunkArchiveWriter.start(tape, 's')
    expect(await w.tryWriteChunk(a.digest, a.blob)).toBe(true)
    expect(await w.tryWriteChunk(b.digest, b.blob)).toBe(true)
    expect(w.closed).toBe(true)
    expect(w.chunks).toHaveLength(2)
    const { reader, entries } = await readArchive(tape)
    expect(entries).toHaveLength(2)
    expect(reader.truncated).toBe(false)
  })

  it('reader rejects v1.0 archives, unknown entry magic, bad CRC and a partial entry header', async () => {
    const make = async (magic: Uint8Array, body: Uint8Array) => {
      const tape = new MemoryTape()
      const w = new BlockedWriter(tape)
      await writeContentHeader(w, magic, utf8('{"store":"s"}'))
      await w.write(body)
      await w.finish(false)
      return tape
    }
    await expect(
      readArchive(await make(CHUNK_ARCHIVE_MAGIC_1_0, new Uint8Array(0)))
    ).rejects.toThrow('unexpected chunk archive version (v1.0)')
    const c = chunk(50, 1)
    const good = Buffer.concat([
      encodeChunkEntryHeader({ digest: c.digest, size: c.blob.length }),
      c.blob
    ])
    const badMagic = Uint8Array.from(good)
    badMagic[0] ^= 0xff
    await expect(readArchive(await make(CHUNK_ARCHIVE_MAGIC_1_1, badMagic))).rejects.toThrow(
      'chunk archive entry: wrong magic number'
    )
    const badCrc = Uint8Array.from(good)
    badCrc[good.length - 1] ^= 1
    await expect(readArchive(await make(CHUNK_ARCHIVE_MAGIC_1_1, badCrc))).rejects.toThrow(
      /^chunk [0-9a-f]{64}: Data blob has wrong CRC checksum/
    )
    await expect(
      readArchive(await make(CHUNK_ARCHIVE_MAGIC_1_1, good.subarray(0, 20)))
    ).rejects.toThrow('chunk archive ends inside an entry header (20 of 48 bytes)')
    const huge = encodeChunkEntryHeader({ digest: c.digest, size: 2 ** 40 })
    await expect(readArchive(await make(CHUNK_ARCHIVE_MAGIC_1_1, huge))).rejects.toThrow(/exceeds/)
    await expect(
      readArchive(await make(CHUNK_ARCHIVE_MAGIC_1_1, good.subarray(0, good.length - 1)))
    ).resolves.toMatchObject({ entries: [] })
  })
})

describe('chunk archive end cases', () => {
  it('an aborted chunk archive (no end marker) ends in an IncompleteArchiveError after its chunks', async () => {
    const tape = new MemoryTape()
    const w = await ChunkArchiveWriter.start(tape, 's')
    const c = chunk(100_000, 1) // lies completely in the first block
    const d = chunk(300_000, 2) // its tail is still buffered when the write is aborted
    await w.tryWriteChunk(c.digest, c.blob)
    await w.tryWriteChunk(d.digest, d.blob)
    await w.abort()
    const reader = await ChunkArchiveReader.open(await open(tape))
    const seen: string[] = []
    const err = await (async () => {
      for await (const e of reader) seen.push(hex(e.digest))
    })().catch((e: unknown) => e)
    expect(seen).toEqual([hex(c.digest)])
    expect(err).toBeInstanceOf(IncompleteArchiveError)
    expect((err as IncompleteArchiveError).reason).toBe('no-end-marker')
  })
})
