import { describe, expect, it } from 'vitest'
import { BlockedReader } from '../../../main/core/format/blocked-reader'
import { BlockedWriter } from '../../../main/core/format/blocked-writer'
import {
  decodeMediaContentHeader,
  encodeMediaContentHeader,
  writeContentHeader
} from '../../../main/core/format/content-header'
import { FormatError } from '../../../main/core/format/format-error'
import { MEDIA_LABEL_MAGIC_1_0, MEDIA_SET_LABEL_MAGIC_1_0 } from '../../../main/core/format/magics'
import {
  mediaLabelJson,
  parseMediaLabel,
  readMediaLabelFile,
  writeMediaLabelFile
} from '../../../main/core/format/media-label'
import {
  isUnassignedMediaSet,
  mediaSetLabelJson,
  parseMediaSetLabel,
  readMediaSetLabelFile,
  writeMediaSetLabelFile
} from '../../../main/core/format/media-set-label'
import { utf8 } from '../../../main/core/format/pretty-json'
import { MemoryTape, hex, unhex } from './memory-tape'

const MEDIA_UUID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'
const SET_UUID = 'f0e1d2c3-b4a5-4697-8877-665544332211'
const FP = Array.from({ length: 32 }, (_, i) => (i * 7 + 1).toString(16).padStart(2, '0')).join(':')

async function open(tape: MemoryTape): Promise<BlockedReader> {
  const r = await BlockedReader.open(tape)
  if (typeof r === 'string') throw new Error(r)
  return r
}

describe('MediaContentHeader', () => {
  it('golden 48 bytes: magic | content magic | uuid | ctime i64 LE | size u32 LE | part | reserved', () => {
    const bytes = encodeMediaContentHeader({
      contentMagic: MEDIA_LABEL_MAGIC_1_0,
      uuid: MEDIA_UUID,
      ctime: 0x0102030405,
      size: 0x1234,
      partNumber: 0
    })
    expect(hex(bytes)).toBe(
      '63ee149fcdf29b0c' +
        '2a05bf3cb030aa39' +
        '0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d' +
        '0504030201000000' +
        '34120000' +
        '00' +
        '000000'
    )
    expect(decodeMediaContentHeader(bytes)).toEqual({
      contentMagic: MEDIA_LABEL_MAGIC_1_0,
      uuid: MEDIA_UUID,
      ctime: 0x0102030405,
      size: 0x1234,
      partNumber: 0
    })
  })

  it('negative ctime is i64 two’s complement', () => {
    const bytes = encodeMediaContentHeader({
      contentMagic: MEDIA_LABEL_MAGIC_1_0,
      uuid: MEDIA_UUID,
      ctime: -2,
      size: 1,
      partNumber: 0
    })
    expect(hex(bytes.subarray(32, 40))).toBe('feffffffffffffff')
    expect(decodeMediaContentHeader(bytes).ctime).toBe(-2)
  })

  it('rejects a wrong header magic', () => {
    const bytes = unhex('00'.repeat(48))
    expect(() => decodeMediaContentHeader(bytes)).toThrow('MediaContentHeader: wrong magic')
  })
})

describe('media label (file 0)', () => {
  const label = { uuid: MEDIA_UUID, labelText: 'TAPE01L9', ctime: 1_700_000_000, pool: 'daily' }

  it('JSON: sorted keys, 2-space pretty print, snake_case names', () => {
    expect(mediaLabelJson(label)).toBe(
      `{\n  "ctime": 1700000000,\n  "label_text": "TAPE01L9",\n  "pool": "daily",\n  "uuid": "${MEDIA_UUID}"\n}`
    )
    expect(mediaLabelJson({ ...label, pool: undefined })).toBe(
      `{\n  "ctime": 1700000000,\n  "label_text": "TAPE01L9",\n  "uuid": "${MEDIA_UUID}"\n}`
    )
  })

  it('tape file bytes: one EOS block with header + JSON, then a filemark', async () => {
    const tape = new MemoryTape()
    await writeMediaLabelFile(tape, label, { uuid: SET_UUID, ctime: 5 })
    expect(tape.marks).toHaveLength(2)
    const block = tape.marks[0] as Uint8Array
    const json = mediaLabelJson(label)
    const size = 48 + json.length
    expect(hex(block.subarray(0, 16))).toBe(
      'dcbdafcaeba0a528' + '01' + hex(Uint8Array.of(size & 0xff, size >> 8, 0)) + '00000000'
    )
    expect(hex(block.subarray(16, 32))).toBe('63ee149fcdf29b0c2a05bf3cb030aa39')
    expect(hex(block.subarray(56, 60))).toBe(hex(Uint8Array.of(json.length, 0, 0, 0)))
    expect(Buffer.from(block.subarray(64, 64 + json.length)).toString()).toBe(json)
    expect(block.subarray(64 + json.length).every((b) => b === 0)).toBe(true)
  })

  it('round-trips through a tape file', async () => {
    const tape = new MemoryTape()
    await writeMediaLabelFile(tape, label)
    const { label: back, header } = await readMediaLabelFile(await open(tape))
    expect(back).toEqual(label)
    expect(header.size).toBe(mediaLabelJson(label).length)
  })

  it('reader is tolerant about key order and unknown keys, strict about types', () => {
    const reordered = `{"uuid":"${MEDIA_UUID.toUpperCase()}","extra":1,"pool":null,"label_text":"X","ctime":3}`
    expect(parseMediaLabel(utf8(reordered))).toEqual({ uuid: MEDIA_UUID, labelText: 'X', ctime: 3 })
    expect(() => parseMediaLabel(utf8(`{"uuid":"${MEDIA_UUID}","label_text":"X"}`))).toThrow(
      'missing field "ctime"'
    )
    expect(() => parseMediaLabel(utf8(`{"uuid":"nope","label_text":"X","ctime":1}`))).toThrow(
      /not a valid UUID/
    )
    expect(() =>
      parseMediaLabel(utf8(`{"uuid":"${MEDIA_UUID}","label_text":7,"ctime":1}`))
    ).toThrow('field "label_text" must be a string')
    expect(() => parseMediaLabel(utf8('[1]'))).toThrow(FormatError)
    expect(() => parseMediaLabel(utf8('{'))).toThrow(/unable to parse drive label/)
  })

  it('rejects trailing data, the wrong content magic and oversized header data', async () => {
    const withTrailer = new MemoryTape()
    const w = new BlockedWriter(withTrailer)
    await writeContentHeader(w, MEDIA_LABEL_MAGIC_1_0, utf8(mediaLabelJson(label)))
    await w.write(Uint8Array.of(1))
    await w.finish(false)
    await expect(readMediaLabelFile(await open(withTrailer))).rejects.toThrow(
      'got unexpected data after label'
    )

    const setFile = new MemoryTape()
    await writeMediaSetLabelFile(setFile, { pool: 'p', uuid: SET_UUID, seqNr: 0, ctime: 1 })
    await expect(readMediaLabelFile(await open(setFile))).rejects.toThrow(/wrong content magic/)

    const big = new MemoryTape()
    const w2 = new BlockedWriter(big)
    await writeContentHeader(w2, MEDIA_LABEL_MAGIC_1_0, new Uint8Array(65537))
    await w2.finish(false)
    await expect(readMediaLabelFile(await open(big))).rejects.toThrow(/unexpected size 65537/)
  })
})

