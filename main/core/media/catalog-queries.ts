/**
 * Media-set queries over the catalog tables (schema: migrations/0004-catalog.ts). Joins that
 * must start from a particular table say so with CROSS JOIN, which SQLite never reorders: the
 * database carries no ANALYZE statistics and the plans must not depend on luck.
 */
import { DigestSet } from '../datastore/digest-set'
import { CHUNK_DIGEST_SIZE } from '../format/media-catalog-records'
import {
  KEY_SIZE,
  MAX_PARAMS,
  blob,
  groups,
  marks,
  rows,
  takeWriteLock,
  type Conn
} from './catalog-sql'
import type {
  ArchiveLocation,
  MediaContentEntry,
  MediaContentFilter,
  MediaSetInfo,
  SetChunkArchive,
  SetSnapshot
} from './catalog-types'
import type { Db } from '../db/connection'

/** Chunks fetched per query when reading archives (2 MiB of digests). */
const BATCH_CHUNKS = 1 << 16

async function setId(conn: Conn, uuid: string): Promise<number | undefined> {
  const [row] = await rows<{ id: number }>(conn, 'SELECT id FROM media_sets WHERE uuid = ?', [uuid])
  return row?.id
}

/** Consecutive archives whose chunks add up to about `BATCH_CHUNKS` (one archive at least). */
function* batches<T extends { count: number }>(files: readonly T[]): Generator<T[]> {
  let batch: T[] = []
  let n = 0
  for (const f of files) {
    if (batch.length > 0 && (n + f.count > BATCH_CHUNKS || batch.length >= MAX_PARAMS)) {
      yield batch
      batch = []
      n = 0
    }
    batch.push(f)
    n += f.count
  }
  if (batch.length > 0) yield batch
}

/**
 * Reads the packed digests of chunk archives, a batch of archives per query (SQLite concatenates
 * each archive's digests into one BLOB: a few hundred rows for a whole media set instead of one
 * row object per chunk). `load` must be called in the order of `files`.
 */
export class ArchiveDigestLoader {
  private readonly pending: Generator<{ id: number; count: number }[]>
  private loaded = new Map<number, Uint8Array>()

  constructor(
    private readonly conn: Conn,
    files: readonly { id: number; count: number }[],
    private readonly ordered = true
  ) {
    this.pending = batches(files)
  }

  async load(fileId: number): Promise<Uint8Array> {
    for (;;) {
      const hit = this.loaded.get(fileId)
      if (hit !== undefined) {
        this.loaded.delete(fileId)
        return hit
      }
      const next = this.pending.next()
      if (next.done) throw new Error(`chunk archive ${fileId} requested out of order`)
      this.loaded = await this.fetch(next.value)
    }
  }

  private async fetch(batch: { id: number; count: number }[]): Promise<Map<number, Uint8Array>> {
    const order = this.ordered ? ' ORDER BY seq' : ''
    const found = await rows<{ file_id: number; d: Buffer | null }>(
      this.conn,
      `SELECT file_id, CAST(group_concat(digest, ''${order}) AS BLOB) AS d FROM catalog_chunks
       WHERE file_id IN (${marks(batch.length)}) GROUP BY file_id`,
      batch.map((f) => f.id)
    )
    const out = new Map<number, Uint8Array>()
    for (const f of batch) out.set(f.id, new Uint8Array(0))
    for (const r of found) if (r.d !== null) out.set(r.file_id, r.d)
    return out
  }
}

interface SetArchiveRow {
  id: number
  count: number
  file_number: number
  media_uuid: string
  seq_nr: number
  store: string
}

async function setArchives(conn: Conn, uuid: string, store?: string): Promise<SetArchiveRow[]> {
  const id = await setId(conn, uuid)
  if (id === undefined) return []
  return rows<SetArchiveRow>(
    conn,
    `SELECT f.id, f.chunk_count AS count, f.file_number, t.media_uuid, t.seq_nr, s.name AS store
     FROM catalog_tapes t CROSS JOIN catalog_files f ON f.tape_id = t.id
     JOIN catalog_stores s ON s.id = f.store_id
     WHERE t.media_set_id = ? AND f.kind = 1 ${store === undefined ? '' : 'AND s.name = ?'}
     ORDER BY t.seq_nr, f.file_number`,
    store === undefined ? [id] : [id, store]
  )
}

