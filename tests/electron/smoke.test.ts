/**
 * Electron smoke test: launch the built app, check the sandboxed bridge and one IPC round trip.
 * Runs only where an Electron binary and a display exist; elsewhere it is skipped with the reason.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { _electron as electron } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/temp'

function electronBinary(): { path?: string; reason?: string } {
  try {
    const path = createRequire(__filename)('electron') as unknown as string
    if (!existsSync(path)) return { reason: `Electron binary ${path} is missing` }
    if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY)
      return { reason: 'no display (run under xvfb-run)' }
    return { path }
  } catch (err) {
    return { reason: `Electron binary not installed (${(err as Error).message.split('\n')[0]})` }
  }
}

const binary = electronBinary()
if (!binary.path) console.log(`electron smoke test skipped: ${binary.reason}`)

describe.skipIf(!binary.path)('Electron app', () => {
  it('opens a sandboxed window whose bridge reaches the core over IPC', async () => {
    const home = await tempDir('tapedeck-electron-')
    const app = await electron.launch({
      executablePath: binary.path,
      args: [join(__dirname, '../../out/main/index.js'), '--home', home.path]
    })
    try {
      const window = await app.firstWindow()
      await window.waitForLoadState('domcontentloaded')
      expect(
        await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)
      ).toBe('undefined')
      const info = await window.evaluate(() =>
        (
          window as unknown as { tapedeck: { invoke(m: string, a: unknown): Promise<unknown> } }
        ).tapedeck.invoke('system.info', {})
      )
      expect(info).toMatchObject({ result: { home: home.path } })
      const refused = await window.evaluate(() =>
        (
          window as unknown as { tapedeck: { invoke(m: string, a: unknown): Promise<unknown> } }
        ).tapedeck.invoke('no.such', {})
      )
      expect(refused).toMatchObject({ error: { code: 'unknown-method' } })
    } finally {
      await app.close()
      await home.remove()
    }
  })
})
