/**
 * Hardware encryption per media pool, end to end on the virtual library (issue 6): a backup into
 * an encrypted pool spanning several tapes writes labels in clear (the media-set label carrying
 * the password-protected key config) and data files encrypted with the set's drive key. Then, on
 * a fresh home that has nothing but the tape directory: labels and inventory read, the restore
 * refuses with a clear error naming the fingerprint and writes nothing, `key restore --drive` with
 * the password brings the key back from a tape, and the full restore is byte-identical.
 */
import { createHash } from 'node:crypto'
import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDatastore } from '../../main/core/datastore/datastore-writer'
import { Datastore, type SnapshotInfo } from '../../main/core/datastore/datastore'
import { writeDemoDatastore } from '../../main/core/datastore/demo'
import { snapshotDir } from '../../main/core/datastore/layout'
import { mediaSetKey } from '../../main/core/crypto/media-set-key'
import { VirtualLibrary } from '../../main/core/devices/virtual'
import { BlockedReader } from '../../main/core/format/blocked-reader'
import { tapedeck } from '../helpers/cli'
import { tempCore, tempDir } from '../helpers/temp'

type Core = Awaited<ReturnType<typeof tempCore>>
let core: Core
let work: Awaited<ReturnType<typeof tempDir>>
let source: Datastore
let setUuid: string
let fingerprint: string
const MIB = 1024 * 1024
const PASSWORD = 'correct horse battery staple'

async function task(c: Core, started: Promise<{ upid: string }>) {
  const { upid } = await started
  const info = await c.tasks.wait(upid)
  const log = (await c.api.invoke('task.log', { upid, limit: 50000 })).lines.map((l) => l.text)
  return { info, log: log.join('\n') }
}

async function ok(c: Core, started: Promise<{ upid: string }>) {
  const { info, log } = await task(c, started)
  expect(info.state, log).toBe('ok')
  return log
}

async function members(c: Core) {
  return (await c.api.invoke('media.list', {}))
    .filter((m) => m['media-set-uuid'] === setUuid)
    .sort((a, b) => (a['seq-nr'] ?? 0) - (b['seq-nr'] ?? 0))
}

/** [relative path, sha256] of every file under `root`, sorted (the lock file aside). */
async function treeHashes(root: string): Promise<[string, string][]> {
  const out: [string, string][] = []
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name === '.lock') continue
    const path = join(entry.parentPath, entry.name)
    const hash = createHash('sha256')
      .update(await readFile(path))
      .digest('hex')
    out.push([relative(root, path), hash])
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : 1))
}

/** The raw virtual tape files: data files (n ≥ 2) and label files (0, 1) of every tape. */
async function rawTapeFiles() {
  const lib = join(work.path, 'lib')
  const data: Buffer[] = []
  const labels: Buffer[] = []
  for (const name of await readdir(lib)) {
    const m = /^tapefile-(\d+)-\w+\.json$/.exec(name)
    if (!m) continue
    ;(Number(m[1]) >= 2 ? data : labels).push(await readFile(join(lib, name)))
  }
  return { data, labels, lib }
}

/** The payload of every data file (2 on) of `labels`, read through drive 0 with `key`. */
async function readDataFiles(labels: string[], key: Buffer | undefined): Promise<Buffer> {
  const library = await VirtualLibrary.open(join(work.path, 'lib'))
  const parts: Buffer[] = []
  try {
    const changer = library.changer()
    for (const label of labels) {
      const loaded = (await changer.status()).drives[0]
      if (loaded.full) await changer.unload(0, loaded['loaded-slot']!)
      const slot = (await changer.status()).slots.find((s) => s['volume-tag'] === label)!
      await changer.load(slot.slot, 0)
      const drive = await library.drive(0)
      await drive.setEncryption(key)
      await drive.locateFile(2)
      for (;;) {
        const reader = await BlockedReader.open(drive)
        if (reader === 'end-of-data') break
        if (reader === 'filemark') continue
        const buf = Buffer.alloc(1 << 20)
        for (let n = await reader.read(buf); n > 0; n = await reader.read(buf))
          parts.push(Buffer.from(buf.subarray(0, n)))
      }
      await drive.close()
    }
  } finally {
    await library.close()
  }
  return Buffer.concat(parts)
}