export async function scanChunkArchives(
  db: Db,
  uuid: string,
  visit: (archive: SetChunkArchive) => void | Promise<void>,
  store?: string
): Promise<void> {
  const files = await setArchives(db, uuid, store)
  const loader = new ArchiveDigestLoader(db, files)
  for (const f of files) {
    await visit({
      mediaUuid: f.media_uuid,
      seqNr: f.seq_nr,
      fileNumber: f.file_number,
      store: f.store,
      digests: await loader.load(f.id)
    })
  }
}

export async function mediaSetChunkSet(db: Db, uuid: string, store?: string): Promise<DigestSet> {
  const files = await setArchives(db, uuid, store)
  const set = new DigestSet(files.reduce((n, f) => n + f.count, 0))
  const loader = new ArchiveDigestLoader(db, files, false)
  for (const f of files) {
    const packed = await loader.load(f.id)
    for (let at = 0; at < packed.length; at += CHUNK_DIGEST_SIZE) {
      set.add(packed.subarray(at, at + CHUNK_DIGEST_SIZE))
    }
  }
  return set
}

export async function snapshotInSet(
  db: Db,
  uuid: string,
  store: string,
  snapshot: string
): Promise<boolean> {
  const found = await rows<{ one: number }>(
    db,
    `SELECT 1 AS one FROM catalog_files f CROSS JOIN catalog_tapes t ON t.id = f.tape_id
     WHERE f.kind = 2 AND f.snapshot = ?
       AND f.store_id = (SELECT id FROM catalog_stores WHERE name = ?)
       AND t.media_set_id = (SELECT id FROM media_sets WHERE uuid = ?)
     LIMIT 1`,
    [snapshot, store, uuid]
  )
  return found.length > 0
}

/**
 * Rows of one column list come back as one newline-joined text: node-sqlite3 costs about 2 µs per
 * row and column, group_concat well under 1 µs per row. Snapshot paths hold neither tab nor
 * newline (safe-id characters only), ids are integers.
 */
async function lines(conn: Conn, sql: string, bindings: readonly unknown[]): Promise<string[]> {
  const [row] = await rows<{ text: string | null }>(conn, sql, bindings)
  return row?.text == null ? [] : row.text.split('\n')
}

interface SetTapeRow {
  id: number
  media_uuid: string
  label_text: string
  seq_nr: number
}

async function storeNames(conn: Conn): Promise<Map<number, string>> {
  const found = await rows<{ id: number; name: string }>(
    conn,
    'SELECT id, name FROM catalog_stores'
  )
  return new Map(found.map((r) => [r.id, r.name]))
}

export async function snapshotsInSet(db: Db, uuid: string, store?: string): Promise<SetSnapshot[]> {
  const id = await setId(db, uuid)
  if (id === undefined) return []
  const tapes = new Map(
    (
      await rows<SetTapeRow>(
        db,
        `SELECT t.id, t.media_uuid, m.label_text, t.seq_nr FROM catalog_tapes t
         JOIN media m ON m.uuid = t.media_uuid WHERE t.media_set_id = ?`,
        [id]
      )
    ).map((t) => [t.id, t])
  )
  const stores = await storeNames(db)
  const list = await lines(
    db,
    `SELECT group_concat(f.tape_id || char(9) || f.file_number || char(9) || f.store_id || char(9) ||
       f.snapshot, char(10) ORDER BY t.seq_nr, f.file_number) AS text
     FROM catalog_tapes t CROSS JOIN catalog_files f ON f.tape_id = t.id
     WHERE t.media_set_id = ? AND f.kind = 2
       ${store === undefined ? '' : 'AND f.store_id = (SELECT id FROM catalog_stores WHERE name = ?)'}`,
    store === undefined ? [id] : [id, store]
  )
  return list.map((line) => {
    const [tapeId, fileNumber, storeId, snapshot] = line.split('\t')
    const tape = tapes.get(Number(tapeId))!
    return {
      snapshot: snapshot!,
      store: stores.get(Number(storeId))!,
      mediaUuid: tape.media_uuid,
      labelText: tape.label_text,
      seqNr: tape.seq_nr,
      fileNumber: Number(fileNumber)
    }
  })
}

/** The snapshot paths of one datastore in the set: what a backup job skips. */
export async function snapshotSet(db: Db, uuid: string, store: string): Promise<Set<string>> {
  return new Set(
    await lines(
      db,
      `SELECT group_concat(f.snapshot, char(10)) AS text
       FROM catalog_tapes t CROSS JOIN catalog_files f ON f.tape_id = t.id
       WHERE t.media_set_id = (SELECT id FROM media_sets WHERE uuid = ?) AND f.kind = 2
         AND f.store_id = (SELECT id FROM catalog_stores WHERE name = ?)`,
      [uuid, store]
    )
  )
}

