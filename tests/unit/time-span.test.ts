import { execFileSync } from 'node:child_process'
import { describe, it, expect } from 'vitest'
import { TimeSpanError, formatTimeSpan, parseTimeSpan } from '../../main/core/media/time-span'

/** Spans both PBS and systemd accept; checked against `systemd-analyze timespan`. */
const SPANS = [
  '0',
  '1',
  '90',
  '1 2',
  '5s',
  '5 sec',
  '3 seconds',
  '1second',
  '1500ms',
  '2msec',
  '3us',
  '7usec',
  '1\u00b5s',
  '1m',
  '1min',
  '2 minutes',
  '1minute',
  '1h',
  '1hr',
  '2 hours',
  '1hour',
  '1h30m',
  '1h 30min 15s',
  '1d',
  '7days',
  '1day',
  '2w',
  '2weeks',
  '1week',
  '1M',
  '6 months',
  '1month',
  '1y',
  '2years',
  '1year',
  '1y 6M',
  '12M',
  '3w 2d 4h',
  '61s 5ms',
  '1d1500ms',
  '5 sec 3 sec',
  '2h 1d 3m',
  '0y 0M 0w 1d 2h 3m',
  '100d',
  '100y',
  ' 5s ',
  '1w 2d 3h 4min 5s 6ms 7us'
]

const SECONDS_PER_MONTH = { pbs: 2_630_016n, systemd: 2_629_800n }

interface Oracle {
  readonly usec: bigint
  readonly human: string
}

/** One systemd-analyze call for all spans; it fails loudly if the tool is missing. */
function systemdTimespans(spans: readonly string[]): Oracle[] {
  const stdout = execFileSync('systemd-analyze', ['timespan', ...spans], {
    env: { ...process.env, LC_ALL: 'C', SYSTEMD_COLORS: '0' },
    encoding: 'utf8'
  })
  const usecs = [...stdout.matchAll(/^\s*(?:us|\u03bcs): (\d+)$/gm)].map((m) => BigInt(m[1]!))
  const humans = [...stdout.matchAll(/^\s*Human: (.*)$/gm)].map((m) => m[1]!)
  expect(usecs).toHaveLength(spans.length)
  expect(humans).toHaveLength(spans.length)
  return usecs.map((usec, i) => ({ usec, human: humans[i]! }))
}

/** How many months a span spells out; PBS makes them 216 s longer than systemd does. */
function monthsIn(span: string): bigint {
  let months = 0n
  for (const m of span.matchAll(/(\d+)\s*(?:months|month|M)(?![A-Za-z])/g)) months += BigInt(m[1]!)
  return months
}

const usecOf = (seconds: number): bigint => BigInt(Math.round(seconds * 1e6))

describe('time spans like systemd-analyze timespan', () => {
  let oracle: Oracle[] | undefined
  const oracleFor = (index: number): Oracle => {
    oracle ??= systemdTimespans(SPANS)
    return oracle[index]!
  }

  it.each(SPANS.map((span, index) => ({ span, index })))('$span', ({ span, index }) => {
    const expected = oracleFor(index)
    const parsed = parseTimeSpan(span)
    const monthDifference = SECONDS_PER_MONTH.pbs - SECONDS_PER_MONTH.systemd
    expect(usecOf(parsed.seconds)).toBe(
      expected.usec + monthsIn(span) * monthDifference * 1_000_000n
    )
    // the human form only agrees while no month is involved (their month lengths differ)
    const yearUsec = 31_557_600n * 1_000_000n
    if (
      monthsIn(span) === 0n &&
      expected.usec % yearUsec < SECONDS_PER_MONTH.systemd * 1_000_000n
    ) {
      expect(formatTimeSpan(parsed)).toBe(expected.human)
    }
  })
})

