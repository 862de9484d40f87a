/**
 * Datastore verification: every file a snapshot's manifest lists is checked against its size and
 * checksum, and every chunk its indexes reference is checked once (CRC, and for unencrypted
 * chunks length and SHA-256 of the decoded data), on all cores. A bad chunk is reported with every
 * selected snapshot that uses it. Verification only reads; it never changes the datastore.
 */
import { createHash } from 'node:crypto'
import { verifyDataBlob } from '../format/data-blob'
import type { TaskContext } from '../jobs/task-runner'
import type { ChunkChecker } from './chunk-check-pool'
import type { Datastore, SnapshotInfo } from './datastore'
import { DigestSet } from './digest-set'
import { isIndexFile, type ChunkIndex } from './chunk-index'
import { snapshotName, type SnapshotPath } from './layout'

export const MAX_REPORTED_BAD_CHUNKS = 1000

export interface VerifySelection {
  ns?: string[]
  snapshot?: SnapshotPath
}

export interface VerifyReport {
  ok: boolean
  snapshots: number
  indexFiles: number
  chunks: number
  bytes: number
  badChunks: { digest: string; problem: string; snapshots: string[] }[]
  badFiles: { snapshot: string; filename: string; problem: string }[]
}

/** Collects bad chunks and which snapshots use them while checks are still in flight. */
class ChunkLedger {
  readonly good = new DigestSet(1 << 16)
  readonly bad = new Map<string, { problem: string; snapshots: string[] }>()
  private readonly pending = new Map<string, string[]>()

  /** Returns true when the chunk still needs checking (first time it is seen). */
  use(hex: string, digest: Uint8Array, snapshot: string): boolean {
    if (this.good.has(digest)) return false
    const bad = this.bad.get(hex)
    if (bad) {
      addOnce(bad.snapshots, snapshot)
      return false
    }
    const users = this.pending.get(hex)
    if (users) {
      addOnce(users, snapshot)
      return false
    }
    this.pending.set(hex, [snapshot])
    return true
  }

  settle(hex: string, digest: Uint8Array, problem: string | undefined): void {
    const users = this.pending.get(hex) ?? []
    this.pending.delete(hex)
    if (problem === undefined) this.good.add(digest)
    else this.bad.set(hex, { problem, snapshots: users })
  }
}

function addOnce(list: string[], item: string): void {
  if (list[list.length - 1] !== item && !list.includes(item)) list.push(item)
}

