/**
 * Calendar events as used by PBS media pool `allocation` and tape job `schedule`, e.g.
 * `mon..fri 22:00`, `*:0/15`, `sat 03:30 UTC`, `monthly`.
 *
 * Acceptance follows PBS's `proxmox-time` crate (a subset of systemd.time(7) calendar events,
 * plus a few PBS extensions such as `*:*\/15`, wrapping weekday ranges `fri..mon`, a lone
 * minute `30` = `*:30` and `UTC` without a space). One deliberate deviation: PBS quietly reads
 * an out-of-range hour as minute:second (`25:00` = `*:25:00`); that is rejected here.
 *
 * The next elapse and the normalized form follow systemd 252 (calendarspec.c as Debian 12 ships
 * it), which PBS does not replicate exactly around daylight saving time: a local time that does
 * not exist is skipped or moved forward, and of a local time that occurs twice only the instance
 * reached first is used. Those results depend on glibc's mktime() quirks, which are emulated
 * (ZoneClock). Where systemd gives up ("Infinite loop in calendar calculation"), we search on.
 */

export class CalendarEventError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CalendarEventError'
  }
}

/** One element of a component list, as systemd stores it: `start[..stop][/repeat]`. */
export interface CalendarComponent {
  readonly start: number
  /** Inclusive end of a range, null if open. */
  readonly stop: number | null
  /** Step between matches, 0 = only `start`. */
  readonly repeat: number
}

/** A normalized component list; null means `*` (any value). */
type Chain = readonly CalendarComponent[] | null

export interface CalendarEvent {
  /** The text the event was parsed from. */
  readonly source: string
  /** Evaluated in UTC regardless of the time zone asked for. */
  readonly utc: boolean
  /** Bit 0 = Monday … bit 6 = Sunday; 0 = any day. */
  readonly weekdays: number
  readonly year: Chain
  readonly month: Chain
  readonly day: Chain
  readonly hour: Chain
  readonly minute: Chain
  /** Never null: systemd stores `*` seconds as `0/1`. */
  readonly second: readonly CalendarComponent[]
}

// ---------------------------------------------------------------------------------------------
// Parsing (PBS grammar)

type Field = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second'

interface FieldRule {
  /** PBS rejects values >= max (so month 0 and day 0 are accepted but never match). */
  readonly max: number
  /** First value of `*\/N`. */
  readonly first: number
  /** Allowed range, for messages. */
  readonly range: string
  /** Characters that may follow a value of this field ('' = end of text). */
  readonly before: readonly string[]
}

const FIELDS: Readonly<Record<Field, FieldRule>> = {
  year: { max: 2200, first: 0, range: 'up to 2199', before: ['-', ','] },
  month: { max: 13, first: 1, range: '1-12', before: ['-', ','] },
  day: { max: 32, first: 1, range: '1-31', before: [' ', '', ','] },
  hour: { max: 24, first: 0, range: '0-23', before: [':', ','] },
  minute: { max: 60, first: 0, range: '0-59', before: [':', '', ','] },
  second: { max: 60, first: 0, range: '0-59', before: ['', ','] }
}

const WEEKDAYS: ReadonlyMap<string, number> = new Map([
  ['monday', 0],
  ['mon', 0],
  ['tuesday', 1],
  ['tue', 1],
  ['wednesday', 2],
  ['wed', 2],
  ['thursday', 3],
  ['thu', 3],
  ['friday', 4],
  ['fri', 4],
  ['saturday', 5],
  ['sat', 5],
  ['sunday', 6],
  ['sun', 6]
])

const ALL_WEEKDAYS = 0b111_1111

interface Parts {
  readonly weekdays: number
  readonly year: Chain
  readonly month: Chain
  readonly day: Chain
  readonly hour: Chain
  readonly minute: Chain
  readonly second: Chain
}

const one = (value: number): CalendarComponent[] => [{ start: value, stop: null, repeat: 0 }]
const MIDNIGHT = { hour: one(0), minute: one(0), second: one(0) }
const ANY_DATE = { weekdays: 0, year: null, month: null, day: null }

/** PBS's keyword shortcuts; matched case-sensitively, like PBS does. */
const SHORTCUTS: ReadonlyMap<string, Parts> = new Map<string, Parts>([
  ['minutely', { ...ANY_DATE, hour: null, minute: null, second: one(0) }],
  ['hourly', { ...ANY_DATE, hour: null, minute: one(0), second: one(0) }],
  ['daily', { ...ANY_DATE, ...MIDNIGHT }],
  ['weekly', { ...ANY_DATE, weekdays: 1, ...MIDNIGHT }],
  ['monthly', { ...ANY_DATE, day: one(1), ...MIDNIGHT }],
  ['yearly', { ...ANY_DATE, month: one(1), day: one(1), ...MIDNIGHT }],
  ['annually', { ...ANY_DATE, month: one(1), day: one(1), ...MIDNIGHT }],
  ['quarterly', { ...ANY_DATE, month: [1, 4, 7, 10].flatMap(one), day: one(1), ...MIDNIGHT }],
  ['semiannually', { ...ANY_DATE, month: [1, 7].flatMap(one), day: one(1), ...MIDNIGHT }],
  ['semi-annually', { ...ANY_DATE, month: [1, 7].flatMap(one), day: one(1), ...MIDNIGHT }]
])

