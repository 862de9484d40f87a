/**
 * Media-pool logic of a backup job as a pure state machine (reference/pbs-tape.md §4.3–§4.8):
 * which media set a job writes to, whether the current set is still usable, which tape to use
 * next, what is expired. No I/O: everything works on inventory records, the time and the time
 * zone passed in, so a job can run it inside a database transaction.
 *
 * Follows PBS 3.2.4 (`MediaPool::start_write_session`, `current_set_usable`,
 * `alloc_writable_media` / `guess_next_writable_media`, `list_media`) with one deliberate
 * difference (DESIGN §3): when the last tape of the current set is writable but not available
 * to the job's drive (offline/exported while the drive sits in a changer, in another changer, in
 * a library while the drive is standalone), PBS appends a new tape to that set; Tapedeck starts
 * a new media set and says why. (A last tape in a vault starts a new set in PBS as well.)
 *
 * Use in a backup job:
 *   const session = startWriteSession(pool, inventory, drive, now, { forceMediaSet })
 *   if (session.newMediaSet) log(`starting new media set - reason: ${session.reason}`)
 *   log(`media set uuid: ${session.mediaSetUuid}`)
 *   loop: const next = chooseNextTape(pool, inventory, drive, now, session, { setInUse })
 *         kind 'current' → keep writing the set's last tape; 'empty' | 'expired' | 'free' →
 *         store `next.mediaSet` as the tape's new set label (clearing its stored status) and
 *         write it; 'none' → fail with `next.reason`. Mark a tape full when it is, and ask again.
 */
import { randomUUID } from 'node:crypto'
import {
  type ZoneOptions,
  mediaExpireTime,
  parseAllocationPolicy,
  parseRetentionPolicy
} from './media-expiry'
import { mediaSetName } from './media-set-name'
import {
  type DriveContext,
  type MediaRecord,
  type MediaSetInfo,
  type MediaSetMembers,
  type MediaStatus,
  type PoolPolicy,
  activeMediaSet,
  compareText,
  computeMediaState,
  latestMediaSet,
  locationIsAvailable,
  mediaPoolName,
  mediaSetMembers,
  mediaSetStartTime,
  parseMediaLocation,
  poolMedia,
  sameFingerprint,
  unassignedMedia
} from './media-state'
import { nextCalendarEvent } from './calendar-event'

export * from './media-state'
export * from './media-expiry'
export * from './media-set-name'

/** PBS warns when a new tape gets this sequence number or a higher one. */
export const MEDIA_SET_SEQ_NR_WARN_LIMIT = 20

// ---------------------------------------------------------------------------------------------
// current_set_usable

export type SetUsable =
  | {
      ok: true
      /** The set's last tape is writable and available to the drive: keep writing to it. */
      lastWritableAvailable: boolean
      /**
       * The last tape is writable but not available to the drive (not in a vault): PBS would
       * append a new tape to the set; Tapedeck starts a new set (DESIGN §3).
       */
      lastWritableUnavailable?: { media: MediaRecord; why: string }
    }
  | { ok: false; reason: string }

const STATUS_DEBUG: Readonly<Record<MediaStatus, string>> = {
  writable: 'Writable',
  full: 'Full',
  unknown: 'Unknown',
  damaged: 'Damaged',
  retired: 'Retired'
}

/**
 * PBS `current_set_usable()` for the set a session writes to (undefined or no tapes yet: usable,
 * nothing writable). Errors, in PBS's words, mean the set must not be written any more:
 * a missing sequence number, a tape of another pool, a key different from the pool's, a
 * damaged/retired/unknown tape (or a writable one that is not last), a writable last tape in a
 * vault.
 */
