import { describe, expect, it } from 'vitest'
import type { RectShape, Shape, TextShape } from '../../../main/core/labels/drawing'
import { DIGIT_COLORS, drawLabel } from '../../../main/core/labels/label'
import { pageLayout } from '../../../main/core/labels/page-layout'
import { buildSheet } from '../../../main/core/labels/sheet'

const cell = { position: 1, x: 10, y: 20, width: 70, height: 16.9 }
const rects = (shapes: Shape[]) => shapes.filter((s): s is RectShape => s.kind === 'rect')
const texts = (shapes: Shape[]) => shapes.filter((s): s is TextShape => s.kind === 'text')
const bars = (shapes: Shape[]) => rects(shapes).filter((r) => r.fill === '#000000')

describe('one label', () => {
  it('puts 12 mm bars at the bottom with a quiet zone of at least 10 narrow elements', () => {
    const shapes = drawLabel('TAPE01L9', 'simple', cell, false)
    const b = bars(shapes)
    expect(b).toHaveLength(10 * 5) // start + 8 characters + stop, 5 bars each
    for (const bar of b) {
      expect(bar.y).toBeCloseTo(20 + 4.9, 9)
      expect(bar.height).toBeCloseTo(12, 9)
    }
    const narrow = Math.min(...b.map((r) => r.width))
    const wide = Math.max(...b.map((r) => r.width))
    expect(wide / narrow).toBeCloseTo(2.75, 9)
    const left = b[0].x - cell.x
    const right = cell.x + cell.width - (b.at(-1)!.x + b.at(-1)!.width)
    expect(left).toBeCloseTo(70 / 12, 9)
    expect(right).toBeCloseTo(70 / 12, 9)
    expect(left / narrow).toBeGreaterThan(10)
  })

  it('prints the eight characters above the bars in simple mode', () => {
    const t = texts(drawLabel('TAPE01L9', 'simple', cell, false))
    expect(t.map((s) => s.text).join('')).toBe('TAPE01L9')
    expect(t.every((s) => s.y > 20 && s.y < 20 + 4.9)).toBe(true)
    // left to right, each over its own symbol character
    expect(t.map((s) => s.x)).toEqual([...t.map((s) => s.x)].sort((a, b) => a - b))
  })

  it('colours the digits of the volume serial and puts the type in the 7th box', () => {
    const shapes = drawLabel('A1B9C0L9', 'color', cell, false)
    const boxes = rects(shapes).filter((r) => r.stroke?.width === 0.2)
    expect(boxes).toHaveLength(7)
    expect(boxes.map((b) => b.fill)).toEqual(
      [undefined, DIGIT_COLORS[1], undefined, DIGIT_COLORS[9], undefined, DIGIT_COLORS[0]].concat([
        undefined
      ])
    )
    expect(texts(shapes).map((s) => s.text)).toEqual(['A', '1', 'B', '9', 'C', '0', 'L9'])
    const frame = drawLabel('A1B9C0L9', 'frame', cell, false)
    expect(
      rects(frame)
        .filter((r) => r.stroke?.width === 0.2)
        .every((r) => !r.fill)
    ).toBe(true)
  })

  it('draws a border only when asked and nothing at all for a placeholder', () => {
    const withBorder = rects(drawLabel('TAPE01L9', 'frame', cell, true))
    expect(withBorder.filter((r) => r.stroke?.width === 0.1)).toEqual([
      {
        kind: 'rect',
        x: 10,
        y: 20,
        width: 70,
        height: 16.9,
        stroke: { color: '#000000', width: 0.1 }
      }
    ])
    expect(drawLabel('TAPE01L9', 'placeholder', cell, true)).toEqual([])
  })

  it('centres the label in a larger cell and shortens the bars in a lower one', () => {
    const big = bars(drawLabel('TAPE01L9', 'simple', { ...cell, width: 90, height: 20 }, false))
    expect(big[0].x - cell.x).toBeCloseTo(10 + 70 / 12, 9)
    const low = bars(drawLabel('TAPE01L9', 'simple', { ...cell, height: 15 }, false))
    expect(low[0].height).toBeCloseTo(15 - 4.9, 9)
    expect(low[0].y + low[0].height).toBeCloseTo(20 + 15, 9)
  })
})

describe('label sheets', () => {
  const labels = Array.from({ length: 24 }, (_, i) => `AV${String(i + 1).padStart(4, '0')}L9`)

  it('leaves the positions before the start position empty on an Avery 3420 sheet', () => {
    const sheet = buildSheet(labels, { mode: 'simple', paper: 'avery3420', startPosition: 5 })
    expect([sheet.pages.length, sheet.perPage, sheet.skipped]).toEqual([1, 51, 4])
    const cells = pageLayout('avery3420').cells
    const inside = (s: Shape, c: (typeof cells)[number]) =>
      s.x >= c.x - 1e-9 &&
      s.x <= c.x + c.width + 1e-9 &&
      s.y >= c.y - 1e-9 &&
      s.y <= c.y + c.height + 1e-9
    const shapes = sheet.pages[0].shapes
    for (const c of cells.slice(0, 4)) expect(shapes.filter((s) => inside(s, c))).toEqual([])
    for (const c of cells.slice(4, 28))
      expect(bars(shapes.filter((s) => inside(s, c)))).toHaveLength(50)
    for (const c of cells.slice(28)) expect(shapes.filter((s) => inside(s, c))).toEqual([])
  })

  it('continues on new pages and applies the calibration to each', () => {
    const many = Array.from({ length: 100 }, (_, i) => `PG${String(i).padStart(4, '0')}L8`)
    const sheet = buildSheet(many, {
      mode: 'frame',
      paper: 'a4',
      startPosition: 50,
      calibration: { sxMm: 51, syMm: 49, dxMm: 99, dyMm: 101 }
    })
    // 2 positions on the first page, 51 on the second, 47 on the third
    expect(sheet.pages).toHaveLength(3)
    expect(sheet.pages.map((p) => bars(p.shapes).length / 50)).toEqual([2, 51, 47])
    for (const page of sheet.pages) expect(page.transform?.scaleX).toBeCloseTo(100 / 99, 12)
  })

  it('refuses a start position past the sheet and invalid label texts', () => {
    expect(() =>
      buildSheet(labels, { mode: 'simple', paper: 'letter', startPosition: 49 })
    ).toThrow('start position 49 is past the last of the 48 positions on a sheet')
    expect(() => buildSheet(['TAPE01L9', 'tape02L9'], { mode: 'simple', paper: 'a4' })).toThrow(
      "label 'tape02L9' contains lower case 't'"
    )
  })

  it('prints nothing in placeholder mode but still counts the positions', () => {
    const sheet = buildSheet(labels, { mode: 'placeholder', paper: 'a4' })
    expect(sheet.pages).toHaveLength(1)
    expect(sheet.pages[0].shapes).toEqual([])
  })
})
