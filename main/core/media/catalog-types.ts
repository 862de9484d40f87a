/** Types of the media catalog store (catalog-store.ts). */

export type TapeFileKind = 'chunk-archive' | 'snapshot-archive' | 'catalog-archive'

/** The media set a tape's catalog belongs to (its L(1) record), plus what the set label says. */
export interface CatalogMediaSet {
  uuid: string
  seqNr: number
  /** Set-label fields; fill the `media_sets` row when the inventory has not seen the set yet. */
  pool?: string
  ctime?: number
  encryptionKeyFingerprint?: string
}

/** One archive to record at a commit point. */
export type CatalogEntry =
  | {
      kind: 'chunk-archive'
      fileNumber: number
      contentUuid: string
      store: string
      /** The chunks the archive holds completely, in archive order: 32-byte digests, or packed. */
      digests: readonly Uint8Array[] | Uint8Array
    }
  | {
      kind: 'snapshot-archive'
      fileNumber: number
      contentUuid: string
      store: string
      /** As PBS writes it: `[ns/a/[ns/b/]]<type>/<id>/<YYYY-MM-DDTHH:MM:SSZ>`. */
      snapshot: string
    }
  | {
      kind: 'catalog-archive'
      fileNumber: number
      contentUuid: string
      /** Whose catalog the archive carries (a tape of the same media set). */
      catalog: { mediaUuid: string; mediaSetUuid: string; seqNr: number }
    }

/** What a tape's catalog holds, in brief. */
export interface CatalogSummary {
  mediaUuid: string
  mediaSet?: { uuid: string; seqNr: number }
  /** Highest file number recorded (1 when only the labels are). */
  lastFileNumber: number
  chunkArchives: number
  snapshotArchives: number
  catalogArchives: number
  chunks: number
}

/** One file of a tape, as `tapeFiles` lists them (tape order). */
export interface TapeFile {
  fileNumber: number
  kind: TapeFileKind
  contentUuid: string
  store?: string
  snapshot?: string
  chunkCount?: number
  catalog?: { mediaUuid: string; seqNr: number }
}

/** Where a chunk or snapshot of a media set is. */
export interface ArchiveLocation {
  mediaUuid: string
  labelText: string
  /** Position of the tape in the media set. */
  seqNr: number
  fileNumber: number
  store: string
}

export interface SetSnapshot extends ArchiveLocation {
  snapshot: string
}

/** A chunk archive of a media set with its digests (packed, 32 bytes each, archive order). */
export interface SetChunkArchive {
  mediaUuid: string
  seqNr: number
  fileNumber: number
  store: string
  digests: Uint8Array
}

export interface MediaContentFilter {
  pool?: string
  'label-text'?: string
  media?: string
  'media-set'?: string
  'backup-type'?: 'vm' | 'ct' | 'host'
  'backup-id'?: string
}

/** A row of PBS `media content` (`media-set-name` only when the name cache has one). */
export interface MediaContentEntry {
  'label-text': string
  uuid: string
  'media-set-name'?: string
  'media-set-uuid': string
  'media-set-ctime': number
  'seq-nr': number
  pool: string
  store: string
  snapshot: string
  'backup-time': number
}

export interface MediaSetInfo {
  uuid: string
  pool?: string
  /** Start time: set-label ctime of the first tape. */
  ctime?: number
  encryptionKeyFingerprint?: string
  name?: string
  /** Tapes of the set that have a catalog. */
  tapes: number
}
