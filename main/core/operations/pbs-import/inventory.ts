/**
 * `tape/inventory.json` of a PBS host (src/tape/inventory.rs `MediaStateEntry`: the tape's
 * labels, its location and stored status, optionally bytes used) into this home's inventory.
 * A tape already here with the same labels is present; one whose uuid or label text is here with
 * other labels is skipped, as are entries that do not parse. Media sets are reported once each:
 * new, or already known here.
 */
import { join } from 'node:path'
import { z } from 'zod'
import { isUnassignedMediaSet } from '../../format/media-set-label'
import { isUuid, normalizeUuid } from '../../format/uuid-bytes'
import { Inventory, type InventoryEntry, type MediaId } from '../../media/inventory'
import type { Db } from '../../db/connection'
import { readSource, type ImportLog } from './report'

const Uuid = z.string().refine(isUuid, 'not a uuid')
const Int = z.number().int()

// Serde field names as PBS writes them; unknown keys (newer PBS versions) are ignored.
const PbsInventoryEntry = z.object({
  id: z.object({
    label: z.object({
      ctime: Int,
      label_text: z.string().min(1),
      pool: z.string().optional(),
      uuid: Uuid
    }),
    media_set_label: z
      .object({
        ctime: Int,
        encryption_key_fingerprint: z.string().optional(),
        pool: z.string(),
        seq_nr: Int.min(0),
        uuid: Uuid
      })
      .optional()
  }),
  location: z.string().optional(),
  status: z.string().optional(),
  bytes_used: Int.min(0).optional()
})
type PbsInventoryEntry = z.output<typeof PbsInventoryEntry>

/** A tape of the PBS inventory, as this home records it. */
export interface PbsTape {
  id: MediaId
  location?: string
  status?: InventoryEntry['status']
  bytesUsed?: number
}

const STORED_STATUS = ['full', 'damaged', 'retired'] as const
const LOCATION = /^(offline|online-[A-Za-z0-9_][A-Za-z0-9._-]*|vault-[A-Za-z0-9_][A-Za-z0-9._-]*)$/

function toTape(e: PbsInventoryEntry): PbsTape {
  const set = e.id.media_set_label
  const label = {
    uuid: normalizeUuid(e.id.label.uuid, 'media uuid'),
    labelText: e.id.label.label_text,
    ctime: e.id.label.ctime,
    // A tape assigned to a pool but not yet written carries an all-zero set label with the pool.
    pool: e.id.label.pool ?? set?.pool
  }
  if (label.pool === undefined) delete label.pool
  const tape: PbsTape = { id: { label } }
  if (set) {
    tape.id.mediaSet = {
      uuid: normalizeUuid(set.uuid, 'media set uuid'),
      seqNr: set.seq_nr,
      ctime: set.ctime,
      pool: set.pool,
      ...(set.encryption_key_fingerprint
        ? { encryptionKeyFingerprint: set.encryption_key_fingerprint.toLowerCase() }
        : {})
    }
  }
  if (e.location !== undefined && LOCATION.test(e.location)) tape.location = e.location
  const status = STORED_STATUS.find((s) => s === e.status)
  if (status) tape.status = status
  if (e.bytes_used !== undefined) tape.bytesUsed = e.bytes_used
  return tape
}

const setOf = (id: MediaId) =>
  id.mediaSet && !isUnassignedMediaSet(id.mediaSet) ? id.mediaSet : undefined

/** Why a tape of the PBS host and the inventory entry here for it disagree, if they do. */
function difference(tape: PbsTape, here: InventoryEntry): string | undefined {
  const set = setOf(tape.id)
  const label = tape.id.label
  if (here.uuid !== label.uuid) {
    return `label text '${label.labelText}' is used here by another tape (${here.uuid})`
  }
  if (here['label-text'] !== label.labelText) {
    return `this tape is here as '${here['label-text']}'`
  }
  if (here['media-set-uuid'] !== set?.uuid || (set && here['seq-nr'] !== set.seqNr)) {
    const where = (uuid?: string, seq?: number) =>
      uuid ? `media set ${uuid} seq ${seq}` : 'no media set'
    return `here it is in ${where(here['media-set-uuid'], here['seq-nr'])}, on the PBS host in ${where(set?.uuid, set?.seqNr)}`
  }
  return undefined
}

/**
 * Reads inventory.json; returns the tapes it lists (all of them, also those skipped because this
 * home knows them differently) so catalogs can be matched to them.
 */
export async function importInventory(
  db: Db,
  stateDir: string,
  dryRun: boolean,
  log: ImportLog
): Promise<PbsTape[]> {
  const source = join(stateDir, 'tape', 'inventory.json')
  const bytes = await readSource(source)
  if (bytes === undefined) {
    log.note(`${source} does not exist; no tapes to import`)
    return []
  }
  let entries: unknown[]
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'))
    if (!Array.isArray(value)) throw new Error('expected a JSON array of media entries')
    entries = value
  } catch (err) {
    log.skipFile('media', source, new Error(`${source}: ${(err as Error).message}`))
    return []
  }
  const inventory = new Inventory(db)
  const knownSets = new Set((await inventory.list()).map((m) => m['media-set-uuid']))
  const tapes: PbsTape[] = []
  entries.forEach((entry, i) => {
    const parsed = PbsInventoryEntry.safeParse(entry)
    if (parsed.success) tapes.push(toTape(parsed.data))
    else {
      const issue = parsed.error.issues[0]
      log.add({
        kind: 'media',
        name: `entry ${i + 1}`,
        action: 'skipped',
        source,
        reason: `not a PBS inventory entry: ${issue?.path.join('.')}: ${issue?.message}`
      })
    }
  })

  for (const tape of tapes) {
    const label = tape.id.label
    const item = { kind: 'media' as const, name: label.labelText, source }
    const here =
      (await inventory.findByUuid(label.uuid)) ?? (await inventory.findByLabelText(label.labelText))
    if (here) {
      const reason = difference(tape, here)
      log.add(reason ? { ...item, action: 'skipped', reason } : { ...item, action: 'present' })
      continue
    }
    if (!dryRun) {
      await inventory.store(tape.id, tape.location)
      if (tape.status) await inventory.setStatus(label.uuid, tape.status)
      if (tape.bytesUsed !== undefined) await inventory.setBytesUsed(label.uuid, tape.bytesUsed)
    }
    log.add({ ...item, action: 'imported' })
  }

  const sets = new Map<string, number>()
  for (const tape of tapes) {
    const set = setOf(tape.id)
    if (set) sets.set(set.uuid, (sets.get(set.uuid) ?? 0) + 1)
  }
  for (const [uuid, count] of sets) {
    log.add({
      kind: 'media-set',
      name: uuid,
      source,
      ...(knownSets.has(uuid)
        ? { action: 'present', reason: 'media set already known here' }
        : { action: 'imported', reason: `${count} tape${count === 1 ? '' : 's'}` })
    })
  }
  return tapes
}
