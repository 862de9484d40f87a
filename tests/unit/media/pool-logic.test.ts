import { execFileSync } from 'node:child_process'
import { describe, it, expect, beforeEach } from 'vitest'
import {
  type DriveContext,
  type MediaRecord,
  type PoolPolicy,
  type WriteSession,
  MediaPoolError,
  chooseNextTape,
  computeMediaState,
  currentMediaSet,
  currentSetUsable,
  describePoolMedia,
  latestMediaSet,
  locationIsAvailable,
  mediaExpireTime,
  mediaIsExpired,
  mediaSetMembers,
  mediaSetName,
  mediaSetNameFor,
  parseRetentionPolicy,
  poolPolicyWarnings,
  sessionMediaSet,
  startWriteSession,
  strftime,
  validateMediaSetTemplate
} from '../../../main/core/media/pool-logic'

// ---------------------------------------------------------------------------------------------
// Fixtures

let counter = 0
/** Deterministic UUIDs; `prefix` (one hex digit) orders them in inventory (media-UUID) order. */
function newUuid(prefix = '1'): string {
  counter++
  return `${prefix.repeat(8)}-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`
}
beforeEach(() => {
  counter = 0
})

/** Epoch seconds of an ISO time with offset. */
const at = (iso: string): number => {
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) throw new Error(`bad time ${iso}`)
  return ms / 1000
}
const DAY = 86_400

const CHANGER: DriveContext = { changer: 'lib' }
const STANDALONE: DriveContext = {}

/** A tape labeled for `pool` (or free without one), in changer 'lib' by default. */
function blank(labelText: string, extra: Partial<MediaRecord> = {}): MediaRecord {
  return { uuid: newUuid(), labelText, ctime: 1000, location: 'online-lib', ...extra }
}

/** A tape in media set `set` of pool `pool`. */
function member(
  labelText: string,
  set: string,
  seqNr: number,
  ctime: number,
  extra: Partial<MediaRecord> & { pool?: string; fp?: string } = {}
): MediaRecord {
  const { fp, pool = 'p1', ...rest } = extra
  const media: MediaRecord = {
    uuid: newUuid(),
    labelText,
    ctime: 0,
    pool,
    location: 'online-lib',
    mediaSet: { uuid: set, pool, seqNr, ctime },
    ...rest
  }
  if (fp !== undefined) media.mediaSet!.encryptionKeyFingerprint = fp
  return media
}

const FP1 = Array.from({ length: 32 }, (_, i) => (i + 16).toString(16)).join(':')
const FP2 = Array.from({ length: 32 }, (_, i) => (i + 100).toString(16)).join(':')

const byLabel = (all: readonly MediaRecord[], label: string): MediaRecord => {
  const m = all.find((x) => x.labelText === label)
  if (m === undefined) throw new Error(`no tape ${label}`)
  return m
}

/**
 * A backup site driving the pool logic the way a backup job will: one write session per job,
 * then tapes chosen one after another; tapes hold 100 units, a job writes `units`.
 */
class Site {
  media: MediaRecord[] = []
  readonly remaining = new Map<string, number>()
  setCounter = 0

  constructor(
    public policy: PoolPolicy,
    public drive: DriveContext = CHANGER,
    public timeZone = 'UTC'
  ) {}

  add(...tapes: MediaRecord[]): this {
    this.media.push(...tapes)
    return this
  }

  tape(label: string): MediaRecord {
    return byLabel(this.media, label)
  }

  update(uuid: string, change: (m: MediaRecord) => MediaRecord): void {
    this.media = this.media.map((m) => (m.uuid === uuid ? change(m) : m))
  }

  job(
    now: number,
    units: number,
    opts: { forceMediaSet?: boolean; setInUse?: (uuid: string) => boolean } = {}
  ): {
    session: WriteSession
    tapes: string[]
    kinds: string[]
    log: string[]
    warnings: string[]
    error?: string
  } {
    const session = startWriteSession(this.policy, this.media, this.drive, now, {
      forceMediaSet: opts.forceMediaSet,
      timeZone: this.timeZone,
      newUuid: () => `5e7${String(++this.setCounter).padStart(5, '0')}-0000-4000-8000-000000000000`
    })
    const tapes: string[] = []
    const kinds: string[] = []
    const log: string[] = []
    const warnings = [...session.warnings]
    let left = units
    let t = now
    while (left > 0) {
      const next = chooseNextTape(this.policy, this.media, this.drive, t, session, {
        timeZone: this.timeZone,
        setInUse: opts.setInUse
      })
      log.push(...next.log)
      if (next.kind === 'none') return { session, tapes, kinds, log, warnings, error: next.reason }
      warnings.push(...next.warnings)
      if (next.kind !== 'current') {
        // store the new set label, status cleared, location kept (PBS Inventory::store)
        this.update(next.media.uuid, (m) => {
          const { storedStatus: _cleared, ...rest } = m
          return { ...rest, mediaSet: next.mediaSet }
        })
        this.remaining.set(next.media.uuid, 100)
      }
      tapes.push(next.media.labelText)
      kinds.push(next.kind)
      const room = this.remaining.get(next.media.uuid) ?? 100
      const written = Math.min(room, left)
      left -= written
      this.remaining.set(next.media.uuid, room - written)
      if (room - written === 0) {
        this.update(next.media.uuid, (m) => ({ ...m, storedStatus: 'full' }))
      }
      t += 60
    }
    return { session, tapes, kinds, log, warnings }
  }

  status(label: string, now: number): string {
    const view = describePoolMedia(this.policy, this.media, now, { timeZone: this.timeZone })
    const entry = view.media.find((v) => v.media.labelText === label)
    if (entry === undefined) throw new Error(`no tape ${label} in pool`)
    return entry.displayStatus
  }
}

// ---------------------------------------------------------------------------------------------

