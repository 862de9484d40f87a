import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import {
  cliJson,
  field,
  makeDatastore,
  openView,
  readConfig,
  screenshot,
  setTheme,
  startHarness,
  type FakeDatastore,
  type Harness
} from './helpers'

interface TaskInfo {
  upid: string
  worker_type: string
  worker_id?: string
  state: string
  status?: string
}

let h: Harness
let page: Page
let store: FakeDatastore

beforeAll(async () => {
  h = await startHarness()
  page = h.page
  store = await makeDatastore(join(h.scratch, 'store1'))
  await openView(page, 'datastores')
  await page.getByRole('heading', { level: 1, name: 'Datastores' }).waitFor()
})

afterAll(async () => {
  await h?.close()
})

const row = (name: string) =>
  page.getByTestId('datastores-table').locator('tbody tr').filter({ hasText: name })
const details = () => page.getByTestId('datastore-details')

describe('datastores and tasks', () => {
  it('explains that a missing directory cannot be added', async () => {
    await page.getByTestId('add-datastore').click()
    const dialog = page.getByTestId('datastore-dialog')
    await dialog.waitFor()
    // serve mode in a browser: no native folder dialog, the path is typed
    expect(await page.getByTestId('datastore-browse').count()).toBe(0)
    await field(page, 'datastore-name').fill('store1')
    await field(page, 'datastore-path').fill(join(h.scratch, 'does-not-exist'))
    await page.getByTestId('form-save').click()
    const messages = page.getByTestId('datastore-path').locator('.v-messages')
    await expect.poll(async () => (await messages.textContent()) ?? '').toContain('does not exist')
    expect(cliJson<unknown[]>(h.home, ['datastore', 'list'])).toEqual([])
    await page.getByTestId('form-cancel').click()
    await dialog.waitFor({ state: 'hidden' })
  })

  it('adds a datastore and shows its disk usage', async () => {
    await page.getByTestId('add-datastore').click()
    const dialog = page.getByTestId('datastore-dialog')
    await dialog.waitFor()
    await field(page, 'datastore-name').fill('store1')
    await field(page, 'datastore-path').fill(store.path)
    await field(page, 'datastore-comment').fill('nightly PBS sync')
    await page.getByTestId('form-save').click()
    await dialog.waitFor({ state: 'hidden' })
    await row('store1').waitFor()
    expect(await row('store1').textContent()).toContain('nightly PBS sync')
    expect(cliJson<unknown[]>(h.home, ['datastore', 'list'])).toEqual([
      { name: 'store1', path: store.path, comment: 'nightly PBS sync' }
    ])
    expect(await readConfig(h.home, 'datastore.cfg')).toContain(
      `datastore: store1\n\tcomment nightly PBS sync\n\tpath ${store.path}\n`
    )
    await details().getByTestId('datastore-disk').waitFor()
    expect(await details().getByTestId('datastore-disk').textContent()).toMatch(
      /Total [\d.]+ (GiB|TiB|MiB)/
    )
    await details().getByTestId('datastore-never-scanned').waitFor()
  })

  it('scans it: live progress inline, then the counts', async () => {
    await details().getByTestId('datastore-scan').click()
    // 65 536 chunk directories take a few seconds: the running task shows its progress
    const progress = details().getByTestId('task-progress')
    await progress.waitFor()
    await expect
      .poll(async () => (await progress.textContent()) ?? '', { timeout: 20_000 })
      .toMatch(/\d+ % · [\d,]+ \/ 65,536/)
    expect(await page.getByTestId('running-count').textContent()).toBe('1 running')
    await screenshot(page, 'datastores-scanning')

    const result = details().getByTestId('scan-result')
    await result.waitFor({ timeout: 90_000 })
    expect(await result.textContent()).toContain('OK')
    const scan = details().getByTestId('datastore-last-scan')
    await scan.waitFor()
    expect(await scan.getByTestId('scan-namespaces').textContent()).toBe(String(store.namespaces))
    expect(await scan.getByTestId('scan-groups').textContent()).toBe(String(store.groups))
    expect(await scan.getByTestId('scan-snapshots').textContent()).toBe(String(store.snapshots))
    expect(await scan.getByTestId('scan-chunks').textContent()).toBe(String(store.chunks))
    // 146 860 bytes of chunk files, shown in binary units
    expect(store.chunkBytes).toBe(146_860)
    expect(await scan.getByTestId('scan-chunk-bytes').textContent()).toBe('143 KiB')
    await page.getByText('Idle').waitFor()
    await screenshot(page, 'datastores')
    await setTheme(page, 'dark')
    await screenshot(page, 'datastores-dark')
    await setTheme(page, 'light')
  })

  it('lists the scan in Tasks, finished OK', async () => {
    const list = cliJson<TaskInfo[]>(h.home, ['task', 'list'])
    expect(list).toHaveLength(1)
    expect(list[0]).toMatchObject({
      worker_type: 'datastore-scan',
      worker_id: 'store1',
      state: 'ok'
    })

    await openView(page, 'tasks')
    const taskRow = page.getByTestId('tasks-table').locator('tbody tr').filter({
      hasText: 'datastore-scan'
    })
    await taskRow.waitFor()
    expect(await taskRow.textContent()).toContain('store1')
    await taskRow.getByTestId('task-state-ok').waitFor()
    await screenshot(page, 'tasks')
  })

  it('shows the task log', async () => {
    await page.getByTestId('task-link-datastore-scan').click()
    await page.waitForURL(/#\/tasks\/UPID/)
    await page.getByRole('heading', { level: 1, name: 'Task datastore-scan store1' }).waitFor()
    const log = page.getByTestId('task-log')
    await expect
      .poll(async () => (await log.textContent()) ?? '')
      .toContain(`scanning datastore at ${store.path}`)
    expect(await log.textContent()).toContain(
      `found ${store.namespaces} namespaces, ${store.groups} backup groups, ${store.snapshots} finished snapshots`
    )
    expect(await log.textContent()).toContain(`found ${store.chunks} chunks`)
    expect(await page.getByTestId('task-stop').count()).toBe(0)
    await page.getByTestId('task-summary').getByTestId('task-state-ok').waitFor()
    await screenshot(page, 'task-log')
  })

  it('shows a running scan on the dashboard and in Tasks, follows its log and stops it', async () => {
    await openView(page, 'datastores')
    await details().getByTestId('datastore-scan').click()
    await details().getByTestId('task-progress').waitFor()

    await openView(page, 'dashboard')
    const card = page.getByTestId('running-tasks-card')
    await card.getByText('datastore-scan').waitFor()
    await card.getByTestId('task-progress').waitFor()
    await screenshot(page, 'dashboard-running')

    await openView(page, 'tasks')
    const running = page
      .getByTestId('tasks-table')
      .locator('tbody tr')
      .filter({
        has: page.getByTestId('task-progress')
      })
    await running.waitFor()
    expect(await running.textContent()).toContain('datastore-scan')
    await screenshot(page, 'tasks-running')

    await running.getByTestId('task-link-datastore-scan').click()
    await page.waitForURL(/#\/tasks\/UPID/)
    const log = page.getByTestId('task-log')
    await expect.poll(async () => (await log.textContent()) ?? '').toContain('scanning datastore')
    // lines written while we watch arrive through task.log events
    await expect
      .poll(async () => (await log.textContent()) ?? '', { timeout: 20_000 })
      .toContain('finished snapshots')
    await page.getByTestId('task-summary').getByTestId('task-progress').waitFor()
    await screenshot(page, 'task-log-running')
    await page.getByTestId('task-stop').click()
    await page
      .getByTestId('task-summary')
      .getByTestId('task-state-aborted')
      .waitFor({ timeout: 30_000 })
    await page.getByTestId('task-stop').waitFor({ state: 'detached' })
    const list = cliJson<TaskInfo[]>(h.home, ['task', 'list'])
    expect(list.map((t) => t.state).sort()).toEqual(['aborted', 'ok'])
    await page.getByText('Idle').waitFor()
  })

  it('removes the datastore from the registry only', async () => {
    await openView(page, 'datastores')
    await page.getByTestId('remove-datastore-store1').click()
    await page.getByTestId('confirm-ok').click()
    await page.getByTestId('confirm-dialog').waitFor({ state: 'hidden' })
    await row('store1').waitFor({ state: 'detached' })
    expect(cliJson<unknown[]>(h.home, ['datastore', 'list'])).toEqual([])
    const { existsSync } = await import('node:fs')
    expect(existsSync(join(store.path, '.chunks'))).toBe(true)
  })

  it('had no page errors or CSP violations', () => {
    expect(h.pageErrors).toEqual([])
  })
})
