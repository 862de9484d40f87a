/**
 * Labels view in a real browser against serve mode: the live preview is the core's SVG page with
 * the expected labels, server errors land next to their field, "Export PDF" downloads a PDF whose
 * barcodes zbarimg reads back (pdftoppm at 300 dpi), Print hands the browser a document with the
 * exact page size, and the Media view's "Print labels" brings the ticked tapes here.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import {
  chooseOption,
  field,
  harnessApi,
  openView,
  screenshot,
  screenshotBothThemes,
  startHarness,
  type Harness
} from './helpers'

let h: Harness
let page: Page

/** Previews wait for a pause in typing and a round trip; give a busy machine time. */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 10_000 })

const { api, waitTask } = harnessApi(() => h)

beforeAll(async () => {
  h = await startHarness()
  page = h.page
  // Headless Chromium has no printer: record print() calls of every frame (the print frame too).
  await page.addInitScript(() => {
    window.print = () => {
      const top = window.top as Window & { printed?: number }
      top.printed = (top.printed ?? 0) + 1
    }
  })
  await api('vlib.create', {
    name: 'lib',
    path: join(h.scratch, 'lib'),
    drives: 1,
    slots: 8,
    tapes: 4
  })
  await api('pool.create', { name: 'daily' })
  await waitTask((await api('drive.barcode-label', { drive: 'lib-0', pool: 'daily' })).upid)
}, 120_000)

afterAll(async () => {
  await h?.close()
})

const range = (prefix: string, from: number, count: number, type: string) =>
  Array.from(
    { length: count },
    (_, i) => `${prefix}${String(from + i).padStart(6 - prefix.length, '0')}${type}`
  )

/** The SVG of the page on screen, taken from the preview image. */
async function previewSvg(): Promise<string> {
  const img = page.getByTestId('labels-preview')
  await poll(() => img.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBeGreaterThan(0)
  const src = (await img.getAttribute('src')) ?? ''
  expect(src).toMatch(/^data:image\/svg\+xml;charset=utf-8,/)
  return decodeURIComponent(src.slice(src.indexOf(',') + 1))
}

/** Every label drawn on an SVG page: its characters are the page's texts, in order. */
function textsOf(svg: string): string {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]).join('')
}

async function waitSummary(pattern: RegExp): Promise<string> {
  const summary = page.getByTestId('labels-summary')
  await poll(async () => (await summary.textContent()) ?? '').toMatch(pattern)
  // and the preview shows exactly the current settings
  await poll(() => page.getByTestId('labels-preview-card').getAttribute('data-state')).toBe(
    'current'
  )
  return (await summary.textContent()) ?? ''
}

/** Barcodes zbarimg finds on the PDF's pages rendered at 300 dpi. */
function scanPdf(pdf: string, dir: string): string[] {
  const render = spawnSync('pdftoppm', ['-r', '300', '-png', pdf, join(dir, 'page')], {
    encoding: 'utf8'
  })
  expect(render.status, render.stderr).toBe(0)
  const found: string[] = []
  for (const png of readdirSync(dir).filter((f) => f.endsWith('.png'))) {
    const scan = spawnSync('zbarimg', ['-q', join(dir, png)], { encoding: 'utf8' })
    expect(scan.status, `zbarimg on ${png}: ${scan.stderr}`).toBe(0)
    found.push(...scan.stdout.split('\n').filter((l) => l !== ''))
  }
  return found
}

/** The whole page from its top (the app bar is fixed), no hover left on the sheet map. */
async function shot(name: string): Promise<void> {
  await page.mouse.move(0, 0)
  await page.evaluate(() => window.scrollTo(0, 0))
  await screenshot(page, name)
}

const bothThemes = (name: string) => screenshotBothThemes(page, name, (_, n) => shot(n))