describe('media state (PBS compute_media_state)', () => {
  it('empty tapes are writable, old sets full, the current set writable only at its end', () => {
    // PBS test_compute_media_state
    const s2 = newUuid('2')
    const s3 = newUuid('3')
    const s4 = newUuid('4')
    const all = [
      blank('tape1', { pool: 'p1', ctime: 0 }),
      member('tape2', s2, 0, 10),
      member('tape3', s3, 0, 20),
      member('tape4', s4, 0, 30),
      member('tape5', s4, 1, 35)
    ]
    const current = currentMediaSet('p1', all)
    expect(current?.uuid).toBe(s4)
    const state = (l: string) => computeMediaState('p1', byLabel(all, l), current)
    expect(['tape1', 'tape2', 'tape3', 'tape4', 'tape5'].map(state)).toEqual([
      'writable',
      'full',
      'full',
      'full',
      'writable'
    ])
    // a write session that starts a new set turns every used tape full
    expect(computeMediaState('p1', byLabel(all, 'tape5'), undefined)).toBe('full')
  })

  it('a stored status wins; a set of another pool is unknown; the all-zero set is empty', () => {
    const s = newUuid('2')
    const all = [
      member('A', s, 0, 10, { storedStatus: 'damaged' }),
      member('B', s, 1, 20, { storedStatus: 'retired' }),
      member('C', newUuid('3'), 0, 5, { pool: 'other' }),
      blank('D', {
        pool: 'p1',
        mediaSet: { uuid: '00000000-0000-0000-0000-000000000000', pool: 'p1', seqNr: 0, ctime: 1 }
      })
    ]
    const current = currentMediaSet('p1', all)
    expect(computeMediaState('p1', byLabel(all, 'A'), current)).toBe('damaged')
    expect(computeMediaState('p1', byLabel(all, 'B'), current)).toBe('retired')
    expect(computeMediaState('p1', byLabel(all, 'C'), current)).toBe('unknown')
    expect(computeMediaState('p1', byLabel(all, 'D'), current)).toBe('writable')
  })

  it('availability: a changer drive uses its own changer only, a standalone drive offline tapes only', () => {
    const cases: [string | undefined, DriveContext, boolean][] = [
      ['online-lib', CHANGER, true],
      ['online-lib2', CHANGER, false],
      ['offline', CHANGER, false],
      [undefined, CHANGER, false],
      ['vault-safe', CHANGER, false],
      ['offline', STANDALONE, true],
      [undefined, STANDALONE, true],
      ['online-lib', STANDALONE, false],
      ['vault-safe', STANDALONE, false],
      ['online-lib2', { forceAvailability: true }, true],
      ['offline', { changer: 'lib', forceAvailability: true }, true],
      ['vault-safe', { forceAvailability: true }, false],
      ['somewhere', STANDALONE, false]
    ]
    for (const [location, drive, expected] of cases) {
      expect(locationIsAvailable(location, drive), `${location} ${JSON.stringify(drive)}`).toBe(
        expected
      )
    }
  })
})

describe('current media set (max set-label ctime)', () => {
  it('is the set holding the most recently added tape, not the most recently started set', () => {
    const a = newUuid('2')
    const b = newUuid('3')
    const all = [member('A0', a, 0, 10), member('B0', b, 0, 20), member('A1', a, 1, 30)]
    expect(latestMediaSet('p1', all)).toEqual({ kind: 'set', uuid: a })
  })

  it('only sets whose set label names the pool count', () => {
    const all = [member('X', newUuid('2'), 0, 50, { pool: 'p2' }), member('Y', newUuid('3'), 0, 10)]
    expect(latestMediaSet('p1', all)).toEqual({ kind: 'set', uuid: all[1]!.mediaSet!.uuid })
    expect(latestMediaSet('p3', all)).toEqual({ kind: 'none' })
  })

  it('two sets with the same newest ctime: inconsistent, no current set', () => {
    // PBS test_latest_media_set, pool p2
    const all = [member('p2t1', newUuid('2'), 0, 10), member('p2t2', newUuid('3'), 0, 10)]
    const latest = latestMediaSet('p1', all)
    expect(latest.kind).toBe('inconsistent')
    expect(currentMediaSet('p1', all)).toBeUndefined()
    // an older set with an equal ctime among its tapes does not matter
    const ok = [...all, member('p2t3', all[0]!.mediaSet!.uuid, 1, 11)]
    expect(latestMediaSet('p1', ok)).toEqual({ kind: 'set', uuid: all[0]!.mediaSet!.uuid })
  })

  it('incomplete sets still count (PBS test_latest_media_set, pool p3)', () => {
    const s5 = newUuid('2')
    const all = [
      member('p3t1', s5, 5, 50),
      member('p3t2', newUuid('3'), 1, 10),
      member('p3t3', newUuid('4'), 0, 20)
    ]
    const current = currentMediaSet('p1', all)!
    expect(current.uuid).toBe(s5)
    expect(current.members.length).toBe(6)
    expect(current.members.filter((m) => m !== undefined).map((m) => m!.labelText)).toEqual([
      'p3t1'
    ])
  })

  it('a duplicate sequence number is a hard error, as in PBS', () => {
    const s = newUuid('2')
    const all = [member('A', s, 0, 10), member('B', s, 1, 20), member('C', s, 1, 30)]
    expect(() => mediaSetMembers(s, all)).toThrow(MediaPoolError)
    expect(() => startWriteSession({ name: 'p1' }, all, CHANGER, 100)).toThrow(
      `found duplicate sequence number in media set '${s}/1'`
    )
  })
})

