/**
 * The LTO drive driver and the SCSI changer against a real tgtd library over the built-in iSCSI
 * initiator (scripts/tgt-vtl.sh with 4 MiB tapes, so tgt's early warning comes quickly), through
 * the `tapedeck` command line, each command a fresh process: changer status, barcode-label,
 * read-label, inventory, a backup spanning two tapes, full and selective restores compared byte for
 * byte with the source, export to a mail slot, and the errors tgt produces.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Datastore, type SnapshotInfo } from '../../main/core/datastore/datastore'
import { writeDemoDatastore } from '../../main/core/datastore/demo'
import { createDatastore } from '../../main/core/datastore/datastore-writer'
import { snapshotDir, snapshotName } from '../../main/core/datastore/layout'
import { BLOCK_SIZE } from '../../main/core/format/block-header'
import { LtoDrive } from '../../main/core/devices/lto/lto-drive'
import { ScsiChanger } from '../../main/core/devices/scsi-changer/scsi-changer'
import { openIscsiTransport } from '../../main/core/devices/scsi/iscsi/initiator'
import { tapedeck } from '../helpers/cli'
import { tempDir } from '../helpers/temp'
import { startTgtRig, type TgtRig } from '../helpers/tgt'

const MIB = 1024 * 1024
const execFileAsync = promisify(execFile)
let rig: TgtRig
let work: Awaited<ReturnType<typeof tempDir>>
const path = (...parts: string[]) => join(work.path, ...parts)

function cli(...args: string[]) {
  return tapedeck(path('home'), args, {}, 180_000)
}
function run(...args: string[]) {
  const result = cli(...args)
  expect(result.code, `tapedeck ${args.join(' ')}\n${result.stdout}${result.stderr}`).toBe(0)
  return result.stdout
}
const json = <T = unknown>(...args: string[]) =>
  JSON.parse(run('--output-format', 'json', ...args)) as T

interface Media {
  'label-text': string
  'media-set-uuid'?: string
  'seq-nr'?: number
  status?: string
  location?: string
}
interface ChangerEntry {
  'entry-kind': string
  'entry-id': number
  'label-text'?: string
  'loaded-slot'?: number
}

/** [relative path, sha256] of the files a tape carries (owner, notes, .protected are not on tape). */
async function treeHashes(root: string): Promise<[string, string][]> {
  const out: [string, string][] = []
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name === '.lock') continue
    const file = join(entry.parentPath, entry.name)
    const rel = relative(root, file)
    if (/(^|\/)(owner|notes|\.protected)$/.test(rel)) continue
    out.push([
      rel,
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex')
    ])
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : 1))
}

/** A new blank 4 MiB tape image, put into the empty storage element at `address`. */
async function addBlankTape(barcode: string, address: number) {
  await execFileAsync('tgtimg', [
    ...['--op', 'new', '--device-type', 'tape', '--barcode', barcode, '--size', '4'],
    ...['--type', 'data', '--thin-provisioning', '--file', join(rig.dir, barcode)]
  ])
  await rig.tgtadm([
    ...['--lld', 'iscsi', '--op', 'update', '--mode', 'logicalunit', '--tid', '1'],
    ...['--lun', String(rig.changerLun)],
    ...['--params', `element_type=2,address=${address},barcode=${barcode}`]
  ])
}

let snapshots: SnapshotInfo[]
let setUuid: string

beforeAll(async () => {
  work = await tempDir('tapedeck-scsi-tgt-')
  rig = await startTgtRig({ tapeMiB: 4 })
  await writeDemoDatastore(
    path('store'),
    { seed: 7, vms: 1, cts: 1, hosts: 1, snapshots: 2, diskSize: 4 * MIB, namespaces: true },
    { prefixDirs: 'on-demand' }
  )
  const store = await Datastore.open(path('store'))
  snapshots = []
  for await (const s of store.allSnapshots()) snapshots.push(s)
}, 120_000)

afterAll(async () => {
  await rig?.stop()
  await work?.remove()
}, 300_000)

