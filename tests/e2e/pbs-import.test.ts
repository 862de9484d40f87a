/**
 * "Import from PBS" wizard, through serve mode: a PBS host built by the independent writers
 * (tests/helpers/pbs-host.ts), a Tapedeck home that already has a pool `offsite` with other
 * settings. The wizard shows a directory error next to its field, previews counts per kind and the
 * skipped pool with its reason, imports, and the tapes are then in Media like any other, their
 * snapshots listed by `media content` from the imported catalogs.
 */
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { keyFingerprint } from '../../main/core/crypto/key-config'
import {
  PBS_LABELS,
  writePbsHost,
  writePbsMediaSet,
  type PbsTapeSummary
} from '../helpers/pbs-host'
import {
  cli,
  cliJson,
  field,
  openView,
  screenshotBothThemes,
  startHarness,
  type Harness
} from './helpers'

let h: Harness
let page: Page
let summary: PbsTapeSummary
let fingerprint: string
const host = () => join(h.scratch, 'host')

beforeAll(async () => {
  h = await startHarness()
  page = h.page
  summary = writePbsMediaSet(
    join(h.scratch, 'source'),
    join(h.scratch, 'drive'),
    join(h.scratch, 'expected.json')
  )
  const key = createHash('sha256').update('pbs-import e2e key').digest()
  fingerprint = keyFingerprint(key)
  await writePbsHost(host(), { drive: join(h.scratch, 'drive'), summary, key, fingerprint })
  // a pool of the same name with other settings: the import must skip it, saying why
  const pool = cli(h.home, ['pool', 'create', 'offsite', '--retention', '1 week'])
  expect(pool.code, pool.stderr).toBe(0)
})

afterAll(async () => {
  await h?.close()
})

const bothThemes = (name: string) => screenshotBothThemes(page, name)

const dialog = () => page.getByTestId('pbs-import-dialog')
const count = (kind: string, action: string) =>
  dialog().getByTestId(`pbs-count-${kind}-${action}`).textContent()

