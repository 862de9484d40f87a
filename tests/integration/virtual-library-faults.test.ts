import { appendFile, readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  VIRTUAL_BLOCK_SIZE,
  type VirtualDrive,
  VirtualDriveError,
  clearFaults,
  createVirtualLibrary,
  listFaults,
  openVirtualLibrary,
  setFault
} from '../../main/core/devices/virtual'
import { BlockedReader } from '../../main/core/format/blocked-reader'
import { BlockedWriter } from '../../main/core/format/blocked-writer'
import { FormatError } from '../../main/core/format/format-error'
import { tempDir } from '../helpers/temp'

const BS = VIRTUAL_BLOCK_SIZE
const PAYLOAD = BS - 16

/** Payload of `blocks` full blocks whose bytes tell which file/offset they belong to. */
function payload(file: number, blocks: number): Uint8Array {
  const out = Buffer.alloc(blocks * PAYLOAD)
  for (let i = 0; i < out.length; i += 4096) out.writeUInt32LE(file * 1_000_000 + i / 4096, i)
  return out
}

/** One PBS tape file through the format layer: `blocks` full blocks + the END_OF_STREAM block. */
async function writeStream(drive: VirtualDrive, file: number, blocks: number) {
  const w = new BlockedWriter(drive)
  await w.write(payload(file, blocks))
  await w.finish(false)
}

async function readStream(drive: VirtualDrive): Promise<Uint8Array> {
  const r = await BlockedReader.open(drive)
  if (typeof r === 'string') throw new Error(`expected a tape file, got ${r}`)
  const parts: Buffer[] = []
  for await (const c of r.chunks()) parts.push(Buffer.from(c))
  return Buffer.concat(parts)
}

