import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { lockDrive } from '../../main/core/devices/drive-lock'
import { BlockedWriter } from '../../main/core/format/blocked-writer'
import { writeContentHeader } from '../../main/core/format/content-header'
import { CHUNK_ARCHIVE_MAGIC_1_1 } from '../../main/core/format/magics'
import { openDrive } from '../../main/core/operations/devices'
import { tempCore, tempDir } from '../helpers/temp'

type Core = Awaited<ReturnType<typeof tempCore>>
let core: Core
let libDir: Awaited<ReturnType<typeof tempDir>>

beforeEach(async () => {
  core = await tempCore()
  libDir = await tempDir('tapedeck-vlib-')
})
afterEach(async () => {
  await core.cleanup()
  await libDir.remove()
})

const lib = () => join(libDir.path, 'lib')

async function task(started: Promise<{ upid: string }>) {
  const { upid } = await started
  const info = await core.tasks.wait(upid)
  const log = (await core.api.invoke('task.log', { upid })).lines.map((l) => l.text)
  return { info, log }
}

async function createLibrary() {
  const result = await core.api.invoke('vlib.create', {
    name: 'lib',
    path: lib(),
    drives: 2,
    slots: 16,
    'import-export': 2,
    tapes: 8,
    cleaning: 1,
    'tape-size': 64 * 1024 * 1024
  })
  await core.api.invoke('pool.create', { name: 'daily' })
  return result
}

const slotOf = async (label: string) =>
  (await core.api.invoke('changer.status', { name: 'lib' })).find((e) => e['label-text'] === label)