describe('current_set_usable', () => {
  const pool: PoolPolicy = { name: 'p1', allocation: 'always' }
  const usable = (all: MediaRecord[], drive: DriveContext = CHANGER) =>
    currentSetUsable(pool, currentMediaSet('p1', all), drive)

  it('mirrors PBS tests current_set_usable_1..7', () => {
    // 1: no media at all; 2: one free tape
    expect(usable([])).toEqual({ ok: true, lastWritableAvailable: false })
    expect(usable([blank('tape1', { pool: 'p1' })])).toEqual({
      ok: true,
      lastWritableAvailable: false
    })
    // 3: one offline tape in the current set, changer drive → usable, not writable
    const s = newUuid('2')
    const offline = [member('tape1', s, 0, 0, { location: undefined })]
    const r3 = usable(offline)
    expect(r3.ok && r3.lastWritableAvailable).toBe(false)
    // 4: same tape, standalone drive → writable
    expect(usable(offline, STANDALONE)).toEqual({ ok: true, lastWritableAvailable: true })
    // 5: two tapes
    const two = [member('tape1', s, 0, 0), member('tape2', s, 1, 1)]
    expect(usable(two)).toEqual({ ok: true, lastWritableAvailable: true })
    // 6: incomplete set
    expect(usable([member('tape2', newUuid('3'), 1, 1)])).toEqual({
      ok: false,
      reason: 'media set is incomplete (missing media information)'
    })
    // 7: a damaged member
    const damaged = [member('tape1', s, 0, 0, { storedStatus: 'damaged' }), member('t2', s, 1, 1)]
    expect(usable(damaged)).toEqual({
      ok: false,
      reason: 'unable to use media set - wrong media status Damaged'
    })
  })

  it('retired members, keys and vaults', () => {
    const s = newUuid('2')
    expect(
      usable([member('a', s, 0, 0), member('b', s, 1, 1, { storedStatus: 'retired' })])
    ).toEqual({ ok: false, reason: 'unable to use media set - wrong media status Retired' })
    const enc = [member('a', s, 0, 0, { fp: FP1 }), member('b', s, 1, 1, { fp: FP1 })]
    expect(usable(enc)).toEqual({ ok: false, reason: 'pool encryption key changed' })
    expect(
      currentSetUsable({ name: 'p1', encrypt: FP1 }, currentMediaSet('p1', enc), CHANGER)
    ).toEqual({ ok: true, lastWritableAvailable: true })
    // fingerprints compare as bytes, not as text
    const upper = { name: 'p1', encrypt: FP1.toUpperCase() }
    expect(currentSetUsable(upper, currentMediaSet('p1', enc), CHANGER).ok).toBe(true)
    const vault = [member('a', s, 0, 0), member('b', s, 1, 1, { location: 'vault-bank' })]
    expect(usable(vault)).toEqual({ ok: false, reason: "writable media offsite in vault 'bank'" })
    // a full last tape in a vault is fine: the set goes on on another tape
    vault[1]!.storedStatus = 'full'
    expect(usable(vault)).toEqual({ ok: true, lastWritableAvailable: false })
  })

  it('a writable tape that is not last cannot occur: non-last members compute as full', () => {
    const s = newUuid('2')
    // seq 0 never got marked full (job crashed before it did); seq 1 exists
    const all = [member('a', s, 0, 0), member('b', s, 1, 1)]
    const current = currentMediaSet('p1', all)
    expect(computeMediaState('p1', all[0]!, current)).toBe('full')
    expect(usable(all)).toEqual({ ok: true, lastWritableAvailable: true })
  })

  it('a lost last tape shortens the set: PBS then appends to the one before', () => {
    const s = newUuid('2')
    const all = [member('a', s, 0, 0), member('b', s, 1, 1)] // seq 2 was removed from the inventory
    const continuing = { name: 'p1' }
    const next = chooseNextTape(continuing, all, CHANGER, 10, startSession(all, continuing))
    expect(next.kind).toBe('current')
    expect(next.kind === 'current' && next.media.labelText).toBe('b')
  })

  it('a member of another pool in the set is an owner error', () => {
    const s = newUuid('2')
    const all = [member('a', s, 0, 0), member('b', s, 1, 1, { pool: 'p2' })]
    expect(usable(all)).toEqual({ ok: false, reason: 'media does not belong to pool (p2 != p1)' })
  })
})

function startSession(all: MediaRecord[], policy: PoolPolicy, drive = CHANGER): WriteSession {
  return startWriteSession(policy, all, drive, 100, { newUuid: () => 'ffffffff-0000-4000-8000-0' })
}

describe('start_write_session', () => {
  const start = (
    policy: PoolPolicy,
    all: MediaRecord[],
    now: number,
    opts: { forceMediaSet?: boolean; drive?: DriveContext; timeZone?: string } = {}
  ) =>
    startWriteSession(policy, all, opts.drive ?? CHANGER, now, {
      forceMediaSet: opts.forceMediaSet,
      timeZone: opts.timeZone ?? 'UTC',
      newUuid: () => 'new-set'
    })

  it('continue never starts a set by itself; forced does; a fresh pool does', () => {
    const s = newUuid('2')
    const all = [member('a', s, 0, 0, { storedStatus: 'full' }), member('b', s, 1, 1)]
    const p = { name: 'p1' }
    expect(start(p, all, 10 * 365 * DAY)).toMatchObject({
      mediaSetUuid: s,
      newMediaSet: false,
      lastWritableAvailable: true
    })
    expect(start(p, all, 5, { forceMediaSet: true })).toMatchObject({
      mediaSetUuid: 'new-set',
      newMediaSet: true,
      reason: 'forced'
    })
    expect(start(p, [], 5)).toMatchObject({
      newMediaSet: true,
      reason: 'pool has no media set yet'
    })
    expect(start({ name: 'p1', allocation: 'always' }, [], 5).reason).toBe('policy is AlwaysCreate')
  })

  it('an unusable current set starts a new one, its error is the reason', () => {
    const s = newUuid('2')
    const all = [member('a', s, 0, 0, { storedStatus: 'damaged' }), member('b', s, 1, 1)]
    expect(start({ name: 'p1' }, all, 5)).toMatchObject({
      newMediaSet: true,
      reason: 'unable to use media set - wrong media status Damaged'
    })
    // forced wins over the error, like in PBS
    expect(start({ name: 'p1' }, all, 5, { forceMediaSet: true }).reason).toBe('forced')
  })

  it('a changed pool key starts a new set whose tapes carry the new key', () => {
    const s = newUuid('2')
    const all = [member('a', s, 0, 0, { fp: FP1 })]
    const site = new Site({ name: 'p1', encrypt: FP2 }).add(...all, blank('n1', { pool: 'p1' }))
    const job = site.job(10, 10)
    expect(job.session).toMatchObject({ newMediaSet: true, reason: 'pool encryption key changed' })
    expect(site.tape('n1').mediaSet).toMatchObject({ seqNr: 0, encryptionKeyFingerprint: FP2 })
    expect(start({ name: 'p1', encrypt: FP2 }, site.media, 20).newMediaSet).toBe(false)
    // dropping encryption is a change too
    expect(start({ name: 'p1' }, site.media, 20).reason).toBe('pool encryption key changed')
  })

  it('inconsistent inventory (equal ctimes) → warning and a new set', () => {
    const all = [member('a', newUuid('2'), 0, 10), member('b', newUuid('3'), 0, 10)]
    const s = start({ name: 'p1' }, all, 20)
    expect(s.newMediaSet).toBe(true)
    expect(s.reason).toMatch(/^inconsistent inventory: media sets .* both have a tape added at 10$/)
    expect(s.warnings).toEqual([s.reason])
  })

  it('calendar allocation: a new set once the next event after the set start has passed', () => {
    const s = newUuid('2')
    const setStart = at('2026-01-05T22:00:05+01:00') // Mon
    const all = [member('a', s, 0, setStart)]
    const p = { name: 'p1', allocation: 'mon..fri 22:00' }
    const z = { timeZone: 'Europe/Berlin' }
    expect(start(p, all, at('2026-01-06T21:59:59+01:00'), z).newMediaSet).toBe(false)
    expect(start(p, all, at('2026-01-06T22:00:00+01:00'), z)).toMatchObject({
      newMediaSet: true,
      reason: 'policy CreateAt event triggered'
    })
    // the event is local time: in UTC, Monday 22:00 comes after a set started 21:00:05 UTC
    const lateMonday = at('2026-01-05T23:30:00+01:00')
    expect(start(p, all, lateMonday, z).newMediaSet).toBe(false)
    expect(start(p, all, lateMonday, { timeZone: 'UTC' }).reason).toBe(
      'policy CreateAt event triggered'
    )
    // a set without a known start (seq 0 missing) cannot trigger; it is incomplete anyway
    const noStart = [member('b', s, 1, setStart)]
    expect(start(p, noStart, setStart + DAY * 7, z).reason).toBe(
      'media set is incomplete (missing media information)'
    )
  })
})

