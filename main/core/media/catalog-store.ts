/**
 * The media catalogs in SQLite (PBS `<media-uuid>.log` per tape, pbs-tape.md §4.9–§4.12): which
 * tape file holds which snapshot and which chunks, and the media-set-wide questions a backup and
 * a restore ask ("is this snapshot / chunk already in the set", "where is chunk X").
 *
 * Writing follows PBS's commit points: every `record…` call (or one `recordFiles` batch) is one
 * transaction, so a process killed between commits leaves exactly the committed archives. A tape
 * must be in the inventory (`media` row) before it gets a catalog; removing it from the inventory
 * removes its catalog, and the inventory moving it to another media set drops the old catalog.
 *
 * Schema and sizing: migrations/0004-catalog.ts. Set queries: catalog-queries.ts.
 */
import type { Db } from '../db/connection'
import type { DigestSet } from '../datastore/digest-set'
import { FormatError } from '../format/format-error'
import { utf8 } from '../format/pretty-json'
import { parseSnapshotPath } from '../format/snapshot-path'
import { bytesToUuid, normalizeUuid, uuidToBytes } from '../format/uuid-bytes'
import {
  type DigestRun,
  encodePbsCatalog,
  parsePbsCatalog,
  type PbsExportFile
} from '../format/media-catalog'
import {
  ArchiveDigestLoader,
  chunkLocations,
  ensureSetIndexed,
  mediaContent,
  mediaSetChunkSet,
  mediaSets,
  scanChunkArchives,
  snapshotInSet,
  snapshotSet,
  snapshotsInSet
} from './catalog-queries'
import {
  KIND_CODE,
  KIND_NAME,
  MAX_PARAMS,
  blob,
  groups,
  insertChunks,
  marks,
  packDigests,
  rows,
  takeWriteLock,
  type Conn
} from './catalog-sql'
import type {
  ArchiveLocation,
  CatalogEntry,
  CatalogMediaSet,
  CatalogSummary,
  MediaContentEntry,
  MediaContentFilter,
  MediaSetInfo,
  SetChunkArchive,
  SetSnapshot,
  TapeFile
} from './catalog-types'

export type * from './catalog-types'

interface TapeRow {
  id: number
  media_set_id: number | null
  set_uuid: string | null
  seq_nr: number | null
}

interface FileRow {
  id: number
  file_number: number
  kind: number
  content_uuid: Buffer
  store: string | null
  snapshot: string | null
  chunk_count: number | null
  catalog_media_uuid: string | null
  catalog_seq_nr: number | null
}

/** A catalog entry checked and converted for insertion. */
type Prepared =
  | { kind: 'chunk-archive'; fileNumber: number; uuid: Buffer; store: string; run: DigestRun }
  | { kind: 'snapshot-archive'; fileNumber: number; uuid: Buffer; store: string; snapshot: string }
  | {
      kind: 'catalog-archive'
      fileNumber: number
      uuid: Buffer
      catalog: { mediaUuid: string; mediaSetUuid: string; seqNr: number }
    }

function checkFileNumber(n: number): void {
  if (!Number.isSafeInteger(n) || n < 2) {
    throw new RangeError(`invalid tape file number ${n} for an archive (must be an integer ≥ 2)`)
  }
}

function checkStore(store: string): void {
  const len = utf8(store).length
  if (len === 0 || len > 0xff) {
    throw new RangeError(`invalid datastore name ${JSON.stringify(store)} (1 to 255 bytes)`)
  }
}

