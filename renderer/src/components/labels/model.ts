/**
 * What the Labels view offers to choose from, and how it words a sheet. The core checks every
 * value again (the renderer may import only types from it, so the choices are listed here).
 */
import type { LabelMode, LabelPaper, LabelSheetPreview } from '@/api/contract'

export const MEDIA_TYPES: { value: string; title: string }[] = [
  { value: 'LA', title: 'LA — LTO-10' },
  { value: 'L9', title: 'L9 — LTO-9' },
  { value: 'L8', title: 'L8 — LTO-8' },
  { value: 'M8', title: 'M8 — LTO-7 Type M (9 TB)' },
  { value: 'L7', title: 'L7 — LTO-7' },
  { value: 'L6', title: 'L6 — LTO-6' },
  { value: 'L5', title: 'L5 — LTO-5' },
  { value: 'L4', title: 'L4 — LTO-4' },
  { value: 'L3', title: 'L3 — LTO-3' },
  { value: 'LZ', title: 'LZ — LTO-9 WORM' },
  { value: 'LY', title: 'LY — LTO-8 WORM' },
  { value: 'LX', title: 'LX — LTO-7 WORM' },
  { value: 'LW', title: 'LW — LTO-6 WORM' },
  { value: 'LV', title: 'LV — LTO-5 WORM' },
  { value: 'LU', title: 'LU — LTO-4 WORM' },
  { value: 'LT', title: 'LT — LTO-3 WORM' },
  { value: 'CU', title: 'CU — cleaning cartridge (use prefix CLN)' }
]

export const MODES: { value: LabelMode; title: string; hint: string }[] = [
  { value: 'color', title: 'Colour', hint: 'Boxed characters, digits in the LTO colours' },
  { value: 'simple', title: 'Simple', hint: 'Plain text above the bars' },
  { value: 'frame', title: 'Frame', hint: 'Boxed characters without colour' },
  { value: 'placeholder', title: 'Blank', hint: 'Empty labels, to fill positions' }
]

export const PAPERS: { value: LabelPaper; title: string; short: string }[] = [
  { value: 'a4', title: 'A4, plain paper', short: 'A4' },
  { value: 'letter', title: 'US Letter, plain paper', short: 'Letter' },
  {
    value: 'avery3420',
    title: 'Avery Zweckform 3420 (A4, 3 × 17 labels)',
    short: 'Avery 3420'
  }
]

const paperShort = (paper: LabelPaper) => PAPERS.find((p) => p.value === paper)?.short ?? paper

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** "24 labels on 1 A4 sheet, starting at position 5." and what stays free. */
export function sheetSummary(preview: LabelSheetPreview, paper: LabelPaper): string {
  const sheets = preview.pages.length
  const start = preview.skipped + 1
  let text = `${plural(preview.labels.length, 'label')} on ${sheets} ${paperShort(paper)} ${
    sheets === 1 ? 'sheet' : 'sheets'
  }`
  if (start > 1) text += `, starting at position ${start}`
  text += '.'
  const used = preview.skipped + preview.labels.length
  const free = sheets * preview.perPage - used
  if (free > 0) {
    // what the admin needs for the next print on the same sheet
    text += ` ${plural(free, 'position')} ${free === 1 ? 'stays' : 'stay'} free on the ${
      sheets === 1 ? 'sheet' : 'last sheet'
    }: next time, start at position ${(used % preview.perPage) + 1}.`
  }
  return text
}

/** Label texts from what the admin typed or pasted: one per line, or separated by , ; or spaces. */
export function parseLabelList(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

/**
 * The words the core's messages use for each field of the form (see useFormErrors): argument
 * paths first, then how the label engine names the thing.
 */
export const FIELD_ALIASES = {
  prefix: ['source.prefix', 'prefix'],
  start: ['source.start'],
  count: ['source.count', 'count', 'the range'],
  type: ['source.type', 'media type'],
  list: ['source.labels', 'label'],
  pool: ['source.pool', 'pool'],
  mediaSet: ['source.mediaSet', 'media set', 'media sets'],
  unlabeled: ['source.unlabeled', 'unlabeled tapes', 'changer'],
  labelWidthMm: ['layout.labelWidthMm', 'label width'],
  labelHeightMm: ['layout.labelHeightMm', 'label height'],
  marginLeftMm: ['layout.marginLeftMm', 'left margin'],
  marginTopMm: ['layout.marginTopMm', 'top margin'],
  columnSpacingMm: ['layout.columnSpacingMm', 'column spacing'],
  rowSpacingMm: ['layout.rowSpacingMm', 'row spacing'],
  startPosition: ['startPosition', 'start position'],
  sxMm: ['calibration.sxMm', 'Sx'],
  syMm: ['calibration.syMm', 'Sy'],
  dxMm: ['calibration.dxMm', 'Dx'],
  dyMm: ['calibration.dyMm', 'Dy']
}

export type LabelField = keyof typeof FIELD_ALIASES

export const LAYOUT_FIELDS = [
  'labelWidthMm',
  'labelHeightMm',
  'marginLeftMm',
  'marginTopMm',
  'columnSpacingMm',
  'rowSpacingMm'
] as const
export type LayoutField = (typeof LAYOUT_FIELDS)[number]

export const LAYOUT_TITLES: Record<LayoutField, string> = {
  labelWidthMm: 'Label width',
  labelHeightMm: 'Label height',
  marginLeftMm: 'Left margin',
  marginTopMm: 'Top margin',
  columnSpacingMm: 'Column spacing',
  rowSpacingMm: 'Row spacing'
}