interface Parsed<T> {
  readonly value: T
  /** Index just after the parsed text. */
  readonly end: number
}

interface TimeSpec {
  readonly hour: Chain
  readonly minute: Chain
  readonly second: Chain
  /** `X:Y` read as minute:second because X is no valid hour (the PBS quirk we reject). */
  readonly hourMissing: boolean
}

/**
 * Recursive descent over the PBS grammar, backtracking like PBS's nom parsers do. Specific
 * problems found on the way (bad weekday, value out of range) are remembered with their
 * position so a failed parse can name the most relevant one.
 */
class EventParser {
  private problemAt = -1
  private problem = ''
  private problemFits = false

  constructor(private readonly text: string) {}

  /** The remembered problem if it lies at or after `pos`, else null. */
  problemFrom(pos: number): string | null {
    return this.problemAt >= pos ? this.problem : null
  }

  /**
   * Remembers a problem unless one further right is known. The same digits are tried as
   * year, month, hour and minute; on a tie prefer the field that fits what follows them.
   */
  private note(pos: number, message: string, field?: Field, end = pos): null {
    const fits = field !== undefined && FIELDS[field].before.includes(this.text[end] ?? '')
    if (pos > this.problemAt || (pos === this.problemAt && fits && !this.problemFits)) {
      this.problemAt = pos
      this.problem = message
      this.problemFits = fits
    }
    return null
  }

  private number(pos: number, field: Field, what: string): Parsed<number> | null {
    const digits = /^\d+/.exec(this.text.slice(pos))?.[0]
    if (digits === undefined) return null
    const value = Number(digits)
    if (value >= FIELDS[field].max) {
      const message = `${field} ${what} ${digits} is out of range (${FIELDS[field].range})`
      return this.note(pos, message, field, pos + digits.length)
    }
    return { value, end: pos + digits.length }
  }

  /** `v`, `a..b`, `a/r`, `a..b/r` */
  private component(pos: number, field: Field): Parsed<CalendarComponent> | null {
    const first = this.number(pos, field, 'value')
    if (first === null) return null
    if (this.text.startsWith('..', first.end)) {
      const last = this.number(first.end + 2, field, 'value')
      if (last !== null) {
        if (first.value > last.value) {
          const message = `${field} range ${first.value}..${last.value} runs backwards`
          return this.note(pos, message, field, last.end)
        }
        if (this.text[last.end] === '/')
          return this.repeated(first.value, last.value, last.end, field)
        return { value: { start: first.value, stop: last.value, repeat: 1 }, end: last.end }
      }
    }
    if (this.text[first.end] === '/') return this.repeated(first.value, null, first.end, field)
    return { value: { start: first.value, stop: null, repeat: 0 }, end: first.end }
  }

  private repeated(
    start: number,
    stop: number | null,
    slash: number,
    field: Field
  ): Parsed<CalendarComponent> | null {
    const step = this.number(slash + 1, field, 'repetition')
    if (step === null) return null
    // PBS treats a repetition of 0 as "start only"
    const value =
      step.value === 0 ? { start, stop: null, repeat: 0 } : { start, stop, repeat: step.value }
    return { value, end: step.end }
  }

  /** `*`, `*\/r` or a comma separated list of components. */
  private list(pos: number, field: Field): Parsed<Chain> | null {
    if (this.text[pos] === '*') {
      if (this.text[pos + 1] === '/') {
        const step = this.number(pos + 2, field, 'repetition')
        if (step === null) return null
        if (step.value > 0) return { value: [starRepeat(field, step.value)], end: step.end }
        this.note(pos + 1, `repetition '*/0' is not allowed`)
      }
      return { value: null, end: pos + 1 }
    }
    const first = this.component(pos, field)
    if (first === null) return null
    const items = [first.value]
    let end = first.end
    // like nom's separated_list1: a ',' not followed by a valid item ends the list before it
    while (this.text[end] === ',') {
      const next = this.component(end + 1, field)
      if (next === null) break
      items.push(next.value)
      end = next.end
    }
    return { value: items, end }
  }

