import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import {
  cliJson,
  field,
  openView,
  readConfig,
  screenshot,
  setTheme,
  startHarness,
  type Harness
} from './helpers'

interface Drive {
  name: string
  type: string
  path: string
  changer?: string
  'changer-drivenum'?: number
  'max-size'?: number
}
interface Changer {
  name: string
  path: string
  'export-slots'?: string
  'eject-before-unload'?: boolean
}

const CHANGER_PATH = 'iscsi://127.0.0.1:3260/iqn.2025-01.invalid.tapedeck:vtl/0'
const DRIVE_PATH = 'iscsi://127.0.0.1:3260/iqn.2025-01.invalid.tapedeck:vtl/1'

let h: Harness
let page: Page

beforeAll(async () => {
  h = await startHarness()
  page = h.page
  await openView(page, 'library')
  await page.getByRole('heading', { level: 1, name: 'Library' }).waitFor()
  // drive and changer configuration lives on its own tab (the first one is the library picture)
  await page.getByTestId('tab-config').click()
  await page.waitForURL(/tab=config/)
  await page.getByTestId('changers-table').waitFor()
})

afterAll(async () => {
  await h?.close()
})

const changerRow = (name: string) =>
  page.getByTestId('changers-table').locator('tbody tr').filter({ hasText: name })
const driveRow = (name: string) =>
  page.getByTestId('drives-table').locator('tbody tr').filter({ hasText: name })

