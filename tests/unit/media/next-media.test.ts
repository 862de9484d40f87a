import { describe, it, expect, beforeEach } from 'vitest'
import {
  type DriveContext,
  type MediaRecord,
  type PoolPolicy,
  NEW_SET_PLACEHOLDER,
  chooseNextTape,
  startWriteSession
} from '../../../main/core/media/pool-logic'
import { describeNextTape, poolTapes, previewNextMedia } from '../../../main/core/media/next-media'

// Fixtures in the style of pool-logic.test.ts: deterministic UUIDs, explicit clock (`now`).

let counter = 0
function newUuid(prefix = '1'): string {
  counter++
  return `${prefix.repeat(8)}-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`
}
beforeEach(() => {
  counter = 0
})

const at = (iso: string): number => Date.parse(iso) / 1000
const DAY = 86_400
const CHANGER: DriveContext = { changer: 'lib' }
const UTC = { timeZone: 'UTC' }
const FP1 = Array.from({ length: 32 }, (_, i) => (i + 16).toString(16)).join(':')

function blank(labelText: string, extra: Partial<MediaRecord> = {}): MediaRecord {
  return { uuid: newUuid(), labelText, ctime: 1000, location: 'online-lib', ...extra }
}

function member(
  labelText: string,
  set: string,
  seqNr: number,
  ctime: number,
  extra: Partial<MediaRecord> & { pool?: string } = {}
): MediaRecord {
  const { pool = 'p1', ...rest } = extra
  return {
    uuid: newUuid(),
    labelText,
    ctime: 0,
    pool,
    location: 'online-lib',
    mediaSet: { uuid: set, pool, seqNr, ctime },
    ...rest
  }
}

/** Deeply frozen copy: the preview must not change the inventory it is given. */
function frozen(all: MediaRecord[]): readonly MediaRecord[] {
  for (const m of all) {
    if (m.mediaSet) Object.freeze(m.mediaSet)
    Object.freeze(m)
  }
  return Object.freeze([...all])
}

