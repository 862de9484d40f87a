/**
 * The chunks a snapshot still needs on tape, read ahead in parallel so the drive keeps streaming:
 * every chunk of every index, in index order, minus those the media set already holds and those
 * already sent for this snapshot. Each blob's CRC is checked on the way (a damaged source chunk
 * must not reach tape as if it were good).
 */
import { open } from 'node:fs/promises'
import { verifyDataBlob } from '../../format/data-blob'
import { BufferPool } from '../../util/buffer-pool'
import type { Datastore, SnapshotInfo } from '../../datastore/datastore'
import { DigestSet } from '../../datastore/digest-set'
import { isIndexFile } from '../../datastore/chunk-index'
import { snapshotName } from '../../datastore/layout'

export interface SourceChunk {
  digest: Uint8Array
  blob: Uint8Array
  /** Hands the blob's buffer back for the next read; call when the blob is on tape. */
  release(): void
}

export interface ChunkSourceOptions {
  /** Parallel chunk reads (PBS `worker-threads`); default 4. */
  readers?: number
  signal?: AbortSignal
}

/** Digests of a snapshot's chunks in the order its indexes list them, each once. */
async function* chunkDigests(
  store: Datastore,
  snapshot: SnapshotInfo,
  skip: (digest: Uint8Array) => boolean
): AsyncGenerator<Uint8Array> {
  const seen = new DigestSet(1024)
  for (const file of snapshot.manifest?.files ?? []) {
    if (!isIndexFile(file.filename)) continue
    const index = await store.readIndex(snapshot, file.filename)
    for (let i = 0; i < index.count; i++) {
      const digest = index.digest(i)
      if (skip(digest) || !seen.add(digest)) continue
      yield new Uint8Array(digest)
    }
  }
}

/** Reads a chunk file into a pooled buffer (fresh buffers per chunk cost more than the read). */
async function readInto(path: string, buffers: BufferPool): Promise<Uint8Array> {
  const fh = await open(path, 'r')
  try {
    const { size } = await fh.stat()
    const blob = buffers.take(size)
    let got = 0
    while (got < size) {
      const { bytesRead } = await fh.read(blob, got, size - got, got)
      if (bytesRead === 0) throw new Error(`chunk file shrank while reading (${got} of ${size})`)
      got += bytesRead
    }
    return blob
  } finally {
    await fh.close()
  }
}

async function loadChunk(
  store: Datastore,
  snapshot: SnapshotInfo,
  digest: Uint8Array,
  buffers: BufferPool
): Promise<SourceChunk> {
  const hex = Buffer.from(digest).toString('hex')
  let blob: Uint8Array
  try {
    blob = await readInto(store.chunkPath(hex), buffers)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new Error(
      `snapshot ${snapshotName(snapshot)}: chunk ${hex} ${code === 'ENOENT' ? 'is missing' : `cannot be read (${code})`}`,
      { cause: err }
    )
  }
  try {
    verifyDataBlob(blob)
  } catch (err) {
    throw new Error(
      `snapshot ${snapshotName(snapshot)}: chunk ${hex} is damaged: ${(err as Error).message}`,
      { cause: err }
    )
  }
  return { digest, blob, release: () => buffers.give(blob) }
}

/**
 * Yields the new chunks of `snapshot` in order. `inMediaSet(digest)` says whether the set already
 * has a chunk; it is asked when the chunk is queued, so the caller records chunks as it writes them.
 */
export async function* newChunks(
  store: Datastore,
  snapshot: SnapshotInfo,
  inMediaSet: (digest: Uint8Array) => boolean,
  options: ChunkSourceOptions = {}
): AsyncGenerator<SourceChunk> {
  const readers = Math.max(1, options.readers ?? 4)
  // A sliding window of reads in flight, consumed in order: at most `readers * 2` chunks buffered.
  const window: Promise<SourceChunk>[] = []
  const buffers = new BufferPool(readers * 2 + 2)
  const digests = chunkDigests(store, snapshot, inMediaSet)
  let exhausted = false
  const fill = async () => {
    while (!exhausted && window.length < readers * 2) {
      const next = await digests.next()
      if (next.done) exhausted = true
      else {
        const load = loadChunk(store, snapshot, next.value, buffers)
        load.catch(() => undefined) // surfaced when its turn comes
        window.push(load)
      }
    }
  }
  try {
    await fill()
    while (window.length > 0) {
      options.signal?.throwIfAborted()
      const chunk = await window.shift()!
      await fill()
      yield chunk
    }
  } finally {
    await digests.return(undefined)
  }
}