describe('library: drives and changers', () => {
  it('creates a changer', async () => {
    await page.getByTestId('add-changer').click()
    const dialog = page.getByTestId('changer-dialog')
    await dialog.waitFor()
    await field(page, 'changer-name').fill('robot1')
    await field(page, 'changer-path').fill(CHANGER_PATH)
    await field(page, 'changer-export-slots').fill('16, 14,15')
    await page.getByTestId('changer-eject').locator('input').check()
    await screenshot(page, 'changer-editor')
    await page.getByTestId('form-save').click()
    await dialog.waitFor({ state: 'hidden' })
    await changerRow('robot1').waitFor()
    // the core normalizes the slot list
    expect(await changerRow('robot1').textContent()).toContain('14,15,16')
    expect(cliJson<Changer[]>(h.home, ['changer', 'list'])).toEqual([
      {
        name: 'robot1',
        path: CHANGER_PATH,
        'export-slots': '14,15,16',
        'eject-before-unload': true
      }
    ])
  })

  it('leaves the cursor where the user put it while the dialog opens', async () => {
    // a user (or a slow machine) clicks into the second field before the dialog has finished opening
    await page.evaluate(async () => {
      document.querySelector<HTMLElement>('[data-testid="add-drive"]')!.click()
      const selector = '[data-testid="drive-path"] input'
      while (!document.querySelector(selector)) await new Promise((r) => setTimeout(r, 0))
      document.querySelector<HTMLInputElement>(selector)!.focus()
    })
    await page.waitForTimeout(500)
    const pathFocused = await field(page, 'drive-path').evaluate(
      (el) => el === document.activeElement
    )
    expect(pathFocused).toBe(true)
    await page.getByTestId('form-cancel').click()
    await page.getByTestId('drive-dialog').waitFor({ state: 'hidden' })
  })

  it('shows the server error for a device path that is neither /dev/… nor iscsi://', async () => {
    await page.getByTestId('add-drive').click()
    const dialog = page.getByTestId('drive-dialog')
    await dialog.waitFor()
    await field(page, 'drive-name').fill('lto1')
    await field(page, 'drive-path').fill('tape0')
    await page.getByTestId('form-save').click()
    const messages = page.getByTestId('drive-path').locator('.v-messages')
    await expect
      .poll(async () => (await messages.textContent()) ?? '')
      .toContain("'tape0' is not a device path")
    expect(cliJson<Drive[]>(h.home, ['drive', 'list'])).toEqual([])
    await page.getByTestId('form-cancel').click()
    await dialog.waitFor({ state: 'hidden' })
  })

  it('creates a drive inside the changer', async () => {
    await page.getByTestId('add-drive').click()
    const dialog = page.getByTestId('drive-dialog')
    await dialog.waitFor()
    await field(page, 'drive-name').fill('lto1')
    await field(page, 'drive-path').fill(DRIVE_PATH)
    await page.getByTestId('drive-changer').click()
    await page.getByRole('option', { name: 'robot1' }).click()
    await field(page, 'drive-drivenum').fill('1')
    await screenshot(page, 'drive-editor')
    await page.getByTestId('form-save').click()
    await dialog.waitFor({ state: 'hidden' })
    await driveRow('lto1').waitFor()
    expect(await driveRow('lto1').textContent()).toContain('robot1')
    expect(await changerRow('robot1').textContent()).toContain('lto1')
    expect(cliJson<Drive[]>(h.home, ['drive', 'list'])).toEqual([
      { name: 'lto1', type: 'lto', path: DRIVE_PATH, changer: 'robot1', 'changer-drivenum': 1 }
    ])
    const cfg = await readConfig(h.home, 'tape.cfg')
    expect(cfg).toContain('changer: robot1\n')
    expect(cfg).toContain(
      `lto: lto1\n\tchanger robot1\n\tchanger-drivenum 1\n\tpath ${DRIVE_PATH}\n`
    )
  })

  it('refuses to remove a changer a drive still uses, with the server’s reason', async () => {
    await page.getByTestId('remove-changer-robot1').click()
    const confirm = page.getByTestId('confirm-dialog')
    await confirm.waitFor()
    await page.getByTestId('confirm-ok').click()
    const error = page.getByTestId('confirm-error')
    await error.waitFor()
    expect(await error.textContent()).toContain("changer 'robot1' is used by drive 'lto1'")
    await screenshot(page, 'library-remove-blocked')
    await page.getByTestId('confirm-cancel').click()
    await confirm.waitFor({ state: 'hidden' })
    expect(cliJson<Changer[]>(h.home, ['changer', 'list']).map((c) => c.name)).toEqual(['robot1'])
    await changerRow('robot1').waitFor()
  })

  it('edits a drive: moving it out of the changer deletes changer and drive number', async () => {
    await page.getByTestId('edit-drive-lto1').click()
    const dialog = page.getByTestId('drive-dialog')
    await dialog.waitFor()
    await expect.poll(() => field(page, 'drive-drivenum').inputValue()).toBe('1')
    await field(page, 'drive-drivenum').fill('')
    await page.getByTestId('drive-changer').click()
    await page.getByRole('option', { name: /none/ }).click()
    await page.getByTestId('form-save').click()
    await dialog.waitFor({ state: 'hidden' })
    await expect
      .poll(() => cliJson<Drive[]>(h.home, ['drive', 'list']))
      .toEqual([{ name: 'lto1', type: 'lto', path: DRIVE_PATH }])
    await expect
      .poll(async () => (await changerRow('robot1').textContent()) ?? '')
      .not.toContain('lto1')
  })

  it('creates a PBS virtual drive: a directory, a tape size, no changer', async () => {
    const dir = join(h.home, 'pbs-tapes')
    await page.getByTestId('add-drive').click()
    const dialog = page.getByTestId('drive-dialog')
    await dialog.waitFor()
    await page.getByTestId('drive-type').click()
    await page.getByRole('option', { name: /PBS virtual drive/ }).click()
    await page.getByTestId('drive-virtual-note').waitFor()
    expect(await page.getByTestId('drive-changer').count()).toBe(0)
    await field(page, 'drive-name').fill('pbsvd')
    await field(page, 'drive-path').fill(dir)
    await field(page, 'drive-max-size').fill('16')
    await screenshot(page, 'drive-editor-virtual')
    await page.getByTestId('form-save').click()
    await dialog.waitFor({ state: 'hidden' })
    await driveRow('pbsvd').waitFor()
    expect(cliJson<Drive[]>(h.home, ['drive', 'list'])).toContainEqual({
      name: 'pbsvd',
      type: 'virtual',
      path: dir,
      'max-size': 16 * 1024 * 1024
    })
    expect(await readConfig(h.home, 'tape.cfg')).toContain(
      `virtual: pbsvd\n\tmax-size 16777216\n\tpath ${dir}\n`
    )
    expect(existsSync(dir)).toBe(true)

    // editing keeps the kind and the directory, and changes the tape size
    await page.getByTestId('edit-drive-pbsvd').click()
    await dialog.waitFor()
    await expect.poll(() => field(page, 'drive-max-size').inputValue()).toBe('16')
    expect(await field(page, 'drive-path').isDisabled()).toBe(true)
    await field(page, 'drive-max-size').fill('32')
    await page.getByTestId('form-save').click()
    await dialog.waitFor({ state: 'hidden' })
    await expect
      .poll(() => cliJson<Drive[]>(h.home, ['drive', 'list']).find((d) => d.name === 'pbsvd'))
      .toMatchObject({ 'max-size': 32 * 1024 * 1024 })

    await page.getByTestId('remove-drive-pbsvd').click()
    await page.getByTestId('confirm-ok').click()
    await page.getByTestId('confirm-dialog').waitFor({ state: 'hidden' })
    await driveRow('pbsvd').waitFor({ state: 'detached' })
  })

  it('looks right in both themes', async () => {
    await screenshot(page, 'library-config')
    await setTheme(page, 'dark')
    await screenshot(page, 'library-config-dark')
    await setTheme(page, 'light')
  })

  it('removes the drive and then the changer', async () => {
    await page.getByTestId('remove-drive-lto1').click()
    await page.getByTestId('confirm-ok').click()
    await page.getByTestId('confirm-dialog').waitFor({ state: 'hidden' })
    await driveRow('lto1').waitFor({ state: 'detached' })
    await page.getByTestId('remove-changer-robot1').click()
    await page.getByTestId('confirm-ok').click()
    await page.getByTestId('confirm-dialog').waitFor({ state: 'hidden' })
    await changerRow('robot1').waitFor({ state: 'detached' })
    expect(cliJson<Drive[]>(h.home, ['drive', 'list'])).toEqual([])
    expect(cliJson<Changer[]>(h.home, ['changer', 'list'])).toEqual([])
  })

  it('had no page errors or CSP violations', () => {
    expect(h.pageErrors).toEqual([])
  })
})
