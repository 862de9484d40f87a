import { describe, expect, it } from 'vitest'
import {
  parseElementAddressAssignment,
  parseElementStatus
} from '../../../main/core/devices/scsi/smc-data'
import { concat, h, padded } from './hex'

/** Element status header + one page; `byteCount` defaults to the honest value. */
function report(
  type: number,
  pageFlags: number,
  descriptorLength: number,
  descriptors: Uint8Array[],
  first = 0
): Uint8Array {
  const body = concat(...descriptors)
  const page = concat(
    [type, pageFlags],
    [descriptorLength >> 8, descriptorLength & 0xff],
    [0, 0, body.length >> 8, body.length & 0xff],
    body
  )
  const count = 8 + body.length
  return concat(
    [first >> 8, first & 0xff, 0, descriptors.length, 0, 0, count >> 8, count & 0xff],
    page
  )
}

const tag = (barcode: string): Uint8Array => concat(padded(barcode, 32), [0, 0, 0, 0]) // 32 + 2 reserved + 2 sequence
const noId = h('00 00 00 00') // identification descriptor header, length 0
const dvcid = (serial: string): Uint8Array =>
  concat(h('02 01 00 22'), padded('IBM', 8), padded('ULT3580-TD8', 16), padded(serial, 10))

// Storage element with VOLTAG, as tgt reports it: 52-byte descriptors (scsi.md §3.2).
const slot = (address: number, barcode: string | null): Uint8Array =>
  concat(
    [address >> 8, address & 0xff, barcode ? 0x01 : 0x00, 0, 0, 0, 0, 0, 0, 0x00, 0, 0],
    tag(barcode ?? ''),
    noId
  )

// Data transfer element with VOLTAG + DVCID: 12 + 36 + 4 + 34 = 86 bytes.
const drive = (
  address: number,
  barcode: string | null,
  source: number | null,
  serial: string
): Uint8Array =>
  concat(
    [
      address >> 8,
      address & 0xff,
      barcode ? 0x01 : 0x00,
      0,
      0,
      0,
      0,
      0,
      0,
      source === null ? 0 : 0x80,
      (source ?? 0) >> 8,
      (source ?? 0) & 0xff
    ],
    tag(barcode ?? ''),
    dvcid(serial)
  )

describe('READ ELEMENT STATUS', () => {
  it('storage slots with barcodes; blank tags of empty slots read as null', () => {
    const data = report(2, 0x80, 52, [slot(1000, 'TEST01L8'), slot(1001, null)], 1000)
    expect(data.length).toBe(8 + 8 + 104)
    const status = parseElementStatus(data, { elementType: 2 })
    expect(status).toMatchObject({ firstAddress: 1000, available: 2, complete: true })
    expect(status.elements).toEqual([
      {
        kind: 'storage',
        address: 1000,
        full: true,
        placedByOperator: false,
        except: false,
        access: false,
        exportEnabled: false,
        importEnabled: false,
        asc: 0,
        ascq: 0,
        mediumType: 0,
        sourceAddress: null,
        volumeTag: 'TEST01L8',
        alternateVolumeTag: null,
        identifier: null,
        complete: true
      },
      expect.objectContaining({ address: 1001, full: false, volumeTag: null, complete: true })
    ])
  })

  it("tolerates tgt's missing last 8 bytes: the last slot keeps its barcode", () => {
    const data = report(2, 0x80, 52, [slot(1000, 'TEST01L8'), slot(1009, 'CLN001CU')])
    const status = parseElementStatus(data.subarray(0, data.length - 8))
    expect(status.complete).toBe(false)
    expect(status.elements.map((e) => [e.address, e.full, e.volumeTag, e.complete])).toEqual([
      [1000, true, 'TEST01L8', true],
      [1009, true, 'CLN001CU', false]
    ])
  })

  it('drives with VOLTAG and DVCID: source slot (SVALID) and vendor/product/serial', () => {
    const data = report(
      4,
      0x80,
      86,
      [drive(500, 'TEST03L8', 1002, 'DRV0001'), drive(501, null, null, 'DRV0002')],
      500
    )
    const [d0, d1] = parseElementStatus(data, { elementType: 4 }).elements
    expect(d0).toMatchObject({
      kind: 'data-transfer',
      address: 500,
      full: true,
      sourceAddress: 1002,
      volumeTag: 'TEST03L8',
      identifier: { codeSet: 2, type: 1, vendor: 'IBM', product: 'ULT3580-TD8', serial: 'DRV0001' },
      complete: true
    })
    expect(d1).toMatchObject({
      address: 501,
      full: false,
      sourceAddress: null,
      volumeTag: null,
      identifier: { serial: 'DRV0002' }
    })
    // tgt cuts 8 bytes off the last drive: its identifier is incomplete and must not yield a wrong serial
    const cut = parseElementStatus(data.subarray(0, data.length - 8)).elements[1]
    expect(cut).toMatchObject({ address: 501, identifier: null, complete: false })
  })

  it('DVCID without VOLTAG (PBS asks separately), serial-only identifier (Quantum Superloader 3)', () => {
    const quantum = concat(
      h('01f4 01 00 0000 000000 80 03e9'),
      h('02 00 00 0a'),
      padded('QX1234', 10)
    )
    const status = parseElementStatus(report(4, 0x00, 26, [quantum]))
    expect(status.elements[0]).toMatchObject({
      sourceAddress: 1001,
      volumeTag: null,
      identifier: { type: 0, vendor: null, product: null, serial: 'QX1234' }
    })
  })

  it('16-byte descriptors cut by tgt lose SVALID/source and medium type, not the FULL flag', () => {
    const robot = h('0001 00 00 0000 000000 00 0000 00000000')
    const d = (a: number): Uint8Array =>
      h(`${a.toString(16).padStart(4, '0')} 01 00 0000 000000 82 03e8 00000000`) // full, SVALID, cleaning
    expect(parseElementStatus(report(1, 0, 16, [robot])).elements[0]).toMatchObject({
      kind: 'transport',
      address: 1,
      full: false,
      mediumType: 0
    })
    const full = report(4, 0, 16, [d(500), d(501)])
    expect(parseElementStatus(full).elements[1]).toMatchObject({
      full: true,
      mediumType: 2,
      sourceAddress: 1000,
      complete: true
    })
    expect(parseElementStatus(full.subarray(0, full.length - 8)).elements[1]).toMatchObject({
      address: 501,
      full: true,
      mediumType: null,
      sourceAddress: null,
      complete: false
    })
  })

  it('import/export flags, EXCEPT with its reason, and alternate volume tags', () => {
    const ie = concat(h('000a 3b 00 0000 000000 00 0000'), tag('TEST05L8'), tag('ALT05'))
    const broken = concat(h('000b 04 00 8302 000000 00 0000'), tag(''), tag(''))
    const [e0, e1] = parseElementStatus(report(3, 0xc0, 84, [ie, broken])).elements
    expect(e0).toMatchObject({
      kind: 'import-export',
      full: true,
      placedByOperator: true,
      access: true,
      exportEnabled: true,
      importEnabled: true,
      except: false,
      volumeTag: 'TEST05L8',
      alternateVolumeTag: 'ALT05'
    })
    expect(e1).toMatchObject({ except: true, asc: 0x83, ascq: 0x02, full: false })
  })

  it('an empty answer, and refusals that protect the slot map', () => {
    expect(parseElementStatus(h('0000 0000 00 000000')).elements).toEqual([])
    expect(() =>
      parseElementStatus(report(4, 0x80, 86, [drive(500, null, null, 'D')]), { elementType: 2 })
    ).toThrow(/answered element type 4 to a request for type 2/)
    expect(() => parseElementStatus(report(7, 0, 16, [new Uint8Array(16)]))).toThrow(
      /unknown element type 7/
    )
    expect(() => parseElementStatus(report(2, 0, 0, [new Uint8Array(16)]))).toThrow(
      /descriptor length 0/
    )
    expect(() => parseElementStatus(h('0000 00'))).toThrow(/element status header/)
  })
})

