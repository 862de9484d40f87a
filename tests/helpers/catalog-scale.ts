/**
 * A media set at production scale in the catalog tables, built with bulk SQL (the catalog API
 * would take minutes for 100 000 snapshot commits), and the measurements the scale test and the
 * benchmark print.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { statSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { Db } from '../../main/core/db/connection'
import { CatalogStore } from '../../main/core/media/catalog-store'
import { Inventory } from '../../main/core/media/inventory'

export interface ScaleSet {
  file: string
  setUuid: string
  tapes: string[]
  /** Chunks in the set, including those recorded through the API. */
  chunks: number
  snapshots: string[]
  buildMs: number
  commit1000Ms: number
  commit20000Ms: number
  commitSnapshotMs: number
}

const now = () => performance.now()
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

function snapshotName(i: number): string {
  const group = Math.floor(i / 100)
  const time = new Date(Date.UTC(2020, 0, 1) + (i % 100) * 86_400_000 + group * 1000)
  const ns = group % 3 === 0 ? '' : `ns/site${group % 7}/`
  return `${ns}vm/${1000 + group}/${time.toISOString().replace('.000Z', 'Z')}`
}

export async function buildScaleSet(
  db: Db,
  opts: { chunks: number; snapshots: number; tapes: number; file: string }
): Promise<ScaleSet> {
  const inventory = new Inventory(db)
  const store = new CatalogStore(db)
  const setUuid = randomUUID()
  const tapes = Array.from({ length: opts.tapes }, () => randomUUID())
  for (const [seq, uuid] of tapes.entries()) {
    await inventory.store({
      label: {
        uuid,
        labelText: `SC${String(seq).padStart(4, '0')}L9`,
        ctime: 1_600_000_000,
        pool: 'scale'
      },
      mediaSet: { pool: 'scale', uuid: setUuid, seqNr: seq, ctime: 1_700_000_000 + seq }
    })
    await store.beginTape(uuid, { uuid: setUuid, seqNr: seq })
  }

  const start = now()
  const archives = Math.ceil(opts.chunks / 250)
  await db.raw(`INSERT INTO catalog_stores (name) VALUES ('store1') ON CONFLICT DO NOTHING`)
  const [{ id: storeId }] = (await db.raw(
    `SELECT id FROM catalog_stores WHERE name = 'store1'`
  )) as {
    id: number
  }[]
  const tapeIds = (await db('catalog_tapes')
    .whereIn('media_uuid', tapes)
    .orderBy('seq_nr')
    .pluck('id')) as number[]
  // Per tape: its share of chunk archives and snapshot archives, interleaved in file order.
  const snapshots = Array.from({ length: opts.snapshots }, (_, i) => snapshotName(i))
  let chunkArchive = 0
  let snapshot = 0
  let chunksLeft = opts.chunks
  await db.transaction(async (trx) => {
    for (const [t, tapeId] of tapeIds.entries()) {
      const aEnd = Math.round((archives * (t + 1)) / tapeIds.length)
      const sEnd = Math.round((opts.snapshots * (t + 1)) / tapeIds.length)
      const rows: unknown[][] = []
      let file = 2
      while (chunkArchive < aEnd || snapshot < sEnd) {
        const chunkTurn =
          chunkArchive < aEnd &&
          (snapshot >= sEnd || chunkArchive * opts.snapshots <= snapshot * archives)
        if (chunkTurn) {
          const n = Math.ceil(chunksLeft / (archives - chunkArchive))
          chunksLeft -= n
          rows.push([tapeId, file++, 1, randomBytes(16), storeId, null, n, 0])
          chunkArchive++
        } else {
          rows.push([
            tapeId,
            file++,
            2,
            randomBytes(16),
            storeId,
            snapshots[snapshot++],
            null,
            null
          ])
        }
      }
      for (let i = 0; i < rows.length; i += 1000) {
        const part = rows.slice(i, i + 1000)
        await trx.raw(
          `INSERT INTO catalog_files (tape_id, file_number, kind, content_uuid, store_id, snapshot, chunk_count, indexed)
           VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(',')}`,
          part.flat() as never[]
        )
      }
    }
  })
  for (const tapeId of tapeIds) {
    await db.transaction(async (trx) => {
      await trx.raw(
        `WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < 1000)
         INSERT INTO catalog_chunks (file_id, seq, digest)
         SELECT f.id, s.i, randomblob(32) FROM catalog_files f CROSS JOIN s
         WHERE f.tape_id = ? AND f.kind = 1 AND s.i < f.chunk_count ORDER BY f.id, s.i`,
        [tapeId]
      )
    })
  }
  const buildMs = now() - start

  // Commit points through the API, on the last tape of the big set.
  const last = tapes.at(-1)!
  let next = ((await store.catalogInfo(last))!.lastFileNumber ?? 1) + 1
  const timeCommit = async (f: () => Promise<void>) => {
    const t = now()
    await f()
    return now() - t
  }
  const c1000: number[] = []
  const c20000: number[] = []
  const cSnap: number[] = []
  for (let i = 0; i < 5; i++) {
    c1000.push(
      await timeCommit(() =>
        store.recordChunkArchive(last, next++, randomUUID(), 'store1', randomBytes(1000 * 32))
      )
    )
    c20000.push(
      await timeCommit(() =>
        store.recordChunkArchive(last, next++, randomUUID(), 'store1', randomBytes(20_000 * 32))
      )
    )
    const name = `host/commit/2024-01-0${i + 1}T00:00:00Z`
    cSnap.push(
      await timeCommit(() =>
        store.recordSnapshotArchive(last, next++, randomUUID(), 'store1', name)
      )
    )
    snapshots.push(name)
  }
  return {
    file: opts.file,
    setUuid,
    tapes,
    chunks: opts.chunks + 5 * 21_000,
    snapshots,
    buildMs,
    commit1000Ms: median(c1000),
    commit20000Ms: median(c20000),
    commitSnapshotMs: median(cSnap)
  }
}

