/**
 * "What will the next backup do?" for a media pool, without writing anything: continue the
 * current media set or start a new one (and why), the new set's name, and which tape would be
 * written next. Pure, on top of pool-logic.ts: it runs startWriteSession and chooseNextTape on a
 * copy of the inventory with a placeholder set UUID, exactly as a job starting at `now` would.
 *
 * Used by `pool preview`, the Pools view and the `next-media-label` of the backup-job list
 * (PBS `TapeBackupJobStatus.next-media-label`, from `guess_next_writable_media`).
 */
import { parseAllocationPolicy } from './media-expiry'
import { MediaPoolError } from './media-state'
import {
  type DriveContext,
  type MediaRecord,
  type PoolMediaView,
  type PoolPolicy,
  type StartWriteSessionOptions,
  NEW_SET_PLACEHOLDER,
  chooseNextTape,
  describePoolMedia,
  latestMediaSet,
  mediaSetMembers,
  mediaSetName,
  mediaSetNameFor,
  mediaSetStartTime,
  startWriteSession
} from './pool-logic'
import { nextCalendarEvent } from './calendar-event'

/** Why a new media set would be started. */
export type NewSetCause =
  /** `--force-media-set` */
  | 'forced'
  /** allocation `always` */
  | 'allocation-always'
  /** calendar allocation: the event after the set's start has passed */
  | 'calendar'
  /** the pool has no media set yet */
  | 'no-media-set'
  /** two sets share the newest start time */
  | 'inventory-inconsistent'
  /** the pool's encryption key differs from the set's */
  | 'key-changed'
  /** the current set cannot be written any more (damaged/retired tape, vault, sequence error…) */
  | 'set-unusable'
  /** the set's last writable tape is not available to the drive (Tapedeck, DESIGN §3) */
  | 'last-tape-unavailable'

export interface NextTapePreview {
  /**
   * current: the set's last tape, appended to; empty: a tape of the pool without set; expired: a
   * pool tape whose data expired; free: a tape without pool; none: no usable tape.
   */
  kind: 'current' | 'empty' | 'expired' | 'free' | 'none'
  /** The tape (undefined for none). */
  labelText?: string
  /** Sequence number the tape has or would get in the set. */
  seqNr?: number
  /** For none: why. */
  reason?: string
}

export interface NextMediaPreview {
  pool: string
  /** continue the current set, start a new one, or cannot tell (error: the pool is broken). */
  action: 'continue' | 'new' | 'error'
  /** For new: machine-readable cause; reason is the job's log text. For error: the error. */
  cause?: NewSetCause
  reason?: string
  /** The pool's current media set (the newest one), if any. */
  currentSet?: {
    uuid: string
    name: string
    /** Labels in sequence order ("" for a missing member). */
    tapes: string[]
    /** Start time (seq 0 tape's set ctime). */
    ctime?: number
  }
  /** Name of the set the next backup writes: the current one's, or the new one's from the template. */
  mediaSetName?: string
  /** Calendar allocation, continuing: when the next event starts a new set. */
  newSetAfter?: number
  /** The tape the next backup would write first. */
  nextTape?: NextTapePreview
  /** Readable one-liner: "continue media set X on TAPE02L9", "new media set …". */
  summary: string
  warnings: string[]
}

export interface PreviewOptions extends Pick<StartWriteSessionOptions, 'timeZone'> {
  forceMediaSet?: boolean
}

function classify(reason: string, forced: boolean, all: readonly MediaRecord[], pool: string) {
  if (forced) return 'forced'
  if (reason === 'policy is AlwaysCreate') return 'allocation-always'
  if (reason === 'policy CreateAt event triggered') return 'calendar'
  if (reason === 'pool has no media set yet') return 'no-media-set'
  if (reason.endsWith('(Tapedeck starts a new media set)')) return 'last-tape-unavailable'
  if (reason === 'pool encryption key changed') return 'key-changed'
  if (latestMediaSet(pool, all).kind === 'inconsistent' && reason.startsWith('inconsistent'))
    return 'inventory-inconsistent'
  return 'set-unusable'
}

