/** How the wizard words and groups a `pbs.import` report. */
import type { ApiResult } from '@/api/contract'

export type PbsImportReport = ApiResult<'pbs.import'>
export type PbsImportItem = PbsImportReport['items'][number]
export type PbsImportKind = PbsImportItem['kind']
export type PbsImportAction = PbsImportItem['action']

/** The defaults of `tapedeck pbs-import` (where a PBS host keeps them). */
export const PBS_CONFIG_DIR = '/etc/proxmox-backup'
export const PBS_STATE_DIR = '/var/lib/proxmox-backup'

/** In the order the import takes them (keys before pools, tapes before catalogs). */
export const KINDS: { kind: PbsImportKind; title: string; what: string }[] = [
  { kind: 'drive', title: 'Tape drives', what: 'tape.cfg' },
  { kind: 'changer', title: 'Changers', what: 'tape.cfg' },
  { kind: 'pool', title: 'Media pools', what: 'media-pool.cfg' },
  { kind: 'backup-job', title: 'Tape backup jobs', what: 'tape-job.cfg' },
  { kind: 'key', title: 'Tape encryption keys', what: 'the tape key files' },
  { kind: 'media', title: 'Tapes', what: 'the tape inventory' },
  { kind: 'media-set', title: 'Media sets', what: 'the tape inventory' },
  { kind: 'catalog', title: 'Media catalogs', what: 'what is on each tape' },
  { kind: 'job-state', title: 'Job run state', what: 'when each job last ran' }
]

export const ACTION_COLOR: Record<PbsImportAction, string> = {
  imported: 'success',
  present: 'info',
  skipped: 'warning'
}

/** The action in plain words, before (dry run) or after the import. */
export function actionText(action: PbsImportAction, dryRun: boolean): string {
  if (action === 'imported') return dryRun ? 'will be imported' : 'imported'
  if (action === 'present') return 'already here'
  return dryRun ? 'will be skipped' : 'skipped'
}

export interface KindGroup {
  kind: PbsImportKind
  title: string
  what: string
  items: PbsImportItem[]
  counts: Record<PbsImportAction, number>
}

/** The report's items by kind (kinds with no item left out), skipped items first in each. */
export function groupByKind(items: PbsImportItem[]): KindGroup[] {
  const rank: Record<PbsImportAction, number> = { skipped: 0, imported: 1, present: 2 }
  return KINDS.map(({ kind, title, what }) => {
    const mine = items
      .filter((i) => i.kind === kind)
      .sort((a, b) => rank[a.action] - rank[b.action])
    const counts = { imported: 0, present: 0, skipped: 0 }
    for (const i of mine) counts[i.action]++
    return { kind, title, what, items: mine, counts }
  }).filter((g) => g.items.length > 0)
}

/** A whole file that could not be read is reported as name `*`: show the file instead. */
export function itemName(item: PbsImportItem): string {
  return item.name === '*' ? item.source : item.name
}

/** Which directory field a server error is about (its message names the directory). */
export function errorField(message: string): 'config' | 'state' | null {
  if (message.startsWith('PBS config directory')) return 'config'
  if (message.startsWith('PBS state directory')) return 'state'
  return null
}
