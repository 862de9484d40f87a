/**
 * Catalog recovery from tape (PBS `proxmox-tape catalog` and `inventory --catalog`,
 * pbs-tape.md §4.12): read the labels of the tape in the drive, store them in the inventory, then
 * rebuild the tape's catalog in SQLite —
 *
 * - fast path: the catalog archives the backup wrote. Consecutive catalog archives from file 2 on
 *   (the catalogs of the set's earlier tapes, written when this tape joined the set) restore those
 *   tapes' catalogs where none exists yet; then the last file of the tape, which a finished backup
 *   job always makes the catalog archive of this tape, restores this tape's catalog;
 * - slow path (`scan`, or no usable catalog archive): every file from 2 on is read — chunk
 *   archives for their digests, snapshot archives checked to be complete — and recorded, as the
 *   full media-set restore does.
 */
import { ApiError, invalidArgument } from '../api/errors'
import { isDecryptionError, type TapeDriver } from '../devices/tape-driver'
import { BlockedReader } from '../format/blocked-reader'
import { CatalogArchiveReader } from '../format/catalog-archive'
import { ChunkArchiveReader } from '../format/chunk-archive-reader'
import { readContentHeader, type MediaContentHeader } from '../format/content-header'
import { IncompleteArchiveError } from '../format/format-error'
import { contentMagicInfo } from '../format/magics'
import { isUnassignedMediaSet, type MediaSetLabel } from '../format/media-set-label'
import { SnapshotArchiveReader } from '../format/snapshot-archive-reader'
import { CatalogStore } from '../media/catalog-store'
import { Inventory, type MediaId } from '../media/inventory'
import type { TaskContext } from '../jobs/task-runner'
import type { CoreServices } from '../tapedeck'
import type { DriveHandle } from './devices'
import { loadByLabel } from './changer-logic'
import { runDriveTask } from './drive-task'
import { readLabels } from './tape-labels'
import { programDriveForSet, tapeKeys } from './tape-encryption'

type Log = Pick<TaskContext, 'log' | 'warn' | 'checkAbort'>

export interface CatalogOptions {
  /** Re-catalog a tape that already has a catalog. */
  force?: boolean
  /** Skip the catalog archives and read every file of the tape. */
  scan?: boolean
}

/** The media set a tape belongs to, or undefined for an empty / unassigned tape. */
function usedSet(id: MediaId): MediaSetLabel | undefined {
  return id.mediaSet && !isUnassignedMediaSet(id.mediaSet) ? id.mediaSet : undefined
}

function catalogSet(set: MediaSetLabel) {
  return {
    uuid: set.uuid,
    seqNr: set.seqNr,
    pool: set.pool,
    ctime: set.ctime,
    encryptionKeyFingerprint: set.encryptionKeyFingerprint
  }
}

/** Where a tape read in this drive is: online in the drive's changer, else offline. */
export function driveLocation(handle: DriveHandle): string {
  return handle.changer ? `online-${handle.changer.name}` : 'offline'
}

/** `catalog` as a drive task; with `labelText` the changer loads that tape first. */
export function catalogMedia(
  core: CoreServices,
  drive: string,
  options: CatalogOptions & { labelText?: string } = {}
) {
  return runDriveTask(core, 'catalog-media', drive, async (ctx, handle) => {
    if (options.labelText !== undefined) {
      if (!handle.changer) throw invalidArgument(`drive '${drive}' has no changer to load with`)
      await loadByLabel(handle.changer, handle.changer.driveNumber, options.labelText, ctx.log)
    }
    await catalogLoadedTape(core, handle, ctx, options)
  })
}

/**
 * PBS `catalog_media` on the tape in the drive. Returns what was done: `empty` (a labelled tape in
 * no media set: stored in the inventory, nothing to catalog), `fast` or `scan`.
 */
