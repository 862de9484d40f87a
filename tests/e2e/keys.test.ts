import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import {
  cli,
  cliJson,
  field,
  openView,
  screenshot,
  screenshotBothThemes,
  startHarness,
  type Harness
} from './helpers'
import { TapeKeyStore } from '../../main/core/crypto/tape-keys'
import { sessionSealer } from '../helpers/session-sealer'

interface KeyInfo {
  fingerprint: string
  hint: string
  kdf: string
  created: string
  modified: string
  'has-plain-key': boolean
  pools: string[]
}

const PASSWORD = 'correct horse battery staple'
const NEW_PASSWORD = 'Tr0ub4dor & 3 more words'

let h: Harness
let page: Page
/** the key created through the UI */
let fp = ''
/** its paper key as the preview shows it (protected by PASSWORD) */
let paperText = ''

beforeAll(async () => {
  h = await startHarness()
  page = h.page
  await openView(page, 'keys')
  await page.getByRole('heading', { level: 1, name: 'Keys' }).waitFor()
})

afterAll(async () => {
  await h?.close()
})

const row = (hint: string) =>
  page.getByTestId('keys-table').locator('tbody tr').filter({ hasText: hint })
const preview = () => page.frameLocator('[data-testid="paperkey-preview"]')

const bothThemes = (name: string) => screenshotBothThemes(page, name)

