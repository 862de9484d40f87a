import type { BlockSink } from './block-io'
import { BlockedWriter } from './blocked-writer'
import { type NewHeaderOptions, writeContentHeader } from './content-header'
import { SNAPSHOT_ARCHIVE_MAGIC_1_1, SNAPSHOT_ARCHIVE_MAGIC_1_2 } from './magics'
import { PxarDirEncoder, type PxarContent, SNAPSHOT_ROOT_STAT } from './pxar-encoder'
import { S_IFMT, S_IFREG } from './pxar-format'
import { prettyJson, utf8 } from './pretty-json'
import { parseSnapshotPath } from './snapshot-path'

export const MANIFEST_BLOB_NAME = 'index.json.blob'
export const CLIENT_LOG_BLOB_NAME = 'client.log.blob'

/** One file of a snapshot directory, with the stat data PBS copies into the archive. */
export interface SnapshotArchiveFile {
  name: string
  /** Exact size; the content must deliver this many bytes. */
  size: number
  /** st_mode; the file type bits are added (S_IFREG) when missing. */
  mode: number
  uid: number
  gid: number
  mtime: { secs: number; nanos: number }
  content: PxarContent
}

export type SnapshotArchiveResult =
  | { complete: true; contentUuid: string }
  /** LEOM arrived while writing: the stream was ended INCOMPLETE; rewrite it on the next tape. */
  | { complete: false; contentUuid: string }

/**
 * Orders a snapshot's files as PBS does: the manifest first, then the manifest's files in manifest
 * order, then `client.log.blob` when it exists.
 */
export function snapshotFileOrder(
  manifestFiles: readonly string[],
  hasClientLog: boolean
): string[] {
  return [MANIFEST_BLOB_NAME, ...manifestFiles, ...(hasClientLog ? [CLIENT_LOG_BLOB_NAME] : [])]
}

class LeomReached extends Error {}

/**
 * Writes one snapshot archive (one tape file): MediaContentHeader (v1.1, or v1.2 when the snapshot
 * path has an `ns/` prefix) with `{"snapshot", "store"}`, then the pxar archive of the files.
 *
 * As in PBS, the first write that reports LEOM (including the header's) aborts the pxar stream and
 * the file is ended with END_OF_STREAM|INCOMPLETE; the whole snapshot is then rewritten on the next
 * tape. Any other error ends the file without end marker and is rethrown.
 */
export async function writeSnapshotArchive(
  sink: BlockSink,
  archive: { store: string; snapshot: string; files: readonly SnapshotArchiveFile[] },
  options: NewHeaderOptions = {}
): Promise<SnapshotArchiveResult> {
  const parsed = parseSnapshotPath(archive.snapshot)
  if (archive.files.length === 0 || archive.files[0].name !== MANIFEST_BLOB_NAME) {
    throw new Error(`snapshot archive must start with ${MANIFEST_BLOB_NAME}`)
  }
  const magic = parsed.ns.length > 0 ? SNAPSHOT_ARCHIVE_MAGIC_1_2 : SNAPSHOT_ARCHIVE_MAGIC_1_1
  // Struct order: snapshot, store.
  const json = prettyJson({ snapshot: archive.snapshot, store: archive.store }, { sortKeys: false })

  const writer = new BlockedWriter(sink)
  let contentUuid = ''
  try {
    const { header, leom } = await writeContentHeader(writer, magic, utf8(json), options)
    contentUuid = header.uuid
    if (leom) throw new LeomReached()
    const encoder = new PxarDirEncoder(async (data) => {
      if (await writer.write(data)) throw new LeomReached()
    })
    await encoder.start(SNAPSHOT_ROOT_STAT)
    for (const f of archive.files) {
      const mode = (f.mode & S_IFMT) === 0 ? f.mode | S_IFREG : f.mode
      const stat = { mode, flags: 0n, uid: f.uid, gid: f.gid, mtime: f.mtime }
      await encoder.addFile(f.name, stat, f.size, f.content)
    }
    await encoder.finish()
  } catch (err) {
    if (err instanceof LeomReached && writer.isOpen) {
      await writer.finish(true)
      return { complete: false, contentUuid }
    }
    await writer.abort().catch(() => undefined)
    throw err
  }
  await writer.finish(false)
  return { complete: true, contentUuid }
}