export async function catalogLoadedTape(
  core: CoreServices,
  handle: DriveHandle,
  ctx: Log,
  options: CatalogOptions = {}
): Promise<'empty' | 'fast' | 'scan'> {
  const driver = handle.driver
  const inventory = new Inventory(core.db)
  const catalog = new CatalogStore(core.db)
  const id = await readLabels(driver)
  if (!id) throw new ApiError('not-found', 'media is empty (no media label found)')
  const label = id.label.labelText
  ctx.log(`found media label ${label} (${id.label.uuid})`)
  const set = usedSet(id)
  // Storing the labels drops a catalog recorded for another media set (inventory trigger).
  await inventory.store(id, driveLocation(handle))
  if (!set) {
    ctx.log(`media '${label}' is empty or unassigned (no media set); nothing to catalog`)
    return 'empty'
  }
  ctx.log(`media set ${set.uuid}, seq-nr ${set.seqNr}, pool ${set.pool}`)
  if ((await catalog.catalogInfo(id.label.uuid)) !== undefined && options.force !== true) {
    throw new ApiError(
      'already-exists',
      `media '${label}' already has a catalog (use --force to rebuild it)`
    )
  }
  // Data files of an encrypted set need its key (the labels above are plain).
  await programDriveForSet(driver, tapeKeys(core), set, `media '${label}'`)
  if (options.scan !== true) {
    if (await fastCatalogRestore(core, driver, id, ctx)) return 'fast'
    ctx.log('no catalog archive of this tape found')
  }
  ctx.log('scanning the entire tape to rebuild its catalog')
  await scanCatalog(catalog, driver, id.label.uuid, set, ctx)
  return 'scan'
}

/**
 * PBS `fast_catalog_restore`: restore catalogs from the catalog archives on the tape. True when
 * this tape's own catalog was found and restored. The drive must be programmed for the tape's
 * media set (`programDriveForSet`) when the set is encrypted.
 */
export async function fastCatalogRestore(
  core: CoreServices,
  driver: TapeDriver,
  id: MediaId,
  ctx: Log
): Promise<boolean> {
  const set = usedSet(id)
  if (!set) return false
  const catalog = new CatalogStore(core.db)
  const members = new Map(
    (await new Inventory(core.db).list())
      .filter((m) => m['media-set-uuid'] === set.uuid)
      .map((m) => [m.uuid, m])
  )
  let found = false
  let jumped = false
  await driver.locateFile(2)
  for (let file = 2; ; file++) {
    ctx.checkAbort()
    const reader = await BlockedReader.open(driver)
    if (reader === 'end-of-data') break
    if (reader === 'filemark') continue
    let header: MediaContentHeader
    try {
      header = await readContentHeader(reader)
    } catch (err) {
      ctx.warn(`file ${file}: ${(err as Error).message}`)
      break
    }
    if (contentMagicInfo(header.contentMagic)?.kind !== 'catalog-archive') {
      if (jumped) break
      // The newest catalog archive is the last file of the tape.
      await driver.moveToEndOfData()
      const last = (await driver.position()).file - 1
      if (last <= file) break
      ctx.log(`file ${file} is not a catalog archive; reading the last file (${last})`)
      await driver.locateFile(last)
      file = last - 1
      jumped = true
      continue
    }
    const archive = await CatalogArchiveReader.fromHeader(reader, header)
    const h = archive.catalog
    const member = members.get(h.uuid)
    const own = h.uuid === id.label.uuid
    if (h.mediaSetUuid !== set.uuid || member === undefined || member['seq-nr'] !== h.seqNr) {
      ctx.log(`file ${file}: catalog archive of tape ${h.uuid} is not for this media set; skipped`)
      await reader.skipData()
      continue
    }
    if (!own && (await catalog.catalogInfo(h.uuid)) !== undefined) {
      ctx.log(`file ${file}: catalog of '${member['label-text']}' exists already; skipped`)
      await reader.skipData()
      continue
    }
    let bytes: Uint8Array
    try {
      bytes = await archive.readAll()
    } catch (err) {
      if (!(err instanceof IncompleteArchiveError)) throw err
      ctx.log(`file ${file}: ${err.message}; skipped`)
      continue
    }
    const summary = await catalog.importPbsCatalog(bytes, {
      mediaUuid: h.uuid,
      mediaSet: { uuid: set.uuid, seqNr: h.seqNr }
    })
    ctx.log(
      `file ${file}: restored the catalog of '${member['label-text']}' (${summary.snapshotArchives} snapshots, ${summary.chunks} chunks)`
    )
    if (own) found = true
  }
  return found
}

