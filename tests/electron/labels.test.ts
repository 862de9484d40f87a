/**
 * Electron only: a label sheet and the calibration page saved as PDF through the bridge — the
 * core's own PDF, byte for byte. Skipped, with the reason, where no Electron binary or display
 * exists.
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

const SHEET = {
  source: { kind: 'range', prefix: 'TAPE', start: 1, count: 24, type: 'L9' },
  mode: 'color',
  paper: 'avery3420',
  startPosition: 5
}

describe.skipIf(!binary)('Electron label printing', () => {
  it('saves a label sheet and the calibration page as the core’s PDFs', async () => {
    const home = await tempDir('tapedeck-electron-')
    const app = await electron.launch({
      executablePath: binary,
      args: [join(__dirname, '../../out/main/index.js'), '--home', join(home.path, 'home')]
    })
    try {
      const window = await app.firstWindow()
      await window.waitForLoadState('domcontentloaded')
      for (const [name, request, method, args] of [
        ['sheet.pdf', { sheet: SHEET, to: 'pdf' }, 'labels.pdf', SHEET],
        [
          'calibration.pdf',
          { calibrationPaper: 'a4', to: 'pdf' },
          'labels.calibration-page',
          { paper: 'a4' }
        ]
      ] as const) {
        const path = join(home.path, name)
        // the save dialog answers with our path
        await app.evaluate(({ dialog }, file) => {
          dialog.showSaveDialog = (async () => ({ canceled: false, filePath: file })) as never
        }, path)
        const { saved, expected } = await window.evaluate(
          async ({ request, method, args }) => {
            type Bridge = {
              invoke(m: string, a: unknown): Promise<{ result?: { pdfBase64: string } }>
              printLabels(r: unknown): Promise<string | null>
            }
            const bridge = (window as unknown as { tapedeck: Bridge }).tapedeck
            return {
              saved: await bridge.printLabels(request),
              expected: (await bridge.invoke(method, args)).result!.pdfBase64
            }
          },
          { request, method, args }
        )
        expect(saved).toBe(path)
        expect((await readFile(path)).toString('base64')).toBe(expected)
      }
    } finally {
      await app.close()
      await home.remove()
    }
  })
})
