/**
 * Tape backup on the virtual library: a demo datastore into a pool whose tapes are so small that
 * the media set spans several tapes. Everything is then read back from the tapes with the format
 * readers (not through the catalog) and compared with the source datastore.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeBlob } from '../../main/core/datastore/blob'
import { Datastore, type SnapshotInfo } from '../../main/core/datastore/datastore'
import { writeDemoDatastore } from '../../main/core/datastore/demo'
import { createDatastore } from '../../main/core/datastore/datastore-writer'
import { isIndexFile } from '../../main/core/datastore/chunk-index'
import { snapshotDir, snapshotName } from '../../main/core/datastore/layout'
import { VirtualLibrary } from '../../main/core/devices/virtual'
import { BlockedReader } from '../../main/core/format/blocked-reader'
import { ChunkArchiveReader } from '../../main/core/format/chunk-archive-reader'
import { readContentHeader } from '../../main/core/format/content-header'
import { contentMagicInfo } from '../../main/core/format/magics'
import { SnapshotArchiveReader } from '../../main/core/format/snapshot-archive-reader'
import { CatalogStore } from '../../main/core/media/catalog-store'
import { tempCore, tempDir } from '../helpers/temp'

type Core = Awaited<ReturnType<typeof tempCore>>
let core: Core
let work: Awaited<ReturnType<typeof tempDir>>
let source: Datastore
let snapshots: SnapshotInfo[]
const MIB = 1024 * 1024

async function task(started: Promise<{ upid: string }>) {
  const { upid } = await started
  const info = await core.tasks.wait(upid)
  const log = (await core.api.invoke('task.log', { upid, limit: 50000 })).lines.map((l) => l.text)
  return { info, log }
}

interface TapeContent {
  label: string
  chunks: Map<string, Uint8Array>
  snapshots: Map<string, Map<string, Uint8Array>>
  catalogs: number
  files: number
}

/** Reads every file of every tape of the set straight from the virtual library. */
async function readTapes(labels: string[]): Promise<TapeContent[]> {
  const library = await VirtualLibrary.open(join(work.path, 'lib'))
  try {
    const changer = library.changer()
    const out: TapeContent[] = []
    for (const label of labels) {
      const status = await changer.status()
      const loaded = status.drives[0]
      if (loaded.full) await changer.unload(0, loaded['loaded-slot']!)
      const slot = (await changer.status()).slots.find((s) => s['volume-tag'] === label)!
      await changer.load(slot.slot, 0)
      const drive = await library.drive(0)
      await drive.rewind()
      const content: TapeContent = {
        label,
        chunks: new Map(),
        snapshots: new Map(),
        catalogs: 0,
        files: 0
      }
      for (;;) {
        const reader = await BlockedReader.open(drive)
        if (reader === 'end-of-data') break
        if (reader === 'filemark') continue
        content.files++
        const header = await readContentHeader(reader)
        const kind = contentMagicInfo(header.contentMagic)?.kind
        if (kind === 'chunk-archive') {
          const archive = await ChunkArchiveReader.fromHeader(reader, header)
          for (let e = await archive.next(); e; e = await archive.next()) {
            content.chunks.set(Buffer.from(e.digest).toString('hex'), e.blob)
          }
        } else if (kind === 'snapshot-archive') {
          const archive = await SnapshotArchiveReader.fromHeader(reader, header)
          const files = new Map((await archive.readAll()).map((f) => [f.name, f.data]))
          content.snapshots.set(archive.snapshot, files)
        } else {
          if (kind === 'catalog-archive') content.catalogs++
          await reader.skipToEnd()
        }
      }
      out.push(content)
    }
    return out
  } finally {
    await library.close()
  }
}

/** [relative path, sha256] of every file under `root`, sorted (the lock file aside). */
async function treeHashes(root: string): Promise<[string, string][]> {
  const out: [string, string][] = []
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name === '.lock') continue
    const path = join(entry.parentPath, entry.name)
    out.push([
      relative(root, path),
      createHash('sha256')
        .update(await readFile(path))
        .digest('hex')
    ])
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : 1))
}

async function setMembers(setUuid: string) {
  return (await core.api.invoke('media.list', {}))
    .filter((m) => m['media-set-uuid'] === setUuid)
    .sort((a, b) => (a['seq-nr'] ?? 0) - (b['seq-nr'] ?? 0))
}

let firstSet: string

