import { describe, expect, it } from 'vitest'
import {
  parseDeviceActivity,
  parseLogPage,
  parseSequentialAccessPage,
  parseSupportedLogPages,
  parseTapeAlertPage,
  parseTapeAlertResponsePage,
  parseVolumeStatistics
} from '../../../main/core/devices/scsi/log-pages'
import { concat, h } from './hex'

// tgt implements no LOG SENSE page; these pages are built from SSC-4 / the LTO SCSI reference
// layouts (scsi.md §1.4) and cross-checked against how PBS decodes them (pbs-tape/src/sg_tape/*.rs).

describe('generic log page', () => {
  it('splits parameters: code, control byte, value', () => {
    const page = parseLogPage(h('17 00 00 0d  0000 03 01 01  0001 03 04 0000002a'))
    expect(page.page).toBe(0x17)
    expect(page.parameters.map((p) => [p.code, p.control, [...p.value]])).toEqual([
      [0, 0x03, [1]],
      [1, 0x03, [0, 0, 0, 42]]
    ])
  })

  it('clamps the page length to what arrived, rejects a parameter cut in half and the wrong page', () => {
    // page length 0x2000 (the allocation length, as Quantum HH7 reports it) but only one parameter
    expect(parseLogPage(h('17 00 20 00  0000 03 01 01')).parameters).toHaveLength(1)
    expect(() => parseLogPage(h('17 00 00 08  0001 03 04 0000'))).toThrow(
      /parameter at byte 4 is cut off/
    )
    expect(() => parseLogPage(h('12 00 00 00'), 0x17)).toThrow(
      /expected log page 0x17, device sent page 0x12/
    )
  })

  it('page 0x00 lists the supported pages', () => {
    expect(parseSupportedLogPages(h('00 00 00 06  00 0c 11 12 17 2e'))).toEqual([
      0x00, 0x0c, 0x11, 0x12, 0x17, 0x2e
    ])
  })
})

describe('TapeAlert', () => {
  it('page 0x2E: 64 one-byte parameters, bit 0 = active', () => {
    const active = new Map([
      [0x03, 0x01], // HARD_ERROR
      [0x14, 0x01], // CLEAN_NOW
      [0x15, 0x02], // bit 1 only: not active
      [0x28, 0x01], // active, but PBS has no name for it
      [0x3d, 0x01] // ENCRYPTION_POLICY_VIOLATION
    ])
    const params = Array.from({ length: 64 }, (_, i) => [
      0x00,
      i + 1,
      0x00,
      0x01,
      active.get(i + 1) ?? 0
    ])
    const page = concat(h('2e 00 01 40'), ...params) // 64 x 5 = 320 = 0x140 bytes
    expect(page.length).toBe(324)
    // parameter 3 sits at byte 4 + 2 * 5: code 0003, control 00, length 01, value 01
    expect([...page.subarray(14, 19)]).toEqual([0x00, 0x03, 0x00, 0x01, 0x01])
    expect(parseTapeAlertPage(page)).toEqual({
      flags: [0x03, 0x14, 0x28, 0x3d],
      names: ['HARD_ERROR', 'CLEAN_NOW', 'ENCRYPTION_POLICY_VIOLATION']
    })
  })

  it('page 0x12 (what PBS reads): one 64-bit field, flag 1 = most significant bit', () => {
    // flag 3 => byte 0 bit 5 (0x20); flag 20 => byte 2 bit 4 (0x10); flag 61 => byte 7 bit 3 (0x08).
    // PBS: u64 0x2000100000000008, reverse_bits() => bits 2, 19, 60 => flags 3, 20, 61.
    const page = h('12 00 00 0c  0000 03 08  20 00 10 00 00 00 00 08')
    expect(parseTapeAlertResponsePage(page)).toEqual({
      flags: [3, 20, 61],
      names: ['HARD_ERROR', 'CLEAN_NOW', 'ENCRYPTION_POLICY_VIOLATION']
    })
    expect(
      parseTapeAlertResponsePage(h('12 00 00 0c  0000 03 08  00 00 00 00 00 00 00 00'))
    ).toEqual({ flags: [], names: [] })
    expect(() => parseTapeAlertResponsePage(h('12 00 00 08  0000 03 04 00000000'))).toThrow(
      /8-byte flag parameter/
    )
  })
})