describe('parseTimeSpan', () => {
  it('uses the PBS month of 30.44 days and year of 365.25 days', () => {
    expect(parseTimeSpan('1M').seconds).toBe(2_630_016)
    expect(parseTimeSpan('1y').seconds).toBe(31_557_600)
    expect(parseTimeSpan('1y 6M').seconds).toBe(31_557_600 + 6 * 2_630_016)
  })

  it('accepts nanoseconds (PBS only)', () => {
    expect(parseTimeSpan('5ns').seconds).toBeCloseTo(5e-9, 15)
    expect(parseTimeSpan('2nsec 1us').seconds).toBeCloseTo(1.002e-6, 15)
  })

  // PBS's own test cases (proxmox-time src/test.rs)
  it.each([
    ['2', 2],
    ['2seconds', 2],
    [' 2s 2 s 2', 6],
    ['1msec 1ms', 0.002],
    ['1usec 1us 1\u00b5s', 0.000_003],
    ['1nsec 1ns', 0.000_000_002],
    ['1minutes 1minute 1min 1m', 4 * 60],
    ['1hours 1hour 1hr 1h', 4 * 3600],
    ['1days 1day 1d', 3 * 86400],
    ['1weeks 1 week 1w', 3 * 86400 * 7],
    ['1months 1month 1M', 3 * 86400 * 30.44],
    ['1years 1year 1y', 3 * 86400 * 365.25],
    [' 2 h', 7200],
    ['48hr', 48 * 3600],
    ['1y 12month', 365.25 * 86400 + 12 * 30.44 * 86400],
    ['55s500ms', 55.5],
    ['300ms20s 5day', 5 * 86400 + 20.3]
  ])('reads %j as %d seconds, like PBS', (text, seconds) => {
    expect(parseTimeSpan(text).seconds).toBeCloseTo(seconds, 9)
  })

  it('is case-sensitive: M is a month, m a minute', () => {
    expect(parseTimeSpan('1m').seconds).toBe(60)
    expect(parseTimeSpan('1M').seconds).toBe(2_630_016)
  })

  const rejected: readonly (readonly [string, RegExp])[] = [
    ['', /empty time span/],
    ['   ', /empty time span/],
    ['abc', /expected a number, got 'abc'/],
    ['1x', /unknown unit 'x'/],
    ['5 mins', /unknown unit 'mins'/],
    ['1 hour x', /expected a number, got 'x'/],
    ['1.5h', /fractional numbers are not supported/],
    ['-5s', /expected a number, got '-'/],
    ['+5s', /expected a number, got '\+'/],
    ['1H', /unknown unit 'H'/],
    // systemd accepts these, PBS does not
    ['infinity', /expected a number, got 'infinity'/],
    ['1\u03bcs', /write microseconds as 'us'/],
    ['18446744073709551616', /number 18446744073709551616 is too large/],
    ['1000000000000y', /time span is too large/]
  ]

  it.each(rejected)('rejects %j', (text, message) => {
    let error: unknown
    try {
      parseTimeSpan(text)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(TimeSpanError)
    expect((error as Error).message).toMatch(`invalid time span '${text}': `)
    expect((error as Error).message).toMatch(message)
  })
})

describe('formatTimeSpan', () => {
  it.each([
    ['2weeks', '2w'],
    ['1y 6M', '1y 6month'],
    ['90', '1min 30s'],
    ['12M', '1y 43min 12s'],
    ['100d', '3month 1w 1d 16h 19min 12s'],
    ['0', '0'],
    ['1500ms', '1.500000s'],
    ['1500us', '1.500ms'],
    ['1ns', '1ns'],
    ['1s 1ns', '1.000000001s'],
    ['1y 1ns', '1y 1ns']
  ])('%s is %s', (text, human) => {
    expect(formatTimeSpan(parseTimeSpan(text))).toBe(human)
  })

  it('formats spans it did not parse, from their seconds', () => {
    expect(formatTimeSpan({ seconds: 1209600 })).toBe('2w')
    expect(formatTimeSpan({ seconds: 31_557_600.000001 })).toBe('1y 1us')
    expect(formatTimeSpan({ seconds: 0.25 })).toBe('250ms')
    expect(() => formatTimeSpan({ seconds: -1 })).toThrow(TimeSpanError)
  })

  it('round-trips through parseTimeSpan for whole seconds', () => {
    for (const text of ['1y 6M', '3w 2d 4h', '12M', '100d', '7days 1s']) {
      const span = parseTimeSpan(text)
      expect(parseTimeSpan(formatTimeSpan(span)).seconds).toBe(span.seconds)
    }
  })
})
