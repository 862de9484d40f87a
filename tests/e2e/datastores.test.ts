import { existsSync } from 'node:fs'
import { mkdir, open, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import {
  cliJson,
  field,
  makeDatastore,
  openView,
  readConfig,
  screenshot,
  SCREENSHOT_DIR,
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
    expect(existsSync(join(store.path, '.chunks'))).toBe(true)
  })

  it('had no page errors or CSP violations', () => {
    expect(h.pageErrors).toEqual([])
  })
})

interface SnapshotInfo {
  ns: string
  'backup-type': string
  'backup-id': string
  snapshot: string
}

/** Screenshot of what the window shows (for dialogs: a full-page shot cuts their backdrop). */
async function shot(name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true })
  await page.waitForTimeout(350)
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) })
}

/** Full-page screenshot from the top (a scrolled page would show the app bar mid-page). */
async function full(name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0))
  await screenshot(page, name)
}

/** Every chunk file of a datastore with its size, largest first. */
async function chunkFiles(path: string): Promise<{ file: string; digest: string; size: number }[]> {
  const out: { file: string; digest: string; size: number }[] = []
  const root = join(path, '.chunks')
  for (const prefix of await readdir(root)) {
    for (const digest of await readdir(join(root, prefix))) {
      const file = join(root, prefix, digest)
      out.push({ file, digest, size: (await stat(file)).size })
    }
  }
  return out.sort((a, b) => b.size - a.size)
}

/** Flips every bit of one byte in the middle of a file, in place. */
async function flipByte(file: string): Promise<void> {
  const fh = await open(file, 'r+')
  try {
    const { size } = await fh.stat()
    const at = Math.floor(size / 2)
    const buf = Buffer.alloc(1)
    await fh.read(buf, 0, 1, at)
    buf[0] = buf[0]! ^ 0xff
    await fh.write(buf, 0, 1, at)
  } finally {
    await fh.close()
  }
}

