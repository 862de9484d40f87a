/**
 * The picture of a changer as data, and what a move from one place to another means: which API
 * call it is and the sentence that tells the admin exactly what will happen.
 */
import type { ChangerStatusEntry, DriveConfig, InventoryEntry } from '@/api/contract'
import { isCleaningTape } from '@/stores/tape'

export interface Tape {
  barcode: string
  cleaning: boolean
  /** the inventory entry whose label text is this barcode */
  media?: InventoryEntry
}

export interface DrivePlace {
  kind: 'drive'
  /** drive number inside the changer (0-based) */
  number: number
  /** the drive configured at that number, if any */
  config?: DriveConfig
  tape?: Tape
  /** the slot the tape came from */
  loadedSlot?: number
}

export interface SlotPlace {
  kind: 'slot' | 'import-export'
  /** 1-based slot number */
  number: number
  tape?: Tape
}

export type Place = DrivePlace | SlotPlace

export interface ChangerPicture {
  name: string
  drives: DrivePlace[]
  slots: SlotPlace[]
  mailSlots: SlotPlace[]
}

export function tapeOf(
  barcode: string | undefined,
  byLabel: Map<string, InventoryEntry>
): Tape | undefined {
  if (barcode === undefined) return undefined
  return { barcode, cleaning: isCleaningTape(barcode), media: byLabel.get(barcode) }
}

export function buildPicture(
  name: string,
  entries: ChangerStatusEntry[],
  drives: DriveConfig[],
  byLabel: Map<string, InventoryEntry>
): ChangerPicture {
  const configs = drives.filter((d) => d.changer === name)
  const picture: ChangerPicture = { name, drives: [], slots: [], mailSlots: [] }
  for (const e of entries) {
    const tape = tapeOf(e['label-text'], byLabel)
    if (e['entry-kind'] === 'drive') {
      picture.drives.push({
        kind: 'drive',
        number: e['entry-id'],
        config: configs.find((d) => (d['changer-drivenum'] ?? 0) === e['entry-id']),
        tape,
        loadedSlot: e['loaded-slot']
      })
    } else {
      const place: SlotPlace = { kind: e['entry-kind'], number: e['entry-id'], tape }
      if (e['entry-kind'] === 'slot') picture.slots.push(place)
      else picture.mailSlots.push(place)
    }
  }
  picture.drives.sort((a, b) => a.number - b.number)
  picture.slots.sort((a, b) => a.number - b.number)
  picture.mailSlots.sort((a, b) => a.number - b.number)
  return picture
}

/** Stable id of a place, for DOM test ids and comparisons. */
export function placeId(p: Place): string {
  return p.kind === 'drive' ? `drive-${p.number}` : `slot-${p.number}`
}

export function placeName(p: Place): string {
  if (p.kind === 'drive') return `drive ${p.config?.name ?? `#${p.number} (not configured)`}`
  return p.kind === 'slot' ? `slot ${p.number}` : `import/export slot ${p.number}`
}

/** The API call a move turns into. */
export type MoveCall =
  | { method: 'drive.load-slot'; args: { drive: string; slot: number } }
  | { method: 'drive.unload'; args: { drive: string; 'target-slot': number } }
  | { method: 'drive.export-media'; args: { drive: string; 'label-text': string } }
  | { method: 'changer.transfer'; args: { name: string; from: number; to: number } }

export interface MovePlan {
  ok: true
  /** the tape that moves */
  barcode: string
  /** short verb for the dialog title and the confirm button */
  verb: 'Load' | 'Unload' | 'Move' | 'Export' | 'Import'
  /** exactly what will happen, in one sentence */
  summary: string
  /** further consequences worth knowing before confirming */
  notes: string[]
  call: MoveCall
}

export interface MoveRefusal {
  ok: false
  reason: string
}

/** The first configured drive of the changer that no known task is using, else the first one. */
export function exportDrive(
  picture: ChangerPicture,
  busy: (drive: string) => boolean
): DrivePlace | undefined {
  const configured = picture.drives.filter((d) => d.config)
  return configured.find((d) => !busy(d.config!.name)) ?? configured[0]
}

/**
 * What dropping the tape at `from` onto `to` does. Mirrors the core's rules so the admin learns
 * before confirming why something cannot work; the core still checks everything.
 */
