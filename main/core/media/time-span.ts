/**
 * Time spans as used by PBS media pool `retention`, e.g. `2weeks`, `1y 6M`, `1h30m`.
 *
 * Acceptance follows PBS's `proxmox-time` crate (`TimeSpan::from_str`): whole numbers only, each
 * optionally followed by a unit, whitespace between and inside parts optional, a bare number
 * means seconds, repeated units add up. Month and year use the PBS lengths (30.44 and 365.25
 * days); systemd uses 30.4375 days for a month, so spans with months differ from systemd by
 * 216 s per month. Formatting follows systemd-analyze's "Human:" line (`1y 6month`, `1min 30s`,
 * `1.500000s`) with PBS's month length, so formatted spans parse back to the same value.
 */

export class TimeSpanError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TimeSpanError'
  }
}

export interface TimeSpan {
  /** Total length in seconds; fractional for ms/µs/ns parts. */
  readonly seconds: number
}

const NS_PER_SEC = 1_000_000_000n
const NS_PER_MINUTE = 60n * NS_PER_SEC
const NS_PER_HOUR = 60n * NS_PER_MINUTE
const NS_PER_DAY = 24n * NS_PER_HOUR
const NS_PER_WEEK = 7n * NS_PER_DAY
/** PBS: 30.44 days (systemd would use 30.4375 days). */
const NS_PER_MONTH = 2_630_016n * NS_PER_SEC
/** 365.25 days, the same in PBS and systemd. */
const NS_PER_YEAR = 31_557_600n * NS_PER_SEC
const U64_MAX = 2n ** 64n - 1n

/** Unit names exactly as PBS accepts them (case-sensitive: `M` is month, `m` is minute). */
const UNITS: ReadonlyMap<string, bigint> = new Map([
  ['seconds', NS_PER_SEC],
  ['second', NS_PER_SEC],
  ['sec', NS_PER_SEC],
  ['s', NS_PER_SEC],
  ['msec', 1_000_000n],
  ['ms', 1_000_000n],
  ['usec', 1_000n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n],
  ['nsec', 1n],
  ['ns', 1n],
  ['minutes', NS_PER_MINUTE],
  ['minute', NS_PER_MINUTE],
  ['min', NS_PER_MINUTE],
  ['m', NS_PER_MINUTE],
  ['hours', NS_PER_HOUR],
  ['hour', NS_PER_HOUR],
  ['hr', NS_PER_HOUR],
  ['h', NS_PER_HOUR],
  ['days', NS_PER_DAY],
  ['day', NS_PER_DAY],
  ['d', NS_PER_DAY],
  ['weeks', NS_PER_WEEK],
  ['week', NS_PER_WEEK],
  ['w', NS_PER_WEEK],
  ['months', NS_PER_MONTH],
  ['month', NS_PER_MONTH],
  ['M', NS_PER_MONTH],
  ['years', NS_PER_YEAR],
  ['year', NS_PER_YEAR],
  ['y', NS_PER_YEAR]
])

/** Exact nanoseconds of spans made by parseTimeSpan; `seconds` alone can't hold `1y 1ns`. */
const exactNanos = new WeakMap<TimeSpan, bigint>()

function fail(text: string, reason: string): never {
  throw new TimeSpanError(`invalid time span '${text}': ${reason}`)
}

/** Why the text at `rest` is not a number, in words an admin understands. */
function explainNotANumber(rest: string, afterNumber: boolean): string {
  if (afterNumber && /^\.\d/.test(rest)) {
    return 'fractional numbers are not supported, use a smaller unit (e.g. 90min instead of 1.5h)'
  }
  const word = /^[^\s\d]+/.exec(rest)?.[0] ?? rest
  if (afterNumber && word.startsWith('\u03bc')) {
    return `unknown unit '${word}' (write microseconds as 'us' or '\u00b5s')`
  }
  if (afterNumber && /^[A-Za-z\u00b5]+$/.test(word)) {
    return `unknown unit '${word}' (use y, M, w, d, h, m, s, ms, us or ns)`
  }
  return `expected a number, got '${word}'`
}

/**
 * Parses a PBS time span. Mirrors PBS's loop: number, optional unit; a number followed by an
 * unknown word counts as seconds and the word then fails as "not a number".
 */