function prepare(e: CatalogEntry): Prepared {
  checkFileNumber(e.fileNumber)
  const uuid = blob(uuidToBytes(normalizeUuid(e.contentUuid, 'archive uuid')))
  switch (e.kind) {
    case 'chunk-archive':
      checkStore(e.store)
      return {
        kind: e.kind,
        fileNumber: e.fileNumber,
        uuid,
        store: e.store,
        run: packDigests(e.digests)
      }
    case 'snapshot-archive':
      checkStore(e.store)
      parseSnapshotPath(e.snapshot)
      if (utf8(e.snapshot).length > 0xffff)
        throw new RangeError('snapshot path too long for a catalog')
      return { kind: e.kind, fileNumber: e.fileNumber, uuid, store: e.store, snapshot: e.snapshot }
    case 'catalog-archive':
      return {
        kind: e.kind,
        fileNumber: e.fileNumber,
        uuid,
        catalog: {
          mediaUuid: normalizeUuid(e.catalog.mediaUuid, 'catalog media uuid'),
          mediaSetUuid: normalizeUuid(e.catalog.mediaSetUuid, 'catalog media set uuid'),
          seqNr: e.catalog.seqNr
        }
      }
  }
}

async function tapeOf(trx: Conn, mediaUuid: string): Promise<TapeRow | undefined> {
  const [row] = await rows<TapeRow>(
    trx,
    `SELECT t.id, t.media_set_id, s.uuid AS set_uuid, t.seq_nr FROM catalog_tapes t
     LEFT JOIN media_sets s ON s.id = t.media_set_id WHERE t.media_uuid = ?`,
    [mediaUuid]
  )
  return row
}

async function internStores(trx: Conn, names: Iterable<string>): Promise<Map<string, number>> {
  const ids = new Map<string, number>()
  for (const name of new Set(names)) {
    await trx.raw('INSERT INTO catalog_stores (name) VALUES (?) ON CONFLICT (name) DO NOTHING', [
      name
    ])
    const [row] = await rows<{ id: number }>(trx, 'SELECT id FROM catalog_stores WHERE name = ?', [
      name
    ])
    ids.set(name, row!.id)
  }
  return ids
}

async function upsertMediaSet(trx: Conn, set: CatalogMediaSet): Promise<number> {
  const [row] = await rows<{ id: number }>(
    trx,
    `INSERT INTO media_sets (uuid, pool, ctime, encryption_fingerprint) VALUES (?, ?, ?, ?)
     ON CONFLICT (uuid) DO UPDATE SET
       pool = coalesce(pool, excluded.pool),
       ctime = coalesce(min(ctime, excluded.ctime), ctime, excluded.ctime),
       encryption_fingerprint = coalesce(encryption_fingerprint, excluded.encryption_fingerprint)
     RETURNING id`,
    [set.uuid, set.pool ?? null, set.ctime ?? null, set.encryptionKeyFingerprint ?? null]
  )
  return row!.id
}

function checkSet(set: CatalogMediaSet): CatalogMediaSet {
  if (!Number.isSafeInteger(set.seqNr) || set.seqNr < 0) {
    throw new RangeError(`invalid media set sequence number ${set.seqNr}`)
  }
  return { ...set, uuid: normalizeUuid(set.uuid, 'media set uuid') }
}

/** Deletes a tape's catalog and starts a new one (L0, and L1 when in a set). */
async function resetTape(
  trx: Conn,
  mediaUuid: string,
  set: CatalogMediaSet | undefined
): Promise<number> {
  const [media] = await rows<{ one: number }>(trx, 'SELECT 1 AS one FROM media WHERE uuid = ?', [
    mediaUuid
  ])
  if (media === undefined) {
    throw new Error(
      `tape ${mediaUuid} is not in the inventory; a catalog needs the tape's labels first`
    )
  }
  await trx.raw('DELETE FROM catalog_tapes WHERE media_uuid = ?', [mediaUuid])
  const setId = set === undefined ? null : await upsertMediaSet(trx, set)
  const [row] = await rows<{ id: number }>(
    trx,
    'INSERT INTO catalog_tapes (media_uuid, media_set_id, seq_nr) VALUES (?, ?, ?) RETURNING id',
    [mediaUuid, setId, set?.seqNr ?? null]
  )
  return row!.id
}

const FILE_COLUMNS = [
  'tape_id',
  'file_number',
  'kind',
  'content_uuid',
  'store_id',
  'snapshot',
  'chunk_count',
  'indexed',
  'catalog_media_uuid',
  'catalog_seq_nr'
]
/** File rows per multi-row INSERT. */
const FILE_ROWS = Math.floor(MAX_PARAMS / FILE_COLUMNS.length)