/**
 * Adds the lookup keys of the set's chunk archives not indexed yet, sorted, in one transaction
 * (each key page is written once, however many chunks). Returns the number of chunks indexed.
 */
export async function ensureSetIndexed(db: Db, uuid: string): Promise<number> {
  const id = await setId(db, uuid)
  if (id === undefined) return 0
  const missing = `FROM catalog_tapes t CROSS JOIN catalog_files f ON f.tape_id = t.id
    WHERE t.media_set_id = ? AND f.kind = 1 AND f.indexed = 0`
  const [todo] = await rows<{ files: number }>(db, `SELECT count(*) AS files ${missing}`, [id])
  if (todo!.files === 0) return 0
  return db.transaction(async (trx) => {
    await takeWriteLock(trx)
    const [n] = await rows<{ chunks: number | null }>(
      trx,
      `SELECT sum(f.chunk_count) AS chunks ${missing}`,
      [id]
    )
    await trx.raw(
      `INSERT INTO catalog_chunk_keys (media_set_id, key, file_id, seq)
       SELECT ?, substr(c.digest, 1, ${KEY_SIZE}), c.file_id, c.seq
       FROM catalog_tapes t CROSS JOIN catalog_files f ON f.tape_id = t.id
       CROSS JOIN catalog_chunks c ON c.file_id = f.id
       WHERE t.media_set_id = ? AND f.kind = 1 AND f.indexed = 0
       ORDER BY 2, 3, 4`,
      [id, id]
    )
    await trx.raw(
      `UPDATE catalog_files SET indexed = 1 WHERE kind = 1 AND indexed = 0
       AND tape_id IN (SELECT id FROM catalog_tapes WHERE media_set_id = ?)`,
      [id]
    )
    return n!.chunks ?? 0
  })
}

export async function chunkLocations(
  db: Db,
  uuid: string,
  digests: readonly Uint8Array[],
  store?: string
): Promise<(ArchiveLocation | undefined)[]> {
  const result = new Array<ArchiveLocation | undefined>(digests.length).fill(undefined)
  await ensureSetIndexed(db, uuid)
  const id = await setId(db, uuid)
  if (id === undefined) return result
  const wanted = new Map<string, number[]>()
  digests.forEach((d, i) => {
    if (d.length !== CHUNK_DIGEST_SIZE) {
      throw new RangeError(`chunk digest #${i} has ${d.length} bytes instead of 32`)
    }
    const hex = blob(d).toString('hex')
    const list = wanted.get(hex)
    if (list === undefined) wanted.set(hex, [i])
    else list.push(i)
  })
  const keys = [...new Set([...wanted.keys()].map((h) => h.slice(0, 2 * KEY_SIZE)))]
  for (const group of groups(keys, MAX_PARAMS)) {
    const found = await rows<{
      digest: Buffer
      file_number: number
      media_uuid: string
      label_text: string
      seq_nr: number
      store: string
    }>(
      db,
      `SELECT c.digest, f.file_number, t.media_uuid, m.label_text, t.seq_nr, s.name AS store
       FROM catalog_chunk_keys k
       CROSS JOIN catalog_chunks c ON c.file_id = k.file_id AND c.seq = k.seq
       CROSS JOIN catalog_files f ON f.id = k.file_id
       CROSS JOIN catalog_tapes t ON t.id = f.tape_id
       JOIN catalog_stores s ON s.id = f.store_id
       JOIN media m ON m.uuid = t.media_uuid
       WHERE k.media_set_id = ? AND k.key IN (${marks(group.length)}) AND t.media_set_id = ?
       ${store === undefined ? '' : 'AND s.name = ?'}`,
      [id, ...group.map((h) => Buffer.from(h, 'hex')), id, ...(store === undefined ? [] : [store])]
    )
    for (const r of found) {
      const at = wanted.get(r.digest.toString('hex'))
      if (at === undefined) continue
      const loc: ArchiveLocation = {
        mediaUuid: r.media_uuid,
        labelText: r.label_text,
        seqNr: r.seq_nr,
        fileNumber: r.file_number,
        store: r.store
      }
      for (const i of at) {
        const old = result[i]
        if (
          old === undefined ||
          loc.seqNr < old.seqNr ||
          (loc.seqNr === old.seqNr && loc.fileNumber < old.fileNumber)
        ) {
          result[i] = loc
        }
      }
    }
  }
  return result
}