export function planMove(
  picture: ChangerPicture,
  from: Place,
  to: Place,
  busy: (drive: string) => boolean = () => false
): MovePlan | MoveRefusal {
  const tape = from.tape
  if (!tape) return { ok: false, reason: `${placeName(from)} is empty` }
  const label = tape.barcode
  if (placeId(from) === placeId(to)) return { ok: false, reason: `${label} is already there` }

  if (to.kind === 'drive') {
    if (!to.config) {
      return { ok: false, reason: `drive #${to.number} of ${picture.name} is not configured` }
    }
    if (tape.cleaning) {
      return {
        ok: false,
        reason: `${label} is a cleaning cartridge: it is never loaded for data. Use “Clean” on the drive instead.`
      }
    }
    if (from.kind === 'drive') {
      return {
        ok: false,
        reason: `Unload ${label} into a slot first, then load it into the other drive.`
      }
    }
    if (from.kind === 'import-export') {
      return {
        ok: false,
        reason: `${label} is in an import/export slot, where tapes are offline. Move it to a storage slot first.`
      }
    }
    const drive = to.config.name
    const notes: string[] = []
    if (to.tape) {
      const back =
        to.loadedSlot !== undefined ? `its source slot ${to.loadedSlot}` : 'a free storage slot'
      notes.push(`${to.tape.barcode}, now in ${drive}, is unloaded to ${back} first.`)
    }
    return {
      ok: true,
      barcode: label,
      verb: 'Load',
      summary: `Move ${label} from slot ${from.number} into drive ${drive}.`,
      notes,
      call: { method: 'drive.load-slot', args: { drive, slot: from.number } }
    }
  }

  if (to.tape) return { ok: false, reason: `${placeName(to)} is full (${to.tape.barcode})` }

  if (to.kind === 'import-export') {
    const free = picture.mailSlots.find((s) => !s.tape)
    const via = from.kind === 'drive' ? from : exportDrive(picture, busy)
    if (!via?.config) {
      return { ok: false, reason: `Exporting needs a configured drive of ${picture.name}.` }
    }
    if (from.kind === 'import-export') {
      return {
        ok: true,
        barcode: label,
        verb: 'Move',
        summary: `Move ${label} from import/export slot ${from.number} to import/export slot ${to.number}.`,
        notes: [],
        call: {
          method: 'changer.transfer',
          args: { name: picture.name, from: from.number, to: to.number }
        }
      }
    }
    const target = free?.number ?? to.number
    const where = from.kind === 'drive' ? `drive ${via.config.name}` : `slot ${from.number}`
    const notes = [
      `${label} is then offline: take it out of the library (e.g. to the vault). The inventory keeps it.`
    ]
    if (target !== to.number) {
      notes.unshift(`Export always uses the first free import/export slot, which is ${target}.`)
    }
    if (from.kind !== 'drive') notes.push(`The export runs as a task on drive ${via.config.name}.`)
    return {
      ok: true,
      barcode: label,
      verb: 'Export',
      summary: `Export ${label} from ${where} to import/export slot ${target}.`,
      notes,
      call: { method: 'drive.export-media', args: { drive: via.config.name, 'label-text': label } }
    }
  }

  // into an empty storage slot
  if (from.kind === 'drive') {
    if (!from.config) {
      return { ok: false, reason: `drive #${from.number} of ${picture.name} is not configured` }
    }
    return {
      ok: true,
      barcode: label,
      verb: 'Unload',
      summary: `Unload ${label} from drive ${from.config.name} into slot ${to.number}.`,
      notes: [],
      call: { method: 'drive.unload', args: { drive: from.config.name, 'target-slot': to.number } }
    }
  }
  const importing = from.kind === 'import-export'
  return {
    ok: true,
    barcode: label,
    verb: importing ? 'Import' : 'Move',
    summary: `Move ${label} from ${placeName(from)} to slot ${to.number}.`,
    notes: importing
      ? [`${label} is online again; if it is not in the inventory yet, run “Inventory” on a drive.`]
      : [],
    call: {
      method: 'changer.transfer',
      args: { name: picture.name, from: from.number, to: to.number }
    }
  }
}

/** Tapes that barcode-label would label: online (drives and storage slots), no cleaning cartridges, not in the inventory. */
export function unlabelledTapes(picture: ChangerPicture): string[] {
  const tapes = [...picture.drives, ...picture.slots]
    .map((p) => p.tape)
    .filter((t): t is Tape => t !== undefined && !t.cleaning && !t.media)
    .map((t) => t.barcode)
  return tapes.sort()
}

export function cleaningTapes(picture: ChangerPicture): SlotPlace[] {
  return picture.slots.filter((s) => s.tape?.cleaning)
}
