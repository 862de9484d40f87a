/**
 * Where the labels go on a sheet: paper sizes, the label grid and its overrides. All millimetres,
 * origin at the top left of the paper. Labels are placed row by row while they fit (as PBS does).
 */
import { LabelError } from './errors'
import type { LabelLayoutOptions, LabelPaper } from './schema'

export interface PaperSpec {
  description: string
  widthMm: number
  heightMm: number
  labelWidthMm: number
  labelHeightMm: number
  marginLeftMm: number
  marginTopMm: number
  columnSpacingMm: number
  rowSpacingMm: number
  /** cut lines help on plain paper; precut label sheets need none */
  borders: boolean
}

const PLAIN_GRID = {
  labelWidthMm: 70,
  labelHeightMm: 17,
  marginLeftMm: 0,
  marginTopMm: 4,
  columnSpacingMm: 0,
  rowSpacingMm: 0,
  borders: true
}

export const PAPERS: Readonly<Record<LabelPaper, PaperSpec>> = {
  a4: { description: 'A4 (plain)', widthMm: 210, heightMm: 297, ...PLAIN_GRID },
  letter: { description: 'Letter (plain)', widthMm: 215.9, heightMm: 279.4, ...PLAIN_GRID },
  // 3 × 17 precut labels of 70 × 16.9 mm on A4; PBS's template puts the first row 5 mm down.
  avery3420: {
    description: 'Avery Zweckform 3420 (A4, 3 × 17 labels of 70 × 16.9 mm)',
    widthMm: 210,
    heightMm: 297,
    labelWidthMm: 70,
    labelHeightMm: 16.9,
    marginLeftMm: 0,
    marginTopMm: 5,
    columnSpacingMm: 0,
    rowSpacingMm: 0,
    borders: false
  }
}

export interface LabelCell {
  /** 1-based position on the sheet, row by row */
  position: number
  x: number
  y: number
  width: number
  height: number
}

export interface PageLayout {
  widthMm: number
  heightMm: number
  borders: boolean
  cells: LabelCell[]
}

/** Rounding slack so that labels that fit exactly (3 × 70 mm on A4) are not lost to float error. */
const EPSILON = 1e-6

export function pageLayout(paper: LabelPaper, options: LabelLayoutOptions = {}): PageLayout {
  const spec = PAPERS[paper]
  const width = options.labelWidthMm ?? spec.labelWidthMm
  const height = options.labelHeightMm ?? spec.labelHeightMm
  const left = options.marginLeftMm ?? spec.marginLeftMm
  const top = options.marginTopMm ?? spec.marginTopMm
  const columnSpacing = options.columnSpacingMm ?? spec.columnSpacingMm
  const rowSpacing = options.rowSpacingMm ?? spec.rowSpacingMm

  const cells: LabelCell[] = []
  // Multiply instead of adding up, so that 17 rows of 16.9 mm land where the sheet has them.
  for (let row = 0; top + row * (height + rowSpacing) + height <= spec.heightMm + EPSILON; row++) {
    const y = top + row * (height + rowSpacing)
    for (
      let col = 0;
      left + col * (width + columnSpacing) + width <= spec.widthMm + EPSILON;
      col++
    ) {
      cells.push({
        position: cells.length + 1,
        x: left + col * (width + columnSpacing),
        y,
        width,
        height
      })
    }
  }
  if (cells.length === 0) {
    throw new LabelError(
      `no ${width} × ${height} mm label fits on ${spec.description} ` +
        `(${spec.widthMm} × ${spec.heightMm} mm) with margins left ${left} mm, top ${top} mm`
    )
  }
  return {
    widthMm: spec.widthMm,
    heightMm: spec.heightMm,
    borders: options.borders ?? spec.borders,
    cells
  }
}
