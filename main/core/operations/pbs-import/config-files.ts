/**
 * tape.cfg, media-pool.cfg and tape-job.cfg of a PBS host, merged section by section into this
 * home's files (same PBS text format, so sections are taken over exactly as PBS wrote them). A
 * section whose id is new is added; one that exists with the same type and properties is
 * present; one that exists differently, or would reuse a device path another section here has,
 * is skipped with the difference — never overwritten.
 */
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { ConfigFile } from '../../config/config-file'
import { MEDIA_POOL_CFG_TYPES, TAPE_CFG_TYPES, TAPE_JOB_CFG_TYPES } from '../../config/files'
import {
  parseSectionConfig,
  type Section,
  type SectionTypeSchema
} from '../../config/section-config'
import { ImportLog, readSource, type ImportKind } from './report'

const FILES: { name: string; types: Record<string, SectionTypeSchema> }[] = [
  { name: 'tape.cfg', types: TAPE_CFG_TYPES },
  { name: 'media-pool.cfg', types: MEDIA_POOL_CFG_TYPES },
  { name: 'tape-job.cfg', types: TAPE_JOB_CFG_TYPES }
]

const KIND: Record<string, ImportKind> = {
  lto: 'drive',
  virtual: 'drive',
  changer: 'changer',
  pool: 'pool',
  backup: 'backup-job'
}

const show = (value: unknown) => (value === undefined ? '(unset)' : JSON.stringify(value))

/** Why `incoming` cannot join `sections`, or undefined when it can. */
function conflict(sections: Section[], incoming: Section): string | undefined {
  const same = sections.find((s) => s.id === incoming.id)
  if (same) {
    if (same.type !== incoming.type) {
      return `'${incoming.id}' already exists here as a ${same.type} section`
    }
    const keys = [
      ...new Set([...Object.keys(same.properties), ...Object.keys(incoming.properties)])
    ]
    const differ = keys
      .sort()
      .filter((k) => !isDeepStrictEqual(same.properties[k], incoming.properties[k]))
      .map(
        (k) =>
          `${k} ${show(same.properties[k])} here, ${show(incoming.properties[k])} on the PBS host`
      )
    return `already exists with different settings: ${differ.join('; ')}`
  }
  const path = incoming.properties.path
  if (path === undefined) return undefined
  const kind = KIND[incoming.type]
  const user = sections.find((s) => KIND[s.type] === kind && s.properties.path === path)
  return user ? `path ${String(path)} is already used by ${kind} '${user.id}' here` : undefined
}

/** Adds the new sections to `sections` and logs every one. */
function merge(sections: Section[], incoming: Section[], source: string, log: ImportLog): void {
  for (const section of incoming) {
    const kind = KIND[section.type]!
    const existing = sections.find((s) => s.id === section.id)
    if (
      existing?.type === section.type &&
      isDeepStrictEqual(existing.properties, section.properties)
    ) {
      log.add({ kind, name: section.id, action: 'present', source })
      continue
    }
    const reason = conflict(sections, section)
    if (reason) {
      log.add({ kind, name: section.id, action: 'skipped', source, reason })
      continue
    }
    sections.push(section)
    log.add({ kind, name: section.id, action: 'imported', source })
  }
}

export async function importConfigFiles(
  home: string,
  configDir: string,
  dryRun: boolean,
  log: ImportLog
): Promise<void> {
  for (const { name, types } of FILES) {
    const source = join(configDir, name)
    const bytes = await readSource(source)
    if (bytes === undefined) {
      log.note(`${source} does not exist; nothing to import from it`)
      continue
    }
    let incoming: Section[]
    try {
      incoming = parseSectionConfig(source, bytes.toString('utf8'), types)
    } catch (err) {
      log.skipFile(KIND[Object.keys(types)[0]!]!, source, err)
      continue
    }
    const target = new ConfigFile(home, name, types)
    const preview = new ImportLog()
    merge((await target.read()).sections, incoming, source, preview)
    // Written only when something is new, under the file's lock on what is there by then.
    if (dryRun || !preview.items.some((i) => i.action === 'imported')) {
      preview.items.forEach((item) => log.add(item))
    } else {
      await target.update((sections) => merge(sections, incoming, source, log))
    }
  }
}