beforeAll(async () => {
  core = await tempCore()
  work = await tempDir('tapedeck-backup-')
  await core.api.invoke('vlib.create', {
    name: 'lib',
    path: join(work.path, 'lib'),
    drives: 1,
    slots: 10,
    tapes: 8,
    'tape-size': 6 * MIB
  })
  await core.api.invoke('pool.create', { name: 'daily' })
  expect(
    (await task(core.api.invoke('drive.barcode-label', { drive: 'lib-0', pool: 'daily' }))).info
      .state
  ).toBe('ok')
  const path = join(work.path, 'store')
  await writeDemoDatastore(
    path,
    { seed: 5, vms: 2, cts: 1, hosts: 1, snapshots: 2, diskSize: 8 * MIB, namespaces: true },
    { prefixDirs: 'on-demand' }
  )
  await core.api.invoke('datastore.add', { name: 'store1', path })
  source = await Datastore.open(path)
  snapshots = []
  for await (const s of source.allSnapshots()) snapshots.push(s)
}, 120_000)
afterAll(async () => {
  await core.cleanup()
  await work.remove()
}, 120_000)

describe('tape backup', () => {
  it(
    'writes every snapshot and every chunk into one media set spanning several tapes',
    { timeout: 180_000 },
    async () => {
      const { info, log } = await task(
        core.api.invoke('tape.backup', { store: 'store1', pool: 'daily', drive: 'lib-0' })
      )
      expect(info.state, log.join('\n')).toBe('ok')
      expect(log).toContain('starting new media set - reason: pool has no media set yet')
      firstSet = /media set uuid: (\S+)/.exec(log.join('\n'))![1]
      const members = await setMembers(firstSet)
      expect(members.length).toBeGreaterThanOrEqual(3)
      expect(members.map((m) => m['seq-nr'])).toEqual(members.map((_, i) => i))
      expect(members.slice(0, -1).every((m) => m.status === 'full')).toBe(true)

      const tapes = await readTapes(members.map((m) => m['label-text']))
      // Tapes after the first carry the catalogs of the tapes before them, plus the job's catalog at the end.
      tapes.slice(1).forEach((t, i) => expect(t.catalogs).toBeGreaterThanOrEqual(i + 1))
      const chunks = new Map<string, Uint8Array>()
      const archived = new Map<string, Map<string, Uint8Array>>()
      for (const t of tapes) {
        for (const [d, b] of t.chunks) chunks.set(d, b)
        for (const [s, f] of t.snapshots) archived.set(s, f)
      }
      for (const snap of snapshots) {
        const name = snapshotName(snap)
        const files = archived.get(name)
        expect(files, `snapshot ${name} on tape`).toBeDefined()
        const dir = snapshotDir(source.path, snap)
        for (const file of snap.manifest!.files) {
          expect(
            Buffer.from(files!.get(file.filename)!).equals(await readFile(join(dir, file.filename)))
          ).toBe(true)
          if (!isIndexFile(file.filename)) continue
          const index = await source.readIndex(snap, file.filename)
          for (let i = 0; i < index.count; i++) {
            const hex = Buffer.from(index.digest(i)).toString('hex')
            const blob = chunks.get(hex)
            expect(blob, `chunk ${hex} of ${name}`).toBeDefined()
            decodeBlob(blob!, { digest: index.digest(i), expectedSize: index.chunkRange(i).length })
          }
        }
        expect(
          Buffer.from(files!.get('index.json.blob')!).equals(
            await readFile(join(dir, 'index.json.blob'))
          )
        ).toBe(true)
      }
      // Each chunk went to tape once.
      const written = tapes.reduce((n, t) => n + t.chunks.size, 0)
      expect(written).toBe(chunks.size)

      // The catalog knows every snapshot and where it is.
      const inSet = await new CatalogStore(core.db).snapshotsInSet(firstSet, 'store1')
      expect(inSet.map((s) => s.snapshot).sort()).toEqual(snapshots.map(snapshotName).sort())
    }
  )

  it('writes nothing again when nothing changed', { timeout: 120_000 }, async () => {
    const members = await setMembers(firstSet)
    const before = await readTapes(members.map((m) => m['label-text']))
    const { info, log } = await task(
      core.api.invoke('tape.backup', { store: 'store1', pool: 'daily', drive: 'lib-0' })
    )
    expect(info.state, log.join('\n')).toBe('ok')
    expect(log.join('\n')).toContain(`media set uuid: ${firstSet}`)
    expect(log.filter((l) => l.startsWith('skip snapshot'))).toHaveLength(snapshots.length)
    expect(log).toContain('no new snapshots: nothing written')
    const after = await readTapes(members.map((m) => m['label-text']))
    expect(after.map((t) => t.files)).toEqual(before.map((t) => t.files))
  })

  it(
    'restores the whole media set byte for byte into an empty datastore',
    { timeout: 180_000 },
    async () => {
      const path = join(work.path, 'restore1')
      await createDatastore(path, { prefixDirs: 'on-demand' })
      await core.api.invoke('datastore.add', { name: 'restore1', path })
      const { info, log } = await task(
        core.api.invoke('tape.restore', {
          'media-set': firstSet,
          store: 'restore1',
          drive: 'lib-0'
        })
      )
      expect(info.state, log.join('\n')).toBe('ok')
      expect(log.some((l) => l.startsWith('Required media list: TAPE01L9;TAPE02L9;TAPE03L9'))).toBe(
        true
      )
      // Group owners become the restore owner; group notes and the protected marker are not on
      // tape (as in PBS): everything else — every chunk file and snapshot file — is identical.
      const onTape = ([p]: [string, string]) => !/(^|\/)(owner|notes|\.protected)$/.test(p)
      expect((await treeHashes(path)).filter(onTape)).toEqual(
        (await treeHashes(source.path)).filter(onTape)
      )
      const owners = (await treeHashes(path)).filter(([p]) => p.endsWith('/owner'))
      expect(owners.length).toBeGreaterThan(0)
      for (const [p] of owners) expect(await readFile(join(path, p), 'utf8')).toBe('root@pam\n')
      // Restoring again skips every snapshot and writes nothing.
      const again = await task(
        core.api.invoke('tape.restore', {
          'media-set': firstSet,
          store: 'restore1',
          drive: 'lib-0'
        })
      )
      expect(again.info.state).toBe('ok')
      expect(again.log.filter((l) => l.startsWith('skip snapshot'))).toHaveLength(snapshots.length)
    }
  )

  it(
    'restores two chosen snapshots through the catalog, reading only what they need',
    { timeout: 180_000 },
    async () => {
      const path = join(work.path, 'restore2')
      await createDatastore(path, { prefixDirs: 'on-demand' })
      await core.api.invoke('datastore.add', { name: 'restore2', path })
      const chosen = [snapshots[0], snapshots[snapshots.length - 1]]
      const { info, log } = await task(
        core.api.invoke('tape.restore', {
          'media-set': firstSet,
          store: 'store1=restore2',
          drive: 'lib-0',
          snapshots: chosen.map((s) => `store1:${snapshotName(s)}`)
        })
      )
      expect(info.state, log.join('\n')).toBe('ok')
      const restored = await Datastore.open(path)
      const names: string[] = []
      for await (const s of restored.allSnapshots()) names.push(snapshotName(s))
      expect(names.sort()).toEqual(chosen.map(snapshotName).sort())
      // Every file of the chosen snapshots and every chunk they use is identical to the source.
      for (const snap of chosen) {
        const dir = snapshotDir(source.path, snap)
        const copy = snapshotDir(path, snap)
        for (const file of [...snap.manifest!.files.map((f) => f.filename), 'index.json.blob']) {
          expect((await readFile(join(copy, file))).equals(await readFile(join(dir, file)))).toBe(
            true
          )
        }
        for (const file of snap.manifest!.files.filter((f) => isIndexFile(f.filename))) {
          const index = await source.readIndex(snap, file.filename)
          for (let i = 0; i < index.count; i++) {
            const digest = index.digest(i)
            expect((await restored.readChunk(digest)).equals(await source.readChunk(digest))).toBe(
              true
            )
          }
        }
      }
      // Nothing else: only the chunks those snapshots use.
      const chunkFiles = (await treeHashes(path)).filter(([p]) => p.startsWith('.chunks/'))
      const used = new Set<string>()
      for (const snap of chosen) {
        for (const file of snap.manifest!.files.filter((f) => isIndexFile(f.filename))) {
          const index = await source.readIndex(snap, file.filename)
          for (let i = 0; i < index.count; i++)
            used.add(Buffer.from(index.digest(i)).toString('hex'))
        }
      }
      expect(chunkFiles).toHaveLength(used.size)
    }
  )
})
