/** Writing a datastore, reading it back, verifying it and finding damage — all on a temp dir. */
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { encodeBlob } from '../../../main/core/datastore/blob'
import { buildFixedIndex } from '../../../main/core/datastore/chunk-index'
import { createChunkChecker } from '../../../main/core/datastore/chunk-check-pool'
import { Datastore } from '../../../main/core/datastore/datastore'
import {
  DatastoreWriter,
  OwnerMismatchError,
  SnapshotExistsError,
  createDatastore
} from '../../../main/core/datastore/datastore-writer'
import { DigestSet } from '../../../main/core/datastore/digest-set'
import {
  parseNamespace,
  snapshotName,
  type SnapshotPath
} from '../../../main/core/datastore/layout'
import { encodeManifestBlob, type Manifest } from '../../../main/core/datastore/manifest'
import { verifyDatastore } from '../../../main/core/datastore/verify'
import { zstdReady } from '../../../main/core/datastore/zstd'
import { recordingContext } from '../../helpers/task-context'
import { tempDir } from '../../helpers/temp'

const sha = (data: Uint8Array) => createHash('sha256').update(data).digest()
const CHUNK = 64 * 1024
/** 'memory: 2048\n' does not compress: a 12-byte header and 13 bytes of data. */
const CONF_BLOB_SIZE = 25

beforeAll(() => zstdReady())

let dir: { path: string; remove(): Promise<void> }
beforeEach(async () => {
  dir = await tempDir('tapedeck-store-')
})
afterEach(() => dir.remove(), 120_000)

/** Writes a VM snapshot of `chunks` (data per chunk) through the writer, manifest last. */
async function writeVm(
  writer: DatastoreWriter,
  snapshot: SnapshotPath,
  chunks: Buffer[],
  owner = 'root@pam'
) {
  const digests = []
  for (const data of chunks) {
    const digest = sha(data)
    await writer.insertChunk(digest.toString('hex'), encodeBlob(data, { compress: true }))
    digests.push(digest)
  }
  const size = chunks.reduce((sum, c) => sum + c.length, 0)
  const index = buildFixedIndex({
    uuid: Buffer.alloc(16, 1),
    ctime: 0,
    size,
    chunkSize: CHUNK,
    digests
  })
  const conf = encodeBlob(Buffer.from('memory: 2048\n'), { compress: true })
  const snap = await writer.beginSnapshot(snapshot, owner)
  await snap.writeFile('drive-scsi0.img.fidx', index)
  await snap.writeFile('qemu-server.conf.blob', conf)
  const manifest: Manifest = {
    'backup-type': snapshot.type,
    'backup-id': snapshot.id,
    'backup-time': Date.parse(snapshot.time) / 1000,
    files: [
      {
        filename: 'drive-scsi0.img.fidx',
        'crypt-mode': 'none',
        size,
        csum: sha(index.subarray(4096)).toString('hex')
      },
      {
        filename: 'qemu-server.conf.blob',
        'crypt-mode': 'none',
        size: conf.length,
        csum: sha(conf).toString('hex')
      }
    ],
    unprotected: {},
    signature: null
  }
  await snap.commit(encodeManifestBlob(manifest))
  return digests
}

const vm = (id: string, time: string, ns: string[] = []): SnapshotPath => ({
  ns,
  type: 'vm',
  id,
  time
})

