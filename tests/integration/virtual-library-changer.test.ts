import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ChangerError,
  type CreateVirtualLibraryOptions,
  VIRTUAL_BLOCK_SIZE,
  type VirtualLibrary,
  VirtualDriveError,
  createVirtualLibrary,
  openVirtualLibrary
} from '../../main/core/devices/virtual'
import { tempDir } from '../helpers/temp'

const BS = VIRTUAL_BLOCK_SIZE
const block = (fill: number) => Buffer.alloc(BS, fill)

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function setup(options: Partial<CreateVirtualLibraryOptions> = {}) {
  const tmp = await tempDir('tapedeck-vlib-')
  cleanups.push(tmp.remove)
  const dir = join(tmp.path, 'lib')
  await createVirtualLibrary({
    path: dir,
    drives: 2,
    slots: 6,
    importExport: 2,
    tapes: 4,
    cleaning: 1,
    tapeSize: 16 * 1024 * 1024,
    ...options
  })
  const lib = await openVirtualLibrary(dir, { name: 'vlib' })
  cleanups.push(() => lib.close())
  return { dir, lib, changer: lib.changer() }
}

async function failure(p: Promise<unknown>): Promise<ChangerError | VirtualDriveError> {
  try {
    await p
  } catch (err) {
    if (err instanceof ChangerError || err instanceof VirtualDriveError) return err
    throw err
  }
  throw new Error('expected the operation to fail')
}

const tags = async (lib: VirtualLibrary) =>
  (await lib.changer().status()).slots.map((s) => s['volume-tag'] ?? '-').join(' ')

