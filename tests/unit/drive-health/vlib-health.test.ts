/**
 * Volume statistics and cartridge memory of the virtual library drive follow what really happened
 * to the cartridge: blocks written and read, rewinds, loads, injected errors — in this handle, in
 * a fresh handle (persisted), and after a reload (last-mount counters start again).
 */
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createVirtualLibrary, openVirtualLibrary } from '../../../main/core/devices/virtual'
import type { VirtualLibrary } from '../../../main/core/devices/virtual'
import { VIRTUAL_BLOCK_SIZE as BLOCK } from '../../../main/core/devices/virtual'
import { tempDir } from '../../helpers/temp'

const MiB = 1024 * 1024
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function library(): Promise<VirtualLibrary> {
  const tmp = await tempDir('tapedeck-health-')
  cleanups.push(tmp.remove)
  const dir = join(tmp.path, 'lib')
  await createVirtualLibrary({ path: dir, slots: 4, tapes: 2, tapeSize: 64 * MiB, mediaType: 'L8' })
  const lib = await openVirtualLibrary(dir, { name: 'vlib' })
  cleanups.push(() => lib.close())
  return lib
}

const block = (n: number) => new Uint8Array(BLOCK).fill(n)
const memory = (list: { id: number; value: string }[]) =>
  Object.fromEntries(list.map((a) => [a.id, a.value]))

describe('virtual drive health', () => {
  it('counts bytes, passes and mounts as the tape is used, and keeps them across handles and loads', async () => {
    const lib = await library()
    await lib.changer().load(1, 0)
    const drive = await lib.drive(0)

    const fresh = await drive.volumeStatistics()
    expect(fresh).toMatchObject({
      'volume-mounts': 1,
      'lifetime-bytes-written': 0,
      'lifetime-bytes-read': 0,
      'total-native-capacity': 64 * MiB,
      'total-used-native-capacity': 0,
      'beginning-of-medium-passes': 0,
      'write-protect': false,
      worm: false,
      serial: 'TAPE01L8'
    })

    for (let i = 0; i < 8; i++) await drive.writeBlock(block(i))
    await drive.writeFilemarks(1)
    // Still in this handle, before anything else is recorded.
    expect(await drive.volumeStatistics()).toMatchObject({
      'lifetime-bytes-written': 8 * BLOCK,
      'last-mount-bytes-written': 8 * BLOCK,
      'total-used-native-capacity': 8 * BLOCK
    })
    await drive.rewind()
    for (let i = 0; i < 3; i++) {
      expect(Buffer.from((await drive.readBlock()) as Uint8Array).equals(block(i))).toBe(true)
    }
    await drive.rewind()
    await drive.close()

    // A fresh handle sees what was recorded.
    const again = await lib.drive(0)
    const stats = await again.volumeStatistics()
    expect(stats).toMatchObject({
      'volume-mounts': 1,
      'lifetime-bytes-written': 8 * BLOCK,
      'lifetime-bytes-read': 3 * BLOCK,
      'last-mount-bytes-written': 8 * BLOCK,
      'last-mount-bytes-read': 3 * BLOCK,
      'beginning-of-medium-passes': 2
    })
    expect(memory(await again.cartridgeMemory())).toEqual({
      [0x0000]: String(64 - 2), // MiB left
      [0x0001]: '64',
      [0x0003]: '1',
      [0x0220]: '2', // 8 × 256 KiB = 2 MiB written in the tape's life
      [0x0221]: '0', // 768 KiB read: under one MiB
      [0x0222]: '2',
      [0x0223]: '0',
      [0x0405]: '5e', // LTO-8 density code
      [0x0408]: '00',
      [0x0806]: 'TAPE01L8'
    })
    await again.close()

    // Unload and load again: one more mount, the last-mount counters start from zero.
    await lib.changer().unload(0, 1)
    await lib.changer().load(1, 0)
    const reloaded = await lib.drive(0)
    await reloaded.readBlock()
    expect(await reloaded.volumeStatistics()).toMatchObject({
      'volume-mounts': 2,
      'lifetime-bytes-written': 8 * BLOCK,
      'lifetime-bytes-read': 4 * BLOCK,
      'last-mount-bytes-written': 0,
      'last-mount-bytes-read': BLOCK
    })
    const cm = await reloaded.cartridgeMemory()
    expect(cm.find((a) => a.id === 0x0003)).toEqual({ id: 3, name: 'Load Count', value: '2' })
    await reloaded.close()
  })

  it('counts injected read and write errors as unrecovered errors', async () => {
    const lib = await library()
    await lib.changer().load(2, 0)
    const drive = await lib.drive(0)
    await drive.writeBlock(block(0))
    await drive.writeBlock(block(1))
    await drive.writeFilemarks(1)
    await lib.setFault({ kind: 'read-error', tape: 'TAPE02L8', file: 0, block: 1 })
    await lib.setFault({ kind: 'write-error', tape: 'TAPE02L8', file: 1, block: 0 })
    await expect(drive.writeBlock(block(2))).rejects.toMatchObject({ code: 'write-error' })
    await drive.rewind()
    await drive.readBlock()
    await expect(drive.readBlock()).rejects.toMatchObject({ code: 'read-error' })
    await drive.close()
    const stats = await (await lib.drive(0)).volumeStatistics()
    expect(stats).toMatchObject({
      'volume-unrecovered-write-data-errors': 1,
      'volume-unrecovered-read-errors': 1,
      'last-mount-unrecovered-write-errors': 1,
      'last-mount-unrecovered-read-errors': 1,
      'lifetime-bytes-written': 2 * BLOCK,
      'lifetime-bytes-read': BLOCK
    })
  })

  it('answers no-medium without a tape, like every other data command', async () => {
    const lib = await library()
    const drive = await lib.drive(0)
    await expect(drive.volumeStatistics()).rejects.toMatchObject({ code: 'no-medium' })
    await expect(drive.cartridgeMemory()).rejects.toMatchObject({ code: 'no-medium' })
    await drive.close()
  })
})
