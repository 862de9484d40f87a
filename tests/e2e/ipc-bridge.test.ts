/**
 * The renderer's Electron transport. Electron cannot be downloaded here, so the page gets a
 * stand-in `window.tapedeck` with the preload's exact shape (invoke / onEvent / pickDirectory)
 * that relays to serve mode. The page is opened WITHOUT the token in its address: if the
 * renderer used its WebSocket transport it would show the connection help instead.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import {
  cliJson,
  field,
  makeDatastore,
  openView,
  screenshot,
  startHarness,
  type Harness
} from './helpers'

let h: Harness
let page: Page
let picked: string

/** Runs in the page before the app: what preload/index.ts exposes, backed by the serve API. */
function installBridge({ token, dir }: { token: string; dir: string }) {
  const ws = new WebSocket(`ws://${location.host}/api`, ['tapedeck.' + token])
  const ready = new Promise((resolve) => ws.addEventListener('open', resolve, { once: true }))
  const pending = new Map<number, (reply: unknown) => void>()
  const listeners = new Set<(event: string, payload: unknown) => void>()
  let id = 0
  ws.addEventListener('message', (e) => {
    const msg = JSON.parse(e.data as string)
    if (typeof msg.event === 'string') listeners.forEach((l) => l(msg.event, msg.payload))
    else if (pending.has(msg.id)) {
      pending.get(msg.id)!('error' in msg ? { error: msg.error } : { result: msg.result })
      pending.delete(msg.id)
    }
  })
  const w = window as unknown as { tapedeck: unknown; __invoked: string[] }
  w.__invoked = []
  w.tapedeck = {
    async invoke(method: string, args: unknown) {
      await ready
      w.__invoked.push(method)
      return new Promise((resolve) => {
        pending.set(++id, resolve)
        ws.send(JSON.stringify({ id, method, args }))
      })
    },
    onEvent(listener: (event: string, payload: unknown) => void) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async pickDirectory() {
      return dir
    }
  }
}

beforeAll(async () => {
  h = await startHarness()
  picked = (await makeDatastore(join(h.scratch, 'picked-store'), { allPrefixes: false })).path
  page = await h.context.newPage()
  page.setDefaultTimeout(10_000)
  await page.addInitScript(installBridge, { token: h.server.token, dir: picked })
  await page.goto(`http://127.0.0.1:${h.server.port}/`)
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor()
})

afterAll(async () => {
  await h?.close()
})

describe('desktop (IPC) transport', () => {
  it('talks to the core through window.tapedeck', async () => {
    await page.getByTestId('info-home').filter({ hasText: h.home }).waitFor()
    expect(await page.getByTestId('connection-help').count()).toBe(0)
    await openView(page, 'settings')
    await page.getByText('desktop app (IPC)').waitFor()
  })

  it('offers the native folder dialog when adding a datastore', async () => {
    await openView(page, 'datastores')
    await page.getByTestId('add-datastore').click()
    await page.getByTestId('datastore-browse').click()
    await expect.poll(() => field(page, 'datastore-path').inputValue()).toBe(picked)
    // the name is suggested from the folder
    await expect.poll(() => field(page, 'datastore-name').inputValue()).toBe('picked-store')
    await screenshot(page, 'datastore-add-desktop')
    await page.getByTestId('form-save').click()
    await page.getByTestId('datastore-dialog').waitFor({ state: 'hidden' })
    await page.getByTestId('datastores-table').getByText('picked-store').first().waitFor()
    expect(cliJson(h.home, ['datastore', 'list'])).toEqual([{ name: 'picked-store', path: picked }])
  })

  it('receives events through the bridge', async () => {
    await openView(page, 'pools')
    await page.getByTestId('pools-table').getByText('No media pools yet').waitFor()
    // another client of the same core (like a second window) creates a pool
    await h.server.core.api.call('pool.create', { name: 'from-elsewhere', retention: 'keep' })
    // config.changed arrives through onEvent and the list reloads without navigating
    await page.getByTestId('pools-table').getByText('from-elsewhere').waitFor()
    const invoked = await page.evaluate(
      () => (window as unknown as { __invoked: string[] }).__invoked
    )
    expect(invoked.filter((m) => m === 'pool.list').length).toBeGreaterThanOrEqual(2)
  })
})
