/**
 * The pure part of a media pool: what a tape's status is, which media set is a pool's current
 * one, where a tape may be used. Works on plain inventory records (no I/O), following PBS 3.2.4
 * `src/tape/inventory.rs` and `src/tape/media_pool.rs` (reference/pbs-tape.md §4.1–§4.4).
 */
import { NIL_UUID } from '../format/uuid-bytes'

/** PBS `MediaStatus`; only full/damaged/retired are ever stored, writable/unknown are computed. */
export type MediaStatus = 'writable' | 'full' | 'unknown' | 'damaged' | 'retired'

/** What PBS stores as a tape's status (absent = none). */
export type StoredMediaStatus = 'full' | 'damaged' | 'retired'

/** A tape's media-set label (file 1), as the inventory keeps it. */
export interface MediaSetInfo {
  uuid: string
  pool: string
  /** 0-based position of the tape in its set. */
  seqNr: number
  /** When the tape joined the set (epoch seconds); seq 0's ctime is the set's start time. */
  ctime: number
  /** `aa:bb:…` fingerprint of the key the set is encrypted with. */
  encryptionKeyFingerprint?: string
}

/** One tape as the inventory knows it. */
export interface MediaRecord {
  uuid: string
  labelText: string
  /** Media label ctime (when the tape was labeled), epoch seconds. */
  ctime: number
  /** Pool named in the media label, if the tape was labeled for one. */
  pool?: string
  /** Media-set label; the all-zero set UUID counts as "no media set". */
  mediaSet?: MediaSetInfo
  storedStatus?: StoredMediaStatus
  /** `offline` | `online-<changer>` | `vault-<vault>`; absent means offline (as in PBS). */
  location?: string
}

/**
 * A media pool's policy as media-pool.cfg holds it; PoolConfig from the API contract fits.
 * Defaults as in PBS: allocation `continue`, retention `keep`, template `%c`, no encryption.
 */
export interface PoolPolicy {
  name: string
  /** `continue` | `always` | calendar event. */
  allocation?: string
  /** `overwrite` | `keep` | time span. */
  retention?: string
  /** Media-set name template (strftime, `%id%`). */
  template?: string
  /** Fingerprint of the pool's tape encryption key. */
  encrypt?: string
}

/** The drive a job writes with: decides which tape locations count as available. */
export interface DriveContext {
  /** Changer the drive sits in; absent for a standalone drive. */
  changer?: string
  /**
   * Treat online (any changer) and offline tapes as available, vaults not (PBS
   * `force_media_availability`, used by `media list` to show what a job would see).
   */
  forceAvailability?: boolean
}

/** Thrown where PBS fails hard instead of starting a new media set. */
export class MediaPoolError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MediaPoolError'
  }
}

export type MediaLocation =
  | { kind: 'offline' }
  | { kind: 'online'; changer: string }
  | { kind: 'vault'; vault: string }
  /** Not a location PBS knows; never available. */
  | { kind: 'invalid'; text: string }

export function parseMediaLocation(location: string | undefined): MediaLocation {
  if (location === undefined || location === 'offline') return { kind: 'offline' }
  if (location.startsWith('online-') && location.length > 7) {
    return { kind: 'online', changer: location.slice(7) }
  }
  if (location.startsWith('vault-') && location.length > 6) {
    return { kind: 'vault', vault: location.slice(6) }
  }
  return { kind: 'invalid', text: location }
}

/**
 * PBS `location_is_available`: a changer drive may use only tapes online in its own changer, a
 * standalone drive only offline tapes (never tapes inside a library); vaults never.
 */
export function locationIsAvailable(location: string | undefined, drive: DriveContext): boolean {
  const loc = parseMediaLocation(location)
  switch (loc.kind) {
    case 'online':
      if (drive.forceAvailability === true) return true
      return drive.changer !== undefined && loc.changer === drive.changer
    case 'offline':
      return drive.forceAvailability === true || drive.changer === undefined
    case 'vault':
    case 'invalid':
      return false
  }
}

/** The media-set label unless absent or the all-zero "no media set" UUID. */
export function activeMediaSet(media: MediaRecord): MediaSetInfo | undefined {
  const set = media.mediaSet
  return set !== undefined && set.uuid.toLowerCase() !== NIL_UUID ? set : undefined
}

/** PBS `MediaId::pool()`: the set label's pool, else the media label's pool, else none (free). */
export function mediaPoolName(media: MediaRecord): string | undefined {
  return media.mediaSet?.pool ?? media.pool
}

/** Fingerprints compare as bytes in PBS; the text may differ in case. */
export function sameFingerprint(a: string | undefined, b: string | undefined): boolean {
  return (a?.toLowerCase() ?? null) === (b?.toLowerCase() ?? null)
}

/** Tapes of a pool (PBS `list_pool_media`). */
export function poolMedia(poolName: string, all: readonly MediaRecord[]): MediaRecord[] {
  return all.filter((m) => mediaPoolName(m) === poolName)
}

/** Tapes labeled without a pool and not in any set (PBS `list_unassigned_media`). */
export function unassignedMedia(all: readonly MediaRecord[]): MediaRecord[] {
  return all.filter((m) => mediaPoolName(m) === undefined)
}

