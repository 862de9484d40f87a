/**
 * Media-set names (reference/pbs-tape.md §4.8, PBS `Inventory::generate_media_set_name`): the
 * pool's `template` (default `%c`) with `%id%` replaced by the set UUID, then formatted with
 * strftime() in local time at the set's start time; the UUID when the start time is unknown.
 *
 * PBS calls glibc strftime() in the C locale. This is a re-implementation of the conversions a
 * template reasonably uses, with the C locale's output:
 *
 *   %a %A %b %h %B  weekday / month names (`Sat`, `Saturday`, `Jan`, `January`)
 *   %c              `%a %b %e %H:%M:%S %Y`, e.g. `Sat Jan  3 14:05:00 2026`
 *   %x %D           `%m/%d/%y`          %X %T  `%H:%M:%S`     %F  `%Y-%m-%d`
 *   %R              `%H:%M`             %r     `%I:%M:%S %p`
 *   %Y %y %C        year, 2-digit year, century
 *   %m %d %e        month, day (`%e` space padded)
 *   %H %I %M %S %p  hour (24 h / 12 h), minute, second, `AM`/`PM`
 *   %j              day of the year (001–366)
 *   %u %w           weekday 1–7 (Monday = 1) / 0–6 (Sunday = 0)
 *   %U %W           week of the year, weeks starting Sunday / Monday (00–53)
 *   %G %g %V        ISO 8601 week-based year, its last two digits, ISO week (01–53)
 *   %s              seconds since the epoch
 *   %z              UTC offset `+hhmm`
 *   %%              a literal `%`
 *
 * Not supported (validateMediaSetTemplate names them): `%Z` (zone abbreviations cannot be had
 * reliably without the zone database glibc uses), `%n`/`%t` (a name is one line), `%P`, `%k`,
 * `%l`, `%E…`/`%O…` modifiers and glibc's flag/width extensions (`%-d`, `%_H`, `%10Y`).
 */

export class MediaSetTemplateError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MediaSetTemplateError'
  }
}

/** The PBS default template. */
export const DEFAULT_MEDIA_SET_TEMPLATE = '%c'

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December'
]

/** Conversions defined in terms of others (C locale). */
const COMPOSITE: Readonly<Record<string, string>> = {
  c: '%a %b %e %H:%M:%S %Y',
  x: '%m/%d/%y',
  D: '%m/%d/%y',
  X: '%H:%M:%S',
  T: '%H:%M:%S',
  F: '%Y-%m-%d',
  R: '%H:%M',
  r: '%I:%M:%S %p'
}

const SIMPLE = new Set('aAbhBYyCmdeHIMSpjuwUWGgVsz%')

/** Local broken-down time, like glibc's struct tm. */
interface Tm {
  year: number
  /** 1–12 */
  month: number
  day: number
  hour: number
  minute: number
  second: number
  /** 0 = Sunday */
  wday: number
  /** 0-based day of the year */
  yday: number
  /** Seconds east of UTC. */
  offset: number
  epoch: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatterFor(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? ''
  let fmt = formatters.get(key)
  if (fmt === undefined) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric'
    })
    formatters.set(key, fmt)
  }
  return fmt
}

const DAY_MS = 86_400_000

/** localtime_r() in `timeZone` (undefined: the process's zone). Throws RangeError on a bad zone. */
function localTime(epoch: number, timeZone: string | undefined): Tm {
  const parts: Record<string, number> = {}
  for (const p of formatterFor(timeZone).formatToParts(new Date(epoch * 1000))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value)
  }
  const year = parts.year ?? NaN
  const month = parts.month ?? NaN
  const day = parts.day ?? NaN
  const hour = parts.hour ?? NaN
  const minute = parts.minute ?? NaN
  const second = parts.second ?? NaN
  const date = Date.UTC(year, month - 1, day)
  const offset = (date + ((hour * 60 + minute) * 60 + second) * 1000) / 1000 - epoch
  return {
    year,
    month,
    day,
    hour,
    minute,
    second,
    wday: new Date(date).getUTCDay(),
    yday: Math.round((date - Date.UTC(year, 0, 1)) / DAY_MS),
    offset,
    epoch
  }
}

const pad = (n: number, width = 2, fill = '0'): string => String(n).padStart(width, fill)

/** ISO 8601 week-based year and week (glibc's iso_week_days logic). */
function isoWeek(tm: Tm): { year: number; week: number } {
  const mondayBased = (tm.wday + 6) % 7
  // Thursday of this week decides the year
  const thursday = Date.UTC(tm.year, tm.month - 1, tm.day) + (3 - mondayBased) * DAY_MS
  const year = new Date(thursday).getUTCFullYear()
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / DAY_MS / 7) + 1
  return { year, week }
}

