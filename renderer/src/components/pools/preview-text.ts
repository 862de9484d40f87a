/** Words for a pool.preview result (Pools view, Backup view). */
import type { ApiResult } from '@/api/contract'
import { formatEpoch } from '@/composables/format'

export type PoolPreview = ApiResult<'pool.preview'>

export interface Verdict {
  text: string
  color: string
}

export function verdict(p: PoolPreview): Verdict {
  if (p.action === 'error') return { text: 'cannot back up', color: 'error' }
  if (p['next-tape']?.kind === 'none') return { text: 'no tape available', color: 'warning' }
  if (p.action === 'new') return { text: 'new media set', color: 'info' }
  return { text: 'continue media set', color: 'success' }
}

/** The tape the next backup writes first, in words. */
export function tapeText(p: PoolPreview): string {
  const t = p['next-tape']
  const label = t?.['label-text'] ?? ''
  switch (t?.kind) {
    case 'current':
      return `on ${label} (appending)`
    case 'empty':
      return `on ${label} (empty tape of the pool)`
    case 'expired':
      return `on ${label} (expired, will be overwritten)`
    case 'free':
      return `on a free tape (${label})`
    case 'none':
      return 'none available: label or add tapes'
    default:
      return ''
  }
}

const CAUSES: Record<string, string> = {
  forced: 'forced',
  'allocation-always': 'allocation policy “always”',
  calendar: 'the allocation event has passed',
  'no-media-set': 'the pool has no media set yet',
  'key-changed': 'the pool’s encryption key changed'
}

/** Why a new set starts; for a continued set with calendar allocation, until when. */
export function reasonText(p: PoolPreview): string {
  if (p.action === 'error') return p.reason ?? ''
  if (p.action === 'continue') {
    return p['new-set-after'] !== undefined
      ? `until ${formatEpoch(p['new-set-after'])} (allocation event)`
      : ''
  }
  const why = (p.cause !== undefined ? CAUSES[p.cause] : undefined) ?? p.reason ?? ''
  return why ? `why: ${why}` : ''
}

export const STATUS_COLOR: Readonly<Record<string, string>> = {
  writable: 'success',
  full: 'primary',
  expired: 'secondary',
  damaged: 'error',
  retired: 'error',
  unknown: 'warning'
}
