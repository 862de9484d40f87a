/**
 * Magic numbers of the PBS tape format. Each is the first 8 bytes of SHA-256 over an ASCII string
 * (the string is kept beside the bytes so tests can recompute them). They are hard-coded rather than
 * computed at load time so a typo in a string can never silently change what we write to tape.
 */

const m = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes)

/** First 8 bytes of every 256 KiB block ("Proxmox Tape Block Header v1.0"). */
export const TAPE_BLOCK_HEADER_MAGIC = m(0xdc, 0xbd, 0xaf, 0xca, 0xeb, 0xa0, 0xa5, 0x28)
/** First 8 bytes of every tape file's payload ("Proxmox Backup Content Header v1.0"). */
export const CONTENT_HEADER_MAGIC = m(0x63, 0xee, 0x14, 0x9f, 0xcd, 0xf2, 0x9b, 0x0c)

export const MEDIA_LABEL_MAGIC_1_0 = m(0x2a, 0x05, 0xbf, 0x3c, 0xb0, 0x30, 0xaa, 0x39)
export const MEDIA_SET_LABEL_MAGIC_1_0 = m(0x08, 0x60, 0x63, 0xf9, 0x2f, 0x97, 0x53, 0xd8)
/** Unreleased PBS format, rejected on read. */
export const CHUNK_ARCHIVE_MAGIC_1_0 = m(0x3e, 0xad, 0xa7, 0x5f, 0x31, 0x4c, 0x06, 0x6e)
export const CHUNK_ARCHIVE_MAGIC_1_1 = m(0x6d, 0x31, 0x63, 0x6d, 0xd7, 0x02, 0x83, 0xbf)
/** Per-chunk entry header inside a chunk archive. */
export const CHUNK_ARCHIVE_ENTRY_MAGIC_1_0 = m(0x48, 0x57, 0x6d, 0xf2, 0xde, 0x42, 0x8f, 0xdc)
/** Unreleased PBS format, rejected on read. */
export const SNAPSHOT_ARCHIVE_MAGIC_1_0 = m(0x09, 0xb6, 0x02, 0x1f, 0x7d, 0xe8, 0x72, 0x85)
/** Snapshot in the root namespace. */
export const SNAPSHOT_ARCHIVE_MAGIC_1_1 = m(0xda, 0x16, 0x15, 0xd0, 0x11, 0xe2, 0x9a, 0x62)
/** Snapshot path may carry an `ns/…/` prefix (older PBS refuses these tapes instead of misreading). */
export const SNAPSHOT_ARCHIVE_MAGIC_1_2 = m(0x62, 0x10, 0x36, 0x9b, 0xba, 0x10, 0x33, 0x1d)
/** Catalog written by a job without namespaces. */
export const CATALOG_ARCHIVE_MAGIC_1_0 = m(0xb7, 0xcf, 0xc7, 0x25, 0x9e, 0x99, 0x1e, 0x73)
/** Catalog written by a job that used namespaces (non-root ns or max-depth ≠ 0). */
export const CATALOG_ARCHIVE_MAGIC_1_1 = m(0xb3, 0xec, 0x71, 0xf0, 0xad, 0xec, 0x02, 0x60)
/** On-disk media catalog without datastore names; rejected. */
export const MEDIA_CATALOG_MAGIC_1_0 = m(0xdd, 0x1d, 0xa4, 0x01, 0x3b, 0x45, 0x13, 0x28)
/** Current on-disk media catalog (`<uuid>.log`), also the payload of catalog archives. */
export const MEDIA_CATALOG_MAGIC_1_1 = m(0x4c, 0x8e, 0xe8, 0xc1, 0x20, 0xa8, 0x89, 0x71)

export type ContentKind =
  'media-label' | 'media-set-label' | 'chunk-archive' | 'snapshot-archive' | 'catalog-archive'

export interface ContentMagicInfo {
  /** The string whose SHA-256 gives the magic; also PBS's human-readable name for it. */
  name: string
  magic: Uint8Array
  kind: ContentKind
  version: string
  /** False for formats only unreleased PBS versions wrote: readers reject them. */
  supported: boolean
}

/** Content magics that may appear in a MediaContentHeader (§3.4). */
export const CONTENT_MAGICS: readonly ContentMagicInfo[] = [
  info('Proxmox Backup Tape Label v1.0', MEDIA_LABEL_MAGIC_1_0, 'media-label', '1.0'),
  info('Proxmox Backup MediaSet Label v1.0', MEDIA_SET_LABEL_MAGIC_1_0, 'media-set-label', '1.0'),
  info('Proxmox Backup Chunk Archive v1.0', CHUNK_ARCHIVE_MAGIC_1_0, 'chunk-archive', '1.0', false),
  info('Proxmox Backup Chunk Archive v1.1', CHUNK_ARCHIVE_MAGIC_1_1, 'chunk-archive', '1.1'),
  info(
    'Proxmox Backup Snapshot Archive v1.0',
    SNAPSHOT_ARCHIVE_MAGIC_1_0,
    'snapshot-archive',
    '1.0',
    false
  ),
  info(
    'Proxmox Backup Snapshot Archive v1.1',
    SNAPSHOT_ARCHIVE_MAGIC_1_1,
    'snapshot-archive',
    '1.1'
  ),
  info(
    'Proxmox Backup Snapshot Archive v1.2',
    SNAPSHOT_ARCHIVE_MAGIC_1_2,
    'snapshot-archive',
    '1.2'
  ),
  info('Proxmox Backup Catalog Archive v1.0', CATALOG_ARCHIVE_MAGIC_1_0, 'catalog-archive', '1.0'),
  info('Proxmox Backup Catalog Archive v1.1', CATALOG_ARCHIVE_MAGIC_1_1, 'catalog-archive', '1.1')
]

function info(
  name: string,
  magic: Uint8Array,
  kind: ContentKind,
  version: string,
  supported = true
): ContentMagicInfo {
  return { name, magic, kind, version, supported }
}

export function sameMagic(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== 8 || b.length !== 8) return false
  for (let i = 0; i < 8; i++) if (a[i] !== b[i]) return false
  return true
}

/** Looks up a content magic; undefined for anything PBS never wrote. */
export function contentMagicInfo(magic: Uint8Array): ContentMagicInfo | undefined {
  return CONTENT_MAGICS.find((c) => sameMagic(c.magic, magic))
}

export const magicHex = (magic: Uint8Array): string => Buffer.from(magic).toString('hex')