describe('tape encryption keys', () => {
  it('explains keys when there are none', async () => {
    const empty = page.getByTestId('keys-empty')
    await empty.waitFor()
    expect(await empty.textContent()).toMatch(/paper key/)
    await bothThemes('keys-empty')
  })

  it('creates a key: hint, password twice with a strength meter, the loss warning', async () => {
    await page.getByTestId('keys-empty-create').click()
    const dialog = page.getByTestId('key-create-dialog')
    await dialog.waitFor()
    expect(await page.getByTestId('key-loss-warning').textContent()).toMatch(
      /nobody.*can read those tapes again/
    )
    await field(page, 'key-hint').fill('offsite 2026')

    const meter = page.getByTestId('password-strength')
    await field(page, 'new-password').fill('abc')
    await expect.poll(() => meter.getAttribute('data-level')).toBe('too-short')
    expect(await page.getByTestId('new-password').textContent()).toContain('At least 5 bytes')
    await field(page, 'new-password').fill('abcde1')
    await expect.poll(() => meter.getAttribute('data-level')).toBe('weak')
    expect(await meter.textContent()).toContain('Shorter than 12 characters')
    await field(page, 'new-password').fill(PASSWORD)
    await expect.poll(() => meter.getAttribute('data-level')).toBe('strong')

    await field(page, 'new-password-repeat').fill(PASSWORD + 'x')
    expect(await page.getByTestId('new-password-repeat').textContent()).toContain(
      'The passwords differ'
    )
    await field(page, 'new-password-repeat').fill(PASSWORD)
    // not before the warning was acknowledged
    expect(await page.getByTestId('form-save').isDisabled()).toBe(true)
    await page.getByTestId('key-understood').locator('input').check()
    expect(await page.getByTestId('form-save').isDisabled()).toBe(false)
    await bothThemes('key-create')

    await page.getByTestId('form-save').click()
    await dialog.waitFor({ state: 'hidden' })

    const keys = cliJson<KeyInfo[]>(h.home, ['key', 'list'])
    expect(keys).toHaveLength(1)
    expect(keys[0]).toMatchObject({ hint: 'offsite 2026', kdf: 'scrypt', 'has-plain-key': true })
    fp = keys[0]!.fingerprint
    expect(fp).toMatch(/^([0-9a-f]{2}:){31}[0-9a-f]{2}$/)
  })

  it('offers the paper key right away: preview with the BEGIN marker and the QR image', async () => {
    const dialog = page.getByTestId('paperkey-dialog')
    await dialog.waitFor()
    await page.getByTestId('key-created').waitFor()
    const text = preview().locator('p').filter({ hasText: '-----BEGIN PROXMOX BACKUP KEY-----' })
    await text.waitFor()
    paperText = (await text.textContent()) ?? ''
    expect(paperText).toContain('-----END PROXMOX BACKUP KEY-----')
    expect(paperText).toContain(fp)
    const img = preview().locator('img')
    expect(await img.getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/)
    // the image really rendered
    await expect
      .poll(() => img.evaluate((i: HTMLImageElement) => i.naturalWidth))
      .toBeGreaterThan(0)

    await field(page, 'paperkey-subject').fill('Site B vault')
    await preview().locator('p', { hasText: 'Subject: Site B vault' }).waitFor()
    await bothThemes('key-paperkey')

    // in the browser, Print prints the preview frame (stubbed here: headless has no printer)
    await page.evaluate(() => {
      const frame = document.querySelector<HTMLIFrameElement>('[data-testid="paperkey-preview"]')!
      const w = frame.contentWindow as Window & { printed?: boolean }
      w.print = () => {
        w.printed = true
      }
    })
    await page.getByTestId('paperkey-print').click()
    await expect
      .poll(() =>
        page.evaluate(
          () =>
            (
              document.querySelector<HTMLIFrameElement>('[data-testid="paperkey-preview"]')!
                .contentWindow as Window & { printed?: boolean }
            ).printed === true
        )
      )
      .toBe(true)
    // and offers the HTML file
    const download = page.waitForEvent('download')
    await page.getByTestId('paperkey-download').click()
    expect((await download).suggestedFilename()).toMatch(/^paperkey-[0-9a-f]{16}\.html$/)
    await page.getByTestId('paperkey-close').click()
    await dialog.waitFor({ state: 'hidden' })
  })

  it('lists the key with hint, short fingerprint, KDF and drive key state', async () => {
    await row('offsite 2026').waitFor()
    await bothThemes('keys-list')
    const text = (await row('offsite 2026').textContent()) ?? ''
    expect(text).toContain('scrypt')
    expect(text).toContain('ready')
    expect(text).toContain('none')
    const short = row('offsite 2026').getByTestId('key-fingerprint')
    expect(await short.getAttribute('title')).toBe(fp)
    expect(await short.textContent()).toContain(fp.slice(0, 11))
  })

  it('changes the password: a wrong current one is refused in the form', async () => {
    const before = cliJson<KeyInfo[]>(h.home, ['key', 'list'])[0]!
    await page.getByTestId('key-passphrase-offsite 2026').click()
    const dialog = page.getByTestId('key-passphrase-dialog')
    await dialog.waitFor()
    await expect.poll(() => field(page, 'key-new-hint').inputValue()).toBe('offsite 2026')
    await field(page, 'key-current-password').fill('not the password')
    await field(page, 'new-password').fill(NEW_PASSWORD)
    await field(page, 'new-password-repeat').fill(NEW_PASSWORD)
    await field(page, 'key-new-hint').fill('offsite 2026 v2')
    await page.getByTestId('form-save').click()
    const error = page.getByTestId('key-current-password').locator('.v-messages')
    // the server runs the slow KDF (scrypt) before it can say the password is wrong
    await expect
      .poll(async () => (await error.textContent()) ?? '', { timeout: 20_000 })
      .toMatch(/wrong password/)
    expect(await error.textContent()).toContain(fp)
    await bothThemes('key-passphrase-error')

    await field(page, 'key-current-password').fill(PASSWORD)
    await page.getByTestId('form-save').click()
    await dialog.waitFor({ state: 'hidden' })
    await page.getByTestId('keys-done').waitFor()
    await row('offsite 2026 v2').waitFor()
    const after = cliJson<KeyInfo[]>(h.home, ['key', 'list'])[0]!
    expect(after.fingerprint).toBe(fp)
    expect(after.hint).toBe('offsite 2026 v2')
    expect(after.modified >= before.modified).toBe(true)
    // the new password opens the key config: a paper key of it restores with NEW_PASSWORD below
  })

  it('refuses to remove a key a pool uses, naming the pool; removes it after', async () => {
    expect(cli(h.home, ['pool', 'create', 'vault', '--encrypt', fp]).code).toBe(0)
    await page.getByTestId('keys-refresh').click()
    await row('offsite 2026 v2').getByTestId('key-pool-vault').waitFor()

    await page.getByTestId('key-remove-offsite 2026 v2').click()
    const confirm = page.getByTestId('confirm-dialog')
    await confirm.waitFor()
    expect(await confirm.textContent()).toMatch(/become unreadable/)
    await bothThemes('key-remove-confirm')
    await page.getByTestId('confirm-ok').click()
    const error = page.getByTestId('confirm-error')
    await error.waitFor()
    expect(await error.textContent()).toContain("used by media pool 'vault'")
    // trying again would not help: only Close is left
    expect(await page.getByTestId('confirm-ok').count()).toBe(0)
    await bothThemes('key-remove-refused')
    await page.getByTestId('confirm-cancel').click()
    await confirm.waitFor({ state: 'hidden' })
    expect(cliJson<KeyInfo[]>(h.home, ['key', 'list'])).toHaveLength(1)

    expect(cli(h.home, ['pool', 'update', 'vault', '--delete', 'encrypt']).code).toBe(0)
    await page.getByTestId('keys-refresh').click()
    await row('offsite 2026 v2').getByText('none').waitFor()
    await page.getByTestId('key-remove-offsite 2026 v2').click()
    await confirm.waitFor()
    await page.getByTestId('confirm-ok').click()
    await confirm.waitFor({ state: 'hidden' })
    await page.getByTestId('keys-empty').waitFor()
    expect(cliJson<KeyInfo[]>(h.home, ['key', 'list'])).toEqual([])
  })

  it('restores from the paper key text; a wrong password names fingerprint and hint', async () => {
    await page.getByTestId('restore-key').click()
    const dialog = page.getByTestId('key-restore-dialog')
    await dialog.waitFor()
    await page.getByTestId('key-restore-text').locator('textarea').first().fill(paperText)
    await field(page, 'key-restore-password').fill(NEW_PASSWORD)
    await page.getByTestId('form-save').click()
    const error = page.getByTestId('key-restore-password').locator('.v-messages')
    // the server runs the slow KDF (scrypt) before it can say the password is wrong
    await expect
      .poll(async () => (await error.textContent()) ?? '', { timeout: 20_000 })
      .toMatch(/wrong password/)
    // the printed paper key still carries the old hint and wants the old password
    expect(await error.textContent()).toContain(fp)
    expect(await error.textContent()).toContain('offsite 2026')
    await bothThemes('key-restore-error')
    expect(cliJson<KeyInfo[]>(h.home, ['key', 'list'])).toEqual([])

    await field(page, 'key-restore-password').fill(PASSWORD)
    await page.getByTestId('form-save').click()
    await dialog.waitFor({ state: 'hidden' })
    const done = page.getByTestId('keys-done')
    await done.waitFor()
    expect(await done.textContent()).toContain(fp)
    expect(await done.textContent()).toContain('offsite 2026')
    const keys = cliJson<KeyInfo[]>(h.home, ['key', 'list'])
    expect(keys.map((k) => k.fingerprint)).toEqual([fp])
    expect(keys[0]!['has-plain-key']).toBe(true)
  })

  it('offers the drives for a restore from tape and shows why a tape has no key', async () => {
    const lib = join(h.scratch, 'lib')
    expect(
      cli(h.home, ['vlib', 'create', 'lib', '--path', lib, '--tapes', '2', '--tape-size', '16MiB'])
        .code
    ).toBe(0)
    expect(cli(h.home, ['barcode-label', '--drive', 'lib-0']).code).toBe(0)
    const label = cliJson<{ 'label-text': string }[]>(h.home, ['media', 'list'])
      .map((m) => m['label-text'])
      .sort()[0]!
    // a labeled tape without a media set: it holds no key (loading it may find it loaded already)
    cli(h.home, ['load-media', label, '--drive', 'lib-0'])
    await page.getByTestId('restore-key').click()
    const dialog = page.getByTestId('key-restore-dialog')
    await dialog.waitFor()
    await page.getByTestId('key-restore-from-drive').click()
    await page.getByTestId('key-restore-drive').click()
    await page.getByRole('option', { name: /lib-0/ }).click()
    await field(page, 'key-restore-password').fill(PASSWORD)
    await bothThemes('key-restore-drive')
    await page.getByTestId('form-save').click()
    const error = dialog
      .locator('.v-messages, [data-testid="form-error"]')
      .filter({ hasText: /\S/ })
    await error.first().waitFor()
    expect(await error.first().textContent()).toMatch(/\S/)
    await screenshot(page, 'key-restore-drive-error')
    await page.getByTestId('form-cancel').click()
    await dialog.waitFor({ state: 'hidden' })
  })

  it('lets the pool editor choose a key by hint instead of typing a fingerprint', async () => {
    await openView(page, 'pools')
    await page.getByTestId('edit-pool-vault').click()
    const dialog = page.getByTestId('pool-dialog')
    await dialog.waitFor()
    await page.getByTestId('pool-encrypt').click()
    await page.getByTestId(`key-option-${fp}`).click()
    await page.getByTestId('pool-encrypt').filter({ hasText: 'offsite 2026' }).waitFor()
    await bothThemes('pool-editor-key')
    await page.getByTestId('form-save').click()
    await dialog.waitFor({ state: 'hidden' })
    expect(cliJson<{ name: string; encrypt?: string }[]>(h.home, ['pool', 'list'])).toEqual([
      { name: 'vault', encrypt: fp }
    ])
    // and back to none
    await page.getByTestId('edit-pool-vault').click()
    await dialog.waitFor()
    await page.getByTestId('pool-encrypt').filter({ hasText: 'offsite 2026' }).waitFor()
    await page.getByTestId('pool-encrypt').click()
    await page.getByTestId('key-option-none').click()
    await page.getByTestId('form-save').click()
    await dialog.waitFor({ state: 'hidden' })
    expect(cliJson<{ name: string; encrypt?: string }[]>(h.home, ['pool', 'list'])).toEqual([
      { name: 'vault' }
    ])
  })

  it('shows a key the desktop app sealed, which this browser session cannot reseal', async () => {
    const app = new TapeKeyStore(h.home, sessionSealer())
    await app.create({ password: PASSWORD, hint: 'sealed in app', kdf: 'pbkdf2' })
    await openView(page, 'keys')
    await page.getByTestId('keys-refresh').click()
    const storage = page.getByTestId('key-storage-sealed in app')
    await storage.waitFor()
    expect(await storage.textContent()).toMatch(/ready\s*sealed/)
    expect(await page.getByTestId('key-storage-offsite 2026').textContent()).toMatch(/key file/)
    expect(await storage.getAttribute('title')).toMatch(/only the app/)
    // serve mode has no secret store: no sealing notice, no seal/unseal buttons
    expect(await page.getByTestId('keys-sealing').count()).toBe(0)
    expect(await page.locator('[data-testid^="key-seal-"]').count()).toBe(0)
    await bothThemes('keys-sealed')
  })

  it('had no page errors or CSP violations', () => {
    expect(h.pageErrors).toEqual([])
  })
})
