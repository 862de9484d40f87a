import { spawn } from 'node:child_process'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../main/core/db/connection'
import { parsePbsCatalog } from '../../main/core/format/media-catalog'
import { CatalogStore } from '../../main/core/media/catalog-store'
import { Inventory } from '../../main/core/media/inventory'
import { catalogBytes, chunkArchive, runDigests, snapshotArchive } from '../helpers/pbs-catalog'
import { buildScaleSet, measureScale, printScale } from '../helpers/catalog-scale'
import { tempDir } from '../helpers/temp'

const digest = (s: string): Uint8Array => createHash('sha256').update(s).digest()
const digests = (prefix: string, n: number): Uint8Array[] =>
  Array.from({ length: n }, (_, i) => digest(`${prefix}-${i}`))

const SET = '11111111-2222-4333-8444-555555555555'
const SET2 = '99999999-2222-4333-8444-555555555555'
const T1 = 'aaaaaaaa-0000-4000-8000-000000000001'
const T2 = 'aaaaaaaa-0000-4000-8000-000000000002'
const T3 = 'aaaaaaaa-0000-4000-8000-000000000003'

let home: Awaited<ReturnType<typeof tempDir>>
let db: Db
let inventory: Inventory
let store: CatalogStore

beforeEach(async () => {
  home = await tempDir('tapedeck-catalog-')
  db = await openDatabase(join(home.path, 'tapedeck.db'))
  inventory = new Inventory(db)
  store = new CatalogStore(db)
})
afterEach(async () => {
  await db.destroy()
  await home.remove()
})

async function addTape(
  uuid: string,
  label: string,
  set?: string,
  seqNr = 0,
  ctime = 1_700_000_000
) {
  await inventory.store({
    label: { uuid, labelText: label, ctime: 1_600_000_000, pool: 'daily' },
    mediaSet: set ? { pool: 'daily', uuid: set, seqNr, ctime: ctime + seqNr * 100 } : undefined
  })
}

async function tableCounts() {
  const count = async (t: string) => ((await db(t).count({ n: '*' })) as { n: number }[])[0]!.n
  return {
    tapes: await count('catalog_tapes'),
    files: await count('catalog_files'),
    chunks: await count('catalog_chunks')
  }
}