/** Inserts file rows (multi-row statements), then each chunk archive's chunks. */
async function insertFiles(
  trx: Conn,
  tapeId: number,
  entries: readonly Prepared[],
  stores: Map<string, number>
): Promise<void> {
  const row = (e: Prepared): unknown[] => {
    const base = [tapeId, e.fileNumber, KIND_CODE[e.kind], e.uuid]
    switch (e.kind) {
      case 'chunk-archive':
        return [...base, stores.get(e.store), null, e.run.count, 0, null, null]
      case 'snapshot-archive':
        return [...base, stores.get(e.store), e.snapshot, null, null, null, null]
      case 'catalog-archive':
        return [...base, null, null, null, null, e.catalog.mediaUuid, e.catalog.seqNr]
    }
  }
  const tuple = `(${marks(FILE_COLUMNS.length)})`
  for (const group of groups(entries, FILE_ROWS)) {
    const ids = await rows<{ id: number; file_number: number }>(
      trx,
      `INSERT INTO catalog_files (${FILE_COLUMNS.join(', ')})
       VALUES ${group.map(() => tuple).join(', ')} RETURNING id, file_number`,
      group.flatMap(row)
    )
    // RETURNING order is unspecified; file numbers are unique per tape
    const idOf = new Map(ids.map((r) => [r.file_number, r.id]))
    for (const e of group) {
      if (e.kind === 'chunk-archive' && e.run.count > 0) {
        await insertChunks(trx, idOf.get(e.fileNumber)!, e.run)
      }
    }
  }
}

export class CatalogStore {
  constructor(private readonly db: Db) {}

  // --- writing: every call is one commit point ---

  /**
   * Starts the tape's catalog afresh (PBS `MediaCatalog::overwrite`, done when a tape is allocated
   * to a set): whatever was recorded for the tape before is dropped.
   */
  async beginTape(mediaUuid: string, mediaSet?: CatalogMediaSet): Promise<void> {
    const uuid = normalizeUuid(mediaUuid, 'media uuid')
    const set = mediaSet === undefined ? undefined : checkSet(mediaSet)
    await this.db.transaction(async (trx) => {
      await takeWriteLock(trx)
      await resetTape(trx, uuid, set)
    })
  }

  recordChunkArchive(
    mediaUuid: string,
    fileNumber: number,
    contentUuid: string,
    store: string,
    digests: readonly Uint8Array[] | Uint8Array
  ): Promise<void> {
    return this.recordFiles(mediaUuid, [
      { kind: 'chunk-archive', fileNumber, contentUuid, store, digests }
    ])
  }

  recordSnapshotArchive(
    mediaUuid: string,
    fileNumber: number,
    contentUuid: string,
    store: string,
    snapshot: string
  ): Promise<void> {
    return this.recordFiles(mediaUuid, [
      { kind: 'snapshot-archive', fileNumber, contentUuid, store, snapshot }
    ])
  }

  recordCatalogArchive(
    mediaUuid: string,
    fileNumber: number,
    contentUuid: string,
    catalog: { mediaUuid: string; mediaSetUuid: string; seqNr: number }
  ): Promise<void> {
    return this.recordFiles(mediaUuid, [
      { kind: 'catalog-archive', fileNumber, contentUuid, catalog }
    ])
  }

