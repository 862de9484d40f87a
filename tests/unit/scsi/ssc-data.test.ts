import { describe, expect, it } from 'vitest'
import {
  LTO_DENSITY,
  parseBlockLimits,
  parseDensitySupport,
  parseExtendedPosition,
  parseLongPosition,
  parseShortPosition
} from '../../../main/core/devices/scsi/ssc-data'
import { concat, h, padded } from './hex'

describe('READ BLOCK LIMITS', () => {
  it('tgt answers 09 100000 0004: granularity 9, max 1 MiB, min 4 (scsi.md §1.1)', () => {
    expect(parseBlockLimits(h('09 10 00 00 00 04'))).toEqual({
      granularity: 9,
      maxBlockLength: 1048576,
      minBlockLength: 4
    })
    expect(() => parseBlockLimits(h('09 10 00'))).toThrow(/READ BLOCK LIMITS/)
  })
})

describe('READ POSITION', () => {
  it('short form at BOP, and in the middle past PEW with buffered blocks', () => {
    expect(parseShortPosition(h('80 00 0000 00000000 00000000 00 000000 00000000'))).toEqual({
      bop: true,
      eop: false,
      bpew: false,
      partition: 0,
      firstBlock: 0,
      lastBlock: 0,
      blocksInBuffer: 0,
      bytesInBuffer: 0
    })
    expect(parseShortPosition(h('01 00 0000 00001234 00001230 00 000004 00040000'))).toEqual({
      bop: false,
      eop: false,
      bpew: true,
      partition: 0,
      firstBlock: 0x1234,
      lastBlock: 0x1230,
      blocksInBuffer: 4,
      bytesInBuffer: 0x40000
    })
  })

  it("tgt's short form (flags 0x14): block position and byte count unknown", () => {
    const p = parseShortPosition(concat(h('14'), new Uint8Array(19)))
    expect([p.firstBlock, p.lastBlock, p.bytesInBuffer, p.blocksInBuffer]).toEqual([
      null,
      null,
      null,
      0
    ])
  })

  it('long form: partition, 64-bit block and file numbers (PBS ReadPositionLongPage)', () => {
    expect(
      parseLongPosition(h('00 000000 00000000 0000000000012345 0000000000000007 0000000000000000'))
    ).toEqual({
      bop: false,
      eop: false,
      bpew: false,
      partition: 0,
      blockNumber: 0x12345,
      fileNumber: 7
    })
    // LONU: nothing known; MPU: the file number is not
    expect(parseLongPosition(concat(h('04'), new Uint8Array(31)))).toMatchObject({
      blockNumber: null,
      fileNumber: null
    })
    expect(
      parseLongPosition(h('88 000000 00000001 0000000000000000 0000000000000000 0000000000000000'))
    ).toMatchObject({
      bop: true,
      partition: 1,
      blockNumber: 0,
      fileNumber: null
    })
    expect(() => parseLongPosition(new Uint8Array(20))).toThrow(
      /long form: 20 bytes received, at least 32/
    )
  })

  it('extended form: 64-bit first/last object and byte count', () => {
    expect(
      parseExtendedPosition(
        h('00 01 001c 00 000002 0000000100000000 0000000100000001 0000000000080000')
      )
    ).toEqual({
      bop: false,
      eop: false,
      bpew: false,
      partition: 1,
      blocksInBuffer: 2,
      firstBlock: 0x100000000,
      lastBlock: 0x100000001,
      bytesInBuffer: 0x80000
    })
  })
})

describe('REPORT DENSITY SUPPORT', () => {
  it('one 52-byte LTO-8 descriptor', () => {
    const data = concat(
      h('0036 0000'), // available length 54, reserved
      h('5e 5e a0 0000 008552 007f 1a00 00b71b00'), // codes, WRTOK+DEFLT, bits/mm, 12.7 mm, 6656 tracks, 12 000 000 MB
      padded('LTO-CVE', 8),
      padded('U-832', 8),
      padded('Ultrium 8/16T', 20)
    )
    expect(parseDensitySupport(data)).toEqual([
      {
        primaryCode: 0x5e,
        secondaryCode: 0x5e,
        writable: true,
        duplicate: false,
        isDefault: true,
        bitsPerMm: 0x8552,
        mediaWidth: 127,
        tracks: 6656,
        capacityMb: 12_000_000,
        organization: 'LTO-CVE',
        name: 'U-832',
        description: 'Ultrium 8/16T'
      }
    ])
    expect(LTO_DENSITY[0x5e]).toBe('LTO8')
  })
})