  private weekday(pos: number): Parsed<number> | null {
    const word = /^[A-Za-z]+/.exec(this.text.slice(pos))?.[0]
    if (word === undefined) return null
    const day = WEEKDAYS.get(word.toLowerCase())
    if (day === undefined) return this.note(pos, unknownWeekday(word))
    return { value: day, end: pos + word.length }
  }

  /** `mon`, `mon..fri`; a range may wrap around the week (`fri..mon`). */
  private weekdayRange(pos: number): Parsed<number> | null {
    const from = this.weekday(pos)
    if (from === null) return null
    if (this.text.startsWith('..', from.end)) {
      const to = this.weekday(from.end + 2)
      if (to !== null) return { value: weekdayBits(from.value, to.value), end: to.end }
    }
    return { value: 1 << from.value, end: from.end }
  }

  weekdays(pos: number): Parsed<number> | null {
    const first = this.weekdayRange(pos)
    if (first === null) return null
    let bits = first.value
    let end = first.end
    while (this.text[end] === ',') {
      const next = this.weekdayRange(end + 1)
      if (next === null) break
      bits |= next.value
      end = next.end
    }
    return { value: bits, end }
  }

  /** `Y-M-D` or `M-D`. */
  date(pos: number): Parsed<Pick<Parts, 'year' | 'month' | 'day'>> | null {
    const year = this.list(pos, 'year')
    if (year !== null && this.text[year.end] === '-') {
      const month = this.list(year.end + 1, 'month')
      if (month !== null && this.text[month.end] === '-') {
        const day = this.list(month.end + 1, 'day')
        if (day !== null) {
          return { value: { year: year.value, month: month.value, day: day.value }, end: day.end }
        }
      }
    }
    const month = this.list(pos, 'month')
    if (month !== null && this.text[month.end] === '-') {
      const day = this.list(month.end + 1, 'day')
      if (day !== null)
        return { value: { year: null, month: month.value, day: day.value }, end: day.end }
    }
    return null
  }

  /** `[H:]M[:S]` — PBS makes the hour optional, so a lone number is a minute. */
  time(pos: number): Parsed<TimeSpec> | null {
    const hour = this.list(pos, 'hour')
    const hasHour = hour !== null && this.text[hour.end] === ':'
    const minuteAt = hasHour ? hour.end + 1 : pos
    const minute = this.list(minuteAt, 'minute')
    if (minute === null) return null
    if (this.text[minute.end] === ':') {
      const second = this.list(minute.end + 1, 'second')
      if (second !== null) {
        const value = {
          hour: hasHour ? hour.value : null,
          minute: minute.value,
          second: second.value,
          hourMissing: !hasHour
        }
        return { value, end: second.end }
      }
    }
    const value = {
      hour: hasHour ? hour.value : null,
      minute: minute.value,
      second: one(0),
      hourMissing: false
    }
    return { value, end: minute.end }
  }
}

function starRepeat(field: Field, step: number): CalendarComponent {
  // PBS counts `*/N` years from year 0; start at the first such year systemd can handle
  const start = field === 'year' ? Math.ceil(1970 / step) * step : FIELDS[field].first
  return { start, stop: null, repeat: step }
}

function weekdayBits(from: number, to: number): number {
  let bits = 0
  for (let day = from; ; day = (day + 1) % 7) {
    bits |= 1 << day
    if (day === to) return bits
  }
}

function unknownWeekday(word: string): string {
  if (SHORTCUTS.has(word)) return `'${word}' must stand alone (only ' UTC' may follow it)`
  const lower = word.toLowerCase()
  if (SHORTCUTS.has(lower)) return `unknown weekday '${word}' (write the shortcut as '${lower}')`
  return `unknown weekday '${word}'`
}

/** Explains text left over after the longest valid prefix. */
function leftover(rest: string): string {
  const token = rest.trim()
  if (WEEKDAYS.has(token.toLowerCase())) return `weekdays must come first, before '${token}'`
  if (/^utc$/i.test(token)) return `write the time zone as 'UTC'`
  if (/^([A-Z]{3,5}|[A-Za-z_]+\/[A-Za-z_+\-/]+)$/.test(token)) {
    return `unsupported time zone '${token}' (only 'UTC' is supported)`
  }
  return `unexpected '${token}'`
}

