/**
 * Reading a PBS datastore directory: namespaces, backup groups, snapshots with their manifests,
 * chunk indexes and chunks. Nothing here writes (see datastore-writer) and nothing walks the
 * chunk store: a snapshot's chunks are found through its indexes.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { FormatError } from '../format/format-error'
import { parseChunkIndex, type ChunkIndex } from './chunk-index'
import {
  BACKUP_TIME,
  BACKUP_TYPES,
  CHUNK_DIR,
  NOTES_FILE,
  OWNER_FILE,
  PROTECTED_FILE,
  SAFE_ID,
  backupTimeToEpoch,
  chunkPath,
  groupDir,
  namespaceDir,
  snapshotDir,
  snapshotName,
  type BackupGroup,
  type BackupType,
  type SnapshotPath
} from './layout'
import { MAX_NAMESPACE_DEPTH } from '../format/snapshot-path'
import { MANIFEST_BLOB_NAME, decodeManifestBlob, type Manifest } from './manifest'
import { zstdReady } from './zstd'

export interface GroupInfo extends BackupGroup {
  owner?: string
  notes?: string
}

export interface SnapshotInfo extends SnapshotPath {
  /** Epoch seconds of `time`. */
  epoch: number
  /** A manifest exists (PBS `is_finished`); only finished snapshots go to tape. */
  finished: boolean
  protected: boolean
  owner?: string
  manifest?: Manifest
  /** Why the manifest could not be read, when it exists but is damaged. */
  error?: string
  /** Sum of the sizes the manifest lists. */
  size: number
}

async function subdirectories(path: string): Promise<string[]> {
  try {
    const entries = await readdir(path, { withFileTypes: true })
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort()
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return []
    throw err
  }
}

async function readOptionalText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false
  )

export class Datastore {
  private constructor(readonly path: string) {}

  /** Opens a datastore directory; it must exist and hold a chunk store. */
  static async open(path: string): Promise<Datastore> {
    let info
    try {
      info = await stat(path)
    } catch {
      throw new FormatError(`datastore directory ${path} does not exist`)
    }
    if (!info.isDirectory()) throw new FormatError(`${path} is not a directory`)
    if (!(await exists(join(path, CHUNK_DIR)))) {
      throw new FormatError(`${path} is not a datastore (no ${CHUNK_DIR} directory)`)
    }
    await zstdReady()
    return new Datastore(path)
  }

  /** `ns` and every namespace below it (depth-first, sorted), up to `maxDepth` levels down. */
  async namespaces(ns: string[] = [], maxDepth = MAX_NAMESPACE_DEPTH): Promise<string[][]> {
    const out: string[][] = [ns]
    if (maxDepth <= 0 || ns.length >= MAX_NAMESPACE_DEPTH) return out
    for (const child of await subdirectories(join(namespaceDir(this.path, ns), 'ns'))) {
      if (!SAFE_ID.test(child)) continue
      out.push(...(await this.namespaces([...ns, child], maxDepth - 1)))
    }
    return out
  }

  async groups(ns: string[]): Promise<GroupInfo[]> {
    const base = namespaceDir(this.path, ns)
    const out: GroupInfo[] = []
    for (const type of BACKUP_TYPES) {
      for (const id of await subdirectories(join(base, type))) {
        if (!SAFE_ID.test(id)) continue
        const dir = join(base, type, id)
        const owner = (await readOptionalText(join(dir, OWNER_FILE)))?.trim()
        const notes = await readOptionalText(join(dir, NOTES_FILE))
        out.push({ ns, type, id, owner: owner || undefined, notes })
      }
    }
    return out
  }

  /** The snapshots of one group, oldest first. */
  async snapshots(group: GroupInfo): Promise<SnapshotInfo[]> {
    const out: SnapshotInfo[] = []
    for (const time of await subdirectories(groupDir(this.path, group))) {
      if (!BACKUP_TIME.test(time) || Number.isNaN(backupTimeToEpoch(time))) continue
      out.push(
        await this.snapshotInfo({ ns: group.ns, type: group.type, id: group.id, time }, group.owner)
      )
    }
    return out
  }

  /** Every snapshot in `ns` and below, namespace by namespace, group by group, oldest first. */
  async *allSnapshots(
    ns: string[] = [],
    maxDepth = MAX_NAMESPACE_DEPTH
  ): AsyncGenerator<SnapshotInfo> {
    for (const namespace of await this.namespaces(ns, maxDepth)) {
      for (const group of await this.groups(namespace)) yield* await this.snapshots(group)
    }
  }

  async snapshotInfo(snapshot: SnapshotPath, owner?: string): Promise<SnapshotInfo> {
    const dir = snapshotDir(this.path, snapshot)
    const info: SnapshotInfo = {
      ...snapshot,
      epoch: backupTimeToEpoch(snapshot.time),
      finished: false,
      protected: await exists(join(dir, PROTECTED_FILE)),
      owner: owner ?? (await this.owner(snapshot)),
      size: 0
    }
    let raw: Buffer
    try {
      raw = await readFile(join(dir, MANIFEST_BLOB_NAME))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        if (!(await exists(dir)))
          throw new FormatError(`snapshot ${snapshotName(snapshot)} does not exist`)
        return info
      }
      throw err
    }
    info.finished = true
    try {
      info.manifest = decodeManifestBlob(raw)
      info.size = info.manifest.files.reduce((sum, f) => sum + f.size, 0)
      if (
        info.manifest['backup-type'] !== snapshot.type ||
        info.manifest['backup-id'] !== snapshot.id ||
        info.manifest['backup-time'] !== info.epoch
      ) {
        info.error = `manifest describes ${info.manifest['backup-type']}/${info.manifest['backup-id']} at ${info.manifest['backup-time']}, not this snapshot`
      }
    } catch (err) {
      info.error = (err as Error).message
    }
    return info
  }

  async owner(group: BackupGroup): Promise<string | undefined> {
    const text = await readOptionalText(join(groupDir(this.path, group), OWNER_FILE))
    return text?.trim() || undefined
  }

  async readSnapshotFile(snapshot: SnapshotPath, name: string): Promise<Buffer> {
    return readFile(join(snapshotDir(this.path, snapshot), name))
  }

  async readIndex(snapshot: SnapshotPath, name: string): Promise<ChunkIndex> {
    const buf = await this.readSnapshotFile(snapshot, name)
    try {
      return parseChunkIndex(name, buf)
    } catch (err) {
      throw new FormatError(`${snapshotName(snapshot)}/${name}: ${(err as Error).message}`)
    }
  }

  chunkPath(digest: Uint8Array | string): string {
    return chunkPath(
      this.path,
      typeof digest === 'string' ? digest : Buffer.from(digest).toString('hex')
    )
  }

  /** The raw chunk blob as stored; throws ENOENT-coded errors for missing chunks. */
  readChunk(digest: Uint8Array | string): Promise<Buffer> {
    return readFile(this.chunkPath(digest))
  }
}

export function groupName(group: { type: BackupType; id: string }): string {
  return `${group.type}/${group.id}`
}