describe('choosing the next tape (alloc_writable_media)', () => {
  it('PBS alloc tests 1–3: no media; free tape used until full; next one', () => {
    const p = { name: 'p1' }
    expect(chooseNextTape(p, [], STANDALONE, 10, startSession([], p, STANDALONE))).toMatchObject({
      kind: 'none',
      reason: "alloc writable media in pool 'p1' failed: no usable media found"
    })
    const site = new Site(p, STANDALONE).add(
      blank('tape1', { pool: 'p1', ctime: 0, location: undefined }),
      blank('tape2', { pool: 'p1', ctime: 1, location: undefined })
    )
    expect(site.job(10, 50).tapes).toEqual(['tape1'])
    expect(site.job(11, 50).tapes).toEqual(['tape1'])
    expect(site.job(12, 100)).toMatchObject({
      tapes: ['tape2'],
      kinds: ['empty'],
      session: { newMediaSet: false }
    })
    expect(site.tape('tape2').mediaSet).toMatchObject({ seqNr: 1, ctime: 12 })
    expect(site.job(13, 1).error).toBe(
      "alloc writable media in pool 'p1' failed: no usable media found"
    )
  })

  it('order: current → empty (oldest ctime, then label) → expired (oldest set) → free', () => {
    const old1 = newUuid('2')
    const old2 = newUuid('3')
    const cur = newUuid('4')
    const all = [
      member('E1', old1, 0, 100, { storedStatus: 'full' }),
      member('E2', old2, 0, 50, { storedStatus: 'full' }),
      member('E3', old2, 1, 60, { storedStatus: 'full' }),
      member('C0', cur, 0, 200, { storedStatus: 'full' }),
      blank('P-B', { pool: 'p1', ctime: 5 }),
      blank('P-A', { pool: 'p1', ctime: 5 }),
      blank('P-C', { pool: 'p1', ctime: 3, storedStatus: 'damaged' }),
      blank('FREE2', { ctime: 2 }),
      blank('FREE1', { ctime: 9 }),
      blank('X', { pool: 'other', ctime: 1 })
    ]
    const p: PoolPolicy = { name: 'p1', retention: 'overwrite' }
    const site = new Site(p).add(...all)
    const order: string[] = []
    for (let i = 0; i < 7; i++) {
      const job = site.job(1000 + i, 100)
      order.push(job.error ?? `${job.kinds[0]}:${job.tapes[0]}`)
    }
    expect(order).toEqual([
      'empty:P-A',
      'empty:P-B',
      'expired:E2', // set-label ctime 50 < 60 < 100
      'expired:E3',
      'expired:E1',
      'free:FREE2',
      'free:FREE1'
    ])
    expect(site.job(2000, 1).error).toBe(
      "alloc writable media in pool 'p1' failed: no usable media found"
    )
    // reused tapes joined the current set in order
    expect(site.tape('E1').mediaSet).toMatchObject({ uuid: cur, seqNr: 5, pool: 'p1' })
    expect(site.tape('FREE1').mediaSet).toMatchObject({ uuid: cur, seqNr: 7, pool: 'p1' })
  })

  it('expired tapes of a set in use (running restore) are skipped, the current set never reused', () => {
    const a = newUuid('2')
    const b = newUuid('3')
    const all = [
      member('A0', a, 0, 10, { storedStatus: 'full' }),
      member('B0', b, 0, 20, { storedStatus: 'full' }),
      member('B1', b, 1, 30, { storedStatus: 'full' })
    ]
    const p: PoolPolicy = { name: 'p1', retention: 'overwrite' }
    const session = startSession(all, p)
    expect(session.mediaSetUuid).toBe(b)
    const next = chooseNextTape(p, all, CHANGER, 100, session, { setInUse: (u) => u === a })
    expect(next).toMatchObject({ kind: 'none' })
    expect(next.log).toContain(`media set ${a} of expired media 'A0' is in use, skipped`)
    expect(chooseNextTape(p, all, CHANGER, 100, session)).toMatchObject({
      kind: 'expired',
      media: { labelText: 'A0' },
      mediaSet: { uuid: b, seqNr: 2 }
    })
  })

  it('standalone drives never take tapes inside a library; changer drives only their own', () => {
    const p: PoolPolicy = { name: 'p1' }
    const all = [
      blank('IN-LIB', { pool: 'p1', ctime: 1, location: 'online-lib' }),
      blank('IN-LIB2', { pool: 'p1', ctime: 2, location: 'online-lib2' }),
      blank('SHELF', { pool: 'p1', ctime: 3, location: 'offline' }),
      blank('BANK', { pool: 'p1', ctime: 0, location: 'vault-bank' })
    ]
    const pick = (drive: DriveContext) => {
      const next = chooseNextTape(p, all, drive, 10, startSession(all, p, drive))
      return next.kind === 'none' ? next.kind : next.media.labelText
    }
    expect(pick(STANDALONE)).toBe('SHELF')
    expect(pick(CHANGER)).toBe('IN-LIB')
    expect(pick({ changer: 'lib2' })).toBe('IN-LIB2')
    expect(pick({ changer: 'lib3' })).toBe('none')
  })

  it('warns from the 20th tape of a set on', () => {
    const s = newUuid('2')
    const all = Array.from({ length: 20 }, (_, i) =>
      member(`S${i}`, s, i, i, { storedStatus: 'full' })
    )
    all.push(blank('NEXT', { pool: 'p1' }))
    const p = { name: 'p1' }
    const next = chooseNextTape(p, all, CHANGER, 100, startSession(all, p))
    expect(next).toMatchObject({ kind: 'empty', mediaSet: { seqNr: 20 } })
    expect(next.kind !== 'none' && next.warnings).toEqual([
      'large media-set detected (20), consider using a different allocation policy'
    ])
  })
})