function parseParts(body: string): Parts | string {
  const shortcut = SHORTCUTS.get(body)
  if (shortcut !== undefined) return shortcut
  if (body.trim() === '') return 'empty calendar event'
  if (SHORTCUTS.has(body.trim())) return `remove the spaces around '${body.trim()}'`
  if (/^\s/.test(body)) return 'remove the leading space'
  // a valid "UTC" suffix was already stripped, so this is a misspelt one
  if (/ utc$/i.test(body)) return `write the time zone as 'UTC'`

  const parser = new EventParser(body)
  let pos = 0
  let weekdays = 0
  if (/^[A-Za-z]/.test(body)) {
    const days = parser.weekdays(0)
    if (days === null) return parser.problemFrom(0) ?? `unexpected '${body}'`
    weekdays = days.value
    pos = skipSpaces(body, days.end)
  }
  const date = parser.date(pos)
  if (date !== null) pos = skipSpaces(body, date.end)
  const time = parser.time(pos)
  if (time !== null) pos = time.end

  if (weekdays === 0 && date === null && time === null) {
    return parser.problemFrom(pos) ?? `expected a weekday, date or time, got '${body.slice(pos)}'`
  }
  if (pos < body.length) return parser.problemFrom(pos) ?? leftover(body.slice(pos))
  if (time?.value.hourMissing === true) {
    return parser.problemFrom(0) ?? `invalid hour in '${body}'`
  }
  return {
    weekdays,
    year: date?.value.year ?? null,
    month: date?.value.month ?? null,
    day: date?.value.day ?? null,
    ...(time === null ? MIDNIGHT : time.value)
  }
}

function skipSpaces(text: string, pos: number): number {
  while (text[pos] === ' ') pos++
  return pos
}

/**
 * Parses a PBS calendar event (see the module comment for the accepted forms).
 * Throws CalendarEventError naming the problem.
 */
export function parseCalendarEvent(text: string): CalendarEvent {
  let body = text
  let utc = false
  // PBS strips a trailing "UTC" (even without a space before it) and then trailing spaces
  if (body.endsWith('UTC')) {
    utc = true
    body = body.slice(0, -3).replace(/ +$/, '')
  }
  const parts = utc && body === '' ? 'missing date or time before UTC' : parseParts(body)
  if (typeof parts === 'string') {
    throw new CalendarEventError(`invalid calendar event '${text}': ${parts}`)
  }
  return Object.freeze({
    source: text,
    utc,
    weekdays: parts.weekdays === ALL_WEEKDAYS ? 0 : parts.weekdays,
    year: normalizeChain(fixYears(parts.year), 'year'),
    month: normalizeChain(parts.month, 'month'),
    day: normalizeChain(parts.day, 'day'),
    hour: normalizeChain(parts.hour, 'hour'),
    minute: normalizeChain(parts.minute, 'minute'),
    second: normalizeChain(parts.second, 'second') ?? [{ start: 0, stop: null, repeat: 1 }]
  })
}

// ---------------------------------------------------------------------------------------------
// Normalization and formatting (systemd)

/** systemd reads two-digit years as 1970..2069 (`26` = 2026). */
function fixYears(chain: Chain): Chain {
  const fix = (y: number): number => (y < 70 ? y + 2000 : y < 100 ? y + 1900 : y)
  return (
    chain?.map((c) => {
      const fixed = { ...c, start: fix(c.start), stop: c.stop === null ? null : fix(c.stop) }
      // `69..71` would turn into a backwards range; keep such nonsense literal (never matches)
      return fixed.stop !== null && fixed.stop < fixed.start ? c : fixed
    }) ?? null
  )
}

const compareComponents = (a: CalendarComponent, b: CalendarComponent): number =>
  a.start - b.start || (a.stop ?? -1) - (b.stop ?? -1) || a.repeat - b.repeat

/** systemd's normalize_chain(): trim ranges to their last match, sort, drop duplicates. */
function normalizeChain(chain: Chain, field: Field): Chain {
  if (chain === null) return null
  const items = chain
    .map((c) => normalizeComponent(c, FIELDS[field].max - 1))
    .sort(compareComponents)
  return items.filter((c, i) => i === 0 || compareComponents(items[i - 1]!, c) !== 0)
}

function normalizeComponent(c: CalendarComponent, highest: number): CalendarComponent {
  let { stop, repeat } = c
  const start = c.start
  if (stop !== null && stop > start && repeat > 0) stop -= (stop - start) % repeat
  if ((stop !== null && stop > start && repeat > 0 && start + repeat > stop) || start === stop) {
    repeat = 0
    stop = null
  }
  // PBS accepts `*:50/20`, which systemd refuses; it only ever matches its start
  if (stop === null && start + repeat > highest) repeat = 0
  return { start, stop, repeat }
}

const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']

/** systemd's format_weekdays(): runs of 3+ days as `a..b`, shorter ones as lists. */
function formatWeekdays(bits: number): string {
  const runs: string[] = []
  for (let day = 0; day < 7; day++) {
    if ((bits & (1 << day)) === 0) continue
    let last = day
    while (last < 6 && (bits & (1 << (last + 1))) !== 0) last++
    const first = DAY_NAMES[day]!
    const end = DAY_NAMES[last]!
    runs.push(last === day ? first : last === day + 1 ? `${first},${end}` : `${first}..${end}`)
    day = last
  }
  return runs.join(',')
}