  /**
   * Records archives written to the tape, all or none (one commit). File numbers must increase
   * and lie beyond every file recorded so far; the tape must have been started with `beginTape`
   * (or have an imported catalog).
   */
  async recordFiles(mediaUuid: string, entries: readonly CatalogEntry[]): Promise<void> {
    const uuid = normalizeUuid(mediaUuid, 'media uuid')
    const prepared = entries.map(prepare)
    await this.db.transaction(async (trx) => {
      await takeWriteLock(trx)
      const tape = await tapeOf(trx, uuid)
      if (tape === undefined) throw new Error(`tape ${uuid} has no catalog (beginTape first)`)
      const stores = await internStores(
        trx,
        prepared.flatMap((e) => (e.kind === 'catalog-archive' ? [] : [e.store]))
      )
      const [{ last }] = await rows<{ last: number | null }>(
        trx,
        'SELECT max(file_number) AS last FROM catalog_files WHERE tape_id = ?',
        [tape.id]
      )
      let previous = last ?? 1
      for (const e of prepared) {
        if (e.fileNumber <= previous) {
          throw new Error(
            `tape ${uuid}: file ${e.fileNumber} is not after the last recorded file ${previous}`
          )
        }
        if (e.kind === 'catalog-archive' && e.catalog.mediaSetUuid !== tape.set_uuid) {
          throw new Error(
            `tape ${uuid}: catalog archive of media set ${e.catalog.mediaSetUuid} on a tape of set ${tape.set_uuid ?? '(none)'}`
          )
        }
        previous = e.fileNumber
      }
      await insertFiles(trx, tape.id, prepared, stores)
    })
  }

  /** Drops the tape's catalog; false when it had none. */
  async destroyCatalog(mediaUuid: string): Promise<boolean> {
    const uuid = normalizeUuid(mediaUuid, 'media uuid')
    return this.db.transaction(async (trx) => {
      await takeWriteLock(trx)
      const gone = await rows<{ id: number }>(
        trx,
        'DELETE FROM catalog_tapes WHERE media_uuid = ? RETURNING id',
        [uuid]
      )
      return gone.length > 0
    })
  }

  // --- PBS binary catalog interop ---

  /**
   * Loads a PBS binary catalog (from a catalog archive or a PBS host's
   * `/var/lib/proxmox-backup/tape/<uuid>.log`) as the tape's catalog, replacing what was
   * recorded for it, in one transaction. The tape must be in the inventory, and when the
   * inventory knows its media set, the catalog's L(1) must name the same set and position.
   * (Catalog archives recorded for the tape are dropped too: the PBS format has no record for
   * them.)
   */
  async importPbsCatalog(
    bytes: Uint8Array,
    expect: { mediaUuid?: string; mediaSet?: { uuid: string; seqNr: number } } = {}
  ): Promise<CatalogSummary> {
    const parsed = parsePbsCatalog(bytes, expect)
    const entries = parsed.files.map((f): Prepared => {
      checkStore(f.store)
      const uuid = blob(uuidToBytes(f.contentUuid))
      return f.kind === 'chunk-archive'
        ? { kind: f.kind, fileNumber: f.fileNumber, uuid, store: f.store, run: f.digests }
        : { kind: f.kind, fileNumber: f.fileNumber, uuid, store: f.store, snapshot: f.snapshot }
    })
    await this.db.transaction(async (trx) => {
      await takeWriteLock(trx)
      const [media] = await rows<{ set_uuid: string | null; seq: number | null }>(
        trx,
        'SELECT media_set_uuid AS set_uuid, media_set_seq AS seq FROM media WHERE uuid = ?',
        [parsed.mediaUuid]
      )
      if (media?.set_uuid != null) {
        const set = parsed.mediaSet
        if (set === undefined || set.uuid !== media.set_uuid || set.seqNr !== media.seq) {
          throw new FormatError(
            `catalog of tape ${parsed.mediaUuid} is for media set ${set ? `${set.uuid} seq ${set.seqNr}` : '(none)'}, the inventory has ${media.set_uuid} seq ${media.seq}`
          )
        }
      }
      const tapeId = await resetTape(trx, parsed.mediaUuid, parsed.mediaSet)
      const stores = await internStores(
        trx,
        entries.flatMap((e) => (e.kind === 'catalog-archive' ? [] : [e.store]))
      )
      await insertFiles(trx, tapeId, entries, stores)
    })
    return (await this.catalogInfo(parsed.mediaUuid))!
  }

