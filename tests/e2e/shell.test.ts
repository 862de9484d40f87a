import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import {
  launchBrowser,
  openView,
  screenshot,
  setTheme,
  startHarness,
  type Harness
} from './helpers'

let h: Harness
let page: Page

beforeAll(async () => {
  h = await startHarness()
  page = h.page
})

afterAll(async () => {
  await h?.close()
})

describe('app shell', () => {
  it('takes the token out of the address and shows the dashboard', async () => {
    expect(page.url()).not.toContain('token=')
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Dashboard')
    const info = page.getByTestId('system-info')
    await info.getByTestId('info-home').filter({ hasText: h.home }).waitFor()
    expect(await info.getByTestId('info-version').textContent()).toMatch(/\d+\.\d+\.\d+/)
    for (const what of ['drives', 'changers', 'pools', 'datastores']) {
      await page
        .getByTestId(`count-${what}`)
        .getByTestId('count-value')
        .filter({ hasText: '0' })
        .waitFor()
    }
    expect(await page.getByTestId('dashboard-note').textContent()).toContain(
      'Drive throughput shows here'
    )
  })

  it('keeps working after a reload (token kept for the tab)', async () => {
    await page.reload()
    await page.getByTestId('info-home').filter({ hasText: h.home }).waitFor()
    expect(await page.getByTestId('connection-help').count()).toBe(0)
  })

  it('switches theme and remembers it', async () => {
    await setTheme(page, 'light')
    await screenshot(page, 'dashboard-light')
    await setTheme(page, 'dark')
    await screenshot(page, 'dashboard-dark')
    await page.reload()
    await page.locator('.v-application.v-theme--dark').waitFor()
    await setTheme(page, 'light')
  })

  it('Settings shows the home directory and version', async () => {
    await openView(page, 'settings')
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor()
    await page.getByTestId('settings-home').filter({ hasText: h.home }).waitFor()
    await screenshot(page, 'settings')
    await page.getByTestId('settings-theme-dark').locator('input').check()
    await page.locator('.v-application.v-theme--dark').waitFor()
    await screenshot(page, 'settings-dark')
    await page.getByTestId('settings-theme-light').locator('input').check()
    await page.locator('.v-application.v-theme--light').waitFor()
  })

  it('reaches every view from the keyboard', async () => {
    await openView(page, 'dashboard')
    await page.getByTestId('nav-pools').focus()
    await page.keyboard.press('Enter')
    await page.waitForURL(/#\/pools/)
    // focus moves to the new page's title
    await expect(page.evaluate(() => document.activeElement?.tagName)).resolves.toBe('H1')
  })

  it('without the token, tells the admin where to get it', async () => {
    const browser = await launchBrowser()
    try {
      const p = await browser.newPage()
      await p.goto(`http://127.0.0.1:${h.server.port}/`)
      const help = p.getByTestId('connection-help')
      await help.waitFor()
      expect(await help.textContent()).toContain(
        'Open the address printed by tapedeck serve (it contains the access token)'
      )
      await screenshot(p, 'no-token')
    } finally {
      await browser.close()
    }
  })

  it('with a wrong token, says the token is not accepted', async () => {
    const browser = await launchBrowser()
    try {
      const p = await browser.newPage()
      await p.goto(`http://127.0.0.1:${h.server.port}/#token=0123456789abcdef`)
      const help = p.getByTestId('connection-help')
      await help.waitFor({ timeout: 15_000 })
      expect(await help.textContent()).toContain('Open the address printed by tapedeck serve')
    } finally {
      await browser.close()
    }
  })

  it('had no page errors or CSP violations', () => {
    expect(h.pageErrors).toEqual([])
  })

  it('shows a banner when the server goes away', async () => {
    await h.server.close()
    const banner = page.getByTestId('connection-lost')
    await banner.waitFor({ timeout: 15_000 })
    expect(await banner.textContent()).toContain('Connection to Tapedeck lost — reconnecting…')
    await screenshot(page, 'connection-lost')
  })
})
