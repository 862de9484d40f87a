/**
 * One LTO barcode label as shapes (reference/pbs-tape.md §9): the physical label is 70 × 16.9 mm,
 * the Code 39 bars fill the bottom 12 mm, the human-readable text sits above them. The bars span
 * 10/12 of the label width, which leaves a quiet zone of one twelfth on each side (about 15 narrow
 * elements, well above the 10 Code 39 needs).
 */
import { encodeCode39 } from './code39'
import type { RectShape, Shape, TextShape } from './drawing'
import { VOLSER_LENGTH } from './media-types'
import type { LabelCell } from './page-layout'
import type { LabelMode } from './schema'

export const LTO_LABEL_WIDTH = 70
export const LTO_LABEL_HEIGHT = 16.9
const BAR_HEIGHT = 12
/** Wide:narrow element ratio, as PBS and the LTO label specification use. */
export const WIDE_TO_NARROW = 2.75
const BARCODE_WIDTH = (LTO_LABEL_WIDTH / 12) * 10

const BORDER = { color: '#000000', width: 0.1 }
const BOX_STROKE = { color: '#000000', width: 0.2 }

/** The standard LTO colours of the digits 0–9 (colour-coded labels). */
export const DIGIT_COLORS = [
  '#BB282E',
  '#FAE54A',
  '#9AC653',
  '#01A5E2',
  '#9EAAB6',
  '#D97E35',
  '#E27B99',
  '#67A945',
  '#F6B855',
  '#705A81'
] as const

function text(x: number, y: number, size: number, content: string): TextShape {
  return { kind: 'text', x, y, size, text: content }
}

/** Vertical centre-of-box baseline for upper-case text of `size` (cap height ≈ 0.72 em). */
const baselineIn = (top: number, boxHeight: number, size: number) =>
  top + boxHeight / 2 + (0.72 * size) / 2

/**
 * The shapes of `labelText` drawn into `cell`. The label keeps its physical width and is centred
 * in a larger cell; a cell lower than 16.9 mm shortens the bars, never the text band.
 */
export function drawLabel(
  labelText: string,
  mode: LabelMode,
  cell: LabelCell,
  borders: boolean
): Shape[] {
  if (mode === 'placeholder') return []
  const shapes: Shape[] = []
  if (borders) {
    shapes.push({
      kind: 'rect',
      x: cell.x,
      y: cell.y,
      width: cell.width,
      height: cell.height,
      stroke: BORDER
    })
  }
  const height = Math.min(LTO_LABEL_HEIGHT, cell.height)
  const left = cell.x + (cell.width - LTO_LABEL_WIDTH) / 2
  const top = cell.y + (cell.height - height) / 2
  const textBand = LTO_LABEL_HEIGHT - BAR_HEIGHT
  const barHeight = height - textBand
  const barTop = top + textBand

  const symbol = encodeCode39(labelText, WIDE_TO_NARROW)
  const narrow = BARCODE_WIDTH / symbol.width
  const barLeft = left + (LTO_LABEL_WIDTH - BARCODE_WIDTH) / 2
  for (const bar of symbol.bars) {
    shapes.push({
      kind: 'rect',
      x: barLeft + bar.x * narrow,
      y: barTop,
      width: bar.width * narrow,
      height: barHeight,
      fill: '#000000'
    })
  }

  if (mode === 'simple') {
    // Each character above its own symbol character (the first one is the start character).
    const pitch = (symbol.characterWidth + 1) * narrow
    const size = 4
    for (let i = 0; i < labelText.length; i++) {
      const x = barLeft + (i + 1) * pitch + (symbol.characterWidth * narrow) / 2
      shapes.push(text(x, baselineIn(top, textBand, size), size, labelText[i]))
    }
  } else {
    // Seven boxes of 1/8 label width, centred: six volume serial characters, then the media type.
    const box = LTO_LABEL_WIDTH / 8
    for (let i = 0; i <= VOLSER_LENGTH; i++) {
      const x = left + box / 2 + i * box
      const c = labelText[i]
      const rect: RectShape = {
        kind: 'rect',
        x,
        y: top,
        width: box,
        height: textBand,
        stroke: BOX_STROKE
      }
      if (mode === 'color' && i < VOLSER_LENGTH && c >= '0' && c <= '9')
        rect.fill = DIGIT_COLORS[Number(c)]
      shapes.push(rect)
      const content = i < VOLSER_LENGTH ? c : labelText.slice(VOLSER_LENGTH)
      const size = i < VOLSER_LENGTH ? 4 : 3
      shapes.push(text(x + box / 2, baselineIn(top, textBand, size), size, content))
    }
  }
  return shapes
}
