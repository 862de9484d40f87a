import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKeyConfig, type KeyConfig } from '../../../main/core/crypto/key-config'
import {
  PAPER_KEY_BEGIN,
  PAPER_KEY_END,
  paperKeyHtml,
  paperKeyLines,
  paperKeyQr,
  paperKeyText,
  parsePaperKey,
  qrHalfBlocks
} from '../../../main/core/crypto/paper-key'
import { halfBlocksToPbm, zbarimg } from '../../helpers/qr-scan'

let config: KeyConfig
let dir: string

beforeAll(async () => {
  config = await createKeyConfig(randomBytes(32), {
    password: 'password',
    kdf: 'pbkdf2',
    hint: 'a <b> & "c"'
  })
  dir = await mkdtemp(join(tmpdir(), 'tapedeck-paperkey-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('paper key text', () => {
  it('frames the pretty JSON like PBS and follows it with a QR code', () => {
    const text = paperKeyText(config, 'Backup key of host1')
    const lines = text.split('\n')
    expect(lines.slice(0, 3)).toEqual(['Subject: Backup key of host1', '', PAPER_KEY_BEGIN])
    const json = paperKeyLines(config)
    expect(json[0]).toBe('{')
    expect(json[1]).toBe('  "kdf": {')
    expect(json[2]).toBe('    "PBKDF2": {')
    expect(lines.slice(3, 3 + json.length)).toEqual(json)
    expect(lines[3 + json.length]).toBe(PAPER_KEY_END)
    const qr = lines.slice(4 + json.length).filter((l) => l !== '')
    expect(qr.every((l) => /^[ █▀▄]+$/.test(l))).toBe(true)
    expect(qr).toHaveLength(Math.ceil(paperKeyQr(json).size / 2))
  })

  it('draws a QR code that zbarimg decodes to the key config JSON', () => {
    const json = paperKeyLines(config)
    const drawn = qrHalfBlocks(paperKeyQr(json)).split('\n')
    const decoded = zbarimg(halfBlocksToPbm(drawn, dir))
    expect(decoded).toBe(json.join('\n'))
    expect(parsePaperKey(decoded)).toEqual(config)
  })

  it('parses raw JSON, whole paper keys and text around them', () => {
    expect(parsePaperKey(JSON.stringify(config))).toEqual(config)
    expect(parsePaperKey(paperKeyText(config))).toEqual(config)
    expect(parsePaperKey(`Dear admin,\nhere it is:\n${paperKeyText(config, 'x')}\nbye`)).toEqual(
      config
    )
    expect(() => parsePaperKey('hello')).toThrow(/expected key config JSON/)
    expect(() => parsePaperKey(`${PAPER_KEY_BEGIN}\n{}`)).toThrow(/no end line/)
    expect(() => parsePaperKey(`${PAPER_KEY_BEGIN}\n{"kdf": 1}\n${PAPER_KEY_END}`)).toThrow(
      /paper key is not a valid PBS key config/
    )
  })
})

describe('paper key HTML', () => {
  it('escapes the text and embeds the QR code as an SVG data URI', () => {
    const html = paperKeyHtml(config, '<script>')
    expect(html).toContain('<p>Subject: &#60;script&#62;</p>')
    expect(html).not.toContain('<script>')
    expect(html).toContain('&#34;hint&#34;: &#34;a &#60;b&#62; &#38; \\&#34;c\\&#34;&#34;')
    expect(html).toContain('page-break-inside: avoid')
    const uri = /src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)"/.exec(html)
    expect(uri).not.toBeNull()
    const svg = Buffer.from(uri![1]!, 'base64').toString()
    const size = paperKeyQr(paperKeyLines(config)).size
    expect(svg).toContain(`viewBox="0 0 ${size} ${size}"`)
  })
})
