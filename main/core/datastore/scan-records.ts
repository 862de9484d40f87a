/** The last scan of each datastore, kept in SQLite so `datastore show` and the UI can show it. */
import type { DatastoreScan } from '../api/contract'
import type { Db } from '../db/connection'

interface ScanRow {
  name: string
  time: number
  namespaces: number
  groups: number
  snapshots: number
  chunks: number
  chunk_bytes: number
}

export async function recordScan(db: Db, name: string, scan: DatastoreScan): Promise<void> {
  const { 'chunk-bytes': chunkBytes, ...counts } = scan
  const row: ScanRow = { name, ...counts, chunk_bytes: chunkBytes }
  await db('datastore_scans').insert(row).onConflict('name').merge()
}

export async function lastScan(db: Db, name: string): Promise<DatastoreScan | undefined> {
  const row: ScanRow | undefined = await db('datastore_scans').where({ name }).first()
  if (!row) return undefined
  const { name: _name, chunk_bytes, ...counts } = row
  return { ...counts, 'chunk-bytes': chunk_bytes }
}

export async function forgetScan(db: Db, name: string): Promise<void> {
  await db('datastore_scans').where({ name }).delete()
}