describe('catalog store', () => {
  it('records archives and answers the set questions of backup and restore', async () => {
    await addTape(T1, 'TAPE01L9', SET, 0)
    await addTape(T2, 'TAPE02L9', SET, 1)
    await store.beginTape(T1, { uuid: SET, seqNr: 0 })
    const a = digests('a', 5)
    const b = digests('b', 3)
    await store.recordChunkArchive(T1, 2, randomUUID(), 'store1', a)
    await store.recordSnapshotArchive(T1, 3, randomUUID(), 'store1', 'vm/100/2024-01-01T00:00:00Z')
    // the same chunk on another datastore is a different catalog key (PBS keys by store)
    await store.recordChunkArchive(T1, 4, randomUUID(), 'store2', [a[0]!, ...b])
    await store.recordSnapshotArchive(
      T1,
      5,
      randomUUID(),
      'store2',
      'ns/prod/ct/200/2024-01-02T03:04:05Z'
    )
    await store.beginTape(T2, { uuid: SET, seqNr: 1 })
    const c = digests('c', 4)
    await store.recordChunkArchive(T2, 2, randomUUID(), 'store1', Buffer.concat(c))
    await store.recordSnapshotArchive(
      T2,
      3,
      randomUUID(),
      'store1',
      'host/web/2024-01-03T00:00:00Z'
    )
    await store.recordCatalogArchive(T2, 4, randomUUID(), {
      mediaUuid: T1,
      mediaSetUuid: SET,
      seqNr: 0
    })

    expect(await store.snapshotInSet(SET, 'store1', 'vm/100/2024-01-01T00:00:00Z')).toBe(true)
    expect(await store.snapshotInSet(SET, 'store2', 'vm/100/2024-01-01T00:00:00Z')).toBe(false)
    expect(await store.snapshotInSet(SET2, 'store1', 'vm/100/2024-01-01T00:00:00Z')).toBe(false)
    expect(await store.snapshotInSet(SET, 'store2', 'ns/prod/ct/200/2024-01-02T03:04:05Z')).toBe(
      true
    )

    const all = await store.mediaSetChunkSet(SET)
    expect(all.size).toBe(5 + 3 + 4)
    const s1 = await store.mediaSetChunkSet(SET, 'store1')
    expect(s1.size).toBe(9)
    for (const d of [...a, ...c]) expect(s1.has(d)).toBe(true)
    for (const d of b) expect(s1.has(d)).toBe(false)
    expect((await store.mediaSetChunkSet(SET2)).size).toBe(0)

    expect(
      (await store.snapshotsInSet(SET)).map((s) => [s.labelText, s.fileNumber, s.store])
    ).toEqual([
      ['TAPE01L9', 3, 'store1'],
      ['TAPE01L9', 5, 'store2'],
      ['TAPE02L9', 3, 'store1']
    ])

    const missing = digest('nowhere')
    const locs = await store.chunkLocations(SET, [c[3]!, missing, a[0]!, b[2]!, c[3]!])
    expect(locs[0]).toMatchObject({ mediaUuid: T2, labelText: 'TAPE02L9', seqNr: 1, fileNumber: 2 })
    expect(locs[1]).toBeUndefined()
    expect(locs[2]).toMatchObject({ mediaUuid: T1, fileNumber: 2, store: 'store1' })
    expect(locs[3]).toMatchObject({ mediaUuid: T1, fileNumber: 4, store: 'store2' })
    expect(locs[4]).toEqual(locs[0])
    expect((await store.chunkLocations(SET, [a[0]!], 'store2'))[0]).toMatchObject({ fileNumber: 4 })
    expect((await store.chunkLocations(SET2, [a[0]!]))[0]).toBeUndefined()

    // archives recorded after the lookup index was built are found too
    const d = digests('d', 2)
    await store.recordChunkArchive(T2, 5, randomUUID(), 'store1', d)
    expect((await store.chunkLocations(SET, [d[1]!]))[0]).toMatchObject({ fileNumber: 5 })
    expect(await store.indexMediaSet(SET)).toBe(0)

    const files = await store.tapeFiles(T2)
    expect(
      files.map((f) => [f.fileNumber, f.kind, f.chunkCount ?? f.snapshot ?? f.catalog])
    ).toEqual([
      [2, 'chunk-archive', 4],
      [3, 'snapshot-archive', 'host/web/2024-01-03T00:00:00Z'],
      [4, 'catalog-archive', { mediaUuid: T1, seqNr: 0 }],
      [5, 'chunk-archive', 2]
    ])
    expect(Buffer.from(await store.chunkArchiveDigests(T2, 2))).toEqual(Buffer.concat(c))
    expect(await store.catalogInfo(T1)).toEqual({
      mediaUuid: T1,
      mediaSet: { uuid: SET, seqNr: 0 },
      lastFileNumber: 5,
      chunkArchives: 2,
      snapshotArchives: 2,
      catalogArchives: 0,
      chunks: 9
    })

    const scanned: string[] = []
    await store.scanChunkArchives(SET, (ar) => {
      scanned.push(`${ar.seqNr}/${ar.fileNumber}/${ar.store}/${ar.digests.length / 32}`)
    })
    expect(scanned).toEqual(['0/2/store1/5', '0/4/store2/4', '1/2/store1/4', '1/5/store1/2'])

    const content = await store.mediaContent()
    expect(content).toHaveLength(3)
    expect(content[0]).toEqual({
      'label-text': 'TAPE01L9',
      uuid: T1,
      'media-set-uuid': SET,
      'media-set-ctime': 1_700_000_000,
      'seq-nr': 0,
      pool: 'daily',
      store: 'store1',
      snapshot: 'vm/100/2024-01-01T00:00:00Z',
      'backup-time': Date.UTC(2024, 0, 1) / 1000
    })
    expect((await store.mediaContent({ 'label-text': 'TAPE02L9' })).map((e) => e.snapshot)).toEqual(
      ['host/web/2024-01-03T00:00:00Z']
    )
    expect(await store.mediaContent({ media: T2, 'backup-type': 'vm' })).toEqual([])
    expect(
      (await store.mediaContent({ 'backup-type': 'ct', 'backup-id': '200' })).map((e) => e.uuid)
    ).toEqual([T1])
    expect(await store.mediaContent({ pool: 'weekly' })).toEqual([])
    expect(await store.mediaContent({ 'media-set': SET2 })).toEqual([])
    await store.setMediaSetName(SET, 'daily 2023-11-14')
    expect((await store.mediaContent({ media: T2 }))[0]!['media-set-name']).toBe('daily 2023-11-14')
    expect(await store.mediaSets('daily')).toEqual([
      {
        uuid: SET,
        pool: 'daily',
        ctime: 1_700_000_000,
        name: 'daily 2023-11-14',
        tapes: 2
      }
    ])
  })

  it('commits all or nothing and refuses what PBS would refuse', async () => {
    await addTape(T1, 'TAPE01L9', SET, 0)
    await expect(store.recordChunkArchive(T1, 2, randomUUID(), 's', [])).rejects.toThrow(
      /no catalog/
    )
    await expect(store.beginTape(T3, { uuid: SET, seqNr: 2 })).rejects.toThrow(
      /not in the inventory/
    )
    await store.beginTape(T1, { uuid: SET, seqNr: 0 })
    await store.recordChunkArchive(T1, 2, randomUUID(), 's', digests('x', 10))
    const before = await tableCounts()

    // second entry of the commit is behind the first: the whole commit is rolled back
    await expect(
      store.recordFiles(T1, [
        {
          kind: 'chunk-archive',
          fileNumber: 4,
          contentUuid: randomUUID(),
          store: 's',
          digests: digests('y', 100)
        },
        {
          kind: 'snapshot-archive',
          fileNumber: 3,
          contentUuid: randomUUID(),
          store: 's',
          snapshot: 'vm/1/2024-01-01T00:00:00Z'
        }
      ])
    ).rejects.toThrow(/not after the last recorded file 4/)
    expect(await tableCounts()).toEqual(before)
    await expect(
      store.recordSnapshotArchive(T1, 2, randomUUID(), 's', 'vm/1/2024-01-01T00:00:00Z')
    ).rejects.toThrow(/not after/)
    await expect(
      store.recordSnapshotArchive(T1, 3, randomUUID(), 's', 'vm/1/yesterday')
    ).rejects.toThrow(/invalid backup time/)
    await expect(
      store.recordChunkArchive(T1, 3, randomUUID(), 's', [new Uint8Array(31)])
    ).rejects.toThrow(/31 bytes/)
    await expect(store.recordChunkArchive(T1, 1, randomUUID(), 's', [])).rejects.toThrow(/≥ 2/)
    await expect(
      store.recordCatalogArchive(T1, 3, randomUUID(), {
        mediaUuid: T1,
        mediaSetUuid: SET2,
        seqNr: 0
      })
    ).rejects.toThrow(/catalog archive of media set/)
    expect(await tableCounts()).toEqual(before)

    // an empty chunk archive is a valid record
    await store.recordChunkArchive(T1, 3, randomUUID(), 's', [])
    expect((await store.tapeFiles(T1)).map((f) => f.chunkCount)).toEqual([10, 0])
  })

  it('follows the inventory: reallocation, another media set, removal', async () => {
    await addTape(T1, 'TAPE01L9', SET, 0)
    await addTape(T2, 'TAPE02L9', SET, 1)
    for (const [t, seq] of [
      [T1, 0],
      [T2, 1]
    ] as const) {
      await store.beginTape(t, { uuid: SET, seqNr: seq })
      await store.recordChunkArchive(t, 2, randomUUID(), 's', digests(t, 50))
      await store.recordSnapshotArchive(t, 3, randomUUID(), 's', `vm/${seq}/2024-01-01T00:00:00Z`)
    }
    const probe = [digests(T1, 1)[0]!, digests(T2, 1)[0]!]
    expect((await store.chunkLocations(SET, probe)).map((l) => l?.seqNr)).toEqual([0, 1])

    // storing the same labels again (location change, status…) keeps the catalog
    await addTape(T1, 'TAPE01L9', SET, 0)
    await inventory.setLocation(T1, 'vault-offsite')
    expect(await store.catalogInfo(T1)).toMatchObject({ chunks: 50 })

    // PBS order on reallocation: reset the catalog for the new set, then store the new label
    await store.beginTape(T1, { uuid: SET2, seqNr: 0, pool: 'daily', ctime: 1_800_000_000 })
    await addTape(T1, 'TAPE01L9', SET2, 0, 1_800_000_000)
    expect(await store.catalogInfo(T1)).toMatchObject({
      mediaSet: { uuid: SET2, seqNr: 0 },
      chunks: 0
    })
    expect(await store.snapshotInSet(SET, 's', 'vm/0/2024-01-01T00:00:00Z')).toBe(false)
    expect((await store.chunkLocations(SET, probe)).map((l) => l?.seqNr)).toEqual([undefined, 1])
    expect((await store.mediaSetChunkSet(SET)).size).toBe(50)

    // the inventory moving a tape to another set (relabel) drops its stale catalog
    await addTape(T2, 'TAPE02L9', SET2, 1, 1_800_000_000)
    expect(await store.catalogInfo(T2)).toBeUndefined()
    expect((await store.mediaSets()).map((s) => [s.uuid, s.tapes, s.ctime])).toEqual([
      [SET, 0, 1_700_000_000],
      [SET2, 1, 1_800_000_000]
    ])

    // removing the tape from the inventory removes its catalog
    await store.recordChunkArchive(T1, 2, randomUUID(), 's', digests('new', 7))
    await inventory.remove(T1)
    expect(await tableCounts()).toEqual({ tapes: 0, files: 0, chunks: 0 })
    expect(await store.destroyCatalog(T1)).toBe(false)
  })

  it('round-trips PBS binary catalogs byte for byte', async () => {
    await addTape(T1, 'TAPE01L9', SET, 3)
    const ids = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()]
    const x = digests('x', 1000)
    const bytes = await catalogBytes(T1, { uuid: SET, seqNr: 3 }, [
      chunkArchive(ids[0]!, 2, 'store1', x),
      snapshotArchive(ids[1]!, 3, 'store1', 'ns/a/ns/b/vm/100/2024-01-01T00:00:00Z'),
      // a duplicate digest inside one archive and one from an earlier archive: kept as written
      chunkArchive(ids[2]!, 5, 'store-ä', [x[0]!, digest('y'), digest('y')]),
      chunkArchive(ids[3]!, 6, 'store1', []),
      snapshotArchive(ids[4]!, 9, 'store-ä', 'host/h_1/2024-02-29T23:59:59Z')
    ])

    const summary = await store.importPbsCatalog(bytes, {
      mediaUuid: T1,
      mediaSet: { uuid: SET, seqNr: 3 }
    })
    expect(summary).toEqual({
      mediaUuid: T1,
      mediaSet: { uuid: SET, seqNr: 3 },
      lastFileNumber: 9,
      chunkArchives: 3,
      snapshotArchives: 2,
      catalogArchives: 0,
      chunks: 1003
    })
    const exported = await store.exportPbsCatalog(T1)
    expect(Buffer.from(exported).equals(Buffer.from(bytes))).toBe(true)
    expect((await store.tapeFiles(T1)).map((f) => f.contentUuid)).toEqual([
      ids[0],
      ids[1],
      ids[2],
      ids[3],
      ids[4]
    ])

    // written through the store, exported, imported again, exported again: the same bytes
    await store.recordSnapshotArchive(T1, 10, randomUUID(), 'store1', 'ct/7/2024-03-01T00:00:00Z')
    await store.recordCatalogArchive(T1, 11, randomUUID(), {
      mediaUuid: T1,
      mediaSetUuid: SET,
      seqNr: 3
    })
    await store.recordChunkArchive(T1, 12, randomUUID(), 'store1', digests('z', 20_000))
    const first = await store.exportPbsCatalog(T1)
    const loaded = parsePbsCatalog(first, { mediaUuid: T1, mediaSet: { uuid: SET, seqNr: 3 } })
    const byFile = new Map(loaded.files.map((f) => [f.fileNumber, f]))
    const z = byFile.get(12)
    expect(z?.kind === 'chunk-archive' && Buffer.from(runDigests(z.digests)[19_999]!)).toEqual(
      Buffer.from(digests('z', 20_000)[19_999]!)
    )
    expect(byFile.get(10)).toMatchObject({
      kind: 'snapshot-archive',
      store: 'store1',
      snapshot: 'ct/7/2024-03-01T00:00:00Z'
    })
    await store.destroyCatalog(T1)
    await store.importPbsCatalog(first)
    const second = await store.exportPbsCatalog(T1)
    expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true)
    expect(await store.chunkLocations(SET, [digest('y')])).toMatchObject([{ fileNumber: 5 }])

    // a tape without a media set: L0 only
    await addTape(T2, 'TAPE02L9')
    await store.beginTape(T2)
    const bare = await store.exportPbsCatalog(T2)
    expect(Buffer.from(bare).equals(Buffer.from(await catalogBytes(T2, undefined)))).toBe(true)
  })

  it('refuses bad PBS catalogs and keeps the old one', async () => {
    await addTape(T1, 'TAPE01L9', SET, 0)
    await store.beginTape(T1, { uuid: SET, seqNr: 0 })
    await store.recordChunkArchive(T1, 2, randomUUID(), 's', digests('keep', 3))
    const good = await store.exportPbsCatalog(T1)

    const other = await catalogBytes(T1, { uuid: SET2, seqNr: 0 }, [
      snapshotArchive(randomUUID(), 2, 's', 'vm/1/2024-01-01T00:00:00Z')
    ])
    await expect(store.importPbsCatalog(other)).rejects.toThrow(/inventory has 11111111/)
    await expect(store.importPbsCatalog(good.subarray(0, good.length - 1))).rejects.toThrow(
      /truncated/
    )
    await expect(store.importPbsCatalog(good.subarray(0, good.length - 25))).rejects.toThrow(
      /ends inside the chunk archive of file 2/
    )
    await expect(store.importPbsCatalog(good, { mediaUuid: T2 })).rejects.toThrow(/does not match/)
    const notInInventory = await catalogBytes(T3, { uuid: SET, seqNr: 1 })
    await expect(store.importPbsCatalog(notInInventory)).rejects.toThrow(/not in the inventory/)
    expect(Buffer.from(await store.exportPbsCatalog(T1)).equals(Buffer.from(good))).toBe(true)
  })
})