  /**
   * The tape's catalog as PBS `<uuid>.log` bytes: magic, L0, L1, then per archive in file order
   * A C… E or S. Catalog archives have no record in this format. Read in one transaction.
   */
  async exportPbsCatalog(mediaUuid: string): Promise<Uint8Array> {
    const uuid = normalizeUuid(mediaUuid, 'media uuid')
    return this.db.transaction(async (trx) => {
      const tape = await tapeOf(trx, uuid)
      if (tape === undefined) throw new Error(`tape ${uuid} has no catalog`)
      const files = (await this.fileRows(trx, tape.id)).filter((f) => f.kind !== 3)
      const exportFiles: PbsExportFile[] = files.map((f) =>
        f.kind === 1
          ? {
              kind: 'chunk-archive',
              fileNumber: f.file_number,
              contentUuid: bytesToUuid(f.content_uuid),
              store: f.store!,
              chunkCount: f.chunk_count!
            }
          : {
              kind: 'snapshot-archive',
              fileNumber: f.file_number,
              contentUuid: bytesToUuid(f.content_uuid),
              store: f.store!,
              snapshot: f.snapshot!
            }
      )
      const set =
        tape.set_uuid === null ? undefined : { uuid: tape.set_uuid, seqNr: tape.seq_nr ?? 0 }
      const loader = new ArchiveDigestLoader(
        trx,
        files.filter((f) => f.kind === 1).map((f) => ({ id: f.id, count: f.chunk_count! }))
      )
      return encodePbsCatalog(uuid, set, exportFiles, (i) => loader.load(files[i]!.id))
    })
  }

  // --- one tape ---

  /** What the tape's catalog holds, or undefined when it has none. */
  async catalogInfo(mediaUuid: string): Promise<CatalogSummary | undefined> {
    const uuid = normalizeUuid(mediaUuid, 'media uuid')
    const tape = await tapeOf(this.db, uuid)
    if (tape === undefined) return undefined
    const [c] = await rows<{
      last: number | null
      chunk: number
      snap: number
      cat: number
      chunks: number | null
    }>(
      this.db,
      `SELECT max(file_number) AS last, count(*) FILTER (WHERE kind = 1) AS chunk,
         count(*) FILTER (WHERE kind = 2) AS snap, count(*) FILTER (WHERE kind = 3) AS cat,
         sum(chunk_count) AS chunks
       FROM catalog_files WHERE tape_id = ?`,
      [tape.id]
    )
    const summary: CatalogSummary = {
      mediaUuid: uuid,
      lastFileNumber: c!.last ?? (tape.set_uuid === null ? 0 : 1),
      chunkArchives: c!.chunk,
      snapshotArchives: c!.snap,
      catalogArchives: c!.cat,
      chunks: c!.chunks ?? 0
    }
    if (tape.set_uuid !== null) summary.mediaSet = { uuid: tape.set_uuid, seqNr: tape.seq_nr ?? 0 }
    return summary
  }

  /** The tape's recorded files in tape order (for selective restore planning). */
  async tapeFiles(mediaUuid: string): Promise<TapeFile[]> {
    const uuid = normalizeUuid(mediaUuid, 'media uuid')
    const tape = await tapeOf(this.db, uuid)
    if (tape === undefined) return []
    return (await this.fileRows(this.db, tape.id)).map((f) => {
      const file: TapeFile = {
        fileNumber: f.file_number,
        kind: KIND_NAME[f.kind]!,
        contentUuid: bytesToUuid(f.content_uuid)
      }
      if (f.store !== null) file.store = f.store
      if (f.snapshot !== null) file.snapshot = f.snapshot
      if (f.chunk_count !== null) file.chunkCount = f.chunk_count
      if (f.catalog_media_uuid !== null) {
        file.catalog = { mediaUuid: f.catalog_media_uuid, seqNr: f.catalog_seq_nr ?? 0 }
      }
      return file
    })
  }