describe('datastore write and read', () => {
  it(
    'creates the PBS layout: 65 536 chunk directories and .lock',
    { timeout: 120_000 },
    async () => {
      const path = join(dir.path, 'store')
      await createDatastore(path)
      expect((await readdir(join(path, '.chunks'))).length).toBe(65536)
      expect(await readdir(path)).toEqual(expect.arrayContaining(['.chunks', '.lock']))
      await expect(createDatastore(path)).rejects.toThrow(/not empty/)
    }
  )

  it('lists namespaces, groups and snapshots of what it wrote', async () => {
    const path = join(dir.path, 'store')
    await createDatastore(path, { prefixDirs: 'on-demand' })
    const writer = new DatastoreWriter(path)
    const a = Buffer.alloc(CHUNK, 1)
    const b = randomBytes(CHUNK)
    await writeVm(writer, vm('100', '2024-01-01T00:00:00Z'), [a, b])
    await writeVm(writer, vm('100', '2024-01-02T00:00:00Z'), [a, a])
    await writeVm(writer, vm('300', '2024-02-01T00:00:00Z', ['prod', 'db']), [b], 'backup@pbs!tape')
    const snap = await writer.beginSnapshot(vm('100', '2024-01-03T00:00:00Z'), 'root@pam')
    await snap.writeFile('drive-scsi0.img.fidx', Buffer.alloc(10)) // never committed

    const store = await Datastore.open(path)
    expect((await store.namespaces()).map((ns) => ns.join('/'))).toEqual(['', 'prod', 'prod/db'])
    const names = []
    for await (const s of store.allSnapshots())
      names.push([snapshotName(s), s.finished, s.owner, s.size])
    expect(names).toEqual([
      ['vm/100/2024-01-01T00:00:00Z', true, 'root@pam', 2 * CHUNK + CONF_BLOB_SIZE],
      ['vm/100/2024-01-02T00:00:00Z', true, 'root@pam', 2 * CHUNK + CONF_BLOB_SIZE],
      ['vm/100/2024-01-03T00:00:00Z', false, 'root@pam', 0],
      ['ns/prod/ns/db/vm/300/2024-02-01T00:00:00Z', true, 'backup@pbs!tape', CHUNK + CONF_BLOB_SIZE]
    ])
    expect(await readFile(join(path, 'vm/100/owner'), 'utf8')).toBe('root@pam\n')
  })

  it('inserts each chunk once, touches existing ones and replaces a damaged (short) copy', async () => {
    const path = join(dir.path, 'store')
    await createDatastore(path, { prefixDirs: 'on-demand' })
    const writer = new DatastoreWriter(path)
    const data = Buffer.alloc(1000, 3)
    const hex = sha(data).toString('hex')
    const blob = encodeBlob(data)
    expect(await writer.insertChunk(hex, blob)).toBe('inserted')
    expect(await writer.insertChunk(hex, blob)).toBe('exists')
    await writeFile(join(path, '.chunks', hex.slice(0, 4), hex), blob.subarray(0, 10))
    expect(await writer.insertChunk(hex, blob)).toBe('replaced')
    expect((await readFile(join(path, '.chunks', hex.slice(0, 4), hex))).equals(blob)).toBe(true)
    expect((await readdir(join(path, '.chunks', hex.slice(0, 4)))).length).toBe(1) // no temp files left
  })

  it('never overwrites a finished snapshot, replaces an unfinished one, checks the owner', async () => {
    const path = join(dir.path, 'store')
    await createDatastore(path, { prefixDirs: 'on-demand' })
    const writer = new DatastoreWriter(path)
    const s = vm('100', '2024-01-01T00:00:00Z')
    const leftover = await writer.beginSnapshot(s, 'root@pam')
    await leftover.writeFile('stale.blob', Buffer.alloc(1))
    await writeVm(writer, s, [Buffer.alloc(CHUNK)])
    expect(await readdir(join(path, 'vm/100/2024-01-01T00:00:00Z'))).not.toContain('stale.blob')
    await expect(writer.beginSnapshot(s, 'root@pam')).rejects.toBeInstanceOf(SnapshotExistsError)
    await expect(
      writer.beginSnapshot(vm('100', '2024-01-05T00:00:00Z'), 'someone@pbs')
    ).rejects.toBeInstanceOf(OwnerMismatchError)
  })

  it('refuses names and links that would leave the datastore', async () => {
    const path = join(dir.path, 'store')
    await createDatastore(path, { prefixDirs: 'on-demand' })
    const writer = new DatastoreWriter(path)
    expect(() => parseNamespace('../etc')).toThrow(/not a valid namespace/)
    const snap = await writer.beginSnapshot(vm('100', '2024-01-01T00:00:00Z'), 'root@pam')
    await expect(snap.writeFile('../../escape.blob', Buffer.alloc(1))).rejects.toThrow(
      /not a valid/
    )
    await expect(snap.writeFile('index.json.blob', Buffer.alloc(1))).rejects.toThrow(/commit/)
    // a group directory that is a symlink to somewhere else
    await mkdir(join(dir.path, 'elsewhere'))
    await mkdir(join(path, 'ct'))
    await symlink(join(dir.path, 'elsewhere'), join(path, 'ct', '200'))
    await expect(
      writer.beginSnapshot(
        { ns: [], type: 'ct', id: '200', time: '2024-01-01T00:00:00Z' },
        'root@pam'
      )
    ).rejects.toThrow(/outside the datastore/)
    expect(await readdir(join(dir.path, 'elsewhere'))).toEqual([])
  })

  it('refuses to open a directory that is not a datastore', async () => {
    await expect(Datastore.open(join(dir.path, 'missing'))).rejects.toThrow(/does not exist/)
    await expect(Datastore.open(dir.path)).rejects.toThrow(/not a datastore/)
  })
})