export function currentSetUsable(
  policy: PoolPolicy,
  set: MediaSetMembers | undefined,
  drive: DriveContext
): SetUsable {
  if (set === undefined || set.members.length === 0)
    return { ok: true, lastWritableAvailable: false }
  let lastEnc: { fp: string | undefined } | undefined
  const count = set.members.length
  for (let seq = 0; seq < count; seq++) {
    const media = set.members[seq]
    if (media === undefined) {
      return { ok: false, reason: 'media set is incomplete (missing media information)' }
    }
    const pool = mediaPoolName(media)
    if (pool !== undefined && pool !== policy.name) {
      return { ok: false, reason: `media does not belong to pool (${pool} != ${policy.name})` }
    }
    const label = activeMediaSet(media)
    if (label === undefined) return { ok: false, reason: 'media owner error (no owner)' }
    if (label.uuid !== set.uuid) {
      return { ok: false, reason: `media owner error (${label.uuid} != ${set.uuid}` }
    }
    if (label.seqNr !== seq) {
      return { ok: false, reason: `media sequence error (${label.seqNr} != ${seq})` }
    }
    if (!sameFingerprint(label.encryptionKeyFingerprint, policy.encrypt)) {
      return { ok: false, reason: 'pool encryption key changed' }
    }
    if (lastEnc === undefined) lastEnc = { fp: label.encryptionKeyFingerprint }
    else if (!sameFingerprint(lastEnc.fp, label.encryptionKeyFingerprint)) {
      return { ok: false, reason: 'inconsistent media encryption key' }
    }
    const status = computeMediaState(policy.name, media, set)
    if (status === 'full') continue
    if (status === 'writable' && seq + 1 === count) {
      if (locationIsAvailable(media.location, drive))
        return { ok: true, lastWritableAvailable: true }
      const loc = parseMediaLocation(media.location)
      if (loc.kind === 'vault') {
        return { ok: false, reason: `writable media offsite in vault '${loc.vault}'` }
      }
      return {
        ok: true,
        lastWritableAvailable: false,
        lastWritableUnavailable: { media, why: unavailableWhy(media, drive) }
      }
    }
    return {
      ok: false,
      reason: `unable to use media set - wrong media status ${STATUS_DEBUG[status]}`
    }
  }
  return { ok: true, lastWritableAvailable: false }
}

function unavailableWhy(media: MediaRecord, drive: DriveContext): string {
  const loc = parseMediaLocation(media.location)
  const tape = `last tape '${media.labelText}' of the current media set`
  switch (loc.kind) {
    case 'offline':
      return `${tape} is offline (exported), not online in changer '${drive.changer ?? ''}' of the drive`
    case 'online':
      return drive.changer === undefined
        ? `${tape} is online in changer '${loc.changer}', which the standalone drive cannot use`
        : `${tape} is online in changer '${loc.changer}', not in changer '${drive.changer}' of the drive`
    case 'vault':
      return `${tape} is in vault '${loc.vault}'`
    case 'invalid':
      return `${tape} has an unknown location '${loc.text}'`
  }
}

// ---------------------------------------------------------------------------------------------
// start_write_session

export interface WriteSession {
  pool: string
  /** The set the job writes to; for a new set a fresh UUID that no tape carries yet. */
  mediaSetUuid: string
  /** A new media set is started (its first tape is labeled when allocated). */
  newMediaSet: boolean
  /** Why a new set is started; log it as "starting new media set - reason: …". */
  reason?: string
  /** The continued set's last tape is writable and available: the job appends to it. */
  lastWritableAvailable: boolean
  /** Things to log as warnings (an inconsistent inventory). */
  warnings: string[]
}

export interface StartWriteSessionOptions extends ZoneOptions {
  /** `--force-media-set`: always start a new set ("forced"). */
  forceMediaSet?: boolean
  /** UUID generator for a new set (default crypto.randomUUID). */
  newUuid?: () => string
}

