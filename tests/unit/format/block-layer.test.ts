import { describe, expect, it } from 'vitest'
import {
  BLOCK_PAYLOAD_SIZE,
  BLOCK_SIZE,
  decodeBlockHeader,
  encodeBlockHeader
} from '../../../main/core/format/block-header'
import { BlockedReader } from '../../../main/core/format/blocked-reader'
import { BlockedWriter } from '../../../main/core/format/blocked-writer'
import { FormatError } from '../../../main/core/format/format-error'
import { MemoryTape, hex, sameBytes } from './memory-tape'

const pattern = (n: number, seed = 1): Uint8Array => {
  const out = new Uint8Array(n)
  let x = seed
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

async function writeStream(tape: MemoryTape, data: Uint8Array, incomplete = false): Promise<void> {
  const w = new BlockedWriter(tape)
  await w.write(data)
  await w.finish(incomplete)
}

async function openReader(tape: MemoryTape): Promise<BlockedReader> {
  const r = await BlockedReader.open(tape)
  if (typeof r === 'string') throw new Error(`expected a stream, got ${r}`)
  return r
}

async function readAll(tape: MemoryTape): Promise<Uint8Array> {
  const r = await openReader(tape)
  const chunks: Uint8Array[] = []
  for await (const c of r.chunks()) chunks.push(c.slice())
  return Uint8Array.from(Buffer.concat(chunks))
}

/** A raw block built by hand: the header bytes come from the reference table, not our encoder. */
function rawBlock(flags: number, size: number, seq: number, fill = 0xaa): Uint8Array {
  const b = new Uint8Array(BLOCK_SIZE)
  b.set([0xdc, 0xbd, 0xaf, 0xca, 0xeb, 0xa0, 0xa5, 0x28], 0)
  b[8] = flags
  b[9] = size & 0xff
  b[10] = (size >> 8) & 0xff
  b[11] = (size >> 16) & 0xff
  new DataView(b.buffer).setUint32(12, seq, true)
  b.fill(fill, 16, 16 + Math.min(size, BLOCK_PAYLOAD_SIZE))
  return b
}

describe('block header layout', () => {
  it('golden bytes: magic | flags | 24-bit LE size | u32 LE seq_nr', () => {
    const b = new Uint8Array(BLOCK_SIZE)
    encodeBlockHeader(b, { flags: 0x03, size: 0x03fff0, seqNr: 0x01020304 })
    expect(hex(b.subarray(0, 16))).toBe('dcbdafcaeba0a528' + '03' + 'f0ff03' + '04030201')
    expect(decodeBlockHeader(b)).toEqual({ flags: 3, size: 262128, seqNr: 0x01020304 })
  })

  it('constants: 262144-byte blocks, 262128 payload bytes', () => {
    expect(BLOCK_SIZE).toBe(262144)
    expect(BLOCK_PAYLOAD_SIZE).toBe(262128)
  })
})

describe('BlockedWriter', () => {
  it('an empty stream is one EOS block with size 0, zero-filled, then a filemark', async () => {
    const tape = new MemoryTape()
    await writeStream(tape, new Uint8Array(0))
    expect(tape.marks).toHaveLength(2)
    const b = tape.marks[0] as Uint8Array
    expect(b.length).toBe(BLOCK_SIZE)
    expect(hex(b.subarray(0, 16))).toBe('dcbdafcaeba0a528' + '01' + '000000' + '00000000')
    expect(b.subarray(16).every((x) => x === 0)).toBe(true)
    expect(tape.marks[1]).toBe('filemark')
  })

  it('exactly 262128 bytes: one full block, then an EOS block carrying 0 bytes', async () => {
    const tape = new MemoryTape()
    const data = pattern(BLOCK_PAYLOAD_SIZE)
    await writeStream(tape, data)
    expect(tape.marks).toHaveLength(3)
    const [b0, b1] = tape.marks as Uint8Array[]
    expect(hex(b0.subarray(8, 16))).toBe('00' + 'f0ff03' + '00000000')
    expect(hex(b1.subarray(8, 16))).toBe('01' + '000000' + '01000000')
    expect(sameBytes(await readAll(tape), data)).toBe(true)
  })

  it('262129 bytes: full block + EOS block with 1 byte; padding is zero', async () => {
    const tape = new MemoryTape()
    const data = pattern(BLOCK_PAYLOAD_SIZE + 1)
    await writeStream(tape, data)
    const b1 = tape.marks[1] as Uint8Array
    expect(hex(b1.subarray(8, 16))).toBe('01' + '010000' + '01000000')
    expect(b1[16]).toBe(data[BLOCK_PAYLOAD_SIZE])
    expect(b1.subarray(17).every((x) => x === 0)).toBe(true)
    expect(sameBytes(await readAll(tape), data)).toBe(true)
  })

  it('multi-block stream written in odd pieces round-trips; INCOMPLETE sets flag 0x03', async () => {
    const tape = new MemoryTape()
    const data = pattern(3 * BLOCK_PAYLOAD_SIZE + 12345, 7)
    const w = new BlockedWriter(tape)
    for (let at = 0; at < data.length; at += 100_003) await w.write(data.subarray(at, at + 100_003))
    expect(w.payloadBytes).toBe(data.length)
    await w.finish(true)
    expect(w.bytesWritten).toBe(4 * BLOCK_SIZE)
    expect((tape.marks[3] as Uint8Array)[8]).toBe(0x03)
    const r = await openReader(tape)
    const back = new Uint8Array(data.length)
    expect(await r.readFully(back)).toBe(data.length)
    expect(sameBytes(back, data)).toBe(true)
    expect(await r.read(new Uint8Array(10))).toBe(0)
    expect(r.isIncomplete()).toBe(true)
    expect(r.hasEndMarker()).toBe(true)
  })

  it('reports LEOM sticky from the block that got the early warning on', async () => {
    const tape = new MemoryTape(2)
    const w = new BlockedWriter(tape)
    expect(await w.write(pattern(BLOCK_PAYLOAD_SIZE))).toBe(false)
    expect(await w.write(pattern(BLOCK_PAYLOAD_SIZE))).toBe(true)
    expect(w.leom).toBe(true)
    expect(await w.write(pattern(10))).toBe(true)
    expect(await w.finish(false)).toBe(true)
  })

  it('abort closes the file with a filemark but no end marker', async () => {
    const tape = new MemoryTape()
    const w = new BlockedWriter(tape)
    await w.write(pattern(BLOCK_PAYLOAD_SIZE))
    await w.abort()
    expect(tape.marks.map((m) => (m === 'filemark' ? 'F' : 'B')).join('')).toBe('BF')
    await expect(w.write(new Uint8Array(1))).rejects.toThrow(/aborted/)
    const r = await openReader(tape)
    await expect(r.skipToEnd()).rejects.toThrow('detected tape stream without end marker')
  })

  it('refuses writes after finish', async () => {
    const tape = new MemoryTape()
    const w = new BlockedWriter(tape)
    await w.finish(false)
    await expect(w.write(new Uint8Array(1))).rejects.toThrow(/finished/)
  })
})

describe('BlockedReader checks', () => {
  const expectError = async (marks: (Uint8Array | 'filemark')[], message: string | RegExp) => {
    const run = async () => {
      const r = await openReader(MemoryTape.of(marks))
      await r.skipToEnd()
    }
    await expect(run()).rejects.toThrow(message)
    await expect(run()).rejects.toBeInstanceOf(FormatError)
  }

  it('open reports filemark and end-of-data at the start', async () => {
    expect(await BlockedReader.open(MemoryTape.of(['filemark']))).toBe('filemark')
    expect(await BlockedReader.open(MemoryTape.of([]))).toBe('end-of-data')
  })

  it('reads a hand-built stream', async () => {
    const tape = MemoryTape.of([
      rawBlock(0, BLOCK_PAYLOAD_SIZE, 0, 1),
      rawBlock(1, 5, 1, 2),
      'filemark'
    ])
    const data = await readAll(tape)
    expect(data.length).toBe(BLOCK_PAYLOAD_SIZE + 5)
    expect(data[0]).toBe(1)
    expect(data[BLOCK_PAYLOAD_SIZE + 4]).toBe(2)
  })

  it('bad magic: "not written by PBS or incompatible LTO version"', async () => {
    const b = rawBlock(1, 1, 0)
    b[0] ^= 1
    await expectError([b, 'filemark'], /not written by PBS or incompatible LTO version/)
  })

  it('wrong block length', async () => {
    await expectError(
      [new Uint8Array(65536), 'filemark'],
      'got wrong block size (65536 bytes, expected 262144)'
    )
  })

  it('sequence gap', async () => {
    await expectError(
      [rawBlock(0, 10, 0), rawBlock(1, 10, 2), 'filemark'],
      'detected tape block with wrong sequence number (1 != 2)'
    )
    await expectError([rawBlock(1, 10, 1), 'filemark'], 'wrong sequence number (0 != 1)')
  })

  it('size > 262128', async () => {
    await expectError([rawBlock(1, 262129, 0), 'filemark'], 'wrong payload size (262129 > 262128)')
  })

  it('size 0 without EOS', async () => {
    await expectError([rawBlock(0, 0, 0), 'filemark'], 'detected tape block with zero payload size')
  })

  it('INCOMPLETE without EOS', async () => {
    await expectError([rawBlock(2, 10, 0), 'filemark'], /INCOMPLETE flag but without END_OF_STREAM/)
  })

  it('data block after the EOS block', async () => {
    await expectError(
      [rawBlock(1, 10, 0), rawBlock(0, 10, 1), 'filemark'],
      'detected tape block after block-stream end marker'
    )
  })

  it('end of data right after EOS / in the middle', async () => {
    await expectError([rawBlock(1, 10, 0)], 'got unexpected end of tape')
    await expectError([rawBlock(0, 10, 0)], 'got unexpected end of tape')
  })

  it('stream without end marker; skipData tolerates it', async () => {
    await expectError([rawBlock(0, 10, 0), 'filemark'], 'detected tape stream without end marker')
    const r = await openReader(MemoryTape.of([rawBlock(0, 10, 0), rawBlock(0, 7, 1), 'filemark']))
    expect(await r.skipData()).toBe(17)
    expect(r.hasEndMarker()).toBe(false)
    expect(() => r.isIncomplete()).toThrow('no end marker found')
  })

  it('flags can only be asked at the end; reads after an error fail', async () => {
    const r = await openReader(MemoryTape.of([rawBlock(0, 10, 0), rawBlock(0, 10, 5), 'filemark']))
    expect(() => r.isIncomplete()).toThrow('EOD not reached')
    expect(() => r.hasEndMarker()).toThrow('EOD not reached')
    await expect(r.readExact(20)).rejects.toThrow('wrong sequence number')
    await expect(r.read(new Uint8Array(1))).rejects.toThrow('read after error')
  })

  it('consumes exactly one file: the next file can be opened after it', async () => {
    const tape = new MemoryTape()
    await writeStream(tape, pattern(10, 1))
    await writeStream(tape, pattern(20, 2))
    expect(sameBytes(await readAll(tape), pattern(10, 1))).toBe(true)
    expect(sameBytes(await readAll(tape), pattern(20, 2))).toBe(true)
    expect(await BlockedReader.open(tape)).toBe('end-of-data')
  })

  it('a source reusing its buffer does not corrupt the EOS payload', async () => {
    const tape = new MemoryTape()
    await writeStream(tape, pattern(1000, 3))
    const shared = new Uint8Array(BLOCK_SIZE)
    const reusing = {
      readBlock: async () => {
        const r = await tape.readBlock()
        if (typeof r === 'string') {
          shared.fill(0xee)
          return r
        }
        shared.set(r)
        return shared
      }
    }
    const r = await BlockedReader.open(reusing)
    if (typeof r === 'string') throw new Error('no stream')
    expect(await r.readExact(1000)).toEqual(pattern(1000, 3))
  })
})
