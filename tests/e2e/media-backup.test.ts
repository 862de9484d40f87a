/**
 * Backup jobs and the media inventory: a virtual library, a pool with barcode-labelled tapes and a
 * tiny demo datastore are set up through the API; the UI creates a backup job, runs it and then
 * finds the written tape and its snapshot in the Media view.
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

const { api, waitTask } = harnessApi(() => h)

beforeAll(async () => {
  h = await startHarness()
  page = h.page
  await api('vlib.create', {
    name: 'lib',
    path: join(h.scratch, 'lib'),
    drives: 1,
    slots: 4,
    tapes: 3,
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
}, 120_000)

afterAll(async () => {
  await h?.close()
})

async function pick(testid: string, option: string): Promise<void> {
  await page.getByTestId(testid).click()
  await page.getByRole('option', { name: option, exact: true }).click()
}

describe('backup jobs and media', () => {
  it('shows the labelled tapes as empty media of the pool', async () => {
    await openView(page, 'media')
    await page.getByRole('heading', { level: 1, name: 'Media' }).waitFor()
    const rows = page.getByTestId('media-table').locator('tbody tr')
    await expect.poll(() => rows.count()).toBe(3)
    expect(await rows.first().textContent()).toContain('daily')
    expect(await rows.first().getByTestId('media-status').textContent()).toContain('empty')
    await rows.first().click()
    await page.getByTestId('media-content-empty').waitFor()
  })

  it('creates a backup job with a schedule preview', async () => {
    await openView(page, 'backup')
    await page.getByRole('heading', { level: 1, name: 'Backup' }).waitFor()
    await page.getByTestId('add-job').click()
    const dialog = page.getByTestId('backup-job-dialog')
    await dialog.waitFor()
    await field(page, 'job-id').fill('nightly')
    await pick('job-store', 'demo')
    await pick('job-pool', 'daily')
    await pick('job-drive', 'lib-0')
    await field(page, 'job-schedule').fill('mon..fri 22:00')
    const preview = page.getByTestId('schedule-preview')
    await preview.waitFor()
    expect(await preview.locator('li').count()).toBe(5)
    await field(page, 'job-filters').fill('type:vm')
    await field(page, 'job-filters').press('Enter')
    await page.getByTestId('job-latest-only').locator('input').check()
    await field(page, 'job-comment').fill('weeknights to tape')
    await screenshot(page, 'backup-job-editor')
    await page.getByTestId('form-save').click()
    await dialog.waitFor({ state: 'hidden' })
    const row = page.getByTestId('job-row-nightly')
    await row.waitFor()
    const text = (await row.textContent()) ?? ''
    for (const s of ['demo', 'daily', 'lib-0', 'mon..fri 22:00', 'type:vm', 'never']) {
      expect(text).toContain(s)
    }
    const [job] = await api('backup-job.list', {})
    expect(job).toMatchObject({
      id: 'nightly',
      store: 'demo',
      pool: 'daily',
      drive: 'lib-0',
      schedule: 'mon..fri 22:00',
      'group-filter': ['type:vm'],
      'latest-only': true,
      comment: 'weeknights to tape'
    })
    expect(job['next-run']).toBeGreaterThan(Date.now() / 1000)
  })

  it('runs the job now and follows its task to the end', async () => {
    await page.getByTestId('run-job-nightly').click()
    const dialog = page.getByTestId('run-job-dialog')
    await dialog.waitFor()
    await dialog.getByTestId('action-run').click()
    await dialog.locator('[data-testid="task-run"][data-state="ok"]').waitFor({ timeout: 60_000 })
    await screenshot(page, 'backup-job-run-done')
    await dialog.getByTestId('action-cancel').click()
    await dialog.waitFor({ state: 'hidden' })
    const last = page.getByTestId('job-last-nightly')
    await expect.poll(async () => (await last.textContent()) ?? '').toContain('OK')
    await screenshot(page, 'backup-jobs')
    await setTheme(page, 'dark')
    await screenshot(page, 'backup-jobs-dark')
    await setTheme(page, 'light')
    await last.click()
    await page.waitForURL(/#\/tasks\/UPID/)
  })

  it('shows the written tape and the snapshot on it in the Media view', async () => {
    await openView(page, 'media')
    const used = await api('media.list', {})
    const written = used.find((m) => m['media-set-uuid'])
    expect(written).toBeDefined()
    const label = written!['label-text']
    const row = page.getByTestId(`media-row-${label}`)
    await row.waitFor()
    await expect
      .poll(async () => (await row.getByTestId('media-status').textContent())?.trim())
      .toMatch(/writable|full/)
    expect(await row.textContent()).toContain(written!['media-set-uuid']!.slice(0, 8))
    await row.click()
    const content = page.getByTestId('media-content-table')
    await content.waitFor()
    await expect
      .poll(async () => (await content.textContent()) ?? '')
      .toMatch(/demo\s*vm\/\d+\/\d{4}-\d\d-\d\dT/)
    // filters: status and pool
    await pick('media-filter-status', 'empty')
    await expect.poll(() => page.getByTestId('media-table').locator('tbody tr').count()).toBe(2)
    await page.getByTestId('media-count-empty').click()
    await expect.poll(() => page.getByTestId('media-table').locator('tbody tr').count()).toBe(3)
    await screenshot(page, 'media')
    await setTheme(page, 'dark')
    await screenshot(page, 'media-dark')
    await setTheme(page, 'light')
    expect(h.pageErrors).toEqual([])
  })

  it('edits the job: clearing the comment and the schedule deletes them', async () => {
    await openView(page, 'backup')
    await page.getByTestId('edit-job-nightly').click()
    const dialog = page.getByTestId('backup-job-dialog')
    await dialog.waitFor()
    await expect.poll(() => field(page, 'job-comment').inputValue()).toBe('weeknights to tape')
    await field(page, 'job-comment').fill('')
    await field(page, 'job-schedule').fill('')
    await page.getByTestId('job-eject').locator('input').check()
    await page.getByTestId('form-save').click()
    await dialog.waitFor({ state: 'hidden' })
    await expect
      .poll(async () => (await page.getByTestId('job-row-nightly').textContent()) ?? '')
      .toContain('by hand')
    const { config } = await api('backup-job.config', { id: 'nightly' })
    expect(config.comment).toBeUndefined()
    expect(config.schedule).toBeUndefined()
    expect(config['eject-media']).toBe(true)
    expect(config['group-filter']).toEqual(['type:vm'])
  })

  it('backs up once without a job', async () => {
    await page.getByTestId('backup-now').click()
    const dialog = page.getByTestId('backup-now-dialog')
    await dialog.waitFor()
    await pick('now-store', 'demo')
    await pick('now-pool', 'daily')
    await pick('now-drive', 'lib-0')
    await dialog.getByTestId('action-run').click()
    await dialog.locator('[data-testid="task-run"][data-state="ok"]').waitFor({ timeout: 60_000 })
    // the snapshot is on the media set already
    await expect.poll(async () => (await dialog.textContent()) ?? '').toContain('1 skipped')
    await dialog.getByTestId('action-cancel').click()
    await dialog.waitFor({ state: 'hidden' })
  })

  it('removes the job after confirmation', async () => {
    await page.getByTestId('remove-job-nightly').click()
    const confirm = page.getByTestId('confirm-dialog')
    await confirm.waitFor()
    await page.getByTestId('confirm-ok').click()
    await confirm.waitFor({ state: 'hidden' })
    await page.getByTestId('job-row-nightly').waitFor({ state: 'detached' })
    expect(await api('backup-job.list', {})).toEqual([])
    expect(h.pageErrors).toEqual([])
  })
})