/** The members of a media set by sequence number; gaps are undefined. */
export interface MediaSetMembers {
  uuid: string
  members: (MediaRecord | undefined)[]
}

/**
 * PBS `compute_media_set_members`: every tape whose set label names the set, placed at its seq
 * number. A duplicate seq number is an error there too (the pool cannot be opened).
 */
export function mediaSetMembers(setUuid: string, all: readonly MediaRecord[]): MediaSetMembers {
  const members: (MediaRecord | undefined)[] = []
  for (const media of sortByUuid(all)) {
    const set = activeMediaSet(media)
    if (set?.uuid !== setUuid) continue
    if (!Number.isSafeInteger(set.seqNr) || set.seqNr < 0) {
      throw new MediaPoolError(`invalid sequence number ${set.seqNr} on tape '${media.labelText}'`)
    }
    if (members[set.seqNr] !== undefined) {
      throw new MediaPoolError(
        `found duplicate sequence number in media set '${setUuid}/${set.seqNr}'`
      )
    }
    while (members.length < set.seqNr) members.push(undefined)
    members[set.seqNr] = media
  }
  return { uuid: setUuid, members }
}

/** PBS iterates its inventory in media-UUID order; so do we where the order can matter. */
export function sortByUuid(all: readonly MediaRecord[]): MediaRecord[] {
  return [...all].sort((a, b) => compareText(a.uuid.toLowerCase(), b.uuid.toLowerCase()))
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export type LatestMediaSet =
  | { kind: 'none' }
  | { kind: 'set'; uuid: string }
  /** Two sets share the newest ctime: PBS then uses no current set (a fresh one). */
  | { kind: 'inconsistent'; reason: string }

/**
 * PBS `latest_media_set`: the set (of this pool, by set-label pool) holding the tape with the
 * largest set-label ctime. If another set has a tape with that same ctime the inventory is
 * inconsistent and there is no current set.
 */
export function latestMediaSet(poolName: string, all: readonly MediaRecord[]): LatestMediaSet {
  let latest: MediaSetInfo | undefined
  const sets = sortByUuid(all)
    .map(activeMediaSet)
    .filter((s): s is MediaSetInfo => s !== undefined && s.pool === poolName)
  for (const set of sets) {
    if (latest === undefined || set.ctime > latest.ctime) latest = set
  }
  if (latest === undefined) return { kind: 'none' }
  const clash = sets.find((s) => s.uuid !== latest.uuid && s.ctime >= latest.ctime)
  if (clash !== undefined) {
    return {
      kind: 'inconsistent',
      reason:
        `inconsistent inventory: media sets ${latest.uuid} and ${clash.uuid} of pool ` +
        `'${poolName}' both have a tape added at ${latest.ctime}`
    }
  }
  return { kind: 'set', uuid: latest.uuid }
}

/** The pool's current media set as PBS `MediaPool::new` finds it (undefined: none). */
export function currentMediaSet(
  poolName: string,
  all: readonly MediaRecord[]
): MediaSetMembers | undefined {
  const latest = latestMediaSet(poolName, all)
  return latest.kind === 'set' ? mediaSetMembers(latest.uuid, all) : undefined
}

/** Start time of a set = ctime of its seq-0 tape (any pool), undefined if that tape is unknown. */
export function mediaSetStartTime(
  setUuid: string,
  all: readonly MediaRecord[]
): number | undefined {
  let start: number | undefined
  for (const media of sortByUuid(all)) {
    const set = activeMediaSet(media)
    // PBS keeps the last one seen in its map walk; with a duplicate seq 0 the pool fails anyway
    if (set?.uuid === setUuid && set.seqNr === 0) start = set.ctime
  }
  return start
}

/** The tape that is last in the set's member list (undefined if the last slot is empty). */
export function lastMember(set: MediaSetMembers | undefined): MediaRecord | undefined {
  return set?.members[set.members.length - 1]
}

/**
 * PBS `compute_media_state` for a tape of the pool, with `current` the pool's current media set
 * (from `currentMediaSet`, or the set a write session uses; undefined when a new set is about to
 * be started, so that every used tape counts as full):
 * 1. a stored full/damaged/retired status wins;
 * 2. no media set (or the all-zero set) → writable (an empty tape);
 * 3. set of another pool → unknown;
 * 4. not the current set → full;
 * 5. the current set's last tape → writable, its other tapes → full.
 * (PBS checks the pool before the all-zero UUID; both orders agree as PBS lists an all-zero
 * set as no set.)
 */
export function computeMediaState(
  poolName: string,
  media: MediaRecord,
  current: MediaSetMembers | undefined
): MediaStatus {
  if (media.storedStatus !== undefined) return media.storedStatus
  const set = activeMediaSet(media)
  if (set === undefined) return 'writable'
  if (set.pool !== poolName) return 'unknown'
  if (current === undefined || set.uuid !== current.uuid) return 'full'
  return lastMember(current)?.uuid === media.uuid ? 'writable' : 'full'
}

/**
 * Status of a tape without pool (`media list` for unassigned tapes): the stored status, else
 * writable.
 */
export function unassignedMediaState(media: MediaRecord): MediaStatus {
  return media.storedStatus ?? 'writable'
}
