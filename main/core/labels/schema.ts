/**
 * API shapes of the barcode label sheets (`labels.*` methods). Only zod here: the contract imports
 * these schemas, the renderer their types, the label engine its request type.
 *
 * The schemas check shape and ranges; the label texts themselves (Code 39 alphabet, length, media
 * type) are checked by the engine, which names the offending label in its error.
 */
import { z } from 'zod'

export const LABEL_MODES = ['simple', 'color', 'frame', 'placeholder'] as const
export const LABEL_PAPERS = ['a4', 'letter', 'avery3420'] as const

export const LabelMode = z.enum(LABEL_MODES)
export const LabelPaper = z.enum(LABEL_PAPERS)

const mm = (what: string, min: number, max: number) =>
  z
    .number()
    .min(min, `${what} must be at least ${min} mm`)
    .max(max, `${what} must be at most ${max} mm`)

/** At most this many labels per request (a few hundred pages). */
export const MAX_LABELS = 10_000

export const LabelSource = z.discriminatedUnion('kind', [
  /** prefix + zero-padded number to 6 characters + media type, e.g. TAPE01L9 */
  z.strictObject({
    kind: z.literal('range'),
    prefix: z.string().max(6, 'prefix must be at most 6 characters'),
    start: z.number().int().min(0, 'start must be 0 or more'),
    count: z.number().int().min(1, 'count must be at least 1').max(MAX_LABELS),
    /** media type: L3…L9, LT…LZ (WORM), LA (LTO-10), CU (cleaning) */
    type: z.string()
  }),
  /** complete 8-character label texts (volser + media type) */
  z.strictObject({
    kind: z.literal('list'),
    labels: z.array(z.string()).min(1, 'give at least one label').max(MAX_LABELS)
  }),
  /** tapes of the inventory, optionally filtered; all filters must match */
  z.strictObject({
    kind: z.literal('inventory'),
    pool: z.string().optional(),
    /** media-set UUID */
    mediaSet: z.string().optional(),
    /** only barcodes a changer reported that carry no media label yet */
    unlabeled: z.boolean().optional(),
    /** restrict to these label texts, e.g. a selection from the Media view (inventory order) */
    labels: z.array(z.string()).max(MAX_LABELS).optional()
  })
])

/** Overrides of the paper's default label grid (all millimetres). */
export const LabelLayoutOptions = z.strictObject({
  labelWidthMm: mm('label width', 70, 300).optional(),
  labelHeightMm: mm('label height', 15, 300).optional(),
  marginLeftMm: mm('left margin', 0, 200).optional(),
  marginTopMm: mm('top margin', 0, 200).optional(),
  columnSpacingMm: mm('column spacing', 0, 200).optional(),
  rowSpacingMm: mm('row spacing', 0, 200).optional(),
  /** thin cut lines around each label (never printed around placeholders) */
  borders: z.boolean().optional()
})

/** The 100 mm calibration square as the user measured it on paper. */
export const LabelCalibration = z.strictObject({
  /** distance from the left paper edge to the square (printed at 50 mm) */
  sxMm: mm('Sx', 0, 200),
  /** distance from the top paper edge to the square (printed at 50 mm) */
  syMm: mm('Sy', 0, 200),
  /** measured width of the square (printed as 100 mm) */
  dxMm: mm('Dx', 50, 200),
  /** measured height of the square (printed as 100 mm) */
  dyMm: mm('Dy', 50, 200)
})

export const LabelSheetRequest = z.strictObject({
  source: LabelSource,
  mode: LabelMode,
  paper: LabelPaper,
  layout: LabelLayoutOptions.optional(),
  /** 1-based position on the first sheet; earlier positions stay empty (partly used sheet) */
  startPosition: z.number().int().min(1, 'start position must be 1 or more').optional(),
  calibration: LabelCalibration.optional()
})

export const LabelPageSize = z.strictObject({ widthMm: z.number(), heightMm: z.number() })

export const LabelSheetPreview = z.strictObject({
  /** the 8-character texts placed, in order */
  labels: z.array(z.string()),
  /** one standalone SVG document per page, millimetre units: exactly what prints */
  pages: z.array(z.string()),
  page: LabelPageSize,
  /** label positions per page */
  perPage: z.number().int(),
  /** positions left empty on the first sheet (startPosition − 1) */
  skipped: z.number().int(),
  /** the label positions of a sheet in order (mm, top left origin): the start-position map */
  cells: z.array(
    z.strictObject({ x: z.number(), y: z.number(), width: z.number(), height: z.number() })
  ),
  /** whether cut lines are drawn (the request's choice, else the paper's default) */
  borders: z.boolean()
})

export const LabelSheetPdf = z.strictObject({ fileName: z.string(), pdfBase64: z.string() })

export const CalibrationPageRequest = z.strictObject({ paper: LabelPaper })
export const CalibrationPage = z.strictObject({ svg: z.string(), pdfBase64: z.string() })

export type LabelMode = z.output<typeof LabelMode>
export type LabelPaper = z.output<typeof LabelPaper>
export type LabelSource = z.output<typeof LabelSource>
export type LabelLayoutOptions = z.output<typeof LabelLayoutOptions>
export type LabelCalibration = z.output<typeof LabelCalibration>
export type LabelSheetRequest = z.output<typeof LabelSheetRequest>
export type LabelSheetPreview = z.output<typeof LabelSheetPreview>
export type LabelSheetPdf = z.output<typeof LabelSheetPdf>
export type CalibrationPage = z.output<typeof CalibrationPage>
