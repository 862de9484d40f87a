/** SQL helpers shared by the catalog store modules. */
import type { Knex } from 'knex'
import { CHUNK_DIGEST_SIZE } from '../format/media-catalog-records'
import type { DigestRun } from '../format/media-catalog'
import type { TapeFileKind } from './catalog-types'

export type Conn = Knex | Knex.Transaction

export const KIND_CODE: Record<TapeFileKind, number> = {
  'chunk-archive': 1,
  'snapshot-archive': 2,
  'catalog-archive': 3
}
export const KIND_NAME: Record<number, TapeFileKind> = {
  1: 'chunk-archive',
  2: 'snapshot-archive',
  3: 'catalog-archive'
}

/** Bytes of a digest prefix kept in `catalog_chunk_keys`. */
export const KEY_SIZE = 8
/** Most host parameters put into one statement (SQLite allows 32766). */
export const MAX_PARAMS = 10_000
/** Digests bound as one BLOB per insert statement. */
const INSERT_PIECE = 1 << 16

/** sqlite3 binds Buffers (not plain Uint8Arrays) as BLOBs; no copy. */
export function blob(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

export async function rows<T>(
  conn: Conn,
  sql: string,
  bindings: readonly unknown[] = []
): Promise<T[]> {
  return (await conn.raw(sql, bindings as Knex.RawBinding[])) as T[]
}

/**
 * Makes the transaction a write transaction before it reads anything. A deferred transaction that
 * reads first pins a snapshot; if another connection commits before our first write, SQLite fails
 * with SQLITE_BUSY_SNAPSHOT, which busy_timeout does not retry.
 */
export async function takeWriteLock(trx: Knex.Transaction): Promise<void> {
  await trx.raw('UPDATE catalog_tapes SET id = id WHERE 0')
}

export function packDigests(digests: readonly Uint8Array[] | Uint8Array): DigestRun {
  if (digests instanceof Uint8Array) {
    if (digests.length % CHUNK_DIGEST_SIZE !== 0) {
      throw new RangeError(`packed chunk digests: ${digests.length} bytes is not a multiple of 32`)
    }
    return { bytes: digests, count: digests.length / CHUNK_DIGEST_SIZE, stride: 32, offset: 0 }
  }
  const out = Buffer.allocUnsafe(digests.length * CHUNK_DIGEST_SIZE)
  digests.forEach((d, i) => {
    if (d.length !== CHUNK_DIGEST_SIZE) {
      throw new RangeError(`chunk digest #${i} has ${d.length} bytes instead of 32`)
    }
    out.set(d, i * CHUNK_DIGEST_SIZE)
  })
  return { bytes: out, count: digests.length, stride: 32, offset: 0 }
}

/**
 * Inserts the digests of one chunk archive, in order, as rows (file_id, seq, digest). The whole
 * run goes down as one BLOB per statement and SQLite cuts it into rows (recursive CTE + substr),
 * so 20 000 chunks cost one statement instead of 20 000 bound rows.
 */
export async function insertChunks(trx: Conn, fileId: number, run: DigestRun): Promise<void> {
  for (let first = 0; first < run.count; first += INSERT_PIECE) {
    const n = Math.min(INSERT_PIECE, run.count - first)
    const start = first * run.stride
    const piece = blob(run.bytes.subarray(start, start + (n - 1) * run.stride + run.offset + 32))
    await trx.raw(
      `WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < ?)
       INSERT INTO catalog_chunks (file_id, seq, digest)
       SELECT ?, ? + i, substr(?, i * ? + ?, 32) FROM s`,
      [n, fileId, first, piece, run.stride, run.offset + 1]
    )
  }
}

/** Splits `items` into consecutive groups of at most `max`. */
export function* groups<T>(items: readonly T[], max: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += max) yield items.slice(i, i + max)
}

export const marks = (n: number): string => new Array<string>(n).fill('?').join(',')
