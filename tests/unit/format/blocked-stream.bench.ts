/**
 * Throughput of the block layer (run: npx vitest bench --run --project unit tests/unit/format).
 * Each iteration moves 256 MiB; MB/s = hz × 268.4. LTO-8/9 stream at 300–400 MB/s, so the format
 * layer must stay well above that to never be the bottleneck.
 */
import { bench, describe } from 'vitest'
import { BLOCK_SIZE } from '../../../main/core/format/block-header'
import type { BlockSink, BlockSource } from '../../../main/core/format/block-io'
import { BlockedReader } from '../../../main/core/format/blocked-reader'
import { BlockedWriter } from '../../../main/core/format/blocked-writer'
import { ChunkArchiveWriter } from '../../../main/core/format/chunk-archive-writer'

const TOTAL = 256 * 1024 * 1024
const piece = new Uint8Array(4 * 1024 * 1024).fill(0x5a)
/** 256 MiB of distinct memory, so copies are bound by RAM bandwidth, not cache. */
const cold = new Uint8Array(TOTAL).fill(0xa5)
const nullSink: BlockSink = {
  writeBlock: async () => ({ leom: false }),
  writeFilemark: async () => undefined
}

/** Replays one valid block with increasing sequence numbers, then EOS + filemark. */
function source(blocks: number): BlockSource {
  const w = new Uint8Array(BLOCK_SIZE)
  const dv = new DataView(w.buffer)
  let n = 0
  return {
    readBlock: async () => {
      if (n === blocks) {
        n++
        return 'filemark'
      }
      w.set([0xdc, 0xbd, 0xaf, 0xca, 0xeb, 0xa0, 0xa5, 0x28])
      const last = n === blocks - 1
      w[8] = last ? 1 : 0
      w[9] = 0xf0
      w[10] = 0xff
      w[11] = 0x03
      dv.setUint32(12, n++, true)
      return w
    }
  }
}

describe('block layer throughput (256 MiB per iteration)', () => {
  bench('BlockedWriter.write, 4 MiB pieces', async () => {
    const w = new BlockedWriter(nullSink)
    for (let done = 0; done < TOTAL; done += piece.length) await w.write(piece)
    await w.finish(false)
  })

  bench('BlockedWriter.write, 4 MiB pieces of cold memory', async () => {
    const w = new BlockedWriter(nullSink)
    for (let at = 0; at < TOTAL; at += piece.length)
      await w.write(cold.subarray(at, at + piece.length))
    await w.finish(false)
  })

  bench('ChunkArchiveWriter, 4 MiB chunks', async () => {
    const a = await ChunkArchiveWriter.start(nullSink, 'store')
    const digest = new Uint8Array(32)
    for (let done = 0; done < TOTAL; done += piece.length) await a.tryWriteChunk(digest, piece)
    await a.finish()
  })

  bench('BlockedReader.chunks (zero-copy)', async () => {
    const r = await BlockedReader.open(source(Math.ceil(TOTAL / 262_128)))
    if (typeof r === 'string') throw new Error(r)
    for await (const c of r.chunks()) void c
  })

  bench('BlockedReader.readFully into 4 MiB buffers', async () => {
    const r = await BlockedReader.open(source(Math.ceil(TOTAL / 262_128)))
    if (typeof r === 'string') throw new Error(r)
    const buf = new Uint8Array(4 * 1024 * 1024)
    while ((await r.readFully(buf)) > 0);
  })
})