function formatChain(chain: Chain, width: number): string {
  if (chain === null) return '*'
  const pad = (n: number): string => String(n).padStart(width, '0')
  return chain
    .map((c) => {
      let text = pad(c.start)
      if (c.stop !== null && c.stop > 0) text += `..${pad(c.stop)}`
      if (c.repeat > 0 && !(c.stop !== null && c.stop > 0 && c.repeat === 1)) text += `/${c.repeat}`
      return text
    })
    .join(',')
}

function formatSeconds(chain: readonly CalendarComponent[]): string {
  // systemd prints seconds as `*` when one element is `0/1`, i.e. covers every second
  const star = chain.some((c) => c.start === 0 && c.stop === null && c.repeat === 1)
  return star ? '*' : formatChain(chain, 2)
}

/** The event in systemd's "Normalized form", e.g. `Mon..Fri *-*-* 22:00:00`. */
export function formatCalendarEvent(ev: CalendarEvent): string {
  const days =
    ev.weekdays !== 0 && ev.weekdays !== ALL_WEEKDAYS ? formatWeekdays(ev.weekdays) + ' ' : ''
  const date = `${formatChain(ev.year, 4)}-${formatChain(ev.month, 2)}-${formatChain(ev.day, 2)}`
  const time = `${formatChain(ev.hour, 2)}:${formatChain(ev.minute, 2)}:${formatSeconds(ev.second)}`
  return `${days}${date} ${time}${ev.utc ? ' UTC' : ''}`
}

// ---------------------------------------------------------------------------------------------
// Wall-clock arithmetic and time zones

const DAY = 86_400

/** Broken-down time like C's struct tm, but with a full year and a utcOffset hint. */
interface Tm {
  year: number
  /** 0-11; may overflow while searching, like tm_mon. */
  mon: number
  mday: number
  hour: number
  min: number
  sec: number
  /** 0 = Sunday, valid after breakDown. */
  wday: number
  /** UTC offset this time was last normalized with (tm_isdst's role); null = unknown. */
  hint: number | null
}

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yearOfEra = y - era * 400
  const dayOfYear = Math.floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear
  return era * 146_097 + dayOfEra - 719_468
}

/** Seconds since the epoch of a wall-clock time read as UTC; fields may overflow. */
function wallSeconds(tm: Tm): number {
  const year = tm.year + Math.floor(tm.mon / 12)
  const mon = ((tm.mon % 12) + 12) % 12
  const days = daysFromCivil(year, mon + 1, 1) + tm.mday - 1
  return days * DAY + tm.hour * 3600 + tm.min * 60 + tm.sec
}

function civil(wall: number, hint: number | null): Tm {
  const days = Math.floor(wall / DAY)
  const secs = wall - days * DAY
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const dayOfEra = z - era * 146_097
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365
  )
  const dayOfYear =
    dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100))
  const mp = Math.floor((5 * dayOfYear + 2) / 153)
  const mday = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  return {
    year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0),
    mon: month - 1,
    mday,
    hour: Math.floor(secs / 3600),
    min: Math.floor((secs % 3600) / 60),
    sec: secs % 60,
    wday: (((days + 4) % 7) + 7) % 7,
    hint
  }
}

/** localtime_r()/mktime() for one zone, or gmtime_r()/timegm() for UTC. */
interface Clock {
  breakDown(epoch: number): Tm
  /** Normalizes `tm` in place (like mktime) and returns its epoch seconds. */
  makeTime(tm: Tm): number
  /** The same clock with tm_isdst hints ignored (see nextCalendarEvent). */
  withoutHints(): Clock
}

const UTC_CLOCK: Clock = {
  breakDown: (epoch) => civil(epoch, 0),
  withoutHints: () => UTC_CLOCK,
  makeTime(tm) {
    const epoch = wallSeconds(tm)
    Object.assign(tm, civil(epoch, 0))
    return epoch
  }
}

const NEGATIVE_DST_ZONES = new Set([
  'Europe/Dublin',
  'Eire',
  'Africa/Casablanca',
  'Africa/El_Aaiun'
])

/** UTC offsets of an IANA zone via Intl, cached per hour that has no transition. */
class ZoneOffsets {
  private readonly format: Intl.DateTimeFormat
  private readonly hours = new Map<number, number>()
  private readonly years = new Map<number, { standard: number; dst: number | null }>()
  /** tzdata (as glibc reads it) flags the lower offset as DST here; Intl can't tell us. */
  readonly negativeDst: boolean

