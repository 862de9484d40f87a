import { readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type CreateVirtualLibraryOptions,
  type VirtualDrive,
  type VirtualLibrary,
  VIRTUAL_BLOCK_SIZE,
  VirtualDriveError,
  createVirtualLibrary,
  earlyWarningZone,
  openVirtualLibrary
} from '../../main/core/devices/virtual'
import { BLOCK_SIZE } from '../../main/core/format/block-header'
import { BlockedWriter } from '../../main/core/format/blocked-writer'
import { tempDir } from '../helpers/temp'

const BS = VIRTUAL_BLOCK_SIZE
const MiB = 1024 * 1024

/** A block whose every byte derives from its tag, so content checks need no stored copy. */
function tagged(tag: string): Buffer {
  const b = Buffer.alloc(BS, tag.length * 31 + tag.charCodeAt(tag.length - 1))
  b.write(tag.padEnd(16, '.'), 0, 'latin1')
  return b
}
const tagOf = (b: Uint8Array) =>
  Buffer.from(b.subarray(0, 16)).toString('latin1').replace(/\.+$/, '')

/** Reads from the current position to end of data: one array of block tags per tape file. */
async function readTags(drive: VirtualDrive): Promise<{ files: string[][]; end: 'end-of-data' }> {
  const files: string[][] = [[]]
  for (;;) {
    const r = await drive.readBlock()
    if (r === 'end-of-data') {
      if (files[files.length - 1].length === 0) files.pop()
      return { files, end: r }
    }
    if (r === 'filemark') files.push([])
    else {
      const tag = tagOf(r)
      expect(Buffer.compare(Buffer.from(r), tagged(tag))).toBe(0)
      files[files.length - 1].push(tag)
    }
  }
}

async function writeTapeFile(drive: VirtualDrive, tags: string[], filemark = true) {
  for (const t of tags) await drive.writeBlock(tagged(t))
  if (filemark) await drive.writeFilemarks(1)
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function setup(
  options: Partial<CreateVirtualLibraryOptions> = {}
): Promise<{ dir: string; lib: VirtualLibrary; drive: VirtualDrive }> {
  const tmp = await tempDir('tapedeck-vlib-')
  cleanups.push(tmp.remove)
  const dir = join(tmp.path, 'lib')
  await createVirtualLibrary({
    path: dir,
    drives: 2,
    slots: 8,
    importExport: 2,
    tapes: 4,
    cleaning: 1,
    tapeSize: 64 * MiB,
    ...options
  })
  const lib = await openVirtualLibrary(dir, { name: 'vlib' })
  cleanups.push(() => lib.close())
  await lib.changer().load(1, 0)
  const drive = await lib.drive(0)
  return { dir, lib, drive }
}

const code = async (p: Promise<unknown>) => {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(VirtualDriveError)
    return { code: (err as VirtualDriveError).code, message: (err as Error).message }
  }
  throw new Error('expected the operation to fail')
}

