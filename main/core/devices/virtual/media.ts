/** Cartridge facts of the virtual library: barcodes, media types, capacity and early warning. */
import { VIRTUAL_BLOCK_SIZE } from './tape-files'

/** LTO media ids (the last two barcode characters) the virtual library emulates, with density. */
export const DATA_MEDIA_TYPES: Readonly<Record<string, string>> = Object.freeze({
  L1: 'LTO1',
  L2: 'LTO2',
  L3: 'LTO3',
  L4: 'LTO4',
  L5: 'LTO5',
  L6: 'LTO6',
  L7: 'LTO7',
  M8: 'LTO7M8',
  L8: 'LTO8',
  L9: 'LTO9'
})

/** Universal cleaning cartridge (barcode CLNnnnCU). */
export const CLEANING_MEDIA_TYPE = 'CU'

/** Uses of a new cleaning cartridge; PBS logs wearout as mounts × 2 %, i.e. 50 uses. */
export const DEFAULT_CLEANING_USES = 50

/** LTO volsers are six characters before the media id. */
const VOLSER_LENGTH = 6

/**
 * Checks a barcode prefix for `tapes` data tapes: letters only, leaving room for a zero-padded
 * number that can count that far. Returns the normalised (upper-case) prefix.
 */
export function checkLabelPrefix(prefix: string, tapes: number): string {
  const p = prefix.toUpperCase()
  if (!/^[A-Z]+$/.test(p)) {
    throw new Error(`label prefix '${prefix}' must consist of letters A-Z only`)
  }
  if (p.startsWith('CLN')) {
    throw new Error(`label prefix '${prefix}' would make cleaning-cartridge barcodes (CLN…)`)
  }
  const digits = VOLSER_LENGTH - p.length
  if (digits < 1) {
    throw new Error(
      `label prefix '${prefix}' is too long: at most ${VOLSER_LENGTH - 1} letters, so that the ` +
        `${VOLSER_LENGTH}-character volser has room for a number`
    )
  }
  if (tapes > 10 ** digits - 1) {
    throw new Error(
      `label prefix '${prefix}' leaves ${digits} digit(s), enough for ${10 ** digits - 1} tapes, ` +
        `not ${tapes}; use a shorter prefix`
    )
  }
  return p
}

export function checkMediaType(mediaType: string): string {
  const t = mediaType.toUpperCase()
  if (!Object.hasOwn(DATA_MEDIA_TYPES, t)) {
    throw new Error(
      `unknown media type '${mediaType}' (one of ${Object.keys(DATA_MEDIA_TYPES).join(', ')})`
    )
  }
  return t
}

/** `TAPE01L9`: prefix + zero-padded number (6 characters) + media id. */
export const dataBarcode = (prefix: string, n: number, mediaType: string): string =>
  `${prefix}${String(n).padStart(VOLSER_LENGTH - prefix.length, '0')}${mediaType}`

/** `CLN001CU`. */
export const cleaningBarcode = (n: number): string =>
  `CLN${String(n).padStart(3, '0')}${CLEANING_MEDIA_TYPE}`

/**
 * Size of the early-warning zone before the physical end of a tape of `capacity` bytes: 1 % of
 * the tape, at least 32 blocks (8 MiB) and at most 4096 blocks (1 GiB), but never more than a
 * quarter of a tiny test tape (and at least 2 blocks).
 *
 * Why: after the warning PBS still finishes the current archive — the rest of one ≤ 256 KiB chunk
 * slice plus the END_OF_STREAM block — and writes a filemark; a new tape of a media set then
 * starts with the catalogs of the previous tapes, and a job ends with a catalog archive, both of
 * which can be a few MiB. 32 blocks covers the former many times and typical catalogs; 1 % scales
 * with the catalog size of big tapes. PBS's own virtual tape leaves only 2 blocks.
 */
export function earlyWarningZone(capacity: number): number {
  const blocks = Math.floor(capacity / VIRTUAL_BLOCK_SIZE)
  const zone = Math.min(
    Math.max(Math.floor(blocks / 100), 32),
    4096,
    Math.max(Math.floor(blocks / 4), 2)
  )
  return zone * VIRTUAL_BLOCK_SIZE
}

/** Usable bytes of a tape: whole blocks only. */
export const usableCapacity = (capacity: number): number =>
  Math.floor(capacity / VIRTUAL_BLOCK_SIZE) * VIRTUAL_BLOCK_SIZE
