/**
 * Rendering label PDFs with poppler's pdftoppm and scanning them with zbarimg (Debian poppler-utils,
 * zbar-tools): a real rasteriser and a real barcode reader, independent of the code that drew them.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (r.error) throw r.error
  if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}: ${r.stderr}`)
  return r.stdout
}

/** Renders every page of `pdf` at `dpi` to PNG files in `dir`; returns their paths in page order. */
export function renderPdf(pdf: string, dir: string, dpi = 300, prefix = 'page'): string[] {
  run('pdftoppm', ['-r', String(dpi), '-png', pdf, join(dir, prefix)])
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${prefix}-`) && f.endsWith('.png'))
    .sort()
    .map((f) => join(dir, f))
}

/** Every symbol zbarimg finds in an image, as `TYPE:TEXT` (e.g. `CODE-39:TAPE01L9`). */
export function scanSymbols(image: string): string[] {
  const r = spawnSync('zbarimg', ['-q', image], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })
  // zbarimg exits 4 when it finds nothing; that is an empty result, not an error.
  if (r.status === 4) return []
  if (r.status !== 0) throw new Error(`zbarimg exited ${r.status}: ${r.stderr}`)
  return r.stdout.split('\n').filter((l) => l !== '')
}

/** `pdfinfo` fields (Pages, Page size, …) of a PDF; throws when poppler cannot parse the file. */
export function pdfInfo(pdf: string): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const line of run('pdfinfo', [pdf]).split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line)
    if (m) fields[m[1]] = m[2]
  }
  return fields
}

/** Writes `pdf` to `dir`, renders it at 300 dpi and returns the symbols found on each page. */
export function scanPdfPages(pdf: Uint8Array, dir: string, name = 'sheet'): string[][] {
  const file = join(dir, `${name}.pdf`)
  writeFileSync(file, pdf)
  return renderPdf(file, dir, 300, name).map(scanSymbols)
}
