/**
 * The Library view as a picture of a virtual library: drag and drop (load, unload, transfer,
 * export), the keyboard alternative, the drive buttons (label, barcode-label, read label, format,
 * clean, inventory) and "drive busy". Outcomes are checked with the CLI and on the picture.
 */
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Locator, Page } from 'playwright-core'
import { lockDrive } from '../../main/core/devices/drive-lock'
import {
  cli,
  cliJson,
  field,
  openView,
  screenshot,
  SCREENSHOT_DIR,
  setTheme,
  startHarness,
  type Harness
} from './helpers'

interface Entry {
  'entry-kind': 'drive' | 'slot' | 'import-export'
  'entry-id': number
  'label-text'?: string
  'loaded-slot'?: number
}
interface Media {
  'label-text': string
  pool?: string
  location?: string
}

let h: Harness
let page: Page
let libDir: string

beforeAll(async () => {
  h = await startHarness()
  page = h.page
  libDir = join(h.scratch, 'lib')
  const made = cli(h.home, [
    'vlib',
    'create',
    'lib',
    '--path',
    libDir,
    '--drives',
    '2',
    '--slots',
    '16',
    '--import-export',
    '2',
    '--tapes',
    '8',
    '--cleaning',
    '1',
    '--tape-size',
    '64MiB'
  ])
  expect(made.code, made.stderr).toBe(0)
  expect(cli(h.home, ['pool', 'create', 'daily']).code).toBe(0)
  await openView(page, 'library')
  await page.getByRole('heading', { level: 1, name: 'Library' }).waitFor()
})

afterAll(async () => {
  await h?.close()
})

const lib = () => page.getByTestId('changer-lib')
const place = (id: string) => lib().getByTestId(`place-${id}`)
const tapeIn = (id: string) => place(id).getByTestId('tape')
const drive = (name: string) => lib().getByTestId(`drive-${name}`)
const status = () => cliJson<Entry[]>(h.home, ['changer', 'status', 'lib'])
const media = () => cliJson<Media[]>(h.home, ['media', 'list'])

function at(entries: Entry[], kind: Entry['entry-kind'], id: number): Entry | undefined {
  return entries.find((e) => e['entry-kind'] === kind && e['entry-id'] === id)
}

/**
 * Drags the tape in one cell onto another. The changer is scrolled to the top first so that both
 * cells are on screen (scrolling in the middle of a drag would end it).
 */
async function drag(from: string, to: string): Promise<void> {
  await lib().evaluate((el) => el.scrollIntoView({ block: 'start' }))
  await tapeIn(from).dragTo(place(to))
}

/** What is on screen (a dialog over the picture), not the whole scrolled page. */
async function viewShot(name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true })
  await page.waitForTimeout(350)
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) })
}

/** Waits until the cell shows the tape (or is empty for null). */
async function shows(id: string, barcode: string | null): Promise<void> {
  if (barcode === null) await tapeIn(id).waitFor({ state: 'detached' })
  else await place(id).locator(`[data-testid="tape"][data-barcode="${barcode}"]`).waitFor()
}

/** Confirms an open task dialog, waits for its task to end in `state`, closes it. */
async function runTask(dialog: Locator, state = 'ok'): Promise<void> {
  await dialog.getByTestId('action-run').click()
  await dialog.locator(`[data-testid="task-run"][data-state="${state}"]`).waitFor()
  await dialog.getByTestId('action-cancel').click()
  await dialog.waitFor({ state: 'hidden' })
}