describe('LTO drive and SCSI changer on tgt over iSCSI', () => {
  it('configures the library and shows the changer with barcodes, mail slots and CLN', () => {
    const url = (lun: number) => `iscsi://${rig.host}:${rig.port}/${rig.target}/${lun}`
    run('changer', 'create', 'tgt', '--path', url(rig.changerLun))
    run('drive', 'create', 'lto0', '--path', url(1), '--changer', 'tgt', '--changer-drivenum', '0')
    run('drive', 'create', 'lto1', '--path', url(2), '--changer', 'tgt', '--changer-drivenum', '1')
    const status = json<ChangerEntry[]>('changer', 'status', 'tgt')
    const row = (kind: string, id: number) =>
      status.find((e) => e['entry-kind'] === kind && e['entry-id'] === id)
    expect(status.filter((e) => e['entry-kind'] === 'drive')).toHaveLength(2)
    // Storage slots 1000-1011 are slots 1-12, mail slots 10-11 follow as 13-14.
    for (let n = 1; n <= 8; n++) expect(row('slot', n)?.['label-text']).toBe(`TEST0${n}L8`)
    expect(row('slot', 9)?.['label-text']).toBeUndefined()
    expect(row('slot', 12)?.['label-text']).toBe('CLN001CU')
    expect(row('import-export', 13)).toBeDefined()
    expect(row('import-export', 14)).toBeDefined()
    expect(status).toHaveLength(2 + 14)
  })

  it('labels every data tape with its barcode and reads a label back', () => {
    run('pool', 'create', 'daily')
    const labelled = run('barcode-label', '--drive', 'lto0', '--pool', 'daily')
    expect(labelled.match(/^label verified$/gm)).toHaveLength(8)
    expect(labelled).not.toContain('CLN001CU')
    // The last tape labelled stays in drive 0; its barcode comes from the changer.
    expect(json('read-label', '--drive', 'lto0')).toMatchObject({
      'label-text': 'TEST08L8',
      pool: 'daily',
      'media-set-uuid': '00000000-0000-0000-0000-000000000000'
    })
    expect(json('status', '--drive', 'lto0')).toMatchObject({
      loaded: true,
      'volume-tag': 'TEST08L8',
      'write-protect': false,
      'alert-flags': []
    })
    expect(json('status', '--drive', 'lto1')).toMatchObject({ loaded: false })
  })

  it('inventories the tapes with the other drive from a home that knows nothing', () => {
    const fresh = (...args: string[]) => tapedeck(path('fresh'), args, {}, 180_000)
    const url = (lun: number) => `iscsi://${rig.host}:${rig.port}/${rig.target}/${lun}`
    expect(fresh('changer', 'create', 'tgt', '--path', url(rig.changerLun)).code).toBe(0)
    expect(
      fresh(
        'drive',
        'create',
        'lto1',
        '--path',
        url(2),
        '--changer',
        'tgt',
        '--changer-drivenum',
        '1'
      ).code
    ).toBe(0)
    // PBS refuses to inventory a tape sitting in another drive: put TEST08L8 back first.
    run('unload', '--drive', 'lto0')
    const inventory = fresh('inventory', '--drive', 'lto1')
    expect(inventory.code, inventory.stderr).toBe(0)
    for (let n = 1; n <= 8; n++) {
      expect(inventory.stdout).toContain(`inventorized media 'TEST0${n}L8'`)
    }
    expect(inventory.stdout).not.toContain('CLN001CU')
    const media = JSON.parse(fresh('--output-format', 'json', 'media', 'list').stdout) as Media[]
    expect(media.map((m) => m['label-text']).sort()).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8].map((n) => `TEST0${n}L8`)
    )
  })

  it(
    'backs up a datastore into a media set spanning two tapes (tgt early warning)',
    { timeout: 300_000 },
    () => {
      run('datastore', 'add', 'store1', '--path', path('store'))
      const backup = run('backup', 'store1', 'daily', '--drive', 'lto0')
      setUuid = /media set uuid: (\S+)/.exec(backup)![1]!
      expect(backup).toMatch(/media '\S+' is full/)
      const members = json<Media[]>('media', 'list')
        .filter((m) => m['media-set-uuid'] === setUuid)
        .sort((a, b) => (a['seq-nr'] ?? 0) - (b['seq-nr'] ?? 0))
      expect(members.length).toBeGreaterThanOrEqual(2)
      expect(members.map((m) => m['seq-nr'])).toEqual(members.map((_, i) => i))
      expect(members.slice(0, -1).every((m) => m.status === 'full')).toBe(true)
      run('unload', '--drive', 'lto0')
    }
  )

  it('restores the whole media set byte for byte', { timeout: 300_000 }, async () => {
    await createDatastore(path('back'), { prefixDirs: 'on-demand' })
    run('datastore', 'add', 'back', '--path', path('back'))
    // the plan asks the library where the set's tapes are
    const plan = run('restore', setUuid, 'back', '--drive', 'lto1', '--plan-only')
    expect(plan).not.toContain('OFFLINE')
    expect(plan).toMatch(/│ (slot \d+|in drive \d) of tgt /)
    const restore = run('restore', setUuid, 'back', '--drive', 'lto1')
    expect(restore).toContain('(seq 1)')
    expect(await treeHashes(path('back'))).toEqual(await treeHashes(path('store')))
    run('unload', '--drive', 'lto1')
  })

  it('restores one chosen snapshot through the catalog', { timeout: 300_000 }, async () => {
    await createDatastore(path('pick'), { prefixDirs: 'on-demand' })
    run('datastore', 'add', 'pick', '--path', path('pick'))
    const chosen = snapshots[snapshots.length - 1]!
    run('restore', setUuid, 'store1=pick', `store1:${snapshotName(chosen)}`, '--drive', 'lto0')
    const restored = await Datastore.open(path('pick'))
    const names: string[] = []
    for await (const s of restored.allSnapshots()) names.push(snapshotName(s))
    expect(names).toEqual([snapshotName(chosen)])
    const source = await Datastore.open(path('store'))
    for (const file of [...chosen.manifest!.files.map((f) => f.filename), 'index.json.blob']) {
      const copy = await readFile(join(snapshotDir(path('pick'), chosen), file))
      expect(copy.equals(await readFile(join(snapshotDir(source.path, chosen), file)))).toBe(true)
    }
  })

  it('exports a tape to a mail slot', () => {
    const out = run('export-media', 'TEST01L8', '--drive', 'lto0')
    expect(out).toContain('exporting TEST01L8 to import/export slot 13')
    const status = json<ChangerEntry[]>('changer', 'status', 'tgt')
    expect(
      status.find((e) => e['entry-id'] === 13 && e['entry-kind'] === 'import-export')
    ).toMatchObject({
      'label-text': 'TEST01L8'
    })
    expect(
      status.find((e) => e['label-text'] === 'TEST01L8' && e['entry-kind'] === 'slot')
    ).toBeUndefined()
  })

  it('cleans a drive with the CLN cartridge and puts it back into its slot', () => {
    const out = run('clean', '--drive', 'lto0')
    expect(out).toContain('loading cleaning cartridge CLN001CU from slot 12 into drive 0')
    expect(out).toContain('drive cleaned successfully')
    const status = json<ChangerEntry[]>('changer', 'status', 'tgt')
    expect(status.find((e) => e['entry-kind'] === 'slot' && e['entry-id'] === 12)).toMatchObject({
      'label-text': 'CLN001CU'
    })
    expect(
      status.find((e) => e['entry-kind'] === 'drive' && e['entry-id'] === 0)
    ).not.toHaveProperty('label-text')
  })

  it('reports what tgt refuses: moves into full or out of empty slots, erasing a written tape', () => {
    const slots = json<ChangerEntry[]>('changer', 'status', 'tgt').filter(
      (e) => e['entry-kind'] === 'slot'
    )
    const [a, b] = slots.filter((e) => e['label-text']).map((e) => String(e['entry-id']))
    const empty = String(slots.find((e) => !e['label-text'])!['entry-id'])
    // MOVE MEDIUM into a full slot: ILLEGAL REQUEST 3B/0D; out of an empty one: 3B/0E.
    const full = cli('changer', 'transfer', 'tgt', '--from', a!, '--to', b!)
    expect(full.code).not.toBe(0)
    expect(full.stderr).toContain('Medium destination element full (5/3b/0d)')
    const none = cli('changer', 'transfer', 'tgt', '--from', empty, '--to', b!)
    expect(none.stderr).toContain('Medium source element empty (5/3b/0e)')
    // tgt has neither FORMAT MEDIUM nor ERASE: a tape with data cannot be emptied.
    run('load-media', 'TEST02L8', '--drive', 'lto0')
    const format = cli('format', '--drive', 'lto0')
    expect(format.code).not.toBe(0)
    expect(format.stdout + format.stderr).toContain(
      'FORMAT MEDIUM and ERASE are not supported by this drive; the tape still holds data'
    )
    expect(json('read-label', '--drive', 'lto0')).toMatchObject({ 'label-text': 'TEST02L8' })
  })

  it('refuses an encrypted pool on a drive without hardware encryption', async () => {
    await addBlankTape('SEC001L8', 1008)
    await writeFile(path('password'), 'secret-password-1\n', { mode: 0o600 })
    const key = json<{ fingerprint: string }>(
      ...['key', 'create', '--hint', 'h', '--kdf', 'pbkdf2'],
      ...['--password-file', path('password')]
    )
    run('pool', 'create', 'secure', '--encrypt', key.fingerprint)
    run('load-media', 'SEC001L8', '--drive', 'lto1')
    run('label', '--drive', 'lto1', '--label-text', 'SEC001L8', '--pool', 'secure')
    const backup = cli('backup', 'store1', 'secure', '--drive', 'lto1')
    expect(backup.code).not.toBe(0)
    expect(backup.stdout + backup.stderr).toContain(
      'hardware encryption is not supported by this drive'
    )
    // Nothing but the label is on the tape: it joined no media set.
    expect(json('read-label', '--drive', 'lto1')).toMatchObject({
      'label-text': 'SEC001L8',
      'media-set-uuid': '00000000-0000-0000-0000-000000000000'
    })
    run('unload', '--drive', 'lto1')
  })

  it(
    'drives the tape directly: positions it tracks itself, end of data, what tgt lacks',
    { timeout: 120_000 },
    async () => {
      // A blank scratch tape in empty slot 1010 (slot 11), loaded into drive 1 by MOVE MEDIUM.
      await addBlankTape('SCRATCH1', 1010)
      const at = (lun: number) =>
        openIscsiTransport({ host: rig.host, port: rig.port, target: rig.target, lun })
      const changer = await ScsiChanger.open('tgt', await at(rig.changerLun))
      const drive = await LtoDrive.open('lto1', await at(2))
      try {
        const status = await changer.status()
        expect(status.slots[10]).toMatchObject({ slot: 11, full: true, 'volume-tag': 'SCRATCH1' })
        // tgt identifies its drives (DVCID) by the scsi_sn of the tape LUNs, but drops the last
        // 8 bytes of the answer: the last drive's identifier is cut off, and reported as unknown.
        expect(await changer.driveSerials()).toEqual(['DRV0001', null])
        if (status.drives[1]!.full) await changer.unload(1, status.drives[1]!['loaded-slot']!)
        await changer.load(11, 1)
        drive.mediumChanged(true)
        expect((await changer.status()).drives[1]).toMatchObject({
          full: true,
          'volume-tag': 'SCRATCH1',
          'loaded-slot': 11
        })
        // Loading into a full drive: the changer refuses (3B/0D), nothing moves.
        const free = (await changer.status()).slots.find((s) => s.full && !s['import-export'])!
        await expect(changer.load(free.slot, 1)).rejects.toMatchObject({ code: 'destination-full' })

        // A blank tape formats (nothing to erase) and reads end of data at once.
        await drive.format(true)
        expect(await drive.readBlock()).toBe('end-of-data')
        // Three files of 1, 2 and 0 blocks, each block tagged with its file and index.
        const block = (file: number, n: number) => {
          const b = new Uint8Array(BLOCK_SIZE)
          b.fill(file * 16 + n)
          return b
        }
        await drive.rewind()
        await drive.writeBlock(block(0, 0))
        await drive.writeFilemarks(1)
        await drive.writeBlock(block(1, 0))
        await drive.writeBlock(block(1, 1))
        await drive.writeFilemark()
        await drive.writeFilemarks(1)
        expect(await drive.position()).toEqual({ file: 3, block: 0 })

        await drive.locateFile(1)
        expect(await drive.position()).toEqual({ file: 1, block: 0 })
        expect(Buffer.from((await drive.readBlock()) as Uint8Array).equals(block(1, 0))).toBe(true)
        expect(await drive.position()).toEqual({ file: 1, block: 1 })
        expect(Buffer.from((await drive.readBlock()) as Uint8Array).equals(block(1, 1))).toBe(true)
        expect(await drive.readBlock()).toBe('filemark')
        expect(await drive.position()).toEqual({ file: 2, block: 0 })
        expect(await drive.readBlock()).toBe('filemark')
        expect(await drive.readBlock()).toBe('end-of-data')
        expect(await drive.position()).toEqual({ file: 3, block: 0 })
        // Backwards: tgt has no LOCATE, so the driver rewinds and spaces forward.
        await drive.locateFile(0)
        expect(Buffer.from((await drive.readBlock()) as Uint8Array).equals(block(0, 0))).toBe(true)
        await drive.moveToEndOfData()
        expect(await drive.position()).toEqual({ file: 3, block: 0 })
        await expect(drive.locateFile(5)).rejects.toMatchObject({ code: 'end-of-data' })

        // An interrupted write: blocks after the last filemark show up as a file being written.
        await drive.moveToEndOfData()
        await drive.writeBlock(block(3, 0))
        await drive.writeBlock(block(3, 1))
        await drive.rewind()
        await drive.moveToEndOfData()
        expect(await drive.position()).toEqual({ file: 3, block: 2 })

        // A tape with data cannot be erased by tgt.
        await expect(drive.format(true)).rejects.toMatchObject({ code: 'not-supported' })

        // tgt has no LOG SENSE and no SECURITY PROTOCOL: status says less, a key is refused.
        await expect(drive.volumeStatistics()).rejects.toThrow(/not supported by this drive/)
        expect(await drive.status()).toMatchObject({ loaded: true, 'alert-flags': [] })
        await drive.setEncryption(undefined)
        await expect(drive.setEncryption(new Uint8Array(32))).rejects.toMatchObject({
          code: 'not-supported',
          message: expect.stringContaining('hardware encryption is not supported by this drive')
        })

        await changer.unload(1, 11)
        drive.mediumChanged(false)
        expect(await drive.status()).toMatchObject({ loaded: false })
        await expect(drive.readBlock()).rejects.toMatchObject({ code: 'no-medium' })
      } finally {
        await drive.close()
        await changer.close()
      }
    }
  )
})