describe('virtual library operations', () => {
  it('creates a library registered in tape.cfg and barcode-labels exactly the data tapes', async () => {
    const created = await createLibrary()
    expect(created.drives).toEqual(['lib-0', 'lib-1'])
    expect(created.cleaning).toEqual(['CLN001CU'])
    const tapeCfg = await readFile(join(core.home, 'tape.cfg'), 'utf8')
    expect(tapeCfg).toContain(`changer: lib\n\tpath vlib:${lib()}\n`)
    expect(tapeCfg).toContain(
      `lto: lib-1\n\tchanger lib\n\tchanger-drivenum 1\n\tpath vlib:${lib()}#1\n`
    )

    const { info, log } = await task(
      core.api.invoke('drive.barcode-label', { drive: 'lib-0', pool: 'daily' })
    )
    expect(info.state).toBe('ok')
    expect(log.filter((l) => l.startsWith('writing media label'))).toHaveLength(8)

    const media = await core.api.invoke('media.list', {})
    expect(media.map((m) => m['label-text'])).toEqual(created.tapes)
    expect(media.every((m) => m.pool === 'daily' && m.location === 'online-lib')).toBe(true)

    const status = await core.api.invoke('changer.status', { name: 'lib' })
    expect(status.filter((e) => e['entry-kind'] === 'drive')).toHaveLength(2)
    expect(status.filter((e) => e['entry-kind'] === 'import-export')).toHaveLength(2)
    const labels = status.map((e) => e['label-text']).filter(Boolean)
    expect(labels.sort()).toEqual([...created.tapes, 'CLN001CU'].sort())

    // Running it again labels nothing new.
    const again = await task(
      core.api.invoke('drive.barcode-label', { drive: 'lib-0', pool: 'daily' })
    )
    expect(again.log.filter((l) => l.startsWith('writing media label'))).toHaveLength(0)
  })

  it('reads the PBS label fields, all-zero media set for a fresh tape', async () => {
    await createLibrary()
    await task(core.api.invoke('drive.load-media', { drive: 'lib-0', 'label-text': 'TAPE03L9' }))
    await task(
      core.api.invoke('drive.label', { drive: 'lib-0', 'label-text': 'TAPE03L9', pool: 'daily' })
    )
    const label = await core.api.invoke('drive.read-label', { drive: 'lib-0' })
    expect(label).toMatchObject({
      'label-text': 'TAPE03L9',
      pool: 'daily',
      'media-set-uuid': '00000000-0000-0000-0000-000000000000'
    })
    expect(label.uuid).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
    )
    expect(Math.abs(label.ctime - Date.now() / 1000)).toBeLessThan(60)

    // The label file is the PBS block stream: block header magic, then content header with the media-label magic.
    const file = await readFile(join(lib(), 'tapefile-0-TAPE03L9.json'))
    expect(file.length).toBe(262144)
    expect(file.subarray(0, 8).toString('hex')).toBe('dcbdafcaeba0a528')
    expect(file.subarray(16, 24).toString('hex')).toBe('63ee149fcdf29b0c')
    expect(file.subarray(24, 32).toString('hex')).toBe('2a05bf3cb030aa39')
    const size = file.readUInt32LE(16 + 40)
    expect(JSON.parse(file.subarray(16 + 48, 16 + 48 + size).toString())).toEqual({
      ctime: label.ctime,
      label_text: 'TAPE03L9',
      pool: 'daily',
      uuid: label.uuid
    })
  })

  it('refuses to label a tape that holds data and leaves it untouched', async () => {
    await createLibrary()
    await task(core.api.invoke('drive.load-media', { drive: 'lib-0', 'label-text': 'TAPE01L9' }))
    await task(core.api.invoke('drive.label', { drive: 'lib-0', 'label-text': 'TAPE01L9' }))
    const before = await readFile(join(lib(), 'tapefile-0-TAPE01L9.json'))
    const { info } = await task(
      core.api.invoke('drive.label', { drive: 'lib-0', 'label-text': 'OTHER1' })
    )
    expect(info).toMatchObject({ state: 'error', status: 'media is not empty (format it first)' })
    expect(await readFile(join(lib(), 'tapefile-0-TAPE01L9.json'))).toEqual(before)
    expect((await core.api.invoke('drive.read-label', { drive: 'lib-0' }))['label-text']).toBe(
      'TAPE01L9'
    )
    // A duplicate label text is refused before anything happens.
    await expect(
      core.api.invoke('drive.label', { drive: 'lib-1', 'label-text': 'TAPE01L9' })
    ).rejects.toMatchObject({
      code: 'already-exists'
    })
  })

  it('never labels or loads cleaning cartridges', async () => {
    await createLibrary()
    const { info } = await task(
      core.api.invoke('drive.load-media', { drive: 'lib-0', 'label-text': 'CLN001CU' })
    )
    expect(info.status).toContain('cleaning cartridge')
  })

  it('loads, unloads, transfers and exports tapes', async () => {
    await createLibrary()
    expect(
      (await task(core.api.invoke('drive.load-slot', { drive: 'lib-1', slot: 2 }))).info.state
    ).toBe('ok')
    expect(await slotOf('TAPE02L9')).toMatchObject({
      'entry-kind': 'drive',
      'entry-id': 1,
      'loaded-slot': 2
    })

    await task(core.api.invoke('drive.unload', { drive: 'lib-1', 'target-slot': 12 }))
    expect(await slotOf('TAPE02L9')).toMatchObject({ 'entry-kind': 'slot', 'entry-id': 12 })

    await core.api.invoke('changer.transfer', { name: 'lib', from: 12, to: 2 })
    expect(await slotOf('TAPE02L9')).toMatchObject({ 'entry-kind': 'slot', 'entry-id': 2 })

    await task(core.api.invoke('drive.load-media', { drive: 'lib-0', 'label-text': 'TAPE05L9' }))
    const exported = await task(
      core.api.invoke('drive.export-media', { drive: 'lib-0', 'label-text': 'TAPE05L9' })
    )
    expect(exported.info.state).toBe('ok')
    expect(await slotOf('TAPE05L9')).toMatchObject({
      'entry-kind': 'import-export',
      'entry-id': 17
    })

    // A tape in a mail slot is offline: it cannot be loaded until it is moved back.
    const refused = await task(
      core.api.invoke('drive.load-media', { drive: 'lib-0', 'label-text': 'TAPE05L9' })
    )
    expect(refused.info.status).toContain('import/export slot')

    await core.api.invoke('changer.update', { name: 'lib', 'export-slots': '16' })
    expect(await slotOf('TAPE05L9')).toMatchObject({
      'entry-kind': 'import-export',
      'entry-id': 17
    })
    expect(
      (await core.api.invoke('changer.status', { name: 'lib' })).find((e) => e['entry-id'] === 16)
    ).toMatchObject({
      'entry-kind': 'import-export'
    })
  })

  it('formats a tape and drops it from the inventory, checking the label text first', async () => {
    await createLibrary()
    await task(core.api.invoke('drive.load-media', { drive: 'lib-0', 'label-text': 'TAPE04L9' }))
    await task(core.api.invoke('drive.label', { drive: 'lib-0', 'label-text': 'TAPE04L9' }))
    const wrong = await task(
      core.api.invoke('drive.format', { drive: 'lib-0', 'label-text': 'TAPE09L9' })
    )
    expect(wrong.info.status).toContain("labelled 'TAPE04L9', not 'TAPE09L9'")
    const ok = await task(
      core.api.invoke('drive.format', { drive: 'lib-0', 'label-text': 'TAPE04L9' })
    )
    expect(ok.info.state).toBe('ok')
    expect(await core.api.invoke('media.list', {})).toEqual([])
    await expect(core.api.invoke('drive.read-label', { drive: 'lib-0' })).rejects.toMatchObject({
      message: 'media is empty (no media label found)'
    })
  })

  it('gives a second user of a drive a clear "drive busy" error naming the task', async () => {
    await createLibrary()
    const lock = await lockDrive(
      core.home,
      'lib-0',
      'UPID:node:00000001:00000001:00000000:69280500:label-media:lib\\x2d0:root@pam:'
    )
    try {
      await expect(core.api.invoke('drive.rewind', { drive: 'lib-0' })).rejects.toMatchObject({
        code: 'busy',
        message: expect.stringMatching(/^drive busy: lib-0 is in use by task UPID:node:/)
      })
      await expect(core.api.invoke('drive.read-label', { drive: 'lib-0' })).rejects.toMatchObject({
        code: 'busy'
      })
    } finally {
      await lock.release()
    }
    expect(await core.api.invoke('drive.status', { drive: 'lib-0' })).toMatchObject({
      loaded: false
    })
  })

  it('says plainly that a local device node is not a SCSI generic device', async () => {
    await core.api.invoke('drive.create', { name: 'hh8', path: '/dev/null' })
    const { info } = await task(core.api.invoke('drive.rewind', { drive: 'hh8' }))
    expect(info.status).toContain('/dev/null is not a SCSI generic device')
  })

  it('cleans a drive that asks for it, step by step, and uses up the cleaning cartridge', async () => {
    await createLibrary()
    await core.api.invoke('vlib.fault-add', {
      changer: 'lib',
      fault: { kind: 'cleaning-request', drive: 0 }
    })
    expect((await core.api.invoke('drive.status', { drive: 'lib-0' }))['alert-flags']).toContain(
      'CLEAN_NOW'
    )
    const { info, log } = await task(core.api.invoke('drive.clean', { drive: 'lib-0' }))
    expect(info.state).toBe('ok')
    expect(log).toEqual(
      expect.arrayContaining([
        'loading cleaning cartridge CLN001CU from slot 9 into drive 0',
        'moving cleaning cartridge back to slot 9',
        'checking TapeAlert flags',
        'drive cleaned successfully'
      ])
    )
    expect(
      (await core.api.invoke('drive.status', { drive: 'lib-0' }))['alert-flags']
    ).not.toContain('CLEAN_NOW')
    expect(await slotOf('CLN001CU')).toMatchObject({ 'entry-kind': 'slot', 'entry-id': 9 })
  })

  it('inventories the changer: unknown tapes are loaded and their labels recorded', async () => {
    await createLibrary()
    await task(core.api.invoke('drive.barcode-label', { drive: 'lib-0', pool: 'daily' }))
    // Forget two tapes, as on a fresh workstation that finds labelled tapes in the library.
    const [first, second] = await core.api.invoke('media.list', {})
    await core.drives.inventory.remove(first!.uuid)
    await core.drives.inventory.remove(second!.uuid)
    const { info, log } = await task(core.api.invoke('drive.inventory', { drive: 'lib-1' }))
    expect(info.state).toBe('ok')
    expect(log).toContain(`inventorized media '${first!['label-text']}' (uuid ${first!.uuid})`)
    expect((await core.api.invoke('media.list', {})).map((m) => m.uuid).sort()).toHaveLength(8)
    expect((await core.api.invoke('changer.status', { name: 'lib' }))[1]).toMatchObject({
      'entry-kind': 'drive',
      'entry-id': 1
    })
    expect(
      (await core.api.invoke('changer.status', { name: 'lib' }))[1]!['label-text']
    ).toBeUndefined()
  })

  it('scans a tape file by file and reports a write cut by a power failure', async () => {
    await createLibrary()
    await task(core.api.invoke('drive.load-media', { drive: 'lib-0', 'label-text': 'TAPE02L9' }))
    await task(core.api.invoke('drive.label', { drive: 'lib-0', 'label-text': 'TAPE02L9' }))
    // Append a file whose write is cut by a power failure in its second block.
    await core.api.invoke('vlib.fault-add', {
      changer: 'lib',
      fault: { kind: 'power-cut', tape: 'TAPE02L9', file: 1, block: 1 }
    })
    const handle = await openDrive(core, 'lib-0')
    try {
      await handle.driver.moveToEndOfData()
      const writer = new BlockedWriter(handle.driver)
      await writeContentHeader(writer, CHUNK_ARCHIVE_MAGIC_1_1, Buffer.from('{"store":"store1"}'))
      await expect(writer.write(new Uint8Array(600_000))).rejects.toThrow(/power/i)
    } finally {
      await handle.close()
    }
    const { log } = await task(core.api.invoke('drive.scan', { drive: 'lib-0' }))
    expect(log.find((l) => l.startsWith('file 0:'))).toContain('Proxmox Backup Tape Label v1.0')
    expect(log.find((l) => l.startsWith('WARN: file 1:'))).toMatch(
      /^WARN: file 1: Proxmox Backup Chunk Archive v1.1, uuid .*: got unexpected end of tape$/
    )
    expect(log).toContain('end of data after 2 files')
  })

  it('injects faults through the API with clear errors', async () => {
    await createLibrary()
    const entry = await core.api.invoke('vlib.fault-add', {
      changer: 'lib',
      fault: { kind: 'write-error', tape: 'TAPE06L9', file: 0, block: 0 }
    })
    await task(core.api.invoke('drive.load-media', { drive: 'lib-0', 'label-text': 'TAPE06L9' }))
    const { info } = await task(
      core.api.invoke('drive.label', { drive: 'lib-0', 'label-text': 'TAPE06L9' })
    )
    expect(info.state).toBe('error')
    expect(info.status).toMatch(/write error/i)
    expect(await core.api.invoke('media.list', {})).toEqual([])
    await core.api.invoke('vlib.fault-clear', { changer: 'lib', id: entry.id })
    expect(
      (await task(core.api.invoke('drive.label', { drive: 'lib-0', 'label-text': 'TAPE06L9' })))
        .info.state
    ).toBe('ok')
    await expect(
      core.api.call('vlib.fault-add', {
        changer: 'lib',
        fault: { kind: 'tape-alert', drive: 0, flags: ['BOGUS'] }
      })
    ).rejects.toMatchObject({
      code: 'invalid-argument',
      message: expect.stringContaining('unknown TapeAlert flag BOGUS')
    })
  })

  it('turns the timing model on for demos and off again', async () => {
    await createLibrary()
    await core.api.invoke('vlib.timing', { changer: 'lib', timing: { 'load-seconds': 0.4 } })
    let started = Date.now()
    await task(core.api.invoke('drive.load-slot', { drive: 'lib-0', slot: 1 }))
    expect(Date.now() - started).toBeGreaterThanOrEqual(350)
    await core.api.invoke('vlib.timing', { changer: 'lib', timing: null })
    started = Date.now()
    await task(core.api.invoke('drive.unload', { drive: 'lib-0' }))
    expect(Date.now() - started).toBeLessThan(350)
  })
})
