import { alreadyExists, invalidArgument, notFound } from '../api/errors'
import type { Section, SectionValue } from './section-config'

/** Small helpers shared by the config services. */

export function findSection(sections: Section[], id: string, what: string): Section {
  const section = sections.find((s) => s.id === id)
  if (!section) throw notFound(`${what} '${id}' does not exist`)
  return section
}

export function assertNewId(sections: Section[], id: string): void {
  const existing = sections.find((s) => s.id === id)
  if (existing) throw alreadyExists(`'${id}' already exists (${existing.type} '${id}')`)
}

/** Copy the given properties into a section; `undefined` leaves a property alone. */
export function setProperties(
  section: Section,
  values: Record<string, SectionValue | undefined>
): void {
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) section.properties[key] = value
  }
}

export function deleteProperties(section: Section, keys: readonly string[] | undefined): void {
  for (const key of keys ?? []) delete section.properties[key]
}

/** Run a PropertySchema-style check and raise it as an API argument error. */
export function requireValid(problem: string | undefined): void {
  if (problem) throw invalidArgument(problem)
}

export const optionalString = (value: SectionValue | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined
export const optionalNumber = (value: SectionValue | undefined): number | undefined =>
  typeof value === 'number' ? value : undefined
export const optionalBoolean = (value: SectionValue | undefined): boolean | undefined =>
  typeof value === 'boolean' ? value : undefined
