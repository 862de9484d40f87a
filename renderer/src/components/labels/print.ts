/**
 * Printing and saving label pages in the browser (serve mode). The desktop app prints through
 * the main process instead (exact page size, no margins); here the browser's print dialog gets a
 * document whose `@page` rule asks for the same.
 */

export interface PageSize {
  widthMm: number
  heightMm: number
}

/** One HTML document, one page per SVG, each exactly the paper size, nothing around it. */
export function pagesHtml(pages: string[], size: PageSize): string {
  const body = pages
    .map((svg) => `<div class="page">${svg.replace(/^<\?xml[^>]*>\s*/, '')}</div>`)
    .join('\n')
  return (
    '<!doctype html><html><head><meta charset="utf-8"><title>Labels</title><style>' +
    `@page { size: ${size.widthMm}mm ${size.heightMm}mm; margin: 0 } ` +
    'html, body { margin: 0; padding: 0 } ' +
    `.page { width: ${size.widthMm}mm; height: ${size.heightMm}mm; overflow: hidden; ` +
    'break-after: page } .page:last-child { break-after: auto } .page svg { display: block }' +
    `</style></head><body>${body}</body></html>`
  )
}

/** The size a standalone SVG page states for itself (`width="210mm" height="297mm"`). */
export function svgPageSize(svg: string): PageSize | null {
  const m = /width="([\d.]+)mm" height="([\d.]+)mm"/.exec(svg)
  return m ? { widthMm: Number(m[1]), heightMm: Number(m[2]) } : null
}

/**
 * Opens the browser's print dialog for `html` from an invisible frame (the page itself stays as
 * it is). The frame stays in the document until the next print, so the dialog can read it.
 */
export function printHtml(html: string): void {
  document.querySelector('iframe[data-testid="labels-print-frame"]')?.remove()
  const frame = document.createElement('iframe')
  frame.dataset.testid = 'labels-print-frame'
  frame.title = 'Labels to print'
  frame.setAttribute('sandbox', 'allow-same-origin allow-modals')
  frame.setAttribute('aria-hidden', 'true')
  frame.style.cssText = 'position:fixed;right:0;bottom:0;width:0;height:0;border:0;'
  frame.addEventListener('load', () => frame.contentWindow?.print(), { once: true })
  frame.srcdoc = html
  document.body.appendChild(frame)
}

/** Offers bytes as a file download. */
export function download(fileName: string, bytes: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

export function base64Bytes(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64)
  const bytes = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i)
  return bytes
}

/** An `<img>` source for one SVG page: scripts in it never run, the browser draws it as printed. */
export function svgImageUrl(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`
}
