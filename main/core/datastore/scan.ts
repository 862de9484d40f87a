/**
 * Datastore scan: how much is in a PBS datastore directory — namespaces, backup groups, finished
 * snapshots, chunks and their bytes. Walking `.chunks` (up to 65 536 prefix directories) takes a
 * while on a big store, so it runs as a task with progress.
 */
import { readdir, stat, statfs } from 'node:fs/promises'
import { join } from 'node:path'
import type { DatastoreScan } from '../api/contract'
import type { TaskContext } from '../jobs/task-runner'
import { MAX_NAMESPACE_DEPTH } from '../format/snapshot-path'
import {
  BACKUP_TIME,
  BACKUP_TYPES,
  CHUNK_DIR,
  CHUNK_NAME,
  CHUNK_PREFIX,
  SAFE_ID,
  type BackupType
} from './layout'
import { MANIFEST_BLOB_NAME } from './manifest'

async function directories(path: string): Promise<string[]> {
  try {
    const entries = await readdir(path, { withFileTypes: true })
    return entries.filter((e) => e.isDirectory()).map((e) => e.name)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false
  )
}

type Counts = Omit<DatastoreScan, 'time' | 'chunks' | 'chunk-bytes'>

/** Count groups and snapshots in one namespace directory, then descend into `ns/<child>`. */
async function scanNamespace(dir: string, depth: number, counts: Counts, ctx: TaskContext) {
  ctx.checkAbort()
  for (const type of await directories(dir)) {
    if (!BACKUP_TYPES.includes(type as BackupType)) continue
    for (const id of await directories(join(dir, type))) {
      if (!SAFE_ID.test(id)) continue
      counts.groups++
      for (const time of await directories(join(dir, type, id))) {
        if (
          BACKUP_TIME.test(time) &&
          (await exists(join(dir, type, id, time, MANIFEST_BLOB_NAME)))
        ) {
          counts.snapshots++
        }
      }
    }
  }
  if (depth >= MAX_NAMESPACE_DEPTH) return
  for (const child of await directories(join(dir, 'ns'))) {
    counts.namespaces++
    await scanNamespace(join(dir, 'ns', child), depth + 1, counts, ctx)
  }
}

export async function scanDatastore(path: string, ctx: TaskContext): Promise<DatastoreScan> {
  if (!(await exists(path))) throw new Error(`datastore directory ${path} does not exist`)
  ctx.log(`scanning datastore at ${path}`)
  const counts: Counts = { namespaces: 0, groups: 0, snapshots: 0 }
  await scanNamespace(path, 0, counts, ctx)
  ctx.log(
    `found ${counts.namespaces} namespaces, ${counts.groups} backup groups, ${counts.snapshots} finished snapshots`
  )

  const chunkDir = join(path, CHUNK_DIR)
  const prefixes = (await directories(chunkDir)).filter((name) => CHUNK_PREFIX.test(name))
  if (prefixes.length === 0) ctx.warn(`no chunk store found at ${chunkDir}`)
  let chunks = 0
  let chunkBytes = 0
  for (const [index, prefix] of prefixes.entries()) {
    ctx.checkAbort()
    const entries = await readdir(join(chunkDir, prefix), { withFileTypes: true })
    for (const entry of entries) {
      if (!entry.isFile() || !CHUNK_NAME.test(entry.name)) continue
      chunks++
      chunkBytes += (await stat(join(chunkDir, prefix, entry.name))).size
    }
    ctx.progress({
      done: index + 1,
      total: prefixes.length,
      unit: 'items',
      message: `chunk directories (${chunks} chunks so far)`
    })
  }
  ctx.log(`found ${chunks} chunks using ${chunkBytes} bytes`)
  return { time: Math.floor(Date.now() / 1000), ...counts, chunks, 'chunk-bytes': chunkBytes }
}

/** Size of the file system holding the datastore, as PBS's datastore status reports it. */
export async function diskUsage(path: string) {
  try {
    const fs = await statfs(path)
    return {
      exists: true,
      total: fs.blocks * fs.bsize,
      used: (fs.blocks - fs.bfree) * fs.bsize,
      avail: fs.bavail * fs.bsize
    }
  } catch {
    return { exists: false }
  }
}