export interface ScaleMeasures {
  chunks: number
  snapshots: number
  buildMs: number
  commit1000Ms: number
  commit20000Ms: number
  commitSnapshotMs: number
  indexMs: number
  snapshotInSetMs: number
  snapshotInSetMaxMs: number
  chunkLocationsMs: number
  found: number
  /** Digests of the set looked up per round (≈1000; random picks may repeat). */
  sampled: number
  mediaContentTapeMs: number
  mediaContentTapeRows: number
  snapshotsInSetMs: number
  chunkSetMs: number
  chunkSetSize: number
  chunkSetBytesPerChunk: number
  exportTapeMs: number
  exportTapeBytes: number
  dbBytesPerChunk: number
}

export async function measureScale(db: Db, set: ScaleSet): Promise<ScaleMeasures> {
  const store = new CatalogStore(db)
  let t = now()
  await store.indexMediaSet(set.setUuid)
  const indexMs = now() - t

  // snapshotInSet: existing and missing snapshots, one query each
  const times: number[] = []
  for (let i = 0; i < 400; i++) {
    const name =
      i % 2 === 0
        ? set.snapshots[Math.floor(Math.random() * set.snapshots.length)]!
        : `vm/${i}/2019-01-01T00:00:00Z`
    t = now()
    const hit = await store.snapshotInSet(set.setUuid, 'store1', name)
    times.push(now() - t)
    if (hit !== (i % 2 === 0)) throw new Error(`snapshotInSet wrong for ${name}`)
  }

  // chunkLocations: 1000 digests of the set spread over all archives, plus 100 unknown ones
  const files = (await db.raw(
    `SELECT f.id, f.chunk_count AS n FROM catalog_files f JOIN catalog_tapes t ON t.id = f.tape_id
     JOIN media_sets s ON s.id = t.media_set_id WHERE s.uuid = ? AND f.kind = 1`,
    [set.setUuid]
  )) as { id: number; n: number }[]
  const lookups: number[] = []
  let found = 0
  let sampled = 0
  for (let round = 0; round < 3; round++) {
    const pairs = Array.from({ length: 1000 }, () => {
      const f = files[Math.floor(Math.random() * files.length)]!
      return [f.id, Math.floor(Math.random() * f.n)]
    })
    const sample = (
      (await db.raw(
        `SELECT digest FROM catalog_chunks WHERE (file_id, seq) IN (VALUES ${pairs.map(() => '(?, ?)').join(',')})`,
        pairs.flat()
      )) as { digest: Buffer }[]
    ).map((r) => r.digest)
    const wanted = [...sample, ...Array.from({ length: 100 }, () => randomBytes(32))]
    t = now()
    const locs = await store.chunkLocations(set.setUuid, wanted)
    lookups.push(now() - t)
    found = locs.filter((l) => l !== undefined).length
    sampled = sample.length
  }

  // mediaContent of one tape: median of three (the first also warms up the JIT)
  const contentTimes: number[] = []
  let content: unknown[] = []
  for (let i = 0; i < 3; i++) {
    t = now()
    content = await store.mediaContent({ media: set.tapes[i]! })
    contentTimes.push(now() - t)
  }
  const mediaContentTapeMs = median(contentTimes)
  t = now()
  const all = await store.snapshotsInSet(set.setUuid)
  const snapshotsInSetMs = now() - t
  if (all.length !== set.snapshots.length) throw new Error('snapshotsInSet incomplete')

  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const mem = () => {
    const m = process.memoryUsage()
    return m.heapUsed + m.arrayBuffers
  }
  gc()
  const before = mem()
  t = now()
  const chunkSet = await store.mediaSetChunkSet(set.setUuid)
  const chunkSetMs = now() - t
  gc()
  const chunkSetBytes = mem() - before
  const chunkSetSize = chunkSet.size

  t = now()
  const exported = await store.exportPbsCatalog(set.tapes[0]!)
  const exportTapeMs = now() - t

  await db.raw('PRAGMA wal_checkpoint(TRUNCATE)')
  return {
    chunks: set.chunks,
    snapshots: set.snapshots.length,
    buildMs: set.buildMs,
    commit1000Ms: set.commit1000Ms,
    commit20000Ms: set.commit20000Ms,
    commitSnapshotMs: set.commitSnapshotMs,
    indexMs,
    snapshotInSetMs: times.reduce((a, b) => a + b, 0) / times.length,
    snapshotInSetMaxMs: Math.max(...times),
    chunkLocationsMs: median(lookups),
    found,
    sampled,
    mediaContentTapeMs,
    mediaContentTapeRows: content.length,
    snapshotsInSetMs,
    chunkSetMs,
    chunkSetSize,
    chunkSetBytesPerChunk: chunkSetBytes / chunkSetSize,
    exportTapeMs,
    exportTapeBytes: exported.length,
    dbBytesPerChunk: statSync(set.file).size / set.chunks
  }
}