describe('import from PBS wizard', () => {
  it('is offered on the first start, next to the setup wizard', async () => {
    await openView(page, 'dashboard')
    const offer = page.getByTestId('setup-offer')
    await offer.waitFor()
    await bothThemes('pbs-import-0-dashboard')
    await offer.getByTestId('pbs-import-open').click()
    await dialog().waitFor()
    await dialog().getByTestId('pbs-cancel').click()
    await dialog().waitFor({ state: 'hidden' })
  })

  it('opens from Media with the PBS defaults and says nothing there is changed', async () => {
    await openView(page, 'media')
    await page.getByRole('heading', { level: 1, name: 'Media' }).waitFor()
    await page.getByTestId('pbs-import-open').click()
    await dialog().waitFor()
    expect(await field(page, 'pbs-config-dir').inputValue()).toBe('/etc/proxmox-backup')
    expect(await field(page, 'pbs-state-dir').inputValue()).toBe('/var/lib/proxmox-backup')
    expect(await dialog().getByTestId('pbs-read-only').textContent()).toMatch(
      /Nothing in these directories is changed/
    )
    await bothThemes('pbs-import-1-directories')
  })

  it('shows a directory that does not exist next to its field', async () => {
    const missing = join(h.scratch, 'nowhere')
    await field(page, 'pbs-config-dir').fill(missing)
    await field(page, 'pbs-state-dir').fill(join(host(), 'var'))
    await dialog().getByTestId('pbs-preview').click()
    const message = page.getByTestId('pbs-config-dir').locator('.v-messages')
    await expect
      .poll(() => message.textContent())
      .toContain(`PBS config directory ${missing} is not a directory`)
    expect(
      await page.getByTestId('pbs-state-dir').locator('.v-messages').textContent()
    ).not.toMatch(/not a directory/)
    await bothThemes('pbs-import-1-error')
  })

  it('previews what will be imported, what is skipped and why, changing nothing', async () => {
    await field(page, 'pbs-config-dir').fill(join(host(), 'etc'))
    await dialog().getByTestId('pbs-preview').click()
    await dialog().getByTestId('pbs-step-preview').waitFor()

    const members = summary.tapes.filter((t) => t['seq-nr'] !== null).length
    expect(await count('drive', 'imported')).toContain('2 to import')
    expect(await count('changer', 'imported')).toContain('1 to import')
    expect(await count('pool', 'imported')).toContain('1 to import')
    expect(await count('pool', 'skipped')).toContain('1 skipped')
    expect(await count('backup-job', 'imported')).toContain('1 to import')
    expect(await count('key', 'imported')).toContain('1 to import')
    expect(await count('media', 'imported')).toContain(`${PBS_LABELS.length} to import`)
    expect(await count('media-set', 'imported')).toContain('1 to import')
    expect(await count('catalog', 'imported')).toContain(`${members} to import`)
    expect(await count('job-state', 'imported')).toContain('1 to import')
    const total = 2 + 1 + 1 + 1 + 1 + PBS_LABELS.length + 1 + members + 1
    expect(await dialog().getByTestId('pbs-summary-imported').textContent()).toContain(
      `${total} to import`
    )
    expect(await dialog().getByTestId('pbs-summary-skipped').textContent()).toContain('1 skipped')

    // the skipped pool is shown open, highlighted, with the reason
    const skipped = dialog().getByTestId('pbs-item-pool-offsite')
    await skipped.waitFor()
    expect(await skipped.getAttribute('class')).toContain('td-skipped')
    expect(await skipped.textContent()).toContain('will be skipped')
    expect(await skipped.getByTestId('pbs-reason').textContent()).toContain(
      'retention "1 week" here, "keep" on the PBS host'
    )
    expect(await dialog().getByTestId('pbs-import').textContent()).toContain(
      `Import ${total} items`
    )

    // a preview is a dry run: nothing is here yet
    expect(cliJson<unknown[]>(h.home, ['media', 'list'])).toEqual([])
    expect(cliJson<unknown[]>(h.home, ['key', 'list'])).toEqual([])
    await bothThemes('pbs-import-2-preview')
    // the rest of the groups, below the fold of the step
    await dialog()
      .locator('.v-stepper-window')
      .evaluate((el) => el.scrollTo({ top: el.scrollHeight }))
    await bothThemes('pbs-import-2-preview-end')
  })

  it('imports, then shows the result with links to Media, Pools and Keys', async () => {
    await dialog().getByTestId('pbs-import').click()
    const done = dialog().getByTestId('pbs-done')
    await done.waitFor({ timeout: 60_000 })
    expect(await done.textContent()).toMatch(/Imported \d+ items from the PBS host; 1 skipped/)
    for (const link of ['media', 'pools', 'keys']) {
      await dialog().getByTestId(`pbs-open-${link}`).waitFor()
    }
    expect(
      await dialog()
        .getByTestId('pbs-step-result')
        .getByTestId('pbs-item-pool-offsite')
        .textContent()
    ).toContain('skipped')
    await bothThemes('pbs-import-3-result')
  })

  it('the imported tapes are in Media like any other; media content lists their snapshots', async () => {
    await dialog().getByTestId('pbs-open-media').click()
    await dialog().waitFor({ state: 'hidden' })
    for (const label of PBS_LABELS) {
      await page.getByTestId(`media-row-${label}`).waitFor()
    }
    const first = summary.tapes.find((t) => t['seq-nr'] === 0)!
    expect(await page.getByTestId(`media-row-${first.label}`).textContent()).toContain('offsite')
    // like any other tape: selecting it shows its snapshots, from the imported catalog
    await page.getByTestId(`media-row-${first.label}`).click()
    const onTape = summary.snapshots.filter((s) => s.tape === first.label)
    const table = page.getByTestId('media-content-table')
    await table.waitFor()
    await expect.poll(() => table.textContent()).toContain(onTape[0]!.snapshot)
    await bothThemes('pbs-import-4-media')

    const content = cliJson<Record<string, unknown>[]>(h.home, ['media', 'content'])
    expect(content.map((c) => [c['label-text'], c.store, c.snapshot]).sort()).toEqual(
      summary.snapshots.map((s) => [s.tape, 'store1', s.snapshot]).sort()
    )
    expect(cliJson<{ fingerprint: string }[]>(h.home, ['key', 'list'])).toMatchObject([
      { fingerprint }
    ])
    expect(h.pageErrors).toEqual([])
  })
})