describe('READ ELEMENT STATUS answers captured from tgt 1.0.85 (Debian 12)', () => {
  // Captured with Tapedeck's iSCSI transport from a tgtd with slots 1000-1003 (TEST01L8, TEST03L8
  // in 1000 and 1002) and drive 500 loaded from slot 1001. tgt announces 8 bytes more than it sends.
  const storage = h(
    '03e80004000000d8 02800034000000d0' +
      '03e8010000000000000000005445535430314c382020202020202020202020202020202020202020202020200000000000000000' +
      '03e9000000000000000000002020202020202020202020202020202020202020202020202020202020202020' +
      '0000000000000000' +
      '03ea010000000000000000005445535430334c382020202020202020202020202020202020202020202020200000000000000000' +
      '03eb000000000000000000002020202020202020202020202020202020202020202020202020202020202020'
  )
  const drive = h(
    '01f400010000005e 048000560000005601f4010000000000008003e9' +
      '5445535430324c38202020202020202020202020202020202020202020202020' +
      '00000000' +
      '02010022' +
      '49424d2020202020' +
      '554c54333538302d5444382020202020' +
      '4452'
  )

  it('storage slots: four descriptors, the last one 8 bytes short but with its (blank) tag', () => {
    expect(storage.length).toBe(216)
    const status = parseElementStatus(storage, { elementType: 2 })
    expect(status.complete).toBe(false)
    expect(status.elements.map((e) => [e.address, e.full, e.volumeTag, e.complete])).toEqual([
      [1000, true, 'TEST01L8', true],
      [1001, false, null, true],
      [1002, true, 'TEST03L8', true],
      [1003, false, null, false]
    ])
  })

  it('the only drive: barcode and source slot survive, the cut DVCID serial is not guessed', () => {
    expect(drive.length).toBe(94)
    expect(parseElementStatus(drive, { elementType: 4 }).elements).toEqual([
      expect.objectContaining({
        address: 500,
        full: true,
        sourceAddress: 1001,
        volumeTag: 'TEST02L8',
        identifier: null,
        complete: false
      })
    ])
  })
})

describe('Element Address Assignment page 0x1D', () => {
  it("tgt's page for robot 1, slots 1000-1009, mail slots 10-11, drives 500-501 (scsi.md §3.3)", () => {
    const data = h('17 00 00 00  1d 12 0001 0001 03e8 000a 000a 0002 01f4 0002 0000')
    expect(parseElementAddressAssignment(data)).toEqual({
      transport: { first: 1, count: 1 },
      storage: { first: 1000, count: 10 },
      importExport: { first: 10, count: 2 },
      dataTransfer: { first: 500, count: 2 }
    })
  })

  it('with a block descriptor in front (mtx asks with DBD=0)', () => {
    const data = h(
      '1f 00 00 08  00 000000 00 000000  1d 12 0001 0001 0002 0004 0000 0000 0100 0001 0000'
    )
    expect(parseElementAddressAssignment(data)).toMatchObject({
      storage: { first: 2, count: 4 },
      importExport: { first: 0, count: 0 }
    })
    expect(() => parseElementAddressAssignment(h('0b 00 00 00  1f 06 00 00 00 00 00 00'))).toThrow(
      /mode page 0x1d\/0 missing/
    )
  })
})
