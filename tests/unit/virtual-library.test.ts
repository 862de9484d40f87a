import { describe, expect, it } from 'vitest'
import {
  TAPE_ALERT_FLAGS,
  earlyWarningZone,
  isTapeAlertFlag,
  VIRTUAL_BLOCK_SIZE
} from '../../main/core/devices/virtual'
import {
  checkLabelPrefix,
  cleaningBarcode,
  dataBarcode
} from '../../main/core/devices/virtual/media'
import { parseLibraryState } from '../../main/core/devices/virtual/schema'
import { tapeIndexJson } from '../../main/core/devices/virtual/tape-files'
import { sortTapeAlertFlags } from '../../main/core/devices/tape-alert'

const minimal = () => ({
  format: 'tapedeck-virtual-library',
  version: 1,
  generation: 0,
  created: '2025-01-01T00:00:00.000Z',
  drives: [
    {
      tape: null,
      'source-slot': null,
      loaded: false,
      position: null,
      'mount-id': 0,
      'alert-flags': [],
      writer: null
    }
  ],
  slots: [{ tape: 'TAPE01L9' }],
  'import-export': [],
  cartridges: {
    TAPE01L9: {
      'media-type': 'L9',
      capacity: 1 << 30,
      'write-protect': false,
      files: 0,
      'bytes-used': 0,
      'open-file': null,
      mounts: 0,
      passes: 0
    }
  },
  faults: [],
  'next-fault-id': 1,
  timing: null
})

describe('virtual library building blocks', () => {
  it('barcodes are LTO volsers', () => {
    expect(dataBarcode('TAPE', 1, 'L9')).toBe('TAPE01L9')
    expect(dataBarcode('A', 42, 'L8')).toBe('A00042L8')
    expect(cleaningBarcode(7)).toBe('CLN007CU')
    expect(checkLabelPrefix('tape', 99)).toBe('TAPE')
    expect(() => checkLabelPrefix('TAPE', 100)).toThrow(/enough for 99 tapes/)
    expect(() => checkLabelPrefix('', 1)).toThrow(/letters A-Z only/)
  })

  it('the tape index is written exactly like PBS writes it', () => {
    expect(tapeIndexJson(12)).toBe(JSON.stringify({ files: 12 }, null, 2))
  })

  it('TapeAlert flags carry their SSC numbers and sort in drive order', () => {
    expect(TAPE_ALERT_FLAGS.CLEAN_NOW).toBe(0x14)
    expect(TAPE_ALERT_FLAGS.EXPIRED_CLEANING_MEDIA).toBe(0x16)
    expect(TAPE_ALERT_FLAGS.ENCRYPTION_POLICY_VIOLATION).toBe(0x3d)
    expect(Object.keys(TAPE_ALERT_FLAGS)).toHaveLength(55)
    expect(isTapeAlertFlag('toString')).toBe(false)
    expect(sortTapeAlertFlags(['CLEAN_NOW', 'READ_WARNING', 'CLEAN_NOW'])).toEqual([
      'READ_WARNING',
      'CLEAN_NOW'
    ])
  })

  it('the early-warning zone grows with the tape and stays inside it', () => {
    let last = 0
    for (const mib of [4, 8, 64, 1024, 10_240, 1_048_576, 18_000_000]) {
      const zone = earlyWarningZone(mib * 1024 * 1024)
      expect(zone % VIRTUAL_BLOCK_SIZE).toBe(0)
      expect(zone).toBeGreaterThanOrEqual(last)
      expect(zone).toBeLessThanOrEqual((mib * 1024 * 1024) / 4)
      last = zone
    }
  })

  it('library.json is checked, with errors that say what is wrong', () => {
    expect(parseLibraryState(JSON.stringify(minimal()), 'lib.json').slots).toHaveLength(1)
    expect(() => parseLibraryState('{', 'lib.json')).toThrow(/lib.json is damaged \(not JSON/)
    expect(() => parseLibraryState('{"format":"x"}', 'lib.json')).toThrow(
      /not a Tapedeck virtual library/
    )
    expect(() =>
      parseLibraryState(JSON.stringify({ ...minimal(), version: 2 }), 'lib.json')
    ).toThrow(/format version 2; this Tapedeck understands up to 1/)
    const twice = { ...minimal(), 'import-export': [{ tape: 'TAPE01L9' }] }
    expect(() => parseLibraryState(JSON.stringify(twice), 'lib.json')).toThrow(
      /TAPE01L9 is both in slot 1 and slot 2/
    )
    const lost = { ...minimal(), slots: [{ tape: null }] }
    expect(() => parseLibraryState(JSON.stringify(lost), 'lib.json')).toThrow(
      /nowhere in the library/
    )
    const bad = minimal()
    bad.drives[0]['alert-flags'] = ['NOPE' as never]
    expect(() => parseLibraryState(JSON.stringify(bad), 'lib.json')).toThrow(
      /drives.0.alert-flags.0: unknown TapeAlert flag/
    )
  })
})
