/**
 * The Restore view: a media set written by a backup (set up through the API), its snapshots from
 * the catalog, two of them dragged onto a second datastore, the restore plan, the task with live
 * progress, and the restored files compared byte for byte with the source. Then the whole set.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { createDatastore } from '../../main/core/datastore/datastore-writer'
import { writeDemoDatastore } from '../../main/core/datastore/demo'
import { parseSnapshotName, snapshotDir } from '../../main/core/datastore/layout'
import { harnessApi, openView, screenshot, setTheme, startHarness, type Harness } from './helpers'

let h: Harness
let page: Page
let setUuid: string
const MIB = 1024 * 1024

const { api, waitTask } = harnessApi(() => h, { taskTimeoutMs: 120_000 })

beforeAll(async () => {
  h = await startHarness()
  page = h.page
  await api('vlib.create', {
    name: 'lib',
    path: join(h.scratch, 'lib'),
    drives: 1,
    slots: 6,
    tapes: 4,
    'tape-size': 64 * MIB
  })
  await api('pool.create', { name: 'daily' })
  await waitTask((await api('drive.barcode-label', { drive: 'lib-0', pool: 'daily' })).upid)
  // Datastores with chunk prefix directories made on demand: quick to create and remove.
  await writeDemoDatastore(
    join(h.scratch, 'demo'),
    { seed: 3, vms: 2, cts: 1, hosts: 0, snapshots: 2, diskSize: 4 * MIB, namespaces: true },
    { prefixDirs: 'on-demand' }
  )
  await api('datastore.add', { name: 'demo', path: join(h.scratch, 'demo') })
  const { upid } = await api('tape.backup', { store: 'demo', pool: 'daily', drive: 'lib-0' })
  await waitTask(upid)
  setUuid = (await api('media.list', {})).find((m) => m['media-set-uuid'])!['media-set-uuid']!
  for (const name of ['target', 'whole']) {
    await createDatastore(join(h.scratch, name), { prefixDirs: 'on-demand' })
    await api('datastore.add', { name, path: join(h.scratch, name) })
  }
}, 180_000)

afterAll(async () => {
  await h?.close()
})

/** Every file of the snapshot directory, source against target. */
async function expectSameFiles(sourceRoot: string, targetRoot: string, snapshot: string) {
  const path = parseSnapshotName(snapshot)
  const from = snapshotDir(sourceRoot, path)
  const to = snapshotDir(targetRoot, path)
  const files = (await readdir(from)).filter((f) => f !== 'owner' && !f.startsWith('.'))
  expect(files.length).toBeGreaterThan(1)
  for (const f of files) {
    expect((await readFile(join(to, f))).equals(await readFile(join(from, f))), f).toBe(true)
  }
}

