/**
 * `npm run bench`: the media catalog at production scale — one media set of 5 million chunks
 * (TAPEDECK_BENCH_CATALOG_CHUNKS to change) and 100 000 snapshots on 10 tapes — built with bulk
 * SQL, then the commit points and queries of backup and restore timed on it.
 */
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { openDatabase } from '../../main/core/db/connection'
import { buildScaleSet, measureScale, printScale } from '../helpers/catalog-scale'
import { tempDir } from '../helpers/temp'

const CHUNKS = Number(process.env.TAPEDECK_BENCH_CATALOG_CHUNKS ?? 5_000_000)

it(
  `media catalog with ${CHUNKS} chunks and 100 000 snapshots`,
  { timeout: 1_800_000 },
  async () => {
    const home = await tempDir('tapedeck-bench-catalog-')
    const file = join(home.path, 'tapedeck.db')
    const db = await openDatabase(file)
    try {
      const set = await buildScaleSet(db, { chunks: CHUNKS, snapshots: 100_000, tapes: 10, file })
      const m = await measureScale(db, set)
      printScale(m)
      expect(m.found).toBe(m.sampled)
      expect(m.chunkSetSize).toBe(set.chunks)
    } finally {
      await db.destroy()
      await home.remove()
    }
  }
)
