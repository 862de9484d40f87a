import { describe, expect, it } from 'vitest'
import { pageLayout } from '../../../main/core/labels/page-layout'

describe('page layouts', () => {
  it('fits 3 × 17 labels on A4, 3 × 16 on Letter and 3 × 17 on an Avery 3420 sheet', () => {
    expect(pageLayout('a4').cells).toHaveLength(51)
    expect(pageLayout('letter').cells).toHaveLength(48)
    expect(pageLayout('avery3420').cells).toHaveLength(51)
  })

  it('places the Avery 3420 grid as the sheet has it: 70 × 16.9 mm from 5 mm down', () => {
    const { cells, widthMm, heightMm, borders } = pageLayout('avery3420')
    expect([widthMm, heightMm, borders]).toEqual([210, 297, false])
    expect(cells[0]).toEqual({ position: 1, x: 0, y: 5, width: 70, height: 16.9 })
    expect(cells[4]).toMatchObject({ position: 5, x: 70, y: 21.9 })
    const last = cells[50]
    expect(last.position).toBe(51)
    expect(last.x).toBe(140)
    expect(last.y + last.height).toBeCloseTo(5 + 17 * 16.9, 9)
  })

  it('fills rows left to right, top to bottom, with spacing and margins', () => {
    const layout = pageLayout('a4', {
      labelWidthMm: 80,
      labelHeightMm: 20,
      marginLeftMm: 10,
      marginTopMm: 12,
      columnSpacingMm: 5,
      rowSpacingMm: 3,
      borders: false
    })
    // columns: 10 + 2·80 + 5 = 175 fits, a third would end at 260; rows: (297 − 12 + 3) / 23 → 12
    expect(layout.cells).toHaveLength(2 * 12)
    expect(layout.cells.slice(0, 3).map((c) => [c.x, c.y])).toEqual([
      [10, 12],
      [95, 12],
      [10, 35]
    ])
    expect(layout.borders).toBe(false)
  })

  it('keeps a row that fits exactly and refuses a layout where nothing fits', () => {
    expect(pageLayout('a4', { marginTopMm: 297 - 17 }).cells).toHaveLength(3)
    expect(() => pageLayout('letter', { marginLeftMm: 150 })).toThrow(
      'no 70 × 17 mm label fits on Letter (plain) (215.9 × 279.4 mm) with margins left 150 mm, top 4 mm'
    )
  })
})
