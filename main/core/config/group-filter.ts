/**
 * PBS group filters (`group-filter` of tape backup jobs, pbs-api-types `GroupFilter`):
 *
 *   [include:|exclude:]type:<vm|ct|host>     all groups of a backup type
 *   [include:|exclude:]group:<type>/<id>     one group, e.g. `group:vm/100`
 *   [include:|exclude:]regex:<re>            groups whose `<type>/<id>` the regex finds a match in
 *
 * A group is backed up when it matches at least one include filter (or there are none) and no
 * exclude filter. PBS writes a filter back without `include:` (it is the default), so that is
 * the normal form here too.
 */

export type BackupType = 'vm' | 'ct' | 'host'

export interface GroupFilter {
  exclude: boolean
  kind: 'type' | 'group' | 'regex'
  /** backup type, `<type>/<id>`, or the regex source as written */
  value: string
}

export class GroupFilterError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'GroupFilterError'
  }
}

const BACKUP_TYPES: readonly string[] = ['vm', 'ct', 'host']
// PBS GROUP_PATH_REGEX: BACKUP_TYPE_RE "/" BACKUP_ID_RE
const GROUP_PATH = /^(host|vm|ct)\/[A-Za-z0-9_][A-Za-z0-9._-]*$/

const splitOnce = (text: string, sep: string): [string, string] | undefined => {
  const at = text.indexOf(sep)
  return at < 0 ? undefined : [text.slice(0, at), text.slice(at + sep.length)]
}

/**
 * Parse a filter the way PBS does (prefixes split at the first ':'). Only the syntax of a regex
 * filter is left unchecked here; `regexOf` compiles it.
 */
export function parseGroupFilter(text: string): GroupFilter {
  const fail = (message: string): never => {
    throw new GroupFilterError(`group filter '${text}': ${message}`)
  }
  let exclude = false
  let rest = text
  const mode = splitOnce(text, ':')
  if (mode?.[0] === 'include' || mode?.[0] === 'exclude') {
    exclude = mode[0] === 'exclude'
    rest = mode[1]
  }
  const parts = splitOnce(rest, ':')
  if (!parts) {
    return fail(
      "expected '[include:|exclude:]type:<vm|ct|host>', 'group:<type>/<id>' or 'regex:<regex>'"
    )
  }
  const [kind, value] = parts
  switch (kind) {
    case 'type':
      if (!BACKUP_TYPES.includes(value)) fail(`unknown backup type '${value}' (vm, ct or host)`)
      return { exclude, kind, value }
    case 'group':
      if (!GROUP_PATH.test(value)) fail(`'${value}' is not a backup group like 'vm/100'`)
      return { exclude, kind, value }
    case 'regex':
      return { exclude, kind, value }
    default:
      return fail(`expected 'group', 'type' or 'regex' prefix, got '${kind}'`)
  }
}

/** The text PBS writes for a filter. */
export function formatGroupFilter(filter: GroupFilter): string {
  return `${filter.exclude ? 'exclude:' : ''}${filter.kind}:${filter.value}`
}

/** Normal form of a filter string (PBS drops `include:` when it writes a job). */
export const normalizeGroupFilter = (text: string): string =>
  formatGroupFilter(parseGroupFilter(text))

// Leading inline flags are common in Rust regexes (`(?i)^vm/`); JavaScript spells them as flags.
const INLINE_FLAGS = /^\(\?([a-zA-Z]+)\)/
// Syntax JavaScript has but Rust's regex crate (which PBS compiles filters with) rejects.
const NOT_IN_RUST: Array<[RegExp, string]> = [
  [/\(\?<?[=!]/, 'look-around'],
  [/\\[1-9]|\\k</, 'back-references']
]

/**
 * Compile a `regex:` filter. Accepts what both PBS (Rust `regex`) and JavaScript understand, plus
 * Rust's leading inline flags (`(?i)`, `(?s)`, `(?m)`) and `(?P<name>…)` groups.
 */
export function regexOf(source: string): RegExp {
  let body = source
  let flags = ''
  const inline = INLINE_FLAGS.exec(body)
  if (inline) {
    for (const flag of inline[1]!) {
      if (!'ims'.includes(flag)) {
        throw new GroupFilterError(
          `regex '${source}': inline flag '${flag}' is not supported (only i, m and s)`
        )
      }
      if (!flags.includes(flag)) flags += flag
    }
    body = body.slice(inline[0].length)
  }
  body = body.replace(/\(\?P</g, '(?<')
  for (const [pattern, what] of NOT_IN_RUST) {
    if (pattern.test(body)) {
      throw new GroupFilterError(`regex '${source}': ${what} is not supported by PBS`)
    }
  }
  try {
    return new RegExp(body, flags + 'u')
  } catch {
    try {
      return new RegExp(body, flags)
    } catch (err) {
      throw new GroupFilterError(
        `regex '${source}' is not valid: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`
      )
    }
  }
}

/** Full check of a filter string, regex included; returns the problem or undefined. */
export function checkGroupFilter(text: string): string | undefined {
  try {
    const filter = parseGroupFilter(text)
    if (filter.kind === 'regex') regexOf(filter.value)
    return undefined
  } catch (err) {
    if (err instanceof GroupFilterError) return err.message
    throw err
  }
}

/** Syntax-only check, for loading files (a regex PBS accepted is not rejected at load time). */
export function checkGroupFilterSyntax(text: string): string | undefined {
  try {
    parseGroupFilter(text)
    return undefined
  } catch (err) {
    if (err instanceof GroupFilterError) return err.message
    throw err
  }
}

export interface BackupGroupRef {
  type: BackupType | string
  id: string
}

/**
 * A predicate over backup groups for a job's filter list (PBS `BackupGroup::apply_filters`):
 * included when some include filter matches (or there is none), and no exclude filter matches.
 * Throws GroupFilterError for an invalid filter.
 */
export function compileGroupFilters(
  filters: readonly string[] | undefined
): (group: BackupGroupRef) => boolean {
  const compiled = (filters ?? []).map((text) => {
    const filter = parseGroupFilter(text)
    const regex = filter.kind === 'regex' ? regexOf(filter.value) : undefined
    const matches = (g: BackupGroupRef): boolean => {
      const path = `${g.type}/${g.id}`
      if (filter.kind === 'type') return g.type === filter.value
      if (filter.kind === 'group') return path === filter.value
      return regex!.test(path)
    }
    return { exclude: filter.exclude, matches }
  })
  const includes = compiled.filter((f) => !f.exclude)
  const excludes = compiled.filter((f) => f.exclude)
  return (group) =>
    (includes.length === 0 || includes.some((f) => f.matches(group))) &&
    !excludes.some((f) => f.matches(group))
}
