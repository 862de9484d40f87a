/**
 * Electron only: a paper key saved as PDF through the bridge (hidden window without JavaScript,
 * printToPDF). Skipped, with the reason, where no Electron binary or display exists.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { _electron as electron } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/temp'

function electronBinary(): string | undefined {
  try {
    const path = createRequire(__filename)('electron') as unknown as string
    if (!existsSync(path)) return undefined
    return process.env.DISPLAY || process.env.WAYLAND_DISPLAY ? path : undefined
  } catch {
    return undefined
  }
}

const binary = electronBinary()

describe.skipIf(!binary)('Electron paper key', () => {
  it('saves the paper key of a key as a PDF', async () => {
    const home = await tempDir('tapedeck-electron-')
    const pdf = join(home.path, 'paperkey.pdf')
    const app = await electron.launch({
      executablePath: binary,
      args: [join(__dirname, '../../out/main/index.js'), '--home', join(home.path, 'home')]
    })
    try {
      const window = await app.firstWindow()
      await window.waitForLoadState('domcontentloaded')
      // the save dialog answers with our path
      await app.evaluate(({ dialog }, path) => {
        dialog.showSaveDialog = (async () => ({ canceled: false, filePath: path })) as never
      }, pdf)
      const saved = await window.evaluate(async () => {
        type Bridge = {
          invoke(m: string, a: unknown): Promise<{ result?: { fingerprint: string } }>
          printPaperKey(r: { fingerprint: string; subject?: string; to: string }): Promise<unknown>
        }
        const bridge = (window as unknown as { tapedeck: Bridge }).tapedeck
        const created = await bridge.invoke('key.create', {
          hint: 'electron',
          password: 'a long enough password'
        })
        return bridge.printPaperKey({
          fingerprint: created.result!.fingerprint,
          subject: 'smoke',
          to: 'pdf'
        })
      })
      expect(saved).toBe(pdf)
      expect((await readFile(pdf)).subarray(0, 5).toString('latin1')).toBe('%PDF-')
    } finally {
      await app.close()
      await home.remove()
    }
  })
})