describe('VirtualChanger', () => {
  it('loads, unloads and transfers, including import/export slots', async () => {
    const { lib, changer } = await setup()
    expect(await tags(lib)).toBe('TAPE01L9 TAPE02L9 TAPE03L9 TAPE04L9 CLN001CU - - -')

    await changer.load(2, 1)
    let st = await changer.status()
    expect(st.drives[1]).toEqual({
      'drive-number': 1,
      full: true,
      'volume-tag': 'TAPE02L9',
      'loaded-slot': 2
    })
    expect(st.slots[1]).toEqual({ slot: 2, 'import-export': false, full: false })
    expect((await (await lib.drive(1)).status())['volume-tag']).toBe('TAPE02L9')

    await changer.unload(1, 6)
    await changer.transfer(6, 8) // into a mail slot: the tape is now offline
    expect(await tags(lib)).toBe('TAPE01L9 - TAPE03L9 TAPE04L9 CLN001CU - - TAPE02L9')
    st = await changer.status()
    expect(st.slots[7]).toEqual({
      slot: 8,
      'import-export': true,
      full: true,
      'volume-tag': 'TAPE02L9'
    })
    await changer.transfer(8, 2)
    expect(await tags(lib)).toBe('TAPE01L9 TAPE02L9 TAPE03L9 TAPE04L9 CLN001CU - - -')
    const cart = (await lib.status()).cartridges.find((c) => c['volume-tag'] === 'TAPE02L9')
    expect(cart).toMatchObject({ location: 'slot', slot: 2, 'volume-mounts': 1 })
  })

  it('gives the errors a real library gives', async () => {
    const { changer } = await setup()
    const expectCode = async (p: Promise<unknown>, code: string, text: RegExp) => {
      const err = await failure(p)
      expect(err).toBeInstanceOf(ChangerError)
      expect(err.code).toBe(code)
      expect(err.message).toMatch(text)
    }
    await expectCode(changer.load(6, 0), 'source-empty', /source slot 6 is empty/)
    await expectCode(
      changer.load(9, 0),
      'invalid-element',
      /invalid source slot 9 \(slots are numbered 1-8\)/
    )
    await expectCode(changer.load(1, 2), 'invalid-element', /invalid drive 2/)
    await changer.load(1, 0)
    await expectCode(
      changer.load(2, 0),
      'destination-full',
      /drive 0 is full \(holds TAPE01L9 from slot 1\)/
    )
    await expectCode(changer.unload(1, 6), 'source-empty', /drive 1 is empty/)
    await expectCode(
      changer.unload(0, 2),
      'destination-full',
      /destination slot 2 is full \(holds TAPE02L9\)/
    )
    await expectCode(changer.transfer(1, 6), 'source-empty', /source slot 1 is empty/)
    await expectCode(changer.transfer(2, 3), 'destination-full', /slot 3 is full/)
    await expectCode(changer.transfer(2, 2), 'invalid-element', /same slot/)
    await expectCode(changer.transfer(0, 2), 'invalid-element', /invalid source slot 0/)
    // The state is unchanged by all of that.
    const st = await changer.status()
    expect(st.drives[0]['volume-tag']).toBe('TAPE01L9')
    expect(st.slots.filter((s) => s.full)).toHaveLength(4)
    await changer.close()
    await expectCode(changer.status(), 'closed', /closed/)
  })

  it('refuses to take a cartridge from a drive that is writing (medium removal prevented)', async () => {
    const { dir, lib, changer } = await setup()
    await changer.load(1, 0)
    const drive = await lib.drive(0)
    await drive.writeBlock(block(1))
    expect((await lib.status()).drives[0].writing).toBe(true)
    const err = await failure(changer.unload(0, 6))
    expect(err.code).toBe('medium-removal-prevented')
    expect(err.message).toMatch(/drive 0 is busy writing TAPE01L9/)
    await drive.writeFilemarks(1)
    expect((await lib.status()).drives[0].writing).toBe(false)
    await drive.writeBlock(block(2))

    // A writer whose process is gone (crash) does not block the robot.
    const file = join(dir, 'library.json')
    const state = JSON.parse(await readFile(file, 'utf8'))
    state.drives[0].writer.pid = 2 ** 22 + 12345
    await writeFile(file, JSON.stringify(state, null, 2))
    await changer.unload(0, 1)
    // The handle notices the medium is gone.
    expect(await failure(drive.writeBlock(block(3)))).toMatchObject({ code: 'medium-changed' })
    expect(await failure(drive.writeBlock(block(3)))).toMatchObject({ code: 'no-medium' })
    // What reached the tape before the unload is there, the unfinished file without filemark.
    await changer.load(1, 1)
    const d1 = await lib.drive(1)
    expect(await d1.readBlock()).toBeInstanceOf(Uint8Array)
    expect(await d1.readBlock()).toBe('filemark')
    expect(await d1.readBlock()).toBeInstanceOf(Uint8Array)
    expect(await d1.readBlock()).toBe('end-of-data')
  })

  it('cleans a drive with a cleaning cartridge and never reads or writes one', async () => {
    const { lib, changer } = await setup()
    await lib.setFault({ kind: 'cleaning-request', drive: 0 })
    const drive = await lib.drive(0)
    expect((await drive.status())['alert-flags']).toEqual(['CLEAN_NOW'])
    expect((await lib.status()).drives[0]['needs-cleaning']).toBe(true)

    // PBS clean: load the CLN cartridge, move it back to its slot, then check the drive.
    expect(await changer.loadWithResult(5, 0)).toBe('cleaned')
    expect((await changer.status()).drives[0]).toMatchObject({
      full: true,
      'volume-tag': 'CLN001CU'
    })
    expect(await drive.status()).toEqual({ loaded: false, 'alert-flags': [] })
    const err = await failure(drive.readBlock())
    expect(err.code).toBe('cleaning-cartridge')
    expect(err.message).toMatch(/CLN001CU is a cleaning cartridge: it can never be read or written/)
    expect((await failure(drive.writeBlock(block(0)))).code).toBe('cleaning-cartridge')
    expect((await drive.status())['alert-flags']).toEqual(['CLEANING_MEDIA'])
    await changer.unload(0, 5)

    const st = await lib.status()
    expect(st.drives[0]['needs-cleaning']).toBe(false)
    expect(st.faults).toEqual([])
    expect(st.cartridges.find((c) => c['volume-tag'] === 'CLN001CU')).toMatchObject({
      'cleaning-uses-left': 49,
      'volume-mounts': 1
    })
    // A cleaning cartridge cannot be made writable either.
    await expect(lib.setWriteProtect('CLN001CU', false)).rejects.toThrow(/cleaning cartridge/)
  })

  it('an expired cleaning cartridge does not clean and raises EXPIRED_CLEANING_MEDIA', async () => {
    const { lib, changer } = await setup({ cleaningUses: 1 })
    await lib.setFault({ kind: 'tape-alert', drive: 1, flags: ['CLEAN_PERIODIC', 'HARD_ERROR'] })
    expect(await changer.loadWithResult(5, 1)).toBe('cleaned')
    await changer.unload(1, 5)
    const drive = await lib.drive(1)
    // Cleaning removes the cleaning flags only.
    expect((await drive.status())['alert-flags']).toEqual(['HARD_ERROR'])

    await lib.setFault({ kind: 'cleaning-request', drive: 1 })
    expect(await changer.loadWithResult(5, 1)).toBe('expired-cleaning-media')
    await changer.unload(1, 5)
    // Still visible after the move back (PBS checks the flags then), and still asking for cleaning.
    expect((await drive.status())['alert-flags']).toEqual([
      'HARD_ERROR',
      'CLEAN_NOW',
      'EXPIRED_CLEANING_MEDIA'
    ])
    expect(
      (await lib.status()).cartridges.find((c) => c['volume-tag'] === 'CLN001CU')
    ).toMatchObject({ 'cleaning-uses-left': 0, 'volume-mounts': 2 })
    // The next load clears what the drive raised for the previous cartridge.
    await changer.load(1, 1)
    expect((await drive.status())['alert-flags']).toEqual(['HARD_ERROR', 'CLEAN_NOW'])
  })

  it('two library handles, like two processes, see one consistent library', async () => {
    const { dir, lib: a } = await setup()
    const b = await openVirtualLibrary(dir, { name: 'vlib' })
    cleanups.push(() => b.close())

    await a.changer().load(3, 0)
    expect((await b.changer().status()).drives[0]['volume-tag']).toBe('TAPE03L9')
    const da = await a.drive(0)
    await da.writeBlock(block(7))
    await da.writeFilemarks(1)
    await da.close()
    const db = await b.drive(0)
    expect(await db.position()).toEqual({ file: 1, block: 0 })
    await db.rewind()
    expect(Buffer.from((await db.readBlock()) as Uint8Array).equals(block(7))).toBe(true)

    // B moves the tape away while A's (idle) handle is open: A follows at its next command.
    const da2 = await a.drive(0)
    await b.changer().unload(0, 3)
    await b.changer().load(4, 0)
    expect((await da2.status())['volume-tag']).toBe('TAPE04L9')
    expect(await da2.readBlock()).toBe('end-of-data')

    // Concurrent robot moves from both handles never lose an update.
    const moves = [
      a.changer().transfer(1, 6),
      b.changer().transfer(2, 7),
      a.changer().transfer(5, 8),
      b.changer().unload(0, 4)
    ]
    await Promise.all(moves)
    const sa = await a.status()
    const sb = await b.status()
    expect(sa.changer).toEqual(sb.changer)
    expect(await tags(a)).toBe('- - TAPE03L9 TAPE04L9 - TAPE01L9 TAPE02L9 CLN001CU')
    expect(
      JSON.parse(await readFile(join(dir, 'library.json'), 'utf8')).generation
    ).toBeGreaterThan(8)
  })

  it('a handle reading a tape notices when the robot takes it', async () => {
    const { dir, lib: a } = await setup()
    const changer = a.changer()
    await changer.load(1, 0)
    const da = await a.drive(0)
    for (let i = 0; i < 3; i++) await da.writeBlock(block(i))
    await da.writeFilemarks(1)
    await da.rewind()
    expect(await da.readBlock()).toBeInstanceOf(Uint8Array)

    const b = await openVirtualLibrary(dir)
    cleanups.push(() => b.close())
    await b.changer().unload(0, 1)
    await b.changer().load(2, 0)
    // Noticed at the very next block, although the change came from another handle.
    expect(await failure(da.readBlock())).toMatchObject({ code: 'medium-changed' })
    await da.rewind()
    expect(await da.readBlock()).toBe('end-of-data')
  })

  it('follows the timing model and can be aborted', async () => {
    const { lib } = await setup()
    await lib.setTiming({ loadSeconds: 0.15, rewindSeconds: 0.1, speedBytesPerSecond: 16 * BS })
    expect((await lib.status()).timing).toEqual({
      loadSeconds: 0.15,
      rewindSeconds: 0.1,
      locateSecondsPerGiB: 0,
      speedBytesPerSecond: 16 * BS
    })
    const changer = lib.changer()
    let t = performance.now()
    await changer.load(1, 0)
    expect(performance.now() - t).toBeGreaterThanOrEqual(140)

    const drive = await lib.drive(0)
    t = performance.now()
    for (let i = 0; i < 8; i++) await drive.writeBlock(block(i))
    await drive.writeFilemarks(1)
    expect(performance.now() - t).toBeGreaterThanOrEqual(450) // 8 blocks at 16 blocks/s
    t = performance.now()
    await drive.rewind()
    expect(performance.now() - t).toBeGreaterThanOrEqual(90)

    // Locate time scales with the distance: 8 blocks = 2 MiB at 100 s/GiB ≈ 195 ms.
    await lib.setTiming({ locateSecondsPerGiB: 100 })
    t = performance.now()
    await drive.locateFile(1)
    expect(performance.now() - t).toBeGreaterThanOrEqual(180)
    const stop = new AbortController()
    const impatient = await lib.drive(0, { signal: stop.signal })
    const locating = impatient.locateFile(0)
    stop.abort()
    await expect(locating).rejects.toThrow(/abort/i)
    expect(await impatient.position()).toEqual({ file: 1, block: 0 }) // did not move
    await lib.setTiming({ loadSeconds: 0.15 })

    const abort = new AbortController()
    const slow = lib.changer({ signal: abort.signal })
    const pending = slow.transfer(2, 6)
    setTimeout(() => abort.abort(), 20)
    await expect(pending).rejects.toThrow(/abort/i)
    expect((await changer.status()).slots[5].full).toBe(false) // the move did not happen

    await lib.setTiming(null)
    t = performance.now()
    await changer.transfer(2, 6)
    expect(performance.now() - t).toBeLessThan(100)
  })
})
