/**
 * Media-set allocation and retention policies and when a tape's data expires, following PBS
 * 3.2.4 `Inventory::media_expire_time` (reference/pbs-tape.md §4.7). Pure: no I/O, the time zone
 * for calendar events is passed in.
 */
import { type CalendarEvent, nextCalendarEvent, parseCalendarEvent } from './calendar-event'
import {
  type MediaRecord,
  type PoolPolicy,
  activeMediaSet,
  mediaSetStartTime,
  sortByUuid
} from './media-state'
import { parseTimeSpan } from './time-span'

export type AllocationPolicy =
  { kind: 'continue' } | { kind: 'always' } | { kind: 'calendar'; event: CalendarEvent }

export type RetentionPolicy =
  | { kind: 'keep' }
  | { kind: 'overwrite' }
  /** Protect for a time span; `seconds` as PBS computes it (whole seconds, M = 30.44 d, y = 365.25 d). */
  | { kind: 'span'; seconds: number }

/** PBS `MediaSetPolicy::from_str`; default `continue`. Throws CalendarEventError. */
export function parseAllocationPolicy(text: string | undefined): AllocationPolicy {
  const value = text ?? 'continue'
  if (value === 'continue') return { kind: 'continue' }
  if (value === 'always') return { kind: 'always' }
  return { kind: 'calendar', event: parseCalendarEvent(value) }
}

/**
 * PBS `RetentionPolicy::from_str`; default `keep`. Throws TimeSpanError. PBS turns the span into
 * f64 seconds (months 30.44 days, years 365.25 days) and truncates it to whole seconds when it
 * adds it to a time; parseTimeSpan uses the same lengths.
 */
export function parseRetentionPolicy(text: string | undefined): RetentionPolicy {
  const value = text ?? 'keep'
  if (value === 'keep') return { kind: 'keep' }
  if (value === 'overwrite') return { kind: 'overwrite' }
  return { kind: 'span', seconds: Math.trunc(parseTimeSpan(value).seconds) }
}

/** Options for everything that evaluates calendar events. */
export interface ZoneOptions {
  /** IANA zone calendar events are evaluated in (undefined: the process's local zone). */
  timeZone?: string
}

/**
 * PBS `media_set_next_start_time`: whether a newer set of the same pool exists, and the earliest
 * set-label ctime among such newer tapes. Like PBS, the set's pool and reference ctime come from
 * its first tape in inventory (media-UUID) order.
 */
export function mediaSetNextStartTime(
  setUuid: string,
  all: readonly MediaRecord[]
): number | undefined {
  const sorted = sortByUuid(all)
  const ref = sorted.map(activeMediaSet).find((s) => s?.uuid === setUuid)
  if (ref === undefined) return undefined
  let next: number | undefined
  for (const media of sorted) {
    const set = activeMediaSet(media)
    if (set === undefined || set.uuid === setUuid || set.pool !== ref.pool) continue
    if (set.ctime > ref.ctime && (next === undefined || set.ctime < next)) next = set.ctime
  }
  return next
}

/**
 * The time a set stops being written to, from which retention counts (PBS `max_use_time`);
 * undefined = not yet known (the set may still grow), so the tape never expires for now:
 * - a newer set exists: `always` → the set's start, otherwise the newer set's start;
 * - no newer set: `continue` → never, `always` → the set's start, calendar → the next event
 *   after the set's start (none → never).
 */
export function mediaMaxUseTime(
  allocation: AllocationPolicy,
  media: MediaRecord,
  all: readonly MediaRecord[],
  options: ZoneOptions = {}
): number | undefined {
  const set = activeMediaSet(media)
  if (set === undefined) return undefined
  // PBS: missing seq 0 → this tape's own set ctime (always later than seq 0's)
  const setStart = mediaSetStartTime(set.uuid, all) ?? set.ctime
  const nextStart = mediaSetNextStartTime(set.uuid, all)
  if (nextStart !== undefined) return allocation.kind === 'always' ? setStart : nextStart
  switch (allocation.kind) {
    case 'continue':
      return undefined
    case 'always':
      return setStart
    case 'calendar':
      return nextCalendarEvent(allocation.event, setStart, options.timeZone) ?? undefined
  }
}

/**
 * PBS `media_expire_time`: when the data on a tape may be overwritten; undefined = never
 * (retention `keep`, a tape in no media set, or a set whose end is not known yet). Does not look
 * at the tape's status: only tapes whose computed status is full can expire (mediaIsExpired).
 */
export function mediaExpireTime(
  policy: PoolPolicy,
  media: MediaRecord,
  all: readonly MediaRecord[],
  options: ZoneOptions = {}
): number | undefined {
  const retention = parseRetentionPolicy(policy.retention)
  if (retention.kind === 'keep') return undefined
  const maxUse = mediaMaxUseTime(parseAllocationPolicy(policy.allocation), media, all, options)
  if (maxUse === undefined) return undefined
  return retention.kind === 'overwrite' ? maxUse : maxUse + retention.seconds
}