const onTape = ([p]: [string, string]) => !/(^|\/)(owner|notes|\.protected)$/.test(p)

async function attachLibrary(c: Core) {
  const lib = join(work.path, 'lib')
  await c.api.invoke('changer.create', { name: 'lib', path: `vlib:${lib}` })
  await c.api.invoke('drive.create', {
    name: 'lib-0',
    path: `vlib:${lib}#0`,
    changer: 'lib',
    'changer-drivenum': 0
  })
}

beforeAll(async () => {
  core = await tempCore()
  work = await tempDir('tapedeck-encryption-')
  await core.api.invoke('vlib.create', {
    name: 'lib',
    path: join(work.path, 'lib'),
    drives: 1,
    slots: 10,
    tapes: 8,
    'tape-size': 6 * MIB
  })
  const path = join(work.path, 'store')
  await writeDemoDatastore(
    path,
    { seed: 11, vms: 1, cts: 1, hosts: 1, snapshots: 2, diskSize: 8 * MIB, namespaces: true },
    { prefixDirs: 'on-demand' }
  )
  await core.api.invoke('datastore.add', { name: 'store1', path })
  source = await Datastore.open(path)
}, 120_000)

afterAll(async () => {
  await core?.cleanup()
  await work?.remove()
}, 120_000)