describe('previewNextMedia: a new media set and why', () => {
  it('first use of a pool: new set named from the template at now, on a free tape', () => {
    const now = at('2026-03-02T22:00:00Z')
    const p: PoolPolicy = { name: 'p1', template: 'daily-%F %H:%M' }
    const r = previewNextMedia(p, frozen([blank('FREE01')]), CHANGER, now, UTC)
    expect(r).toMatchObject({
      pool: 'p1',
      action: 'new',
      cause: 'no-media-set',
      reason: 'pool has no media set yet',
      mediaSetName: 'daily-2026-03-02 22:00',
      nextTape: { kind: 'free', labelText: 'FREE01', seqNr: 0 }
    })
    expect(r.currentSet).toBeUndefined()
    expect(r.summary).toBe(
      'new media set "daily-2026-03-02 22:00" on a free tape (FREE01) - reason: pool has no media set yet'
    )
  })

  it('no tape at all: none available, with the job’s error', () => {
    const r = previewNextMedia({ name: 'p1' }, [], CHANGER, 100, UTC)
    expect(r.action).toBe('new')
    expect(r.nextTape).toEqual({
      kind: 'none',
      reason: "alloc writable media in pool 'p1' failed: no usable media found"
    })
    expect(describeNextTape(r.nextTape)).toBe('none available - label or add tapes')
    expect(r.summary).toMatch(/on none available - label or add tapes/)
  })

  it('%id% in the template becomes the placeholder: the UUID is not known before the job', () => {
    const r = previewNextMedia({ name: 'p1', template: 'set-%id%' }, [], CHANGER, 0, UTC)
    expect(r.mediaSetName).toBe(`set-${NEW_SET_PLACEHOLDER}`)
  })

  it('allocation always: a new set every time; empty pool tapes before free ones', () => {
    const s = newUuid('2')
    const all = frozen([
      member('A', s, 0, 100),
      blank('FREE', { ctime: 1 }),
      blank('EMPTY', { pool: 'p1', ctime: 5 })
    ])
    const r = previewNextMedia({ name: 'p1', allocation: 'always' }, all, CHANGER, 200, UTC)
    expect(r).toMatchObject({
      action: 'new',
      cause: 'allocation-always',
      reason: 'policy is AlwaysCreate',
      nextTape: { kind: 'empty', labelText: 'EMPTY', seqNr: 0 },
      currentSet: { uuid: s, tapes: ['A'], ctime: 100 }
    })
  })

  it('forced (--force-media-set)', () => {
    const s = newUuid('2')
    const all = frozen([member('A', s, 0, 100), blank('FREE')])
    const r = previewNextMedia({ name: 'p1' }, all, CHANGER, 200, { forceMediaSet: true })
    expect(r).toMatchObject({ action: 'new', cause: 'forced', reason: 'forced' })
    expect(previewNextMedia({ name: 'p1' }, all, CHANGER, 200).action).toBe('continue')
  })

  it('calendar allocation with a fake clock: continue until the event, then a new set', () => {
    const s = newUuid('2')
    const start = at('2026-01-05T22:00:05Z') // Monday
    const all = frozen([member('A', s, 0, start), blank('FREE')])
    const p: PoolPolicy = { name: 'p1', allocation: 'mon..fri 22:00', template: '%F' }
    const before = previewNextMedia(p, all, CHANGER, at('2026-01-06T21:59:59Z'), UTC)
    expect(before).toMatchObject({
      action: 'continue',
      mediaSetName: '2026-01-05',
      nextTape: { kind: 'current', labelText: 'A', seqNr: 0 },
      newSetAfter: at('2026-01-06T22:00:00Z')
    })
    expect(before.summary).toBe('continue media set "2026-01-05" on A (appending)')
    const after = previewNextMedia(p, all, CHANGER, at('2026-01-06T22:00:00Z'), UTC)
    expect(after).toMatchObject({
      action: 'new',
      cause: 'calendar',
      reason: 'policy CreateAt event triggered',
      mediaSetName: '2026-01-06',
      nextTape: { kind: 'free', labelText: 'FREE' }
    })
    expect(after.newSetAfter).toBeUndefined()
  })

  it('encryption key changed', () => {
    const s = newUuid('2')
    const all = frozen([member('A', s, 0, 100), blank('FREE')])
    const r = previewNextMedia({ name: 'p1', encrypt: FP1 }, all, CHANGER, 200)
    expect(r).toMatchObject({ action: 'new', cause: 'key-changed' })
  })

  it('set unusable: a damaged tape in it', () => {
    const s = newUuid('2')
    const all = frozen([
      member('A', s, 0, 100, { storedStatus: 'damaged' }),
      blank('B', { pool: 'p1' })
    ])
    const r = previewNextMedia({ name: 'p1' }, all, CHANGER, 200)
    expect(r).toMatchObject({
      action: 'new',
      cause: 'set-unusable',
      reason: 'unable to use media set - wrong media status Damaged',
      nextTape: { kind: 'empty', labelText: 'B' }
    })
  })

  it('last tape exported (offline) while the drive has a changer: new set (DESIGN §3)', () => {
    const s = newUuid('2')
    const all = frozen([member('A', s, 0, 100, { location: 'offline' }), blank('FREE')])
    const r = previewNextMedia({ name: 'p1' }, all, CHANGER, 200)
    expect(r.action).toBe('new')
    expect(r.cause).toBe('last-tape-unavailable')
    expect(r.reason).toMatch(/last tape 'A' of the current media set is offline/)
    // without a drive (any drive counts, as media list does) the set continues
    const any = previewNextMedia({ name: 'p1' }, all, { forceAvailability: true }, 200)
    expect(any).toMatchObject({ action: 'continue', nextTape: { kind: 'current' } })
  })

  it('two sets with the same newest ctime: inconsistent inventory', () => {
    const all = frozen([member('a', newUuid('2'), 0, 10), member('b', newUuid('3'), 0, 10)])
    const r = previewNextMedia({ name: 'p1' }, all, CHANGER, 20)
    expect(r.cause).toBe('inventory-inconsistent')
    expect(r.warnings).toEqual([r.reason])
  })
})

