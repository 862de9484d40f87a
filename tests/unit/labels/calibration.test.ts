import { describe, expect, it } from 'vitest'
import {
  applyTransform,
  calibrationPage,
  calibrationTransform
} from '../../../main/core/labels/calibration'
import { pageSvg } from '../../../main/core/labels/svg'

/** The printer model the calibration undoes: page coordinate u lands at S + (u − 50)·D/100. */
const printed = (u: number, s: number, d: number) => s + ((u - 50) * d) / 100

describe('printer calibration', () => {
  it('is the identity when the square printed true', () => {
    expect(calibrationTransform({ sxMm: 50, syMm: 50, dxMm: 100, dyMm: 100 })).toEqual({
      scaleX: 1,
      scaleY: 1,
      translateX: 0,
      translateY: 0
    })
  })

  it('makes every point land where it was meant to, for offset and scaled printers', () => {
    const measured = [
      { sxMm: 52, syMm: 48.5, dxMm: 100, dyMm: 100 },
      { sxMm: 50, syMm: 50, dxMm: 98, dyMm: 101.5 },
      { sxMm: 53.2, syMm: 46, dxMm: 102, dyMm: 97.5 }
    ]
    for (const c of measured) {
      const t = calibrationTransform(c)
      for (const [x, y] of [
        [0, 0],
        [35, 120.5],
        [210, 297]
      ]) {
        const [px, py] = applyTransform(t, x, y)
        expect(printed(px, c.sxMm, c.dxMm)).toBeCloseTo(x, 9)
        expect(printed(py, c.syMm, c.dyMm)).toBeCloseTo(y, 9)
      }
    }
  })

  it('draws the 100 mm square at (50, 50) mm on a page of the paper size', () => {
    const page = calibrationPage('letter')
    expect([page.widthMm, page.heightMm]).toEqual([215.9, 279.4])
    expect(page.shapes[0]).toMatchObject({ kind: 'rect', x: 50, y: 50, width: 100, height: 100 })
    const svg = pageSvg(page)
    expect(svg).toContain('width="215.9mm" height="279.4mm" viewBox="0 0 215.9 279.4"')
    expect(svg).toContain(
      '<rect x="50" y="50" width="100" height="100" fill="none" stroke="#000000"'
    )
  })
})
