import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import {
  cli,
  cliJson,
  field,
  openView,
  readConfig,
  screenshot,
  setTheme,
  startHarness,
  type Harness
} from './helpers'

interface Pool {
  name: string
  allocation?: string
  retention?: string
  template?: string
  encrypt?: string
  comment?: string
}

let h: Harness
let page: Page

beforeAll(async () => {
  h = await startHarness()
  page = h.page
  await openView(page, 'pools')
  await page.getByRole('heading', { level: 1, name: 'Pools' }).waitFor()
})

afterAll(async () => {
  await h?.close()
})

const dialog = () => page.getByTestId('pool-dialog')
const row = (p: Page, name: string) =>
  p.getByTestId('pools-table').locator('tbody tr').filter({ hasText: name })

/** Waits until the message under a field (error or hint) matches. */
async function fieldMessage(testid: string, expected: RegExp | string): Promise<void> {
  const messages = page.getByTestId(testid).locator('.v-messages')
  await expect.poll(async () => (await messages.textContent()) ?? '').toMatch(expected)
  await page.locator(`[data-testid="${testid}"].v-input--error`).waitFor()
}

describe('media pools', () => {
  it('creates a pool with a live preview of allocation and retention', async () => {
    await page.getByTestId('add-pool').click()
    await dialog().waitFor()
    await field(page, 'pool-name').fill('nightly')
    await field(page, 'pool-allocation').fill('mon..fri 22:00')
    await field(page, 'pool-retention').fill('2 weeks')

    const allocation = page.getByTestId('allocation-preview')
    await allocation.waitFor()
    expect(await allocation.textContent()).toContain('Mon..Fri *-*-* 22:00:00')
    expect(await allocation.locator('li').count()).toBe(5)
    // the browser runs in UTC: every occurrence is a weekday at 22:00
    for (const text of await allocation.locator('li').allTextContents()) {
      expect(text).toMatch(/^(Mon|Tue|Wed|Thu|Fri).*22:00/)
    }
    const retention = page.getByTestId('retention-preview')
    await retention.waitFor()
    expect(await retention.textContent()).toContain('2w')
    expect(await retention.textContent()).toContain('2 weeks')
    expect(await retention.textContent()).toContain('1,209,600 seconds')
    await screenshot(page, 'pool-editor')

    await page.getByTestId('form-save').click()
    await dialog().waitFor({ state: 'hidden' })
    await row(page, 'nightly').waitFor()
    expect(await row(page, 'nightly').textContent()).toContain('mon..fri 22:00')
  })

  it('is in media-pool.cfg (PBS section-config) and in `tapedeck pool list`', async () => {
    const pools = cliJson<Pool[]>(h.home, ['pool', 'list'])
    expect(pools).toEqual([{ name: 'nightly', allocation: 'mon..fri 22:00', retention: '2 weeks' }])
    const cfg = await readConfig(h.home, 'media-pool.cfg')
    expect(cfg).toContain('pool: nightly\n\tallocation mon..fri 22:00\n\tretention 2 weeks\n')
  })

  it('is still listed after a reload', async () => {
    await page.reload()
    await row(page, 'nightly').waitFor()
    expect(await row(page, 'nightly').textContent()).toContain('2 weeks')
  })

  it('shows the server error for an invalid allocation and creates nothing', async () => {
    await page.getByTestId('add-pool').click()
    await dialog().waitFor()
    await field(page, 'pool-name').fill('broken')
    await field(page, 'pool-allocation').fill('mon..fri 25:00')
    await fieldMessage('pool-allocation', 'hour value 25 is out of range (0-23)')
    await field(page, 'pool-retention').fill('2 fortnights')
    await fieldMessage('pool-retention', /fortnights/)
    await expect(page.getByTestId('form-save').isDisabled()).resolves.toBe(true)
    await screenshot(page, 'pool-editor-invalid')
    // Enter in a field does not submit either
    await field(page, 'pool-name').press('Enter')
    await page.waitForTimeout(300)
    await dialog().waitFor()
    await page.getByTestId('form-cancel').click()
    await dialog().waitFor({ state: 'hidden' })
    expect(cliJson<Pool[]>(h.home, ['pool', 'list']).map((p) => p.name)).toEqual(['nightly'])
    expect(await readConfig(h.home, 'media-pool.cfg')).not.toContain('broken')
  })

  it('shows the server error for a bad name next to the name field', async () => {
    await page.getByTestId('add-pool').click()
    await dialog().waitFor()
    await field(page, 'pool-name').fill('-bad')
    await page.getByTestId('form-save').click()
    await fieldMessage('pool-name', /^pool name may contain only/)
    await page.getByTestId('form-cancel').click()
    expect(cliJson<Pool[]>(h.home, ['pool', 'list']).map((p) => p.name)).toEqual(['nightly'])
  })

  it('updates only what changed and deletes cleared fields', async () => {
    await page.getByTestId('edit-pool-nightly').click()
    await dialog().waitFor()
    await expect.poll(() => field(page, 'pool-allocation').inputValue()).toBe('mon..fri 22:00')
    await field(page, 'pool-comment').fill('weekday nights')
    await field(page, 'pool-retention').fill('30 days')
    await page.getByTestId('retention-preview').filter({ hasText: '4w 2d' }).waitFor()
    await page.getByTestId('form-save').click()
    await dialog().waitFor({ state: 'hidden' })
    await row(page, 'nightly').filter({ hasText: 'weekday nights' }).waitFor()
    expect(cliJson<Pool[]>(h.home, ['pool', 'list'])).toEqual([
      {
        name: 'nightly',
        allocation: 'mon..fri 22:00',
        retention: '30 days',
        comment: 'weekday nights'
      }
    ])

    await page.getByTestId('edit-pool-nightly').click()
    await dialog().waitFor()
    await expect.poll(() => field(page, 'pool-comment').inputValue()).toBe('weekday nights')
    await field(page, 'pool-comment').fill('')
    await field(page, 'pool-allocation').fill('')
    await page.getByTestId('form-save').click()
    await dialog().waitFor({ state: 'hidden' })
    await row(page, 'nightly').filter({ hasText: 'continue (default)' }).waitFor()
    expect(cliJson<Pool[]>(h.home, ['pool', 'list'])).toEqual([
      { name: 'nightly', retention: '30 days' }
    ])
    expect(await readConfig(h.home, 'media-pool.cfg')).toContain(
      'pool: nightly\n\tretention 30 days\n'
    )
  })

  it('refuses to overwrite a change made elsewhere meanwhile', async () => {
    await page.getByTestId('edit-pool-nightly').click()
    await dialog().waitFor()
    await expect.poll(() => field(page, 'pool-retention').inputValue()).toBe('30 days')
    expect(cli(h.home, ['pool', 'update', 'nightly', '--comment', 'changed by the CLI']).code).toBe(
      0
    )
    await field(page, 'pool-retention').fill('keep')
    await page.getByTestId('form-save').click()
    const error = page.getByTestId('form-error')
    await error.waitFor()
    expect(await error.textContent()).toMatch(
      /changed by someone else.*Reload shows the current values/
    )
    await screenshot(page, 'pool-editor-conflict')
    // nothing was overwritten
    expect(cliJson<Pool[]>(h.home, ['pool', 'list'])[0]).toMatchObject({
      retention: '30 days',
      comment: 'changed by the CLI'
    })
    await page.getByTestId('form-reload').click()
    await expect.poll(() => field(page, 'pool-comment').inputValue()).toBe('changed by the CLI')
    await page.getByTestId('form-cancel').click()
    await dialog().waitFor({ state: 'hidden' })
  })

  it('keeps a second window in sync', async () => {
    const other = await h.newPage()
    try {
      await openView(other, 'pools')
      await row(other, 'nightly').waitFor()
      await page.getByTestId('add-pool').click()
      await field(page, 'pool-name').fill('monthly')
      await field(page, 'pool-allocation').fill('monthly')
      await page.getByTestId('allocation-preview').waitFor()
      await field(page, 'pool-retention').fill('1 year')
      await page.getByTestId('retention-preview').waitFor()
      await page.getByTestId('form-save').click()
      await dialog().waitFor({ state: 'hidden' })
      // the other window learns about it from the config.changed event, without a reload
      await row(other, 'monthly').waitFor()
      expect(await row(other, 'monthly').textContent()).toContain('1 year')
    } finally {
      await other.close()
    }
  })

  it('previews the next backup per pool: no tape, then a new set, then continuing it', async () => {
    const next = () => page.getByTestId('pool-next-nightly')
    await next().getByText('no tape available').waitFor()
    expect(await next().textContent()).toContain('none available: label or add tapes')

    const lib = join(h.scratch, 'lib')
    expect(
      cli(h.home, ['vlib', 'create', 'lib', '--path', lib, '--tapes', '3', '--tape-size', '16MiB'])
        .code
    ).toBe(0)
    expect(cli(h.home, ['barcode-label', '--drive', 'lib-0', '--pool', 'nightly']).code).toBe(0)
    const labels = cliJson<{ 'label-text': string }[]>(h.home, ['media', 'list'])
      .map((m) => m['label-text'])
      .sort()
    expect(labels).toHaveLength(3)
    // a task of another process that ends within the core's poll interval sends no event: refresh
    await page.getByTestId('pools-refresh').click()
    await next().getByText('new media set').waitFor()
    expect(await next().textContent()).toContain(`on ${labels[0]} (empty tape of the pool)`)
    expect(await next().getByTestId('pool-next-reason').textContent()).toContain(
      'the pool has no media set yet'
    )
    const tapes = page.getByTestId('pool-tapes-nightly')
    for (const l of labels) {
      expect(await tapes.getByTestId(`pool-tape-${l}`).textContent()).toContain('writable')
    }
    expect(await tapes.textContent()).toContain('no media set yet')

    // a backup starts a set; the next one continues it on the same tape
    expect(
      cli(h.home, [
        'datastore',
        'demo',
        'store1',
        '--path',
        join(h.scratch, 'store1'),
        '--vms',
        '1',
        '--cts',
        '0',
        '--hosts',
        '0',
        '--snapshots',
        '1',
        '--disk-size',
        '4MiB'
      ]).code
    ).toBe(0)
    expect(cli(h.home, ['backup', 'store1', 'nightly', '--drive', 'lib-0']).code).toBe(0)
    await page.getByTestId('pools-refresh').click()
    await next().getByText('continue media set').waitFor()
    const preview = cliJson<{ 'media-set-name': string; 'next-media-label': string }>(h.home, [
      'pool',
      'preview',
      'nightly'
    ])
    expect(await next().textContent()).toContain(
      `“${preview['media-set-name']}” on ${preview['next-media-label']} (appending)`
    )
    await tapes.getByTestId('pool-current-set').waitFor()
    expect(await tapes.getByTestId('pool-current-set').textContent()).toContain(
      preview['media-set-name']
    )
    await screenshot(page, 'pools-preview')
  })

  it('looks right in both themes', async () => {
    await setTheme(page, 'light')
    await screenshot(page, 'pools-light')
    await setTheme(page, 'dark')
    await screenshot(page, 'pools-dark')
    await page.getByTestId('edit-pool-monthly').click()
    await page.getByTestId('allocation-preview').waitFor()
    await screenshot(page, 'pool-editor-dark')
    await page.getByTestId('form-cancel').click()
    await dialog().waitFor({ state: 'hidden' })
    await setTheme(page, 'light')
  })

  it('removes a pool after confirmation', async () => {
    await page.getByTestId('remove-pool-monthly').click()
    const confirm = page.getByTestId('confirm-dialog')
    await confirm.waitFor()
    expect(await confirm.textContent()).toContain('Remove pool monthly?')
    await page.getByTestId('confirm-ok').click()
    await confirm.waitFor({ state: 'hidden' })
    await row(page, 'monthly').waitFor({ state: 'detached' })
    expect(cliJson<Pool[]>(h.home, ['pool', 'list']).map((p) => p.name)).toEqual(['nightly'])
  })

  it('had no page errors or CSP violations', () => {
    expect(h.pageErrors).toEqual([])
  })
})