describe('DESIGN §3: last tape of the current set not available to the drive', () => {
  function setup(location: string | undefined) {
    const s = newUuid('2')
    const all = [
      member('T0', s, 0, 10, { storedStatus: 'full', location: 'offline' }),
      member('T1', s, 1, 20, { location }),
      blank('NEW', { pool: 'p1' })
    ]
    return { s, all }
  }

  it('exported (offline) with a changer drive: PBS would append, Tapedeck starts a new set', () => {
    const { s, all } = setup('offline')
    const p: PoolPolicy = { name: 'p1' }
    // what PBS's current_set_usable says: usable, last tape not writable here → append
    const usable = currentSetUsable(p, currentMediaSet('p1', all), CHANGER)
    expect(usable).toMatchObject({ ok: true, lastWritableAvailable: false })
    const site = new Site(p).add(...all)
    const job = site.job(100, 10)
    expect(job.session.newMediaSet).toBe(true)
    expect(job.session.reason).toBe(
      "last tape 'T1' of the current media set is offline (exported), not online in changer 'lib' of the drive (Tapedeck starts a new media set)"
    )
    expect(site.tape('NEW').mediaSet).toMatchObject({ seqNr: 0 })
    expect(site.tape('NEW').mediaSet!.uuid).not.toBe(s)
    // the old set is closed now: its last tape shows as full
    expect(site.status('T1', 200)).toBe('full')
  })

  it('in another changer, or in a library while the drive is standalone: new set', () => {
    const other = startWriteSession({ name: 'p1' }, setup('online-lib2').all, CHANGER, 100)
    expect(other.reason).toMatch(/is online in changer 'lib2', not in changer 'lib' of the drive/)
    const lib = startWriteSession({ name: 'p1' }, setup('online-lib').all, STANDALONE, 100)
    expect(lib.reason).toMatch(/is online in changer 'lib', which the standalone drive cannot use/)
  })

  it('offline with a standalone drive: available, the set goes on on that tape', () => {
    const { s, all } = setup('offline')
    const site = new Site({ name: 'p1' }, STANDALONE).add(...all)
    const job = site.job(100, 10)
    expect(job.session).toMatchObject({ newMediaSet: false, mediaSetUuid: s })
    expect(job.tapes).toEqual(['T1'])
    expect(job.kinds).toEqual(['current'])
  })

  it('in a vault: new set in PBS too, with its reason', () => {
    const session = startWriteSession({ name: 'p1' }, setup('vault-bank').all, CHANGER, 100)
    expect(session).toMatchObject({
      newMediaSet: true,
      reason: "writable media offsite in vault 'bank'"
    })
  })

  it('becoming unavailable during a job: the job appends to its set (PBS), no new set', () => {
    const { s, all } = setup('online-lib')
    const p = { name: 'p1' }
    const session = startWriteSession(p, all, CHANGER, 100)
    expect(session.mediaSetUuid).toBe(s)
    const moved = all.map((m) => (m.labelText === 'T1' ? { ...m, location: 'offline' } : m))
    expect(chooseNextTape(p, moved, CHANGER, 110, session)).toMatchObject({
      kind: 'empty',
      media: { labelText: 'NEW' },
      mediaSet: { uuid: s, seqNr: 2 }
    })
  })

  it('a full last tape that was exported just lets the set go on on a new tape', () => {
    const { s, all } = setup('offline')
    all[1]!.storedStatus = 'full'
    const site = new Site({ name: 'p1' }).add(...all)
    const job = site.job(100, 10)
    expect(job.session).toMatchObject({ newMediaSet: false, mediaSetUuid: s })
    expect(site.tape('NEW').mediaSet).toMatchObject({ uuid: s, seqNr: 2 })
  })
})

describe('expiry and retention (media_expire_time)', () => {
  it('retention spans use PBS lengths: M = 30.44 d, y = 365.25 d, whole seconds', () => {
    expect(parseRetentionPolicy('1M')).toEqual({ kind: 'span', seconds: 2_630_016 })
    expect(parseRetentionPolicy('1y 6M')).toEqual({
      kind: 'span',
      seconds: 31_557_600 + 6 * 2_630_016
    })
    expect(parseRetentionPolicy('1500ms')).toEqual({ kind: 'span', seconds: 1 })
    expect(parseRetentionPolicy(undefined)).toEqual({ kind: 'keep' })
    expect(() => parseRetentionPolicy('3 fortnights')).toThrow(/invalid time span/)
  })

  it('keep never expires; a tape without set never expires', () => {
    const s = newUuid('2')
    const all = [member('a', s, 0, 0), member('b', newUuid('3'), 0, 100)]
    expect(mediaExpireTime({ name: 'p1', allocation: 'always' }, all[0]!, all)).toBeUndefined()
    expect(
      mediaExpireTime({ name: 'p1', retention: 'overwrite' }, blank('x', { pool: 'p1' }), all)
    ).toBeUndefined()
  })

  it('continue: never until a newer set exists, then from that set’s start (retention starts when the set is closed)', () => {
    const p: PoolPolicy = { name: 'p1', retention: '1 week' }
    const site = new Site(p).add(blank('T1', { pool: 'p1' }), blank('T2', { pool: 'p1' }))
    site.job(0, 50)
    for (let day = 1; day < 200; day += 7) site.job(day * DAY, 1)
    expect(mediaExpireTime(p, site.tape('T1'), site.media)).toBeUndefined()
    expect(site.status('T1', 10_000 * DAY)).toBe('writable')
    // the admin forces a new set on day 300: T1's set is closed when T2 joins the new one
    site.job(300 * DAY, 10, { forceMediaSet: true })
    expect(site.tape('T2').mediaSet).toMatchObject({ seqNr: 0, ctime: 300 * DAY })
    expect(mediaExpireTime(p, site.tape('T1'), site.media)).toBe(307 * DAY)
    expect(site.status('T1', 307 * DAY - 1)).toBe('full')
    expect(site.status('T1', 307 * DAY)).toBe('expired')
  })

  it('overwrite: expired at the newer set’s start (PBS media_expire_time with continue)', () => {
    const a = newUuid('2')
    const b = newUuid('3')
    const all = [member('A0', a, 0, 10), member('A1', a, 1, 20), member('B0', b, 0, 50)]
    const p: PoolPolicy = { name: 'p1', retention: 'overwrite' }
    expect(mediaExpireTime(p, all[0]!, all)).toBe(50)
    expect(mediaExpireTime(p, all[1]!, all)).toBe(50)
    expect(mediaExpireTime(p, all[2]!, all)).toBeUndefined()
    expect(mediaIsExpired(p, all[1]!, all, 49, currentMediaSet('p1', all))).toBe(false)
    expect(mediaIsExpired(p, all[1]!, all, 50, currentMediaSet('p1', all))).toBe(true)
    // only full tapes expire: the current set's last tape does not
    expect(mediaIsExpired(p, all[2]!, all, 1e9, currentMediaSet('p1', all))).toBe(false)
    // a damaged tape never counts as expired
    const damaged = { ...all[0]!, storedStatus: 'damaged' as const }
    expect(mediaIsExpired(p, damaged, all, 1e9, currentMediaSet('p1', all))).toBe(false)
  })

  it('calendar + span: PBS test_media_expire_time (*:0/2, 120 seconds)', () => {
    const all = [
      member('tape0', newUuid('2'), 0, 0),
      member('tape1', newUuid('3'), 0, 60),
      member('tape2', newUuid('4'), 0, 120)
    ]
    const p: PoolPolicy = { name: 'p1', allocation: '*:0/2', retention: '120 seconds' }
    const current = currentMediaSet('p1', all)
    const expired = (label: string, now: number) =>
      mediaIsExpired(p, byLabel(all, label), all, now, current, { timeZone: 'UTC' })
    expect(computeMediaState('p1', byLabel(all, 'tape2'), current)).toBe('writable')
    expect([0, 60, 120, 180].map((t) => expired('tape0', t))).toEqual([false, false, false, true])
    expect([0, 60, 120, 180, 190, 240].map((t) => expired('tape1', t))).toEqual([
      false,
      false,
      false,
      false,
      false,
      true
    ])
    // without a newer set, the next event after the set's start ends its use
    expect(mediaExpireTime(p, byLabel(all, 'tape2'), all, { timeZone: 'UTC' })).toBe(240 + 120)
  })

  it('always + span: PBS alloc test 4 (12 s), retention counts from the set start', () => {
    const p: PoolPolicy = { name: 'p1', allocation: 'always', retention: '12s' }
    const site = new Site(p, STANDALONE).add(
      blank('tape1', { pool: 'p1', ctime: 0, location: undefined })
    )
    expect(site.job(10, 40).tapes).toEqual(['tape1'])
    // a second write within the same job continues on the tape
    const session = startWriteSession(p, site.media, STANDALONE, 10, { newUuid: () => 'x' })
    expect(session.reason).toBe('policy is AlwaysCreate')
    site.update(site.tape('tape1').uuid, (m) => ({ ...m, storedStatus: 'full' }))
    expect(site.job(20, 1).error).toMatch(/no usable media found/)
    expect(site.job(21, 1).error).toMatch(/no usable media found/)
    expect(site.job(22, 1)).toMatchObject({ tapes: ['tape1'], kinds: ['expired'] })
  })

  it('the set start is seq 0’s ctime (fallback: the tape’s own) and the pool is the set’s', () => {
    const s = newUuid('2')
    const all = [member('b', s, 1, 40), member('n', newUuid('3'), 0, 100)]
    const p: PoolPolicy = { name: 'p1', allocation: 'always', retention: '10s' }
    expect(mediaExpireTime(p, all[0]!, all)).toBe(50)
    // a newer set of another pool does not close this one
    const other = [member('a', s, 0, 10), member('z', newUuid('4'), 0, 100, { pool: 'p2' })]
    expect(
      mediaExpireTime({ name: 'p1', retention: 'overwrite' }, other[0]!, other)
    ).toBeUndefined()
  })
})

