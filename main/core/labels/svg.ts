/**
 * A drawn page as a standalone SVG document: width/height in mm and a viewBox in mm, so one user
 * unit is one millimetre on paper when printed at 100 %.
 */
import { FONT, num, type DrawnPage, type Shape } from './drawing'

const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

function shapeSvg(shape: Shape): string {
  if (shape.kind === 'text') {
    return (
      `<text x="${num(shape.x)}" y="${num(shape.y)}" font-size="${num(shape.size)}" ` +
      `text-anchor="middle">${escapeXml(shape.text)}</text>`
    )
  }
  const fill = shape.fill ?? 'none'
  const stroke = shape.stroke
    ? ` stroke="${shape.stroke.color}" stroke-width="${num(shape.stroke.width)}"`
    : ''
  return (
    `<rect x="${num(shape.x)}" y="${num(shape.y)}" width="${num(shape.width)}" ` +
    `height="${num(shape.height)}" fill="${fill}"${stroke}/>`
  )
}

export function pageSvg(page: DrawnPage): string {
  const t = page.transform
  const transform = t
    ? ` transform="scale(${num(t.scaleX)} ${num(t.scaleY)}) translate(${num(t.translateX)} ${num(t.translateY)})"`
    : ''
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${num(page.widthMm)}mm" ` +
      `height="${num(page.heightMm)}mm" viewBox="0 0 ${num(page.widthMm)} ${num(page.heightMm)}">`,
    `<g${transform} font-family="${FONT.cssFamily}" font-weight="${FONT.cssWeight}" ` +
      `shape-rendering="crispEdges">`,
    ...page.shapes.map(shapeSvg),
    '</g>',
    '</svg>',
    ''
  ].join('\n')
}
