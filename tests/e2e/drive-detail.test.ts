/**
 * The drive detail dialog: a virtual library drive with a labelled tape and injected TapeAlert
 * flags (status, advice with severity colours, wear, volume statistics, cartridge memory), an
 * empty drive, and a PBS virtual drive, which has neither statistics nor cartridge memory — said
 * plainly, not as an error. Screenshots in both themes go to test-artifacts/screenshots.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import {
  cli,
  openView,
  SCREENSHOT_DIR,
  screenshotBothThemes,
  startHarness,
  type Harness
} from './helpers'

let h: Harness
let page: Page

function ok(args: string[]): void {
  const r = cli(h.home, args)
  expect(r.code, `tapedeck ${args.join(' ')}: ${r.stderr}`).toBe(0)
}

beforeAll(async () => {
  h = await startHarness()
  page = h.page
  ok(['vlib', 'create', 'lib', '--path', join(h.scratch, 'lib'), '--drives', '2'])
  ok(['pool', 'create', 'daily'])
  ok(['load-media-from-slot', '1', '--drive', 'lib-0'])
  ok(['label', '--drive', 'lib-0', '--label-text', 'TAPE01L9', '--pool', 'daily'])
  ok(
    ['vlib', 'fault', 'add', 'lib', '--kind', 'tape-alert', '--drive-number', '0'].concat([
      '--flags',
      'CLEAN_PERIODIC,NEARING_MEDIA_LIFE,HARDWARE_A'
    ])
  )
  ok(['drive', 'create', 'vdrive', '--type', 'virtual', '--path', join(h.scratch, 'pbs')])
  ok(['load-media', 'VT0001', '--drive', 'vdrive'])
  await openView(page, 'library')
  await page.getByRole('heading', { level: 1, name: 'Library' }).waitFor()
}, 120_000)

afterAll(async () => {
  await h?.close()
})

const dialog = () => page.getByTestId('drive-detail')

/** The window as the user sees it (a full-page shot would leave the modal's scrim short). */
async function screenshot(p: Page, name: string): Promise<void> {
  await p.waitForTimeout(350)
  await p.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) })
}

async function openDetail(opener: ReturnType<Page['getByTestId']>): Promise<void> {
  await opener.click()
  await dialog().waitFor()
  await dialog().getByTestId('drive-detail-refresh').locator('.v-btn__loader').waitFor({
    state: 'detached'
  })
}

async function close(): Promise<void> {
  await dialog().getByTestId('drive-detail-close').click()
  await dialog().waitFor({ state: 'hidden' })
}

describe('drive detail', () => {
  it('shows status, TapeAlert advice, wear, volume statistics and cartridge memory', async () => {
    await page
      .getByTestId('drive-lib-0')
      .screenshot({ path: join(SCREENSHOT_DIR, 'drive-detail-bay-light.png') })
    await openDetail(page.getByTestId('drive-lib-0').getByTestId('drive-details'))
    const d = dialog()
    await expect
      .poll(() => d.getByTestId('drive-detail-subtitle').textContent())
      .toContain('TAPE01L9 · LTO9')
    const status = d.getByTestId('drive-detail-status')
    expect(await status.textContent()).toMatch(/Positionfile \d+, block \d+/)
    expect(await status.textContent()).toMatch(/256 KiB of 1\.00 GiB/)

    // Advice in flag order, coloured by severity.
    const flags = d.locator('[data-testid^="alert-"]')
    expect(await flags.evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')))).toEqual(
      ['alert-NEARING_MEDIA_LIFE', 'alert-CLEAN_PERIODIC', 'alert-HARDWARE_A']
    )
    const hardware = d.getByTestId('alert-HARDWARE_A')
    expect(await hardware.getAttribute('data-severity')).toBe('critical')
    expect(await hardware.getAttribute('class')).toContain('text-error')
    expect(await d.getByTestId('alert-CLEAN_PERIODIC').getAttribute('class')).toContain(
      'text-warning'
    )
    expect(await d.getByTestId('alert-CLEAN_PERIODIC').textContent()).toContain(
      'What to do: After the current operation, clean the drive'
    )
    expect(await d.getByTestId('alert-NEARING_MEDIA_LIFE').getAttribute('class')).toContain(
      'text-info'
    )

    // Wear: one load so far, against the rated 5 000.
    expect(await d.getByTestId('wear-mounts').textContent()).toContain('1 of 5,000 rated')
    expect(await d.getByTestId('wear-passes').textContent()).toMatch(/\d+ of 20,000 rated/)
    expect(await d.getByTestId('wear-source').textContent()).toContain('LTO Ultrium')
    await screenshotBothThemes(page, 'drive-detail-overview', screenshot)

    await d.getByTestId('drive-detail-tab-volume').click()
    const volume = d.getByTestId('volume-table')
    await volume.waitFor()
    const stat = (key: string) => volume.locator(`[data-value="${key}"]`).textContent()
    expect(await stat('volume-mounts')).toBe('1')
    // The label block written, and read back to verify.
    expect(await stat('lifetime-bytes-written')).toBe('256 KiB')
    expect(await stat('lifetime-bytes-read')).toBe('256 KiB')
    expect(await volume.locator('[data-value="total-native-capacity"]').getAttribute('title')).toBe(
      '1,073,741,824 bytes'
    )
    expect(await stat('serial')).toBe('TAPE01L9')
    await screenshot(page, 'drive-detail-volume-light')

    await d.getByTestId('drive-detail-tab-memory').click()
    const memory = d.getByTestId('memory-table')
    await memory.waitFor()
    expect(await memory.locator('tr[data-id="2054"]').textContent()).toMatch(
      /0x0806\s*Barcode\s*TAPE01L9/
    )
    expect(await memory.locator('tr[data-id="3"]').textContent()).toMatch(/Load Count\s*1/)
    await screenshot(page, 'drive-detail-memory-light')
    await close()
  })

  it('an empty drive has nothing to report about a cartridge', async () => {
    await openDetail(page.getByTestId('drive-lib-1').getByTestId('drive-details'))
    await dialog().getByTestId('drive-detail-empty').waitFor()
    expect(await dialog().getByTestId('drive-detail-no-alerts').textContent()).toContain(
      'No TapeAlert flags'
    )
    await dialog().getByTestId('drive-detail-tab-volume').click()
    await dialog().getByTestId('volume-no-tape').waitFor()
    await close()
  })

  it('a PBS virtual drive says plainly that it has no statistics and no cartridge memory', async () => {
    await openDetail(page.getByTestId('standalone-vdrive').getByTestId('standalone-details'))
    const d = dialog()
    await expect
      .poll(() => d.getByTestId('drive-detail-subtitle').textContent())
      .toContain('VT0001')
    await d.getByTestId('drive-detail-tab-volume').click()
    const volume = d.getByTestId('volume-not-supported')
    await volume.waitFor()
    expect(await volume.textContent()).toContain(
      "Not supported by this drivevolume statistics are not supported by drive 'vdrive': a PBS " +
        'virtual drive keeps neither log pages nor cartridge memory'
    )
    expect(await volume.getAttribute('class')).toContain('text-info')
    await screenshotBothThemes(page, 'drive-detail-not-supported', screenshot)
    await d.getByTestId('drive-detail-tab-memory').click()
    await d.getByTestId('memory-not-supported').waitFor()
    await close()
    // Nothing went wrong: no error toast, no page error.
    expect(await page.locator('.v-snackbar--active').count()).toBe(0)
    expect(h.pageErrors).toEqual([])
  })
})
