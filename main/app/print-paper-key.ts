import { writeFile } from 'node:fs/promises'
import { BrowserWindow, dialog } from 'electron'
import { ApiError } from '../core/api/errors'
import type { Tapedeck } from '../core/tapedeck'
import type { PaperKeyPrintRequest } from '../../preload/bridge'

function checkRequest(value: unknown): PaperKeyPrintRequest {
  const r = value as Partial<PaperKeyPrintRequest> | null
  if (
    typeof r !== 'object' ||
    r === null ||
    typeof r.fingerprint !== 'string' ||
    (r.subject !== undefined && typeof r.subject !== 'string') ||
    (r.to !== 'print' && r.to !== 'pdf')
  ) {
    throw new ApiError('invalid-argument', 'paper key print request: {fingerprint, subject?, to}')
  }
  return { fingerprint: r.fingerprint, subject: r.subject, to: r.to }
}

/**
 * Renders the paper key HTML that the core made (by fingerprint, through the API's own argument
 * checks) in a hidden window without JavaScript, then prints it or saves it as PDF.
 */
export async function printPaperKey(
  core: Tapedeck,
  parent: BrowserWindow | null,
  value: unknown
): Promise<string | null> {
  const request = checkRequest(value)
  const paper = (await core.api.call('key.paperkey', {
    fingerprint: request.fingerprint,
    subject: request.subject,
    format: 'html'
  })) as { fingerprint: string; content: string }

  let path: string | null = null
  if (request.to === 'pdf') {
    const options = {
      title: 'Save paper key as PDF',
      defaultPath: `paperkey-${paper.fingerprint.replace(/:/g, '').slice(0, 16)}.pdf`,
      filters: [{ name: 'PDF', extensions: ['pdf'] }]
    }
    const chosen = parent
      ? await dialog.showSaveDialog(parent, options)
      : await dialog.showSaveDialog(options)
    if (chosen.canceled || !chosen.filePath) return null
    path = chosen.filePath
  }

  const sheet = new BrowserWindow({
    show: false,
    parent: parent ?? undefined,
    webPreferences: { javascript: false, sandbox: true, contextIsolation: true }
  })
  try {
    const html = Buffer.from(paper.content, 'utf8').toString('base64')
    await sheet.loadURL(`data:text/html;charset=utf-8;base64,${html}`)
    if (path !== null) {
      const pdf = await sheet.webContents.printToPDF({ printBackground: false })
      await writeFile(path, pdf, { mode: 0o600 })
      return path
    }
    await new Promise<void>((resolve, reject) => {
      sheet.webContents.print({ printBackground: false }, (success, reason) => {
        // a cancelled print dialog is not an error
        if (success || reason === 'cancelled') resolve()
        else reject(new ApiError('internal', `printing failed: ${reason}`))
      })
    })
    return null
  } finally {
    sheet.destroy()
  }
}
