/**
 * End-to-end harness: serve mode in-process on a fresh temporary home, the built renderer, and
 * Debian's Chromium driven by playwright-core. One harness per test file (see beforeAll/afterAll).
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { expect } from 'vitest'
import type { ApiArgs, ApiMethod, ApiResult } from '../../main/core/api/contract'
import { startServe, type ServeHandle } from '../../main/serve/server'
import { CLI, tapedeck } from '../helpers/cli'

export const ROOT = resolve(__dirname, '..', '..')
export const RENDERER_DIR = join(ROOT, 'out', 'renderer')
export const SCREENSHOT_DIR = join(ROOT, 'test-artifacts', 'screenshots')

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
]

/** Builds main, preload and renderer once if a previous build is missing. */
export function ensureBuilt(): void {
  if (existsSync(join(RENDERER_DIR, 'index.html')) && existsSync(CLI)) return
  execFileSync('npx', ['electron-vite', 'build'], { cwd: ROOT, stdio: 'inherit' })
}

export interface Harness {
  /** the temporary Tapedeck home the server uses */
  home: string
  /** scratch directory for the test (datastores etc.), removed at the end */
  scratch: string
  server: ServeHandle
  browser: Browser
  context: BrowserContext
  page: Page
  /** uncaught page errors and console errors (CSP violations show up here) */
  pageErrors: string[]
  /** opens another tab on the server's address (its own token hand-off) */
  newPage(): Promise<Page>
  close(): Promise<void>
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
}

function watchErrors(page: Page, sink: string[]): void {
  page.on('pageerror', (err) => sink.push(`pageerror: ${err.message}`))
  page.on('console', (msg) => {
    if (msg.type() === 'error') sink.push(`console: ${msg.text()}`)
  })
}

export async function startHarness(): Promise<Harness> {
  ensureBuilt()
  const tmp = await mkdtemp(join(tmpdir(), 'tapedeck-e2e-'))
  const home = join(tmp, 'home')
  const scratch = join(tmp, 'scratch')
  await mkdir(scratch, { recursive: true })
  const server = await startServe({ home, port: 0, rendererDir: RENDERER_DIR, warn: () => {} })
  const browser = await launchBrowser()
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    colorScheme: 'light',
    timezoneId: 'UTC',
    locale: 'en-GB'
  })
  const pageErrors: string[] = []
  const open = async () => {
    const p = await context.newPage()
    p.setDefaultTimeout(10_000)
    watchErrors(p, pageErrors)
    await p.goto(server.url)
    await p.getByRole('heading', { level: 1 }).first().waitFor()
    return p
  }
  const page = await open()
  return {
    home,
    scratch,
    server,
    browser,
    context,
    page,
    pageErrors,
    newPage: open,
    async close() {
      await browser.close().catch(() => {})
      await server.close().catch(() => {})
      await rm(tmp, { recursive: true, force: true })
    }
  }
}

/**
 * Typed calls straight into the harness's core (set-up and checks beside the UI), and a wait for
 * a task to end OK. `harness` is read at each call because test files assign theirs in beforeAll.
 */
