/**
 * CLI output: box-drawn tables like the PBS docs in text mode, stable JSON for scripts.
 */
export type OutputFormat = 'text' | 'json' | 'json-pretty'

export interface Column<T> {
  /** Header text; PBS shows the API property name. */
  header: string
  value: (row: T) => unknown
}

const width = (text: string) => [...text].length

function cellText(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (Array.isArray(value)) return value.map(cellText).join(', ')
  return String(value).replace(/\n/g, ' ')
}

export function renderTable<T>(columns: Column<T>[], rows: T[]): string {
  const cells = rows.map((row) => columns.map((c) => cellText(c.value(row))))
  const widths = columns.map((c, i) => Math.max(width(c.header), ...cells.map((r) => width(r[i]!))))
  const line = (l: string, fill: string, mid: string, r: string) =>
    l + widths.map((w) => fill.repeat(w + 2)).join(mid) + r
  const row = (values: string[]) =>
    '│' + values.map((v, i) => ` ${v}${' '.repeat(widths[i]! - width(v))} `).join('│') + '│'
  const out = [
    line('┌', '─', '┬', '┐'),
    row(columns.map((c) => c.header)),
    line('╞', '═', '╪', '╡')
  ]
  cells.forEach((values, i) => {
    if (i > 0) out.push(line('├', '─', '┼', '┤'))
    out.push(row(values))
  })
  out.push(line('└', '─', '┴', '┘'))
  return out.join('\n')
}

/** One object as a Name/Value table (PBS `… config` commands). */
export function renderObject(object: Record<string, unknown>): string {
  const rows = Object.entries(object).filter(([, v]) => v !== undefined)
  return renderTable<[string, unknown]>(
    [
      { header: 'Name', value: ([k]) => k },
      { header: 'Value', value: ([, v]) => v }
    ],
    rows
  )
}

export function renderJson(value: unknown, format: OutputFormat): string {
  return format === 'json-pretty' ? JSON.stringify(value, null, 2) : JSON.stringify(value)
}

export class Output {
  constructor(
    readonly format: OutputFormat,
    private readonly stdout: (text: string) => void = (t) => process.stdout.write(t)
  ) {}

  get isText(): boolean {
    return this.format === 'text'
  }

  line(text: string): void {
    this.stdout(text + '\n')
  }

  /** A listing: a table in text mode, the array in JSON mode. */
  list<T>(rows: T[], columns: Column<T>[]): void {
    this.line(this.isText ? renderTable(columns, rows) : renderJson(rows, this.format))
  }

  object(value: Record<string, unknown>): void {
    this.line(this.isText ? renderObject(value) : renderJson(value, this.format))
  }

  /** Result of a command that changes something: silent in text mode (as PBS), `null` in JSON. */
  done(): void {
    if (!this.isText) this.line(renderJson(null, this.format))
  }

  json(value: unknown): void {
    this.line(renderJson(value, this.format))
  }
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0
    ? `${bytes} B`
    : `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${units[unit]}`
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const rest = s % 60
  return h > 0 ? `${h}h ${m}m ${rest}s` : m > 0 ? `${m}m ${rest}s` : `${rest}s`
}
