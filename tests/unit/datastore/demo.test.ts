import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeBlob } from '../../../main/core/datastore/blob'
import { isIndexFile, type ChunkIndex } from '../../../main/core/datastore/chunk-index'
import { createChunkChecker } from '../../../main/core/datastore/chunk-check-pool'
import { Datastore, type SnapshotInfo } from '../../../main/core/datastore/datastore'
import {
  DEMO_BASE_TIME,
  DEMO_DEFAULTS,
  writeDemoDatastore,
  type DemoProgress,
  type DemoResult,
  type DemoSpec
} from '../../../main/core/datastore/demo'
import { verifyDatastore } from '../../../main/core/datastore/verify'
import { epochToBackupTime, snapshotName } from '../../../main/core/datastore/layout'
import { zstdReady } from '../../../main/core/datastore/zstd'
import { recordingContext } from '../../helpers/task-context'
import { blobKind } from '../../../main/core/format/data-blob'
import { PxarDirDecoder } from '../../../main/core/format/pxar-decoder'
import { PXAR_ENTRY } from '../../../main/core/format/pxar-format'

const MiB = 1024 * 1024
/** 6 fixed chunks, the last one short. */
const SPEC: DemoSpec = {
  ...DEMO_DEFAULTS,
  seed: 7,
  diskSize: 5 * 4 * MiB + 100 * 1024,
  namespaces: true
}

/** Without the 65 536 chunk prefix directories: seconds less per store on ext4. */
const FAST = { prefixDirs: 'on-demand' } as const

async function scratchDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'tapedeck-demo-'))
  return { path, remove: () => rm(path, { recursive: true, force: true }) }
}

const sha256hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

/** Relative path → sha256 of every file; directories as `dir/` → ''. */
function tree(root: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const e of readdirSync(root, { recursive: true, withFileTypes: true })) {
    const rel = relative(root, join(e.parentPath, e.name))
    if (e.isDirectory()) out.set(`${rel}/`, '')
    else out.set(rel, sha256hex(readFileSync(join(root, rel))))
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

async function allSnapshots(store: Datastore): Promise<SnapshotInfo[]> {
  const out: SnapshotInfo[] = []
  for await (const s of store.allSnapshots()) out.push(s)
  return out
}

const digestsOf = (index: ChunkIndex): string[] =>
  Array.from({ length: index.count }, (_, i) => Buffer.from(index.digest(i)).toString('hex'))

async function reassemble(store: Datastore, index: ChunkIndex): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for (let i = 0; i < index.count; i++) {
    const raw = await store.readChunk(index.digest(i))
    parts.push(
      decodeBlob(raw, { digest: index.digest(i), expectedSize: index.chunkRange(i).length })
    )
  }
  return Buffer.concat(parts)
}

function bytesSource(bytes: Uint8Array) {
  let pos = 0
  return {
    async readFully(dest: Uint8Array): Promise<number> {
      const n = Math.min(dest.length, bytes.length - pos)
      dest.set(bytes.subarray(pos, pos + n))
      pos += n
      return n
    }
  }
}

