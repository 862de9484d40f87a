/**
 * Media view row actions and server-side paging: a virtual library with more tapes than fit on a
 * page, one small backup; then, in the UI, set a status, move a tape to a vault, rebuild a
 * catalog, and remove tapes from the inventory (refused for a tape with data until forced).
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import {
  field,
  harnessApi,
  openView,
  screenshot,
  setTheme,
  startHarness,
  type Harness
} from './helpers'

let h: Harness
let page: Page
let written: string

const { api, waitTask } = harnessApi(() => h)

const tape = async (label: string) =>
  (await api('media.list', {})).find((m) => m['label-text'] === label)

beforeAll(async () => {
  h = await startHarness()
  page = h.page
  await api('vlib.create', {
    name: 'lib',
    path: join(h.scratch, 'lib'),
    drives: 1,
    slots: 14,
    tapes: 12,
    'tape-size': 64 * 1024 * 1024
  })
  await api('pool.create', { name: 'daily' })
  await waitTask((await api('drive.barcode-label', { drive: 'lib-0', pool: 'daily' })).upid)
  await waitTask(
    (
      await api('datastore.demo', {
        name: 'demo',
        path: join(h.scratch, 'demo'),
        vms: 1,
        cts: 0,
        hosts: 0,
        snapshots: 1,
        'disk-size': 4 * 1024 * 1024,
        namespaces: false
      })
    ).upid
  )
  await waitTask((await api('tape.backup', { store: 'demo', pool: 'daily', drive: 'lib-0' })).upid)
  written = (await api('media.list', {})).find((m) => m['media-set-uuid'])!['label-text']
}, 180_000)

afterAll(async () => {
  await h?.close()
})

const rows = () => page.getByTestId('media-table').locator('tbody tr')

async function rowAction(label: string, action: string): Promise<void> {
  await page.getByTestId(`media-actions-${label}`).click()
  await page.getByTestId(`media-action-${action}`).click()
}

describe('media view actions', () => {
  it('pages the inventory on the server', async () => {
    await openView(page, 'media')
    await page.getByRole('heading', { level: 1, name: 'Media' }).waitFor()
    await expect.poll(() => rows().count()).toBe(12)
    // 10 a page
    await page
      .getByTestId('media-table')
      .locator('.v-data-table-footer__items-per-page .v-field')
      .click()
    await page.getByRole('option', { name: '10', exact: true }).click()
    await expect.poll(() => rows().count()).toBe(10)
    await page.getByRole('button', { name: 'Next page' }).click()
    await expect.poll(() => rows().count()).toBe(2)
    await expect.poll(async () => (await rows().first().textContent()) ?? '').toContain('TAPE11L9')
    await page.getByRole('button', { name: 'Previous page' }).click()
    await field(page, 'media-search').fill('TAPE1')
    await expect.poll(() => rows().count()).toBe(3) // TAPE10, 11, 12
    await field(page, 'media-search').fill('')
    await expect.poll(() => rows().count()).toBe(10)
    await page
      .getByTestId('media-table')
      .locator('.v-data-table-footer__items-per-page .v-field')
      .click()
    await page.getByRole('option', { name: '25', exact: true }).click()
    await expect.poll(() => rows().count()).toBe(12)
  })

  it('sets a status', async () => {
    await rowAction('TAPE12L9', 'status')
    await page.getByTestId('media-status-damaged').locator('input').check()
    await page.getByTestId('confirm-ok').click()
    await expect.poll(async () => (await tape('TAPE12L9'))?.status).toBe('damaged')
    const row = page.getByTestId('media-row-TAPE12L9')
    await expect
      .poll(async () => (await row.getByTestId('media-status').textContent())?.trim())
      .toBe('damaged')
    expect(await page.getByTestId('media-count-damaged').textContent()).toContain('1')
  })

  it('moves a tape to a vault', async () => {
    await rowAction('TAPE11L9', 'move')
    await field(page, 'media-move-vault-name').fill('bank-safe')
    await screenshot(page, 'media-move-dialog')
    await page.getByTestId('confirm-ok').click()
    await expect.poll(async () => (await tape('TAPE11L9'))?.location).toBe('vault-bank-safe')
    await expect
      .poll(async () => (await page.getByTestId('media-row-TAPE11L9').textContent()) ?? '')
      .toContain('vault bank-safe')
  })

  it('rebuilds the catalog of the written tape', async () => {
    const before = await api('media.content', { 'label-text': written })
    expect(before.length).toBeGreaterThan(0)
    await rowAction(written, 'catalog')
    const dialog = page.getByTestId('media-catalog-dialog')
    await dialog.waitFor()
    await page.getByTestId('media-catalog-force').locator('input').check()
    await screenshot(page, 'media-catalog-dialog')
    await page.getByTestId('action-run').click()
    await expect
      .poll(async () => (await dialog.textContent()) ?? '', { timeout: 30_000 })
      .toMatch(/restored the catalog of/)
    await page.getByTestId('action-cancel').click()
    expect(await api('media.content', { 'label-text': written })).toEqual(before)
  })

  it('removes tapes from the inventory after a confirmation', async () => {
    // an empty tape: one click
    await rowAction('TAPE10L9', 'destroy')
    expect(await page.getByTestId('media-destroy-text').textContent()).toContain(
      'Nothing on the cartridge is changed'
    )
    await page.getByTestId('action-run').click()
    await expect.poll(async () => await tape('TAPE10L9')).toBeUndefined()

    // the tape with data: only once "force" is ticked
    await rowAction(written, 'destroy')
    const run = page.getByTestId('media-destroy-dialog').getByTestId('action-run')
    await run.waitFor()
    expect(await run.isDisabled()).toBe(true)
    await page.getByTestId('media-destroy-force').locator('input').check()
    await screenshot(page, 'media-destroy-dialog')
    expect(await run.isDisabled()).toBe(false)
    await run.click()
    await expect.poll(async () => await tape(written)).toBeUndefined()
    await expect.poll(() => rows().count()).toBe(10)
    await screenshot(page, 'media-actions')
    await setTheme(page, 'dark')
    await screenshot(page, 'media-actions-dark')
    await setTheme(page, 'light')
    expect(h.pageErrors).toEqual([])
  })
})