describe('media-set label (file 1)', () => {
  const set = { pool: 'daily', uuid: SET_UUID, seqNr: 2, ctime: 1_700_000_100 }

  it('JSON without encryption: sorted keys', () => {
    expect(mediaSetLabelJson(set)).toBe(
      `{\n  "ctime": 1700000100,\n  "pool": "daily",\n  "seq_nr": 2,\n  "uuid": "${SET_UUID}"\n}`
    )
  })

  it('JSON with encryption: fingerprint and key-config (kebab-case, nested keys sorted)', () => {
    const keyConfig = {
      kdf: { Scrypt: { salt: 'c2FsdA==', n: 65536, r: 8, p: 1 } },
      created: 1,
      modified: 2,
      data: 'AA=='
    }
    expect(mediaSetLabelJson({ ...set, encryptionKeyFingerprint: FP }, keyConfig)).toBe(
      [
        '{',
        '  "ctime": 1700000100,',
        `  "encryption_key_fingerprint": "${FP}",`,
        '  "key-config": {',
        '    "created": 1,',
        '    "data": "AA==",',
        '    "kdf": {',
        '      "Scrypt": {',
        '        "n": 65536,',
        '        "p": 1,',
        '        "r": 8,',
        '        "salt": "c2FsdA=="',
        '      }',
        '    },',
        '    "modified": 2',
        '  },',
        '  "pool": "daily",',
        '  "seq_nr": 2,',
        `  "uuid": "${SET_UUID}"`,
        '}'
      ].join('\n')
    )
    expect(() => mediaSetLabelJson({ ...set, encryptionKeyFingerprint: FP })).toThrow(
      'missing encryption key config'
    )
  })

  it('round-trips and keeps key-config aside', async () => {
    const keyConfig = { kdf: null, created: 1, modified: 1, data: 'AA==' }
    const tape = new MemoryTape()
    await writeMediaSetLabelFile(tape, { ...set, encryptionKeyFingerprint: FP }, keyConfig)
    const back = await readMediaSetLabelFile(await open(tape))
    expect(back.label).toEqual({ ...set, encryptionKeyFingerprint: FP })
    expect(back.keyConfig).toEqual(keyConfig)
    expect(back.header.contentMagic).toEqual(MEDIA_SET_LABEL_MAGIC_1_0)
  })

  it('all-zero set UUID means "no media set"', () => {
    const parsed = parseMediaSetLabel(
      utf8('{"pool":"p","uuid":"00000000-0000-0000-0000-000000000000","seq_nr":0,"ctime":1}')
    )
    expect(isUnassignedMediaSet(parsed.label)).toBe(true)
    expect(isUnassignedMediaSet(set)).toBe(false)
  })

  it('strict about structure', () => {
    expect(() =>
      parseMediaSetLabel(utf8(`{"pool":"p","uuid":"${SET_UUID}","seq_nr":-1,"ctime":1}`))
    ).toThrow('field "seq_nr" must be an unsigned integer')
    expect(() =>
      parseMediaSetLabel(
        utf8(
          `{"pool":"p","uuid":"${SET_UUID}","seq_nr":1,"ctime":1,"encryption_key_fingerprint":"ab"}`
        )
      )
    ).toThrow(/invalid encryption_key_fingerprint/)
    expect(() =>
      parseMediaSetLabel(
        utf8(`{"pool":"p","uuid":"${SET_UUID}","seq_nr":1,"ctime":1,"key-config":3}`)
      )
    ).toThrow('key-config must be an object')
  })
})
