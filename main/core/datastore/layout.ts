/**
 * Where things live in a PBS datastore directory, and the rules for every name in it. All paths
 * are built from validated components, so none can point outside the datastore.
 */
import { join } from 'node:path'
import { FormatError } from '../format/format-error'
import {
  MAX_BACKUP_NAMESPACE_LENGTH,
  MAX_NAMESPACE_DEPTH,
  SAFE_ID,
  formatSnapshotPath,
  parseSnapshotPath,
  type SnapshotPath
} from '../format/snapshot-path'

export type { SnapshotPath }
export type BackupType = SnapshotPath['type']
export const BACKUP_TYPES: readonly BackupType[] = ['vm', 'ct', 'host']

export const CHUNK_DIR = '.chunks'
export const TMP_DIR = '.tmp'
export const OWNER_FILE = 'owner'
export const NOTES_FILE = 'notes'
export const PROTECTED_FILE = '.protected'

export { SAFE_ID }
export const BACKUP_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/
export const CHUNK_PREFIX = /^[0-9a-f]{4}$/
export const CHUNK_NAME = /^[0-9a-f]{64}$/

export interface BackupGroup {
  ns: string[]
  type: BackupType
  id: string
}

/** `a/b/c` (PBS's namespace notation; empty string = root) → validated components. */
export function parseNamespace(text: string): string[] {
  const trimmed = text.replace(/^\/+|\/+$/g, '')
  if (trimmed === '') return []
  const parts = trimmed.split('/')
  if (parts.length > MAX_NAMESPACE_DEPTH) {
    throw new FormatError(`namespace '${text}' is too deep (at most ${MAX_NAMESPACE_DEPTH} levels)`)
  }
  if (trimmed.length > MAX_BACKUP_NAMESPACE_LENGTH) {
    throw new FormatError(
      `namespace '${text}' is longer than ${MAX_BACKUP_NAMESPACE_LENGTH} characters`
    )
  }
  for (const part of parts) {
    if (!SAFE_ID.test(part)) throw new FormatError(`'${part}' is not a valid namespace name`)
  }
  return parts
}

export const formatNamespace = (ns: readonly string[]): string => ns.join('/')

export function namespaceDir(root: string, ns: readonly string[]): string {
  return join(root, ...ns.flatMap((n) => ['ns', n]))
}

export function groupDir(root: string, group: BackupGroup): string {
  return join(namespaceDir(root, group.ns), group.type, group.id)
}

export function snapshotDir(root: string, snapshot: SnapshotPath): string {
  return join(groupDir(root, snapshot), snapshot.time)
}

export function chunkPath(root: string, digestHex: string): string {
  return join(root, CHUNK_DIR, digestHex.slice(0, 4), digestHex)
}

/** `vm/100/2024-01-01T00:00:00Z` with the namespace prefix, as tapes and catalogs name it. */
export const snapshotName = (s: SnapshotPath): string => formatSnapshotPath(s)

/**
 * Parses what a user types for a snapshot: the PBS path (`ns/a/vm/100/2024-…Z`) or, with the
 * namespace given separately, `vm/100/2024-…Z`.
 */
export function parseSnapshotName(text: string, ns: readonly string[] = []): SnapshotPath {
  const parsed = parseSnapshotPath(text)
  return parsed.ns.length === 0 && ns.length > 0 ? { ...parsed, ns: [...ns] } : parsed
}

export const backupTimeToEpoch = (time: string): number => Date.parse(time) / 1000

export function epochToBackupTime(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

export function validateArchiveName(name: string): void {
  if (!SAFE_ID.test(name) || name.length > 255) {
    throw new FormatError(`'${name}' is not a valid snapshot file name`)
  }
}