  constructor(timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric'
    })
    const canonical = this.format.resolvedOptions().timeZone
    this.negativeDst = NEGATIVE_DST_ZONES.has(timeZone) || NEGATIVE_DST_ZONES.has(canonical)
  }

  at(epoch: number): number {
    const bucket = Math.floor(epoch / 3600)
    const cached = this.hours.get(bucket)
    if (cached !== undefined) return cached
    const first = this.compute(bucket * 3600)
    if (first !== this.compute(bucket * 3600 + 3599)) return this.compute(epoch)
    if (this.hours.size > 100_000) this.hours.clear()
    this.hours.set(bucket, first)
    return first
  }

  /** Whether tzdata flags `offset` as DST in the year around `epoch` (from Jan 1 and Jul 1). */
  isDst(offset: number, epoch: number): boolean {
    const { standard, dst } = this.yearOffsets(epoch)
    return dst !== null && offset === dst && offset !== standard
  }

  offsetWithDst(wanted: boolean, epoch: number): number | null {
    const { standard, dst } = this.yearOffsets(epoch)
    return wanted ? dst : dst === null ? null : standard
  }

  /** The zone's standard and DST offset in the year around `epoch`, sampled monthly. */
  private yearOffsets(epoch: number): { standard: number; dst: number | null } {
    const year = civil(epoch, null).year
    let known = this.years.get(year)
    if (known === undefined) {
      const seen = new Set<number>()
      for (let month = 1; month <= 12; month++)
        seen.add(this.at(daysFromCivil(year, month, 1) * DAY))
      const low = Math.min(...seen)
      const high = Math.max(...seen)
      if (low === high) known = { standard: low, dst: null }
      else known = this.negativeDst ? { standard: high, dst: low } : { standard: low, dst: high }
      this.years.set(year, known)
    }
    return known
  }

  private compute(epoch: number): number {
    // en-US numeric: month/day/year, hour:minute:second
    const m = /(\d+)\D+(\d+)\D+(\d+)\D+(\d+)\D+(\d+)\D+(\d+)/.exec(this.format.format(epoch * 1000))
    if (m === null) throw new Error(`cannot read local time of ${epoch}`)
    const [month, day, year, hour, min, sec] = m.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number
    ]
    return (
      wallSeconds({ year, mon: month - 1, mday: day, hour, min, sec, wday: 0, hint: null }) - epoch
    )
  }
}

/**
 * mktime() as glibc does it, which systemd's results depend on at DST changes. The tm_isdst
 * hint is modelled by `Tm.hint`, the offset the time was last normalized with.
 * - A wall time that occurs twice gets the hinted offset, else the offset glibc used last (its
 *   static `localtime_offset` guess).
 * - A wall time that doesn't exist is read so that the result's DST flag differs from the hint,
 *   or without a hint so that the result lies in DST: usually forward (02:30 on a spring-forward
 *   night becomes 03:30), backwards where tzdata marks winter as DST (Dublin).
 * - A hint whose DST flag doesn't fit an unambiguous time makes glibc read the time with the
 *   offset of a nearby time that fits the hint.
 */
class ZoneClock implements Clock {
  /** glibc's guess: the offset the previous mktime() used. */
  private guess = 0

  constructor(
    private readonly offsets: ZoneOffsets,
    private readonly hints = true
  ) {}

  breakDown(epoch: number): Tm {
    const offset = this.offsets.at(epoch)
    return civil(epoch + offset, offset)
  }

  makeTime(tm: Tm): number {
    const wall = wallSeconds(tm)
    const hint = this.hints ? tm.hint : null
    const before = this.offsets.at(wall - DAY)
    const after = this.offsets.at(wall + DAY)
    const around = [...new Set([before, this.offsets.at(wall), after])].sort((a, b) => b - a)
    const valid = around.filter((offset) => this.offsets.at(wall - offset) === offset)
    let offset: number
    if (valid.length === 1) {
      offset = this.unambiguousOffset(wall, valid[0]!, hint)
    } else if (valid.length > 1) {
      offset = closest(valid, hint ?? this.guess)
    } else {
      offset = this.gapOffset(wall, before, after, hint)
    }
    this.guess = offset
    const epoch = wall - offset
    Object.assign(tm, this.breakDown(epoch))
    return epoch
  }

  withoutHints(): Clock {
    return new ZoneClock(this.offsets, false)
  }

  private unambiguousOffset(wall: number, offset: number, hint: number | null): number {
    if (hint === null || hint === offset) return offset
    const wanted = this.offsets.isDst(hint, wall)
    if (wanted === this.offsets.isDst(offset, wall)) return offset
    return this.offsets.offsetWithDst(wanted, wall) ?? offset
  }