/**
 * PBS `start_write_session` at job start: decides whether the job continues the pool's current
 * media set or starts a new one, in PBS's order of reasons:
 * 1. forced ("forced");
 * 2. current_set_usable() fails (its error text);
 * 3. Tapedeck only: the last tape is writable but not available to this drive (DESIGN §3);
 * 4. allocation `always` ("policy is AlwaysCreate");
 * 5. calendar allocation and now ≥ the next event after the set's start ("policy CreateAt event
 *    triggered");
 * 6. there is no current set (first use of the pool, or two sets share the newest ctime — then
 *    PBS silently uses a fresh set; here it is a warning and the reason).
 * `continue` never starts a set on its own. Throws MediaPoolError where PBS cannot open the pool
 * (duplicate sequence number in the current set) and CalendarEventError/TimeSpanError for a bad
 * policy.
 */
export function startWriteSession(
  policy: PoolPolicy,
  all: readonly MediaRecord[],
  drive: DriveContext,
  now: number,
  options: StartWriteSessionOptions = {}
): WriteSession {
  const allocation = parseAllocationPolicy(policy.allocation)
  parseRetentionPolicy(policy.retention) // fail early on a bad retention, as PBS's pool does
  const warnings: string[] = []
  const latest = latestMediaSet(policy.name, all)
  if (latest.kind === 'inconsistent') warnings.push(latest.reason)
  const current = latest.kind === 'set' ? mediaSetMembers(latest.uuid, all) : undefined

  const fresh = (reason: string): WriteSession => ({
    pool: policy.name,
    mediaSetUuid: (options.newUuid ?? randomUUID)(),
    newMediaSet: true,
    reason,
    lastWritableAvailable: false,
    warnings
  })

  if (options.forceMediaSet === true) return fresh('forced')
  const usable = currentSetUsable(policy, current, drive)
  if (!usable.ok) return fresh(usable.reason)
  if (usable.lastWritableUnavailable !== undefined) {
    return fresh(`${usable.lastWritableUnavailable.why} (Tapedeck starts a new media set)`)
  }
  if (allocation.kind === 'always') return fresh('policy is AlwaysCreate')
  if (allocation.kind === 'calendar' && current !== undefined) {
    const start = mediaSetStartTime(current.uuid, all)
    if (start !== undefined) {
      const next = nextCalendarEvent(allocation.event, start, options.timeZone)
      if (next !== null && now >= next) return fresh('policy CreateAt event triggered')
    }
  }
  if (current === undefined) {
    return fresh(latest.kind === 'inconsistent' ? latest.reason : 'pool has no media set yet')
  }
  return {
    pool: policy.name,
    mediaSetUuid: current.uuid,
    newMediaSet: false,
    lastWritableAvailable: usable.lastWritableAvailable,
    warnings
  }
}

/** The members of the set a session writes to, as the inventory has them now. */
export function sessionMediaSet(
  session: WriteSession,
  all: readonly MediaRecord[]
): MediaSetMembers {
  return mediaSetMembers(session.mediaSetUuid, all)
}

// ---------------------------------------------------------------------------------------------
// Expiry in the context of a session

/**
 * PBS `media_is_expired`: the tape's computed status is full (relative to the session's set, or
 * the pool's current set without a session) and `now` ≥ its expire time.
 */
export function mediaIsExpired(
  policy: PoolPolicy,
  media: MediaRecord,
  all: readonly MediaRecord[],
  now: number,
  current: MediaSetMembers | undefined,
  options: ZoneOptions = {}
): boolean {
  if (computeMediaState(policy.name, media, current) !== 'full') return false
  const expires = mediaExpireTime(policy, media, all, options)
  return expires !== undefined && now >= expires
}

// ---------------------------------------------------------------------------------------------
// alloc_writable_media

export type NextTape =
  | {
      /** Keep writing the current set's last tape. */
      kind: 'current'
      media: MediaRecord
      seqNr: number
      log: string[]
      warnings: string[]
    }
  | {
      /** Label this tape into the session's set: empty pool tape, expired tape, or free tape. */
      kind: 'empty' | 'expired' | 'free'
      media: MediaRecord
      /** The set label to store (and write) for the tape; its stored status is to be cleared. */
      mediaSet: MediaSetInfo
      log: string[]
      warnings: string[]
    }
  | { kind: 'none'; reason: string; log: string[] }

