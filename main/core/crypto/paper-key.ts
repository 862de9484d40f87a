/**
 * Paper keys (PBS pbs-datastore/src/paperkey.rs): the password-protected KeyConfig printed as text
 * between BEGIN/END lines plus a QR code of the same JSON, so a key can be typed or scanned back in
 * years later. The layout follows PBS so a Tapedeck paper key restores in PBS and vice versa.
 */
import { createRequire } from 'node:module'
import type * as QRCodeModule from 'qrcode'
import { invalidArgument } from '../api/errors'
import { parseKeyConfigJson, serializeKeyConfig, type KeyConfig } from './key-config'

export const PAPER_KEY_BEGIN = '-----BEGIN PROXMOX BACKUP KEY-----'
export const PAPER_KEY_END = '-----END PROXMOX BACKUP KEY-----'

export type PaperKeyFormat = 'text' | 'html'

/** The pretty JSON lines PBS prints (serde_json pretty: 2-space indent, PBS field order). */
export function paperKeyLines(config: KeyConfig): string[] {
  return JSON.stringify(serializeKeyConfig(config), null, 2)
    .split('\n')
    .filter((line) => line !== '')
}

/** The QR payload: the JSON lines joined with `\n` at error correction M (qrencode `-lm`). */
export function paperKeyQr(lines: string[]): {
  size: number
  dark(row: number, col: number): boolean
} {
  // Loaded on the first paper key, not at every start of every command.
  const QRCode = createRequire(__filename)('qrcode') as typeof QRCodeModule
  const qr = QRCode.create(lines.join('\n'), { errorCorrectionLevel: 'M' })
  const { size } = qr.modules
  return { size, dark: (row, col) => qr.modules.get(row, col) === 1 }
}

/**
 * The QR code in Unicode half blocks, two module rows per text line, dark modules drawn (qrencode
 * `-t utf8i -m0`: the inverted form, right for printing black on white paper).
 */
export function qrHalfBlocks(qr: ReturnType<typeof paperKeyQr>): string {
  const rows: string[] = []
  for (let r = 0; r < qr.size; r += 2) {
    let line = ''
    for (let c = 0; c < qr.size; c++) {
      const top = qr.dark(r, c)
      const bottom = r + 1 < qr.size && qr.dark(r + 1, c)
      line += top ? (bottom ? '█' : '▀') : bottom ? '▄' : ' '
    }
    rows.push(line)
  }
  return rows.join('\n')
}

/** The QR code as SVG, one unit per module, no margin (qrencode `-t svg -m0 -s1`). */
export function qrSvg(qr: ReturnType<typeof paperKeyQr>): string {
  let path = ''
  for (let r = 0; r < qr.size; r++) {
    for (let c = 0; c < qr.size; c++) {
      // Merge horizontal runs: fewer path segments and no hairline gaps between modules.
      if (!qr.dark(r, c)) continue
      let end = c
      while (end + 1 < qr.size && qr.dark(r, end + 1)) end++
      path += `M${c},${r}h${end - c + 1}v1h-${end - c + 1}z`
      c = end
    }
  }
  const n = qr.size
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${n} ${n}" width="${n}" height="${n}" ` +
    `shape-rendering="crispEdges"><rect width="${n}" height="${n}" fill="#fff"/>` +
    `<path fill="#000" d="${path}"/></svg>`
  )
}

export function paperKeyText(config: KeyConfig, subject?: string): string {
  const lines = paperKeyLines(config)
  const out: string[] = []
  if (subject !== undefined) out.push(`Subject: ${subject}`, '')
  out.push(PAPER_KEY_BEGIN, ...lines, PAPER_KEY_END)
  out.push(qrHalfBlocks(paperKeyQr(lines)))
  return out.join('\n') + '\n'
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)

/**
 * A standalone HTML page that prints on one page: the text in monospace and the QR code as an SVG
 * data URI, kept together by `page-break-inside: avoid` (as PBS prints it, with escaping added:
 * a hint or subject may contain `<`).
 */
export function paperKeyHtml(config: KeyConfig, subject?: string): string {
  const lines = paperKeyLines(config)
  const svg = Buffer.from(qrSvg(paperKeyQr(lines))).toString('base64')
  const html = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>Proxmox Backup Paperkey</title>',
    '<style type="text/css">',
    '  @page { margin: 15mm; }',
    '  body { margin: 0; }',
    '  p { font-size: 10pt; font-family: monospace; white-space: pre-wrap; line-break: anywhere; }',
    '  img { display: block; margin: 0 auto; image-rendering: pixelated; }',
    '</style>',
    '</head>',
    '<body>'
  ]
  if (subject !== undefined) html.push(`<p>Subject: ${escapeHtml(subject)}</p>`)
  html.push(
    '<div style="page-break-inside: avoid">',
    '<p>',
    PAPER_KEY_BEGIN,
    ...lines.map(escapeHtml),
    PAPER_KEY_END,
    '</p>',
    // 300pt instead of PBS's 500pt: with the text above, 500pt does not fit one A4/Letter page.
    `<img width="300pt" height="300pt" alt="QR code of the key config" src="data:image/svg+xml;base64,${svg}"/>`,
    '</div>',
    '</body>',
    '</html>'
  )
  return html.join('\n') + '\n'
}

export function renderPaperKey(
  config: KeyConfig,
  format: PaperKeyFormat = 'text',
  subject?: string
): string {
  return format === 'html' ? paperKeyHtml(config, subject) : paperKeyText(config, subject)
}

/**
 * What `key restore --key` accepts: the key config JSON itself, or any text (a paper key, a mail)
 * that contains it between the BEGIN/END lines.
 */
export function parsePaperKey(text: string): KeyConfig {
  const begin = text.indexOf(PAPER_KEY_BEGIN)
  if (begin >= 0) {
    const end = text.indexOf(PAPER_KEY_END, begin)
    if (end < 0) throw invalidArgument(`paper key text has '${PAPER_KEY_BEGIN}' but no end line`)
    return parseKeyConfigJson(text.slice(begin + PAPER_KEY_BEGIN.length, end), 'paper key')
  }
  const trimmed = text.trim()
  if (!trimmed.startsWith('{')) {
    throw invalidArgument(
      `not a key: expected key config JSON or text with a '${PAPER_KEY_BEGIN}' line`
    )
  }
  return parseKeyConfigJson(trimmed, 'key')
}