describe('realistic histories', () => {
  it('daily pool mon..fri 22:00, 3 weeks: one set per weekday, rotation of 16 tapes', () => {
    const tz = 'Europe/Berlin'
    const p: PoolPolicy = { name: 'daily', allocation: 'mon..fri 22:00', retention: '3 weeks' }
    const site = new Site(p, CHANGER, tz)
    for (let i = 1; i <= 16; i++) {
      site.add(blank(`D${String(i).padStart(2, '0')}L9`, { pool: 'daily', ctime: 1000 }))
    }
    const runs: string[] = []
    const reasons = new Set<string>()
    // Mon 2026-01-05 … Sun 2026-02-08, winter time (no DST change)
    for (let d = 0; d < 35; d++) {
      const date = new Date(Date.UTC(2026, 0, 5 + d))
      const ymd = date.toISOString().slice(0, 10)
      const weekday = date.getUTCDay()
      if (weekday >= 1 && weekday <= 5) {
        const job = site.job(at(`${ymd}T22:00:00+01:00`), 30)
        runs.push(
          `${ymd} ${job.error ?? job.kinds.map((k, i) => `${k}:${job.tapes[i]}`).join(',')}`
        )
        if (job.session.reason !== undefined) reasons.add(job.session.reason)
        expect(job.session.newMediaSet).toBe(true)
      } else if (weekday === 6) {
        // a Saturday catch-up job appends to Friday's set: the next event is Monday 22:00
        const job = site.job(at(`${ymd}T10:00:00+01:00`), 10)
        runs.push(
          `${ymd} ${job.error ?? job.kinds.map((k, i) => `${k}:${job.tapes[i]}`).join(',')}`
        )
        expect(job.session.newMediaSet).toBe(false)
      }
    }
    expect(reasons).toEqual(
      new Set(['pool has no media set yet', 'policy CreateAt event triggered'])
    )
    expect(runs).toEqual([
      '2026-01-05 empty:D01L9',
      '2026-01-06 empty:D02L9',
      '2026-01-07 empty:D03L9',
      '2026-01-08 empty:D04L9',
      '2026-01-09 empty:D05L9',
      '2026-01-10 current:D05L9',
      '2026-01-12 empty:D06L9',
      '2026-01-13 empty:D07L9',
      '2026-01-14 empty:D08L9',
      '2026-01-15 empty:D09L9',
      '2026-01-16 empty:D10L9',
      '2026-01-17 current:D10L9',
      '2026-01-19 empty:D11L9',
      '2026-01-20 empty:D12L9',
      '2026-01-21 empty:D13L9',
      '2026-01-22 empty:D14L9',
      '2026-01-23 empty:D15L9',
      '2026-01-24 current:D15L9',
      '2026-01-26 empty:D16L9',
      // Monday's set was closed Tue 01-06 22:00 → expires exactly 3 weeks later
      '2026-01-27 expired:D01L9',
      '2026-01-28 expired:D02L9',
      '2026-01-29 expired:D03L9',
      '2026-01-30 expired:D04L9',
      '2026-01-31 current:D04L9',
      // Friday's set (with Saturday's data) was closed on Monday 01-12 22:00
      '2026-02-02 expired:D05L9',
      '2026-02-03 expired:D06L9',
      '2026-02-04 expired:D07L9',
      '2026-02-05 expired:D08L9',
      '2026-02-06 expired:D09L9',
      '2026-02-07 current:D09L9'
    ])
    // one second before a boundary the tape is still protected
    const d10 = site.tape('D10L9')
    const expires = mediaExpireTime(p, d10, site.media, { timeZone: tz })
    expect(expires).toBe(at('2026-01-19T22:00:00+01:00') + 21 * DAY)
    expect(site.status('D10L9', expires! - 1)).toBe('full')
    expect(site.status('D10L9', expires!)).toBe('expired')
    // set names with a template
    site.policy = { ...p, template: 'daily %Y-%m-%d (%a)' }
    const name = mediaSetNameFor(site.policy, site.tape('D09L9').mediaSet!.uuid, site.media, {
      timeZone: tz
    })
    expect(name).toBe('daily 2026-02-06 (Fri)')
  })

  it('across the spring DST change, 3 weeks are 1814400 s: the 22:00 job is an hour early', () => {
    const tz = 'Europe/Berlin'
    const p: PoolPolicy = { name: 'daily', allocation: 'mon..fri 22:00', retention: '3 weeks' }
    const mon = newUuid('2')
    const tue = newUuid('3')
    const all = [
      member('M', mon, 0, at('2026-03-09T22:00:00+01:00'), { pool: 'daily' }),
      member('T', tue, 0, at('2026-03-10T22:00:00+01:00'), { pool: 'daily' })
    ]
    const expires = mediaExpireTime(p, all[0]!, all, { timeZone: tz })!
    expect(new Date(expires * 1000).toISOString()).toBe('2026-03-31T21:00:00.000Z') // 23:00 CEST
    const site = new Site(p, CHANGER, tz).add(...all)
    const tuesday = site.job(at('2026-03-31T22:00:00+02:00'), 10)
    expect(tuesday.error).toBe("alloc writable media in pool 'daily' failed: no usable media found")
    expect(site.job(at('2026-03-31T23:00:00+02:00'), 10).tapes).toEqual(['M'])
  })

  it('monthly + overwrite: the only tape is reused as soon as the month turns (the PBS warning)', () => {
    const p: PoolPolicy = { name: 'm', allocation: 'monthly', retention: 'overwrite' }
    const site = new Site(p).add(blank('ONLY', { pool: 'm' }))
    expect(site.job(at('2026-01-10T12:00:00Z'), 10).tapes).toEqual(['ONLY'])
    expect(site.job(at('2026-01-20T12:00:00Z'), 10).kinds).toEqual(['current'])
    expect(site.status('ONLY', at('2026-01-31T23:59:59Z'))).toBe('writable')
    // on Feb 1 a job would start a new set, so the list already shows the tape expired
    expect(site.status('ONLY', at('2026-02-01T00:00:00Z'))).toBe('expired')
    const feb = site.job(at('2026-02-02T12:00:00Z'), 10)
    expect(feb.session.reason).toBe('policy CreateAt event triggered')
    expect(feb.kinds).toEqual(['expired'])
    expect(site.tape('ONLY').mediaSet).toMatchObject({
      uuid: feb.session.mediaSetUuid,
      seqNr: 0,
      ctime: at('2026-02-02T12:00:00Z')
    })
  })

  it('monthly + overwrite with two tapes: sets alternate, expiry moves to the newer set’s start', () => {
    const p: PoolPolicy = { name: 'm', allocation: 'monthly', retention: 'overwrite' }
    const site = new Site(p).add(
      blank('T1', { pool: 'm', ctime: 1 }),
      blank('T2', { pool: 'm', ctime: 2 })
    )
    site.job(at('2026-01-10T12:00:00Z'), 10)
    expect(mediaExpireTime(p, site.tape('T1'), site.media)).toBe(at('2026-02-01T00:00:00Z'))
    expect(site.job(at('2026-02-02T12:00:00Z'), 10).tapes).toEqual(['T2'])
    expect(mediaExpireTime(p, site.tape('T1'), site.media)).toBe(at('2026-02-02T12:00:00Z'))
    expect(site.job(at('2026-03-03T12:00:00Z'), 10).tapes).toEqual(['T1'])
    expect(site.job(at('2026-04-01T12:00:00Z'), 10).tapes).toEqual(['T2'])
  })

  it('always + overwrite: each job can overwrite the previous backup (advice given)', () => {
    const p: PoolPolicy = { name: 'a', allocation: 'always', retention: 'overwrite' }
    expect(poolPolicyWarnings(p)).toHaveLength(1)
    expect(poolPolicyWarnings({ name: 'c', retention: '1w' })[0]).toMatch(/retention only starts/)
    expect(poolPolicyWarnings({ name: 'k' })).toEqual([])
    const site = new Site(p).add(
      blank('A', { pool: 'a', ctime: 1 }),
      blank('B', { pool: 'a', ctime: 2 })
    )
    expect(site.job(100, 10).tapes).toEqual(['A'])
    expect(site.job(200, 10).tapes).toEqual(['B'])
    const third = site.job(300, 10)
    expect(third).toMatchObject({ tapes: ['A'], kinds: ['expired'] })
    expect(third.log).toEqual([
      'no empty media in pool, try to reuse expired media',
      "reuse expired media 'A'"
    ])
  })

  it('continue with export every week (changer drive): Tapedeck starts a set per export', () => {
    const p: PoolPolicy = { name: 'w', retention: '4 weeks' }
    const site = new Site(p)
    for (let i = 1; i <= 6; i++) site.add(blank(`W${i}`, { pool: 'w', ctime: i }))
    const sets: string[] = []
    for (let week = 0; week < 8; week++) {
      for (let day = 0; day < 5; day++) {
        const job = site.job((week * 7 + day) * DAY, 15)
        if (job.error !== undefined) throw new Error(job.error)
      }
      // export-media-set: every tape of the current set leaves the library…
      const current = currentMediaSet('w', site.media)!
      sets.push(current.members.map((m) => m!.labelText).join('+'))
      for (const m of current.members) site.update(m!.uuid, (x) => ({ ...x, location: 'offline' }))
      // …and the tapes of the oldest set come back into the library once they are expired
      for (const m of site.media) {
        if (mediaIsExpired(p, m, site.media, (week * 7 + 6) * DAY, current)) {
          site.update(m.uuid, (x) => ({ ...x, location: 'online-lib' }))
        }
      }
    }
    expect(sets).toEqual(['W1', 'W2', 'W3', 'W4', 'W5', 'W6', 'W1', 'W2'])
  })
})

