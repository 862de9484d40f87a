import { describe, expect, it } from 'vitest'
import { checkLabelText, checkMediaType, rangeLabels } from '../../../main/core/labels/media-types'

describe('LTO label texts', () => {
  it('accepts 6-character volume serials with a known media type', () => {
    for (const label of ['TAPE01L9', 'ABC123LZ', '000001LA', 'CLN001CU', 'VOL999L3', 'XYZ000M8']) {
      expect(() => checkLabelText(label), label).not.toThrow()
    }
  })

  it('rejects bad texts naming the label and the problem', () => {
    const cases: [string, string][] = [
      ['tape01L9', "label 'tape01L9' contains lower case 't' (Code 39 has upper case only)"],
      ['TAPE1L9', "label 'TAPE1L9' has 7 characters; an LTO label has 8"],
      ['TAPE001L9', "label 'TAPE001L9' has 9 characters"],
      ['', "label '' has 0 characters"],
      ['TAP#01L9', "label 'TAP#01L9' contains '#', which Code 39 cannot encode"],
      ['TAP_01L9', "label 'TAP_01L9' contains '_', which Code 39 cannot encode"],
      ['TAP-01L9', "label 'TAP-01L9' contains '-'; LTO volume serials use only A–Z and 0–9"],
      [
        'TAPE01l9',
        "label 'TAPE01l9': unknown LTO media type 'l9' (media types are upper case: L9)"
      ],
      ['TAPE01LB', "label 'TAPE01LB': unknown LTO media type 'LB'"],
      ['TAPE01XX', "label 'TAPE01XX': unknown LTO media type 'XX'"]
    ]
    for (const [label, message] of cases) {
      expect(() => checkLabelText(label), label).toThrow(message)
    }
  })

  it('lists the media types it knows when one is unknown', () => {
    expect(() => checkMediaType('L0')).toThrow(/known: L1, L2, .*L9, LA, M8, LT, .*LZ, CU/)
  })
})

describe('label ranges', () => {
  it('pads the number to fill the 6-character volume serial', () => {
    expect(rangeLabels('TAPE', 1, 3, 'L9')).toEqual(['TAPE01L9', 'TAPE02L9', 'TAPE03L9'])
    expect(rangeLabels('', 998, 2, 'L8')).toEqual(['000998L8', '000999L8'])
    expect(rangeLabels('AB', 0, 1, 'LZ')).toEqual(['AB0000LZ'])
    expect(rangeLabels('CLN', 5, 2, 'CU')).toEqual(['CLN005CU', 'CLN006CU'])
  })

  it('gives exactly one label for a 6-character prefix', () => {
    expect(rangeLabels('BACKUP', 1, 1, 'L7')).toEqual(['BACKUPL7'])
    expect(() => rangeLabels('BACKUP', 1, 2, 'L7')).toThrow(
      "prefix 'BACKUP' fills the whole volume serial, so it gives one label, not 2"
    )
  })

  it('refuses numbers that overflow the volume serial instead of dropping labels', () => {
    expect(rangeLabels('TAPE', 90, 10, 'L9').at(-1)).toBe('TAPE99L9')
    expect(() => rangeLabels('TAPE', 95, 10, 'L9')).toThrow(
      "the range 95…104 does not fit after prefix 'TAPE': only 2 digit(s) are left in the " +
        '6-character volume serial (at most 99)'
    )
  })

  it('checks prefix and type', () => {
    expect(() => rangeLabels('TAPEXYZ', 1, 1, 'L9')).toThrow(
      "prefix 'TAPEXYZ' is longer than the 6-character volume serial"
    )
    expect(() => rangeLabels('tape', 1, 1, 'L9')).toThrow("prefix 'tape' contains lower case 't'")
    expect(() => rangeLabels('TA PE', 1, 1, 'L9')).toThrow(
      "prefix 'TA PE' contains ' '; LTO volume serials use only A–Z and 0–9"
    )
    expect(() => rangeLabels('TAPE', 1, 1, 'L99')).toThrow("unknown LTO media type 'L99'")
  })
})