/** Short description of a tape choice: "TAPE02L9", "free tape TAPE05L9", "no tape available". */
export function describeNextTape(tape: NextTapePreview | undefined): string {
  switch (tape?.kind) {
    case undefined:
      return 'unknown'
    case 'current':
      return `${tape.labelText ?? ''} (appending)`
    case 'empty':
      return `empty pool tape ${tape.labelText ?? ''}`
    case 'expired':
      return `expired tape ${tape.labelText ?? ''} (overwritten)`
    case 'free':
      return `a free tape (${tape.labelText ?? ''})`
    case 'none':
      return 'none available - label or add tapes'
  }
}

/**
 * What the next backup into `policy`'s pool with `drive` would do at `now`. Never throws for a
 * broken pool or inventory: that is action 'error' with the message.
 */
export function previewNextMedia(
  policy: PoolPolicy,
  all: readonly MediaRecord[],
  drive: DriveContext,
  now: number,
  options: PreviewOptions = {}
): NextMediaPreview {
  const warnings: string[] = []
  const latest = latestMediaSet(policy.name, all)
  let currentSet: NextMediaPreview['currentSet']
  if (latest.kind === 'set') {
    currentSet = {
      uuid: latest.uuid,
      name: mediaSetNameFor(policy, latest.uuid, all, options),
      tapes: []
    }
    const start = mediaSetStartTime(latest.uuid, all)
    if (start !== undefined) currentSet.ctime = start
  }
  const base = { pool: policy.name, ...(currentSet ? { currentSet } : {}) }

  let session
  try {
    if (currentSet !== undefined) {
      currentSet.tapes = mediaSetMembers(currentSet.uuid, all).members.map(
        (m) => m?.labelText ?? ''
      )
    }
    session = startWriteSession(policy, all, drive, now, {
      timeZone: options.timeZone,
      forceMediaSet: options.forceMediaSet,
      newUuid: () => NEW_SET_PLACEHOLDER
    })
  } catch (err) {
    if (!(err instanceof Error)) throw err
    const message = err instanceof MediaPoolError ? err.message : `${err.name}: ${err.message}`
    return {
      ...base,
      action: 'error',
      reason: message,
      summary: `cannot start a backup: ${message}`,
      warnings
    }
  }
  warnings.push(...session.warnings)

  const next = chooseNextTape(policy, all, drive, now, session, { timeZone: options.timeZone })
  let nextTape: NextTapePreview
  if (next.kind === 'none') nextTape = { kind: 'none', reason: next.reason }
  else if (next.kind === 'current')
    nextTape = { kind: 'current', labelText: next.media.labelText, seqNr: next.seqNr }
  else {
    nextTape = { kind: next.kind, labelText: next.media.labelText, seqNr: next.mediaSet.seqNr }
    warnings.push(...next.warnings)
  }

  if (session.newMediaSet) {
    const reason = session.reason ?? ''
    const name = mediaSetName(policy.template, NEW_SET_PLACEHOLDER, now, options.timeZone)
    return {
      ...base,
      action: 'new',
      cause: classify(reason, options.forceMediaSet === true, all, policy.name),
      reason,
      mediaSetName: name,
      nextTape,
      summary: `new media set "${name}" on ${describeNextTape(nextTape)} - reason: ${reason}`,
      warnings
    }
  }

  const name = currentSet?.name ?? mediaSetNameFor(policy, session.mediaSetUuid, all, options)
  const preview: NextMediaPreview = {
    ...base,
    action: 'continue',
    mediaSetName: name,
    nextTape,
    summary:
      nextTape.kind === 'none'
        ? `continue media set "${name}", but no tape is available: ${nextTape.reason ?? ''}`
        : `continue media set "${name}" on ${describeNextTape(nextTape)}`,
    warnings
  }
  const allocation = parseAllocationPolicy(policy.allocation)
  if (allocation.kind === 'calendar' && currentSet?.ctime !== undefined) {
    const at = nextCalendarEvent(allocation.event, currentSet.ctime, options.timeZone)
    if (at !== null) preview.newSetAfter = at
  }
  return preview
}

/** The pool's tapes as `media list` shows them, next to the preview (for the Pools view). */
export function poolTapes(
  policy: PoolPolicy,
  all: readonly MediaRecord[],
  now: number,
  options: Pick<PreviewOptions, 'timeZone'> = {}
): PoolMediaView[] {
  try {
    return describePoolMedia(policy, all, now, options).media
  } catch {
    return []
  }
}