  /** Reading the wall time with `before` lands after the change, and vice versa. */
  private gapOffset(wall: number, before: number, after: number, hint: number | null): number {
    const laterIsDst = this.offsets.isDst(after, wall)
    const earlierIsDst = this.offsets.isDst(before, wall)
    let forward: boolean
    if (hint !== null) forward = laterIsDst !== this.offsets.isDst(hint, wall)
    else forward = laterIsDst || !earlierIsDst
    return forward ? before : after
  }
}

function closest(offsets: readonly number[], wanted: number): number {
  let best = offsets[0]!
  for (const offset of offsets) {
    if (Math.abs(offset - wanted) < Math.abs(best - wanted)) best = offset
  }
  return best
}

const zones = new Map<string, ZoneOffsets>()

function clockFor(timeZone: string | undefined): Clock {
  const name = timeZone ?? new Intl.DateTimeFormat().resolvedOptions().timeZone
  if (name === 'UTC' || name === 'Etc/UTC') return UTC_CLOCK
  let offsets = zones.get(name)
  if (offsets === undefined) {
    try {
      offsets = new ZoneOffsets(name)
    } catch {
      throw new CalendarEventError(`unknown time zone '${name}'`)
    }
    zones.set(name, offsets)
  }
  return new ZoneClock(offsets)
}

// ---------------------------------------------------------------------------------------------
// Next elapse (systemd's find_next)

/** systemd gives up on years after this, which also ends searches for `*-02-30`. */
const MAX_YEAR = 2199
/** systemd's safety valve against endless searches. */
const MAX_ITERATIONS = 1000
const USEC = 1_000_000
/** 2200-01-01T00:00:00Z; nothing can elapse after it. */
const END_OF_TIME = daysFromCivil(MAX_YEAR + 1, 1, 1) * DAY

/** Smallest value >= `value` matched by the chain, null if none; null chain = anything. */
function matchChain(chain: Chain, value: number, scale = 1): number | null {
  if (chain === null) return value
  let best: number | null = null
  for (const c of chain) {
    const start = c.start * scale
    const repeat = c.repeat * scale
    if (start >= value) {
      if (best === null || start < best) best = start
    } else if (repeat > 0) {
      const next = start + repeat * Math.ceil((value - start) / repeat)
      if ((best === null || next < best) && (c.stop === null || next <= c.stop * scale)) best = next
    }
  }
  return best
}

/**
 * systemd's tm_within_bounds(): 1 if `tm` is a real time; 0 if mktime() moved it forward (then
 * `tm` is set to the normalized time with the next smaller unit reset); < 0 if it is too late
 * or moved backwards.
 */
function withinBounds(clock: Clock, tm: Tm): number {
  if (tm.year > MAX_YEAR) return -1
  const t = { ...tm }
  if (clock.makeTime(t) < 0) return -1
  let cmp: number
  if ((cmp = Math.sign(t.year - tm.year)) !== 0) t.mon = 0
  else if ((cmp = Math.sign(t.mon - tm.mon)) !== 0) t.mday = 1
  else if ((cmp = Math.sign(t.mday - tm.mday)) !== 0) t.hour = 0
  else if ((cmp = Math.sign(t.hour - tm.hour)) !== 0) t.min = 0
  else if ((cmp = Math.sign(t.min - tm.min)) !== 0) t.sec = 0
  else cmp = Math.sign(t.sec - tm.sec)
  if (cmp < 0) return -2
  if (cmp > 0) {
    Object.assign(tm, t)
    return 0
  }
  return 1
}

function matchesWeekday(clock: Clock, bits: number, tm: Tm): boolean {
  if (bits === 0) return true
  const t = { ...tm }
  if (clock.makeTime(t) < 0) return false
  return (bits & (1 << ((t.wday + 6) % 7))) !== 0
}

const TM_FIELDS = ['year', 'mon', 'mday', 'hour', 'min', 'sec'] as const
const TM_MINIMUM = { year: 0, mon: 0, mday: 1, hour: 0, min: 0, sec: 0 }

/** Resets every field below the given one, like find_next() does after changing a field. */
function resetBelow(tm: Tm, field: (typeof TM_FIELDS)[number]): void {
  for (const smaller of TM_FIELDS.slice(TM_FIELDS.indexOf(field) + 1)) {
    tm[smaller] = TM_MINIMUM[smaller]
  }
}

/** findNext() hit systemd's iteration limit without an answer. */
const STUCK = 'stuck'

