/**
 * First-time setup from an empty home: Dashboard offers the wizard → a virtual library → a media
 * pool (with the live previews) → barcode-label the tapes → "ready for a first backup". Checked
 * with the CLI (media list, pool list, changer status) and the virtual tape files on disk.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import {
  cliJson,
  field,
  screenshot as fullScreenshot,
  setTheme,
  startHarness,
  type Harness
} from './helpers'

interface Media {
  'label-text': string
  pool?: string
  location?: string
}
interface Entry {
  'entry-kind': 'drive' | 'slot' | 'import-export'
  'entry-id': number
  'label-text'?: string
}

let h: Harness
let page: Page
let libDir: string

beforeAll(async () => {
  h = await startHarness()
  page = h.page
  libDir = join(h.scratch, 'vtl')
})

afterAll(async () => {
  await h?.close()
})

/** Full page from the top (filling the form scrolls the page). */
async function screenshot(p: Page, name: string): Promise<void> {
  await p.evaluate(() => window.scrollTo(0, 0))
  await fullScreenshot(p, name)
}

const wizard = () => page.getByTestId('setup-wizard')
const TAPES = ['TAPE01L9', 'TAPE02L9', 'TAPE03L9', 'TAPE04L9', 'TAPE05L9', 'TAPE06L9']

describe('first-time setup wizard', () => {
  it('is offered on the Dashboard while nothing is configured', async () => {
    await page.getByTestId('setup-offer').waitFor()
    await screenshot(page, 'setup-wizard-offer')
    await page.getByTestId('start-setup').click()
    await page.waitForURL(/#\/setup/)
    await wizard().waitFor()
  })

  it('creates a virtual library (scanning for hardware is not there yet)', async () => {
    await page.getByTestId('vlib-form').waitFor()
    const scan = page.getByTestId('mode-scan')
    expect(await scan.textContent()).toContain('later version')
    expect(await scan.locator('input').isDisabled()).toBe(true)
    // sensible defaults, with the directory inside the Tapedeck home
    expect(await field(page, 'vlib-name').inputValue()).toBe('lib')
    expect(await field(page, 'vlib-path').inputValue()).toBe(
      join(h.home, 'virtual-libraries', 'lib')
    )
    expect(await field(page, 'vlib-drives').inputValue()).toBe('2')
    await field(page, 'vlib-path').fill(libDir)
    await field(page, 'vlib-slots').fill('10')
    await field(page, 'vlib-tapes').fill('6')
    await field(page, 'vlib-cleaning').fill('1')
    await field(page, 'vlib-import-export').fill('2')
    await field(page, 'vlib-tape-size').fill('64')
    await page.getByTestId('vlib-tape-unit').click()
    await page.getByRole('option', { name: 'MiB' }).click()
    expect(await page.getByTestId('vlib-preview').textContent()).toContain('6 tapes of 64.0 MiB')
    await screenshot(page, 'setup-wizard-library')
    await page.getByTestId('vlib-create').click()
    await page.getByTestId('vlib-created').waitFor()
    expect(await page.getByTestId('vlib-created').textContent()).toContain('lib-0, lib-1')
    expect(existsSync(join(libDir, 'tapefile-0-TAPE01L9.json'))).toBe(false)
  })

  it('creates a media pool with live previews of allocation and retention', async () => {
    await page.getByTestId('pool-form').waitFor()
    await field(page, 'pool-name').fill('daily')
    await field(page, 'pool-allocation').fill('mon..fri 22:00')
    await field(page, 'pool-retention').fill('2 weeks')
    const allocation = page.getByTestId('allocation-preview')
    await allocation.waitFor()
    expect(await allocation.textContent()).toContain('Mon..Fri *-*-* 22:00:00')
    await page.getByTestId('retention-preview').waitFor()
    expect(await page.getByTestId('retention-preview').textContent()).toContain('2 weeks')
    await screenshot(page, 'setup-wizard-pool')
    await page.getByTestId('pool-create').click()
    await page.getByTestId('label-todo').waitFor()
    expect(cliJson<{ name: string }[]>(h.home, ['pool', 'list'])).toEqual([
      { name: 'daily', allocation: 'mon..fri 22:00', retention: '2 weeks' }
    ])
  })

  it('labels the tapes into the pool with live progress', async () => {
    const todo = page.getByTestId('label-todo')
    expect((await todo.locator('.v-chip').allTextContents()).map((t) => t.trim())).toEqual(TAPES)
    await page.getByTestId('label-start').click()
    await wizard().locator('[data-testid="task-run"][data-state="ok"]').waitFor()
    expect(await wizard().getByTestId('task-log').textContent()).toContain(
      'writing media label TAPE06L9'
    )
    await screenshot(page, 'setup-wizard-label')
    await page.getByTestId('label-next').click()
  })

  it('ends ready for a first backup, with labelled tapes', async () => {
    const summary = page.getByTestId('setup-summary')
    await summary.waitFor()
    await expect
      .poll(async () => page.getByTestId('summary-tapes').textContent())
      .toContain('6 in pool daily')
    expect(await page.getByTestId('setup-next').textContent()).toContain('later version')
    await screenshot(page, 'setup-wizard-done')
    await setTheme(page, 'dark')
    await screenshot(page, 'setup-wizard-done-dark')
    await setTheme(page, 'light')

    const media = cliJson<Media[]>(h.home, ['media', 'list'])
    expect(media.map((m) => [m['label-text'], m.pool, m.location])).toEqual(
      TAPES.map((t) => [t, 'daily', 'online-lib'])
    )
    for (const t of TAPES) expect(existsSync(join(libDir, `tapefile-0-${t}.json`))).toBe(true)
    const status = cliJson<Entry[]>(h.home, ['changer', 'status', 'lib'])
    const inLibrary = status.map((e) => e['label-text']).filter((t) => t !== undefined)
    expect(inLibrary.sort()).toEqual([...TAPES, 'CLN001CU'].sort())
  })

  it('leads to the library, where the tapes show their pool', async () => {
    await page.getByTestId('setup-open-library').click()
    await page.waitForURL(/#\/library/)
    const lib = page.getByTestId('changer-lib')
    await expect.poll(() => lib.locator('[data-kind="labelled"]').count()).toBe(6)
    expect(await lib.locator('[data-kind="cleaning"]').count()).toBe(1)
    expect(await page.getByTestId('setup-offer').count()).toBe(0)
  })

  it('had no page errors or CSP violations', () => {
    expect(h.pageErrors).toEqual([])
  })
})
