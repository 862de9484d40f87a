import { describe, expect, it } from 'vitest'
import {
  buildModeSelectParameters,
  logicalUnitId,
  modePage,
  parseDataCompressionPage,
  parseDeviceConfigurationExtensionPage,
  parseDeviceConfigurationPage,
  parseDeviceIdentification,
  parseInquiry,
  parseMediumConfigurationPage,
  parseModeParameters,
  parseReportLuns,
  parseSupportedCommands,
  parseSupportedVpdPages,
  parseUnitSerialNumber
} from '../../../main/core/devices/scsi/spc-data'
import { concat, h, hexOf, padded } from './hex'

describe('INQUIRY', () => {
  it('standard data of a tape drive configured in tgt as IBM ULT3580-TD8 rev 0001', () => {
    const data = concat(
      h('01 80 05 02 5b 00 00 02'), // tape, RMB, SPC-3, additional length 91
      padded('IBM', 8),
      padded('ULT3580-TD8', 16),
      padded('0001', 4),
      new Uint8Array(60)
    )
    expect(parseInquiry(data)).toEqual({
      qualifier: 0,
      deviceType: 1,
      removable: true,
      version: 5,
      mediumChanger: false,
      vendor: 'IBM',
      product: 'ULT3580-TD8',
      revision: '0001'
    })
  })

  it('changer type 8, MCHNGR bit, qualifier 3 (no device at this LUN)', () => {
    const changer = concat(
      h('08 00 05 02 1f 00 00 00'),
      padded('STK', 8),
      padded('L700', 16),
      padded('0105', 4)
    )
    expect(parseInquiry(changer)).toMatchObject({
      deviceType: 8,
      removable: false,
      product: 'L700',
      revision: '0105'
    })
    expect(
      parseInquiry(
        concat(
          h('01 80 05 02 1f 00 08 00'),
          padded('HP', 8),
          padded('Ultrium 6', 16),
          padded('x', 4)
        )
      ).mediumChanger
    ).toBe(true)
    expect(parseInquiry(h('7f 00 05 02 00')).qualifier).toBe(3)
    expect(() => parseInquiry(h('01 00'))).toThrow(/INQUIRY data: 2 bytes/)
  })
})

describe('VPD pages', () => {
  it('supported pages (tgt lists 0x80, 0x83 and the disk pages)', () => {
    expect(parseSupportedVpdPages(h('01 00 00 06 00 80 83 b0 b1 b2'))).toEqual([
      0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2
    ])
  })

  it('unit serial number, trimmed: tgt right-justifies it in 36 spaces', () => {
    const tgt = concat(h('01 80 00 24'), Buffer.from('                             DRV0001'))
    expect(parseUnitSerialNumber(tgt)).toBe('DRV0001')
    expect(() => parseUnitSerialNumber(h('01 83 00 00'))).toThrow(
      /expected VPD page 0x80, device sent page 0x83/
    )
  })

  const naa = h('01 03 00 08  50 01 23 45 67 89 ab cd') // binary, LU, NAA 5
  const t10 = concat(h('02 01 00 18'), padded('IBM', 8), padded('ULT3580-TD8', 16)) // ASCII, LU, T10 vendor id
  const eui = h('01 02 00 08  00 11 22 33 44 55 66 77') // binary, LU, EUI-64
  const port = h('51 94 00 04  00 00 00 01') // iSCSI, PIV, target port, relative port 1
  const name = concat(h('53 a8 00 0c'), Buffer.from('iqn.2024-01\0')) // UTF-8, target device, SCSI name

  it('device identification designators', () => {
    const page = concat(h('01 83 00 4c'), naa, t10, eui, port, name)
    const list = parseDeviceIdentification(page)
    expect(list.map(({ identifier: _i, ...d }) => d)).toEqual([
      {
        protocol: 0,
        codeSet: 1,
        protocolValid: false,
        association: 'logical-unit',
        type: 3,
        value: '500123456789abcd'
      },
      {
        protocol: 0,
        codeSet: 2,
        protocolValid: false,
        association: 'logical-unit',
        type: 1,
        value: 'IBM     ULT3580-TD8'
      },
      {
        protocol: 0,
        codeSet: 1,
        protocolValid: false,
        association: 'logical-unit',
        type: 2,
        value: '0011223344556677'
      },
      {
        protocol: 5,
        codeSet: 1,
        protocolValid: true,
        association: 'target-port',
        type: 4,
        value: '00000001'
      },
      {
        protocol: 5,
        codeSet: 3,
        protocolValid: true,
        association: 'target-device',
        type: 8,
        value: 'iqn.2024-01'
      }
    ])
    expect(hexOf(list[0].identifier)).toBe('500123456789abcd')
    expect(logicalUnitId(list)).toBe('naa.500123456789abcd')
  })

  it('the logical unit id prefers NAA, then EUI-64, then T10 vendor id; port designators never count', () => {
    const ids = (...d: Uint8Array[]): string | null => {
      const body = concat(...d)
      return logicalUnitId(
        parseDeviceIdentification(
          concat(h(`01 83 00 ${body.length.toString(16).padStart(2, '0')}`), body)
        )
      )
    }
    expect(ids(t10, eui)).toBe('eui.0011223344556677')
    expect(ids(t10, port)).toBe('t10.IBM     ULT3580-TD8')
    expect(ids(port)).toBeNull()
  })
})

