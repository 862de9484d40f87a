/**
 * A label sheet: label texts placed on the pages of a layout, starting at a chosen position of the
 * first sheet. The result is one drawing model per page, rendered to SVG (preview) and PDF (print).
 */
import { calibrationTransform } from './calibration'
import type { DrawnPage } from './drawing'
import { LabelError } from './errors'
import { drawLabel } from './label'
import { checkLabelText } from './media-types'
import { pageLayout, type LabelCell } from './page-layout'
import type { LabelCalibration, LabelLayoutOptions, LabelMode, LabelPaper } from './schema'

export interface SheetOptions {
  mode: LabelMode
  paper: LabelPaper
  layout?: LabelLayoutOptions
  startPosition?: number
  calibration?: LabelCalibration
}

export interface LabelSheet {
  labels: string[]
  pages: DrawnPage[]
  perPage: number
  /** empty positions before the first label */
  skipped: number
  /** the label positions of one sheet */
  cells: LabelCell[]
  borders: boolean
}

export function buildSheet(labels: string[], options: SheetOptions): LabelSheet {
  for (const label of labels) checkLabelText(label)
  const layout = pageLayout(options.paper, options.layout)
  const perPage = layout.cells.length
  const start = options.startPosition ?? 1
  if (start > perPage) {
    throw new LabelError(
      `start position ${start} is past the last of the ${perPage} positions on a sheet`
    )
  }
  const skipped = start - 1
  const transform = options.calibration && calibrationTransform(options.calibration)
  const pages: DrawnPage[] = []
  labels.forEach((label, i) => {
    const slot = skipped + i
    const pageIndex = Math.floor(slot / perPage)
    pages[pageIndex] ??= {
      widthMm: layout.widthMm,
      heightMm: layout.heightMm,
      ...(transform && { transform }),
      shapes: []
    }
    const cell = layout.cells[slot % perPage]
    pages[pageIndex].shapes.push(...drawLabel(label, options.mode, cell, layout.borders))
  })
  return { labels, pages, perPage, skipped, cells: layout.cells, borders: layout.borders }
}