describe('createVirtualLibrary', () => {
  it('lays out PBS tape files, barcodes, cleaning cartridges and empty mail slots', async () => {
    const tmp = await tempDir('tapedeck-vlib-')
    cleanups.push(tmp.remove)
    const dir = join(tmp.path, 'new')
    const created = await createVirtualLibrary({
      path: dir,
      drives: 2,
      slots: 16,
      importExport: 2,
      tapes: 8,
      cleaning: 1
    })
    expect(created.created).toBe(true)
    expect(created.tapes).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => `TAPE0${n}L9`))
    expect(created.cleaning).toEqual(['CLN001CU'])
    expect(await readFile(join(dir, 'tape-TAPE01L9.json'), 'utf8')).toBe('{\n  "files": 0\n}')
    const names = (await readdir(dir)).sort()
    expect(names).toContain('library.json')
    expect(names.filter((n) => n.startsWith('tape-'))).toHaveLength(8)

    const lib = await openVirtualLibrary(dir, { name: 'lib' })
    const st = await lib.changer().status()
    expect(st.drives).toEqual([
      { 'drive-number': 0, full: false },
      { 'drive-number': 1, full: false }
    ])
    expect(st.slots).toHaveLength(18)
    expect(st.slots[0]).toEqual({
      slot: 1,
      'import-export': false,
      full: true,
      'volume-tag': 'TAPE01L9'
    })
    expect(st.slots[8]).toEqual({
      slot: 9,
      'import-export': false,
      full: true,
      'volume-tag': 'CLN001CU'
    })
    expect(st.slots[9]).toEqual({ slot: 10, 'import-export': false, full: false })
    expect(st.slots.slice(16)).toEqual([
      { slot: 17, 'import-export': true, full: false },
      { slot: 18, 'import-export': true, full: false }
    ])
    const status = await lib.status()
    expect(status.cartridges.find((c) => c['volume-tag'] === 'CLN001CU')).toMatchObject({
      'media-type': 'CU',
      'cleaning-uses-left': 50
    })
    expect(status.cartridges.find((c) => c['volume-tag'] === 'TAPE08L9')).toMatchObject({
      'media-type': 'L9',
      capacity: 1024 ** 3,
      'bytes-used': 0,
      slot: 8
    })

    // Same shape again: nothing changes; another shape or a foreign directory is refused.
    expect(
      (await createVirtualLibrary({ path: dir, drives: 2, slots: 16, importExport: 2 })).created
    ).toBe(false)
    await expect(
      createVirtualLibrary({ path: dir, drives: 3, slots: 16, importExport: 2 })
    ).rejects.toThrow(/already holds a virtual library with 2 drive/)
    await writeFile(join(tmp.path, 'other'), 'x')
    await expect(createVirtualLibrary({ path: tmp.path })).rejects.toThrow(
      /not empty and is not a Tapedeck/
    )
  })

  it('refuses impossible layouts and bad barcode prefixes', async () => {
    const tmp = await tempDir('tapedeck-vlib-')
    cleanups.push(tmp.remove)
    const path = join(tmp.path, 'x')
    await expect(createVirtualLibrary({ path, slots: 4, tapes: 4, cleaning: 1 })).rejects.toThrow(
      /do not fit into 4 storage slots/
    )
    await expect(createVirtualLibrary({ path, labelPrefix: 'TAP3' })).rejects.toThrow(
      /letters A-Z only/
    )
    await expect(createVirtualLibrary({ path, labelPrefix: 'ABCDEF' })).rejects.toThrow(/too long/)
    await expect(
      createVirtualLibrary({ path, labelPrefix: 'ABCDE', slots: 12, tapes: 10 })
    ).rejects.toThrow(/enough for 9 tapes, not 10/)
    await expect(createVirtualLibrary({ path, labelPrefix: 'CLNX' })).rejects.toThrow(/cleaning/)
    await expect(createVirtualLibrary({ path, mediaType: 'X9' })).rejects.toThrow(
      /unknown media type/
    )
    await expect(createVirtualLibrary({ path, drives: 0 })).rejects.toThrow(/drives must be/)
    const ok = await createVirtualLibrary({ path, labelPrefix: 'abcde', slots: 3, mediaType: 'l8' })
    expect(ok.tapes).toEqual(['ABCDE1L8', 'ABCDE2L8', 'ABCDE3L8'])
  })
})