describe('datastore contents: demo, browse, verify, create, remove', () => {
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await full(`FAIL-${ctx.task.name.slice(0, 20)}`)
  })
  const demoPath = () => join(h.scratch, 'demo1')
  const browser = () => page.getByTestId('datastore-browser')
  const verifyDialog = () => page.getByTestId('verify-dialog')

  async function runVerify(): Promise<void> {
    const dialog = verifyDialog()
    await dialog.waitFor()
    await dialog.getByTestId('action-run').click()
    await dialog.getByTestId('verify-result').waitFor({ timeout: 60_000 })
  }

  async function closeVerify(): Promise<void> {
    await verifyDialog().getByTestId('action-cancel').click()
    await verifyDialog().waitFor({ state: 'hidden' })
  }

  it('says what to do when no datastore is registered', async () => {
    const empty = page.getByTestId('datastores-empty')
    await empty.waitFor()
    for (const way of ['add', 'create', 'demo']) await empty.getByTestId(`empty-${way}`).waitFor()
    expect(await page.getByTestId('datastores-table').count()).toBe(0)
    await full('datastores-none')
    await setTheme(page, 'dark')
    await full('datastores-none-dark')
    await setTheme(page, 'light')
  })

  it('writes a small demo datastore from the Demo dialog', async () => {
    await page.getByTestId('empty-demo').click()
    const dialog = page.getByTestId('demo-dialog')
    await dialog.waitFor()
    // the path follows the name until it is edited
    await field(page, 'demo-name').fill('demo1')
    await expect
      .poll(() => field(page, 'demo-path').inputValue())
      .toBe(join(h.home, 'datastores', 'demo1'))
    await field(page, 'demo-path').fill(demoPath())
    await field(page, 'demo-seed').fill('7')
    await field(page, 'demo-vms').fill('1')
    await field(page, 'demo-cts').fill('1')
    await field(page, 'demo-hosts').fill('0')
    await field(page, 'demo-snapshots').fill('2')
    await field(page, 'demo-disk-size').fill('8')
    expect(await field(page, 'demo-namespaces').isChecked()).toBe(true)
    const estimate = dialog.getByTestId('demo-estimate')
    await expect.poll(async () => (await estimate.textContent()) ?? '').toMatch(/about [\d.]+ MiB/)
    expect(await estimate.textContent()).toContain(demoPath())
    await shot('datastore-demo-dialog')

    await dialog.getByTestId('action-run').click()
    const run = dialog.getByTestId('task-run')
    await run.waitFor()
    // live progress in bytes of source data while it writes
    const progress = dialog.getByTestId('task-progress')
    // (the 65 536 chunk directories come first: that can take half a minute on a busy disk)
    await expect
      .poll(async () => (await progress.textContent()) ?? '', { timeout: 100_000 })
      .toMatch(/\d+ % · [\d.]+ (KiB|MiB) \/ [\d.]+ MiB/)
    await shot('datastore-demo-running')
    await expect
      .poll(() => run.getAttribute('data-state'), { timeout: 90_000 })
      .not.toMatch(/starting|running/)
    expect(await run.getAttribute('data-state')).toBe('ok')
    expect(await dialog.getByTestId('demo-running').textContent()).toContain('is ready')
    await shot('datastore-demo-done')
    await dialog.getByTestId('action-cancel').click()
    await dialog.waitFor({ state: 'hidden' })

    await row('demo1').waitFor()
    expect(cliJson(h.home, ['datastore', 'list'])).toEqual([
      { name: 'demo1', path: demoPath(), comment: 'demo data' }
    ])
    await details().getByRole('heading', { name: 'demo1' }).waitFor()
    await details().getByTestId('datastore-never-verified').waitFor()
  })

  it('browses namespace → group → snapshot and shows its files', async () => {
    const all = cliJson<SnapshotInfo[]>(h.home, ['datastore', 'snapshots', 'demo1'])
    // one VM and one container, two snapshots each, spread over the root and prod
    expect(all).toHaveLength(4)
    const nsOf = (type: string) => all.find((s) => s['backup-type'] === type)!.ns
    expect(nsOf('vm')).toBe('')
    expect(nsOf('ct')).toBe('prod')

    await browser().waitFor()
    for (const ns of ['root', 'prod', 'prod/db', 'dev']) {
      await browser().getByTestId(`ns-${ns}`).waitFor()
    }
    // the root namespace comes first, with its VM group shown right away
    await browser().getByTestId('group-vm/100').waitFor()
    await browser().getByTestId('browser-group').filter({ hasText: 'vm/100' }).waitFor()
    const vms = all.filter((s) => s['backup-type'] === 'vm')
    for (const s of vms) await browser().getByTestId(`snapshot-${s.snapshot}`).waitFor()
    // the demo protects the newest snapshot of its first group
    const newestVm = browser().getByTestId(
      `snapshot-${vms
        .map((s) => s.snapshot)
        .sort()
        .at(-1)}`
    )
    await newestVm.getByTestId('snapshot-protected').waitFor()
    await full('datastore-browse-root')

    await browser().getByTestId('ns-prod').click()
    await expect
      .poll(async () => (await browser().getByTestId('browser-namespace').textContent())?.trim())
      .toBe('prod')
    const group = browser().getByTestId('group-ct/200')
    await group.waitFor()
    expect(await group.textContent()).toContain('root@pam')
    await group.click()
    await browser().getByTestId('browser-group').filter({ hasText: 'ct/200' }).waitFor()

    const snapshots = browser().getByTestId('snapshots-table')
    const cts = all.filter((s) => s['backup-type'] === 'ct').map((s) => s.snapshot)
    for (const s of cts) await snapshots.getByTestId(`snapshot-${s}`).waitFor()
    // newest first
    const newest = [...cts].sort().at(-1)!
    const first = snapshots.locator('tbody tr').first()
    expect(await first.getAttribute('data-testid')).toBe(`snapshot-${newest}`)
    expect(await first.textContent()).toMatch(/\d+(\.\d+)? (KiB|MiB)/)

    await first.getByTestId('snapshot-expand').click()
    const files = snapshots.getByTestId('snapshot-files')
    await files.waitFor()
    const names = await files.getByTestId('snapshot-file').allTextContents()
    expect(names.some((t) => t.includes('root.pxar.didx'))).toBe(true)
    expect(names.some((t) => t.includes('pct.conf.blob'))).toBe(true)
    expect(names.join('\n')).toContain('not encrypted')
    await full('datastore-browse')
    await setTheme(page, 'dark')
    await full('datastore-browse-dark')
    await setTheme(page, 'light')
  })

  it('verifies the datastore: no damage', async () => {
    await details().getByTestId('verify-datastore').click()
    await runVerify()
    const ok = verifyDialog().getByTestId('verify-ok')
    await ok.waitFor()
    expect(await ok.textContent()).toMatch(/4 snapshots, [\d,]+ chunks verified, no damage/)
    await verifyDialog().getByTestId('task-state-ok').waitFor()
    await shot('datastore-verify-ok')
    await closeVerify()
    const last = details().getByTestId('datastore-last-verify')
    await last.waitFor()
    expect(await last.getAttribute('data-ok')).toBe('true')
    expect(await last.textContent()).toContain('no damage')
  })

  it('finds a damaged chunk and lists the snapshots that use it', async () => {
    const chunks = await chunkFiles(demoPath())
    const victim = chunks[0]!
    await flipByte(victim.file)

    // (the theme toggle cannot be reached while a dialog is open)
    await setTheme(page, 'dark')
    await details().getByTestId('verify-datastore').click()
    await runVerify()
    const result = verifyDialog().getByTestId('verify-result')
    expect(await result.getAttribute('data-ok')).toBe('false')
    expect(await result.getByTestId('verify-damage').textContent()).toContain('1 bad chunk')
    const bad = result.getByTestId('bad-chunk')
    expect(await bad.count()).toBe(1)
    expect(await bad.getByTestId('bad-chunk-digest').textContent()).toBe(
      `${victim.digest.slice(0, 12)}…`
    )
    expect(await bad.getByTestId('bad-chunk-digest').getAttribute('title')).toBe(victim.digest)
    const users = (await bad.getByTestId('bad-chunk-snapshots').locator('div').allTextContents())
      .map((t) => t.trim())
      .filter(Boolean)
    expect(users.length).toBeGreaterThan(0)
    const known = cliJson<SnapshotInfo[]>(h.home, ['datastore', 'snapshots', 'demo1']).map(
      (s) => s.snapshot
    )
    for (const u of users) expect(known).toContain(u)
    // the failed task says so too
    await verifyDialog().getByTestId('task-run-error').waitFor()

    // the full digest goes to the clipboard
    await h.context.grantPermissions(['clipboard-read', 'clipboard-write'])
    await bad.getByTestId('copy').click()
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(victim.digest)
    await shot('datastore-verify-damage-dark')
    await closeVerify()
    await setTheme(page, 'light')

    const last = details().getByTestId('datastore-last-verify')
    await expect.poll(() => last.getAttribute('data-ok')).toBe('false')
    expect(await last.textContent()).toContain('1 bad chunk')
    await last.getByTestId('last-verify-toggle').click()
    await last.getByTestId('bad-chunk').waitFor()
    await full('datastore-last-verify-damage')
  })

  it('verifies one namespace and one snapshot', async () => {
    await browser().getByTestId('ns-prod').click()
    await browser().getByTestId('verify-namespace').click()
    expect(await verifyDialog().textContent()).toContain('namespace prod')
    await runVerify()
    // prod holds the container's two snapshots only
    const text = (await verifyDialog().getByTestId('verify-result').textContent()) ?? ''
    expect(text).toMatch(/2 snapshots, [\d,]+ chunks verified/)
    await closeVerify()

    const snapshots = browser().getByTestId('snapshots-table')
    const first = snapshots.locator('tbody tr').first()
    await first.getByTestId('verify-snapshot').click()
    expect(await verifyDialog().textContent()).toMatch(/ns\/prod\/ct\/200\//)
    await runVerify()
    expect(await verifyDialog().getByTestId('verify-result').textContent()).toMatch(
      /1 snapshot, [\d,]+ chunks verified/
    )
    await shot('datastore-verify-snapshot')
    await closeVerify()
  })

  it('creates an empty datastore, and refuses a directory that is not empty', async () => {
    await page.getByTestId('create-datastore').click()
    const dialog = page.getByTestId('datastore-dialog')
    await dialog.getByRole('heading', { name: 'Create datastore' }).waitFor()
    await field(page, 'datastore-name').fill('empty1')
    await field(page, 'datastore-path').fill(demoPath())
    await page.getByTestId('form-save').click()
    const messages = page.getByTestId('datastore-path').locator('.v-messages')
    await expect.poll(async () => (await messages.textContent()) ?? '').toContain('not empty')
    await shot('datastore-create-not-empty')

    const path = join(h.scratch, 'empty1')
    await field(page, 'datastore-path').fill(path)
    await field(page, 'datastore-comment').fill('restore target')
    await page.getByTestId('form-save').click()
    await dialog.waitFor({ state: 'hidden', timeout: 60_000 })
    await row('empty1').waitFor()
    expect((await readdir(join(path, '.chunks'))).length).toBe(65536)

    await page.getByTestId('select-datastore-empty1').click()
    await details().getByRole('heading', { name: 'empty1' }).waitFor()
    const empty = browser().getByTestId('datastore-empty')
    await empty.waitFor()
    expect(await empty.textContent()).toContain('No snapshots yet')
    await full('datastore-created-empty')
  })

  it('removes a datastore from the configuration only; its files stay', async () => {
    await page.getByTestId('remove-datastore-demo1').click()
    const confirm = page.getByTestId('confirm-dialog')
    await confirm.waitFor()
    expect(await confirm.textContent()).toContain('stay on disk')
    expect(await confirm.getByTestId('remove-path').textContent()).toContain(demoPath())
    await shot('datastore-remove-confirm')
    await page.getByTestId('confirm-ok').click()
    await confirm.waitFor({ state: 'hidden' })
    await row('demo1').waitFor({ state: 'detached' })
    expect(cliJson<{ name: string }[]>(h.home, ['datastore', 'list']).map((d) => d.name)).toEqual([
      'empty1'
    ])
    expect(existsSync(join(demoPath(), '.chunks'))).toBe(true)
    expect(existsSync(join(demoPath(), 'ns', 'prod', 'ct', '200'))).toBe(true)
  })

  it('had no page errors', () => {
    expect(h.pageErrors).toEqual([])
  })
})