export function harnessApi(harness: () => Harness, { taskTimeoutMs = 60_000 } = {}) {
  const api = <M extends ApiMethod>(method: M, args: ApiArgs<M>): Promise<ApiResult<M>> =>
    harness().server.core.api.invoke(method, args)

  async function waitTask(upid: string): Promise<void> {
    for (let waited = 0; waited < taskTimeoutMs; waited += 100) {
      const task = await api('task.status', { upid })
      if (task.state !== 'running') {
        expect(task.state, task.status).toBe('ok')
        return
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`task ${upid} did not finish`)
  }

  return { api, waitTask }
}

/** Runs the built CLI on the home with JSON output and parses it. */
export function cliJson<T = unknown>(home: string, args: string[]): T {
  const r = tapedeck(home, ['--output-format', 'json', ...args])
  if (r.code !== 0) throw new Error(`tapedeck ${args.join(' ')} failed (${r.code}): ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

export function cli(home: string, args: string[]) {
  return tapedeck(home, args)
}

export async function readConfig(home: string, file: string): Promise<string> {
  return readFile(join(home, file), 'utf8')
}

/** Navigates with the app's own navigation drawer, like a user. */
export async function openView(page: Page, view: string): Promise<void> {
  await page.getByTestId(`nav-${view}`).click()
  await page.waitForURL(new RegExp(`#/${view}`))
}

export async function setTheme(page: Page, theme: 'light' | 'dark' | 'system'): Promise<void> {
  const toggle = page.getByTestId(`theme-${theme}`)
  // an open dialog's scrim covers the toggle; the click still belongs to it
  if ((await page.locator('.v-overlay--active .v-overlay__scrim').count()) > 0) {
    await toggle.dispatchEvent('click')
  } else {
    await toggle.click()
  }
  const dark = theme === 'dark'
  if (theme !== 'system') {
    await page.locator(`.v-application.v-theme--${dark ? 'dark' : 'light'}`).waitFor()
  }
}

/** Screenshots `<name>-light` and `<name>-dark`, back to the light theme after. */
export async function screenshotBothThemes(
  page: Page,
  name: string,
  capture: (page: Page, name: string) => Promise<void> = screenshot
): Promise<void> {
  await setTheme(page, 'light')
  await capture(page, `${name}-light`)
  await setTheme(page, 'dark')
  await capture(page, `${name}-dark`)
  await setTheme(page, 'light')
}

/** Full-page screenshot to test-artifacts/screenshots/<name>.png (after animations settle). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true })
  await page.waitForTimeout(350)
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true })
}

/**
 * Picks the option `name` of the Vuetify select that carries `data-testid`, and picks it again
 * when a busy machine lost the click (the menu still opening): until the select shows it.
 */
export async function chooseOption(page: Page, testid: string, name: RegExp): Promise<void> {
  const select = page.getByTestId(testid)
  const shown = async () => (await select.textContent()) ?? ''
  await expect
    .poll(
      async () => {
        if (!name.test(await shown())) {
          await select.click()
          await page.getByRole('option', { name }).click({ timeout: 5_000 })
        }
        return shown()
      },
      { timeout: 30_000 }
    )
    .toMatch(name)
}

/** The input element inside a Vuetify field that carries `data-testid`. */
export function field(page: Page, testid: string) {
  return page.getByTestId(testid).locator('input').first()
}

export interface FakeDatastore {
  path: string
  namespaces: number
  groups: number
  snapshots: number
  chunks: number
  chunkBytes: number
}

/**
 * A small directory in the PBS datastore layout: `.chunks/<4 hex>/<64 hex>` (all 65 536 prefix
 * directories, like `proxmox-backup-manager datastore create` makes them), backup groups with
 * finished snapshots (`index.json.blob`) in the root namespace and in `ns/prod`.
 */
export async function makeDatastore(
  path: string,
  { chunkCount = 40, allPrefixes = true }: { chunkCount?: number; allPrefixes?: boolean } = {}
): Promise<FakeDatastore> {
  const { writeFile } = await import('node:fs/promises')
  const chunkDir = join(path, '.chunks')
  await mkdir(chunkDir, { recursive: true })
  const prefixes: string[] = []
  for (let i = 0; i < (allPrefixes ? 65536 : 0); i++) prefixes.push(i.toString(16).padStart(4, '0'))
  for (let i = 0; i < prefixes.length; i += 512) {
    await Promise.all(prefixes.slice(i, i + 512).map((p) => mkdir(join(chunkDir, p))))
  }
  let chunkBytes = 0
  for (let i = 0; i < chunkCount; i++) {
    const digest = createHash('sha256').update(`chunk ${i}`).digest('hex')
    const size = 1000 + i * 137
    await mkdir(join(chunkDir, digest.slice(0, 4)), { recursive: true })
    await writeFile(join(chunkDir, digest.slice(0, 4), digest), Buffer.alloc(size, i))
    chunkBytes += size
  }
  const snapshots = [
    'vm/100/2025-01-01T00:00:00Z',
    'vm/100/2025-01-02T00:00:00Z',
    'ct/200/2025-01-01T00:00:00Z',
    'ns/prod/host/web/2025-01-01T00:00:00Z'
  ]
  for (const s of snapshots) {
    await mkdir(join(path, s), { recursive: true })
    await writeFile(join(path, s, 'index.json.blob'), Buffer.alloc(64))
  }
  // an unfinished snapshot (no index.json.blob) does not count
  await mkdir(join(path, 'vm/100/2025-01-03T00:00:00Z'), { recursive: true })
  return { path, namespaces: 1, groups: 3, snapshots: 4, chunks: chunkCount, chunkBytes }
}
