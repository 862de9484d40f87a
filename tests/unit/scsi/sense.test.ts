import { describe, expect, it } from 'vitest'
import {
  SenseKey,
  ascText,
  classifySense,
  describeSense,
  iliBlockLength,
  isEndOfData,
  isLeom,
  parseSense
} from '../../../main/core/devices/scsi/sense'
import { h } from './hex'

/** Fixed-format sense: response code, key byte (flags | key), INFORMATION, ASC, ASCQ, SKS bytes. */
const fixed = (
  code: number,
  keyByte: number,
  info: number,
  asc: number,
  ascq: number,
  sks = '000000'
): Uint8Array =>
  h(
    `${code.toString(16)} 00 ${keyByte.toString(16).padStart(2, '0')} ${(info >>> 0).toString(16).padStart(8, '0')} 0a 00000000 ${asc.toString(16).padStart(2, '0')} ${ascq.toString(16).padStart(2, '0')} 00 ${sks}`
  )

// Each buffer's decoding was cross-checked with sg3_utils `sg_decode_sense` (quoted in comments).
describe('fixed-format sense', () => {
  it('decodes the ILI sense tgt sent through Linux SG_IO (scsi.md §6.3): VALID, ILI, INFO 196608', () => {
    // sg_decode_sense: "Fixed format, current; Sense key: No Sense ... Info fld=0x30000 [196608]  ILI"
    const s = parseSense(h('f0 00 20 00 03 00 00 0a 00 00 00 00 00 00 00 00 00 00'))
    expect(s).toMatchObject({
      format: 'fixed',
      deferred: false,
      key: 0,
      asc: 0,
      ascq: 0,
      ili: true,
      eom: false,
      filemark: false,
      valid: true,
      information: 196608
    })
    expect(classifySense(s)).toBe('ili')
    // READ of 262144 bytes over a 65536-byte block
    expect(iliBlockLength(s, 262144)).toBe(65536)
  })

  it('a block longer than the buffer gives a negative INFORMATION', () => {
    const s = parseSense(fixed(0xf0, 0x20, -1000, 0, 0))
    expect(s.information).toBe(-1000)
    expect(iliBlockLength(s, 262144)).toBe(263144)
    // no ILI => no block length from sense
    expect(iliBlockLength(parseSense(fixed(0xf0, 0x00, 5, 0, 0)), 10)).toBeNull()
  })

  it('LEOM is EOM with NO SENSE whatever the ASCQ: tgt 00/00, drives 00/02 (EW) and 00/07 (PEW)', () => {
    for (const ascq of [0x00, 0x02, 0x07]) {
      const s = parseSense(fixed(0x70, 0x40, 0, 0x00, ascq))
      expect(s.eom).toBe(true)
      expect(isLeom(s)).toBe(true)
      expect(classifySense(s)).toBe('leom')
    }
    // EOM without NO SENSE / VOLUME OVERFLOW is not LEOM (tgt's EOD: BLANK CHECK + EOM)
    const eod = parseSense(fixed(0x70, 0x48, 0, 0, 0))
    expect(isLeom(eod)).toBe(false)
    expect(classifySense(eod)).toBe('end-of-data')
  })

  it('VOLUME OVERFLOW counts as LEOM but is classified apart: INFORMATION bytes were not written', () => {
    // sg_decode_sense: "Sense key: Volume Overflow, End-of-partition/medium detected, Valid=0, Info fld=0x1000, EOM"
    const notValid = parseSense(h('70 00 4d 00 00 10 00 0a 00 00 00 00 00 02 00 00 00 00'))
    expect(notValid).toMatchObject({
      key: SenseKey.VOLUME_OVERFLOW,
      eom: true,
      valid: false,
      information: null
    })
    expect(isLeom(notValid)).toBe(true)
    expect(classifySense(notValid)).toBe('volume-overflow')
    expect(parseSense(fixed(0xf0, 0x4d, 4096, 0, 2)).information).toBe(4096)
  })

  it('backward SPACE into BOT (NO SENSE + EOM + 00/04) is beginning of medium, not LEOM', () => {
    const s = parseSense(fixed(0x70, 0x40, 0, 0x00, 0x04))
    expect(isLeom(s)).toBe(false)
    expect(classifySense(s)).toBe('beginning-of-medium')
  })

  it('filemark, and end of data from BLANK CHECK 00/05 or NO SENSE 00/05 (tgt SPACE over EOD)', () => {
    const fm = parseSense(fixed(0xf0, 0x80, 262144, 0x00, 0x01))
    expect(fm).toMatchObject({ filemark: true, valid: true, information: 262144 })
    expect(classifySense(fm)).toBe('filemark')
    const blank = parseSense(fixed(0x70, 0x08, 0, 0x00, 0x05))
    expect(isEndOfData(blank)).toBe(true)
    expect(classifySense(blank)).toBe('end-of-data')
    expect(classifySense(parseSense(fixed(0x70, 0x00, 0, 0x00, 0x05)))).toBe('end-of-data')
  })

  it('classifies NOT READY, UNIT ATTENTION, DATA PROTECT, ILLEGAL REQUEST and errors', () => {
    const cases: [number, number, number, string][] = [
      [SenseKey.NOT_READY, 0x04, 0x01, 'becoming-ready'],
      [SenseKey.NOT_READY, 0x04, 0x02, 'not-ready'],
      [SenseKey.NOT_READY, 0x3a, 0x00, 'no-medium'],
      [SenseKey.NOT_READY, 0x3a, 0x04, 'no-medium'],
      [SenseKey.UNIT_ATTENTION, 0x29, 0x00, 'power-on-reset'],
      [SenseKey.UNIT_ATTENTION, 0x29, 0x04, 'power-on-reset'],
      [SenseKey.UNIT_ATTENTION, 0x28, 0x00, 'medium-changed'],
      [SenseKey.UNIT_ATTENTION, 0x2a, 0x01, 'unit-attention'],
      [SenseKey.DATA_PROTECT, 0x27, 0x00, 'write-protected'],
      [SenseKey.DATA_PROTECT, 0x74, 0x01, 'encryption'],
      [SenseKey.DATA_PROTECT, 0x74, 0x03, 'encryption'],
      [SenseKey.DATA_PROTECT, 0x30, 0x0c, 'data-protect'],
      [SenseKey.ILLEGAL_REQUEST, 0x20, 0x00, 'not-supported'],
      [SenseKey.ILLEGAL_REQUEST, 0x24, 0x00, 'illegal-request'],
      [SenseKey.ILLEGAL_REQUEST, 0x74, 0x0b, 'encryption'],
      [SenseKey.ILLEGAL_REQUEST, 0x53, 0x02, 'removal-prevented'],
      [SenseKey.ILLEGAL_REQUEST, 0x3b, 0x0d, 'destination-full'],
      [SenseKey.ILLEGAL_REQUEST, 0x3b, 0x0e, 'source-empty'],
      [SenseKey.MEDIUM_ERROR, 0x11, 0x00, 'medium-error'],
      [SenseKey.HARDWARE_ERROR, 0x44, 0x00, 'hardware-error'],
      [SenseKey.RECOVERED_ERROR, 0x5d, 0x00, 'recovered-error'],
      [SenseKey.ABORTED_COMMAND, 0x00, 0x00, 'aborted-command'],
      [SenseKey.MISCOMPARE, 0x1d, 0x00, 'other']
    ]
    for (const [key, asc, ascq, condition] of cases) {
      expect([key, asc, ascq, classifySense(parseSense(fixed(0x70, key, 0, asc, ascq)))]).toEqual([
        key,
        asc,
        ascq,
        condition
      ])
    }
  })

  it('decodes sense-key specific bytes: field pointer (with bit pointer) and progress', () => {
    // sg_decode_sense: "Invalid field in cdb ... Error in Command: byte 2 bit 4"
    const field = parseSense(h('70 00 05 00 00 00 00 0a 00 00 00 00 24 00 00 cc 00 02'))
    expect(field.senseKeySpecific).toEqual({
      kind: 'field-pointer',
      inCdb: true,
      bitPointer: 4,
      fieldPointer: 2
    })
    // sg_decode_sense: "Logical unit not ready, format in progress ... Progress indication: 50.00%"
    const progress = parseSense(h('70 00 02 00 00 00 00 0a 00 00 00 00 04 04 00 80 80 00'))
    expect(progress.senseKeySpecific).toEqual({ kind: 'progress', fraction: 0.5 })
    expect(parseSense(fixed(0x70, 0x03, 0, 0x11, 0, '800003')).senseKeySpecific).toEqual({
      kind: 'retry-count',
      count: 3
    })
    // SKSV clear => nothing
    expect(parseSense(fixed(0x70, 0x05, 0, 0x24, 0, '400002')).senseKeySpecific).toBeNull()
  })

  it('deferred errors (0x71) are flagged and say so', () => {
    const s = parseSense(fixed(0x71, 0x03, 0, 0x0c, 0x00))
    expect(s.deferred).toBe(true)
    expect(describeSense(s)).toBe('deferred error: MEDIUM ERROR: Write error (3/0c/00)')
  })

  it('never reads past the additional length or the bytes received', () => {
    // additional length 6 => bytes 8..13: ASC/ASCQ are there, SKS is not
    const s = parseSense(h('70 00 05 00 00 00 00 06 00 00 00 00 20 00 00 cc 00 02'))
    expect([s.asc, s.ascq, s.senseKeySpecific]).toEqual([0x20, 0x00, null])
    // only 3 bytes of a fixed sense: the key is known, ASC/ASCQ read as 0
    expect(parseSense(h('70 00 02'))).toMatchObject({ key: 2, asc: 0, ascq: 0, valid: false })
  })

  it('rejects data that is not sense', () => {
    expect(() => parseSense(new Uint8Array(0))).toThrow(/sense data too short/)
    expect(() => parseSense(h('00 00 05 00'))).toThrow(/unknown sense response code 0x00/)
  })
})

