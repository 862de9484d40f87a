import { execFileSync } from 'node:child_process'
import { describe, it, expect } from 'vitest'
import {
  CalendarEventError,
  formatCalendarEvent,
  nextCalendarEvent,
  parseCalendarEvent
} from '../../main/core/media/calendar-event'

/**
 * Oracle: systemd-analyze (systemd 252) computes the normalized form and the next elapses for
 * a whole batch of expressions in one call. The tests fail, not skip, when it is missing.
 */
interface Oracle {
  readonly normalized: string
  readonly times: readonly string[]
}

const ITERATIONS = 6

function systemdCalendar(exprs: readonly string[], timeZone: string, base: number): Oracle[] {
  const stdout = execFileSync(
    'systemd-analyze',
    ['calendar', `--iterations=${ITERATIONS}`, `--base-time=@${base}`, ...exprs],
    { env: { ...process.env, TZ: timeZone, LC_ALL: 'C', SYSTEMD_COLORS: '0' }, encoding: 'utf8' }
  )
  // one block per expression; "Original form:" is left out when it equals the normalized one
  const blocks = stdout.split(/^Normalized form: /m).slice(1)
  expect(blocks).toHaveLength(exprs.length)
  return blocks.map(parseOracleBlock)
}

/** Takes the UTC rendering of every elapse ("Next elapse:" in UTC, else "(in UTC):"). */
function parseOracleBlock(block: string): Oracle {
  const [normalized = '', ...lines] = block.split('\n')
  const times: string[] = []
  const utcLine =
    /^\s*(?:Next elapse|Iter\. #\d+|\(in UTC\)): \w{3} (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) UTC$/
  for (const line of lines) {
    const m = utcLine.exec(line)
    if (m !== null) times.push(`${m[1]}T${m[2]}.000Z`)
  }
  return { normalized: normalized.trim(), times }
}

function ours(expr: string, timeZone: string, base: number): Oracle {
  const ev = parseCalendarEvent(expr)
  const times: string[] = []
  let after = base
  for (let i = 0; i < ITERATIONS; i++) {
    const next = nextCalendarEvent(ev, after, timeZone)
    if (next === null) break
    times.push(new Date(next * 1000).toISOString())
    after = next
  }
  return { normalized: formatCalendarEvent(ev), times }
}

/** Expressions PBS and systemd both accept. */
const EVENTS = [
  // shortcuts
  'minutely',
  'hourly',
  'daily',
  'weekly',
  'monthly',
  'yearly',
  'annually',
  'quarterly',
  'semiannually',
  'semi-annually',
  // weekdays
  'mon',
  'Monday',
  'FRI',
  'mon..fri',
  'mon..sun',
  'sat,sun',
  'Mon,Wed..Fri',
  'mon..wed,fri',
  'mon,tue',
  'sun..sun',
  'tue..thu 12:00',
  'mon..fri 22:00',
  'mon,wed,fri 08:30',
  'Sat,Sun 03:00:30',
  // times
  '22:00',
  '0:0',
  '*:0/15',
  '*:30',
  '*:*:30',
  '*:*:*',
  '12:00:45',
  '*:0/20:15',
  '00/6:00',
  '0..5/2:00',
  '08..18:00',
  '8,12,18:00',
  '*:00,30',
  '*:5..10',
  '*:*:0/20',
  '23:59:59',
  '02:30',
  '02:*',
  '01..03:15',
  '*:*:5,0/1',
  '*:10,5,10,0',
  '*-*-* 02:30',
  '*-*-* 02,03:30',
  'Sun *-*-* 02:00..03:00',
  // dates
  '*-*-1',
  '*-*-1/2',
  '*-*-31',
  '*-02-29',
  '*-02-29 12:00',
  '2026-03-29 02:30',
  '2026..2028-*-15',
  '*-1,4,7,10-1 06:00',
  '12-25',
  '*-12-25 18:00',
  '2027-01-01',
  '27-06-01',
  'Fri *-*-13',
  'Mon *-02-29',
  'Sat *-*-1..7 03:00',
  '*-01/2-01',
  '2026-*-1/10 00:00',
  '*-*-* 00:00:00',
  // UTC
  'daily UTC',
  'mon..fri 22:00 UTC',
  '*:0/15 UTC',
  '*-*-* 02:30 UTC',
  'Sun 02:00 UTC',
  // never
  '*-02-30',
  '2025-01-01'
]

/** PBS-only spellings and a systemd spelling of the same event. */
const EXTENSIONS: readonly (readonly [string, string])[] = [
  ['fri..mon', 'Mon,Fri..Sun'],
  ['sat..tue 10:00', 'Mon,Tue,Sat,Sun 10:00'],
  ['*:*/15', '*:0/15'],
  ['*/2:00', '0/2:00'],
  ['*-*/3-1', '*-1/3-1'],
  ['*-*-*/5', '*-*-1/5'],
  ['*:*:*/20', '*:*:0/20'],
  ['*/3-01-01', '1971/3-01-01'],
  ['30', '*:30'],
  ['mon 5', 'mon *:05'],
  ['12-25 10', '12-25 *:10'],
  ['dailyUTC', 'daily UTC'],
  ['mon..fri22:00', 'mon..fri 22:00'],
  ['5/0:00', '5:00'],
  ['*:50/20', '*:50'],
  ['mon ', 'mon'],
  ['2026-12-01 ', '2026-12-01']
]

interface Scenario {
  readonly zone: string
  /** ISO time just before something interesting (DST change, year end). */
  readonly base: string
}

const SCENARIOS: readonly Scenario[] = [
  { zone: 'UTC', base: '2026-03-28T23:00:00Z' },
  { zone: 'UTC', base: '2027-12-31T23:59:59Z' },
  // 00:20 CET, the night clocks go from 02:00 to 03:00
  { zone: 'Europe/Berlin', base: '2026-03-28T23:20:00Z' },
  // 01:00 CEST, the night 02:00-03:00 happens twice
  { zone: 'Europe/Berlin', base: '2026-10-24T23:00:00Z' },
  // 02:10 CET, inside the repeated hour
  { zone: 'Europe/Berlin', base: '2026-10-25T01:10:00Z' },
  { zone: 'America/New_York', base: '2026-03-08T06:00:00Z' },
  { zone: 'America/New_York', base: '2026-11-01T05:00:00Z' },
  // Lord Howe Island shifts by 30 minutes
  { zone: 'Australia/Lord_Howe', base: '2026-04-04T14:00:00Z' },
  { zone: 'Australia/Lord_Howe', base: '2026-10-03T14:00:00Z' }
]

const oracleCache = new Map<Scenario, Oracle[]>()

function oracleFor(scenario: Scenario): Oracle[] {
  let results = oracleCache.get(scenario)
  if (results === undefined) {
    const exprs = [...EVENTS, ...EXTENSIONS.map(([, systemd]) => systemd)]
    results = systemdCalendar(exprs, scenario.zone, Date.parse(scenario.base) / 1000)
    oracleCache.set(scenario, results)
  }
  return results
}

describe.each(SCENARIOS)('next elapses like systemd-analyze, TZ=$zone from $base', (scenario) => {
  const base = Date.parse(scenario.base) / 1000

  it.each(EVENTS.map((expr, index) => ({ expr, index })))('$expr', ({ expr, index }) => {
    expect(ours(expr, scenario.zone, base)).toEqual(oracleFor(scenario)[index])
  })

  it.each(EXTENSIONS.map(([pbs, systemd], i) => ({ pbs, systemd, index: EVENTS.length + i })))(
    'PBS-only $pbs behaves like $systemd',
    ({ pbs, index }) => {
      expect(ours(pbs, scenario.zone, base)).toEqual(oracleFor(scenario)[index])
    }
  )
})

describe('nextCalendarEvent', () => {
  const base = Date.parse('2026-10-24T23:00:00Z') / 1000

  it('is strictly after the start time', () => {
    const ev = parseCalendarEvent('daily UTC')
    const midnight = Date.parse('2026-10-25T00:00:00Z') / 1000
    expect(nextCalendarEvent(ev, midnight - 1)).toBe(midnight)
    expect(nextCalendarEvent(ev, midnight - 0.5)).toBe(midnight)
    expect(nextCalendarEvent(ev, midnight)).toBe(midnight + 86400)
  })

  it('uses the process time zone when none is given', () => {
    const local = new Intl.DateTimeFormat().resolvedOptions().timeZone
    const ev = parseCalendarEvent('*-*-* 02:30')
    expect(nextCalendarEvent(ev, base)).toBe(nextCalendarEvent(ev, base, local))
  })

  it('evaluates UTC events in UTC whatever the zone', () => {
    const ev = parseCalendarEvent('*-*-* 02:30 UTC')
    const expected = Date.parse('2026-10-25T02:30:00Z') / 1000
    expect(nextCalendarEvent(ev, base, 'Europe/Berlin')).toBe(expected)
    expect(nextCalendarEvent(ev, base, 'Pacific/Auckland')).toBe(expected)
  })

  it('returns null for events that never happen, quickly', () => {
    const started = performance.now()
    for (const expr of ['*-02-30', '*-04-31 12:00', '2025-06-01', '*-0-1', '*-*-0', '1969-*-*']) {
      expect(nextCalendarEvent(parseCalendarEvent(expr), base, 'Europe/Berlin')).toBeNull()
    }
    expect(nextCalendarEvent(parseCalendarEvent('daily'), 8e9, 'UTC')).toBeNull()
    expect(performance.now() - started).toBeLessThan(1000)
  })

  const iso = (epoch: number | null): string | null =>
    epoch === null ? null : new Date(epoch * 1000).toISOString()

  it('skips local times that DST leaves out, like systemd', () => {
    const ev = parseCalendarEvent('*-*-* 02:30')
    const before = Date.parse('2026-03-28T23:00:00Z') / 1000
    // 2026-03-29 02:30 does not exist in Berlin; the next one is a day later
    expect(iso(nextCalendarEvent(ev, before, 'Europe/Berlin'))).toBe('2026-03-30T00:30:00.000Z')
  })

  it('runs a repeated local hour once, in its first (summer time) instance', () => {
    const ev = parseCalendarEvent('hourly')
    const times: (string | null)[] = []
    let after = Date.parse('2026-10-24T23:30:00Z') / 1000
    for (let i = 0; i < 3; i++) {
      const next = nextCalendarEvent(ev, after, 'Europe/Berlin')
      times.push(iso(next))
      after = next ?? after
    }
    // 02:00 CEST, then 03:00 CET: 02:00 CET is skipped
    expect(times).toEqual([
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T02:00:00.000Z',
      '2026-10-25T03:00:00.000Z'
    ])
  })

  // systemd 252 fails with "Infinite loop in calendar calculation" for these; we don't
  it.each([
    // midnight of 2026-09-06 does not exist in Santiago; 06:00 -03 does
    ['00/6:00', 'America/Santiago', '2026-09-06T00:59:43Z', '2026-09-06T09:00:00.000Z'],
    // April and October 1st, searched from November: 2027-04-01 00:00 CEST
    ['*-4/6-1', 'Europe/Berlin', '2026-11-15T12:00:00Z', '2027-03-31T22:00:00.000Z']
  ])('carries on where systemd gives up: %s in %s', (expr, zone, start, expected) => {
    const base = Date.parse(start) / 1000
    const run = (): string =>
      execFileSync('systemd-analyze', ['calendar', `--base-time=@${base}`, expr], {
        env: { ...process.env, TZ: zone, LC_ALL: 'C' },
        encoding: 'utf8',
        stdio: 'pipe'
      })
    expect(run).toThrow(/Infinite loop in calendar calculation/)
    expect(iso(nextCalendarEvent(parseCalendarEvent(expr), base, zone))).toBe(expected)
  })

  it('finds rare events', () => {
    const ev = parseCalendarEvent('Mon *-02-29 00:00 UTC')
    expect(nextCalendarEvent(ev, base)).toBe(Date.parse('2044-02-29T00:00:00Z') / 1000)
  })

  it('searches from the epoch for negative start times', () => {
    expect(nextCalendarEvent(parseCalendarEvent('daily UTC'), -5000)).toBe(0)
  })

  it('rejects unknown time zones and bad start times', () => {
    const ev = parseCalendarEvent('daily')
    expect(() => nextCalendarEvent(ev, base, 'Mars/Olympus_Mons')).toThrow(
      /unknown time zone 'Mars\/Olympus_Mons'/
    )
    expect(() => nextCalendarEvent(ev, Number.NaN, 'UTC')).toThrow(RangeError)
  })
})

describe("PBS's own test cases (proxmox-time src/test.rs, in UTC)", () => {
  const MIN = 60
  const HOUR = 3600
  const DAY = 86400
  const THURSDAY = 0 // 1970-01-01
  const JUL_31_2020 = 1596153600
  const DEC_31_2020 = 1609372800

  const cases: readonly (readonly [string, number, number])[] = [
    ['0', THURSDAY, THURSDAY + HOUR],
    ['*', THURSDAY, THURSDAY + MIN],
    ['*:0', THURSDAY, THURSDAY + HOUR],
    ['*:*', THURSDAY, THURSDAY + MIN],
    ['*:*:*', THURSDAY, THURSDAY + 1],
    ['*:3:5', THURSDAY, THURSDAY + 3 * MIN + 5],
    ['mon *:*', THURSDAY, THURSDAY + 4 * DAY],
    ['mon 2:*', THURSDAY, THURSDAY + 4 * DAY + 2 * HOUR],
    ['mon 2:50', THURSDAY, THURSDAY + 4 * DAY + 2 * HOUR + 50 * MIN],
    ['tue', THURSDAY, THURSDAY + 5 * DAY],
    ['thu', THURSDAY, THURSDAY + 7 * DAY],
    ['fri', THURSDAY, THURSDAY + DAY],
    ['4..10/2:0', THURSDAY, THURSDAY + 4 * HOUR],
    ['4..10/2:0', THURSDAY + 5 * HOUR, THURSDAY + 6 * HOUR],
    ['4..10/2:0', THURSDAY + 11 * HOUR, THURSDAY + DAY + 4 * HOUR],
    ['5,10:4,8', THURSDAY, THURSDAY + 5 * HOUR + 4 * MIN],
    ['10,5:8,4', THURSDAY, THURSDAY + 5 * HOUR + 4 * MIN],
    ['6,4..10:23,5/5', THURSDAY, THURSDAY + 4 * HOUR + 5 * MIN],
    ['4..10,6:5/5,23', THURSDAY, THURSDAY + 4 * HOUR + 5 * MIN],
    ['sat', JUL_31_2020, JUL_31_2020 + DAY],
    ['fri', JUL_31_2020, JUL_31_2020 + 7 * DAY],
    ['fri', DEC_31_2020, DEC_31_2020 + DAY],
    ['daily', THURSDAY, THURSDAY + DAY],
    ['daily', THURSDAY + 1, THURSDAY + DAY],
    ['5/2:0', THURSDAY + 5 * HOUR, THURSDAY + 7 * HOUR],
    ['1:0', THURSDAY + 15 * HOUR, THURSDAY + DAY + HOUR],
    ['2020-07-31', 0, JUL_31_2020],
    ['02-28', 0, (31 + 27) * DAY],
    ['02-29', 0, 2 * 365 * DAY + (31 + 28) * DAY],
    ['1965/5-01-01', -1, THURSDAY],
    ['2020-7..9-2/2', JUL_31_2020, JUL_31_2020 + 2 * DAY],
    ['2020,2021-12-31', JUL_31_2020, DEC_31_2020],
    ['minutely', THURSDAY, THURSDAY + MIN],
    ['hourly', THURSDAY, THURSDAY + HOUR],
    ['weekly', THURSDAY, THURSDAY + 4 * DAY],
    ['monthly', 0, 31 * DAY],
    ['quarterly', 0, (31 + 28 + 31) * DAY],
    ['semiannually', 0, (31 + 28 + 31 + 30 + 31 + 30) * DAY],
    ['semi-annually', 0, (31 + 28 + 31 + 30 + 31 + 30) * DAY],
    ['yearly', 0, 365 * DAY],
    ['annually', 0, 365 * DAY]
  ]

  it.each(cases)('%s after %d', (expr, after, expected) => {
    expect(nextCalendarEvent(parseCalendarEvent(`${expr} UTC`), after)).toBe(expected)
  })

  it.each(['2021-02-29', '02-30'])('%s never happens', (expr) => {
    expect(nextCalendarEvent(parseCalendarEvent(`${expr} UTC`), 0)).toBeNull()
  })

  it.each(['mon,wed..fri', 'fri..mon', 'monDay', 'Tuesday', 'mon,tue..wednesday,fri..sat'])(
    'accepts %s',
    (expr) => {
      expect(() => parseCalendarEvent(expr)).not.toThrow()
    }
  )
})

describe('parseCalendarEvent', () => {
  it('keeps the source text and normalizes like systemd', () => {
    const ev = parseCalendarEvent('mon..fri 22:00')
    expect(ev.source).toBe('mon..fri 22:00')
    expect(formatCalendarEvent(ev)).toBe('Mon..Fri *-*-* 22:00:00')
    expect(formatCalendarEvent(parseCalendarEvent('*-0-1'))).toBe('*-00-01 00:00:00')
  })

  it('accepts full and short weekday names in any case', () => {
    for (const name of ['mon', 'Mon', 'MONDAY', 'monday', 'mOnDaY']) {
      expect(parseCalendarEvent(name).weekdays).toBe(1)
    }
    expect(parseCalendarEvent('sunday').weekdays).toBe(64)
  })

  const rejected: readonly (readonly [string, RegExp])[] = [
    ['', /empty calendar event/],
    ['UTC', /missing date or time/],
    ['mon..frx 22:00', /unknown weekday 'frx'/],
    ['xyz', /unknown weekday 'xyz'/],
    ['Daily', /write the shortcut as 'daily'/],
    ['daily ', /remove the spaces around 'daily'/],
    [' daily', /remove the spaces around 'daily'/],
    ['daily 10:00', /'daily' must stand alone/],
    ['daily utc', /write the time zone as 'UTC'/],
    ['mon 22:00 CET', /unsupported time zone 'CET'/],
    ['mon 22:00 Europe/Berlin', /unsupported time zone 'Europe\/Berlin'/],
    ['*-*-* 25:00', /hour value 25 is out of range \(0-23\)/],
    ['24:00', /hour value 24 is out of range/],
    ['*/30:00', /hour repetition 30 is out of range/],
    ['5,30:00', /hour value 30 is out of range/],
    ['12:61', /minute value 61 is out of range \(0-59\)/],
    ['00:00:60', /second value 60 is out of range/],
    ['2026-13-01', /month value 13 is out of range \(1-12\)/],
    ['2026-02-32', /day value 32 is out of range \(1-31\)/],
    ['2200-01-01', /year value 2200 is out of range \(up to 2199\)/],
    ['5..3:00', /hour range 5..3 runs backwards/],
    ['*-*-5..3', /day range 5..3 runs backwards/],
    ['*:*/0', /repetition '\*\/0' is not allowed/],
    ['*:*/60', /minute repetition 60 is out of range/],
    ['22:00 mon', /weekdays must come first/],
    ['mon, tue', /unexpected ', tue'/],
    ['mon,', /unexpected ','/],
    ['mon..', /unexpected '\.\.'/],
    ['mon 22:00 foo', /unexpected 'foo'/],
    ['1..2..3', /unexpected '\.\.3'/],
    // systemd accepts these, PBS does not
    ['*-*-* 00:00:00.5', /unexpected '\.5'/],
    ['*-*~01', /unexpected '~01'/],
    ['biannually', /unknown weekday 'biannually'/],
    ['now', /unknown weekday 'now'/],
    ['@1700000000', /expected a weekday, date or time/]
  ]

  it.each(rejected)('rejects %j', (text, message) => {
    let error: unknown
    try {
      parseCalendarEvent(text)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(CalendarEventError)
    expect((error as Error).message).toMatch(`invalid calendar event '${text}': `)
    expect((error as Error).message).toMatch(message)
  })
})
