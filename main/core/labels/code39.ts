/**
 * Code 39 (ISO/IEC 16388), the symbology of LTO cartridge labels.
 *
 * Each character is 9 elements — bar, space, bar, … , bar — of which 3 are wide. Characters are
 * separated by one narrow space and the whole symbol is framed by the start/stop character `*`.
 * The table is the standard one; a short table of our own is simpler and easier to check than a
 * barcode library, and the tests decode every character with zbar to prove it.
 */

/** Element widths per character, bar first: `n` narrow, `w` wide. */
const PATTERNS: Readonly<Record<string, string>> = {
  '0': 'nnnwwnwnn',
  '1': 'wnnwnnnnw',
  '2': 'nnwwnnnnw',
  '3': 'wnwwnnnnn',
  '4': 'nnnwwnnnw',
  '5': 'wnnwwnnnn',
  '6': 'nnwwwnnnn',
  '7': 'nnnwnnwnw',
  '8': 'wnnwnnwnn',
  '9': 'nnwwnnwnn',
  A: 'wnnnnwnnw',
  B: 'nnwnnwnnw',
  C: 'wnwnnwnnn',
  D: 'nnnnwwnnw',
  E: 'wnnnwwnnn',
  F: 'nnwnwwnnn',
  G: 'nnnnnwwnw',
  H: 'wnnnnwwnn',
  I: 'nnwnnwwnn',
  J: 'nnnnwwwnn',
  K: 'wnnnnnnww',
  L: 'nnwnnnnww',
  M: 'wnwnnnnwn',
  N: 'nnnnwnnww',
  O: 'wnnnwnnwn',
  P: 'nnwnwnnwn',
  Q: 'nnnnnnwww',
  R: 'wnnnnnwwn',
  S: 'nnwnnnwwn',
  T: 'nnnnwnwwn',
  U: 'wwnnnnnnw',
  V: 'nwwnnnnnw',
  W: 'wwwnnnnnn',
  X: 'nwnnwnnnw',
  Y: 'wwnnwnnnn',
  Z: 'nwwnwnnnn',
  '-': 'nwnnnnwnw',
  '.': 'wwnnnnwnn',
  ' ': 'nwwnnnwnn',
  $: 'nwnwnwnnn',
  '/': 'nwnwnnnwn',
  '+': 'nwnnnwnwn',
  '%': 'nnnwnwnwn',
  '*': 'nwnnwnwnn'
}

export const CODE39_START_STOP = '*'

/** Characters that may appear in the data of a Code 39 symbol (`*` only frames it). */
export function isCode39DataChar(c: string): boolean {
  return c !== CODE39_START_STOP && Object.hasOwn(PATTERNS, c)
}

export function code39Pattern(c: string): string {
  if (!Object.hasOwn(PATTERNS, c)) throw new Error(`'${c}' cannot be encoded in Code 39`)
  return PATTERNS[c]
}

/** A bar of the symbol, in narrow-element units from the left edge of the start character. */
export interface Code39Bar {
  x: number
  width: number
}

export interface Code39Symbol {
  bars: Code39Bar[]
  /** total width in narrow units, start to stop character */
  width: number
  /** width of one character in narrow units (without the gap) */
  characterWidth: number
}

/**
 * The bars of `*text*` with wide elements `ratio` times the narrow ones (PBS and the LTO label
 * specification use 2.75; Code 39 allows 2–3).
 */
export function encodeCode39(text: string, ratio: number): Code39Symbol {
  for (const c of text) {
    if (!isCode39DataChar(c)) throw new Error(`'${c}' cannot be encoded in Code 39`)
  }
  const bars: Code39Bar[] = []
  const framed = `${CODE39_START_STOP}${text}${CODE39_START_STOP}`
  const characterWidth = 3 * ratio + 6
  let x = 0
  for (let i = 0; i < framed.length; i++) {
    if (i > 0) x += 1 // narrow inter-character gap
    const pattern = code39Pattern(framed[i])
    for (let e = 0; e < pattern.length; e++) {
      const width = pattern[e] === 'w' ? ratio : 1
      if (e % 2 === 0) bars.push({ x, width })
      x += width
    }
  }
  return { bars, width: x, characterWidth }
}