export function printScale(m: ScaleMeasures): void {
  const ms = (x: number) => `${x.toFixed(1)} ms`
  console.log(
    [
      `catalog scale: ${m.chunks} chunks, ${m.snapshots} snapshots in one media set`,
      `  bulk build (files + chunks)          ${ms(m.buildMs)}`,
      `  commit: chunk archive 1000 chunks    ${ms(m.commit1000Ms)}`,
      `  commit: chunk archive 20000 chunks   ${ms(m.commit20000Ms)}`,
      `  commit: snapshot archive             ${ms(m.commitSnapshotMs)}`,
      `  lookup keys for the whole set        ${ms(m.indexMs)}`,
      `  snapshotInSet avg / max              ${ms(m.snapshotInSetMs)} / ${ms(m.snapshotInSetMaxMs)}`,
      `  chunkLocations ${m.sampled} + 100 unknown    ${ms(m.chunkLocationsMs)}`,
      `  mediaContent one tape (${m.mediaContentTapeRows} rows)  ${ms(m.mediaContentTapeMs)}`,
      `  snapshotsInSet (${m.snapshots} rows)      ${ms(m.snapshotsInSetMs)}`,
      `  mediaSetChunkSet                     ${ms(m.chunkSetMs)}, ${m.chunkSetBytesPerChunk.toFixed(1)} bytes/chunk`,
      `  exportPbsCatalog one tape            ${ms(m.exportTapeMs)}, ${(m.exportTapeBytes / 1e6).toFixed(1)} MB`,
      `  database file                        ${m.dbBytesPerChunk.toFixed(1)} bytes/chunk`
    ].join('\n')
  )
}
