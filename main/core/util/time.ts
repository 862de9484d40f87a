/** Times as the CLI and API show and accept them: ISO 8601 with offset, or epoch seconds. */

export const localTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone

const formatters = new Map<string, Intl.DateTimeFormat>()

function wallClock(epochSeconds: number, timeZone: string) {
  let fmt = formatters.get(timeZone)
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit'
    })
    formatters.set(timeZone, fmt)
  }
  const parts: Record<string, string> = {}
  for (const p of fmt.formatToParts(new Date(epochSeconds * 1000))) parts[p.type] = p.value
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second)
  }
}

/** Offset of `timeZone` from UTC at the given instant, in seconds (east positive). */
export function zoneOffset(epochSeconds: number, timeZone: string): number {
  const w = wallClock(Math.floor(epochSeconds), timeZone)
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) / 1000
  return asUtc - Math.floor(epochSeconds)
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0')

export function formatIso(epochSeconds: number, timeZone: string = localTimeZone()): string {
  const w = wallClock(epochSeconds, timeZone)
  const offset = zoneOffset(epochSeconds, timeZone)
  const sign = offset < 0 ? '-' : '+'
  const abs = Math.abs(offset)
  return (
    `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}` +
    `${sign}${pad(Math.floor(abs / 3600))}:${pad(Math.floor((abs % 3600) / 60))}`
  )
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?(Z|[+-]\d{2}:?\d{2})?$/

/**
 * Epoch seconds from an ISO 8601 time or epoch seconds. An ISO time without offset is wall-clock
 * time in `timeZone` (default: local).
 */
export function parseTimeArg(value: string | number, timeZone: string = localTimeZone()): number {
  if (typeof value === 'number') return Math.floor(value)
  const text = value.trim()
  if (/^-?\d+$/.test(text)) return Number(text)
  const m = ISO.exec(text)
  if (!m)
    throw new Error(
      `'${value}' is not a time; use ISO 8601 (2026-03-28T22:00:00+01:00) or epoch seconds`
    )
  const [, y, mo, d, h = '0', mi = '0', s = '0', zone] = m
  const wall =
    Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) / 1000
  const check = new Date(wall * 1000)
  if (
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  ) {
    throw new Error(`'${value}' is not a valid date and time`)
  }
  if (zone === 'Z') return wall
  if (zone) {
    const sign = zone.startsWith('-') ? -1 : 1
    const digits = zone.slice(1).replace(':', '')
    return wall - sign * (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2)) * 60)
  }
  // Wall clock in a zone: the offset at the guessed instant, corrected once for DST edges.
  let guess = wall - zoneOffset(wall, timeZone)
  guess = wall - zoneOffset(guess, timeZone)
  return guess
}