describe('library picture: drag and drop', () => {
  it('draws drives, storage slots, mail slots and the cartridges', async () => {
    await shows('slot-1', 'TAPE01L9')
    expect(await lib().getByTestId('tape').count()).toBe(9)
    expect(await tapeIn('slot-9').getAttribute('data-kind')).toBe('cleaning')
    expect(await tapeIn('slot-1').getAttribute('data-kind')).toBe('unlabelled')
    expect(await tapeIn('slot-1').getByTestId('tape-info').textContent()).toContain('unlabelled')
    await lib().getByTestId('mail-slots').getByTestId('place-slot-17').waitFor()
    await lib().getByTestId('mail-slots').getByTestId('place-slot-18').waitFor()
    await drive('lib-0').waitFor()
    await drive('lib-1').waitFor()
  })

  it('loads a tape by dragging it onto a drive, after a confirmation', async () => {
    await drag('slot-3', 'drive-1')
    const dialog = page.getByTestId('move-dialog')
    await dialog.waitFor()
    expect(await dialog.getByTestId('move-summary').textContent()).toBe(
      'Move TAPE03L9 from slot 3 into drive lib-1.'
    )
    await viewShot('library-confirm-load')
    await runTask(dialog)
    await shows('drive-1', 'TAPE03L9')
    await shows('slot-3', null)
    expect(await drive('lib-1').getByTestId('drive-source').textContent()).toContain(
      'loaded from slot 3'
    )
    const s = status()
    expect(at(s, 'drive', 1)).toEqual({
      'entry-kind': 'drive',
      'entry-id': 1,
      'label-text': 'TAPE03L9',
      'loaded-slot': 3
    })
    expect(at(s, 'slot', 3)?.['label-text']).toBeUndefined()
  })

  it('labels the loaded tape with the label dialog', async () => {
    await drive('lib-1').getByTestId('drive-action-label').click()
    const dialog = page.getByTestId('label-dialog')
    await dialog.waitFor()
    expect(await field(page, 'label-text').inputValue()).toBe('TAPE03L9')
    expect(await dialog.getByTestId('label-explain').textContent()).toContain('must be empty')
    await page.getByTestId('label-pool').click()
    await page.getByRole('option', { name: 'daily' }).click()
    await viewShot('library-label-dialog')
    await runTask(dialog)
    await expect
      .poll(async () => tapeIn('drive-1').getByTestId('tape-info').textContent())
      .toBe('daily')
    expect(await tapeIn('drive-1').getAttribute('data-kind')).toBe('labelled')
    expect(media()).toEqual([
      expect.objectContaining({ 'label-text': 'TAPE03L9', pool: 'daily', location: 'online-lib' })
    ])
  })

  it('unloads a drive by dragging its tape onto an empty slot', async () => {
    await drag('drive-1', 'slot-10')
    const dialog = page.getByTestId('move-dialog')
    await dialog.waitFor()
    expect(await dialog.getByTestId('move-summary').textContent()).toBe(
      'Unload TAPE03L9 from drive lib-1 into slot 10.'
    )
    await runTask(dialog)
    await shows('slot-10', 'TAPE03L9')
    await shows('drive-1', null)
    const s = status()
    expect(at(s, 'slot', 10)?.['label-text']).toBe('TAPE03L9')
    expect(at(s, 'drive', 1)?.['label-text']).toBeUndefined()
  })

  it('moves a tape between slots (changer transfer)', async () => {
    await drag('slot-10', 'slot-3')
    const dialog = page.getByTestId('move-dialog')
    await dialog.waitFor()
    expect(await dialog.getByTestId('move-summary').textContent()).toBe(
      'Move TAPE03L9 from slot 10 to slot 3.'
    )
    // a transfer is synchronous: the dialog closes when it is done
    await dialog.getByTestId('action-run').click()
    await dialog.waitFor({ state: 'hidden' })
    await shows('slot-3', 'TAPE03L9')
    await shows('slot-10', null)
    expect(at(status(), 'slot', 3)?.['label-text']).toBe('TAPE03L9')
  })

  it('exports a tape by dragging it onto a mail slot', async () => {
    await drag('slot-8', 'slot-18')
    const dialog = page.getByTestId('move-dialog')
    await dialog.waitFor()
    // export always takes the first free import/export slot, and the dialog says so
    expect(await dialog.getByTestId('move-summary').textContent()).toBe(
      'Export TAPE08L9 from slot 8 to import/export slot 17.'
    )
    expect(await dialog.getByTestId('move-notes').textContent()).toContain(
      'first free import/export slot, which is 17'
    )
    await viewShot('library-confirm-export')
    await runTask(dialog)
    await shows('slot-17', 'TAPE08L9')
    await shows('slot-8', null)
    expect(at(status(), 'import-export', 17)?.['label-text']).toBe('TAPE08L9')
  })

  it('refuses what cannot work, with the reason (cleaning cartridge onto a drive)', async () => {
    await drag('slot-9', 'drive-0')
    const refused = page.getByTestId('move-refused')
    await refused.waitFor()
    expect(await refused.textContent()).toContain('CLN001CU is a cleaning cartridge')
    await page.getByTestId('move-refused-close').click()
    await refused.waitFor({ state: 'hidden' })
    await expect.poll(() => page.getByTestId('move-dialog').count()).toBe(0)
  })

  it('offers the same moves without a mouse: pick up with Enter, put down with Enter', async () => {
    await place('slot-2').focus()
    await page.keyboard.press('Enter')
    expect(await place('slot-2').getAttribute('aria-pressed')).toBe('true')
    expect(await place('drive-0').getAttribute('data-verdict')).toBe('valid')
    expect(await place('slot-9').getAttribute('data-verdict')).toBe('invalid')
    await place('drive-0').focus()
    await page.keyboard.press('Enter')
    const dialog = page.getByTestId('move-dialog')
    await dialog.waitFor()
    expect(await dialog.getByTestId('move-summary').textContent()).toBe(
      'Move TAPE02L9 from slot 2 into drive lib-0.'
    )
    await dialog.getByTestId('action-cancel').click()
    await dialog.waitFor({ state: 'hidden' })
    expect(at(status(), 'slot', 2)?.['label-text']).toBe('TAPE02L9')
  })

  it('shows "drive busy" when another task holds the drive', async () => {
    const upid = 'UPID:testhost:00000001:00000001:00000000:6560A000:label-media:lib-0:root@pam:'
    const lock = await lockDrive(h.home, 'lib-0', upid)
    try {
      await drag('slot-1', 'drive-0')
      const dialog = page.getByTestId('move-dialog')
      await dialog.waitFor()
      await dialog.getByTestId('action-run').click()
      const error = dialog.getByTestId('action-error')
      await error.waitFor()
      expect(await error.textContent()).toContain(`drive busy: lib-0 is in use by task ${upid}`)
      expect(await dialog.getByTestId('action-error-task').getAttribute('href')).toMatch(
        /#\/tasks\/UPID(:|%3A)testhost/
      )
      await viewShot('library-drive-busy')
      await dialog.getByTestId('action-cancel').click()
      await dialog.waitFor({ state: 'hidden' })
    } finally {
      await lock.release()
    }
    expect(at(status(), 'slot', 1)?.['label-text']).toBe('TAPE01L9')
  })
})