describe('previewNextMedia: continuing the current set', () => {
  it('full last tape: the set continues on an empty pool tape as its next member', () => {
    const s = newUuid('2')
    const all = frozen([
      member('A', s, 0, 100, { storedStatus: 'full' }),
      blank('B', { pool: 'p1' }),
      blank('FREE')
    ])
    const r = previewNextMedia({ name: 'p1', template: '%F' }, all, CHANGER, 200, UTC)
    expect(r).toMatchObject({
      action: 'continue',
      mediaSetName: '1970-01-01',
      nextTape: { kind: 'empty', labelText: 'B', seqNr: 1 }
    })
    expect(r.summary).toBe('continue media set "1970-01-01" on empty pool tape B')
  })

  it('expired tapes are reused before free ones', () => {
    const old = newUuid('2')
    const cur = newUuid('3')
    const all = frozen([
      member('OLD', old, 0, 0, { storedStatus: 'full' }),
      member('CUR', cur, 0, 100, { storedStatus: 'full' }),
      blank('FREE')
    ])
    const p: PoolPolicy = { name: 'p1', retention: '10s' }
    const r = previewNextMedia(p, all, CHANGER, 200)
    expect(r).toMatchObject({ action: 'continue', nextTape: { kind: 'expired', labelText: 'OLD' } })
    expect(describeNextTape(r.nextTape)).toBe('expired tape OLD (overwritten)')
  })

  it('continuing without a tape: the summary says so', () => {
    const s = newUuid('2')
    const all = frozen([member('A', s, 0, 100, { storedStatus: 'full' })])
    const r = previewNextMedia({ name: 'p1', template: 'x' }, all, CHANGER, 200)
    expect(r.action).toBe('continue')
    expect(r.nextTape?.kind).toBe('none')
    expect(r.summary).toMatch(/^continue media set "x", but no tape is available: alloc writable/)
  })

  it('agrees with what a job does: startWriteSession + chooseNextTape', () => {
    const s = newUuid('2')
    const all = [member('A', s, 0, 100, { storedStatus: 'full' }), blank('B', { pool: 'p1' })]
    const p: PoolPolicy = { name: 'p1', allocation: 'always' }
    const session = startWriteSession(p, all, CHANGER, 300)
    const next = chooseNextTape(p, all, CHANGER, 300, session)
    const r = previewNextMedia(p, all, CHANGER, 300)
    expect(r.action).toBe(session.newMediaSet ? 'new' : 'continue')
    expect(r.nextTape?.labelText).toBe(next.kind === 'none' ? undefined : next.media.labelText)
  })
})

describe('previewNextMedia: a broken pool', () => {
  it('a duplicate sequence number is an error, not a throw', () => {
    const s = newUuid('2')
    const all = frozen([member('A', s, 0, 100), member('B', s, 0, 100)])
    const r = previewNextMedia({ name: 'p1' }, all, CHANGER, 200)
    expect(r.action).toBe('error')
    expect(r.reason).toMatch(/duplicate sequence number/)
    expect(r.summary).toMatch(/^cannot start a backup: /)
    expect(poolTapes({ name: 'p1' }, all, 200)).toEqual([])
  })

  it('a bad allocation policy is an error', () => {
    const r = previewNextMedia({ name: 'p1', allocation: 'someday' }, [], CHANGER, 0)
    expect(r.action).toBe('error')
    expect(r.reason).toMatch(/someday/)
  })
})

describe('poolTapes', () => {
  it('the pool’s tapes with the statuses a job would see', () => {
    const s = newUuid('2')
    const all = [
      member('A', s, 0, 100, { storedStatus: 'full' }),
      member('B', s, 1, 150),
      blank('E', { pool: 'p1' }),
      blank('FREE')
    ]
    const tapes = poolTapes({ name: 'p1', template: '%F' }, all, 10 * DAY, UTC)
    expect(tapes.map((t) => [t.media.labelText, t.displayStatus, t.mediaSetName])).toEqual([
      ['A', 'full', '1970-01-01'],
      ['B', 'writable', '1970-01-01'],
      ['E', 'writable', undefined]
    ])
  })
})
