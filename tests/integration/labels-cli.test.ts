/**
 * `tapedeck labels` end to end: the built CLI writes the sheet, poppler renders it at 300 dpi and
 * zbar reads the barcodes back (issue 7's done-when), for every mode that shows bars.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderPdf, scanSymbols } from '../helpers/barcode-scan'
import { tapedeck } from '../helpers/cli'
import { tempDir } from '../helpers/temp'

const TAPES = Array.from({ length: 24 }, (_, i) => `TAPE${String(i + 1).padStart(2, '0')}L9`)
const code39 = (labels: string[]) => labels.map((l) => `CODE-39:${l}`).sort()

/** Whether an area (mm) of page 1 of `pdf` renders pure white at 300 dpi (pdftoppm grey PGM). */
function whiteArea(pdf: string, x: number, y: number, w: number, h: number): boolean {
  const px = (mm: number) => String(Math.round((mm / 25.4) * 300))
  const prefix = `${pdf}-crop-${x}-${y}`
  const r = spawnSync('pdftoppm', [
    ...['-r', '300', '-gray', '-singlefile'],
    ...['-x', px(x), '-y', px(y), '-W', px(w), '-H', px(h)],
    ...[pdf, prefix]
  ])
  if (r.status !== 0) throw new Error(`pdftoppm failed: ${r.stderr}`)
  const pgm = readFileSync(`${prefix}.pgm`)
  // P5 header: magic, width, height, maxval, each followed by one whitespace byte
  const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.toString('latin1', 0, 64))!
  const pixels = pgm.subarray(header[0].length)
  if (pixels.length !== Number(header[1]) * Number(header[2])) throw new Error('short PGM')
  return pixels.every((v) => v === 255)
}