export interface ChooseNextTapeOptions extends ZoneOptions {
  /**
   * True if a media set is locked by someone else (a running restore): its expired tapes are
   * skipped, as PBS does when it cannot take the set's lock without waiting.
   */
  setInUse?: (setUuid: string) => boolean
}

const byLabelCtime = (a: MediaRecord, b: MediaRecord): number =>
  a.ctime - b.ctime || compareText(a.labelText, b.labelText)

/**
 * PBS `alloc_writable_media` (and `guess_next_writable_media`, same order), for a session from
 * startWriteSession:
 * 1. the set's last tape if writable and available;
 * 2. an empty tape of the pool (no set label, writable, available), oldest label ctime first,
 *    then smallest label text;
 * 3. an expired tape of the pool (computed full, another set, expire time reached, available,
 *    set not in use), oldest set-label ctime (when the tape joined its set) first, then label;
 * 4. a free tape (no pool, no set, writable, available), oldest label ctime first, then label;
 * 5. none: "alloc writable media in pool '…' failed: no usable media found".
 * A set that became unusable during the job fails with current_set_usable()'s error, like PBS.
 * Within a job PBS appends to the session's set even if its last tape became unavailable.
 */
export function chooseNextTape(
  policy: PoolPolicy,
  all: readonly MediaRecord[],
  drive: DriveContext,
  now: number,
  session: WriteSession,
  options: ChooseNextTapeOptions = {}
): NextTape {
  const log: string[] = []
  const current = sessionMediaSet(session, all)
  const usable = currentSetUsable(policy, current, drive)
  if (!usable.ok) return { kind: 'none', reason: usable.reason, log }
  if (usable.lastWritableAvailable) {
    const media = current.members[current.members.length - 1]!
    return { kind: 'current', media, seqNr: current.members.length - 1, log, warnings: [] }
  }

  const assign = (kind: 'empty' | 'expired' | 'free', media: MediaRecord): NextTape => {
    const seqNr = current.members.length
    const mediaSet: MediaSetInfo = {
      pool: policy.name,
      uuid: session.mediaSetUuid,
      seqNr,
      ctime: now
    }
    if (policy.encrypt !== undefined) mediaSet.encryptionKeyFingerprint = policy.encrypt
    const warnings =
      seqNr >= MEDIA_SET_SEQ_NR_WARN_LIMIT
        ? [`large media-set detected (${seqNr}), consider using a different allocation policy`]
        : []
    return { kind, media, mediaSet, log, warnings }
  }

  const inPool = poolMedia(policy.name, all).filter((m) => locationIsAvailable(m.location, drive))
  const empty = inPool
    .filter(
      (m) =>
        activeMediaSet(m) === undefined && computeMediaState(policy.name, m, current) === 'writable'
    )
    .sort(byLabelCtime)[0]
  if (empty !== undefined) {
    log.push(`found empty media '${empty.labelText}'`)
    return assign('empty', empty)
  }

  log.push('no empty media in pool, try to reuse expired media')
  const expired = inPool
    .filter((m) => {
      const set = activeMediaSet(m)
      if (set === undefined || set.uuid === current.uuid) return false
      return mediaIsExpired(policy, m, all, now, current, options)
    })
    .sort(
      (a, b) =>
        activeMediaSet(a)!.ctime - activeMediaSet(b)!.ctime || compareText(a.labelText, b.labelText)
    )
  for (const media of expired) {
    const setUuid = activeMediaSet(media)!.uuid
    if (options.setInUse?.(setUuid) === true) {
      log.push(`media set ${setUuid} of expired media '${media.labelText}' is in use, skipped`)
      continue
    }
    log.push(`reuse expired media '${media.labelText}'`)
    return assign('expired', media)
  }

  log.push('no empty or expired media in pool, try to find unassigned/free media')
  const free = unassignedMedia(all)
    .filter(
      (m) =>
        m.mediaSet === undefined &&
        locationIsAvailable(m.location, drive) &&
        (m.storedStatus ?? 'writable') === 'writable'
    )
    .sort(byLabelCtime)[0]
  if (free !== undefined) {
    log.push(`use free/unassigned media '${free.labelText}'`)
    return assign('free', free)
  }

  return {
    kind: 'none',
    reason: `alloc writable media in pool '${policy.name}' failed: no usable media found`,
    log
  }
}