describe('REPORT LUNS', () => {
  it('tgt target with a controller LUN 0, tapes 1-2 and the changer 3', () => {
    const data = h(
      '00 00 00 20 00 00 00 00  0000000000000000 0001000000000000 0002000000000000 0003000000000000'
    )
    expect(parseReportLuns(data)).toEqual({ luns: [0, 1, 2, 3], complete: true })
  })

  it('flat space addressing and a list cut short by the allocation length', () => {
    expect(parseReportLuns(h('00 00 00 10 00 00 00 00  412c000000000000'))).toEqual({
      luns: [300],
      complete: false
    })
    expect(() => parseReportLuns(h('00 00 00 08 00 00 00 00  8001000000000000'))).toThrow(
      /address method 2/
    )
  })
})

describe('MODE SENSE parameters and tape mode pages', () => {
  it('MODE SENSE(6): header, LTO-8 block descriptor in variable mode, data compression page 0x0F', () => {
    const data = h(
      '1b 00 10 08' + // length 27, medium type 0, BUFFERED MODE 1, one block descriptor
        '5e 000000 00 000000' + // density LTO-8, 0 blocks, block length 0 = variable
        '0f 0e c0 80 00000001 00000001 00000000' // DCE DCC, DDE, algorithms 1
    )
    const p = parseModeParameters(data, 6)
    expect(p).toMatchObject({
      mediumType: 0,
      deviceSpecific: 0x10,
      writeProtected: false,
      bufferedMode: 1
    })
    expect(p.blockDescriptors).toEqual([{ densityCode: 0x5e, blockCount: 0, blockLength: 0 }])
    expect(p.pages.map((x) => [x.code, x.subpage, x.saveable, x.bytes.length])).toEqual([
      [0x0f, 0, false, 16]
    ])
    expect(parseDataCompressionPage(modePage(p, 0x0f))).toEqual({
      enabled: true,
      capable: true,
      decompressionEnabled: true,
      reportExceptionOnDecompression: 0,
      compressionAlgorithm: 1,
      decompressionAlgorithm: 1
    })
  })

  it('MODE SENSE(10): write protect, fixed 512-byte blocks, page 0x10 and subpage 0x10/0x01', () => {
    const data = h(
      '00 3e 00 90 00 00 00 08' + // length 62, WP + BUFFERED MODE 1, 8 bytes of block descriptors
        '58 000000 00 000200' + // LTO-5, block length 512
        '90 0e 00 00 50 50 000a 40 00 18 000000 01 00' + // PS, page 0x10: write delay 1 s, EEG SEW, compression algorithm 1
        '50 01 001c 00 10 0064 01' +
        '00'.repeat(24) // subpage 0x10/0x01: append-only, PEW 100 MB
    )
    const p = parseModeParameters(data, 10)
    expect(p).toMatchObject({
      writeProtected: true,
      bufferedMode: 1,
      blockDescriptors: [{ densityCode: 0x58, blockCount: 0, blockLength: 512 }]
    })
    expect(p.pages.map((x) => [x.code, x.subpage, x.saveable, x.bytes.length])).toEqual([
      [0x10, 0, true, 16],
      [0x10, 1, false, 32]
    ])
    expect(parseDeviceConfigurationPage(modePage(p, 0x10))).toEqual({
      activePartition: 0,
      writeDelayMs: 1000,
      earlyWarningEnabled: true,
      synchronizeAtEarlyWarning: true,
      softwareWriteProtect: false,
      bufferSizeAtEarlyWarning: 0,
      selectDataCompression: 1
    })
    expect(parseDeviceConfigurationExtensionPage(modePage(p, 0x10, 1))).toEqual({
      writeMode: 1,
      programmableEarlyWarningMb: 100
    })
    expect(() => modePage(p, 0x0f)).toThrow(/mode page 0xf\/0 missing \(pages: 0x10\/0, 0x10\/1\)/)
    expect(() => parseDataCompressionPage(modePage(p, 0x10))).toThrow(
      /expected mode page 0xf, got 0x10/
    )
  })

  it('medium configuration page 0x1D: WORMM', () => {
    const p = parseModeParameters(h('23 00 00 00' + '1d 1e 01' + '00'.repeat(29)), 6)
    expect(parseMediumConfigurationPage(modePage(p, 0x1d))).toEqual({ worm: true })
  })

  it('mode data length is clamped to the bytes received', () => {
    // header claims 255 bytes; only the header and a short page 0x0F arrived
    const p = parseModeParameters(h('ff 00 10 00  0f 0e c0 80'), 6)
    expect(p.pages[0].bytes.length).toBe(4)
    expect(() => parseDataCompressionPage(p.pages[0])).toThrow(
      /mode page 0xf: 4 bytes received, at least 16 needed/
    )
  })

  it('builds MODE SELECT lists: length zeroed, PS cleared, descriptor and pages kept (PBS set_drive_options)', () => {
    const page0f = h('8f 0e c0 80 00000001 00000001 00000000') // as sensed, with PS set
    const six = buildModeSelectParameters(6, {
      deviceSpecific: 0x10,
      blockDescriptors: [{ densityCode: 0, blockCount: 0, blockLength: 0 }],
      pages: [page0f]
    })
    expect(hexOf(six)).toBe(
      '00001008' + '0000000000000000' + '0f0ec08000000001000000010000' + '0000'
    )
    expect(page0f[0]).toBe(0x8f) // the caller's page is not modified
    const ten = buildModeSelectParameters(10, {
      deviceSpecific: 0x10,
      blockDescriptors: [{ densityCode: 0x58, blockCount: 0, blockLength: 512 }]
    })
    expect(hexOf(ten)).toBe('0000001000000008' + '5800000000000200')
    expect(() => buildModeSelectParameters(6, { pages: [new Uint8Array(300)] })).toThrow(/too long/)
  })
})

describe('REPORT SUPPORTED OPERATION CODES', () => {
  it('8-byte descriptors, service actions, and 12-byte timeout descriptors when CTDP is set', () => {
    const data = h(
      '00000024' +
        '08 00 0000 00 00 0006' + // READ(6)
        'a3 00 000c 00 01 000c' + // REPORT SUPPORTED OPERATION CODES, service action 0x0c
        '01 00 0000 00 02 0006' +
        '000a 00 00 0000001e 00000258' // REWIND with timeouts (CTDP)
    )
    expect(parseSupportedCommands(data)).toEqual([
      { opcode: 0x08, serviceAction: null, cdbLength: 6 },
      { opcode: 0xa3, serviceAction: 0x0c, cdbLength: 12 },
      { opcode: 0x01, serviceAction: null, cdbLength: 6 }
    ])
  })
})