describe('VirtualDrive tape semantics', () => {
  it('round-trips block streams over several files, with exact PBS tape files', async () => {
    const { dir, drive } = await setup()
    await writeTapeFile(drive, ['a0', 'a1', 'a2'])
    await writeTapeFile(drive, ['b0'])
    await drive.writeFilemarks(1) // a bare filemark: an empty tape file
    await writeTapeFile(drive, ['d0', 'd1'])
    expect(await drive.position()).toEqual({ file: 4, block: 0 })

    await drive.rewind()
    expect(await readTags(drive)).toEqual({
      files: [['a0', 'a1', 'a2'], ['b0'], [], ['d0', 'd1']],
      end: 'end-of-data'
    })
    // End of data is sticky.
    expect(await drive.readBlock()).toBe('end-of-data')

    expect(await readFile(join(dir, 'tape-TAPE01L9.json'), 'utf8')).toBe('{\n  "files": 4\n}')
    const file0 = await readFile(join(dir, 'tapefile-0-TAPE01L9.json'))
    expect(file0.length).toBe(3 * BS)
    expect(Buffer.compare(file0, Buffer.concat(['a0', 'a1', 'a2'].map(tagged)))).toBe(0)
    expect((await stat(join(dir, 'tapefile-2-TAPE01L9.json'))).size).toBe(0)
    expect((await drive.status())['bytes-used']).toBe(6 * BS)
  })

  it('truncates everything after the position a write starts at', async () => {
    const { dir, drive } = await setup()
    for (const f of ['a', 'b', 'c', 'd']) await writeTapeFile(drive, [`${f}0`, `${f}1`, `${f}2`])
    await drive.locateFile(2)
    await writeTapeFile(drive, ['x0'])
    await drive.rewind()
    expect((await readTags(drive)).files).toEqual([['a0', 'a1', 'a2'], ['b0', 'b1', 'b2'], ['x0']])
    expect(await readdir(dir)).not.toContain('tapefile-3-TAPE01L9.json')
    expect((await drive.status())['bytes-used']).toBe(7 * BS)

    // In the middle of a file: the rest of that file and all later files go.
    await drive.locateFile(1)
    await drive.spaceBlocks(1)
    await drive.writeBlock(tagged('y1'))
    await drive.writeFilemarks(1)
    await drive.rewind()
    expect((await readTags(drive)).files).toEqual([
      ['a0', 'a1', 'a2'],
      ['b0', 'y1']
    ])
    expect(await readFile(join(dir, 'tape-TAPE01L9.json'), 'utf8')).toBe('{\n  "files": 2\n}')

    // A filemark written inside a file cuts it there.
    await drive.locateFile(0)
    await drive.spaceBlocks(2)
    await drive.writeFilemarks(1)
    await drive.rewind()
    expect((await readTags(drive)).files).toEqual([['a0', 'a1']])
  })

  it('spaces over blocks and filemarks like a real drive, with errors at the edges', async () => {
    const { drive } = await setup()
    await writeTapeFile(drive, ['a0', 'a1', 'a2'])
    await writeTapeFile(drive, ['b0', 'b1'])
    await writeTapeFile(drive, ['c0'])

    await drive.rewind()
    await drive.spaceFilemarks(2)
    expect(await drive.position()).toEqual({ file: 2, block: 0 })
    expect(tagOf((await drive.readBlock()) as Uint8Array)).toBe('c0')
    // Backwards over one mark: on its beginning-of-tape side, i.e. at the end of file 1.
    await drive.spaceFilemarks(-1)
    expect(await drive.position()).toEqual({ file: 1, block: 2 })
    expect(await drive.readBlock()).toBe('filemark')
    expect(await drive.position()).toEqual({ file: 2, block: 0 })

    // PBS move_to_last_file: EOD, back 2 marks, forward 1.
    await drive.moveToEndOfData()
    expect(await drive.position()).toEqual({ file: 3, block: 0 })
    await drive.spaceFilemarks(-2)
    await drive.spaceFilemarks(1)
    expect(await drive.position()).toEqual({ file: 2, block: 0 })

    expect(await code(drive.spaceFilemarks(5))).toMatchObject({ code: 'end-of-data' })
    expect(await drive.position()).toEqual({ file: 3, block: 0 })
    expect(await code(drive.spaceFilemarks(-9))).toMatchObject({ code: 'beginning-of-medium' })
    expect(await drive.position()).toEqual({ file: 0, block: 0 })

    await drive.spaceBlocks(2)
    expect(tagOf((await drive.readBlock()) as Uint8Array)).toBe('a2')
    await drive.spaceBlocks(-2)
    expect(tagOf((await drive.readBlock()) as Uint8Array)).toBe('a1')
    const fwd = await code(drive.spaceBlocks(5))
    expect(fwd.code).toBe('filemark')
    expect(fwd.message).toMatch(/filemark after 1 block/)
    expect(await drive.position()).toEqual({ file: 1, block: 0 })
    await drive.spaceBlocks(1)
    const back = await code(drive.spaceBlocks(-3))
    expect(back.code).toBe('filemark')
    expect(await drive.position()).toEqual({ file: 0, block: 3 })
    expect(await code(drive.spaceBlocks(-9))).toMatchObject({ code: 'beginning-of-medium' })

    expect(await code(drive.locateFile(4))).toMatchObject({ code: 'end-of-data' })
    expect(await drive.position()).toEqual({ file: 3, block: 0 })
    await drive.locateFile(3) // = end of data, ready to append
    await drive.locateFile(1)
    expect(tagOf((await drive.readBlock()) as Uint8Array)).toBe('b0')
    expect(await code(drive.locateFile(-1))).toMatchObject({ code: 'invalid-argument' })
  })

  it('writes several filemarks at once, flushes with zero, formats fast', async () => {
    const { dir, drive } = await setup()
    await writeTapeFile(drive, ['a0'], false)
    await drive.writeFilemarks(0)
    expect(await drive.position()).toEqual({ file: 0, block: 1 })
    await drive.writeFilemarks(3)
    expect(await drive.position()).toEqual({ file: 3, block: 0 })
    await drive.rewind()
    expect((await readTags(drive)).files).toEqual([['a0'], [], []])

    await drive.format(true)
    expect(await drive.position()).toEqual({ file: 0, block: 0 })
    expect(await drive.readBlock()).toBe('end-of-data')
    expect((await readdir(dir)).filter((n) => n.startsWith('tapefile-'))).toEqual([])
    expect(await readFile(join(dir, 'tape-TAPE01L9.json'), 'utf8')).toBe('{\n  "files": 0\n}')
    expect((await drive.status())['bytes-used']).toBe(0)
  })

  it('stores exactly 256 KiB blocks', async () => {
    const { drive } = await setup()
    expect(BS).toBe(BLOCK_SIZE)
    expect(await code(drive.writeBlock(new Uint8Array(1000)))).toMatchObject({
      code: 'invalid-argument'
    })
  })

  it('reports LEOM in the early-warning zone, then fails at the physical end', async () => {
    // 4 MiB = 16 blocks: zone = max(32, 1 %) capped at a quarter of the tape = 4 blocks.
    const { dir, lib, drive } = await setup({ tapeSize: 4 * MiB })
    expect(earlyWarningZone(4 * MiB)).toBe(4 * BS)
    expect(earlyWarningZone(64 * MiB)).toBe(32 * BS)
    expect(earlyWarningZone(18e12)).toBe(4096 * BS)
    expect(earlyWarningZone(50 * 1024 ** 3)).toBe(2048 * BS)

    const leom: boolean[] = []
    for (let i = 0; i < 16; i++) leom.push((await drive.writeBlock(tagged(`b${i}`))).leom)
    expect(leom.indexOf(true)).toBe(12) // the 13th block enters the last 4 blocks
    expect(leom.slice(12).every(Boolean)).toBe(true)
    const end = await code(drive.writeBlock(tagged('b16')))
    expect(end.code).toBe('end-of-medium')
    expect(end.message).toMatch(/end of medium: TAPE01L9 is full/)
    expect(await drive.position()).toEqual({ file: 0, block: 16 })
    await drive.writeFilemarks(1) // a filemark takes no space
    const st = await drive.status()
    expect(st['bytes-used']).toBe(16 * BS)
    expect(st.capacity).toBe(4 * MiB)
    expect((await stat(join(dir, 'tapefile-0-TAPE01L9.json'))).size).toBe(16 * BS)
    const cart = (await lib.status()).cartridges.find((c) => c['volume-tag'] === 'TAPE01L9')
    expect(cart).toMatchObject({ 'bytes-used': 16 * BS, files: 1 })

    // Space freed by rewriting from an earlier file is usable again.
    await drive.rewind()
    const w = new BlockedWriter(drive)
    await w.write(new Uint8Array(3 * BS))
    expect(await w.finish(false)).toBe(false)
    expect((await drive.status())['bytes-used']).toBe(4 * BS)
  })

  it('lets a PBS writer finish its stream after the early warning', async () => {
    const { drive } = await setup({ tapeSize: 64 * MiB })
    const w = new BlockedWriter(drive)
    const chunk = new Uint8Array(BS - 16)
    while (!(await w.write(chunk))) {
      // write until LEOM, as a chunk archive writer does
    }
    expect(await w.finish(false)).toBe(true)
    const st = await drive.status()
    // 256 blocks, zone 32: LEOM with block 225, then the END_OF_STREAM block.
    expect(st['bytes-used']).toBe((256 - 32 + 2) * BS)
  })

  it('keeps state across reopening, and status tells what is loaded', async () => {
    const { dir, lib, drive } = await setup()
    await writeTapeFile(drive, ['a0', 'a1'])
    await writeTapeFile(drive, ['b0'])
    await drive.locateFile(1)
    expect(await drive.status()).toMatchObject({
      loaded: true,
      'volume-tag': 'TAPE01L9',
      position: { file: 1, block: 0 },
      'write-protect': false,
      'alert-flags': [],
      'bytes-used': 3 * BS,
      capacity: 64 * MiB,
      'medium-passes': 0,
      'volume-mounts': 1,
      density: 'LTO9'
    })
    await drive.rewind()
    expect((await drive.status())['medium-passes']).toBe(1)
    await drive.locateFile(1)
    await lib.close()

    const again = await openVirtualLibrary(dir, { name: 'vlib' })
    cleanups.push(() => again.close())
    const d2 = await again.drive(0)
    expect(d2.name).toBe('vlib-0')
    expect(await d2.position()).toEqual({ file: 1, block: 0 })
    expect(tagOf((await d2.readBlock()) as Uint8Array)).toBe('b0')
    await d2.rewind()
    expect((await readTags(d2)).files).toEqual([['a0', 'a1'], ['b0']])
    expect((await again.status()).drives[0]).toMatchObject({
      loaded: true,
      'volume-tag': 'TAPE01L9',
      'loaded-slot': 1
    })
  })

  it('two drives stream at the same time without disturbing each other', async () => {
    const { lib, drive } = await setup()
    await lib.changer().load(2, 1)
    const other = await lib.drive(1)
    const job = async (d: VirtualDrive, p: string) => {
      for (let f = 0; f < 5; f++) await writeTapeFile(d, [`${p}${f}a`, `${p}${f}b`, `${p}${f}c`])
      await d.rewind()
      const files = (await readTags(d)).files
      await d.close() // records the position (reads alone do not)
      return files
    }
    const [a, b] = await Promise.all([job(drive, 'x'), job(other, 'y')])
    expect(a).toEqual([0, 1, 2, 3, 4].map((f) => [`x${f}a`, `x${f}b`, `x${f}c`]))
    expect(b).toEqual([0, 1, 2, 3, 4].map((f) => [`y${f}a`, `y${f}b`, `y${f}c`]))
    const st = await lib.status()
    expect(st.drives.map((d) => d.position)).toEqual([
      { file: 5, block: 0 },
      { file: 5, block: 0 }
    ])
    expect(st.cartridges.filter((c) => c.files === 5)).toHaveLength(2)
  })

  it('eject leaves the cartridge in the drive unloaded; load threads it again', async () => {
    const { lib, drive } = await setup()
    await writeTapeFile(drive, ['a0'])
    await drive.eject()
    expect(await drive.status()).toEqual({ loaded: false, 'alert-flags': [] })
    expect((await lib.changer().status()).drives[0]).toMatchObject({
      full: true,
      'volume-tag': 'TAPE01L9'
    })
    expect(await code(drive.readBlock())).toMatchObject({ code: 'no-medium' })
    await drive.load()
    expect(await drive.position()).toEqual({ file: 0, block: 0 })
    expect(tagOf((await drive.readBlock()) as Uint8Array)).toBe('a0')
    expect((await drive.status())['volume-mounts']).toBe(2)

    const empty = await lib.drive(1)
    expect(await code(empty.readBlock())).toMatchObject({ code: 'no-medium' })
    expect(await code(empty.load())).toMatchObject({ code: 'no-medium' })
    await empty.close()
    expect(await code(empty.status())).toMatchObject({ code: 'closed' })
  })

  it('refuses to write a write-protected cartridge', async () => {
    const { dir, lib, drive } = await setup()
    await writeTapeFile(drive, ['a0'])
    await lib.setWriteProtect('TAPE01L9', true)
    await drive.rewind()
    const err = await code(drive.writeBlock(tagged('x')))
    expect(err.code).toBe('write-protected')
    expect(await code(drive.writeFilemarks(1))).toMatchObject({ code: 'write-protected' })
    expect(await code(drive.format(true))).toMatchObject({ code: 'write-protected' })
    const st = await drive.status()
    expect(st['write-protect']).toBe(true)
    expect(st['alert-flags']).toContain('WRITE_PROTECT')
    expect((await readTags(drive)).files).toEqual([['a0']])
    expect((await stat(join(dir, 'tapefile-0-TAPE01L9.json'))).size).toBe(BS)
  })
})