/** systemd's find_next(): the earliest matching time at or after `tm` + `usec`. */
function findNext(
  ev: CalendarEvent,
  clock: Clock,
  tm: Tm,
  startUsec: number
): number | null | typeof STUCK {
  const c = { ...tm }
  let usec = startUsec
  // set once a DST change made the search land before its start (see below)
  let keepHint = false
  for (let i = 0; i < MAX_ITERATIONS; i++) {
    clock.makeTime(c)
    if (!keepHint) c.hint = null

    const year = matchChain(ev.year, c.year)
    if (year === null) return null
    if (year !== c.year) {
      c.year = year
      resetBelow(c, 'year')
      usec = 0
    }
    if (withinBounds(clock, c) <= 0) return null

    const month = matchChain(ev.month, c.mon + 1)
    if (month !== null && month !== c.mon + 1) {
      c.mon = month - 1
      resetBelow(c, 'mon')
      usec = 0
    }
    let r = month === null ? -1 : withinBounds(clock, c)
    if (r < 0) {
      c.year++
      resetBelow(c, 'year')
      usec = 0
      continue
    }
    if (r === 0) continue

    const day = matchChain(ev.day, c.mday)
    if (day !== null && day !== c.mday) {
      c.mday = day
      resetBelow(c, 'mday')
      usec = 0
    }
    r = day === null ? -1 : withinBounds(clock, c)
    if (r < 0) {
      c.mon++
      resetBelow(c, 'mon')
      usec = 0
      continue
    }
    if (r === 0) continue

    if (!matchesWeekday(clock, ev.weekdays, c)) {
      c.mday++
      resetBelow(c, 'mday')
      usec = 0
      continue
    }

    const hour = matchChain(ev.hour, c.hour)
    if (hour !== null && hour !== c.hour) {
      c.hour = hour
      resetBelow(c, 'hour')
      usec = 0
    }
    r = hour === null ? -1 : withinBounds(clock, c)
    if (r < 0) {
      c.mday++
      resetBelow(c, 'mday')
      usec = 0
      continue
    }
    if (r === 0) continue

    const minute = matchChain(ev.minute, c.min)
    if (minute !== null && minute !== c.min) {
      c.min = minute
      resetBelow(c, 'min')
      usec = 0
    }
    r = minute === null ? -1 : withinBounds(clock, c)
    if (r < 0) {
      c.hour++
      resetBelow(c, 'hour')
      usec = 0
      continue
    }
    if (r === 0) continue

    // seconds are matched in microseconds, which is how systemd gets "strictly after"
    const second = matchChain(ev.second, c.sec * USEC + usec, USEC)
    if (second !== null) {
      c.sec = Math.floor(second / USEC)
      usec = second % USEC
    }
    r = second === null ? -1 : withinBounds(clock, c)
    if (r < 0) {
      c.min++
      c.sec = 0
      usec = 0
      continue
    }
    if (r === 0) continue

    // systemd 252 (as shipped) retries an hour later if normalizing across a DST change went
    // back before the start, and from then on keeps tm_isdst from the last normalization
    if (compareTm(c, usec, tm, startUsec) < 0) {
      c.hour++
      keepHint = true
      continue
    }
    return clock.makeTime(c) + usec / USEC
  }
  return STUCK
}

function compareTm(a: Tm, aUsec: number, b: Tm, bUsec: number): number {
  return (
    a.year - b.year ||
    a.mon - b.mon ||
    a.mday - b.mday ||
    a.hour - b.hour ||
    a.min - b.min ||
    a.sec - b.sec ||
    aUsec - bUsec
  )
}

/**
 * Next occurrence strictly after `after` (epoch seconds), in `timeZone` (IANA name, 'UTC';
 * undefined = process local zone via TZ). null = never (also for events that cannot match,
 * like `*-02-30`, and for anything after the year 2199, like systemd).
 */
export function nextCalendarEvent(
  ev: CalendarEvent,
  after: number,
  timeZone?: string
): number | null {
  if (!Number.isFinite(after)) throw new RangeError(`invalid start time ${after}`)
  const clock = ev.utc ? UTC_CLOCK : clockFor(timeZone)
  // systemd adds one microsecond and searches from there
  let seconds = Math.floor(after)
  let usec = Math.floor((after - seconds) * USEC) + 1
  if (usec >= USEC) {
    seconds += 1
    usec -= USEC
  }
  if (seconds < 0) {
    seconds = 0
    usec = 0
  }
  if (seconds >= END_OF_TIME) return null
  const start = clock.breakDown(seconds)
  const next = findNext(ev, clock, start, usec)
  if (next !== STUCK) return next
  // systemd gives up here ("Infinite loop in calendar calculation"): a tm_isdst from one side of
  // a DST change, kept by glibc's mktime(), makes its search go round in circles. A scheduler
  // must not give up on e.g. `00/6:00` in Santiago, so search again without that quirk.
  const retry = findNext(ev, clock.withoutHints(), start, usec)
  return retry === STUCK ? null : retry
}