describe('library picture: drive buttons', () => {
  it('barcode-labels every unlabelled tape of the changer and lists them first', async () => {
    await drive('lib-0').getByTestId('drive-action-barcode-label').click()
    const dialog = page.getByTestId('barcode-label-dialog')
    await dialog.waitFor()
    const todo = dialog.getByTestId('barcode-label-todo')
    // TAPE03L9 is labelled, TAPE08L9 is in a mail slot (offline), CLN001CU is a cleaning cartridge
    expect((await todo.locator('.v-chip').allTextContents()).map((t) => t.trim())).toEqual([
      'TAPE01L9',
      'TAPE02L9',
      'TAPE04L9',
      'TAPE05L9',
      'TAPE06L9',
      'TAPE07L9'
    ])
    await page.getByTestId('barcode-label-pool').click()
    await page.getByRole('option', { name: 'daily' }).click()
    await viewShot('library-barcode-label')
    await dialog.getByTestId('action-run').click()
    await dialog.locator('[data-testid="task-run"][data-state="ok"]').waitFor()
    expect(await dialog.getByTestId('task-log').textContent()).toContain('TAPE07L9')
    await viewShot('library-barcode-label-done')
    await dialog.getByTestId('action-cancel').click()
    await dialog.waitFor({ state: 'hidden' })
    const labelled = media()
      .filter((m) => m.pool === 'daily')
      .map((m) => m['label-text'])
    expect(labelled).toEqual([
      'TAPE01L9',
      'TAPE02L9',
      'TAPE03L9',
      'TAPE04L9',
      'TAPE05L9',
      'TAPE06L9',
      'TAPE07L9'
    ])
    await expect.poll(() => lib().locator('[data-kind="labelled"]').count()).toBe(7)
  })

  it('reads the label of the tape in a drive', async () => {
    // barcode-label leaves the last tape it labelled in the drive
    await shows('drive-0', 'TAPE07L9')
    await drive('lib-0').getByTestId('drive-action-read-label').click()
    const dialog = page.getByTestId('read-label-dialog')
    await dialog.waitFor()
    const fields = dialog.getByTestId('read-label-fields')
    await fields.waitFor()
    expect(await fields.locator('[data-field="label-text"] td').textContent()).toBe('TAPE07L9')
    expect(await fields.locator('[data-field="pool"] td').textContent()).toBe('daily')
    expect(await fields.locator('[data-field="media-set-uuid"] td').textContent()).toContain(
      '00000000-0000-0000-0000-000000000000'
    )
    await dialog.getByTestId('read-label-close').click()
    await dialog.waitFor({ state: 'hidden' })
  })

  it('formats a tape only after its label text was typed', async () => {
    await drive('lib-0').getByTestId('drive-action-format').click()
    const dialog = page.getByTestId('format-dialog')
    await dialog.waitFor()
    await dialog.getByTestId('format-expected').waitFor()
    expect(await dialog.getByTestId('format-expected').textContent()).toBe('TAPE07L9')
    expect(await dialog.getByTestId('format-warning').textContent()).toContain(
      'All data on TAPE07L9 is lost'
    )
    const run = dialog.getByTestId('action-run')
    expect(await run.isDisabled()).toBe(true)
    await field(page, 'format-confirm').fill('TAPE06L9')
    expect(await run.isDisabled()).toBe(true)
    await field(page, 'format-confirm').fill('TAPE07L9')
    expect(await run.isDisabled()).toBe(false)
    await viewShot('library-format')
    await runTask(dialog)
    expect(media().map((m) => m['label-text'])).not.toContain('TAPE07L9')
    await expect.poll(async () => tapeIn('drive-0').getAttribute('data-kind')).toBe('unlabelled')
  })

  it('ejects the tape of a drive back into its slot', async () => {
    await drive('lib-0').getByTestId('drive-action-eject').click()
    const dialog = page.getByTestId('eject-dialog')
    await dialog.waitFor()
    expect(await dialog.textContent()).toContain('TAPE07L9 is unloaded from lib-0')
    await runTask(dialog)
    await shows('drive-0', null)
    await shows('slot-7', 'TAPE07L9')
  })

  it('cleans a drive with the cleaning cartridge and puts it back', async () => {
    await drive('lib-1').getByTestId('drive-action-clean').click()
    const dialog = page.getByTestId('clean-dialog')
    await dialog.waitFor()
    expect(await dialog.getByTestId('clean-steps').textContent()).toContain(
      'CLN001CU is loaded from slot 9'
    )
    await runTask(dialog)
    await shows('slot-9', 'CLN001CU')
    expect(at(status(), 'slot', 9)?.['label-text']).toBe('CLN001CU')
  })

  it('updates the inventory through a drive', async () => {
    await drive('lib-0').getByTestId('drive-action-inventory').click()
    const dialog = page.getByTestId('inventory-dialog')
    await dialog.waitFor()
    expect(await dialog.getByTestId('inventory-todo').textContent()).toContain('TAPE07L9')
    await runTask(dialog)
    // the formatted tape was read and found empty: it stays out of the inventory
    expect(media().map((m) => m['label-text'])).not.toContain('TAPE07L9')
    await shows('slot-7', 'TAPE07L9')
  })

  it('looks right in both themes', async () => {
    // something in a drive makes a better picture
    await drag('slot-5', 'drive-1')
    await runTask(page.getByTestId('move-dialog'))
    await shows('drive-1', 'TAPE05L9')
    await page.evaluate(() => window.scrollTo(0, 0))
    await screenshot(page, 'library-picture')
    await setTheme(page, 'dark')
    await screenshot(page, 'library-picture-dark')
    await setTheme(page, 'light')
  })

  it('labels the tape in a standalone drive with the label wizard', async () => {
    // A one-drive library whose drive is then taken out of its changer: a standalone drive with a tape in it.
    const soloDir = join(h.scratch, 'solo')
    const made = cli(h.home, [
      'vlib',
      'create',
      'sololib',
      '--path',
      soloDir,
      '--slots',
      '2',
      '--tapes',
      '1',
      '--label-prefix',
      'SOLO',
      '--tape-size',
      '64MiB'
    ])
    expect(made.code, made.stderr).toBe(0)
    expect(cli(h.home, ['load-media-from-slot', '1', '--drive', 'sololib-0']).code).toBe(0)
    expect(cli(h.home, ['drive', 'update', 'sololib-0', '--delete', 'changer']).code).toBe(0)

    const card = page.getByTestId('standalone-sololib-0')
    await card.waitFor()
    await card.getByTestId('standalone-label-wizard').click()
    const wizard = page.getByTestId('label-wizard')
    await wizard.waitFor()
    await wizard.getByTestId('wizard-next').click()
    const text = wizard.getByTestId('wizard-label-text').locator('input')
    await text.fill('SOLO01L9')
    await wizard.getByTestId('wizard-label').click()
    await wizard.getByTestId('wizard-done').waitFor({ timeout: 30_000 })
    const media = JSON.parse(
      cli(h.home, ['--output-format', 'json', 'media', 'list']).stdout
    ) as Array<Record<string, string>>
    expect(media.find((m) => m['label-text'] === 'SOLO01L9')).toMatchObject({ location: 'offline' })
    expect(existsSync(join(soloDir, 'tapefile-0-SOLO01L9.json'))).toBe(true)
    await page.keyboard.press('Escape')
  })

  it('left the tape files of the virtual library in place', () => {
    expect(existsSync(join(libDir, 'tapefile-0-TAPE01L9.json'))).toBe(true)
  })

  it('had no page errors or CSP violations', () => {
    expect(h.pageErrors).toEqual([])
  })
})
