/**
 * Writing into a PBS datastore, as restores do: a new empty store, namespaces, groups with their
 * owner, chunks inserted atomically, snapshot files written atomically with the manifest last, so
 * a crash leaves either no snapshot or an unfinished one (no manifest) that the next restore
 * replaces — never a finished snapshot with missing parts.
 */
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import {
  mkdir,
  open,
  readFile,
  readdir,
  realpath,
  rename,
  rm,
  stat,
  unlink,
  utimes,
  writeFile
} from 'node:fs/promises'
import { dirname, join, sep } from 'node:path'
import { FormatError } from '../format/format-error'
import { writeFileAtomic } from '../util/atomic-write'
import { AlignedBuffers, openForDirectWrite, writeWholeFile } from '../util/direct-io'
import {
  CHUNK_DIR,
  OWNER_FILE,
  PROTECTED_FILE,
  SAFE_ID,
  chunkPath,
  groupDir,
  namespaceDir,
  snapshotDir,
  snapshotName,
  validateArchiveName,
  type SnapshotPath
} from './layout'
import { MANIFEST_BLOB_NAME } from './manifest'

export class SnapshotExistsError extends Error {
  constructor(readonly snapshot: string) {
    super(`snapshot ${snapshot} already exists in the datastore`)
    this.name = 'SnapshotExistsError'
  }
}

export class OwnerMismatchError extends Error {
  constructor(
    readonly group: string,
    readonly owner: string,
    readonly wanted: string
  ) {
    super(`backup group ${group} is owned by ${owner}, not ${wanted}`)
    this.name = 'OwnerMismatchError'
  }
}

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT'

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * Creates an empty datastore: `.chunks` and `.lock`. PBS expects all 65 536 chunk prefix
 * directories to exist, so they are made up front (seconds on a busy disk), under a temporary name
 * and then renamed, so an interrupted create leaves no half-made chunk store. `prefixDirs:
 * 'on-demand'` skips them (tests, scratch stores only Tapedeck touches): the writer makes each one
 * when it first needs it.
 */
export async function createDatastore(
  path: string,
  options: {
    prefixDirs?: 'all' | 'on-demand'
    onProgress?: (done: number, total: number) => void
  } = {}
): Promise<void> {
  try {
    const entries = await readdir(path)
    if (entries.length > 0) {
      throw new FormatError(`${path} is not empty; a new datastore needs an empty directory`)
    }
  } catch (err) {
    if (!isMissing(err)) throw err
    await mkdir(path, { recursive: true })
  }
  const partial = join(path, `${CHUNK_DIR}.partial`)
  await mkdir(partial)
  try {
    if (options.prefixDirs !== 'on-demand') {
      for (let i = 0; i < 0x10000; i++) {
        await mkdir(join(partial, i.toString(16).padStart(4, '0')))
        if ((i & 0xfff) === 0xfff) options.onProgress?.(i + 1, 0x10000)
      }
    }
    await rename(partial, join(path, CHUNK_DIR))
  } catch (err) {
    await rm(partial, { recursive: true, force: true })
    throw err
  }
  await writeFile(join(path, '.lock'), '', { mode: 0o644 })
}

/** Writes chunk files and snapshots into an existing datastore. */
export class DatastoreWriter {
  private realRoot: string | undefined
  /**
   * Chunk files are written past the page cache while the file system allows it (util/direct-io):
   * a restore writes gigabytes the machine will not read again soon.
   */
  private direct = true
  private readonly aligned = new AlignedBuffers(16)

  constructor(readonly root: string) {}

  /** Chunk files written since the last flush, not yet forced to disk. */
  private unsynced: string[] = []

  /**
   * Adds a chunk blob unless it is there already; an existing chunk is touched (so a garbage
   * collection that started before the restore keeps it) unless its size shows it is damaged, in
   * which case the new copy replaces it. The caller has checked the blob against its digest.
   * The data reaches the disk at the next `flush` (every snapshot commit flushes first): one fsync
   * per chunk, one after the other, would make restores crawl.
   */
  async insertChunk(
    digestHex: string,
    raw: Uint8Array
  ): Promise<'inserted' | 'exists' | 'replaced'> {
    const path = chunkPath(this.root, digestHex)
    let replacing = false
    try {
      const info = await stat(path)
      if (info.size === raw.length) {
        const now = new Date()
        await utimes(path, now, now)
        return 'exists'
      }
      replacing = true
    } catch (err) {
      if (!isMissing(err)) throw err
    }
    const tmp = `${path}.tmp_${process.pid}_${randomBytes(4).toString('hex')}`
    let handle
    try {
      handle = await this.openChunkTemp(tmp)
    } catch (err) {
      if (!isMissing(err)) throw err
      // A store created without all prefix directories (allowed by PBS when it was copied).
      await mkdir(join(this.root, CHUNK_DIR, digestHex.slice(0, 4)), { recursive: true })
      handle = await this.openChunkTemp(tmp)
    }
    try {
      await writeWholeFile(handle, this.direct, raw, this.aligned)
      await handle.close()
      await rename(tmp, path)
      this.unsynced.push(path)
    } catch (err) {
      await handle.close().catch(() => undefined)
      await unlink(tmp).catch(() => undefined)
      throw err
    }
    return replacing ? 'replaced' : 'inserted'
  }