export async function mediaContent(
  db: Db,
  filter: MediaContentFilter
): Promise<MediaContentEntry[]> {
  const where: string[] = []
  const args: unknown[] = []
  const add = (sql: string, value: unknown): void => {
    where.push(sql)
    args.push(value)
  }
  if (filter['label-text'] !== undefined) add('m.label_text = ?', filter['label-text'])
  if (filter.media !== undefined) add('m.uuid = ?', filter.media.toLowerCase())
  if (filter['media-set'] !== undefined) add('ms.uuid = ?', filter['media-set'].toLowerCase())
  if (filter.pool !== undefined) add('coalesce(m.media_set_pool, ms.pool, m.pool) = ?', filter.pool)
  const tapesOf = `FROM media m CROSS JOIN catalog_tapes t ON t.media_uuid = m.uuid
    JOIN media_sets ms ON ms.id = t.media_set_id`
  const cond = where.map((w) => ` AND ${w}`).join('')
  const tapes = new Map(
    (
      await rows<{
        id: number
        label_text: string
        uuid: string
        set_uuid: string
        set_name: string | null
        set_ctime: number | null
        seq_nr: number
        pool: string | null
      }>(
        db,
        `SELECT t.id, m.label_text, m.uuid, ms.uuid AS set_uuid, ms.name AS set_name,
           CASE WHEN m.media_set_uuid = ms.uuid THEN m.media_set_ctime ELSE ms.ctime END AS set_ctime,
           t.seq_nr, coalesce(m.media_set_pool, ms.pool, m.pool) AS pool
         ${tapesOf} WHERE 1 ${cond}`,
        args
      )
    ).map((t) => [t.id, t])
  )
  if (tapes.size === 0) return []
  const stores = await storeNames(db)
  const list = await lines(
    db,
    `SELECT group_concat(f.tape_id || char(9) || f.store_id || char(9) || f.snapshot, char(10)
       ORDER BY ms.uuid, t.seq_nr, s.name, f.snapshot) AS text
     ${tapesOf} CROSS JOIN catalog_files f ON f.tape_id = t.id
     JOIN catalog_stores s ON s.id = f.store_id
     WHERE f.kind = 2 ${cond}`,
    args
  )
  const out: MediaContentEntry[] = []
  for (const line of list) {
    const [tapeId, storeId, snapshot] = line.split('\t') as [string, string, string]
    // paths were validated when recorded: the last three parts are type, id and time
    const parts = snapshot.split('/')
    const [type, id, time] = parts.slice(-3) as [string, string, string]
    if (filter['backup-type'] !== undefined && type !== filter['backup-type']) continue
    if (filter['backup-id'] !== undefined && id !== filter['backup-id']) continue
    const tape = tapes.get(Number(tapeId))!
    const entry: MediaContentEntry = {
      'label-text': tape.label_text,
      uuid: tape.uuid,
      'media-set-uuid': tape.set_uuid,
      'media-set-ctime': tape.set_ctime ?? 0,
      'seq-nr': tape.seq_nr,
      pool: tape.pool ?? '',
      store: stores.get(Number(storeId))!,
      snapshot,
      'backup-time': Date.parse(time) / 1000
    }
    if (tape.set_name !== null) entry['media-set-name'] = tape.set_name
    out.push(entry)
  }
  return out
}

export async function mediaSets(db: Db, pool?: string): Promise<MediaSetInfo[]> {
  const found = await rows<{
    uuid: string
    pool: string | null
    ctime: number | null
    encryption_fingerprint: string | null
    name: string | null
    tapes: number
  }>(
    db,
    `SELECT ms.uuid, ms.pool, ms.ctime, ms.encryption_fingerprint, ms.name, count(t.id) AS tapes
     FROM media_sets ms LEFT JOIN catalog_tapes t ON t.media_set_id = ms.id
     ${pool === undefined ? '' : 'WHERE ms.pool = ?'}
     GROUP BY ms.id ORDER BY ms.ctime, ms.uuid`,
    pool === undefined ? [] : [pool]
  )
  return found.map((r) => {
    const info: MediaSetInfo = { uuid: r.uuid, tapes: r.tapes }
    if (r.pool !== null) info.pool = r.pool
    if (r.ctime !== null) info.ctime = r.ctime
    if (r.encryption_fingerprint !== null) info.encryptionKeyFingerprint = r.encryption_fingerprint
    if (r.name !== null) info.name = r.name
    return info
  })
}
