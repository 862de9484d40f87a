import { inflateSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DrawnPage } from '../../../main/core/labels/drawing'
import { pagesPdf } from '../../../main/core/labels/pdf'
import { pdfString, writePdf } from '../../../main/core/labels/pdf-writer'
import { buildSheet } from '../../../main/core/labels/sheet'
import { pageSvg } from '../../../main/core/labels/svg'
import { pdfInfo, renderPdf } from '../../helpers/barcode-scan'
import { tempDir } from '../../helpers/temp'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

const latin1 = (b: Buffer) => b.toString('latin1')

/** The decompressed content streams of a PDF this writer made. */
function contentStreams(pdf: Buffer): string[] {
  const text = latin1(pdf)
  const streams: string[] = []
  const re = /<< \/Length (\d+) \/Filter \/FlateDecode >>\nstream\n/g
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const start = m.index + m[0].length
    streams.push(latin1(inflateSync(pdf.subarray(start, start + Number(m[1])))))
  }
  return streams
}

describe('PDF writer', () => {
  it('writes a cross-reference table whose offsets point at their objects', () => {
    const pdf = writePdf(
      [
        { widthPt: 100, heightPt: 50, content: '0 0 10 10 re f' },
        { widthPt: 612, heightPt: 792, content: '' }
      ],
      'Helvetica-Bold',
      'test (1)'
    )
    const text = latin1(pdf)
    expect(text.startsWith('%PDF-1.4\n')).toBe(true)
    expect(text.endsWith('%%EOF\n')).toBe(true)
    const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(text)![1])
    expect(text.slice(startxref, startxref + 5)).toBe('xref\n')
    const [, count] = /^xref\n0 (\d+)\n/.exec(text.slice(startxref))!.map(Number)
    expect(count).toBe(1 + 4 + 2 * 2)
    const entries = text
      .slice(startxref)
      .split('\n')
      .slice(2, 2 + count)
    expect(entries[0]).toBe('0000000000 65535 f\r')
    entries.slice(1).forEach((entry, i) => {
      expect(entry).toMatch(/^\d{10} 00000 n\r$/)
      const offset = Number(entry.slice(0, 10))
      const header = `${i + 1} 0 obj\n`
      expect(text.slice(offset, offset + header.length)).toBe(header)
    })
    expect(text).toContain('/MediaBox [0 0 100.000 50.000]')
    expect(text).toContain('/Title (test \\(1\\))')
    expect(text).toContain('/BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding')
  })

  it('escapes PDF strings and refuses what it cannot encode', () => {
    expect(pdfString('a(b)c\\')).toBe('(a\\(b\\)c\\\\)')
    expect(() => pdfString('Ä')).toThrow('PDF text must be printable ASCII')
  })

  it('draws shapes in millimetres through one flip-and-scale matrix (golden content)', () => {
    const page: DrawnPage = {
      widthMm: 100,
      heightMm: 50,
      transform: { scaleX: 1.02, scaleY: 0.98, translateX: -1, translateY: 2 },
      shapes: [
        { kind: 'rect', x: 1, y: 2, width: 3, height: 4, fill: '#FF0000' },
        { kind: 'rect', x: 5, y: 6, width: 7, height: 8, stroke: { color: '#000000', width: 0.1 } },
        { kind: 'text', x: 20, y: 10, size: 4, text: 'T0' }
      ]
    }
    expect(contentStreams(pagesPdf([page], 'golden'))).toEqual([
      [
        'q',
        '2.8346 0 0 -2.8346 0 141.7323 cm',
        '1.02 0 0 0.98 -1.02 1.96 cm',
        '1 0 0 rg',
        '1 2 3 4 re f',
        '0 0 0 RG',
        '0.1 w',
        '5 6 7 8 re S',
        '0 0 0 rg',
        // 'T0' in Helvetica-Bold is (611 + 556)/1000 em wide: centred at 20 mm
        'BT /F1 4 Tf 1 0 0 -1 17.666 10 Tm (T0) Tj ET',
        'Q',
        ''
      ].join('\n')
    ])
  })
})

describe('label sheet PDF and SVG', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  beforeAll(async () => {
    dir = await tempDir('tapedeck-labels-pdf-')
  })
  afterAll(() => dir.remove())

  it('draws the same rectangles in the SVG preview and the PDF', () => {
    const sheet = buildSheet(['TAPE01L9', 'TAPE02L9', 'CLN001CU'], { mode: 'color', paper: 'a4' })
    const svgRects = [
      ...pageSvg(sheet.pages[0]).matchAll(
        /<rect x="([^"]+)" y="([^"]+)" width="([^"]+)" height="([^"]+)"/g
      )
    ].map((m) => m.slice(1).join(' '))
    const pdfRects = [
      ...contentStreams(pagesPdf(sheet.pages, 't'))[0].matchAll(/^(\S+ \S+ \S+ \S+) re [fS]$/gm)
    ].map((m) => m[1])
    expect(svgRects.length).toBe(3 * (1 + 7 + 50)) // border, 7 boxes, 10 characters × 5 bars
    expect(new Set(pdfRects)).toEqual(new Set(svgRects))
  })

  it('gives poppler a multi-page PDF of the exact paper size', () => {
    const labels = Array.from({ length: 60 }, (_, i) => `LTR${String(i).padStart(3, '0')}L8`)
    const sheet = buildSheet(labels, { mode: 'simple', paper: 'letter' })
    expect(sheet.pages).toHaveLength(2)
    const file = join(dir.path, 'letter.pdf')
    writeFileSync(file, pagesPdf(sheet.pages, 'letter'))
    const info = pdfInfo(file)
    expect(info.Pages).toBe('2')
    expect(info['Page size']).toBe('612 x 792 pts (letter)')
    expect(info.Title).toBe('letter')
    expect(renderPdf(file, dir.path, 30, 'letter')).toHaveLength(2)
  })
})
