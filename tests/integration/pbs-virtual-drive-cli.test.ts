/**
 * A PBS virtual drive (`virtual:` section of tape.cfg) through the `tapedeck` command line, each
 * command a fresh process: create the drive, label tapes (by hand and by "barcode"), back up a
 * datastore into a media set spanning two small tapes, restore it byte-identical, then read the
 * same tape directory from a second home that knows nothing (inventory, catalog, restore). An
 * encrypted pool is refused before anything is written to its tape.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeDemoDatastore } from '../../main/core/datastore/demo'
import { tapedeck } from '../helpers/cli'
import { tempDir } from '../helpers/temp'

const MIB = 1024 * 1024
let work: Awaited<ReturnType<typeof tempDir>>
const path = (...parts: string[]) => join(work.path, ...parts)
const tapes = () => path('tapes')

function run(home: string, ...args: string[]) {
  const result = tapedeck(path(home), args)
  expect(result.code, `tapedeck ${args.join(' ')}\n${result.stdout}${result.stderr}`).toBe(0)
  return result.stdout
}
const json = (home: string, ...args: string[]) =>
  JSON.parse(run(home, '--output-format', 'json', ...args)) as unknown

interface Media {
  'label-text': string
  'media-set-uuid'?: string
  'seq-nr'?: number
  location: string
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

const PBS_BLOCK_MAGIC = Buffer.from('dcbdafcaeba0a528', 'hex')
let setUuid: string

beforeAll(async () => {
  work = await tempDir('tapedeck-pbsvd-cli-')
  await writeDemoDatastore(
    path('store'),
    { seed: 3, vms: 1, cts: 1, hosts: 1, snapshots: 2, diskSize: 4 * MIB, namespaces: true },
    { prefixDirs: 'on-demand' }
  )
}, 120_000)

// Each datastore created through the CLI has 65536 chunk directories: removal takes a while.
afterAll(() => work?.remove(), 300_000)

describe('PBS virtual drive from the command line', () => {
  it('is created as a virtual: section of tape.cfg', async () => {
    run(
      'home',
      'drive',
      'create',
      'vdrive',
      '--type',
      'virtual',
      '--path',
      tapes(),
      '--max-size',
      '4MiB'
    )
    expect(await readFile(path('home', 'tape.cfg'), 'utf8')).toBe(
      `virtual: vdrive\n\tmax-size 4194304\n\tpath ${tapes()}\n`
    )
    expect(json('home', 'drive', 'list')).toEqual([
      { name: 'vdrive', type: 'virtual', path: tapes(), 'max-size': 4194304 }
    ])
    const refused = tapedeck(path('home'), [
      'drive',
      'create',
      'vdrive9',
      '--type',
      'virtual',
      '--path',
      'relative/dir'
    ])
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toContain('absolute directory')

    // the tape size can change later; changer options never apply to a drive that is its own changer
    run('home', 'drive', 'update', 'vdrive', '--max-size', '8MiB')
    expect(json('home', 'drive', 'config', 'vdrive')).toMatchObject({ 'max-size': 8 * MIB })
    run('home', 'drive', 'update', 'vdrive', '--max-size', '4MiB')
    const changer = tapedeck(path('home'), ['drive', 'update', 'vdrive', '--changer-drivenum', '1'])
    expect(changer.code).not.toBe(0)
    expect(changer.stderr).toContain('its own changer')
  })

  it(
    'labels tapes: load-media creates an unknown one, barcode-label labels the rest',
    { timeout: 180_000 },
    async () => {
      run('home', 'pool', 'create', 'daily')
      expect(run('home', 'load-media', 'VT0001', '--drive', 'vdrive')).toContain(
        'unable to find tape VT0001 - creating it'
      )
      run('home', 'label', '--drive', 'vdrive', '--label-text', 'VT0001', '--pool', 'daily')
      run('home', 'load-media', 'VT0002', '--drive', 'vdrive')
      run('home', 'unload', '--drive', 'vdrive')
      expect(await readFile(join(tapes(), 'drive-status.json'), 'utf8')).toBe(
        '{\n  "current_tape": null\n}'
      )
      // As PBS: an empty virtual drive unloads and ejects without complaint, cleaning has nothing
      // to do, and there is no mail slot to export a tape to.
      run('home', 'unload', '--drive', 'vdrive')
      run('home', 'eject', '--drive', 'vdrive')
      expect(run('home', 'clean', '--drive', 'vdrive')).toContain('there is nothing to clean')
      const exported = tapedeck(path('home'), ['export-media', 'VT0002', '--drive', 'vdrive'])
      expect(exported.code).not.toBe(0)
      expect(exported.stderr).toContain('no import/export slot')
      const labelled = run('home', 'barcode-label', '--drive', 'vdrive', '--pool', 'daily')
      expect(labelled).toContain("media 'VT0001' already inventorized, skipping")
      expect(labelled).toContain('writing media label VT0002')
      expect(json('home', 'read-label', '--drive', 'vdrive')).toMatchObject({
        'label-text': 'VT0002',
        pool: 'daily'
      })
      expect(json('home', 'status', '--drive', 'vdrive')).toMatchObject({
        loaded: true,
        'volume-tag': 'VT0002',
        capacity: 4 * MIB
      })
      const media = json('home', 'media', 'list') as Media[]
      expect(media.map((m) => [m['label-text'], m.location])).toEqual([
        ['VT0001', 'online-vdrive'],
        ['VT0002', 'online-vdrive']
      ])
      // The label is file 0: a PBS block stream, one 256 KiB block.
      const file0 = await readFile(join(tapes(), 'tapefile-0-VT0001.json'))
      expect(file0.length).toBe(262_144)
      expect(file0.subarray(0, 8).equals(PBS_BLOCK_MAGIC)).toBe(true)
      expect(await readFile(join(tapes(), 'tape-VT0001.json'), 'utf8')).toBe('{\n  "files": 1\n}')
    }
  )

  it(
    'backs up into a media set spanning both tapes and restores it byte-identical',
    { timeout: 300_000 },
    async () => {
      run('home', 'datastore', 'add', 'store1', '--path', path('store'))
      const backup = run('home', 'backup', 'store1', 'daily', '--drive', 'vdrive')
      setUuid = /media set uuid: (\S+)/.exec(backup)![1]!
      expect(backup).toContain("media 'VT0001' is full")
      const members = (json('home', 'media', 'list') as Media[])
        .filter((m) => m['media-set-uuid'] === setUuid)
        .map((m) => [m['label-text'], m['seq-nr']])
      expect(members).toEqual([
        ['VT0001', 0],
        ['VT0002', 1]
      ])
      // PBS's capacity rule on the first tape: a file started with `used` bytes on the tape may
      // write max(2, ⌊(max-size − used) / block⌋) blocks before LEOM and two more after it; the
      // tape was declared full after the file that got LEOM (its last one).
      const BLOCK = 262_144
      const index = JSON.parse(await readFile(join(tapes(), 'tape-VT0001.json'), 'utf8')) as {
        files: number
      }
      let used = 0
      const overLeom: number[] = []
      for (let n = 0; n < index.files; n++) {
        const file = await readFile(join(tapes(), `tapefile-${n}-VT0001.json`))
        expect(file.length % BLOCK).toBe(0)
        if (file.length > 0) expect(file.subarray(0, 8).equals(PBS_BLOCK_MAGIC)).toBe(true)
        const allowed = Math.max(2, Math.floor(Math.max(0, 4 * MIB - used) / BLOCK))
        expect(file.length / BLOCK).toBeLessThanOrEqual(allowed + 2)
        if (file.length / BLOCK > allowed) overLeom.push(n)
        used += file.length
      }
      expect(overLeom).toEqual([index.files - 1])

      run('home', 'datastore', 'create', 'back', '--path', path('back'))
      // the plan finds both tapes in the drive's directory, its slots
      const plan = run('home', 'restore', setUuid, 'back', '--drive', 'vdrive', '--plan-only')
      expect(plan).not.toContain('OFFLINE')
      expect(plan).toMatch(/VT0001 .*│ (slot \d+|in drive 0) of vdrive /)
      const restore = run('home', 'restore', setUuid, 'back', '--drive', 'vdrive')
      expect(restore).toContain("reading 'VT0002' (seq 1)")
      expect(await treeHashes(path('back'))).toEqual(await treeHashes(path('store')))
    }
  )

  it(
    'is read after a restart by a home that knows nothing: inventory, catalog, restore',
    { timeout: 300_000 },
    async () => {
      run('fresh', 'drive', 'create', 'vdrive2', '--type', 'virtual', '--path', tapes())
      const inventory = run('fresh', 'inventory', '--drive', 'vdrive2', '--catalog')
      expect(inventory).toContain("inventorized media 'VT0001'")
      expect(inventory).toContain("inventorized media 'VT0002'")
      const media = (json('fresh', 'media', 'list') as Media[]).map((m) => [
        m['label-text'],
        m['media-set-uuid'],
        m['seq-nr'],
        m.location
      ])
      expect(media).toEqual([
        ['VT0001', setUuid, 0, 'online-vdrive2'],
        ['VT0002', setUuid, 1, 'online-vdrive2']
      ])
      const content = json('fresh', 'media', 'content', '--media-set', setUuid) as unknown[]
      expect(content).toHaveLength(6)

      run('fresh', 'load-media', 'VT0002', '--drive', 'vdrive2')
      const scan = run('fresh', 'scan', '--drive', 'vdrive2')
      expect(scan).toContain('file 0: Proxmox Backup Tape Label v1.0')
      expect(scan).toContain('file 1: Proxmox Backup MediaSet Label v1.0')
      expect(scan).toMatch(/end of data after \d+ files/)
      const rebuilt = run('fresh', 'catalog', '--drive', 'vdrive2', '--force', '--scan')
      expect(rebuilt).toContain('catalog rebuilt')
      const sorted = (rows: unknown) => (rows as unknown[]).map((r) => JSON.stringify(r)).sort()
      expect(sorted(json('fresh', 'media', 'content', '--media-set', setUuid))).toEqual(
        sorted(content)
      )

      run('fresh', 'datastore', 'create', 'back2', '--path', path('back2'))
      run('fresh', 'restore', setUuid, 'back2', '--drive', 'vdrive2')
      expect(await treeHashes(path('back2'))).toEqual(await treeHashes(path('store')))
    }
  )

  it(
    'formats a tape and refuses an encrypted pool before writing to it',
    { timeout: 180_000 },
    async () => {
      const pw = path('password')
      await writeFile(pw, 'secret-password-1\n', { mode: 0o600 })
      const key = json(
        'home',
        'key',
        'create',
        '--hint',
        'h',
        '--kdf',
        'pbkdf2',
        '--password-file',
        pw
      ) as {
        fingerprint: string
      }
      run('home', 'pool', 'create', 'secure', '--encrypt', key.fingerprint)
      run('home', 'load-media', 'VT0003', '--drive', 'vdrive')
      run('home', 'label', '--drive', 'vdrive', '--label-text', 'VT0003', '--pool', 'secure')
      const refused = tapedeck(path('home'), ['backup', 'store1', 'secure', '--drive', 'vdrive'])
      expect(refused.code).not.toBe(0)
      expect(refused.stdout + refused.stderr).toContain('a PBS virtual drive cannot encrypt')
      // Only the media label is on the tape; the inventory did not put it into a set.
      expect(await readFile(join(tapes(), 'tape-VT0003.json'), 'utf8')).toBe('{\n  "files": 1\n}')
      const vt3 = (json('home', 'media', 'list') as Media[]).find(
        (m) => m['label-text'] === 'VT0003'
      )
      expect(vt3?.['media-set-uuid'] ?? '00000000-0000-0000-0000-000000000000').toBe(
        '00000000-0000-0000-0000-000000000000'
      )

      run('home', 'format', '--drive', 'vdrive')
      expect(await readFile(join(tapes(), 'tape-VT0003.json'), 'utf8')).toBe('{\n  "files": 0\n}')
      expect((json('home', 'media', 'list') as Media[]).map((m) => m['label-text'])).not.toContain(
        'VT0003'
      )
    }
  )
})
