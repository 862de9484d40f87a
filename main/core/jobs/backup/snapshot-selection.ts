/**
 * Which snapshots a backup job takes (PBS backup.rs): every namespace below `ns` down to
 * `max-depth`, groups in PBS order (type ct < host < vm, then numeric ids numerically before
 * other ids as text), the job's group filters, finished snapshots only, oldest first, or only
 * the newest with `latest-only`.
 */
import { compileGroupFilters } from '../../config/group-filter'
import type { Datastore, GroupInfo, SnapshotInfo } from '../../datastore/datastore'

export interface SnapshotSelection {
  ns?: string[]
  maxDepth?: number
  groupFilters?: string[]
  latestOnly?: boolean
}

const TYPE_ORDER = { ct: 0, host: 1, vm: 2 } as const
const NUMERIC = /^\d+$/

/** PBS `BackupGroup` order. */
export function compareGroups(a: GroupInfo, b: GroupInfo): number {
  if (a.type !== b.type) return TYPE_ORDER[a.type] - TYPE_ORDER[b.type]
  const an = NUMERIC.test(a.id)
  const bn = NUMERIC.test(b.id)
  if (an && bn) return Number(a.id) - Number(b.id) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  if (an !== bn) return an ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

export interface SelectedGroup {
  group: GroupInfo
  snapshots: SnapshotInfo[]
}

export async function selectSnapshots(
  store: Datastore,
  selection: SnapshotSelection,
  log: (line: string) => void
): Promise<SelectedGroup[]> {
  const accept = compileGroupFilters(selection.groupFilters)
  const groups: GroupInfo[] = []
  for (const ns of await store.namespaces(selection.ns ?? [], selection.maxDepth)) {
    groups.push(...(await store.groups(ns)))
  }
  // Stable across namespaces: PBS sorts the whole list by group only.
  groups.sort(compareGroups)
  const chosen = groups.filter((g) => accept(g))
  if (selection.groupFilters?.length) {
    log(`found ${chosen.length} groups (out of ${groups.length} total)`)
  } else {
    log(`found ${groups.length} groups`)
  }
  const out: SelectedGroup[] = []
  for (const group of chosen) {
    const finished = (await store.snapshots(group)).filter((s) => s.finished)
    out.push({ group, snapshots: selection.latestOnly ? finished.slice(-1) : finished })
  }
  return out
}