  /** The digests of one chunk archive, packed (32 bytes each), in archive order. */
  async chunkArchiveDigests(mediaUuid: string, fileNumber: number): Promise<Uint8Array> {
    const uuid = normalizeUuid(mediaUuid, 'media uuid')
    const [f] = await rows<{ id: number; n: number }>(
      this.db,
      `SELECT f.id, f.chunk_count AS n FROM catalog_files f JOIN catalog_tapes t ON t.id = f.tape_id
       WHERE t.media_uuid = ? AND f.file_number = ? AND f.kind = 1`,
      [uuid, fileNumber]
    )
    if (f === undefined) throw new Error(`tape ${uuid} has no chunk archive at file ${fileNumber}`)
    return new ArchiveDigestLoader(this.db, [{ id: f.id, count: f.n }]).load(f.id)
  }

  private async fileRows(conn: Conn, tapeId: number): Promise<FileRow[]> {
    return rows<FileRow>(
      conn,
      `SELECT f.id, f.file_number, f.kind, f.content_uuid, s.name AS store, f.snapshot,
         f.chunk_count, f.catalog_media_uuid, f.catalog_seq_nr
       FROM catalog_files f LEFT JOIN catalog_stores s ON s.id = f.store_id
       WHERE f.tape_id = ? ORDER BY f.file_number`,
      [tapeId]
    )
  }

  // --- media sets ---

  /**
   * All chunk digests of the media set (of one datastore, or all), as the compact set the backup
   * uses to skip chunks already on tape. Streams archive by archive.
   */
  mediaSetChunkSet(setUuid: string, store?: string): Promise<DigestSet> {
    return mediaSetChunkSet(this.db, normalizeUuid(setUuid, 'media set uuid'), store)
  }

  /** Visits every chunk archive of the set (tape order) with its packed digests. */
  scanChunkArchives(
    setUuid: string,
    visit: (archive: SetChunkArchive) => void | Promise<void>,
    store?: string
  ): Promise<void> {
    return scanChunkArchives(this.db, normalizeUuid(setUuid, 'media set uuid'), visit, store)
  }

  /** Is `store:snapshot` already in the media set (the backup's only incremental rule)? */
  snapshotInSet(setUuid: string, store: string, snapshot: string): Promise<boolean> {
    return snapshotInSet(this.db, normalizeUuid(setUuid, 'media set uuid'), store, snapshot)
  }

  /**
   * The snapshot paths of one datastore in the set, loaded at once: for a backup job going
   * through many snapshots (one `snapshotInSet` query each costs ~0.3 ms).
   */
  snapshotSet(setUuid: string, store: string): Promise<Set<string>> {
    return snapshotSet(this.db, normalizeUuid(setUuid, 'media set uuid'), store)
  }

  /** Every snapshot archive of the set with its location, in tape order. */
  snapshotsInSet(setUuid: string, store?: string): Promise<SetSnapshot[]> {
    return snapshotsInSet(this.db, normalizeUuid(setUuid, 'media set uuid'), store)
  }

  /**
   * Where each digest is in the set (undefined: not in the set); the first tape and file when a
   * chunk is on several. Indexes the set's chunk archives that are not yet indexed, first.
   */
  chunkLocations(
    setUuid: string,
    digests: readonly Uint8Array[],
    store?: string
  ): Promise<(ArchiveLocation | undefined)[]> {
    return chunkLocations(this.db, normalizeUuid(setUuid, 'media set uuid'), digests, store)
  }

  /**
   * Builds the digest lookup keys of the set's archives recorded since the last call (done by
   * `chunkLocations` anyway; call it after a backup to have restores start at once). Returns the
   * number of chunks indexed.
   */
  indexMediaSet(setUuid: string): Promise<number> {
    return ensureSetIndexed(this.db, normalizeUuid(setUuid, 'media set uuid'))
  }

  /** PBS `media content`. */
  mediaContent(filter: MediaContentFilter = {}): Promise<MediaContentEntry[]> {
    return mediaContent(this.db, filter)
  }

  mediaSets(pool?: string): Promise<MediaSetInfo[]> {
    return mediaSets(this.db, pool)
  }

  /** Caches the set's display name (the pool's template applied to its start time). */
  async setMediaSetName(setUuid: string, name: string | undefined): Promise<void> {
    await this.db('media_sets')
      .where({ uuid: normalizeUuid(setUuid, 'media set uuid') })
      .update({ name: name ?? null })
  }
}