describe('tapedeck labels', () => {
  let home: Awaited<ReturnType<typeof tempDir>>
  const run = (...args: string[]) => tapedeck(home.path, args)
  const ok = (...args: string[]) => {
    const r = run(...args)
    expect(r.code, r.stderr).toBe(0)
    return r
  }

  beforeAll(async () => {
    home = await tempDir('tapedeck-labels-')
  })
  afterAll(() => home.remove())

  for (const mode of ['simple', 'color', 'frame']) {
    it(`writes 24 ${mode} labels that zbar reads back exactly`, () => {
      const out = join(home.path, `${mode}.pdf`)
      const r = ok(
        'labels',
        '--prefix',
        'TAPE',
        '--start',
        '1',
        '--count',
        '24',
        '--type',
        'L9',
        '--mode',
        mode,
        '--out',
        out
      )
      expect(r.stdout).toBe(
        `24 labels (TAPE01L9 … TAPE24L9) on 1 page (51 per page)\nwritten: ${out}\n`
      )
      const pages = renderPdf(out, home.path, 300, mode)
      expect(pages).toHaveLength(1)
      expect(scanSymbols(pages[0]).sort()).toEqual(code39(TAPES))
    })
  }

  it('fills an Avery 3420 sheet from position 5 and leaves positions 1–4 blank', () => {
    const out = join(home.path, 'avery.pdf')
    const r = ok(
      '--output-format',
      'json',
      'labels',
      '--prefix',
      'TAPE',
      '--count',
      '24',
      '--type',
      'L9',
      '--paper',
      'avery3420',
      '--start-position',
      '5',
      '--out',
      out
    )
    expect(JSON.parse(r.stdout)).toEqual({
      labels: TAPES,
      pages: 1,
      'per-page': 51,
      skipped: 4,
      files: [out]
    })
    const [page] = renderPdf(out, home.path, 300, 'avery')
    expect(scanSymbols(page).sort()).toEqual(code39(TAPES))
    // Positions 1–3 are the first row (5 mm … 21.9 mm), position 4 the left of the second row;
    // their area, rendered in grey levels, must be white. Position 5 must not be.
    const blank = (x: number, y: number, w: number, h: number) => whiteArea(out, x, y, w, h)
    expect(blank(0, 5, 210, 16.9)).toBe(true)
    expect(blank(0, 21.9, 70, 16.9)).toBe(true)
    expect(blank(70, 21.9, 70, 16.9)).toBe(false)
  })

  it('writes one SVG per page and reports the files', () => {
    const out = join(home.path, 'sheet.svg')
    const r = ok('labels', '--prefix', 'SVG', '--count', '60', '--type', 'LA', '--out', out)
    expect(r.stdout).toContain('60 labels (SVG001LA … SVG060LA) on 2 pages (51 per page)')
    expect(existsSync(out)).toBe(false)
    const files = ['sheet-1.svg', 'sheet-2.svg'].map((f) => join(home.path, f))
    for (const f of files) expect(r.stdout).toContain(`written: ${f}`)
    const second = readFileSync(files[1], 'utf8')
    expect(second).toContain('width="210mm" height="297mm" viewBox="0 0 210 297"')
    expect(second.match(/>S<\/text>/g)).toHaveLength(9) // 'S' of 'SVG0nnLA' on labels 52–60
  })

  it('takes label texts as arguments or --labels, in the order given', () => {
    const out = join(home.path, 'list.pdf')
    const r = ok(
      '--output-format',
      'json',
      'labels',
      'ZZZ999L8',
      '--labels',
      'AAA000LY,CLN001CU',
      '--out',
      out
    )
    expect(JSON.parse(r.stdout).labels).toEqual(['ZZZ999L8', 'AAA000LY', 'CLN001CU'])
    const [page] = renderPdf(out, home.path, 300, 'list')
    expect(scanSymbols(page).sort()).toEqual(code39(['ZZZ999L8', 'AAA000LY', 'CLN001CU']))
  })

  it('rejects invalid input with a clear error and writes nothing', () => {
    const out = join(home.path, 'bad.pdf')
    const cases: [string[], string][] = [
      [['tape01L9'], "label 'tape01L9' contains lower case 't' (Code 39 has upper case only)"],
      [['--prefix', 'TAPE', '--start', '95', '--count', '10', '--type', 'L9'], 'does not fit'],
      [['--from-inventory', '--pool', 'nope'], "no inventory tape matches (pool 'nope')"],
      [['--prefix', 'TAPE', '--count', '2'], 'a range needs --count and --type'],
      [['--pool', 'daily'], '--pool, --media-set and --unlabeled need --from-inventory'],
      [[], 'give label texts, a range (--prefix, --count, --type) or --from-inventory'],
      [['TAPE01L9', '--start-position', '52'], 'start position 52 is past the last of the 51'],
      [['TAPE01L9', '--calibration', '50,50,100'], 'is not SX,SY,DX,DY']
    ]
    for (const [args, message] of cases) {
      const r = run('labels', ...args, '--out', out)
      expect(r.code, args.join(' ')).not.toBe(0)
      expect(r.stderr, args.join(' ')).toContain(message)
    }
    expect(run('labels', 'TAPE01L9', '--out', join(home.path, 'x.png')).stderr).toContain(
      "--out must name a .pdf or .svg file, not '"
    )
    expect(
      readdirSync(home.path).filter((f) => f.startsWith('bad') || f.startsWith('.bad'))
    ).toEqual([])
  })

  it('writes the calibration page with the 100 mm square', () => {
    const pdf = join(home.path, 'calibration.pdf')
    expect(ok('labels', 'calibration', '--paper', 'letter', '--out', pdf).stdout).toContain(
      `calibration page written: ${pdf}`
    )
    expect(readFileSync(pdf, 'latin1')).toContain('/MediaBox [0 0 612.000 792.000]')
    const svg = join(home.path, 'calibration.svg')
    ok('labels', 'calibration', '--out', svg)
    expect(readFileSync(svg, 'utf8')).toContain('<rect x="50" y="50" width="100" height="100"')
  })
})