function convert(c: string, tm: Tm): string {
  switch (c) {
    case 'a':
      return DAYS[tm.wday]!.slice(0, 3)
    case 'A':
      return DAYS[tm.wday]!
    case 'b':
    case 'h':
      return MONTHS[tm.month - 1]!.slice(0, 3)
    case 'B':
      return MONTHS[tm.month - 1]!
    case 'Y':
      return String(tm.year)
    case 'y':
      return pad(((tm.year % 100) + 100) % 100)
    case 'C':
      return pad(Math.floor(tm.year / 100))
    case 'm':
      return pad(tm.month)
    case 'd':
      return pad(tm.day)
    case 'e':
      return pad(tm.day, 2, ' ')
    case 'H':
      return pad(tm.hour)
    case 'I':
      return pad(tm.hour % 12 === 0 ? 12 : tm.hour % 12)
    case 'M':
      return pad(tm.minute)
    case 'S':
      return pad(tm.second)
    case 'p':
      return tm.hour < 12 ? 'AM' : 'PM'
    case 'j':
      return pad(tm.yday + 1, 3)
    case 'u':
      return String(tm.wday === 0 ? 7 : tm.wday)
    case 'w':
      return String(tm.wday)
    case 'U':
      return pad(Math.floor((tm.yday + 7 - tm.wday) / 7))
    case 'W':
      return pad(Math.floor((tm.yday + 7 - ((tm.wday + 6) % 7)) / 7))
    case 'G':
      return String(isoWeek(tm).year)
    case 'g':
      return pad(((isoWeek(tm).year % 100) + 100) % 100)
    case 'V':
      return pad(isoWeek(tm).week)
    case 's':
      return String(tm.epoch)
    case 'z': {
      const abs = Math.abs(tm.offset)
      const sign = tm.offset < 0 ? '-' : '+'
      return `${sign}${pad(Math.floor(abs / 3600))}${pad(Math.floor((abs % 3600) / 60))}`
    }
    case '%':
      return '%'
    default:
      throw new MediaSetTemplateError(`unsupported strftime conversion '%${c}'`)
  }
}

/** Problems with a strftime format: unknown conversions, a lone trailing '%'. */
function formatProblems(format: string): string[] {
  const problems: string[] = []
  for (let i = 0; i < format.length; i++) {
    if (format[i] !== '%') continue
    const c = format[i + 1]
    if (c === undefined) problems.push(`a lone '%' at the end`)
    else if (!SIMPLE.has(c) && !(c in COMPOSITE)) problems.push(`unsupported conversion '%${c}'`)
    i++
  }
  return problems
}

/**
 * strftime() in the C locale, local time of `timeZone` (see the module comment for the
 * conversions). Throws MediaSetTemplateError for an unsupported conversion.
 */
export function strftime(format: string, epoch: number, timeZone?: string): string {
  const problems = formatProblems(format)
  if (problems.length > 0) {
    throw new MediaSetTemplateError(`invalid strftime format '${format}': ${problems.join(', ')}`)
  }
  const tm = localTime(Math.floor(epoch), timeZone)
  const expand = (fmt: string): string =>
    fmt.replace(/%(.)/g, (_, c: string) => {
      const composite = COMPOSITE[c]
      return composite !== undefined ? expand(composite) : convert(c, tm)
    })
  return expand(format)
}

/**
 * Why a media-set template would not work, or undefined if it is fine. `%id%` is replaced
 * before strftime runs (as in PBS), so a '%' glued to it (`%%id%`) is reported. The 2–64
 * character length is checked with the pool configuration.
 */
export function validateMediaSetTemplate(template: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(template)) return 'template must be a single line of text'
  const problems = formatProblems(template.replaceAll('%id%', '{id}'))
  if (problems.length === 0) return undefined
  return `template '${template}' has ${problems.join(', ')} (supported: %a %A %b %B %c %C %d %D %e %F %g %G %h %H %I %j %m %M %p %r %R %s %S %T %u %U %V %w %W %x %X %y %Y %z %% and %id%)`
}

/**
 * A media set's display name (PBS `generate_media_set_name`): `template` (default `%c`) with
 * `%id%` → set UUID, formatted at the set's start time in `timeZone`. Falls back to the UUID
 * when the start time is unknown, and (like PBS's callers do on a strftime error) when the
 * template cannot be formatted or formats to nothing.
 */
export function mediaSetName(
  template: string | undefined,
  setUuid: string,
  startTime: number | undefined,
  timeZone?: string
): string {
  if (startTime === undefined) return setUuid
  const format = (template ?? DEFAULT_MEDIA_SET_TEMPLATE).replaceAll('%id%', setUuid)
  try {
    const name = strftime(format, startTime, timeZone)
    return name === '' ? setUuid : name
  } catch (err) {
    if (err instanceof MediaSetTemplateError) return setUuid
    throw err
  }
}
