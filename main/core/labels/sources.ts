/**
 * The label texts a sheet prints: a numbered range, an explicit list, or tapes of the inventory.
 *
 * "Unlabeled" tapes carry a barcode a changer reports but have no media label written yet (PBS
 * `inventory` lists them the same way); the inventory only holds tapes whose label was read or
 * written, so these come from asking every configured changer for its barcodes (which, as
 * `changer status` does, also refreshes which inventory tapes are online).
 */
import { isCleaningTape } from '../devices/media-changer'
import { localTimeZone } from '../util/time'
import { NIL_UUID } from '../format/uuid-bytes'
import { mediaSetName } from '../media/media-set-name'
import type { CoreOperations } from '../tapedeck'
import { LabelError } from './errors'
import { rangeLabels } from './media-types'
import type { LabelSource } from './schema'

type InventorySource = Extract<LabelSource, { kind: 'inventory' }>

async function changerBarcodes(core: CoreOperations): Promise<string[]> {
  const tags = new Set<string>()
  for (const changer of await core.config.devices.listChangers()) {
    let entries
    try {
      entries = await core.drives.changerStatus(changer.name)
    } catch (err) {
      throw new LabelError(
        `cannot read the barcodes of changer '${changer.name}': ${(err as Error).message}`
      )
    }
    for (const e of entries) {
      const tag = e['label-text']
      if (tag !== undefined && !isCleaningTape(tag)) tags.add(tag)
    }
  }
  return [...tags]
}

async function unlabeledBarcodes(core: CoreOperations): Promise<string[]> {
  const known = new Set((await core.drives.inventory.list()).map((m) => m['label-text']))
  return (await changerBarcodes(core)).filter((tag) => !known.has(tag)).sort()
}

/**
 * Matches the media set a `mediaSet` value names: its UUID, or its name if that is unique. The
 * name comes from the pool's template at the set's start time (its first tape's ctime), as PBS
 * names sets.
 */
async function matchingSets(
  core: CoreOperations,
  set: string
): Promise<(uuid?: string) => boolean> {
  const templates = new Map((await core.config.pools.list()).map((p) => [p.name, p.template]))
  const zone = localTimeZone()
  const sets = new Map<string, { pool?: string; start?: number }>()
  for (const m of await core.drives.inventory.list()) {
    const uuid = m['media-set-uuid']
    if (uuid === undefined || uuid === NIL_UUID) continue
    const entry = sets.get(uuid) ?? { pool: m.pool }
    if (m['seq-nr'] === 0) entry.start = m['media-set-ctime']
    sets.set(uuid, entry)
  }
  const uuids = new Set<string>()
  for (const [uuid, { pool, start }] of sets) {
    const template = pool === undefined ? undefined : templates.get(pool)
    if (uuid === set || mediaSetName(template, uuid, start, zone) === set) uuids.add(uuid)
  }
  if (uuids.size === 0) throw new LabelError(`no media set '${set}' in the inventory`)
  if (uuids.size > 1) {
    throw new LabelError(
      `${uuids.size} media sets are named '${set}'; give the UUID: ${[...uuids].join(', ')}`
    )
  }
  return (uuid) => uuid !== undefined && uuids.has(uuid)
}

function describeFilter(source: InventorySource): string {
  const parts = [
    source.pool !== undefined && `pool '${source.pool}'`,
    source.mediaSet !== undefined && `media set '${source.mediaSet}'`
  ].filter(Boolean)
  return parts.length > 0 ? parts.join(', ') : 'the inventory is empty'
}

async function inventoryLabels(core: CoreOperations, source: InventorySource): Promise<string[]> {
  let labels: string[]
  if (source.unlabeled) {
    if (source.pool !== undefined || source.mediaSet !== undefined) {
      throw new LabelError(
        'unlabeled tapes belong to no pool or media set yet; drop the pool/media-set filter'
      )
    }
    labels = await unlabeledBarcodes(core)
  } else {
    const inSet =
      source.mediaSet === undefined ? () => true : await matchingSets(core, source.mediaSet)
    // The inventory lists by label text; a media set reads best in the order it was written.
    const media = (await core.drives.inventory.list())
      .filter((m) => source.pool === undefined || m.pool === source.pool)
      .filter((m) => inSet(m['media-set-uuid']))
    if (source.mediaSet !== undefined) media.sort((a, b) => (a['seq-nr'] ?? 0) - (b['seq-nr'] ?? 0))
    labels = media.map((m) => m['label-text'])
  }
  if (source.labels !== undefined) {
    const wanted = new Set(source.labels)
    const found = new Set(labels)
    const missing = source.labels.filter((l) => !found.has(l))
    if (missing.length > 0) {
      throw new LabelError(`not among the selected inventory tapes: ${missing.join(', ')}`)
    }
    labels = labels.filter((l) => wanted.has(l))
  }
  if (labels.length === 0) {
    throw new LabelError(
      source.unlabeled
        ? 'no changer reports a barcode that lacks a media label'
        : `no inventory tape matches (${describeFilter(source)})`
    )
  }
  return labels
}

export async function sourceLabels(core: CoreOperations, source: LabelSource): Promise<string[]> {
  switch (source.kind) {
    case 'range':
      return rangeLabels(source.prefix, source.start, source.count, source.type)
    case 'list':
      return source.labels
    case 'inventory':
      return inventoryLabels(core, source)
  }
}
