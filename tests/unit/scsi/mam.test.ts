import { describe, expect, it } from 'vitest'
import {
  MamId,
  buildWriteAttributeData,
  mamAttributeName,
  parseAttributeIds,
  parseAttributes
} from '../../../main/core/devices/scsi/mam'
import { concat, h, hexOf, padded } from './hex'

// tgt keeps MAM inside its image files but exposes none of it; these bytes follow the READ
// ATTRIBUTE layout (scsi.md §1.5) with the ids and lengths of PBS's table (sg_tape/mam.rs).
const attributes = [
  h('0000 80 0008 00000000002dc6c0'), // remaining capacity 3 000 000 MiB, read-only binary
  h('0003 80 0008 0000000000000011'), // load count 17
  h('0220 80 0008 00000000000f4240'), // total MB written 1 000 000
  concat(h('0400 81 0008'), padded('FUJIFILM', 8)), // manufacturer, read-only ASCII
  concat(h('0401 81 0020'), padded('A1B2C3D4E5', 32)), // medium serial
  concat(h('0406 81 0008'), Buffer.from('20230115')), // manufacture date
  h('0408 80 0001 80'), // medium type: WORM
  concat(h('0803 02 00a0'), padded('pool-a label', 160, 0)), // host-written text label (format 2)
  concat(h('1234 01 0003'), Buffer.from('abc')) // unknown id, ASCII
]

function response(lengthField?: number): Uint8Array {
  const body = concat(...attributes)
  const header = new Uint8Array(4)
  new DataView(header.buffer).setUint32(0, lengthField ?? body.length)
  return concat(header, body)
}

describe('READ ATTRIBUTE values', () => {
  it('decodes counters, ASCII, text and binary attributes with their names', () => {
    const list = parseAttributes(response())
    expect(list.map(({ raw: _r, ...a }) => a)).toEqual([
      {
        id: 0x0000,
        name: 'Remaining Capacity In Partition',
        readOnly: true,
        format: 'binary',
        value: 3_000_000
      },
      { id: 0x0003, name: 'Load Count', readOnly: true, format: 'binary', value: 17 },
      {
        id: 0x0220,
        name: 'Total MBytes Written in Medium Life',
        readOnly: true,
        format: 'binary',
        value: 1_000_000
      },
      {
        id: 0x0400,
        name: 'Medium Manufacturer',
        readOnly: true,
        format: 'ascii',
        value: 'FUJIFILM'
      },
      {
        id: 0x0401,
        name: 'Medium Serial Number',
        readOnly: true,
        format: 'ascii',
        value: 'A1B2C3D4E5'
      },
      {
        id: 0x0406,
        name: 'Medium Manufacture Date',
        readOnly: true,
        format: 'ascii',
        value: '20230115'
      },
      { id: 0x0408, name: 'Medium Type', readOnly: true, format: 'binary', value: '80' },
      {
        id: 0x0803,
        name: 'User Medium Text Label',
        readOnly: false,
        format: 'text',
        value: 'pool-a label'
      },
      { id: 0x1234, name: null, readOnly: false, format: 'ascii', value: 'abc' }
    ])
    expect(list[7].raw.length).toBe(160)
  })

  it('clamps an available length larger than the data (Quantum HH7) and rejects a cut attribute', () => {
    expect(parseAttributes(response(32 * 1024))).toHaveLength(9)
    const cut = response().subarray(0, 4 + 13 + 7) // second attribute cut after 7 of its 13 bytes
    expect(() => parseAttributes(cut)).toThrow(/attribute at byte 17 is cut off/)
  })

  it('keeps 64-bit counters beyond 2^53 exact, as decimal text', () => {
    // TapeAlert flags attribute with flag 64 (bit 63) set
    expect(parseAttributes(h('0000000d 0002 80 0008 8000000000000001'))[0].value).toBe(
      '9223372036854775809'
    )
  })

  it('attribute id lists (service actions 0x01 and 0x05)', () => {
    expect(parseAttributeIds(h('00000006 0000 0001 0400'))).toEqual([0x0000, 0x0001, 0x0400])
    expect(mamAttributeName(MamId.BARCODE)).toBe('Barcode')
  })
})

describe('WRITE ATTRIBUTE parameter list', () => {
  it('is byte-identical to PBS write_mam_attribute: zero-padded to the fixed length', () => {
    // PBS: u32 length 13, then 0800 | 01 (ASCII) | 0008 | "Proxmox" 00
    expect(
      hexOf(buildWriteAttributeData([{ id: MamId.APPLICATION_VENDOR, value: 'Proxmox' }]))
    ).toBe('0000000d' + '0800' + '01' + '0008' + '50726f786d6f7800')
  })

  it('text attributes use format 2; several attributes follow each other; null clears', () => {
    const data = buildWriteAttributeData([
      { id: MamId.USER_MEDIUM_TEXT_LABEL, value: 'tape ä' },
      { id: MamId.BARCODE, value: null },
      { id: 0x0805, value: 0x81 }
    ])
    // 165 + 5 + 6 = 176 = 0xb0 bytes of attributes
    const label = concat(h('0803 02 00a0'), Buffer.from('tape ä', 'utf8'), new Uint8Array(160 - 7))
    expect(hexOf(data)).toBe(
      hexOf(concat(h('000000b0'), label, h('0806 01 0000'), h('0805 00 0001 81')))
    )
    expect(parseAttributes(data)[0].value).toBe('tape ä')
  })

  it('refuses values that do not fit and unknown ids', () => {
    expect(() =>
      buildWriteAttributeData([{ id: MamId.APPLICATION_VERSION, value: '123456789' }])
    ).toThrow(/9 bytes do not fit in 8/)
    expect(() => buildWriteAttributeData([{ id: 0x0bff, value: 'x' }])).toThrow(/0x0bff is unknown/)
  })
})
