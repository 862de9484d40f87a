/**
 * The Dashboard on a fresh home: the one-click demo (`demo.run`, the steps of `tapedeck demo`)
 * runs to completion, after which the inventory holds tapes with content; then live drive
 * throughput of a backup (slowed down by the virtual library's timing model) and the summary.
 */
import { spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { CLI } from '../helpers/cli'
import { cli, cliJson, openView, screenshot, startHarness, type Harness } from './helpers'

let h: Harness
let page: Page

beforeAll(async () => {
  h = await startHarness()
  page = h.page
})

afterAll(async () => {
  await h?.close()
})

interface Content {
  'label-text': string
  'media-set-uuid': string
  snapshot: string
}

describe('dashboard', () => {
  it('offers the demo on an empty home', async () => {
    const offer = page.getByTestId('demo-offer')
    await offer.waitFor()
    expect(await offer.textContent()).toContain('tapedeck demo')
    await page.getByTestId('setup-offer').waitFor()
    await screenshot(page, 'dashboard-empty')
  })

  it('runs the demo in one click, with progress, to completion', async () => {
    await page.getByTestId('run-demo').click()
    const offer = page.getByTestId('demo-offer')
    await offer.getByTestId('demo-running').waitFor()
    // the demo task and its current step are among the running tasks
    await page.getByTestId('running-tasks-card').getByText('demo', { exact: true }).waitFor()
    await screenshot(page, 'dashboard-demo-running')
    await offer.getByTestId('demo-done').waitFor({ timeout: 110_000 })
    await screenshot(page, 'dashboard-demo-done')

    const content = cliJson<Content[]>(h.home, ['media', 'content', '--pool', 'demo'])
    expect(content.length).toBeGreaterThan(0)
    const tapes = [...new Set(content.map((c) => c['label-text']))]
    // the summary counts drive and tapes, and shows the backup's result
    const summary = page.getByTestId('summary-card')
    await summary.getByTestId('summary-drives').filter({ hasText: 'demo-0' }).waitFor()
    await summary.getByTestId('summary-last-backup').getByTestId('task-state-ok').waitFor()
    expect(await summary.getByTestId('summary-tapes').textContent()).toMatch(
      /4 known · 4 online · \d+ writable/
    )
    // the demo's restore verified: both datastores are there
    const stores = cliJson<{ name: string }[]>(h.home, ['datastore', 'list']).map((d) => d.name)
    expect(stores.sort()).toEqual(['demo', 'demo-restore'])

    await page.getByTestId('demo-open-media').click()
    await page.waitForURL(/#\/media/)
    await page.getByText(tapes[0]!).first().waitFor()
    await screenshot(page, 'dashboard-demo-media')
  }, 130_000)

  it('refuses to run the demo twice in one home', () => {
    const again = cli(h.home, ['demo', '--small'])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('already set up')
  })

  it('shows live drive throughput while a backup runs', async () => {
    await openView(page, 'dashboard')
    // 1 MB/s: the backup of the demo datastore into a new media set takes several seconds
    expect(cli(h.home, ['vlib', 'timing', 'demo', '--speed', '1MB']).code).toBe(0)
    const child = spawn(
      process.execPath,
      [CLI, '--home', h.home, 'backup', 'demo', 'demo', '--drive', 'demo-0', '--force-media-set'],
      { stdio: 'ignore', env: { ...process.env, TZ: 'UTC' } }
    )
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    try {
      const card = page.getByTestId('throughput-card')
      await card.waitFor({ timeout: 30_000 })
      const rate = card.getByTestId('throughput-mbps').first()
      await expect.poll(async () => rate.textContent(), { timeout: 30_000 }).toMatch(/^\d+\.\d$/)
      const mbps = Number(await rate.textContent())
      expect(mbps).toBeGreaterThan(0.2)
      expect(mbps).toBeLessThan(5)
      expect(await card.textContent()).toContain('backup demo → demo on drive demo-0')
      // a line of the rate samples so far
      await expect
        .poll(
          async () =>
            (await card.getByTestId('throughput-spark').first().getAttribute('points')) ?? '',
          {
            timeout: 20_000
          }
        )
        .toMatch(/^[\d.]+,[\d.]+ [\d.]+,[\d.]+/)
      await screenshot(page, 'dashboard-throughput')
    } finally {
      expect(await exited).toBe(0)
    }
    await page.getByTestId('throughput-card').waitFor({ state: 'detached', timeout: 20_000 })
  }, 120_000)

  it('had no page errors or CSP violations', () => {
    expect(h.pageErrors).toEqual([])
  })
})
