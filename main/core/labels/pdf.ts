/**
 * Drawn pages as a vector PDF: bars are filled rectangles, text is Helvetica-Bold (base-14), the
 * page size is exact in points. The content stream first maps millimetres with a top-left origin
 * onto PDF user space, then applies the printer calibration, so shapes keep the SVG's coordinates.
 */
import { FONT, num, textWidth, type DrawnPage, type Shape } from './drawing'
import { PDF_FONT_RESOURCE, pdfString, writePdf } from './pdf-writer'

export const POINTS_PER_MM = 72 / 25.4

function color(hex: string): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex)
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`)
  return m
    .slice(1)
    .map((h) => num(parseInt(h, 16) / 255))
    .join(' ')
}

function shapeOps(shape: Shape): string[] {
  if (shape.kind === 'text') {
    const x = shape.x - textWidth(shape.text, shape.size) / 2
    // The page is flipped (y down), so the text matrix flips the glyphs back upright.
    return [
      '0 0 0 rg',
      `BT /${PDF_FONT_RESOURCE} ${num(shape.size)} Tf 1 0 0 -1 ${num(x)} ${num(shape.y)} Tm ` +
        `${pdfString(shape.text)} Tj ET`
    ]
  }
  const rect = `${num(shape.x)} ${num(shape.y)} ${num(shape.width)} ${num(shape.height)} re`
  const ops: string[] = []
  if (shape.fill) ops.push(`${color(shape.fill)} rg`, `${rect} f`)
  if (shape.stroke) {
    ops.push(`${color(shape.stroke.color)} RG`, `${num(shape.stroke.width)} w`, `${rect} S`)
  }
  return ops
}

function pageContent(page: DrawnPage): string {
  const ops = [
    'q',
    `${num(POINTS_PER_MM)} 0 0 ${num(-POINTS_PER_MM)} 0 ${num(page.heightMm * POINTS_PER_MM)} cm`
  ]
  const t = page.transform
  if (t) {
    ops.push(
      `${num(t.scaleX)} 0 0 ${num(t.scaleY)} ${num(t.scaleX * t.translateX)} ${num(t.scaleY * t.translateY)} cm`
    )
  }
  for (const shape of page.shapes) ops.push(...shapeOps(shape))
  ops.push('Q', '')
  return ops.join('\n')
}

export function pagesPdf(pages: DrawnPage[], title: string): Buffer {
  return writePdf(
    pages.map((page) => ({
      widthPt: page.widthMm * POINTS_PER_MM,
      heightPt: page.heightMm * POINTS_PER_MM,
      content: pageContent(page)
    })),
    FONT.pdfName,
    title
  )
}