describe('restore view', () => {
  let chosen: string[]

  it('lists the media set and the snapshots in it, grouped by store and namespace', async () => {
    await openView(page, 'restore')
    await page.getByRole('heading', { level: 1, name: 'Restore' }).waitFor()
    await page.getByTestId(`media-set-${setUuid}`).waitFor()
    expect(await page.getByTestId(`media-set-${setUuid}`).textContent()).toContain('daily')
    const snaps = page.getByTestId('set-snapshots').locator('[data-testid^="snap-demo:"]')
    const source = await api('datastore.snapshots', { name: 'demo' })
    await expect.poll(() => snaps.count()).toBe(source.length)
    expect(await page.getByTestId('set-snapshots').textContent()).toContain('prod')
    await page.getByTestId('drop-target:').waitFor()
    await page.getByTestId('drop-whole:').waitFor()
    await screenshot(page, 'restore-view')
  })

  it('drags two snapshots onto a datastore, shows the plan, restores them', async () => {
    const snaps = page.getByTestId('set-snapshots').locator('[data-testid^="snap-demo:"]')
    const keys = await snaps.evaluateAll((els) =>
      els.map((e) => e.getAttribute('data-testid')!.slice('snap-'.length))
    )
    // One from the root namespace and one from prod.
    chosen = [
      keys.find((k) => k.startsWith('demo:vm/'))!,
      keys.find((k) => k.startsWith('demo:ns/prod/'))!
    ]
    expect(chosen.every(Boolean)).toBe(true)
    for (const key of chosen) await page.getByTestId(`snap-${key}`).getByRole('checkbox').check()
    expect(await page.getByTestId('selection-count').textContent()).toContain('2 selected')

    await page.getByTestId(`snap-${chosen[0]}`).dragTo(page.getByTestId('drop-target:'))
    const dialog = page.getByTestId('restore-dialog')
    await dialog.waitFor()
    expect(await dialog.textContent()).toContain('Restore 2 snapshots into target, root namespace')
    const plan = dialog.getByTestId('restore-plan')
    await plan.waitFor()
    expect(await plan.getAttribute('data-mode')).toBe('selective')
    const tapeRows = dialog.getByTestId('restore-plan-tapes').locator('tbody tr')
    expect(await tapeRows.count()).toBeGreaterThan(0)
    expect(await tapeRows.first().textContent()).toContain('TAPE01L9')
    expect(await tapeRows.first().getByTestId('plan-tape-online').textContent()).toContain('online')
    expect(await tapeRows.first().textContent()).toMatch(/slot \d+ of lib|in drive 0 of lib/)
    const writes = dialog.getByTestId('restore-plan-writes')
    for (const key of chosen) {
      const target = `target:${key.slice('demo:'.length).replace(/^ns\/prod\//, '')}`
      const row = writes.getByTestId(`plan-write-${target}`)
      await row.waitFor()
      expect(await row.getAttribute('data-exists')).toBe('false')
    }
    expect(await dialog.getByTestId('restore-plan-estimate').textContent()).toMatch(/estimated/)
    expect(await dialog.getByTestId('restore-drive').textContent()).toContain('lib-0')
    await page.waitForTimeout(350)
    await page.screenshot({
      path: join(__dirname, '..', '..', 'test-artifacts', 'screenshots', 'restore-plan.png')
    })

    await dialog.getByTestId('action-run').click()
    await dialog.locator('[data-testid="task-run"][data-state="ok"]').waitFor({ timeout: 120_000 })
    await dialog.getByTestId('restore-result').waitFor()
    expect(await dialog.getByTestId('restore-result').textContent()).toContain(
      '2 snapshots written'
    )
    await page.waitForTimeout(350)
    await page.screenshot({
      path: join(__dirname, '..', '..', 'test-artifacts', 'screenshots', 'restore-done.png')
    })
    await dialog.getByTestId('action-cancel').click()
    await dialog.waitFor({ state: 'hidden' })

    // Both are in the target's root namespace, byte for byte, and verify (every chunk there).
    const restored = await api('datastore.snapshots', { name: 'target' })
    const expected = chosen.map((k) => k.slice('demo:'.length).replace(/^ns\/prod\//, ''))
    expect(restored.map((s) => s.snapshot).sort()).toEqual(expected.sort())
    for (const key of chosen) {
      const path = parseSnapshotName(key.slice('demo:'.length))
      const from = snapshotDir(join(h.scratch, 'demo'), path)
      const to = snapshotDir(join(h.scratch, 'target'), { ...path, ns: [] })
      const files = (await readdir(from)).filter((f) => !f.startsWith('.'))
      expect(files.length).toBeGreaterThan(1)
      for (const f of files)
        expect((await readFile(join(to, f))).equals(await readFile(join(from, f))), f).toBe(true)
    }
    await waitTask((await api('datastore.verify', { name: 'target' })).upid)
  })

  it('dropping the same snapshots again plans them as already there', async () => {
    for (const key of chosen) await page.getByTestId(`snap-${key}`).getByRole('checkbox').check()
    await page.getByTestId('restore-here-target:').click()
    const dialog = page.getByTestId('restore-dialog')
    await dialog.getByTestId('restore-plan').waitFor()
    const rows = dialog.getByTestId('restore-plan-writes').locator('[data-exists="true"]')
    await expect.poll(() => rows.count()).toBe(2)
    expect(await dialog.getByTestId('action-run').isDisabled()).toBe(true)
    await dialog.getByTestId('action-cancel').click()
    await dialog.waitFor({ state: 'hidden' })
    await page.getByTestId('selection-clear').click()
  })

  it('restores the whole media set into another datastore', async () => {
    await page.getByTestId('restore-whole-set').click()
    const pick = page.getByTestId('whole-set-dialog')
    await pick.waitFor()
    await page.getByTestId('whole-set-target').click()
    await page.getByRole('option', { name: 'whole', exact: true }).click()
    await pick.getByTestId('whole-set-next').click()
    const dialog = page.getByTestId('restore-dialog')
    await dialog.getByTestId('restore-plan').waitFor()
    expect(await dialog.getByTestId('restore-plan').getAttribute('data-mode')).toBe('full')
    await dialog.getByTestId('restore-plan-full').waitFor()
    await dialog.getByTestId('action-run').click()
    await dialog.locator('[data-testid="task-run"][data-state="ok"]').waitFor({ timeout: 120_000 })
    await dialog.getByTestId('action-cancel').click()
    const source = await api('datastore.snapshots', { name: 'demo' })
    const whole = await api('datastore.snapshots', { name: 'whole' })
    expect(whole.length).toBe(source.length)
    for (const s of source)
      await expectSameFiles(join(h.scratch, 'demo'), join(h.scratch, 'whole'), s.snapshot)
    await setTheme(page, 'dark')
    await screenshot(page, 'restore-view-dark')
    await setTheme(page, 'light')
    expect(h.pageErrors).toEqual([])
  })
})