export function parseTimeSpan(text: string): TimeSpan {
  let rest = text.trimStart()
  if (rest === '') fail(text, 'empty time span')
  let total = 0n
  let afterNumber = false
  while (rest !== '') {
    const digits = /^\d+/.exec(rest)?.[0]
    if (digits === undefined) fail(text, explainNotANumber(rest, afterNumber))
    const value = BigInt(digits)
    if (value > U64_MAX) fail(text, `number ${digits} is too large`)
    rest = rest.slice(digits.length).trimStart()
    const word = /^[A-Za-z\u00b5]*/.exec(rest)?.[0] ?? ''
    const unit = UNITS.get(word)
    if (unit === undefined) {
      // PBS: a number without a (known) unit is seconds; an unknown word fails next round
      total += value * NS_PER_SEC
      afterNumber = true
    } else {
      total += value * unit
      rest = rest.slice(word.length)
      afterNumber = false
    }
    rest = rest.trimStart()
  }
  if (total / NS_PER_SEC > U64_MAX) fail(text, 'time span is too large')
  const span: TimeSpan = Object.freeze({
    seconds: Number(total / NS_PER_SEC) + Number(total % NS_PER_SEC) / 1e9
  })
  exactNanos.set(span, total)
  return span
}

/** Nanoseconds of a span, rounded to what its float `seconds` can really tell apart. */
function spanNanos(span: TimeSpan): bigint {
  const exact = exactNanos.get(span)
  if (exact !== undefined) return exact
  const seconds = span.seconds
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new TimeSpanError(`invalid time span: ${seconds} seconds`)
  }
  const whole = Math.floor(seconds)
  const ulp = seconds * Number.EPSILON
  // round the fraction to the finest of ns/µs/ms/s that the float still resolves
  let step = 1
  for (const candidate of [1e-9, 1e-6, 1e-3]) {
    if (ulp * 4 < candidate) {
      step = candidate
      break
    }
  }
  const fractionSteps = Math.round((seconds - whole) / step)
  const stepNanos = BigInt(Math.round(step * 1e9))
  return BigInt(whole) * NS_PER_SEC + BigInt(fractionSteps) * stepNanos
}

const FORMAT_UNITS: readonly { readonly suffix: string; readonly ns: bigint }[] = [
  { suffix: 'y', ns: NS_PER_YEAR },
  { suffix: 'month', ns: NS_PER_MONTH },
  { suffix: 'w', ns: NS_PER_WEEK },
  { suffix: 'd', ns: NS_PER_DAY },
  { suffix: 'h', ns: NS_PER_HOUR },
  { suffix: 'min', ns: NS_PER_MINUTE },
  { suffix: 's', ns: NS_PER_SEC },
  { suffix: 'ms', ns: 1_000_000n },
  { suffix: 'us', ns: 1_000n },
  { suffix: 'ns', ns: 1n }
]

/** Number of decimal digits needed below `unit` when counting in steps of `finest`. */
function fractionDigits(unit: bigint, finest: bigint): number {
  let digits = 0
  for (let c = unit / finest; c > 1n; c /= 10n) digits++
  return digits
}

/**
 * systemd's format_timespan() with microsecond accuracy (what systemd-analyze prints as
 * "Human:"): largest units first, and once less than a minute is left a fraction is shown in
 * dot notation. Spans with a nanosecond remainder (systemd has none) extend the same scheme to ns.
 */
export function formatTimeSpan(span: TimeSpan): string {
  const nanos = spanNanos(span)
  if (nanos === 0n) return '0'
  const finest = nanos % 1_000n === 0n ? 1_000n : 1n
  const parts: string[] = []
  let left = nanos
  for (const unit of FORMAT_UNITS) {
    if (left <= 0n) break
    if (unit.ns < finest || left < unit.ns) continue
    const whole = left / unit.ns
    const remainder = left % unit.ns
    const digits = fractionDigits(unit.ns, finest)
    if (left < NS_PER_MINUTE && remainder > 0n && digits > 0) {
      const fraction = (remainder / finest).toString().padStart(digits, '0')
      parts.push(`${whole}.${fraction}${unit.suffix}`)
      break
    }
    parts.push(`${whole}${unit.suffix}`)
    left = remainder
  }
  return parts.join(' ')
}
