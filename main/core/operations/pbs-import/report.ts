/** What `pbs-import` did with each thing it found on the PBS host (shared by the importers). */
import { readFile } from 'node:fs/promises'

export type ImportKind =
  | 'drive'
  | 'changer'
  | 'pool'
  | 'backup-job'
  | 'key'
  | 'media'
  | 'media-set'
  | 'catalog'
  | 'job-state'

/**
 * imported: copied into this home (or would be, in a dry run); present: this home has the same
 * already; skipped: left alone, `reason` says why (a conflict, damage, something that does not map).
 */
export type ImportAction = 'imported' | 'present' | 'skipped'

export interface ImportItem {
  kind: ImportKind
  name: string
  action: ImportAction
  /** the source file on the PBS host */
  source: string
  reason?: string
}

export interface PbsImportReport {
  'config-dir': string
  'state-dir': string
  'dry-run': boolean
  items: ImportItem[]
  /** things worth knowing that are not items: missing files, ignored caches */
  notes: string[]
  summary: { imported: number; present: number; skipped: number }
}

/** Collects the items and notes of one run. */
export class ImportLog {
  readonly items: ImportItem[] = []
  readonly notes: string[] = []

  add(item: ImportItem): void {
    this.items.push(item)
  }

  note(text: string): void {
    this.notes.push(text)
  }

  /** A whole source file could not be used: one skipped item naming it. */
  skipFile(kind: ImportKind, source: string, err: unknown): void {
    this.add({ kind, name: '*', action: 'skipped', source, reason: (err as Error).message })
  }
}

/** Reads a file of the PBS host (read-only); undefined when it does not exist. */
export async function readSource(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path, { flag: 'r' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}
