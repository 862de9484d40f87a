/** `tapedeck vlib create`: a new virtual library directory. */
import { mkdir, readFile, readdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { writeFileAtomic } from '../../util/atomic-write'
import { withFileLock } from '../../util/file-lock'
import {
  CLEANING_MEDIA_TYPE,
  DEFAULT_CLEANING_USES,
  checkLabelPrefix,
  checkMediaType,
  cleaningBarcode,
  dataBarcode
} from './media'
import {
  type CartridgeState,
  LIBRARY_FILE,
  LIBRARY_FORMAT,
  LIBRARY_LOCK_FILE,
  LIBRARY_VERSION,
  type LibraryState,
  parseLibraryState,
  serializeLibraryState
} from './schema'
import { VIRTUAL_BLOCK_SIZE, writeTapeIndex } from './tape-files'

export interface CreateVirtualLibraryOptions {
  /** Library directory; created if missing, must be empty otherwise. */
  path: string
  /** Number of drives (default 1). */
  drives?: number
  /** Storage slots (default 8). */
  slots?: number
  /** Import/export (mail) slots after the storage slots (default 0). */
  importExport?: number
  /** Data tapes placed in slots 1…N (default: every storage slot left by cleaning cartridges). */
  tapes?: number
  /** Native capacity per data tape in bytes (default 1 GiB; tape files only take what is used). */
  tapeSize?: number
  /** LTO media id of the data tapes (default L9). */
  mediaType?: string
  /** Barcode prefix, letters only (default TAPE → TAPE01L9, TAPE02L9, …). */
  labelPrefix?: string
  /** Cleaning cartridges CLN001CU, … placed after the data tapes (default 0). */
  cleaning?: number
  /** Uses per cleaning cartridge (default 50). */
  cleaningUses?: number
}

export interface CreatedVirtualLibrary {
  path: string
  /** False when the directory already held a library of this shape (left untouched). */
  created: boolean
  drives: number
  slots: number
  importExport: number
  tapes: string[]
  cleaning: string[]
}

export const DEFAULT_TAPE_SIZE = 1024 ** 3
/** Small enough for tests, big enough for a label, a set label and a few archives. */
const MIN_TAPE_SIZE = 16 * VIRTUAL_BLOCK_SIZE

function int(value: number | undefined, fallback: number, what: string, min: number, max: number) {
  const n = value ?? fallback
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new Error(`${what} must be an integer from ${min} to ${max} (got ${value})`)
  }
  return n
}

export async function createVirtualLibrary(
  options: CreateVirtualLibraryOptions
): Promise<CreatedVirtualLibrary> {
  const path = resolve(options.path)
  const drives = int(options.drives, 1, 'drives', 1, 64)
  const slots = int(options.slots, 8, 'slots', 1, 4096)
  const importExport = int(options.importExport, 0, 'import/export slots', 0, 256)
  const cleaning = int(options.cleaning, 0, 'cleaning cartridges', 0, 999)
  const tapes = int(options.tapes, Math.max(slots - cleaning, 0), 'tapes', 0, 99_999)
  const tapeSize = int(
    options.tapeSize,
    DEFAULT_TAPE_SIZE,
    'tape size',
    MIN_TAPE_SIZE,
    Number.MAX_SAFE_INTEGER
  )
  const cleaningUses = int(options.cleaningUses, DEFAULT_CLEANING_USES, 'cleaning uses', 0, 1000)
  const mediaType = checkMediaType(options.mediaType ?? 'L9')
  const prefix = checkLabelPrefix(options.labelPrefix ?? 'TAPE', tapes)
  if (tapes + cleaning > slots) {
    throw new Error(
      `${tapes} tapes and ${cleaning} cleaning cartridges do not fit into ${slots} storage slots`
    )
  }

  const tapeLabels = Array.from({ length: tapes }, (_, i) => dataBarcode(prefix, i + 1, mediaType))
  const cleaningLabels = Array.from({ length: cleaning }, (_, i) => cleaningBarcode(i + 1))
  const summary = (created: boolean): CreatedVirtualLibrary => ({
    path,
    created,
    drives,
    slots,
    importExport,
    tapes: tapeLabels,
    cleaning: cleaningLabels
  })

  await mkdir(path, { recursive: true })
  const foreign = (await readdir(path)).filter((e) => e !== LIBRARY_LOCK_FILE)
  // Refuse someone else's directory before even creating our lock file in it.
  if (foreign.length > 0 && !foreign.includes(LIBRARY_FILE)) {
    throw new Error(
      `${path} is not empty and is not a Tapedeck virtual library; choose an empty directory`
    )
  }
  return withFileLock(join(path, LIBRARY_LOCK_FILE), async () => {
    const entries = (await readdir(path)).filter((e) => e !== LIBRARY_LOCK_FILE)
    if (entries.includes(LIBRARY_FILE)) {
      const file = join(path, LIBRARY_FILE)
      const existing = parseLibraryState(await readFile(file, 'utf8'), file)
      const shape = (d: number, s: number, e: number) =>
        `${d} drive(s), ${s} slot(s), ${e} import/export slot(s)`
      const have = shape(
        existing.drives.length,
        existing.slots.length,
        existing['import-export'].length
      )
      if (have !== shape(drives, slots, importExport)) {
        throw new Error(
          `${path} already holds a virtual library with ${have}; refusing to change it`
        )
      }
      const present = Object.keys(existing.cartridges)
      return {
        ...summary(false),
        tapes: present.filter((t) => !t.startsWith('CLN')).sort(),
        cleaning: present.filter((t) => t.startsWith('CLN')).sort()
      }
    }
    if (entries.length > 0) {
      throw new Error(
        `${path} is not empty and is not a Tapedeck virtual library; choose an empty directory`
      )
    }

    const cartridges: Record<string, CartridgeState> = {}
    const fresh = (mediaType: string, capacity: number): CartridgeState => ({
      'media-type': mediaType,
      capacity,
      'write-protect': false,
      files: 0,
      'bytes-used': 0,
      'open-file': null,
      mounts: 0,
      passes: 0
    })
    for (const t of tapeLabels) cartridges[t] = fresh(mediaType, tapeSize)
    for (const c of cleaningLabels) {
      cartridges[c] = { ...fresh(CLEANING_MEDIA_TYPE, 0), 'cleaning-uses-left': cleaningUses }
    }
    const state: LibraryState = {
      format: LIBRARY_FORMAT,
      version: LIBRARY_VERSION,
      generation: 0,
      created: new Date().toISOString(),
      drives: Array.from({ length: drives }, () => ({
        tape: null,
        'source-slot': null,
        loaded: false,
        position: null,
        'mount-id': 0,
        'alert-flags': [],
        writer: null
      })),
      slots: Array.from({ length: slots }, (_, i) => ({
        tape: [...tapeLabels, ...cleaningLabels][i] ?? null
      })),
      'import-export': Array.from({ length: importExport }, () => ({ tape: null })),
      cartridges,
      faults: [],
      'next-fault-id': 1,
      timing: null
    }
    const text = serializeLibraryState(state)
    parseLibraryState(text, join(path, LIBRARY_FILE))
    // library.json first: a crash before the tape indexes leaves blank tapes, which is what a
    // missing index means anyway.
    await writeFileAtomic(join(path, LIBRARY_FILE), text)
    for (const t of tapeLabels) await writeTapeIndex(path, t, 0)
    return summary(true)
  })
}
