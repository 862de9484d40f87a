/**
 * The PBS virtual drive on its own: the directory layout and JSON files byte for byte as PBS's
 * `virtual_tape.rs` writes them, its capacity rule (LEOM after the free space, ENOSPC two blocks
 * later), truncation when writing at a position, `.drive.lck`, and the drive being its own changer.
 */
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PbsVirtualChanger, PbsVirtualDrive } from '../../main/core/devices/pbs-virtual'
import { isDecryptionError } from '../../main/core/devices/tape-driver'
import { loadByLabel, onlineLabels, unloadDrive } from '../../main/core/operations/changer-logic'
import type { ChangerHandle } from '../../main/core/operations/devices'
import { tempDir } from '../helpers/temp'

const BLOCK = 262_144
const MIB = 1024 * 1024

let work: Awaited<ReturnType<typeof tempDir>>
let dir: string
const open: PbsVirtualDrive[] = []

beforeEach(async () => {
  work = await tempDir('tapedeck-pbsvd-')
  dir = join(work.path, 'vd')
  await mkdir(dir)
})

afterEach(async () => {
  for (const d of open.splice(0)) await d.close()
  await work.remove()
})

async function openDrive(maxSize?: number, lockTimeoutMs?: number) {
  const drive = await PbsVirtualDrive.open('vd', dir, { maxSize, lockTimeoutMs })
  open.push(drive)
  return drive
}

function handleOf(drive: PbsVirtualDrive): ChangerHandle {
  return {
    name: 'vd',
    changer: new PbsVirtualChanger(drive),
    exportSlots: [],
    createTape: (label) => drive.createTape(label),
    close: async () => undefined
  }
}

/** A block whose bytes say which one it is. */
function block(tag: number): Buffer {
  const b = Buffer.alloc(BLOCK)
  for (let i = 0; i < BLOCK; i += 4) b.writeUInt32LE((tag * 7919 + i) >>> 0, i)
  return b
}

/** Byte equality without vitest's element-wise diffing of 256 KiB buffers (slow). */
function sameBytes(actual: Uint8Array | string, expected: Buffer): void {
  expect(typeof actual).not.toBe('string')
  const a = Buffer.from(actual as Uint8Array)
  expect(a.length).toBe(expected.length)
  expect(a.equals(expected)).toBe(true)
}

const text = (name: string) => readFile(join(dir, name), 'utf8')
const bytes = (name: string) => readFile(join(dir, name))
const names = async () => (await readdir(dir)).filter((n) => !n.startsWith('.')).sort()

