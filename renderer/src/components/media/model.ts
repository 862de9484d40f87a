import type { InventoryEntry } from '@/api/contract'

export type MediaStatusText = 'full' | 'damaged' | 'retired' | 'writable' | 'empty'

/** The status the inventory stores, or writable (in a media set) / empty (no set yet). */
export function mediaStatus(m: InventoryEntry): MediaStatusText {
  if (m.status) return m.status
  return m['media-set-uuid'] ? 'writable' : 'empty'
}

export const STATUS_COLOR: Record<MediaStatusText, string> = {
  full: 'primary',
  writable: 'success',
  empty: 'secondary',
  damaged: 'error',
  retired: 'warning'
}

export interface MediaPlace {
  kind: 'online' | 'offline' | 'vault' | 'unknown'
  /** changer or vault name */
  where?: string
}

/** PBS locations: `online-<changer>`, `offline`, `vault-<name>`. */
export function mediaPlace(location: string | undefined): MediaPlace {
  if (!location) return { kind: 'unknown' }
  if (location === 'offline') return { kind: 'offline' }
  if (location.startsWith('online-')) return { kind: 'online', where: location.slice(7) }
  if (location.startsWith('vault-')) return { kind: 'vault', where: location.slice(6) }
  return { kind: 'unknown', where: location }
}

export const shortUuid = (uuid: string): string => uuid.slice(0, 8)
