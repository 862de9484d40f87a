/**
 * The binary media catalogs of a PBS host (`tape/<media-uuid>.log`, pbs-tape.md §4.9) loaded as
 * the tapes' catalogs, exactly as `catalog` loads one read from a catalog archive. A catalog is
 * only taken for a tape this home has (now) with the same media set, and only when the tape has
 * no catalog here yet; a damaged file is skipped naming the file and the offset of the bad record.
 * The `.index` snapshot-list caches are not needed: they are derived from the `.log` files.
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Db } from '../../db/connection'
import { parsePbsCatalog } from '../../format/media-catalog'
import { isUnassignedMediaSet } from '../../format/media-set-label'
import { isUuid } from '../../format/uuid-bytes'
import { CatalogStore } from '../../media/catalog-store'
import type { PbsTape } from './inventory'
import { readSource, type ImportLog } from './report'

const lastFile = (files: { fileNumber: number }[]) => files.at(-1)?.fileNumber ?? 1

export async function importCatalogs(
  db: Db,
  stateDir: string,
  tapes: PbsTape[],
  dryRun: boolean,
  log: ImportLog
): Promise<void> {
  const dir = join(stateDir, 'tape')
  let names: string[]
  try {
    names = (await readdir(dir)).sort()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    log.note(`${dir} does not exist; no media catalogs to import`)
    return
  }
  const caches = names.filter((n) => n.endsWith('.index')).length
  if (caches > 0) {
    log.note(`ignored ${caches} snapshot-list cache file(s) (.index): derived from the catalogs`)
  }
  // Tapes this home has (or will have, in a dry run) as the PBS host lists them.
  const usable = new Set(
    log.items.filter((i) => i.kind === 'media' && i.action !== 'skipped').map((i) => i.name)
  )
  const byUuid = new Map(tapes.map((t) => [t.id.label.uuid, t]))
  const catalogs = new CatalogStore(db)

  for (const name of names.filter((n) => n.endsWith('.log'))) {
    const source = join(dir, name)
    const uuid = name.slice(0, -'.log'.length).toLowerCase()
    const tape = byUuid.get(uuid)
    const label = tape?.id.label.labelText ?? uuid
    const skip = (reason: string) =>
      log.add({ kind: 'catalog', name: label, action: 'skipped', source, reason })
    if (!isUuid(uuid)) {
      skip('not named after a media uuid')
      continue
    }
    if (!tape) {
      skip("the tape is not in the PBS host's inventory.json")
      continue
    }
    const set = tape.id.mediaSet
    if (!set || isUnassignedMediaSet(set)) {
      skip('the tape is in no media set on the PBS host')
      continue
    }
    if (!usable.has(label)) {
      skip('the tape was not imported (see its media entry)')
      continue
    }
    const bytes = await readSource(source)
    if (bytes === undefined) continue
    const expect = { mediaUuid: uuid, mediaSet: { uuid: set.uuid, seqNr: set.seqNr } }
    let files
    try {
      files = parsePbsCatalog(bytes, expect).files
    } catch (err) {
      skip(`${source}: ${(err as Error).message}`)
      continue
    }
    const here = await catalogs.catalogInfo(uuid)
    if (here) {
      const theirs = lastFile(files)
      if (here.lastFileNumber >= theirs) {
        log.add({ kind: 'catalog', name: label, action: 'present', source })
      } else {
        skip(
          `this home has a catalog of the tape up to file ${here.lastFileNumber}, the PBS host's ` +
            `goes to file ${theirs}; rebuild it from the tape with \`tapedeck catalog --force\``
        )
      }
      continue
    }
    if (!dryRun) {
      try {
        await catalogs.importPbsCatalog(bytes, expect)
      } catch (err) {
        skip(`${source}: ${(err as Error).message}`)
        continue
      }
    }
    const snapshots = files.filter((f) => f.kind === 'snapshot-archive').length
    log.add({
      kind: 'catalog',
      name: label,
      action: 'imported',
      source,
      reason: `${snapshots} snapshot${snapshots === 1 ? '' : 's'}, ${files.length - snapshots} chunk archive(s)`
    })
  }
}
