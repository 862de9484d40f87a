/**
 * The `labels.*` API methods: resolve the source, lay out the sheet, render it. Engine errors
 * (bad label text, layout that does not fit, unknown media set) become invalid-argument errors.
 */
import { invalidArgument } from '../api/errors'
import type { CoreOperations } from '../tapedeck'
import { calibrationPage } from './calibration'
import { LabelError } from './errors'
import { pagesPdf } from './pdf'
import type {
  CalibrationPage,
  LabelPaper,
  LabelSheetPdf,
  LabelSheetPreview,
  LabelSheetRequest
} from './schema'
import { buildSheet, type LabelSheet } from './sheet'
import { sourceLabels } from './sources'
import { pageSvg } from './svg'

async function sheetFor(core: CoreOperations, request: LabelSheetRequest): Promise<LabelSheet> {
  try {
    return buildSheet(await sourceLabels(core, request.source), request)
  } catch (err) {
    if (err instanceof LabelError) throw invalidArgument(err.message)
    throw err
  }
}

export async function labelSheetPreview(
  core: CoreOperations,
  request: LabelSheetRequest
): Promise<LabelSheetPreview> {
  const sheet = await sheetFor(core, request)
  const [first] = sheet.pages
  return {
    labels: sheet.labels,
    pages: sheet.pages.map(pageSvg),
    page: { widthMm: first.widthMm, heightMm: first.heightMm },
    perPage: sheet.perPage,
    skipped: sheet.skipped,
    cells: sheet.cells.map(({ x, y, width, height }) => ({ x, y, width, height })),
    borders: sheet.borders
  }
}

export function labelSheetFileName(labels: string[]): string {
  const first = labels[0]
  const last = labels[labels.length - 1]
  return first === last ? `labels-${first}.pdf` : `labels-${first}-${last}.pdf`
}

export async function labelSheetPdf(
  core: CoreOperations,
  request: LabelSheetRequest
): Promise<LabelSheetPdf> {
  const sheet = await sheetFor(core, request)
  const fileName = labelSheetFileName(sheet.labels)
  const pdf = pagesPdf(sheet.pages, fileName.replace(/\.pdf$/, ''))
  return { fileName, pdfBase64: pdf.toString('base64') }
}

export function calibrationSheet(paper: LabelPaper): CalibrationPage {
  const page = calibrationPage(paper)
  return {
    svg: pageSvg(page),
    pdfBase64: pagesPdf([page], 'printer calibration').toString('base64')
  }
}