describe('describePoolMedia (media list)', () => {
  it('shows what a job would see: expired instead of full, names, expiry', () => {
    const a = newUuid('2')
    const b = newUuid('3')
    const all = [
      member('A0', a, 0, at('2026-01-03T13:05:00Z'), { location: 'offline' }),
      member('B0', b, 0, at('2026-01-10T12:00:00Z'), { location: 'online-other' }),
      blank('E', { pool: 'p1' })
    ]
    const p: PoolPolicy = { name: 'p1', retention: '1d' }
    const view = describePoolMedia(p, all, at('2026-01-11T12:00:00Z'), {
      timeZone: 'Europe/Berlin'
    })
    expect(view.session.newMediaSet).toBe(false)
    expect(
      view.media.map((v) => [v.media.labelText, v.displayStatus, v.expireTime, v.mediaSetName])
    ).toEqual([
      ['A0', 'expired', at('2026-01-11T12:00:00Z'), 'Sat Jan  3 14:05:00 2026'],
      ['B0', 'writable', undefined, 'Sat Jan 10 13:00:00 2026'],
      ['E', 'writable', undefined, undefined]
    ])
  })
})

describe('media-set names', () => {
  const uuid = '9da37a96-3e8d-4e55-8a4b-9e0b3b1a0c7f'
  it('%id%, dates, default %c, unknown start time', () => {
    const t = at('2026-01-03T14:05:00Z')
    expect(mediaSetName('%id%', uuid, t, 'UTC')).toBe(uuid)
    expect(mediaSetName('set-%id%-%Y', uuid, t, 'UTC')).toBe(`set-${uuid}-2026`)
    expect(mediaSetName('%Y-%m-%d', uuid, t, 'UTC')).toBe('2026-01-03')
    expect(mediaSetName(undefined, uuid, t, 'UTC')).toBe('Sat Jan  3 14:05:00 2026')
    expect(mediaSetName('%c', uuid, at('2026-11-23T09:08:07Z'), 'UTC')).toBe(
      'Mon Nov 23 09:08:07 2026'
    )
    // local time: late evening in UTC is the next day in Tokyo
    expect(mediaSetName('%Y-%m-%d', uuid, at('2026-01-03T23:30:00Z'), 'Asia/Tokyo')).toBe(
      '2026-01-04'
    )
    expect(mediaSetName('%Y-%m-%d', uuid, undefined, 'UTC')).toBe(uuid)
    expect(mediaSetName('100%% %F', uuid, t, 'UTC')).toBe('100% 2026-01-03')
  })

  it('in a zone with DST: local wall time and offset on both sides of each change', () => {
    const f = (iso: string) => mediaSetName('%F %T %z', uuid, at(iso), 'Europe/Berlin')
    expect(f('2026-03-29T00:59:59Z')).toBe('2026-03-29 01:59:59 +0100')
    expect(f('2026-03-29T01:00:00Z')).toBe('2026-03-29 03:00:00 +0200')
    // the repeated hour in October: same wall time, different offset
    expect(f('2026-10-25T00:30:00Z')).toBe('2026-10-25 02:30:00 +0200')
    expect(f('2026-10-25T01:30:00Z')).toBe('2026-10-25 02:30:00 +0100')
    expect(mediaSetName(undefined, uuid, at('2026-07-04T10:00:00Z'), 'Europe/Berlin')).toBe(
      'Sat Jul  4 12:00:00 2026'
    )
  })

  it('validates templates; an unusable one falls back to the UUID', () => {
    expect(validateMediaSetTemplate('%Y-%m-%d %H:%M')).toBeUndefined()
    expect(validateMediaSetTemplate('pool-%id%')).toBeUndefined()
    expect(validateMediaSetTemplate('%Q %Y')).toMatch(/unsupported conversion '%Q'/)
    expect(validateMediaSetTemplate('%Z')).toMatch(/unsupported conversion '%Z'/)
    expect(validateMediaSetTemplate('%-d')).toMatch(/unsupported conversion '%-'/)
    expect(validateMediaSetTemplate('50%')).toMatch(/lone '%' at the end/)
    expect(validateMediaSetTemplate('a\nb')).toBe('template must be a single line of text')
    expect(mediaSetName('%Q', uuid, 1, 'UTC')).toBe(uuid)
    expect(() => strftime('%Q', 0, 'UTC')).toThrow(/unsupported conversion '%Q'/)
  })

  it('matches glibc strftime() in the C locale (python3 time.strftime as the oracle)', () => {
    const formats = [
      '%a %A %b %h %B',
      '%c',
      '%x %X %D %T %F %R %r',
      '%Y %y %C %m %d %e',
      '%H %I %M %S %p',
      '%j %u %w %U %W',
      '%G %g %V',
      '%s %z %%'
    ]
    const zones = [
      'UTC',
      'Europe/Berlin',
      'America/New_York',
      'Australia/Lord_Howe',
      'Asia/Kolkata'
    ]
    const times = [
      at('2026-01-03T14:05:00Z'),
      at('2026-01-01T00:00:00Z'),
      at('2027-01-01T12:00:00Z'), // ISO week 53 of 2026
      at('2024-12-30T08:00:00Z'), // ISO week 1 of 2025
      at('2024-02-29T23:59:59Z'),
      at('2026-03-29T01:00:00Z'),
      at('2026-10-25T00:30:00Z'),
      at('2026-04-05T15:00:00Z'), // Lord Howe: half-hour DST change
      at('2026-12-31T23:30:00Z'),
      at('2026-07-12T00:00:00Z')
    ]
    const cases = zones.flatMap((zone) =>
      times.flatMap((t) => formats.map((format) => ({ zone, t, format })))
    )
    const script = [
      'import json, os, sys, time',
      'out = []',
      'for c in json.load(sys.stdin):',
      '    os.environ["TZ"] = c["zone"]',
      '    time.tzset()',
      '    out.append(time.strftime(c["format"], time.localtime(c["t"])))',
      'print(json.dumps(out))'
    ].join('\n')
    const oracle = JSON.parse(
      execFileSync('python3', ['-c', script], {
        input: JSON.stringify(cases),
        env: { ...process.env, LC_ALL: 'C' },
        encoding: 'utf8'
      })
    ) as string[]
    const ours = cases.map((c) => strftime(c.format, c.t, c.zone))
    const diffs = cases
      .map((c, i) => ({ ...c, ours: ours[i], glibc: oracle[i] }))
      .filter((d) => d.ours !== d.glibc)
    expect(diffs).toEqual([])
  })
})

describe('session helpers', () => {
  it('the session set of a new set has no members until its first tape joins', () => {
    const site = new Site({ name: 'p1', allocation: 'always' }).add(blank('A', { pool: 'p1' }))
    const session = startWriteSession(site.policy, site.media, CHANGER, 10, { newUuid: () => 'n' })
    expect(sessionMediaSet(session, site.media)).toEqual({ uuid: 'n', members: [] })
    const job = site.job(20, 10)
    expect(sessionMediaSet(job.session, site.media).members.map((m) => m?.labelText)).toEqual(['A'])
  })
})
