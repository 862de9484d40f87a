/**
 * The drawing model shared by the SVG and the PDF renderer: a page is a list of filled or stroked
 * rectangles and single-line texts in millimetres (origin top left), plus the printer calibration
 * transform. Both renderers draw exactly these shapes, so the preview is what prints.
 */

export interface RectShape {
  kind: 'rect'
  x: number
  y: number
  width: number
  height: number
  /** #rrggbb, or none */
  fill?: string
  stroke?: { color: string; width: number }
}

export interface TextShape {
  kind: 'text'
  /** horizontal centre of the text */
  x: number
  /** baseline */
  y: number
  /** font size (em height) in mm */
  size: number
  /** printable ASCII (label texts and short captions) */
  text: string
}

export type Shape = RectShape | TextShape

/** Page coordinates p map to paper coordinates (scaleX·(p.x + translateX), scaleY·(p.y + translateY)). */
export interface PageTransform {
  scaleX: number
  scaleY: number
  translateX: number
  translateY: number
}

export interface DrawnPage {
  widthMm: number
  heightMm: number
  transform?: PageTransform
  shapes: Shape[]
}

/** Numbers for SVG and PDF: fixed precision (1/10000 mm), no exponent, no trailing zeros. */
export function num(n: number): string {
  const s = n.toFixed(4).replace(/\.?0+$/, '')
  return s === '-0' || s === '' ? '0' : s
}

/** The one font both outputs use; the PDF embeds none (base-14 font), the SVG names equivalents. */
export const FONT = {
  pdfName: 'Helvetica-Bold',
  cssFamily: "Helvetica, Arial, 'Liberation Sans', sans-serif",
  cssWeight: 'bold'
} as const

/**
 * Advance widths of Helvetica-Bold (Adobe AFM, 1/1000 em) for the characters labels use, so the
 * PDF can centre text itself. Anything else falls back to the width of a digit.
 */
const HELVETICA_BOLD_WIDTHS: Readonly<Record<string, number>> = {
  ' ': 278,
  '-': 333,
  '.': 278,
  '=': 584,
  '(': 333,
  ')': 333,
  ':': 333,
  ',': 278,
  '/': 278,
  A: 722,
  B: 722,
  C: 722,
  D: 722,
  E: 667,
  F: 611,
  G: 778,
  H: 722,
  I: 278,
  J: 556,
  K: 722,
  L: 611,
  M: 833,
  N: 722,
  O: 778,
  P: 667,
  Q: 778,
  R: 722,
  S: 667,
  T: 611,
  U: 722,
  V: 667,
  W: 944,
  X: 667,
  Y: 667,
  Z: 611,
  a: 556,
  b: 611,
  c: 556,
  d: 611,
  e: 556,
  f: 333,
  g: 611,
  h: 611,
  i: 278,
  j: 278,
  k: 556,
  l: 278,
  m: 889,
  n: 611,
  o: 611,
  p: 611,
  q: 611,
  r: 389,
  s: 556,
  t: 333,
  u: 611,
  v: 556,
  w: 778,
  x: 556,
  y: 556,
  z: 500
}
const DIGIT_WIDTH = 556

export function textWidth(text: string, size: number): number {
  let units = 0
  for (const c of text) units += HELVETICA_BOLD_WIDTHS[c] ?? DIGIT_WIDTH
  return (units / 1000) * size
}