describe('labels view', () => {
  it('previews a range of 24 labels as the SVG page that prints', async () => {
    await openView(page, 'labels')
    await page.getByRole('heading', { level: 1, name: 'Labels' }).waitFor()
    await page.getByTestId('labels-mode-simple').click()
    await field(page, 'labels-prefix').fill('TEST')
    await field(page, 'labels-start').fill('1')
    await field(page, 'labels-count').fill('24')
    expect(await waitSummary(/^24 labels on 1 A4 sheet\./)).toContain(
      '27 positions stay free on the sheet: next time, start at position 25.'
    )
    const svg = await previewSvg()
    expect(svg).toContain('width="210mm" height="297mm"')
    expect(textsOf(svg)).toBe(range('TEST', 1, 24, 'L9').join(''))
    expect(await page.getByTestId('labels-range').textContent()).toContain('TEST01L9 … TEST24L9')
  })

  it('shows the core’s objections next to the field they concern', async () => {
    await field(page, 'labels-prefix').fill('tape')
    const prefix = page.getByTestId('labels-prefix').locator('.v-messages')
    await poll(async () => (await prefix.textContent()) ?? '').toMatch(/lower case 't'/)
    expect(await page.getByTestId('labels-export-pdf').isDisabled()).toBe(true)

    await field(page, 'labels-prefix').fill('TAPE')
    await field(page, 'labels-count').fill('100')
    const count = page.getByTestId('labels-count').locator('.v-messages')
    await poll(async () => (await count.textContent()) ?? '').toMatch(/does not fit/)
    await poll(async () => (await prefix.textContent()) ?? '').not.toMatch(/lower case/)
    await shot('labels-error')

    await field(page, 'labels-count').fill('24')
    await waitSummary(/^24 labels on 1 A4 sheet\./)
    await poll(async () => (await count.textContent()) ?? '').not.toMatch(/does not fit/)
  })

  it('exports an Avery 3420 sheet from position 5 whose barcodes scan back', async () => {
    await page.getByTestId('labels-mode-color').click()
    await chooseOption(page, 'labels-paper', /Avery Zweckform 3420/)
    await waitSummary(/^24 labels on 1 Avery 3420 sheet\./)
    // start at the first free position of a partly used sheet, picked on the sheet map
    await page.locator('[data-testid="labels-sheet-map"] [data-position="5"]').click()
    expect(await waitSummary(/starting at position 5\./)).toBe(
      '24 labels on 1 Avery 3420 sheet, starting at position 5. 23 positions stay free on the ' +
        'sheet: next time, start at position 29.'
    )
    expect(await field(page, 'labels-start-position').inputValue()).toBe('5')
    // the map is one tab stop; arrow keys move the start like in a grid
    await page.keyboard.press('ArrowDown')
    await poll(() => field(page, 'labels-start-position').inputValue()).toBe('8')
    await page.keyboard.press('ArrowUp')
    await poll(() => field(page, 'labels-start-position').inputValue()).toBe('5')
    await waitSummary(/starting at position 5\./)
    const map = page.getByTestId('labels-sheet-map')
    expect(await map.locator('[data-state="used"]').count()).toBe(4)
    expect(await map.locator('[data-state="print"]').count()).toBe(24)
    expect(textsOf(await previewSvg())).toBe(range('TAPE', 1, 24, 'L9').join(''))
    await bothThemes('labels')

    const dir = join(h.scratch, 'pdf')
    await mkdir(dir)
    const download = page.waitForEvent('download')
    await page.getByTestId('labels-export-pdf').click()
    const file = await download
    expect(file.suggestedFilename()).toBe('labels-TAPE01L9-TAPE24L9.pdf')
    const path = join(dir, file.suggestedFilename())
    await file.saveAs(path)
    expect((await readFile(path)).subarray(0, 5).toString('latin1')).toBe('%PDF-')
    await page.getByTestId('labels-notice').waitFor()

    const found = scanPdf(path, dir)
    expect(found.sort()).toEqual(range('TAPE', 1, 24, 'L9').map((l) => `CODE-39:${l}`))
  })

  it('prints in the browser: the pages at their exact paper size without margins', async () => {
    await page.getByTestId('labels-print').click()
    const frame = page.locator('iframe[data-testid="labels-print-frame"]')
    await frame.waitFor({ state: 'attached' })
    const html = (await frame.getAttribute('srcdoc')) ?? ''
    expect(html).toContain('@page { size: 210mm 297mm; margin: 0 }')
    expect(html.match(/<svg /g)).toHaveLength(1)
    expect(textsOf(html)).toBe(range('TAPE', 1, 24, 'L9').join(''))
    await poll(() =>
      page.evaluate(() => (window as Window & { printed?: number }).printed ?? 0)
    ).toBe(1)
  })

  it('calibrates the printer: prints the 100 mm square, then corrects the sheet', async () => {
    await page.getByTestId('labels-calibration-toggle').click()
    await page.getByTestId('labels-calibration-print').click()
    const frame = page.locator('iframe[data-testid="labels-print-frame"]')
    await poll(async () => (await frame.getAttribute('srcdoc')) ?? '').toContain('Sx = 50 mm')
    const html = (await frame.getAttribute('srcdoc')) ?? ''
    expect(html).toContain('@page { size: 210mm 297mm; margin: 0 }')
    expect(html).toContain('<rect x="50" y="50" width="100" height="100"')
    await poll(() =>
      page.evaluate(() => (window as Window & { printed?: number }).printed ?? 0)
    ).toBe(2)

    // the square came out 2 mm too wide and 1 mm too far right
    await field(page, 'labels-calibration-sxMm').fill('51')
    await field(page, 'labels-calibration-dxMm').fill('102')
    await page.getByTestId('labels-calibrate').locator('input').check()
    await waitSummary(/^24 labels/)
    const scale = 100 / 102
    expect(await previewSvg()).toContain(
      `transform="scale(${+scale.toFixed(4)} 1) translate(${+(50 / scale - 51).toFixed(4)} 0)"`
    )
    // a measurement the core refuses shows at its field
    await field(page, 'labels-calibration-dxMm').fill('20')
    const dx = page.getByTestId('labels-calibration-dxMm').locator('.v-messages')
    await poll(async () => (await dx.textContent()) ?? '').toMatch(/Dx must be at least 50/)
    await shot('labels-calibration')
    await page.getByTestId('labels-calibrate').locator('input').uncheck()
    await waitSummary(/^24 labels/)
    expect(await previewSvg()).not.toContain('transform=')
    await page.getByTestId('labels-calibration-toggle').click()
  })

  it('pages through a sheet set and prints blank placeholders', async () => {
    await field(page, 'labels-count').fill('60')
    await waitSummary(/^60 labels on 2 Avery 3420 sheets, starting at position 5\./)
    await page
      .getByTestId('labels-pages')
      .getByRole('button', { name: /page 2/i })
      .click()
    expect(textsOf(await previewSvg())).toBe(range('TAPE', 48, 13, 'L9').join(''))
    await page.getByTestId('labels-mode-placeholder').click()
    await waitSummary(/^60 labels/)
    expect(textsOf(await previewSvg())).toBe('')
    await page.getByTestId('labels-mode-color').click()
    await field(page, 'labels-count').fill('24')
    await waitSummary(/^24 labels/)
  })

  it('takes the tapes of a pool from the inventory', async () => {
    await page.getByTestId('labels-source-inventory').click()
    await page.getByTestId('labels-pool').click()
    await page.getByRole('option', { name: 'daily' }).click()
    await waitSummary(/^4 labels on 1 Avery 3420 sheet, starting at position 5\./)
    expect(textsOf(await previewSvg())).toBe(range('TAPE', 1, 4, 'L9').join(''))
    // the virtual library holds no tape without a media label
    await page.getByTestId('labels-unlabeled').locator('input').check()
    const unlabeled = page.getByTestId('labels-unlabeled').locator('.v-messages')
    await poll(async () => (await unlabeled.textContent()) ?? '').toMatch(
      /no changer reports a barcode that lacks a media label/
    )
    await shot('labels-inventory')
    await page.getByTestId('labels-unlabeled').locator('input').uncheck()
    await page.getByTestId('labels-source-range').click()
    await waitSummary(/^24 labels/)
  })

  it('prints labels for the tapes ticked in the Media view', async () => {
    await openView(page, 'media')
    await page.getByTestId('media-row-TAPE02L9').waitFor()
    for (const label of ['TAPE03L9', 'TAPE02L9']) {
      await page.getByTestId(`media-row-${label}`).locator('input[type="checkbox"]').check()
    }
    expect(await page.getByTestId('media-print-labels').textContent()).toContain('Print labels (2)')
    await shot('media-print-labels')
    await page.getByTestId('media-print-labels').click()
    await page.waitForURL(/#\/labels\?labels=TAPE02L9,TAPE03L9$/)
    await page.getByTestId('labels-from-media').waitFor()
    expect(await page.getByTestId('labels-list').locator('textarea').first().inputValue()).toBe(
      'TAPE02L9\nTAPE03L9'
    )
    await waitSummary(/^2 labels on 1 Avery 3420 sheet/)
    expect(textsOf(await previewSvg())).toBe('TAPE02L9TAPE03L9')
    await bothThemes('labels-from-media')
    expect(h.pageErrors).toEqual([])
  })
})
