/**
 * The Restore view's model: media sets from the inventory, the snapshots of a set from the
 * catalogs (media.content) grouped by datastore, namespace and backup group, and the restore
 * request a drop of snapshots onto a target datastore/namespace makes.
 */
import type { ApiArgs, ApiResult, InventoryEntry } from '../../api/contract'

export type ContentRow = ApiResult<'media.content'>[number]

/** MIME type of dragged snapshots; the data is the JSON array of their keys (`store:snapshot`). */
export const SNAPSHOTS_MIME = 'application/x-tapedeck-snapshots'

export interface MediaSetRow {
  uuid: string
  name?: string
  pool?: string
  ctime?: number
  tapes: { label: string; seq: number; location?: string }[]
}

export function mediaSetsFrom(inventory: InventoryEntry[], content: ContentRow[]): MediaSetRow[] {
  const sets = new Map<string, MediaSetRow>()
  for (const m of inventory) {
    const uuid = m['media-set-uuid']
    if (!uuid) continue
    const set = sets.get(uuid) ?? { uuid, pool: m.pool, ctime: m['media-set-ctime'], tapes: [] }
    set.tapes.push({ label: m['label-text'], seq: m['seq-nr'] ?? 0, location: m.location })
    sets.set(uuid, set)
  }
  for (const c of content) {
    const set = sets.get(c['media-set-uuid'])
    if (set && c['media-set-name']) set.name = c['media-set-name']
  }
  for (const set of sets.values()) set.tapes.sort((a, b) => a.seq - b.seq)
  return [...sets.values()].sort((a, b) => (b.ctime ?? 0) - (a.ctime ?? 0))
}

export interface SnapshotRow {
  /** `store:snapshot`, as tape.restore takes it */
  key: string
  store: string
  snapshot: string
  /** namespace path, '' = root */
  ns: string
  /** `vm/100` */
  group: string
  type: string
  time: number
  label: string
}

/** `ns/a/ns/b/vm/100/2024-…Z` → namespace `a/b`, group `vm/100`. */
export function parseSnapshot(snapshot: string): { ns: string; group: string; type: string } {
  const parts = snapshot.split('/')
  const ns: string[] = []
  let i = 0
  while (parts[i] === 'ns' && i + 1 < parts.length - 3) {
    ns.push(parts[i + 1]!)
    i += 2
  }
  return { ns: ns.join('/'), group: `${parts[i]}/${parts[i + 1]}`, type: parts[i] ?? '' }
}

export function snapshotRows(content: ContentRow[], setUuid: string): SnapshotRow[] {
  const seen = new Map<string, SnapshotRow>()
  for (const c of content) {
    if (c['media-set-uuid'] !== setUuid) continue
    const key = `${c.store}:${c.snapshot}`
    if (seen.has(key)) continue
    const { ns, group, type } = parseSnapshot(c.snapshot)
    seen.set(key, {
      key,
      store: c.store,
      snapshot: c.snapshot,
      ns,
      group,
      type,
      time: c['backup-time'],
      label: c['label-text']
    })
  }
  return [...seen.values()]
}

export interface SnapshotTree {
  store: string
  namespaces: {
    ns: string
    groups: { group: string; type: 'vm' | 'ct' | 'host'; snapshots: SnapshotRow[] }[]
  }[]
}

export function snapshotTree(rows: SnapshotRow[]): SnapshotTree[] {
  const stores = new Map<string, Map<string, Map<string, SnapshotRow[]>>>()
  for (const r of rows) {
    const nss = stores.get(r.store) ?? new Map<string, Map<string, SnapshotRow[]>>()
    stores.set(r.store, nss)
    const groups = nss.get(r.ns) ?? new Map<string, SnapshotRow[]>()
    nss.set(r.ns, groups)
    groups.set(r.group, [...(groups.get(r.group) ?? []), r])
  }
  const byName = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true })
  return [...stores.keys()].sort(byName).map((store) => {
    const nss = stores.get(store)!
    return {
      store,
      namespaces: [...nss.keys()].sort(byName).map((ns) => {
        const groups = nss.get(ns)!
        return {
          ns,
          groups: [...groups.keys()].sort(byName).map((group) => ({
            group,
            type: group.split('/')[0] as 'vm' | 'ct' | 'host',
            snapshots: groups.get(group)!.sort((a, b) => b.time - a.time)
          }))
        }
      })
    }
  })
}

export type RestoreRequest = Omit<ApiArgs<'tape.restore'>, 'drive'>

/**
 * Snapshots dropped onto `target` (datastore, namespace): each source datastore is mapped to the
 * target datastore, and each source namespace of the selection to the target namespace
 * (max-depth 0: exactly that namespace), so the snapshots land right where they were dropped.
 */
export function selectionRequest(
  mediaSet: string,
  selection: SnapshotRow[],
  target: { store: string; ns: string }
): RestoreRequest {
  const stores = [...new Set(selection.map((s) => s.store))].sort()
  const sources = [...new Map(selection.map((s) => [`${s.store}\0${s.ns}`, s])).values()]
  return {
    'media-set': mediaSet,
    store: stores.map((s) => `${s}=${target.store}`).join(','),
    snapshots: selection.map((s) => s.key),
    namespaces: sources.map(
      (s) =>
        `store=${s.store}${s.ns ? `,source=${s.ns}` : ''}${target.ns ? `,target=${target.ns}` : ''},max-depth=0`
    )
  }
}

/** The whole set into one datastore, namespaces as on tape. */
export const wholeSetRequest = (mediaSet: string, store: string): RestoreRequest => ({
  'media-set': mediaSet,
  store
})

export const nsLabel = (ns: string) => (ns === '' ? 'root namespace' : `namespace ${ns}`)