describe('descriptor-format sense', () => {
  it('takes INFORMATION from the information descriptor and ILI from the stream commands descriptor', () => {
    // sg_decode_sense: "Descriptor format, current; No Sense; Information: 0x1000; Stream commands: ILI"
    const s = parseSense(
      h('72 00 00 00 00 00 00 10  00 0a 80 00 00 00 00 00 00 00 10 00  04 02 00 20')
    )
    expect(s).toMatchObject({
      format: 'descriptor',
      key: 0,
      ili: true,
      eom: false,
      filemark: false,
      valid: true,
      information: 4096
    })
    expect(classifySense(s)).toBe('ili')
    expect(iliBlockLength(s, 65536)).toBe(61440)
  })

  it('64-bit signed INFORMATION and the deferred response code 0x73', () => {
    // sg_decode_sense: "Descriptor format, <<<deferred>>>; Medium Error; Write error; Information: 0xffffffffffffff9c"
    const s = parseSense(h('73 03 0c 00 00 00 00 0c  00 0a 80 00 ff ff ff ff ff ff ff 9c'))
    expect(s).toMatchObject({ deferred: true, key: 3, asc: 0x0c, ascq: 0, information: -100 })
    expect(classifySense(s)).toBe('medium-error')
  })

  it('LEOM and FILEMARK through the stream commands descriptor', () => {
    const leom = parseSense(h('72 00 00 02 00 00 00 04  04 02 00 40'))
    expect(isLeom(leom)).toBe(true)
    expect(leom.information).toBeNull()
    expect(classifySense(parseSense(h('72 00 00 01 00 00 00 04  04 02 00 80')))).toBe('filemark')
  })

  it('sense key specific descriptor (type 2) and FRU descriptor (type 3)', () => {
    // sg_decode_sense: "Invalid field in cdb; Sense key specific: Field pointer: Error in Command: byte 7"
    const s = parseSense(h('72 05 24 00 00 00 00 0c  02 06 00 00 c0 00 07 00  03 02 00 2a'))
    expect(s.senseKeySpecific).toEqual({
      kind: 'field-pointer',
      inCdb: true,
      bitPointer: null,
      fieldPointer: 7
    })
    expect(s.fru).toBe(0x2a)
  })

  it('an information descriptor without VALID leaves INFORMATION unknown', () => {
    expect(
      parseSense(h('72 00 00 00 00 00 00 0c  00 0a 00 00 00 00 00 00 00 00 00 05')).information
    ).toBeNull()
  })
})

