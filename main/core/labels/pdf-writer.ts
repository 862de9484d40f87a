/**
 * A minimal PDF 1.4 writer for vector pages: one base-14 font (no embedding), content streams
 * compressed with Flate, a classic cross-reference table with the exact byte offset of every
 * object. Enough for label sheets and nothing more.
 */
import { deflateSync } from 'node:zlib'

export interface PdfPage {
  widthPt: number
  heightPt: number
  /** the page's content stream (PDF operators, ASCII) */
  content: string
}

export const PDF_FONT_RESOURCE = 'F1'

/** PDF string literal for printable ASCII text. */
export function pdfString(text: string): string {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new Error(`PDF text must be printable ASCII: '${text}'`)
  return `(${text.replace(/[\\()]/g, (c) => `\\${c}`)})`
}

export function writePdf(pages: PdfPage[], fontName: string, title: string): Buffer {
  // Object numbers: 1 catalog, 2 page tree, 3 font, 4 info, then page + content per page.
  const pageObject = (i: number) => 5 + 2 * i
  const objects: Buffer[] = []
  const dict = (s: string) => Buffer.from(s, 'latin1')

  objects.push(dict('<< /Type /Catalog /Pages 2 0 R >>'))
  const kids = pages.map((_, i) => `${pageObject(i)} 0 R`).join(' ')
  objects.push(dict(`<< /Type /Pages /Kids [${kids}] /Count ${pages.length} >>`))
  objects.push(
    dict(`<< /Type /Font /Subtype /Type1 /BaseFont /${fontName} /Encoding /WinAnsiEncoding >>`)
  )
  objects.push(dict(`<< /Title ${pdfString(title)} /Producer (Tapedeck) >>`))
  pages.forEach((page, i) => {
    objects.push(
      dict(
        `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${page.widthPt.toFixed(3)} ${page.heightPt.toFixed(3)}] ` +
          `/Resources << /Font << /${PDF_FONT_RESOURCE} 3 0 R >> >> /Contents ${pageObject(i) + 1} 0 R >>`
      )
    )
    const stream = deflateSync(Buffer.from(page.content, 'latin1'))
    objects.push(
      Buffer.concat([
        dict(`<< /Length ${stream.length} /Filter /FlateDecode >>\nstream\n`),
        stream,
        dict('\nendstream')
      ])
    )
  })

  // The second line holds bytes > 127 so that transfer tools treat the file as binary.
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')]
  let offset = parts[0].length
  const offsets: number[] = []
  objects.forEach((body, i) => {
    const obj = Buffer.concat([dict(`${i + 1} 0 obj\n`), body, dict('\nendobj\n')])
    offsets.push(offset)
    parts.push(obj)
    offset += obj.length
  })
  const xref = [
    'xref',
    `0 ${objects.length + 1}`,
    '0000000000 65535 f\r',
    ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n\r`),
    'trailer',
    `<< /Size ${objects.length + 1} /Root 1 0 R /Info 4 0 R >>`,
    'startxref',
    String(offset),
    '%%EOF',
    ''
  ].join('\n')
  parts.push(dict(xref))
  return Buffer.concat(parts)
}