describe('Volume Statistics page 0x17', () => {
  const page = h(
    '17 00 00 63' +
      '0000 03 01 01' + // page valid
      '0001 03 04 0000002a' + // volume mounts 42
      '0002 03 08 0000000000010000' + // datasets written 65536
      '0010 03 04 000f4240' + // lifetime MB written 1 000 000
      '0011 03 02 03e8' + // lifetime MB read 1000
      '0016 03 04 00b71b00' + // total native capacity 12 000 000 MB
      '0017 03 04 00002710' + // used native capacity 10 000 MB
      '0040 01 08 4142433132333435' + // volume serial "ABC12345"
      '0080 03 01 00' + // not write protected
      '0081 03 01 01' + // WORM
      '0101 03 04 00003039' + // BOM passes 12345
      '0102 03 04 00000100' + // middle-of-tape passes 256
      '0099 03 02 ffff' // unknown parameter, skipped
  )

  it('decodes counters of any width, MB counters as bytes (x 10^6 like PBS)', () => {
    expect(page.length).toBe(4 + 0x63)
    expect(parseVolumeStatistics(page)).toEqual({
      volumeMounts: 42,
      volumeDatasetsWritten: 65536,
      volumeRecoveredWriteDataErrors: 0,
      volumeUnrecoveredWriteDataErrors: 0,
      volumeWriteServoErrors: 0,
      volumeUnrecoveredWriteServoErrors: 0,
      volumeDatasetsRead: 0,
      volumeRecoveredReadErrors: 0,
      volumeUnrecoveredReadErrors: 0,
      lastMountUnrecoveredWriteErrors: 0,
      lastMountUnrecoveredReadErrors: 0,
      lastMountBytesWritten: 0,
      lastMountBytesRead: 0,
      lifetimeBytesWritten: 1e12,
      lifetimeBytesRead: 1e9,
      lastLoadWriteCompressionRatio: 0,
      lastLoadReadCompressionRatio: 0,
      mediumMountTime: 0,
      mediumReadyTime: 0,
      totalNativeCapacity: 12e12,
      totalUsedNativeCapacity: 1e10,
      serial: 'ABC12345',
      writeProtect: false,
      worm: true,
      beginningOfMediumPasses: 12345,
      middleOfTapePasses: 256
    })
  })

  it('requires the page-valid parameter, as PBS does', () => {
    expect(() => parseVolumeStatistics(h('17 00 00 08  0001 03 04 0000002a'))).toThrow(/not valid/)
    expect(() => parseVolumeStatistics(h('17 00 00 05  0000 03 01 00'))).toThrow(/not valid/)
  })
})

describe('Sequential-Access Device page 0x0C', () => {
  it('byte counters, capacities and cleaning required', () => {
    const page = h(
      '0c 00 00 26' +
        '0000 00 08 0000000100000000' + // bytes from host: 4 GiB
        '0001 00 08 0000000080000000' + // bytes written to medium: 2 GiB (compressed)
        '0004 00 04 00b71b00' + // BOP to EOD capacity 12 000 000 MB
        '0100 00 02 0001' // cleaning required
    )
    expect(parseSequentialAccessPage(page)).toEqual({
      bytesReceivedFromHost: 2 ** 32,
      bytesWrittenToMedium: 2 ** 31,
      bytesReadFromMedium: 0,
      bytesSentToHost: 0,
      capacityBopToEod: 12_000_000,
      capacityBopToEarlyWarning: 0,
      capacityEarlyWarningToEop: 0,
      capacityBopToCurrent: 0,
      bufferCapacity: 0,
      cleaningRequired: true
    })
  })
})

describe('DT Device Status page 0x11', () => {
  it('device activity from the VHF parameter (PBS read_device_activity)', () => {
    expect(parseDeviceActivity(h('11 00 00 08  0000 03 04 01 00 06 00'))).toBe('writing')
    expect(parseDeviceActivity(h('11 00 00 08  0000 03 04 21 01 00 00'))).toBe('no-activity')
    expect(() => parseDeviceActivity(h('11 00 00 08  0000 03 04 00 00 06 00'))).toThrow(/not valid/)
    expect(() => parseDeviceActivity(h('11 00 00 08  0000 03 04 01 00 42 00'))).toThrow(
      /unknown device activity 0x42/
    )
  })
})
