/** Display formats shared by all views: binary sizes, local times, durations. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB']

export function formatBytes(bytes: number | undefined | null): string {
  if (bytes === undefined || bytes === null || !Number.isFinite(bytes)) return '—'
  if (bytes < 1024) return `${bytes} B`
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2
  return `${value.toFixed(digits)} ${UNITS[unit]}`
}

export function formatCount(n: number | undefined | null): string {
  if (n === undefined || n === null) return '—'
  return n.toLocaleString()
}

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit'
})

const dateTimeWeekday = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit'
})

/** Epoch seconds → local date and time. */
export function formatEpoch(seconds: number | undefined | null): string {
  if (seconds === undefined || seconds === null) return '—'
  return dateTime.format(new Date(seconds * 1000))
}

/** A timestamp string from the core (ISO 8601) → local time with weekday; unparsable text as is. */
export function formatIsoLocal(text: string): string {
  const d = new Date(text)
  return Number.isNaN(d.getTime()) ? text : dateTimeWeekday.format(d)
}

/** Seconds → "1h 02m 03s" style. */
export function formatDuration(seconds: number | undefined | null): string {
  if (seconds === undefined || seconds === null || !Number.isFinite(seconds)) return '—'
  const s = Math.max(0, Math.round(seconds))
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  const pad = (n: number) => String(n).padStart(2, '0')
  if (d > 0) return `${d}d ${h}h ${pad(m)}m`
  if (h > 0) return `${h}h ${pad(m)}m ${pad(sec)}s`
  if (m > 0) return `${m}m ${pad(sec)}s`
  return `${sec}s`
}

/** Seconds → the largest sensible calendar units ("2 weeks", "1 year 3 days"). */
export function describeSeconds(seconds: number): string {
  if (seconds === 0) return '0 seconds'
  const parts: string[] = []
  const units: [string, number][] = [
    ['year', 31_557_600],
    ['month', 2_629_800],
    ['week', 604_800],
    ['day', 86_400],
    ['hour', 3600],
    ['minute', 60],
    ['second', 1]
  ]
  let rest = Math.round(seconds)
  for (const [name, size] of units) {
    const n = Math.floor(rest / size)
    if (n > 0) {
      parts.push(`${n} ${name}${n === 1 ? '' : 's'}`)
      rest -= n * size
    }
    if (parts.length === 3) break
  }
  return parts.join(' ')
}

export function formatProgress(
  done: number,
  total: number | undefined,
  unit: 'bytes' | 'items'
): string {
  const f = unit === 'bytes' ? formatBytes : formatCount
  return total === undefined ? f(done) : `${f(done)} / ${f(total)}`
}

export function formatRate(rate: number | undefined, unit: 'bytes' | 'items'): string {
  if (rate === undefined) return ''
  if (unit === 'bytes') return `${formatBytes(rate)}/s`
  return `${rate >= 100 ? Math.round(rate).toLocaleString() : rate.toFixed(1)}/s`
}