// ---------------------------------------------------------------------------------------------
// media list

/** Set UUID describePoolMedia reports for a set a job would start (no tape carries it). */
export const NEW_SET_PLACEHOLDER = 'new-media-set'

export interface PoolMediaView {
  media: MediaRecord
  /** Status a job would see (PBS `media list`). */
  status: MediaStatus
  /** Full and past its expire time: may be overwritten. */
  expired: boolean
  /** When the data expires (undefined: never / not known yet). */
  expireTime?: number
  /** Display status: `expired` instead of `full` when expired. */
  displayStatus: MediaStatus | 'expired'
  mediaSetName?: string
}

/**
 * PBS `list_media` for one pool: runs a write session with forced availability (online and
 * offline tapes count, vaults not) so the statuses are those a job would see, then describes
 * every tape of the pool. When that session would start a new set, `session.mediaSetUuid` is the
 * placeholder NEW_SET_PLACEHOLDER (nothing is allocated by listing).
 */
export function describePoolMedia(
  policy: PoolPolicy,
  all: readonly MediaRecord[],
  now: number,
  options: ZoneOptions = {}
): { session: WriteSession; media: PoolMediaView[] } {
  const drive: DriveContext = { forceAvailability: true }
  const session = startWriteSession(policy, all, drive, now, {
    ...options,
    newUuid: () => NEW_SET_PLACEHOLDER
  })
  const current = sessionMediaSet(session, all)
  const media = poolMedia(policy.name, all).map((m): PoolMediaView => {
    const status = computeMediaState(policy.name, m, current)
    const set = activeMediaSet(m)
    const expireTime = set === undefined ? undefined : mediaExpireTime(policy, m, all, options)
    const expired = status === 'full' && expireTime !== undefined && now >= expireTime
    const view: PoolMediaView = {
      media: m,
      status,
      expired,
      displayStatus: expired ? 'expired' : status
    }
    if (expireTime !== undefined) view.expireTime = expireTime
    if (set !== undefined) view.mediaSetName = mediaSetNameFor(policy, set.uuid, all, options)
    return view
  })
  return { session, media }
}

/** A set's name from the pool's template and the set's start time (seq 0's ctime). */
export function mediaSetNameFor(
  policy: Pick<PoolPolicy, 'template'>,
  setUuid: string,
  all: readonly MediaRecord[],
  options: ZoneOptions = {}
): string {
  return mediaSetName(policy.template, setUuid, mediaSetStartTime(setUuid, all), options.timeZone)
}

/** Advice about a pool's policy that PBS's documentation gives in prose. */
export function poolPolicyWarnings(policy: PoolPolicy): string[] {
  const allocation = parseAllocationPolicy(policy.allocation)
  const retention = parseRetentionPolicy(policy.retention)
  const warnings: string[] = []
  if (allocation.kind === 'always' && retention.kind === 'overwrite') {
    warnings.push(
      "allocation 'always' with retention 'overwrite': a media set expires as soon as the next " +
        'job starts, so that job may overwrite the previous backup before its own is complete'
    )
  }
  if (allocation.kind === 'continue' && retention.kind !== 'keep') {
    warnings.push(
      "allocation 'continue': retention only starts when a newer media set exists, and this " +
        'policy never starts one by itself (use --force-media-set or export the set)'
    )
  }
  return warnings
}