async function failure(p: Promise<unknown>): Promise<VirtualDriveError> {
  try {
    await p
  } catch (err) {
    if (err instanceof VirtualDriveError) return err
    throw err
  }
  throw new Error('expected the operation to fail')
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function setup() {
  const tmp = await tempDir('tapedeck-vlib-')
  cleanups.push(tmp.remove)
  const dir = join(tmp.path, 'lib')
  await createVirtualLibrary({
    path: dir,
    drives: 2,
    slots: 4,
    tapes: 3,
    tapeSize: 32 * 1024 * 1024
  })
  const lib = await openVirtualLibrary(dir, { name: 'vlib' })
  cleanups.push(() => lib.close())
  await lib.changer().load(1, 0)
  const drive = await lib.drive(0)
  return { dir, lib, drive }
}

/** Files 0..2 with 3, 4 and 2 full blocks. */
async function threeFiles(drive: VirtualDrive) {
  await writeStream(drive, 0, 3)
  await writeStream(drive, 1, 4)
  await writeStream(drive, 2, 2)
}

async function expectFiles(drive: VirtualDrive, files: [number, number][]) {
  for (const [file, blocks] of files) {
    await drive.locateFile(file)
    expect(Buffer.compare(Buffer.from(await readStream(drive)), payload(file, blocks))).toBe(0)
  }
}

describe('fault injection', () => {
  it('read error: fails at that block only, the drive moves past it, nothing is damaged', async () => {
    const { lib, drive } = await setup()
    await threeFiles(drive)
    const fault = await lib.setFault({ kind: 'read-error', tape: 'TAPE01L9', file: 1, block: 2 })
    expect(fault).toEqual({ id: 1, kind: 'read-error', tape: 'TAPE01L9', file: 1, block: 2 })

    await drive.locateFile(1)
    expect(await drive.readBlock()).toBeInstanceOf(Uint8Array)
    expect(await drive.readBlock()).toBeInstanceOf(Uint8Array)
    const err = await failure(drive.readBlock())
    expect(err.code).toBe('read-error')
    expect(err.message).toBe(
      'drive vlib-0: read error on TAPE01L9 at file 1 block 2 (medium error 03/11/00 ' +
        'unrecovered read error; injected fault #1); positioned after the bad block'
    )
    expect(await drive.position()).toEqual({ file: 1, block: 3 })
    expect(await drive.readBlock()).toBeInstanceOf(Uint8Array)
    // Through the format layer: the error surfaces unchanged, other files read fine.
    await drive.locateFile(1)
    await expect(readStream(drive)).rejects.toThrow(/read error on TAPE01L9 at file 1 block 2/)
    await expectFiles(drive, [
      [0, 3],
      [2, 2]
    ])
    // Cleared: the block was never damaged.
    expect(await lib.clearFaults({ kind: 'read-error' })).toHaveLength(1)
    await expectFiles(drive, [[1, 4]])
  })

  it('write error: nothing written at that block, earlier blocks and files stay intact', async () => {
    const { dir, lib, drive } = await setup()
    await writeStream(drive, 0, 3)
    await lib.setFault({ kind: 'write-error', tape: 'TAPE01L9', file: 1, block: 3 })
    const w = new BlockedWriter(drive)
    const err = await failure(w.write(payload(1, 6)))
    expect(err.code).toBe('write-error')
    expect(err.message).toMatch(
      /write error on TAPE01L9 at file 1 block 3 \(medium error 03\/0C\/00; injected fault #1\); nothing written, the file holds 3 block\(s\)/
    )
    expect(await drive.position()).toEqual({ file: 1, block: 3 })
    await w.abort() // as PBS does when a writer is dropped: a filemark closes the file
    expect((await stat(join(dir, 'tapefile-1-TAPE01L9.json'))).size).toBe(3 * BS)
    await writeStream(drive, 2, 1) // the drive carries on after the bad spot

    await expectFiles(drive, [
      [0, 3],
      [2, 1]
    ])
    await drive.locateFile(1)
    await expect(readStream(drive)).rejects.toThrow(/stream without end marker/)
    expect(await readFile(join(dir, 'tape-TAPE01L9.json'), 'utf8')).toBe('{\n  "files": 3\n}')
  })

  it('early warning at a chosen size; the hard end stays where it is', async () => {
    const { lib, drive } = await setup()
    await lib.setFault({ kind: 'early-warning', tape: 'TAPE01L9', bytes: 5 * BS })
    const leom: boolean[] = []
    for (let i = 0; i < 8; i++) leom.push((await drive.writeBlock(Buffer.alloc(BS, i))).leom)
    expect(leom).toEqual([false, false, false, false, true, true, true, true])
    await lib.clearFaults({ tape: 'TAPE01L9' })
    expect((await drive.writeBlock(Buffer.alloc(BS))).leom).toBe(false) // picked up mid-stream
    // Other tapes are not affected.
    await lib.setFault({ kind: 'early-warning', tape: 'TAPE02L9', bytes: 0 })
    expect((await drive.writeBlock(Buffer.alloc(BS))).leom).toBe(false)
  })

  it('power cut mid-file: the tape keeps what was written, no end marker, no filemark', async () => {
    const { dir, lib, drive } = await setup()
    await writeStream(drive, 0, 3)
    // Set from "another process", as `tapedeck vlib fault` would.
    await setFault(dir, { kind: 'power-cut', tape: 'TAPE01L9', file: 1, block: 2 })
    const w = new BlockedWriter(drive)
    const err = await failure(w.write(payload(1, 5)))
    expect(err.code).toBe('power-failure')
    expect(err.message).toMatch(
      /power failure while writing TAPE01L9 file 1 block 2 \(injected fault #1\): the tape keeps 2 block\(s\) of that file without end-of-stream block or filemark; position lost/
    )
    // The fault fired once; the position is lost and nothing can be written blindly.
    expect(await listFaults(dir)).toEqual([])
    expect((await drive.status()).position).toBeUndefined()
    const lost = await failure(w.abort())
    expect(lost.code).toBe('position-lost')
    expect((await failure(drive.readBlock())).code).toBe('position-lost')
    expect((await lib.status()).drives[0]).toMatchObject({ loaded: true, writing: false })
    expect((await lib.status()).drives[0].position).toBeUndefined()

    // On tape: file 0 intact, file 1 = 2 blocks, then end of data (no filemark).
    expect(await readFile(join(dir, 'tape-TAPE01L9.json'), 'utf8')).toBe('{\n  "files": 2\n}')
    expect((await stat(join(dir, 'tapefile-1-TAPE01L9.json'))).size).toBe(2 * BS)
    await expectFiles(drive, [[0, 3]])
    await drive.locateFile(1)
    expect(await drive.readBlock()).toBeInstanceOf(Uint8Array)
    expect(await drive.readBlock()).toBeInstanceOf(Uint8Array)
    expect(await drive.readBlock()).toBe('end-of-data')
    await drive.locateFile(1)
    await expect(readStream(drive)).rejects.toThrow(FormatError)

    // Recovery as PBS does it: EOD lands inside the unterminated file, so write the missing mark.
    await drive.moveToEndOfData()
    expect(await drive.position()).toEqual({ file: 1, block: 2 })
    await drive.writeFilemarks(1)
    await writeStream(drive, 2, 2)
    await expectFiles(drive, [
      [0, 3],
      [2, 2]
    ])
  })

  it('power cut before the first block of a file leaves the tape ending at the previous mark', async () => {
    const { dir, lib, drive } = await setup()
    await writeStream(drive, 0, 1)
    await lib.setFault({ kind: 'power-cut', tape: 'TAPE01L9', file: 1, block: 0 })
    expect((await failure(writeStream(drive, 1, 1))).code).toBe('power-failure')
    expect(await readFile(join(dir, 'tape-TAPE01L9.json'), 'utf8')).toBe('{\n  "files": 1\n}')
    expect(await readdir(dir)).not.toContain('tapefile-1-TAPE01L9.json')
    await drive.moveToEndOfData()
    expect(await drive.position()).toEqual({ file: 1, block: 0 })
  })

  it('TapeAlert flags and cleaning requests on a drive', async () => {
    const { dir, lib, drive } = await setup()
    const other = await lib.drive(1)
    await lib.setFault({ kind: 'tape-alert', drive: 0, flags: ['MEDIA', 'READ_WARNING', 'MEDIA'] })
    await setFault(dir, { kind: 'cleaning-request', drive: 0 })
    expect((await drive.status())['alert-flags']).toEqual(['READ_WARNING', 'MEDIA', 'CLEAN_NOW'])
    expect((await other.status())['alert-flags']).toEqual([])
    await expect(
      lib.setFault({ kind: 'tape-alert', drive: 0, flags: ['NOT_A_FLAG'] })
    ).rejects.toThrow(/unknown TapeAlert flag NOT_A_FLAG/)
    await expect(lib.setFault({ kind: 'cleaning-request', drive: 5 })).rejects.toThrow(/no drive 5/)
    await expect(
      lib.setFault({ kind: 'read-error', tape: 'NOPE01L9', file: 0, block: 0 })
    ).rejects.toThrow(/no cartridge NOPE01L9/)
    await expect(
      lib.setFault({ kind: 'read-error', tape: 'TAPE01L9', file: -1, block: 0 })
    ).rejects.toThrow(/invalid fault: file/)

    expect((await listFaults(dir)).map((f) => f.kind)).toEqual(['tape-alert', 'cleaning-request'])
    const removed = await clearFaults(dir, { kind: 'cleaning-request' })
    expect(removed).toEqual([{ id: 2, kind: 'cleaning-request', drive: 0 }])
    expect((await drive.status())['alert-flags']).toEqual(['READ_WARNING', 'MEDIA'])
    await lib.clearFaults()
    expect((await drive.status())['alert-flags']).toEqual([])
    // Data was never touched by any of it.
    await writeStream(drive, 0, 2)
    await expectFiles(drive, [[0, 2]])
  })

  it('buffers the filemarks of a write stream until a flush, like a drive with IMMED marks', async () => {
    const { dir, lib, drive } = await setup()
    const index = () => readFile(join(dir, 'tape-TAPE01L9.json'), 'utf8')
    const recorded = async () =>
      (
        JSON.parse(await readFile(join(dir, 'library.json'), 'utf8')) as {
          cartridges: Record<string, { files: number }>
        }
      ).cartridges.TAPE01L9.files
    await threeFiles(drive)
    // Nothing is recorded yet: a crash now would leave the tape as the stream found it.
    expect(await index()).toBe('{\n  "files": 1\n}')
    expect(await recorded()).toBe(1)
    expect(await drive.position()).toEqual({ file: 3, block: 0 })
    // The changer may not pull a tape whose writes are still buffered.
    await expect(lib.changer().unload(0, 1)).rejects.toThrow(/busy writing/)
    await drive.writeFilemarks(0)
    expect(await index()).toBe('{\n  "files": 3\n}')
    expect(await recorded()).toBe(3)
    await expectFiles(drive, [
      [0, 3],
      [1, 4],
      [2, 2]
    ])
    await lib.changer().unload(0, 1)
  })

  it('repairs what a crash leaves behind when the tape is next loaded', async () => {
    const { dir, lib, drive } = await setup()
    await threeFiles(drive)
    await drive.writeFilemarks(0) // flush the buffered filemarks: the drive is busy until then
    await lib.changer().unload(0, 1)
    // A torn last block, a stray file beyond the index, as a crash mid-write could leave them.
    await appendFile(join(dir, 'tapefile-2-TAPE01L9.json'), Buffer.alloc(1000, 1))
    await writeFile(join(dir, 'tapefile-7-TAPE01L9.json'), Buffer.alloc(BS))
    await lib.changer().load(1, 0)
    await expectFiles(drive, [
      [0, 3],
      [1, 4],
      [2, 2]
    ])
    expect(await drive.readBlock()).toBe('end-of-data')
    expect((await stat(join(dir, 'tapefile-2-TAPE01L9.json'))).size).toBe(3 * BS)
    expect(await readdir(dir)).not.toContain('tapefile-7-TAPE01L9.json')
  })
})