describe('demo datastore', () => {
  const dirs: { path: string; remove(): Promise<void> }[] = []
  let a: string
  let b: string
  let c: string
  let resultA: DemoResult
  let resultB: DemoResult
  const progress: DemoProgress[] = []
  let store: Datastore
  let snapshots: SnapshotInfo[]

  let abortError: unknown
  let treeA: Map<string, string>

  beforeAll(async () => {
    await zstdReady()
    for (let i = 0; i < 3; i++) dirs.push(await scratchDir())
    ;[a, b, c] = dirs.map((d) => join(d.path, 'store'))
    // c: another seed, cancelled once the first VM snapshot is written (enough to compare data).
    const controller = new AbortController()
    const cancelled = writeDemoDatastore(
      c,
      { ...SPEC, seed: 8, namespaces: false },
      {
        ...FAST,
        signal: controller.signal,
        progress: (p) => {
          if (p.done >= SPEC.diskSize) controller.abort()
        }
      }
    ).catch((err: unknown) => {
      abortError = err
    })
    ;[resultA, resultB] = await Promise.all([
      writeDemoDatastore(a, SPEC, { ...FAST, progress: (p) => progress.push(p) }),
      writeDemoDatastore(b, SPEC, FAST),
      cancelled
    ])
    store = await Datastore.open(a)
    snapshots = await allSnapshots(store)
    treeA = tree(a)
  }, 60_000)

  afterAll(async () => {
    await Promise.all(dirs.map((d) => d.remove()))
  }, 60_000)

  const chunkFiles = (t: Map<string, string>): string[] =>
    [...t.keys()].filter((k) => k.startsWith('.chunks/') && !k.endsWith('/'))

  it('is byte-identical for the same seed', () => {
    expect(resultB).toEqual(resultA)
    const tb = tree(b)
    expect(treeA.size).toBeGreaterThan(100)
    expect([...tb]).toEqual([...treeA])
  })

  it('stops between chunks when cancelled', async () => {
    expect(abortError).toMatchObject({ name: 'AbortError' })
    const partial = await Datastore.open(c)
    const done = (await allSnapshots(partial)).filter((s) => s.finished)
    expect(done.map((s) => `${s.type}/${s.id}`)).toEqual(['vm/100'])
    expect(await partial.groups([])).toHaveLength(1)
  })

  it('differs for another seed (except for shared all-zero chunks)', () => {
    const zeros = [4 * MiB, SPEC.diskSize % (4 * MiB)].map((n) => {
      const hex = sha256hex(new Uint8Array(n))
      return `.chunks/${hex.slice(0, 4)}/${hex}`
    })
    const inA = new Set(chunkFiles(treeA))
    const inC = chunkFiles(tree(c))
    expect(inC.length).toBeGreaterThanOrEqual(4)
    expect(inC.filter((name) => inA.has(name) && !zeros.includes(name))).toEqual([])
  })

  it('writes a finished, verifiable snapshot for every group and day', async () => {
    expect(snapshots).toHaveLength(4 * SPEC.snapshots)
    expect(resultA.snapshots).toBe(snapshots.length)
    for (const s of snapshots) {
      expect(s.finished, snapshotName(s)).toBe(true)
      expect(s.error).toBeUndefined()
      expect(s.owner).toBe(s.type === 'host' ? 'backup@pbs' : 'root@pam')
      expect(s.manifest!.unprotected.verify_state).toBeUndefined()
      expect(s.manifest!.unprotected.chunk_upload_stats).toMatchObject({
        count: expect.any(Number)
      })
    }
    // Daily at a fixed time of night, the newest on the base date.
    const vm100 = snapshots.filter((s) => s.type === 'vm' && s.id === '100')
    expect(vm100.map((s) => s.time.slice(0, 10))).toEqual([
      '2026-01-29',
      '2026-01-30',
      '2026-01-31'
    ])
    expect(vm100[2].epoch - DEMO_BASE_TIME).toBeGreaterThanOrEqual(0)
    expect(vm100[2].epoch - DEMO_BASE_TIME).toBeLessThan(3600)
    const files = (type: string) =>
      snapshots.find((s) => s.type === type)!.manifest!.files.map((f) => f.filename)
    expect(files('vm')).toEqual(['qemu-server.conf.blob', 'drive-scsi0.img.fidx'])
    expect(files('ct')).toEqual(['pct.conf.blob', 'root.pxar.didx'])
    expect(files('host')).toEqual(['etc.pxar.didx', 'home.pxar.didx'])
  })

  it('is self-consistent: indexes, chunks and blobs match their manifests', async () => {
    const kinds = new Set<string>()
    const referenced = new Set<string>()
    let zeroChunks = 0
    for (const s of snapshots) {
      for (const f of s.manifest!.files) {
        const raw = await store.readSnapshotFile(s, f.filename)
        expect(f['crypt-mode']).toBe('none')
        if (isIndexFile(f.filename)) {
          const index = await store.readIndex(s, f.filename)
          expect(index.size).toBe(f.size)
          expect(Buffer.from(index.storedCsum).toString('hex')).toBe(f.csum)
          expect(index.computeCsum().toString('hex')).toBe(f.csum)
          expect(index.ctime).toBe(s.epoch)
          for (let i = 0; i < index.count; i++) {
            const hex = Buffer.from(index.digest(i)).toString('hex')
            if (referenced.has(hex)) continue
            referenced.add(hex)
            const chunk = await store.readChunk(hex)
            kinds.add(blobKind(chunk)!)
            const data = decodeBlob(chunk, {
              digest: index.digest(i),
              expectedSize: index.chunkRange(i).length
            })
            if (data.every((x) => x === 0)) zeroChunks++
          }
        } else {
          expect(raw.length).toBe(f.size)
          expect(sha256hex(raw)).toBe(f.csum)
          const text = Buffer.from(decodeBlob(raw)).toString()
          expect(text).toMatch(f.filename === 'pct.conf.blob' ? /^arch: amd64\n/ : /\nname: /)
        }
      }
    }
    expect(kinds).toEqual(new Set(['compressed', 'uncompressed']))
    expect(zeroChunks).toBeGreaterThanOrEqual(1)
    // Every stored chunk is referenced by some index.
    const stored = chunkFiles(treeA)
    expect(stored.length).toBe(referenced.size)
    expect(resultA.chunks).toBe(referenced.size)
    let bytes = 0
    for (const name of stored) bytes += (await stat(join(a, name))).size
    expect(resultA.chunkBytes).toBe(bytes)
  })

  it('passes the datastore verification', async () => {
    const checker = createChunkChecker(1)
    try {
      const report = await verifyDatastore(store, {}, checker, recordingContext())
      expect(report).toMatchObject({
        ok: true,
        snapshots: snapshots.length,
        chunks: resultA.chunks,
        badChunks: [],
        badFiles: []
      })
    } finally {
      await checker.close()
    }
  })

  it('shares most chunks between the snapshots of a group', async () => {
    for (const [type, id, file] of [
      ['vm', '100', 'drive-scsi0.img.fidx'],
      ['ct', '200', 'root.pxar.didx']
    ]) {
      const indexes: string[][] = []
      for (const s of snapshots.filter((x) => x.type === type && x.id === id)) {
        indexes.push(digestsOf(await store.readIndex(s, file)))
      }
      const refs = indexes.flat().length
      const distinct = new Set(indexes.flat()).size
      // A small archive has few chunks, so each change point (log, database, config) weighs more.
      expect(distinct / refs, `${type}/${id}`).toBeLessThan(type === 'vm' ? 0.6 : 0.75)
      for (let k = 1; k < indexes.length; k++) {
        const before = new Set(indexes[k - 1])
        const kept = indexes[k].filter((d) => before.has(d)).length
        expect(kept, `${type}/${id} snapshot ${k}`).toBeLessThan(indexes[k].length)
        expect(kept / indexes[k].length).toBeGreaterThan(type === 'vm' ? 0.6 : 0.4)
      }
    }
    // The VMs were cloned from one template: they share their first chunk.
    const first = async (id: string) =>
      digestsOf(
        await store.readIndex(
          snapshots.find((s) => s.id === id)!,
          'drive-scsi0.img.fidx'
        )
      )[0]
    expect(await first('100')).toBe(await first('101'))
  })

  it('makes the fixed index chunks 4 MiB with a short last one', async () => {
    const index = await store.readIndex(snapshots[0], 'drive-scsi0.img.fidx')
    expect(snapshots[0].type).toBe('vm')
    expect(index.count).toBe(6)
    expect(index.chunkRange(0).length).toBe(4 * MiB)
    expect(index.chunkRange(5).length).toBe(100 * 1024)
  })

  it('stores real pxar archives in the dynamic indexes', async () => {
    const ct = snapshots.filter((s) => s.type === 'ct').at(-1)!
    const index = await store.readIndex(ct, 'root.pxar.didx')
    expect(index.count).toBeGreaterThan(4)
    for (let i = 0; i < index.count - 1; i++) {
      const { length } = index.chunkRange(i)
      expect(length).toBeGreaterThanOrEqual(64 * 1024)
      expect(length).toBeLessThanOrEqual(4 * MiB)
    }
    const archive = await reassemble(store, index)
    expect(archive.length).toBe(index.size)
    expect(archive.readBigUInt64LE(0)).toBe(PXAR_ENTRY)
    const decoder = new PxarDirDecoder(bytesSource(archive))
    const names: string[] = []
    const contents = new Map<string, Uint8Array>()
    for await (const e of decoder) {
      names.push(e.name)
      contents.set(e.name, e.data)
    }
    expect(names).toEqual([...names].sort())
    expect(names).toContain('syslog')
    expect(Buffer.from(contents.get('hostname')!).toString()).toBe('dns\n')
    expect(Buffer.from(contents.get('syslog')!).toString()).toMatch(
      /^\w{3} [ \d]\d \d\d:\d\d:\d\d dns /
    )
  })

  it('marks the newest snapshot of the first VM protected, with notes', async () => {
    const isProtected = snapshots.filter((s) => s.protected)
    expect(isProtected.map((s) => snapshotName(s))).toEqual([
      `vm/100/${epochToBackupTime(snapshots.filter((s) => s.id === '100').at(-1)!.epoch)}`
    ])
    expect(isProtected[0].manifest!.unprotected.notes).toMatch(/\w/)
    const groups = await store.groups([])
    expect(groups.find((g) => g.id === '100')!.notes).toMatch(/^webshop: /)
  })

  it('writes a client log for host backups, not listed in the manifest', async () => {
    const host = snapshots.find((s) => s.type === 'host')!
    const log = Buffer.from(
      decodeBlob(await store.readSnapshotFile(host, 'client.log.blob'))
    ).toString()
    expect(log).toContain(`Starting backup: host/web-01/${host.time}`)
    expect(log).toContain('as etc.pxar.didx')
    expect(host.manifest!.files.map((f) => f.filename)).not.toContain('client.log.blob')
  })

  it('spreads the groups over namespaces when asked', async () => {
    expect(await store.namespaces()).toEqual([[], ['dev'], ['prod'], ['prod', 'db']])
    const where = Object.fromEntries(snapshots.map((s) => [`${s.type}/${s.id}`, s.ns.join('/')]))
    expect(where).toEqual({
      'vm/100': '',
      'vm/101': 'prod',
      'ct/200': 'prod/db',
      'host/web-01': 'dev'
    })
    expect(existsSync(join(a, 'ns', 'prod', 'ns', 'db', 'ct', '200'))).toBe(true)
    expect(existsSync(join(c, 'ns'))).toBe(false)
  })

  it('reports progress in source bytes up to the total', () => {
    expect(progress.length).toBeGreaterThan(10)
    const total = progress[0].total
    expect(progress.every((p) => p.total === total)).toBe(true)
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i].done).toBeGreaterThanOrEqual(progress[i - 1].done)
    }
    expect(progress.at(-1)!.done).toBe(total)
    expect(total).toBeGreaterThanOrEqual(resultA.logicalBytes * 0.9)
  })

  it('rejects bad specs before touching the disk', async () => {
    const path = join(tmpdir(), 'tapedeck-demo-never-created')
    await expect(writeDemoDatastore(path, { ...SPEC, snapshots: 0 })).rejects.toThrow(/snapshots/)
    await expect(writeDemoDatastore(path, { ...SPEC, diskSize: 1.5 })).rejects.toThrow(/diskSize/)
    expect(existsSync(path)).toBe(false)
  })
})
