import { FormatError } from './format-error'

/**
 * Snapshot paths as tapes and catalogs carry them: `[ns/<a>/[ns/<b>/…]]<type>/<id>/<time>`,
 * e.g. `ns/prod/vm/100/2024-01-01T00:00:00Z` (PBS `print_ns_and_snapshot` /
 * `parse_ns_and_snapshot`, with pbs-api-types' rules for each part).
 */
export interface SnapshotPath {
  /** Namespace components from the root, empty for the root namespace. */
  ns: string[]
  type: 'vm' | 'ct' | 'host'
  id: string
  /** `YYYY-MM-DDTHH:MM:SSZ` (UTC). */
  time: string
}

export const MAX_NAMESPACE_DEPTH = 7
/** Longest namespace, `a/b/…` joined with slashes. */
export const MAX_BACKUP_NAMESPACE_LENGTH = 256

export const SAFE_ID = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/
const BACKUP_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/

export function parseSnapshotPath(input: string): SnapshotPath {
  const parts = input.split('/')
  if (parts.length < 3) throw new FormatError(`invalid snapshot path ${JSON.stringify(input)}`)
  const [type, id, time] = parts.slice(-3)
  const nsParts = parts.slice(0, -3)
  const ns: string[] = []
  let nsLength = 0
  for (let i = 0; i < nsParts.length; i += 2) {
    if (nsParts[i] !== 'ns' || i + 1 >= nsParts.length) {
      throw new FormatError(`invalid component in namespace path of ${JSON.stringify(input)}`)
    }
    const name = nsParts[i + 1]
    if (ns.length >= MAX_NAMESPACE_DEPTH) {
      throw new FormatError(
        `namespace too deep in ${JSON.stringify(input)} (max ${MAX_NAMESPACE_DEPTH})`
      )
    }
    // PBS: current length + component + 1 must not exceed the maximum.
    if (nsLength + name.length + 1 > MAX_BACKUP_NAMESPACE_LENGTH) {
      throw new FormatError(`namespace length exceeded in ${JSON.stringify(input)}`)
    }
    if (!SAFE_ID.test(name)) {
      throw new FormatError(`not a valid namespace component: ${JSON.stringify(name)}`)
    }
    nsLength += (ns.length > 0 ? 1 : 0) + name.length
    ns.push(name)
  }
  if (type !== 'vm' && type !== 'ct' && type !== 'host') {
    throw new FormatError(`invalid backup type in snapshot path ${JSON.stringify(input)}`)
  }
  if (!SAFE_ID.test(id))
    throw new FormatError(`invalid backup id in snapshot path ${JSON.stringify(input)}`)
  if (!isValidBackupTime(time)) {
    throw new FormatError(`invalid backup time in snapshot path ${JSON.stringify(input)}`)
  }
  return { ns, type, id, time }
}

export function formatSnapshotPath(p: SnapshotPath): string {
  const prefix = p.ns.map((n) => `ns/${n}/`).join('')
  return `${prefix}${p.type}/${p.id}/${p.time}`
}

/** True when the snapshot lives outside the root namespace (→ v1.2 snapshot archive magic). */
export function hasNamespace(snapshot: string): boolean {
  return parseSnapshotPath(snapshot).ns.length > 0
}

function isValidBackupTime(time: string): boolean {
  const m = BACKUP_TIME.exec(time)
  if (m === null) return false
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number)
  const t = Date.UTC(y, mo - 1, d, h, mi, s)
  const back = new Date(t)
  return (
    back.getUTCFullYear() === y &&
    back.getUTCMonth() === mo - 1 &&
    back.getUTCDate() === d &&
    back.getUTCHours() === h &&
    back.getUTCMinutes() === mi &&
    back.getUTCSeconds() === s
  )
}