describe('PBS virtual drive layout', () => {
  it('creates a tape for an unknown label and writes the JSON files as PBS does', async () => {
    const drive = await openDrive()
    const handle = handleOf(drive)
    const log: string[] = []
    await loadByLabel(handle, 0, 'TAPE01', (l) => log.push(l))
    expect(log.join('\n')).toContain('unable to find tape TAPE01 - creating it')
    expect(await text('tape-TAPE01.json')).toBe('{\n  "files": 0\n}')
    expect(await text('drive-status.json')).toBe(
      '{\n  "current_tape": {\n    "name": "TAPE01",\n    "pos": 0\n  }\n}'
    )

    // Two files: the tape files are the raw block streams, the index counts them.
    await drive.writeBlock(block(1))
    await drive.writeBlock(block(2))
    await drive.writeFilemark()
    await drive.writeBlock(block(3))
    await drive.writeFilemarks(1)
    sameBytes(await bytes('tapefile-0-TAPE01.json'), Buffer.concat([block(1), block(2)]))
    sameBytes(await bytes('tapefile-1-TAPE01.json'), block(3))
    expect(await text('tape-TAPE01.json')).toBe('{\n  "files": 2\n}')
    expect(await text('drive-status.json')).toBe(
      '{\n  "current_tape": {\n    "name": "TAPE01",\n    "pos": 2\n  }\n}'
    )
    expect(await names()).toEqual([
      'drive-status.json',
      'tape-TAPE01.json',
      'tapefile-0-TAPE01.json',
      'tapefile-1-TAPE01.json'
    ])

    // Reading: opening file 0 stores pos 1, as PBS's read_next_file does.
    await drive.rewind()
    sameBytes(await drive.readBlock(), block(1))
    expect(JSON.parse(await text('drive-status.json')).current_tape.pos).toBe(1)
    sameBytes(await drive.readBlock(), block(2))
    expect(await drive.readBlock()).toBe('filemark')
    sameBytes(await drive.readBlock(), block(3))
    expect(await drive.readBlock()).toBe('filemark')
    expect(await drive.readBlock()).toBe('end-of-data')
    expect(await drive.position()).toEqual({ file: 2, block: 0 })

    await drive.eject()
    expect(await text('drive-status.json')).toBe('{\n  "current_tape": null\n}')
    expect((await drive.status()).loaded).toBe(false)
  })

  it('writing at file n deletes every later file', async () => {
    const drive = await openDrive()
    await drive.loadTape('TAPE01')
    for (let f = 0; f < 4; f++) {
      await drive.writeBlock(block(f))
      await drive.writeFilemark()
    }
    await drive.writeFilemarks(0)
    expect(await text('tape-TAPE01.json')).toBe('{\n  "files": 4\n}')
    await drive.locateFile(1)
    expect(JSON.parse(await text('drive-status.json')).current_tape.pos).toBe(1)
    await drive.writeBlock(block(9))
    expect(await text('tape-TAPE01.json')).toBe('{\n  "files": 2\n}')
    expect(JSON.parse(await text('drive-status.json')).current_tape.pos).toBe(2)
    await drive.writeFilemarks(1)
    expect(await names()).toEqual([
      'drive-status.json',
      'tape-TAPE01.json',
      'tapefile-0-TAPE01.json',
      'tapefile-1-TAPE01.json'
    ])
    sameBytes(await bytes('tapefile-1-TAPE01.json'), block(9))
    sameBytes(await bytes('tapefile-0-TAPE01.json'), block(0))

    // A filemark written at a position is a file of its own (empty: a bare filemark).
    await drive.locateFile(1)
    await drive.writeFilemarks(1)
    sameBytes(await bytes('tapefile-1-TAPE01.json'), Buffer.alloc(0))
    await drive.rewind()
    await drive.spaceFilemarks(1)
    expect(await drive.readBlock()).toBe('filemark')
    expect(await drive.readBlock()).toBe('end-of-data')

    // Format deletes everything.
    await drive.format(true)
    expect(await text('tape-TAPE01.json')).toBe('{\n  "files": 0\n}')
    expect(await names()).toEqual(['drive-status.json', 'tape-TAPE01.json'])
  })

  it('reports LEOM once a file used the free space and fails two blocks later', async () => {
    // 1 block in file 0, so file 1 may take ⌊(6.5 blocks − 1 block) / block⌋ = 5 blocks.
    const drive = await openDrive(6 * BLOCK + BLOCK / 2)
    await drive.loadTape('TAPE01')
    expect((await drive.writeBlock(block(0))).leom).toBe(false)
    await drive.writeFilemark()
    const leom: boolean[] = []
    for (let i = 1; i <= 7; i++) leom.push((await drive.writeBlock(block(i))).leom)
    expect(leom).toEqual([false, false, false, false, false, true, true])
    await expect(drive.writeBlock(block(8))).rejects.toMatchObject({ code: 'end-of-medium' })
    await drive.writeFilemarks(1)
    expect((await bytes('tapefile-1-TAPE01.json')).length).toBe(7 * BLOCK)

    // A full tape still lets a new file write two blocks before LEOM (PBS: at least 2 blocks).
    expect((await drive.writeBlock(block(20))).leom).toBe(false)
    expect((await drive.writeBlock(block(21))).leom).toBe(false)
    expect((await drive.writeBlock(block(22))).leom).toBe(true)
    expect((await drive.writeBlock(block(23))).leom).toBe(true)
    await expect(drive.writeBlock(block(24))).rejects.toMatchObject({ code: 'end-of-medium' })
    const status = await drive.status()
    expect(status).toMatchObject({ loaded: true, 'bytes-used': 12 * BLOCK, capacity: 6.5 * BLOCK })
  })

  it('uses 64 MiB per tape by default', async () => {
    const drive = await openDrive()
    expect(drive.maxSize).toBe(64 * MIB)
    await drive.loadTape('TAPE01')
    let n = 0
    while (!(await drive.writeBlock(block(n))).leom) n++
    expect(n).toBe(256) // blocks 1..256 fit in 64 MiB; the 257th reports LEOM
  })

  it('holds .drive.lck while open; a second opener waits and then fails', async () => {
    const first = await openDrive()
    const lock = await text('.drive.lck')
    expect(lock).toContain(`${process.pid}@`)
    await expect(PbsVirtualDrive.open('vd', dir, { lockTimeoutMs: 200 })).rejects.toThrow(
      /drive busy: .*\.drive\.lck is locked by process/
    )
    await first.close()
    const second = await openDrive(undefined, 200)
    expect((await second.status()).loaded).toBe(false)
  })

  it('picks up where the directory says after a restart, like a PBS-written directory', async () => {
    // Exactly what PBS leaves behind: an empty .drive.lck (flock released), pretty JSON.
    await writeFile(join(dir, '.drive.lck'), '')
    await utimes(
      join(dir, '.drive.lck'),
      new Date(Date.now() - 60_000),
      new Date(Date.now() - 60_000)
    )
    await writeFile(join(dir, 'tape-PBS001.json'), '{\n  "files": 2\n}')
    await writeFile(join(dir, 'tapefile-0-PBS001.json'), block(5))
    await writeFile(join(dir, 'tapefile-1-PBS001.json'), Buffer.concat([block(6), block(7)]))
    await writeFile(
      join(dir, 'drive-status.json'),
      '{\n  "current_tape": {\n    "name": "PBS001",\n    "pos": 1\n  }\n}'
    )
    const drive = await openDrive(undefined, 1000)
    expect(await drive.position()).toEqual({ file: 1, block: 0 })
    sameBytes(await drive.readBlock(), block(6))
    sameBytes(await drive.readBlock(), block(7))
    expect(await drive.readBlock()).toBe('filemark')
    expect(await drive.readBlock()).toBe('end-of-data')
    expect(await drive.status()).toMatchObject({ 'volume-tag': 'PBS001', 'bytes-used': 3 * BLOCK })
  })

  it('finds the drive empty when the tape it names was removed from the directory', async () => {
    await writeFile(
      join(dir, 'drive-status.json'),
      '{\n  "current_tape": {\n    "name": "GONE01",\n    "pos": 3\n  }\n}'
    )
    const drive = await openDrive()
    expect((await drive.status()).loaded).toBe(false)
    await expect(drive.rewind()).rejects.toThrow('drive is empty (no tape loaded)')
    await drive.loadTape('NEW001')
    expect(JSON.parse(await text('drive-status.json'))).toEqual({
      current_tape: { name: 'NEW001', pos: 0 }
    })
  })

  it('is its own changer: slots are the sorted tapes, padded to 8', async () => {
    const drive = await openDrive()
    const changer = new PbsVirtualChanger(drive)
    expect(await changer.status()).toEqual({
      drives: [
        { 'drive-number': 0, full: false, 'volume-tag': undefined, 'loaded-slot': undefined }
      ],
      slots: []
    })
    for (const label of ['CC0003', 'AA0001', 'BB0002']) await drive.createTape(label)
    let status = await changer.status()
    expect(status.slots).toHaveLength(8)
    expect(status.slots.slice(0, 4).map((s) => s['volume-tag'])).toEqual([
      'AA0001',
      'BB0002',
      'CC0003',
      undefined
    ])
    await changer.load(2, 0)
    status = await changer.status()
    expect(status.drives[0]).toMatchObject({ full: true, 'volume-tag': 'BB0002', 'loaded-slot': 2 })
    expect(status.slots[1]).toMatchObject({ slot: 2, full: false })
    expect(onlineLabels(status)).toEqual(['AA0001', 'BB0002', 'CC0003'])

    const handle = handleOf(drive)
    await loadByLabel(handle, 0, 'CC0003')
    expect(drive.loadedLabel).toBe('CC0003')
    await unloadDrive(handle, 0)
    expect(drive.loadedLabel).toBeUndefined()
    await expect(changer.load(4, 0)).rejects.toThrow('slot 4 is empty')
    await expect(changer.transfer(1, 2)).rejects.toThrow('not supported')
    await expect(drive.createTape('../evil')).rejects.toThrow('not a valid label text')
  })

  it('has no encryption: a key is refused, clearing it is fine', async () => {
    const drive = await openDrive()
    await drive.loadTape('TAPE01')
    await drive.setEncryption(undefined)
    const refused = await drive.setEncryption(Buffer.alloc(32, 1)).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(Error)
    expect((refused as Error).message).toContain('cannot encrypt')
    expect(isDecryptionError(refused)).toBe(false)
    expect(await text('tape-TAPE01.json')).toBe('{\n  "files": 0\n}')
  })
})
