/** Verification results kept in SQLite: the newest per datastore for status, any one by task id. */
import type { DatastoreStatus, VerifyResult } from '../api/contract'
import { notFound } from '../api/errors'
import type { Db } from '../db/connection'

interface VerificationRow {
  upid: string
  store: string
  time: number
  ok: number | boolean
  report: string
}

export async function recordVerification(db: Db, result: VerifyResult): Promise<void> {
  const row: VerificationRow = {
    upid: result.upid,
    store: result.store,
    time: result.time,
    ok: result.ok,
    report: JSON.stringify(result)
  }
  await db('datastore_verifications').insert(row).onConflict('upid').merge()
}

export async function verification(db: Db, upid: string): Promise<VerifyResult> {
  const row: VerificationRow | undefined = await db('datastore_verifications')
    .where({ upid })
    .first()
  if (!row) throw notFound(`no verification result for task ${upid}`)
  return JSON.parse(row.report) as VerifyResult
}

export async function lastVerification(
  db: Db,
  store: string
): Promise<DatastoreStatus['last-verify']> {
  const row: VerificationRow | undefined = await db('datastore_verifications')
    .where({ store })
    .orderBy('time', 'desc')
    .first()
  if (!row) return undefined
  const result = JSON.parse(row.report) as VerifyResult
  return {
    upid: result.upid,
    time: result.time,
    ok: result.ok,
    snapshots: result.snapshots,
    chunks: result.chunks,
    'bad-chunk-count': result['bad-chunk-count'],
    'bad-files': result['bad-files'].length
  }
}

export async function forgetVerifications(db: Db, store: string): Promise<void> {
  await db('datastore_verifications').where({ store }).delete()
}