export async function verifyDatastore(
  store: Datastore,
  selection: VerifySelection,
  checker: ChunkChecker,
  ctx: TaskContext
): Promise<VerifyReport> {
  const snapshots = await selectSnapshots(store, selection, ctx)
  ctx.log(
    `verifying ${snapshots.length} snapshot${snapshots.length === 1 ? '' : 's'} in ${store.path} using ${checker.parallelism} thread${checker.parallelism === 1 ? '' : 's'}`
  )
  const ledger = new ChunkLedger()
  const badFiles: VerifyReport['badFiles'] = []
  const inFlight = new Set<Promise<void>>()
  const maxInFlight = checker.parallelism * 4
  let indexFiles = 0
  let chunks = 0
  let bytes = 0

  for (const [n, snapshot] of snapshots.entries()) {
    const name = snapshotName(snapshot)
    ctx.log(`verify ${name}`)
    const fileProblem = (filename: string, problem: string) => {
      badFiles.push({ snapshot: name, filename, problem })
      ctx.warn(`  ${filename}: ${problem}`)
    }
    if (snapshot.error || !snapshot.manifest) {
      fileProblem('index.json.blob', snapshot.error ?? 'manifest missing')
      continue
    }
    const files = snapshot.manifest.files
    for (const [f, file] of files.entries()) {
      ctx.checkAbort()
      if (!isIndexFile(file.filename)) {
        const problem = await checkBlobFile(store, snapshot, file.filename, file.size, file.csum)
        if (problem) fileProblem(file.filename, problem)
        continue
      }
      let index: ChunkIndex
      try {
        index = await store.readIndex(snapshot, file.filename)
      } catch (err) {
        fileProblem(file.filename, describeReadError(err))
        continue
      }
      indexFiles++
      const csum = index.computeCsum().toString('hex')
      if (csum !== file.csum)
        fileProblem(file.filename, 'index checksum does not match the manifest')
      else if (index.size !== file.size) {
        fileProblem(
          file.filename,
          `index size ${index.size} does not match the manifest (${file.size})`
        )
      }
      const encrypted = file['crypt-mode'] === 'encrypt'
      for (let i = 0; i < index.count; i++) {
        const digest = index.digest(i)
        const hex = Buffer.from(digest.buffer, digest.byteOffset, 32).toString('hex')
        if (!ledger.use(hex, digest, name)) continue
        chunks++
        const owned = new Uint8Array(digest)
        const check = checker
          .check({
            path: store.chunkPath(hex),
            digest: owned,
            expectedSize: index.chunkRange(i).length,
            encrypted
          })
          .then((result) => {
            bytes += result.bytes
            if (result.problem) ctx.warn(`  chunk ${hex}: ${result.problem}`)
            ledger.settle(hex, owned, result.problem)
          })
        inFlight.add(check)
        void check.finally(() => inFlight.delete(check))
        if (inFlight.size >= maxInFlight) await Promise.race(inFlight)
        if ((i & 63) === 0) {
          ctx.checkAbort()
          ctx.progress({
            done: n + (f + i / index.count) / files.length,
            total: snapshots.length,
            unit: 'items',
            message: `snapshot ${n + 1} of ${snapshots.length}, ${chunks} chunks, ${ledger.bad.size} bad`
          })
        }
      }
    }
    ctx.progress({
      done: n + 1,
      total: snapshots.length,
      unit: 'items',
      message: `snapshot ${n + 1} of ${snapshots.length}, ${chunks} chunks, ${ledger.bad.size} bad`
    })
  }
  await Promise.all(inFlight)

  const badChunks = [...ledger.bad].map(([digest, bad]) => ({ digest, ...bad }))
  for (const chunk of badChunks) {
    ctx.warn(
      `bad chunk ${chunk.digest} (${chunk.problem}) is used by ${chunk.snapshots.join(', ')}`
    )
  }
  const ok = badChunks.length === 0 && badFiles.length === 0
  ctx.log(
    `checked ${snapshots.length} snapshots, ${indexFiles} index files, ${chunks} chunks (${bytes} bytes): ` +
      (ok ? 'no damage found' : `${badChunks.length} bad chunks, ${badFiles.length} bad files`)
  )
  return { ok, snapshots: snapshots.length, indexFiles, chunks, bytes, badChunks, badFiles }
}

async function selectSnapshots(
  store: Datastore,
  selection: VerifySelection,
  ctx: TaskContext
): Promise<SnapshotInfo[]> {
  if (selection.snapshot) {
    const info = await store.snapshotInfo(selection.snapshot)
    if (!info.finished)
      throw new Error(`snapshot ${snapshotName(info)} is not finished (no manifest)`)
    return [info]
  }
  const out: SnapshotInfo[] = []
  for await (const info of store.allSnapshots(selection.ns ?? [])) {
    ctx.checkAbort()
    if (info.finished) out.push(info)
    else ctx.log(`skipping unfinished snapshot ${snapshotName(info)}`)
  }
  return out
}

async function checkBlobFile(
  store: Datastore,
  snapshot: SnapshotPath,
  filename: string,
  size: number,
  csum: string
): Promise<string | undefined> {
  let raw: Buffer
  try {
    raw = await store.readSnapshotFile(snapshot, filename)
  } catch (err) {
    return describeReadError(err)
  }
  if (raw.length !== size) return `size ${raw.length} does not match the manifest (${size})`
  if (createHash('sha256').update(raw).digest('hex') !== csum)
    return 'checksum does not match the manifest'
  try {
    verifyDataBlob(raw)
  } catch (err) {
    return (err as Error).message
  }
  return undefined
}

function describeReadError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return 'file is missing'
  return code ? `cannot read: ${code}` : (err as Error).message
}