describe('sense text', () => {
  it('uses the sg3_utils strings', () => {
    expect(ascText(0x3a, 0x00)).toBe('Medium not present')
    expect(ascText(0x04, 0x01)).toBe('Logical unit is in process of becoming ready')
    expect(ascText(0x74, 0x03)).toBe('Incorrect data encryption key')
    expect(ascText(0x29, 0x07)).toBe('Power on, reset, or bus device reset occurred')
    expect(ascText(0x83, 0x02)).toBe('Vendor specific ASC/ASCQ 83/02')
    expect(ascText(0x47, 0x00)).toBe('ASC/ASCQ 47/00')
  })

  it('describes key, ASC/ASCQ, flags and INFORMATION in one line', () => {
    expect(describeSense(parseSense(fixed(0x70, 0x02, 0, 0x3a, 0x00)))).toBe(
      'NOT READY: Medium not present (2/3a/00)'
    )
    expect(describeSense(parseSense(fixed(0xf0, 0x20, 196608, 0, 0)))).toBe(
      'NO SENSE: No additional sense information (0/00/00) [ILI] information 196608'
    )
    expect(describeSense(parseSense(fixed(0x70, 0x4d, 0, 0, 2)))).toBe(
      'VOLUME OVERFLOW: End-of-partition/medium detected (d/00/02) [EOM]'
    )
  })
})