describe('verify', () => {
  async function damagedStore() {
    const path = join(dir.path, 'store')
    await createDatastore(path, { prefixDirs: 'on-demand' })
    const writer = new DatastoreWriter(path)
    const shared = randomBytes(CHUNK)
    const [sharedDigest] = await writeVm(writer, vm('100', '2024-01-01T00:00:00Z'), [
      shared,
      Buffer.alloc(CHUNK, 5)
    ])
    await writeVm(writer, vm('101', '2024-01-01T00:00:00Z', ['prod']), [
      Buffer.alloc(CHUNK, 6),
      shared
    ])
    await writeVm(writer, vm('102', '2024-01-01T00:00:00Z'), [Buffer.alloc(CHUNK, 7)])
    return { path, sharedHex: sharedDigest.toString('hex') }
  }

  it('passes a clean store and names a damaged chunk with every snapshot that uses it', async () => {
    const { path, sharedHex } = await damagedStore()
    const store = await Datastore.open(path)
    const checker = createChunkChecker(1)
    const clean = await verifyDatastore(store, {}, checker, recordingContext())
    expect(clean).toMatchObject({
      ok: true,
      snapshots: 3,
      indexFiles: 3,
      chunks: 4,
      badChunks: [],
      badFiles: []
    })

    const file = join(path, '.chunks', sharedHex.slice(0, 4), sharedHex)
    const raw = await readFile(file)
    raw[raw.length - 1] ^= 0x40
    await writeFile(file, raw)
    const ctx = recordingContext()
    const damaged = await verifyDatastore(store, {}, checker, ctx)
    expect(damaged.ok).toBe(false)
    expect(damaged.badChunks).toEqual([
      {
        digest: sharedHex,
        problem: 'Data blob has wrong CRC checksum.',
        snapshots: ['vm/100/2024-01-01T00:00:00Z', 'ns/prod/vm/101/2024-01-01T00:00:00Z']
      }
    ])
    expect(ctx.warnings.join('\n')).toContain(sharedHex)

    // Limited to one snapshot or one namespace.
    const one = await verifyDatastore(
      store,
      { snapshot: vm('102', '2024-01-01T00:00:00Z') },
      checker,
      recordingContext()
    )
    expect(one).toMatchObject({ ok: true, snapshots: 1 })
    const prod = await verifyDatastore(store, { ns: ['prod'] }, checker, recordingContext())
    expect(prod.badChunks[0].snapshots).toEqual(['ns/prod/vm/101/2024-01-01T00:00:00Z'])
  })

  it('finds missing chunks, a chunk with the right CRC but wrong content, and damaged files', async () => {
    const { path } = await damagedStore()
    const store = await Datastore.open(path)
    const checker = createChunkChecker(1)
    const index = await store.readIndex(vm('100', '2024-01-01T00:00:00Z'), 'drive-scsi0.img.fidx')
    const second = Buffer.from(index.digest(1)).toString('hex')
    // Replace the chunk with another valid blob: CRC fine, digest wrong.
    await writeFile(
      store.chunkPath(second),
      encodeBlob(Buffer.alloc(CHUNK, 99), { compress: true })
    )
    const third = Buffer.from(
      (await store.readIndex(vm('102', '2024-01-01T00:00:00Z'), 'drive-scsi0.img.fidx')).digest(0)
    )
    const { rm } = await import('node:fs/promises')
    await rm(store.chunkPath(third))
    await writeFile(
      join(path, 'ns/prod/vm/101/2024-01-01T00:00:00Z/qemu-server.conf.blob'),
      'tampered'
    )

    const result = await verifyDatastore(store, {}, checker, recordingContext())
    const problems = Object.fromEntries(result.badChunks.map((c) => [c.digest, c.problem]))
    expect(problems[second]).toBe('detected chunk with wrong digest.')
    expect(problems[third.toString('hex')]).toBe('chunk file is missing')
    expect(result.badFiles).toEqual([
      {
        snapshot: 'ns/prod/vm/101/2024-01-01T00:00:00Z',
        filename: 'qemu-server.conf.blob',
        problem: expect.stringMatching(/does not match the manifest/)
      }
    ])
  })

  it('reports a damaged index or manifest without stopping', async () => {
    const { path } = await damagedStore()
    await writeFile(
      join(path, 'vm/100/2024-01-01T00:00:00Z/drive-scsi0.img.fidx'),
      Buffer.alloc(100)
    )
    await writeFile(join(path, 'vm/102/2024-01-01T00:00:00Z/index.json.blob'), Buffer.alloc(40, 1))
    const result = await verifyDatastore(
      await Datastore.open(path),
      {},
      createChunkChecker(1),
      recordingContext()
    )
    expect(result.badFiles.map((f) => [f.snapshot, f.filename, f.problem])).toEqual([
      ['vm/100/2024-01-01T00:00:00Z', 'drive-scsi0.img.fidx', expect.stringMatching(/too small/)],
      [
        'vm/102/2024-01-01T00:00:00Z',
        'index.json.blob',
        expect.stringMatching(/decode backup manifest blob failed/)
      ]
    ])
    expect(result.snapshots).toBe(3)
    expect(result.chunks).toBe(2) // vm/101's two chunks still checked
  })
})

describe('DigestSet', () => {
  it('holds many digests exactly, growing as needed', () => {
    const set = new DigestSet(4)
    const digests = Array.from({ length: 20000 }, (_, i) => sha(Buffer.from(String(i))))
    for (const d of digests) expect(set.add(d)).toBe(true)
    for (const d of digests) expect(set.add(d)).toBe(false)
    expect(set.size).toBe(20000)
    expect(digests.every((d) => set.has(d))).toBe(true)
    // Same first four bytes (same slot), different rest.
    const a = Buffer.alloc(32, 1)
    const b = Buffer.from(a)
    b[31] = 2
    expect(set.add(a)).toBe(true)
    expect(set.has(b)).toBe(false)
    expect(set.add(b)).toBe(true)
    expect(set.has(sha(Buffer.from('not there')))).toBe(false)
  })
})