  private async openChunkTemp(path: string) {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL
    const { fh, direct } = await openForDirectWrite(path, flags, 0o644, this.direct)
    this.direct = direct
    return fh
  }

  /** Forces every chunk written since the last flush, and their directory entries, to disk. */
  async flush(): Promise<void> {
    const files = this.unsynced
    this.unsynced = []
    const dirs = [...new Set(files.map((f) => dirname(f)))]
    for (const batch of [files, dirs]) {
      for (let i = 0; i < batch.length; i += 32) {
        await Promise.all(batch.slice(i, i + 32).map(fsyncPath))
      }
    }
  }

  /** Creates the namespace directories down to `ns`. */
  async ensureNamespace(ns: readonly string[]): Promise<void> {
    for (const part of ns)
      if (!SAFE_ID.test(part)) throw new FormatError(`invalid namespace '${part}'`)
    await mkdir(namespaceDir(this.root, ns), { recursive: true })
    await this.assertInside(namespaceDir(this.root, ns))
  }

  /**
   * Makes sure the group exists and returns its owner: a new group gets `owner`; an existing one
   * keeps its owner, and a different one is refused unless `allowOtherOwner`.
   */
  async ensureGroup(
    snapshot: SnapshotPath,
    owner: string,
    allowOtherOwner = false
  ): Promise<string> {
    await this.ensureNamespace(snapshot.ns)
    const dir = groupDir(this.root, snapshot)
    await mkdir(dir, { recursive: true })
    await this.assertInside(dir)
    const ownerPath = join(dir, OWNER_FILE)
    let current: string | undefined
    try {
      current = (await readFile(ownerPath, 'utf8')).trim() || undefined
    } catch (err) {
      if (!isMissing(err)) throw err
    }
    if (current === undefined) {
      await writeFileAtomic(ownerPath, `${owner}\n`, 0o644)
      return owner
    }
    if (current !== owner && !allowOtherOwner) {
      throw new OwnerMismatchError(`${snapshot.type}/${snapshot.id}`, current, owner)
    }
    return current
  }

  /**
   * Starts a snapshot directory. A finished snapshot (manifest present) is never touched; an
   * unfinished one left by an interrupted restore is cleared and written again.
   */
  async beginSnapshot(
    snapshot: SnapshotPath,
    owner: string,
    allowOtherOwner = false
  ): Promise<SnapshotWriter> {
    await this.ensureGroup(snapshot, owner, allowOtherOwner)
    const dir = snapshotDir(this.root, snapshot)
    try {
      await mkdir(dir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      if (await fileExists(join(dir, MANIFEST_BLOB_NAME)))
        throw new SnapshotExistsError(snapshotName(snapshot))
      await rm(dir, { recursive: true, force: true })
      await mkdir(dir)
    }
    await this.assertInside(dir)
    return new SnapshotWriter(dir, snapshotName(snapshot), () => this.flush())
  }

  private async assertInside(path: string): Promise<void> {
    this.realRoot ??= await realpath(this.root)
    const real = await realpath(path)
    if (real !== this.realRoot && !real.startsWith(this.realRoot + sep)) {
      throw new FormatError(`${path} resolves to ${real}, outside the datastore ${this.realRoot}`)
    }
  }
}

export class SnapshotWriter {
  private committed = false

  constructor(
    readonly dir: string,
    readonly name: string,
    private readonly flushChunks: () => Promise<void>
  ) {}

  async writeFile(name: string, data: Uint8Array): Promise<void> {
    validateArchiveName(name)
    if (name === MANIFEST_BLOB_NAME) throw new Error('the manifest is written by commit()')
    await writeFileAtomic(join(this.dir, name), data, 0o644)
  }

  async setProtected(): Promise<void> {
    await writeFile(join(this.dir, PROTECTED_FILE), '', { mode: 0o644 })
  }

  /** Writes the manifest, which makes the snapshot finished — after the chunks are on disk. */
  async commit(manifestBlob: Uint8Array): Promise<void> {
    await this.flushChunks()
    await writeFileAtomic(join(this.dir, MANIFEST_BLOB_NAME), manifestBlob, 0o644)
    this.committed = true
  }

  /** Removes an uncommitted snapshot directory. */
  async abort(): Promise<void> {
    if (!this.committed) await rm(this.dir, { recursive: true, force: true })
  }
}

const fileExists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false
  )
