/**
 * PBS section-config text format (proxmox-section-config), shared by tape.cfg, media-pool.cfg,
 * tape-job.cfg and datastore.cfg:
 *
 *   <type>: <id>
 *   \t<key> <value>
 *   \t<key> <value>      (an array property repeats its key on consecutive lines)
 *
 * Sections are separated by a blank line. PBS writes keys sorted alphabetically, so a file PBS
 * wrote survives a read/write round trip byte for byte.
 */

export type PropertyKind = 'string' | 'integer' | 'boolean' | 'array'

export interface PropertySchema {
  kind: PropertyKind
  required?: boolean
  /** Extra check on the raw string value; return an error message or undefined. */
  check?: (value: string) => string | undefined
}

export interface SectionTypeSchema {
  /** Name of the id property ("name" or "id"); it lives in the header, never in the body. */
  idProperty: string
  checkId?: (id: string) => string | undefined
  properties: Record<string, PropertySchema>
}

export type SectionValue = string | number | boolean | string[]

export interface Section {
  type: string
  id: string
  properties: Record<string, SectionValue>
}

export class SectionConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    message: string
  ) {
    super(line === undefined ? `${file}: ${message}` : `${file} line ${line}: ${message}`)
    this.name = 'SectionConfigError'
  }
}

// PBS rejects control characters anywhere in a value; a value with one could not be written back.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\x00-\x08\x0a-\x1f\x7f]/

function parseValue(
  file: string,
  line: number,
  key: string,
  raw: string,
  schema: PropertySchema
): string | number | boolean {
  if (CONTROL_CHARS.test(raw)) {
    throw new SectionConfigError(file, line, `value of '${key}' contains control characters`)
  }
  let value: string | number | boolean = raw
  if (schema.kind === 'integer') {
    if (!/^-?[0-9]+$/.test(raw)) {
      throw new SectionConfigError(file, line, `'${key}' must be an integer, got '${raw}'`)
    }
    value = Number(raw)
  } else if (schema.kind === 'boolean') {
    // PBS accepts the usual spellings of a boolean and writes true/false.
    const lower = raw.toLowerCase()
    if (['true', '1', 'yes', 'on'].includes(lower)) value = true
    else if (['false', '0', 'no', 'off'].includes(lower)) value = false
    else throw new SectionConfigError(file, line, `'${key}' must be true or false, got '${raw}'`)
  }
  const problem = schema.check?.(raw)
  if (problem) throw new SectionConfigError(file, line, `invalid value for '${key}': ${problem}`)
  return value
}

export function parseSectionConfig(
  file: string,
  text: string,
  types: Record<string, SectionTypeSchema>
): Section[] {
  const sections: Section[] = []
  const seen = new Set<string>()
  let current: { section: Section; schema: SectionTypeSchema; headerLine: number } | undefined

  const finish = () => {
    if (!current) return
    const { section, schema, headerLine } = current
    for (const [key, prop] of Object.entries(schema.properties)) {
      if (prop.required && !(key in section.properties)) {
        throw new SectionConfigError(
          file,
          headerLine,
          `section '${section.type}: ${section.id}' is missing the required property '${key}'`
        )
      }
    }
    sections.push(section)
    current = undefined
  }

  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  lines.forEach((rawLine, index) => {
    const lineNo = index + 1
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine
    if (line.trim() === '') {
      finish()
      return
    }
    if (/^\s/.test(line)) {
      if (!current) {
        throw new SectionConfigError(file, lineNo, 'property line outside of a section')
      }
      const body = line.trim()
      const match = /^(\S+)\s+(.*)$/.exec(body)
      if (!match) {
        throw new SectionConfigError(file, lineNo, `expected '<key> <value>', got '${body}'`)
      }
      const key = match[1]!
      const raw = match[2]!.trim()
      const { section, schema } = current
      if (key === schema.idProperty) {
        throw new SectionConfigError(file, lineNo, `'${key}' belongs in the section header`)
      }
      const prop = schema.properties[key]
      if (!prop) {
        throw new SectionConfigError(
          file,
          lineNo,
          `unknown property '${key}' in section '${section.type}: ${section.id}'`
        )
      }
      if (prop.kind === 'array') {
        const value = parseValue(file, lineNo, key, raw, { ...prop, kind: 'string' }) as string
        const list = (section.properties[key] as string[] | undefined) ?? []
        list.push(value)
        section.properties[key] = list
      } else {
        if (key in section.properties) {
          throw new SectionConfigError(file, lineNo, `duplicate property '${key}'`)
        }
        section.properties[key] = parseValue(file, lineNo, key, raw, prop)
      }
      return
    }

    finish()
    const colon = line.indexOf(':')
    if (colon <= 0) {
      throw new SectionConfigError(
        file,
        lineNo,
        `expected a section header '<type>: <id>', got '${line}'`
      )
    }
    const type = line.slice(0, colon).trim()
    const id = line.slice(colon + 1).trim()
    const schema = types[type]
    if (!/^[A-Za-z]/.test(type) || !schema) {
      const known = Object.keys(types).join(', ')
      throw new SectionConfigError(
        file,
        lineNo,
        `unknown section type '${type}' (expected ${known})`
      )
    }
    if (!id) throw new SectionConfigError(file, lineNo, `section '${type}' has no id`)
    const idProblem = schema.checkId?.(id)
    if (idProblem) throw new SectionConfigError(file, lineNo, `invalid id '${id}': ${idProblem}`)
    if (seen.has(id)) throw new SectionConfigError(file, lineNo, `duplicate section id '${id}'`)
    seen.add(id)
    current = { section: { type, id, properties: {} }, schema, headerLine: lineNo }
  })
  finish()
  return sections
}

function formatValue(value: string | number | boolean): string {
  const text = String(value)
  if (CONTROL_CHARS.test(text)) throw new Error('section-config values must be single-line text')
  return text
}

/** Write sections the way PBS does: header, TAB-indented keys in alphabetical order, blank line between. */
export function formatSectionConfig(sections: Section[]): string {
  return sections
    .map((section) => {
      const lines = [`${section.type}: ${section.id}`]
      for (const key of Object.keys(section.properties).sort()) {
        const value = section.properties[key]
        if (value === undefined) continue
        const values = Array.isArray(value) ? value : [value]
        for (const v of values) lines.push(`\t${key} ${formatValue(v)}`)
      }
      return lines.join('\n') + '\n'
    })
    .join('\n')
}
