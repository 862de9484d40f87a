import { writeFile } from 'node:fs/promises'
import { BrowserWindow, dialog } from 'electron'
import { ApiError } from '../core/api/errors'
import type { Tapedeck } from '../core/tapedeck'
import type { LabelPrintRequest } from '../../preload/bridge'

function checkRequest(value: unknown): LabelPrintRequest {
  const r = value as Partial<LabelPrintRequest> | null
  if (
    typeof r !== 'object' ||
    r === null ||
    (r.sheet === undefined) === (r.calibrationPaper === undefined) ||
    (r.calibrationPaper !== undefined && typeof r.calibrationPaper !== 'string') ||
    (r.to !== 'print' && r.to !== 'pdf')
  ) {
    throw new ApiError(
      'invalid-argument',
      'label print request: {sheet (labels.preview arguments) or calibrationPaper, to}'
    )
  }
  return { sheet: r.sheet, calibrationPaper: r.calibrationPaper, to: r.to }
}

interface Pages {
  /** standalone SVG documents, one per page */
  pages: string[]
  widthMm: number
  heightMm: number
}

interface Pdf {
  fileName: string
  bytes: Buffer
}

/** Everything comes from the core, through the API's own argument checks. */
async function calibrationPage(core: Tapedeck, paper: string): Promise<Pages & Pdf> {
  const page = (await core.api.call('labels.calibration-page', { paper })) as {
    svg: string
    pdfBase64: string
  }
  // the calibration page is always the whole paper, whose size its SVG states
  const size = /width="([\d.]+)mm" height="([\d.]+)mm"/.exec(page.svg)
  if (!size) throw new ApiError('internal', 'calibration page without a size in mm')
  return {
    pages: [page.svg],
    widthMm: Number(size[1]),
    heightMm: Number(size[2]),
    fileName: `printer-calibration-${paper}.pdf`,
    bytes: Buffer.from(page.pdfBase64, 'base64')
  }
}

async function sheetPages(core: Tapedeck, sheet: unknown): Promise<Pages> {
  const preview = (await core.api.call('labels.preview', sheet)) as {
    pages: string[]
    page: { widthMm: number; heightMm: number }
  }
  return { pages: preview.pages, ...preview.page }
}

async function sheetPdf(core: Tapedeck, sheet: unknown): Promise<Pdf> {
  const pdf = (await core.api.call('labels.pdf', sheet)) as { fileName: string; pdfBase64: string }
  return { fileName: pdf.fileName, bytes: Buffer.from(pdf.pdfBase64, 'base64') }
}

/** One HTML document, one page per SVG, each exactly the paper size, nothing around it. */
function pagesHtml(p: Pages): string {
  const size = `${p.widthMm}mm ${p.heightMm}mm`
  const pages = p.pages
    .map((svg) => `<div class="page">${svg.replace(/^<\?xml[^>]*>\s*/, '')}</div>`)
    .join('\n')
  return (
    '<!doctype html><html><head><meta charset="utf-8"><style>' +
    `@page { size: ${size}; margin: 0 } html, body { margin: 0; padding: 0 } ` +
    `.page { width: ${p.widthMm}mm; height: ${p.heightMm}mm; overflow: hidden; break-after: page } ` +
    '.page:last-child { break-after: auto } .page svg { display: block }' +
    `</style></head><body>${pages}</body></html>`
  )
}

const microns = (mm: number) => Math.round(mm * 1000)

/**
 * Prints the labels in a hidden window without JavaScript at the exact paper size and with no
 * margins (a label sheet must not be scaled or shifted), or saves the core's vector PDF — the
 * same file `tapedeck labels --out` writes, rather than a second rendering through Chromium.
 */
export async function printLabels(
  core: Tapedeck,
  parent: BrowserWindow | null,
  value: unknown
): Promise<string | null> {
  const request = checkRequest(value)
  const paper = request.calibrationPaper
  const calibration = paper === undefined ? undefined : await calibrationPage(core, paper)

  if (request.to === 'pdf') {
    const pdf = calibration ?? (await sheetPdf(core, request.sheet))
    const options = {
      title: 'Save labels as PDF',
      defaultPath: pdf.fileName,
      filters: [{ name: 'PDF', extensions: ['pdf'] }]
    }
    const chosen = parent
      ? await dialog.showSaveDialog(parent, options)
      : await dialog.showSaveDialog(options)
    if (chosen.canceled || !chosen.filePath) return null
    await writeFile(chosen.filePath, pdf.bytes)
    return chosen.filePath
  }

  const doc = calibration ?? (await sheetPages(core, request.sheet))
  const window = new BrowserWindow({
    show: false,
    parent: parent ?? undefined,
    webPreferences: { javascript: false, sandbox: true, contextIsolation: true }
  })
  try {
    const html = Buffer.from(pagesHtml(doc), 'utf8').toString('base64')
    await window.loadURL(`data:text/html;charset=utf-8;base64,${html}`)
    await new Promise<void>((resolve, reject) => {
      window.webContents.print(
        {
          printBackground: true,
          margins: { marginType: 'none' },
          pageSize: { width: microns(doc.widthMm), height: microns(doc.heightMm) }
        },
        (success, reason) => {
          // a cancelled print dialog is not an error
          if (success || reason === 'cancelled') resolve()
          else reject(new ApiError('internal', `printing failed: ${reason}`))
        }
      )
    })
    return null
  } finally {
    window.destroy()
  }
}
