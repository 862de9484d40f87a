/**
 * Printer calibration (reference/pbs-tape.md §9): the user prints a 100 mm square whose top left
 * corner is at (50 mm, 50 mm), measures where it landed (Sx, Sy) and how long its sides came out
 * (Dx, Dy), and every page is then drawn through the transform that undoes the printer's error.
 *
 * Model: the printer puts page coordinate u at S + (u − 50)·D/100 on paper. Drawing u at
 * T(u) = 50 + (u − S)·100/D makes it land at u. Written as scale·(u + translate), that is
 * scale = 100/D and translate = 50/scale − S. (PBS's generator uses
 * ((50 − S) − (50·scale − 50))/scale, which agrees when S = 50 or D = 100 but drifts by
 * (50 − S)·(1/scale − 1) when the printer is both offset and scaled.)
 */
import type { DrawnPage, PageTransform, Shape } from './drawing'
import { PAPERS } from './page-layout'
import type { LabelCalibration, LabelPaper } from './schema'

export const CALIBRATION_ORIGIN = 50
export const CALIBRATION_SIZE = 100

function axis(start: number, length: number): { scale: number; translate: number } {
  const scale = CALIBRATION_SIZE / length
  return { scale, translate: CALIBRATION_ORIGIN / scale - start }
}

export function calibrationTransform(c: LabelCalibration): PageTransform {
  const x = axis(c.sxMm, c.dxMm)
  const y = axis(c.syMm, c.dyMm)
  return { scaleX: x.scale, scaleY: y.scale, translateX: x.translate, translateY: y.translate }
}

/** Where a page coordinate lands on paper through a transform (tests, and the model above). */
export function applyTransform(t: PageTransform, x: number, y: number): [number, number] {
  return [t.scaleX * (x + t.translateX), t.scaleY * (y + t.translateY)]
}

const LINE = 0.25

function hLine(x: number, y: number, length: number): Shape {
  return { kind: 'rect', x, y: y - LINE / 2, width: length, height: LINE, fill: '#000000' }
}

function vLine(x: number, y: number, length: number): Shape {
  return { kind: 'rect', x: x - LINE / 2, y, width: LINE, height: length, fill: '#000000' }
}

/** The page to print and measure: the square, and dimension lines saying what to measure. */
export function calibrationPage(paper: LabelPaper): DrawnPage {
  const { widthMm, heightMm } = PAPERS[paper]
  const o = CALIBRATION_ORIGIN
  const s = CALIBRATION_SIZE
  const caption = (x: number, y: number, text: string): Shape => ({
    kind: 'text',
    x,
    y,
    size: 4,
    text
  })
  return {
    widthMm,
    heightMm,
    shapes: [
      { kind: 'rect', x: o, y: o, width: s, height: s, stroke: { color: '#000000', width: 0.2 } },
      // Sx and Sy: from the paper edges to the square.
      hLine(0, o + s / 2, o),
      caption(o / 2, o + s / 2 - 2, 'Sx = 50 mm'),
      vLine(o + s / 2, 0, o),
      caption(o + s / 2 + 16, o / 2, 'Sy = 50 mm'),
      // Dx and Dy: the sides, dimensioned outside the square with end ticks.
      hLine(o, o + s + 8, s),
      vLine(o, o + s + 5, 6),
      vLine(o + s, o + s + 5, 6),
      caption(o + s / 2, o + s + 6, 'Dx = 100 mm'),
      vLine(o + s + 8, o, s),
      hLine(o + s + 5, o, 6),
      hLine(o + s + 5, o + s, 6),
      caption(o + s + 24, o + s / 2, 'Dy = 100 mm'),
      caption(
        widthMm / 2,
        o + s + 25,
        'Print at 100 % (no fit to page), then measure Sx, Sy, Dx and Dy in mm.'
      )
    ]
  }
}
