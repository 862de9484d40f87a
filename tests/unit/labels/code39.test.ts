import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { code39Pattern, encodeCode39, isCode39DataChar } from '../../../main/core/labels/code39'
import type { DrawnPage } from '../../../main/core/labels/drawing'
import { pagesPdf } from '../../../main/core/labels/pdf'
import { scanPdfPages } from '../../helpers/barcode-scan'
import { tempDir } from '../../helpers/temp'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%'

describe('Code 39 table', () => {
  it('has 9 elements with exactly 3 wide for all 44 characters', () => {
    for (const c of `${ALPHABET}*`) {
      const pattern = code39Pattern(c)
      expect(pattern, c).toMatch(/^[nw]{9}$/)
      expect(pattern.replace(/n/g, ''), c).toHaveLength(3)
    }
  })

  it('matches the ISO/IEC 16388 patterns written as bar/space runs', () => {
    // Independent spelling of a few characters from the specification: B/S wide, b/s narrow.
    const spec: Record<string, string> = {
      '*': 'bSbsBsBsb',
      '0': 'bsbSBsBsb',
      A: 'BsbsbSbsB',
      L: 'bsBsbsbSB',
      U: 'BSbsbsbsB',
      '9': 'bsBSbsBsb'
    }
    for (const [c, runs] of Object.entries(spec)) {
      expect(code39Pattern(c), c).toBe(runs.replace(/[BS]/g, 'w').replace(/[bs]/g, 'n'))
    }
  })

  it('knows which characters Code 39 can carry', () => {
    for (const c of ALPHABET) expect(isCode39DataChar(c), c).toBe(true)
    for (const c of ['*', 'a', '#', '_', 'Ä', '']) expect(isCode39DataChar(c), c).toBe(false)
    expect(() => encodeCode39('TAPE#1', 2.75)).toThrow("'#' cannot be encoded in Code 39")
  })

  it('lays out start, characters and stop with one narrow gap between characters', () => {
    const symbol = encodeCode39('AB', 3)
    // 4 characters of 3·3 + 6 = 15 units, 3 gaps of 1
    expect(symbol.width).toBe(4 * 15 + 3)
    expect(symbol.characterWidth).toBe(15)
    expect(symbol.bars).toHaveLength(4 * 5)
    // '*' = n w n n w n w n n: bars n, n, w, w, n; then a 1-unit gap; 'A' starts with a wide bar.
    expect(symbol.bars.slice(0, 6)).toEqual([
      { x: 0, width: 1 },
      { x: 4, width: 1 },
      { x: 6, width: 3 },
      { x: 10, width: 3 },
      { x: 14, width: 1 },
      { x: 16, width: 3 }
    ])
  })
})

describe('Code 39 decoded by zbar', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  beforeAll(async () => {
    dir = await tempDir('tapedeck-code39-')
  })
  afterAll(() => dir.remove())

  it('reads back every character of the alphabet', () => {
    const chunks = ['0123456789', 'ABCDEFGHIJKLM', 'NOPQRSTUVWXYZ', '-. $/+%']
    const narrow = 0.33
    const page: DrawnPage = { widthMm: 120, heightMm: 20 * chunks.length, shapes: [] }
    chunks.forEach((text, row) => {
      for (const bar of encodeCode39(text, 2.75).bars) {
        page.shapes.push({
          kind: 'rect',
          x: 10 + bar.x * narrow,
          y: 5 + row * 20,
          width: bar.width * narrow,
          height: 10,
          fill: '#000000'
        })
      }
    })
    const [symbols] = scanPdfPages(pagesPdf([page], 'alphabet'), dir.path)
    expect(symbols.sort()).toEqual(chunks.map((c) => `CODE-39:${c}`).sort())
  }, 30_000)
})