const root = fileURLToPath(new URL('../..', import.meta.url))
const jiti = join(root, 'node_modules', '.bin', 'jiti')

/** Records 200 000-chunk archives (more than the page cache holds: uncommitted pages spill into the WAL) one commit after another and reports each commit. */
const WRITER = `
import { openDatabase } from ${JSON.stringify(join(root, 'main/core/db/connection.ts'))}
import { CatalogStore } from ${JSON.stringify(join(root, 'main/core/media/catalog-store.ts'))}
import { randomBytes, randomUUID } from 'node:crypto'
const [file, tape] = process.argv.slice(2)
const store = new CatalogStore(await openDatabase(file))
for (let n = 2; ; n++) {
  await store.recordChunkArchive(tape, n, randomUUID(), 's', randomBytes(200000 * 32))
  process.stdout.write('committed ' + n + '\\n')
}
`

describe('crash safety', () => {
  it.skipIf(!existsSync(jiti))(
    'a process killed in the middle of a commit leaves exactly the committed archives',
    async () => {
      await addTape(T1, 'TAPE01L9', SET, 0)
      await store.beginTape(T1, { uuid: SET, seqNr: 0 })
      await db.destroy()
      const script = join(home.path, 'writer.ts')
      await writeFile(script, WRITER)
      const child = spawn(jiti, [script, join(home.path, 'tapedeck.db'), T1], {
        stdio: ['ignore', 'pipe', 'inherit']
      })
      let out = ''
      const exited = new Promise((resolve) => child.on('exit', resolve))
      await new Promise<void>((resolve) =>
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString()
          if ((out.match(/committed/g) ?? []).length >= 3) resolve()
        })
      )
      // let it get into the next commit, then pull the plug
      await new Promise((r) => setTimeout(r, 40))
      child.kill('SIGKILL')
      await exited
      const reported = Math.max(...[...out.matchAll(/committed (\d+)/g)].map((m) => Number(m[1])))

      db = await openDatabase(join(home.path, 'tapedeck.db'))
      store = new CatalogStore(db)
      const files = await store.tapeFiles(T1)
      const last = files.at(-1)!.fileNumber
      expect(last === reported || last === reported + 1).toBe(true)
      expect(files.map((f) => f.fileNumber)).toEqual(
        Array.from({ length: last - 1 }, (_, i) => i + 2)
      )
      expect(files.every((f) => f.chunkCount === 200_000)).toBe(true)
      const counts = await db('catalog_chunks')
        .select('file_id')
        .count({ n: '*' })
        .groupBy('file_id')
      expect(counts.map((c) => Number(c.n))).toEqual(files.map(() => 200_000))
      expect((await store.catalogInfo(T1))!.chunks).toBe(200_000 * files.length)
      // and recording goes on after the last committed file
      await store.recordChunkArchive(T1, last + 1, randomUUID(), 's', [randomBytes(32)])
    },
    60_000
  )
})

// 1 M chunks keep npm test short (~11 s); the bench runs 5 M. TAPEDECK_SCALE_CHUNKS changes it.
const SCALE_CHUNKS = Number(process.env.TAPEDECK_SCALE_CHUNKS ?? 1_000_000)

describe('scale', () => {
  it(`answers fast with ${SCALE_CHUNKS} chunks and 100 000 snapshots in one media set`, async () => {
    const built = await buildScaleSet(db, {
      chunks: SCALE_CHUNKS,
      snapshots: 100_000,
      tapes: 10,
      file: join(home.path, 'tapedeck.db')
    })
    const m = await measureScale(db, built)
    printScale(m)
    expect(m.snapshotInSetMs).toBeLessThan(5)
    expect(m.chunkLocationsMs).toBeLessThan(100)
    expect(m.mediaContentTapeMs).toBeLessThan(200)
    expect(m.chunkSetBytesPerChunk).toBeLessThanOrEqual(100)
    expect(m.chunkSetSize).toBe(built.chunks)
    expect(m.found).toBe(m.sampled)
  }, 900_000)
})