describe('encrypted media pool', () => {
  it('pool create/update --encrypt refuses a key this home does not have', async () => {
    const unknown = Array.from({ length: 32 }, () => 'ab').join(':')
    await expect(
      core.api.invoke('pool.create', { name: 'secure', encrypt: unknown })
    ).rejects.toThrow(`no tape encryption key ${unknown}`)
    await core.api.invoke('pool.create', { name: 'secure' })
    await expect(
      core.api.invoke('pool.update', { name: 'secure', encrypt: unknown })
    ).rejects.toThrow(/no tape encryption key ab:ab/)
    const key = await core.api.invoke('key.create', {
      password: PASSWORD,
      hint: 'the staple one',
      kdf: 'pbkdf2'
    })
    fingerprint = key.fingerprint
    await core.api.invoke('pool.update', { name: 'secure', encrypt: fingerprint })
    expect((await core.api.invoke('pool.config', { name: 'secure' })).config.encrypt).toBe(
      fingerprint
    )
  })

  it('a pool whose key is missing fails before writing anything', async () => {
    const ghost = Array.from({ length: 32 }, () => 'cd').join(':')
    // Straight into media-pool.cfg, as a PBS admin copying a config in would do.
    await core.config.pools.create({ name: 'ghost', encrypt: ghost })
    await ok(core, core.api.invoke('drive.barcode-label', { drive: 'lib-0', pool: 'secure' }))
    const before = await treeHashes(join(work.path, 'lib'))
    const { info, log } = await task(
      core,
      core.api.invoke('tape.backup', { store: 'store1', pool: 'ghost', drive: 'lib-0' })
    )
    expect(info.state).toBe('error')
    expect(log).toContain(`encrypted with key ${ghost}`)
    expect(log).not.toContain('media set uuid')
    const stable = ([p]: [string, string]) => p !== 'library.json'
    expect((await treeHashes(join(work.path, 'lib'))).filter(stable)).toEqual(before.filter(stable))
  })

  it('backs up with labels in clear and data files encrypted', { timeout: 180_000 }, async () => {
    const log = await ok(
      core,
      core.api.invoke('tape.backup', { store: 'store1', pool: 'secure', drive: 'lib-0' })
    )
    setUuid = /media set uuid: (\S+)/.exec(log)![1]
    expect(log).toContain(`data files are encrypted with key ${fingerprint}`)
    const tapes = await members(core)
    expect(tapes.length).toBeGreaterThanOrEqual(2)
    for (const t of tapes) expect(t['encryption-key-fingerprint']).toBe(fingerprint)

    // A second job appends to the same set: the last tape is reprogrammed with the set's key.
    const path2 = join(work.path, 'store2')
    await writeDemoDatastore(
      path2,
      { seed: 12, vms: 1, cts: 0, hosts: 0, snapshots: 1, diskSize: MIB, namespaces: false },
      { prefixDirs: 'on-demand' }
    )
    await core.api.invoke('datastore.add', { name: 'store2', path: path2 })
    const append = await ok(
      core,
      core.api.invoke('tape.backup', { store: 'store2', pool: 'secure', drive: 'lib-0' })
    )
    expect(append).toContain(`media set uuid: ${setUuid}`)
    expect(append).toMatch(/appending to media/)

    const { data, labels, lib } = await rawTapeFiles()
    // Every set label carries the fingerprint and the wrapped key config, in clear.
    const setLabels = labels.filter((b) => b.includes('"key-config"'))
    expect(setLabels).toHaveLength((await members(core)).length)
    for (const b of setLabels) expect(b.includes(fingerprint)).toBe(true)
    // Data files are encrypted: each has its encryption records, labels have none.
    const crypt = (await readdir(lib)).filter((n) => n.endsWith('.crypt'))
    expect(crypt.length).toBe(data.length)
    expect(crypt.every((n) => !/^tapefile-[01]-/.test(n))).toBe(true)

    // Nothing of the source appears in the raw data files: chunk bytes, manifest text.
    const all = Buffer.concat(data)
    const probes: Buffer[] = []
    const snaps: SnapshotInfo[] = []
    for await (const s of source.allSnapshots()) snaps.push(s)
    for (const s of snaps.slice(0, 3)) {
      const manifest = await readFile(join(snapshotDir(source.path, s), 'index.json.blob'))
      probes.push(manifest.subarray(manifest.length - 48))
      const index = await source.readIndex(
        s,
        s.manifest!.files.find((f) => /idx$/.test(f.filename))!.filename
      )
      const chunk = await readFile(source.chunkPath(index.digest(0)))
      probes.push(chunk.subarray(chunk.length >> 1, (chunk.length >> 1) + 48))
    }
    expect(probes.length).toBeGreaterThan(0)
    for (const p of probes) expect(all.includes(p)).toBe(false)
    // Control: read through a drive with the set's key, the same files do hold them.
    const keys = JSON.parse(await readFile(join(core.home, 'tape-encryption-keys.json'), 'utf8'))
    const plain = Buffer.from(keys[0].key, 'hex')
    const setKey = mediaSetKey(plain, setUuid)
    const labelTexts = (await members(core)).map((t) => t['label-text'])
    const decrypted = await readDataFiles(labelTexts, setKey)
    for (const p of probes) expect(decrypted.includes(p)).toBe(true)
    await expect(readDataFiles(labelTexts.slice(0, 1), undefined)).rejects.toThrow(/07\/74\/01/)
    // Neither the plain pool key nor the set's drive key is on any tape (only the wrapped config).
    for (const b of [...data, ...labels]) {
      expect(b.includes(plain)).toBe(false)
      expect(b.includes(keys[0].key)).toBe(false)
      expect(b.includes(setKey)).toBe(false)
    }
  })

  it(
    'on a fresh home: labels read, restore refuses without the key, key restore --drive, identical restore',
    { timeout: 240_000 },
    async () => {
      await ok(core, core.api.invoke('drive.unload', { drive: 'lib-0' }))
      const fresh = await tempCore()
      try {
        await attachLibrary(fresh)
        // Labels are plain: the inventory works without any key.
        await ok(fresh, fresh.api.invoke('drive.inventory', { drive: 'lib-0' }))
        const tapes = await members(fresh)
        expect(tapes.map((t) => t.uuid)).toEqual((await members(core)).map((t) => t.uuid))
        for (const t of tapes) expect(t['encryption-key-fingerprint']).toBe(fingerprint)

        // A different key in the store does not help: the label names another fingerprint.
        const other = await fresh.api.invoke('key.create', {
          password: 'another password',
          hint: 'other',
          kdf: 'pbkdf2'
        })
        expect(other.fingerprint).not.toBe(fingerprint)

        const target = join(work.path, 'target')
        await createDatastore(target, { prefixDirs: 'on-demand' })
        await fresh.api.invoke('datastore.add', { name: 'target', path: target })
        const empty = await treeHashes(target)
        const refused = await task(
          fresh,
          fresh.api.invoke('tape.restore', {
            'media-set': setUuid,
            store: 'store1=target',
            drive: 'lib-0'
          })
        )
        expect(refused.info.state).toBe('error')
        expect(refused.log).toContain(`encrypted with key ${fingerprint}`)
        expect(refused.log).toContain('tapedeck key restore')
        expect(await treeHashes(target)).toEqual(empty)

        // The catalog cannot be read either, and says why.
        const catalog = await task(
          fresh,
          fresh.api.invoke('drive.catalog', {
            drive: 'lib-0',
            'label-text': tapes[0]['label-text']
          })
        )
        expect(catalog.info.state).toBe('error')
        expect(catalog.log).toContain(`encrypted with key ${fingerprint}`)
        // The debug scan describes the labels and reports the data files as undecryptable.
        const blind = await task(fresh, fresh.api.invoke('drive.scan', { drive: 'lib-0' }))
        expect(blind.log).toContain('its data files cannot be read')
        expect(blind.log).toMatch(/file 2: .*07\/74\/01/)

        // A wrong password names the key's hint and imports nothing.
        await expect(
          fresh.api.invoke('key.restore', { drive: 'lib-0', password: 'wrong password' })
        ).rejects.toThrow(`unable to decrypt key ${fingerprint}: wrong password`)
        expect((await fresh.api.invoke('key.list', {})).map((k) => k.fingerprint)).toEqual([
          other.fingerprint
        ])

        // The key from the tape in the drive, with the password; its labels read without a key.
        await ok(
          fresh,
          fresh.api.invoke('drive.load-media', {
            drive: 'lib-0',
            'label-text': tapes[1]['label-text']
          })
        )
        const label = await fresh.api.invoke('drive.read-label', { drive: 'lib-0' })
        expect(JSON.stringify(label)).toContain(setUuid)
        // `tapedeck key restore --drive`, the command an admin types (password from a file).
        const pwFile = join(work.path, 'password.txt')
        await writeFile(pwFile, PASSWORD + '\n', { mode: 0o600 })
        const cli = tapedeck(fresh.home, [
          'key',
          'restore',
          '--drive',
          'lib-0',
          '--password-file',
          pwFile
        ])
        expect(cli.code, cli.stderr).toBe(0)
        expect(cli.stdout).toContain(`restored key ${fingerprint}`)
        expect((await fresh.api.invoke('key.list', {})).map((k) => k.fingerprint)).toContain(
          fingerprint
        )

        // With the key: catalogs come back from the encrypted catalog archives ...
        const inv = await ok(
          fresh,
          fresh.api.invoke('drive.inventory', { drive: 'lib-0', catalog: true })
        )
        expect(inv).toContain('restored the catalog')

        // ... and the full restore is byte-identical.
        await ok(
          fresh,
          fresh.api.invoke('tape.restore', {
            'media-set': setUuid,
            store: 'store1=target',
            drive: 'lib-0'
          })
        )
        expect((await treeHashes(target)).length).toBeGreaterThan(20)
        expect((await treeHashes(target)).filter(onTape)).toEqual(
          (await treeHashes(source.path)).filter(onTape)
        )
        // The debug scan of the tape left in the drive now reads the data files too.
        const seen = await task(fresh, fresh.api.invoke('drive.scan', { drive: 'lib-0' }))
        expect(seen.info.state, seen.log).toBe('ok')
        expect(seen.log).toContain(`is encrypted with key ${fingerprint}`)
        expect(seen.log).toMatch(/file 2: Proxmox Backup/)
      } finally {
        await fresh.cleanup()
      }
    }
  )
})
