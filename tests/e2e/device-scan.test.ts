/**
 * The scan wizard in a real browser against a real tgtd library (scripts/tgt-vtl.sh): scan the
 * iSCSI portal, keep the suggested names, read what will be written, create the library — then
 * tape.cfg holds it and the changer answers `changer status`. Also: an unreachable portal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { freePort, startTgtRig, type TgtRig } from '../helpers/tgt'
import {
  cliJson,
  field,
  openView,
  readConfig,
  screenshotBothThemes,
  startHarness,
  type Harness
} from './helpers'

let h: Harness
let page: Page
let rig: TgtRig
const lun = (n: number) => `iscsi://127.0.0.1:${rig.port}/${rig.target}/${n}`

beforeAll(async () => {
  rig = await startTgtRig()
  h = await startHarness()
  page = h.page
  await openView(page, 'library')
  await page.getByTestId('tab-config').click()
  await page.getByTestId('changers-table').waitFor()
})

afterAll(async () => {
  await h?.close()
  await rig?.stop()
})

async function scanPortal(portal: string): Promise<void> {
  await page.getByTestId('scan-source-iscsi').locator('input').check()
  await field(page, 'scan-portal').fill(portal)
  await page.getByTestId('scan-run').click()
}

describe('scan wizard', () => {
  it('says clearly when the portal cannot be reached', async () => {
    await page.getByTestId('scan-devices').click()
    await page.getByTestId('scan-wizard').waitFor()
    const port = await freePort()
    await scanPortal(`127.0.0.1:${port}`)
    const error = page.getByTestId('scan-error')
    await error.waitFor()
    expect(await error.innerText()).toContain(`iSCSI discovery at portal 127.0.0.1:${port} failed`)
    await expect(page.getByTestId('scan-next').isDisabled()).resolves.toBe(true)
  })

  it('scans the tgt portal and shows the changer and its drives', async () => {
    await scanPortal(`127.0.0.1:${rig.port}`)
    const table = page.getByTestId('scan-found')
    await table.waitFor()
    const rows = await table.locator('tbody tr').allInnerTexts()
    expect(rows).toHaveLength(3)
    expect(rows[0]).toMatch(/Changer\s+STK L700\s+LIB0001\s+/)
    expect(rows[0]).toContain(lun(3))
    expect(rows[1]).toMatch(/Drive\s+changer drive 0\s+IBM ULT3580-TD8\s+DRV0001/)
    expect(rows[2]).toMatch(/Drive\s+changer drive 1\s+IBM ULT3580-TD8\s+DRV0002/)
    await screenshotBothThemes(page, 'scan-wizard-found')
  })

  it('suggests names from model and serial, and drive numbers from the changer', async () => {
    await page.getByTestId('scan-next').click()
    await page.getByTestId('scan-changer-name').waitFor()
    expect(await field(page, 'scan-changer-name').inputValue()).toBe('L700-LIB0001')
    const names = page.getByTestId('scan-drive-name').locator('input')
    expect(await names.evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))).toEqual(
      ['ULT3580-TD8-DRV0001', 'ULT3580-TD8-DRV0002']
    )
    const numbers = page.getByTestId('scan-drive-number').locator('input')
    expect(
      await numbers.evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))
    ).toEqual(['0', '1'])
    // a bad name blocks the next step and says why
    await field(page, 'scan-changer-name').fill('x')
    await page.getByText('Name: at least 3 characters').waitFor()
    expect(await page.getByTestId('scan-review').isDisabled()).toBe(true)
    await field(page, 'scan-changer-name').fill('tgtlib')
    await names.nth(0).fill('tgt-a')
    await names.nth(1).fill('tgt-b')
    await screenshotBothThemes(page, 'scan-wizard-names')
  })

  it('shows what goes into tape.cfg, then writes exactly that', async () => {
    await page.getByTestId('scan-review').click()
    const preview = page.getByTestId('scan-preview')
    await preview.waitFor()
    const expected = [
      'changer: tgtlib',
      `\tpath ${lun(3)}`,
      '',
      'lto: tgt-a',
      '\tchanger tgtlib',
      `\tpath ${lun(1)}`,
      '',
      'lto: tgt-b',
      '\tchanger tgtlib',
      '\tchanger-drivenum 1',
      `\tpath ${lun(2)}`
    ].join('\n')
    expect(await preview.textContent()).toBe(expected)
    await screenshotBothThemes(page, 'scan-wizard-review')

    await page.getByTestId('scan-create').click()
    await page.getByTestId('scan-created').waitFor()
    expect((await readConfig(h.home, 'tape.cfg')).trim()).toBe(expected)
    await page.getByTestId('scan-close').click()
    await page
      .getByTestId('drives-table')
      .locator('tbody tr')
      .filter({ hasText: 'tgt-b' })
      .waitFor()

    const status = cliJson<{ 'entry-kind': string; 'entry-id': number; 'label-text'?: string }[]>(
      h.home,
      ['changer', 'status', 'tgtlib']
    )
    expect(status.filter((e) => e['entry-kind'] === 'drive')).toHaveLength(2)
    expect(status.find((e) => e['entry-kind'] === 'slot' && e['entry-id'] === 1)).toMatchObject({
      'label-text': 'TEST01L8'
    })
    expect(h.pageErrors).toEqual([])
  })
})