/** PBS `restore_media` without a target: read every archive and record it in a fresh catalog. */
async function scanCatalog(
  catalog: CatalogStore,
  driver: TapeDriver,
  mediaUuid: string,
  set: MediaSetLabel,
  ctx: Log
): Promise<void> {
  await catalog.beginTape(mediaUuid, catalogSet(set))
  await driver.locateFile(2)
  let snapshots = 0
  let chunks = 0
  for (let file = 2; ; file++) {
    ctx.checkAbort()
    const reader = await BlockedReader.open(driver)
    if (reader === 'end-of-data') break
    if (reader === 'filemark') continue
    try {
      const header = await readContentHeader(reader)
      const kind = contentMagicInfo(header.contentMagic)?.kind
      if (kind === 'chunk-archive') {
        const archive = await ChunkArchiveReader.fromHeader(reader, header)
        const digests: Uint8Array[] = []
        try {
          for (let e = await archive.next(); e; e = await archive.next()) digests.push(e.digest)
        } catch (err) {
          if (!(err instanceof IncompleteArchiveError)) throw err
          if (err.reason === 'no-end-marker') {
            ctx.log(`file ${file}: ${err.message}; not recorded`)
            continue
          }
        }
        await catalog.recordChunkArchive(
          mediaUuid,
          file,
          archive.contentUuid,
          archive.store,
          digests
        )
        chunks += digests.length
      } else if (kind === 'snapshot-archive') {
        const archive = await SnapshotArchiveReader.fromHeader(reader, header)
        try {
          for await (const entry of archive.entries()) void entry
        } catch (err) {
          if (!(err instanceof IncompleteArchiveError)) throw err
          ctx.log(`file ${file}: skip incomplete snapshot archive ${archive.snapshot}`)
          continue
        }
        await catalog.recordSnapshotArchive(
          mediaUuid,
          file,
          archive.contentUuid,
          archive.store,
          archive.snapshot
        )
        snapshots++
      } else if (kind === 'catalog-archive') {
        const archive = await CatalogArchiveReader.fromHeader(reader, header)
        try {
          await archive.readAll()
        } catch (err) {
          if (!(err instanceof IncompleteArchiveError)) throw err
          continue
        }
        if (archive.catalog.mediaSetUuid === set.uuid) {
          await catalog.recordCatalogArchive(mediaUuid, file, archive.contentUuid, {
            mediaUuid: archive.catalog.uuid,
            mediaSetUuid: archive.catalog.mediaSetUuid,
            seqNr: archive.catalog.seqNr
          })
        }
      } else {
        throw new Error(
          `unknown content (magic ${Buffer.from(header.contentMagic).toString('hex')})`
        )
      }
    } catch (err) {
      // Without the set's key no file reads: a catalog of the readable rest would be wrong.
      if (isDecryptionError(err)) throw err
      ctx.warn(`file ${file}: ${(err as Error).message} - skipped`)
      await driver.locateFile(file + 1)
    }
  }
  ctx.log(`catalog rebuilt: ${snapshots} snapshots, ${chunks} chunks`)
}

/** Whether a tape of a media set has no catalog (empty tapes need none). */
export async function catalogMissing(
  core: CoreServices,
  entry: { uuid: string; 'media-set-uuid'?: string }
): Promise<boolean> {
  if (!entry['media-set-uuid']) return false
  return (await new CatalogStore(core.db).catalogInfo(entry.uuid)) === undefined
}

/**
 * `inventory --catalog`: after the labels of a tape were stored, restore its catalog from its
 * catalog archives when it has none (fast path only, as PBS; failures are warnings).
 */
export async function restoreMissingCatalog(
  core: CoreServices,
  driver: TapeDriver,
  id: MediaId,
  ctx: Log
): Promise<void> {
  const set = usedSet(id)
  if (!set) return
  const label = id.label.labelText
  if (!(await catalogMissing(core, { uuid: id.label.uuid, 'media-set-uuid': set.uuid }))) return
  try {
    await programDriveForSet(driver, tapeKeys(core), set, `media '${label}'`)
    if (await fastCatalogRestore(core, driver, id, ctx))
      ctx.log(`restored the catalog of '${label}'`)
    // Not an error (as in PBS): a later tape of the set may carry this tape's catalog.
    else ctx.log(`no catalog archive of '${label}' on the tape itself`)
  } catch (err) {
    ctx.warn(`could not restore the catalog of '${label}': ${(err as Error).message}`)
  }
}
