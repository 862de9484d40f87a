/**
 * Inventory administration with PBS's rules (`src/api2/tape/media.rs`): `destroy_media`,
 * `update_media_status`, `move_tape`, and a paged, filtered view of the inventory for the UI.
 */
import { ApiError, invalidArgument, notFound } from '../api/errors'
import type { Db } from '../db/connection'
import { CatalogStore } from './catalog-store'
import { Inventory, type InventoryEntry } from './inventory'

/** What the Media view and `media list` show as a tape's status. */
export type MediaStatusText = 'full' | 'damaged' | 'retired' | 'writable' | 'empty'

export const MEDIA_STATUS_TEXTS: readonly MediaStatusText[] = [
  'writable',
  'full',
  'empty',
  'damaged',
  'retired'
]

/** The stored status, else writable (in a media set) / empty (no media set yet). */
export function mediaStatusText(m: InventoryEntry): MediaStatusText {
  if (m.status) return m.status
  return m['media-set-uuid'] ? 'writable' : 'empty'
}

/** PBS `VAULT_NAME_SCHEMA`: a safe id of 3 to 32 characters. */
const VAULT_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{2,31}$/

export interface MediaPageQuery {
  offset?: number
  limit?: number
  /** Pool name; the empty string selects tapes without a pool. */
  pool?: string
  status?: MediaStatusText
  'media-set'?: string
  /** Substring (case-insensitive) of label, pool, media set uuid, location or status. */
  search?: string
}

export interface MediaPage {
  rows: InventoryEntry[]
  /** Rows matching the filters (before offset/limit). */
  total: number
  /** Per status, over the whole inventory (not filtered). */
  counts: Record<MediaStatusText, number>
  /** Every pool name in the inventory, sorted, and whether some tapes have none (for filters). */
  pools: string[]
  'no-pool': boolean
  /** Every media set in the inventory, newest first (for filters). */
  sets: { uuid: string; pool?: string; ctime?: number; tapes: number }[]
}

export class MediaAdmin {
  private readonly inventory: Inventory

  constructor(private readonly db: Db) {
    this.inventory = new Inventory(db)
  }

  private async find(labelText: string): Promise<InventoryEntry> {
    const entry = await this.inventory.findByLabelText(labelText)
    if (!entry) throw notFound(`no such media '${labelText}'`)
    return entry
  }

  /**
   * PBS `destroy_media`: drop the tape and its catalog from the inventory. Without `force` a tape
   * that belongs to a media set (it holds data) is refused.
   */
  async destroy(labelText: string, force = false): Promise<void> {
    const entry = await this.find(labelText)
    if (!force && entry['media-set-uuid']) {
      throw new ApiError(
        'in-use',
        `media '${labelText}' contains data (media set ${entry['media-set-uuid']}); use --force to remove it`
      )
    }
    await new CatalogStore(this.db).destroyCatalog(entry.uuid)
    await this.inventory.remove(entry.uuid)
  }

  /** PBS `update_media_status`: store full / damaged / retired, or clear (`undefined`). */
  async setStatus(labelText: string, status: InventoryEntry['status'] | undefined): Promise<void> {
    const entry = await this.find(labelText)
    await this.inventory.setStatus(entry.uuid, status)
  }

  /** PBS `move_tape`: location `vault-<name>`, or `offline` without a vault. */
  async move(labelText: string, vault?: string): Promise<void> {
    const entry = await this.find(labelText)
    if (vault !== undefined && !VAULT_NAME.test(vault)) {
      throw invalidArgument(
        `invalid vault name '${vault}' (3 to 32 letters, digits, '_', '.', '-'; not starting with '.' or '-')`
      )
    }
    await this.inventory.setLocation(entry.uuid, vault === undefined ? 'offline' : `vault-${vault}`)
  }

  /** The inventory filtered and paged (sorted by label text). */
  async page(query: MediaPageQuery = {}): Promise<MediaPage> {
    const all = await this.inventory.list()
    const counts = Object.fromEntries(MEDIA_STATUS_TEXTS.map((s) => [s, 0])) as Record<
      MediaStatusText,
      number
    >
    for (const m of all) counts[mediaStatusText(m)]++
    const sets = new Map<string, MediaPage['sets'][number]>()
    for (const m of all) {
      const uuid = m['media-set-uuid']
      if (!uuid) continue
      const set = sets.get(uuid) ?? { uuid, pool: m.pool, ctime: m['media-set-ctime'], tapes: 0 }
      set.tapes++
      sets.set(uuid, set)
    }
    const pools = [...new Set(all.flatMap((m) => (m.pool ? [m.pool] : [])))].sort()
    const q = query.search?.trim().toLowerCase()
    const matching = all.filter((m) => {
      if (query.pool !== undefined && (m.pool ?? '') !== query.pool) return false
      if (query.status !== undefined && mediaStatusText(m) !== query.status) return false
      if (query['media-set'] !== undefined && m['media-set-uuid'] !== query['media-set'])
        return false
      if (q) {
        const fields = [
          m['label-text'],
          m.pool,
          m['media-set-uuid'],
          m.location,
          mediaStatusText(m)
        ]
        if (!fields.some((v) => v?.toLowerCase().includes(q))) return false
      }
      return true
    })
    const offset = query.offset ?? 0
    const rows =
      query.limit === undefined
        ? matching.slice(offset)
        : matching.slice(offset, offset + query.limit)
    return {
      rows,
      total: matching.length,
      counts,
      pools,
      'no-pool': all.some((m) => !m.pool),
      sets: [...sets.values()].sort((a, b) => (b.ctime ?? 0) - (a.ctime ?? 0))
    }
  }
}
