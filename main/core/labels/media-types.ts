/**
 * LTO cartridge label texts: a 6-character volume serial followed by the 2-character media type
 * (LTO Ultrium Cartridge Label Specification), e.g. `TAPE01L9`. The whole 8 characters are what the
 * barcode encodes and what a library reports as the volume tag.
 */
import { isCode39DataChar } from './code39'
import { LabelError } from './errors'

export const VOLSER_LENGTH = 6
export const LABEL_TEXT_LENGTH = 8

/**
 * Media type identifiers as libraries document them (IBM, Oracle, HPE): `L<generation>`, WORM
 * `LT`…`LZ` for generations 3–9, `M8` (an LTO-7 cartridge initialised to 9 TB by an LTO-8 drive),
 * `LA` for LTO-10 and `CU` for the universal cleaning cartridge. No WORM identifier for LTO-10 is
 * listed because none could be confirmed from library documentation.
 */
export const LTO_MEDIA_TYPES: Readonly<Record<string, string>> = {
  L1: 'LTO-1',
  L2: 'LTO-2',
  L3: 'LTO-3',
  L4: 'LTO-4',
  L5: 'LTO-5',
  L6: 'LTO-6',
  L7: 'LTO-7',
  L8: 'LTO-8',
  L9: 'LTO-9',
  LA: 'LTO-10',
  M8: 'LTO-7 Type M (9 TB)',
  LT: 'LTO-3 WORM',
  LU: 'LTO-4 WORM',
  LV: 'LTO-5 WORM',
  LW: 'LTO-6 WORM',
  LX: 'LTO-7 WORM',
  LY: 'LTO-8 WORM',
  LZ: 'LTO-9 WORM',
  CU: 'cleaning cartridge'
}

const VOLSER_CHAR = /^[A-Z0-9]$/

export function checkMediaType(type: string): void {
  if (Object.hasOwn(LTO_MEDIA_TYPES, type)) return
  const hint = Object.hasOwn(LTO_MEDIA_TYPES, type.toUpperCase())
    ? ` (media types are upper case: ${type.toUpperCase()})`
    : ''
  throw new LabelError(
    `unknown LTO media type '${type}'${hint}; known: ${Object.keys(LTO_MEDIA_TYPES).join(', ')}`
  )
}

/**
 * The reason `text` (a volume serial or part of one) breaks the label rules, or undefined.
 * Volume serials use A–Z and 0–9 only, as the label specification asks.
 */
function volserCharProblem(text: string): string | undefined {
  for (const c of text) {
    if (VOLSER_CHAR.test(c)) continue
    if (/^[a-z]$/.test(c)) return `contains lower case '${c}' (Code 39 has upper case only)`
    if (!isCode39DataChar(c)) return `contains '${c}', which Code 39 cannot encode`
    return `contains '${c}'; LTO volume serials use only A–Z and 0–9`
  }
  return undefined
}

/** Throws a LabelError naming the label and what is wrong with it. */
export function checkLabelText(text: string): void {
  if (text.length !== LABEL_TEXT_LENGTH) {
    throw new LabelError(
      `label '${text}' has ${text.length} characters; an LTO label has ${LABEL_TEXT_LENGTH}: ` +
        `a ${VOLSER_LENGTH}-character volume serial and a 2-character media type, e.g. TAPE01L9`
    )
  }
  const problem = volserCharProblem(text.slice(0, VOLSER_LENGTH))
  if (problem !== undefined) throw new LabelError(`label '${text}' ${problem}`)
  try {
    checkMediaType(text.slice(VOLSER_LENGTH))
  } catch (err) {
    throw new LabelError(`label '${text}': ${(err as Error).message}`)
  }
}

/** `prefix` + `number` zero-padded to the 6-character volume serial + `type`, e.g. TAPE01L9. */
export function rangeLabels(prefix: string, start: number, count: number, type: string): string[] {
  const problem = volserCharProblem(prefix)
  if (problem !== undefined) throw new LabelError(`prefix '${prefix}' ${problem}`)
  if (prefix.length > VOLSER_LENGTH) {
    throw new LabelError(
      `prefix '${prefix}' is longer than the ${VOLSER_LENGTH}-character volume serial`
    )
  }
  checkMediaType(type)
  const digits = VOLSER_LENGTH - prefix.length
  if (digits === 0) {
    if (count > 1) {
      throw new LabelError(
        `prefix '${prefix}' fills the whole volume serial, so it gives one label, not ${count}`
      )
    }
    return [`${prefix}${type}`]
  }
  const last = start + count - 1
  if (String(last).length > digits) {
    throw new LabelError(
      `the range ${start}…${last} does not fit after prefix '${prefix}': only ${digits} ` +
        `digit(s) are left in the ${VOLSER_LENGTH}-character volume serial (at most ${'9'.repeat(digits)})`
    )
  }
  const labels: string[] = []
  for (let n = start; n <= last; n++) {
    labels.push(`${prefix}${String(n).padStart(digits, '0')}${type}`)
  }
  return labels
}
