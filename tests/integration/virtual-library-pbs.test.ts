import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  VIRTUAL_BLOCK_SIZE,
  createVirtualLibrary,
  openVirtualLibrary
} from '../../main/core/devices/virtual'
import { BlockedReader } from '../../main/core/format/blocked-reader'
import { BlockedWriter } from '../../main/core/format/blocked-writer'
import { readMediaLabelFile, writeMediaLabelFile } from '../../main/core/format/media-label'
import { tempDir } from '../helpers/temp'

const BS = VIRTUAL_BLOCK_SIZE
const MiB = 1024 * 1024

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function setup(tapeSize: number) {
  const tmp = await tempDir('tapedeck-vlib-')
  cleanups.push(tmp.remove)
  const dir = join(tmp.path, 'lib')
  await createVirtualLibrary({ path: dir, drives: 1, slots: 2, tapes: 2, tapeSize })
  const lib = await openVirtualLibrary(dir, { name: 'vlib' })
  cleanups.push(() => lib.close())
  await lib.changer().load(1, 0)
  return { dir, lib, drive: await lib.drive(0) }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

describe('virtual tapes hold the exact PBS block stream', () => {
  it('a media label written through the format layer is valid PBS on disk', async () => {
    const { dir, drive } = await setup(64 * MiB)
    const uuid = '5f0c9b2e-1d3a-4b6c-8e7f-0a1b2c3d4e5f'
    const label = { uuid, labelText: 'TAPE01L9', ctime: 1_700_000_000, pool: 'daily' }
    await drive.format(true)
    const header = await writeMediaLabelFile(drive, label, { ctime: 1_700_000_001 })
    await drive.writeFilemarks(0)

    // Independent check of tapefile-0, byte by byte, without the format layer.
    const raw = await readFile(join(dir, 'tapefile-0-TAPE01L9.json'))
    expect(raw.length).toBe(BS) // one block: the label fits, so it is also the END_OF_STREAM block
    expect(hex(raw.subarray(0, 8))).toBe('dcbdafcaeba0a528') // block header magic
    expect(raw[8]).toBe(0x01) // END_OF_STREAM, not INCOMPLETE
    const size = raw[9] | (raw[10] << 8) | (raw[11] << 16)
    expect(raw.readUInt32LE(12)).toBe(0) // seq_nr
    const p = raw.subarray(16)
    expect(hex(p.subarray(0, 8))).toBe('63ee149fcdf29b0c') // MediaContentHeader magic
    expect(hex(p.subarray(8, 16))).toBe('2a05bf3cb030aa39') // content magic: media label v1.0
    expect(hex(p.subarray(16, 32))).toBe(header.uuid.replace(/-/g, ''))
    expect(p.readBigInt64LE(32)).toBe(1_700_000_001n)
    const jsonLength = p.readUInt32LE(40)
    expect(p[44]).toBe(0) // part number
    expect(hex(p.subarray(45, 48))).toBe('000000')
    expect(size).toBe(48 + jsonLength)
    const json = p.subarray(48, 48 + jsonLength).toString('utf8')
    expect(json).toBe(
      '{\n  "ctime": 1700000000,\n  "label_text": "TAPE01L9",\n  "pool": "daily",\n' +
        `  "uuid": "${uuid}"\n}`
    )
    expect(p.subarray(48 + jsonLength).every((b) => b === 0)).toBe(true) // zero padding
    expect(await readFile(join(dir, 'tape-TAPE01L9.json'), 'utf8')).toBe('{\n  "files": 1\n}')

    // And the format layer reads it back through the drive.
    await drive.rewind()
    const reader = await BlockedReader.open(drive)
    if (typeof reader === 'string') throw new Error(reader)
    expect((await readMediaLabelFile(reader)).label).toEqual(label)
    expect(await drive.position()).toEqual({ file: 1, block: 0 })
    expect(await drive.readBlock()).toBe('end-of-data')
  })

  it('streams at disk speed', async () => {
    // 256 MiB by default; TAPEDECK_VLIB_BENCH_MIB=1024 for the 1 GiB measurement.
    const mib = Number(process.env.TAPEDECK_VLIB_BENCH_MIB ?? 256)
    const { drive } = await setup((mib + 64) * MiB)
    const blocks = (mib * MiB) / BS
    const block = Buffer.alloc(BS, 0x5a)

    let t = performance.now()
    for (let i = 0; i < blocks; i++) {
      block.writeUInt32LE(i, 0)
      await drive.writeBlock(block)
    }
    const writeMs = performance.now() - t
    await drive.writeFilemarks(1) // includes the fsync of the whole file
    const syncedMs = performance.now() - t

    await drive.rewind()
    t = performance.now()
    let n = 0
    for (;;) {
      const r = await drive.readBlock()
      if (typeof r === 'string') break
      if (r[0] !== (n & 0xff)) throw new Error(`block ${n} out of order`)
      n++
    }
    const readMs = performance.now() - t
    expect(n).toBe(blocks)

    // Through the format layer, as a backup writes: payload in, blocks with headers out.
    await drive.rewind()
    const w = new BlockedWriter(drive)
    const chunk = new Uint8Array(4 * MiB)
    t = performance.now()
    for (let i = 0; i < mib / 4; i++) await w.write(chunk)
    await w.finish(false)
    const blockedMs = performance.now() - t

    const rate = (ms: number) => Math.round(mib / (ms / 1000))
    console.log(
      `virtual drive, ${mib} MiB: write ${rate(writeMs)} MiB/s (${rate(syncedMs)} MiB/s incl. ` +
        `fsync), read ${rate(readMs)} MiB/s, BlockedWriter ${rate(blockedMs)} MiB/s incl. fsync`
    )
    // A floor far below any disk, to catch per-block state I/O creeping into the hot path.
    expect(rate(writeMs)).toBeGreaterThan(100)
    expect(rate(readMs)).toBeGreaterThan(100)
  })
})
