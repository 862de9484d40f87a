/**
 * LtoDrive volume statistics and cartridge memory against scripted device answers (tgt has
 * neither): PBS field names and value formatting, and a plain "not supported by this drive" naming
 * the command and the device's answer when the drive refuses it.
 */
import { describe, expect, it } from 'vitest'
import { LtoDrive } from '../../../main/core/devices/lto/lto-drive'
import type { ScsiResponse } from '../../../main/core/devices/scsi/transport'
import { ScriptedTransport, check, fixedSense, good } from '../scsi/scripted-transport'
import { concat, h, hexOf, padded } from '../scsi/hex'

const INQUIRY = good(
  concat(
    [0x01, 0x80, 0x05, 0x02, 31, 0, 0, 0],
    padded('IBM', 8),
    padded('ULT3580-TD8', 16),
    padded('0001', 4)
  )
)
const open = (...answers: ScsiResponse[]) =>
  LtoDrive.open('lto0', new ScriptedTransport(INQUIRY, ...answers))

/** LOG SENSE parameter: code, control 03h, `bytes` long big-endian value. */
const parameter = (code: number, value: number, bytes = 4) => [
  code >> 8,
  code & 0xff,
  0x03,
  bytes,
  ...h(value.toString(16).padStart(bytes * 2, '0'))
]

/** READ ATTRIBUTE attribute: id, flags (format), length, value. */
const attribute = (id: number, format: number, value: Uint8Array) => [
  id >> 8,
  id & 0xff,
  format,
  value.length >> 8,
  value.length & 0xff,
  ...value
]

describe('LtoDrive volume statistics and cartridge memory', () => {
  it('reads LOG SENSE page 17h into PBS field names, counters in bytes', async () => {
    const params = concat(
      parameter(0x0000, 1, 1),
      parameter(0x0001, 42),
      parameter(0x0002, 1234),
      parameter(0x0009, 2, 2),
      parameter(0x0010, 5000), // 5000 × 10^6 bytes
      parameter(0x0011, 70),
      parameter(0x0016, 12_000_000, 8),
      parameter(0x0017, 3_500_000),
      [0x00, 0x40, 0x03, 8, ...padded('ABC123', 8)],
      parameter(0x0080, 1, 1),
      parameter(0x0101, 17),
      parameter(0x0102, 230)
    )
    const t = new ScriptedTransport(INQUIRY, good(concat([0x17, 0, 0, params.length], params)))
    const drive = await LtoDrive.open('lto0', t)
    const stats = await drive.volumeStatistics()
    expect(hexOf(t.requests[1].cdb)).toBe('4d005700000000200000')
    expect(stats).toMatchObject({
      'volume-mounts': 42,
      'volume-datasets-written': 1234,
      'volume-unrecovered-read-errors': 2,
      'lifetime-bytes-written': 5000e6,
      'lifetime-bytes-read': 70e6,
      'total-native-capacity': 12e12,
      'total-used-native-capacity': 3.5e12,
      'write-protect': true,
      worm: false,
      serial: 'ABC123',
      'beginning-of-medium-passes': 17,
      'middle-of-tape-passes': 230
    })
    // PBS's field order, as its property table prints it.
    expect(Object.keys(stats)).toHaveLength(26)
    expect(Object.keys(stats)[0]).toBe('volume-mounts')
    expect(Object.keys(stats).slice(-4)).toEqual([
      'worm',
      'beginning-of-medium-passes',
      'middle-of-tape-passes',
      'serial'
    ])
  })

  it('lists cartridge memory as PBS: known attributes only, decimal, text, hex and flag names', async () => {
    const attrs = concat(
      attribute(0x0000, 0x80, h('0000000000b71b00')), // remaining MiB
      attribute(0x0002, 0x80, h('0000000000080001')), // TapeAlert: flag 1 and flag 20
      attribute(0x0003, 0x80, h('0000000000000021')),
      attribute(0x0406, 0x81, padded('20230415', 8)),
      attribute(0x0408, 0x80, h('00')),
      attribute(0x0803, 0x02, padded('my label', 160, 0)),
      attribute(0x0806, 0x01, padded('TAPE01L8', 32)),
      attribute(0x1234, 0x00, h('ff')) // unknown: PBS leaves it out
    )
    const data = concat(h((attrs.length >>> 0).toString(16).padStart(8, '0')), attrs)
    const t = new ScriptedTransport(INQUIRY, good(data))
    const drive = await LtoDrive.open('lto0', t)
    expect(await drive.cartridgeMemory()).toEqual([
      { id: 0x0000, name: 'Remaining Capacity In Partition', value: '12000000' },
      { id: 0x0002, name: 'Tapealert Flags', value: 'READ_WARNING | CLEAN_NOW' },
      { id: 0x0003, name: 'Load Count', value: '33' },
      { id: 0x0406, name: 'Medium Manufacture Date', value: '20230415' },
      { id: 0x0408, name: 'Medium Type', value: '00' },
      { id: 0x0803, name: 'User Medium Text Label', value: 'my label' },
      { id: 0x0806, name: 'Barcode', value: 'TAPE01L8' }
    ])
    // READ ATTRIBUTE, service action 0 (values), from attribute 0, 32 KiB as PBS asks.
    expect(hexOf(t.requests[1].cdb)).toBe('8c000000000000000000000080000000')
  })

  it.each([
    ['invalid command operation code (tgt)', 0x20],
    ['invalid field in CDB (a drive without the page)', 0x24]
  ])('says "not supported by this drive" for %s', async (_, asc) => {
    const refused = () => check(fixedSense(0x05, asc, 0x00))
    const drive = await open(refused(), refused())
    await expect(drive.volumeStatistics()).rejects.toMatchObject({
      code: 'not-supported',
      message: expect.stringMatching(
        /^drive lto0: volume statistics \(LOG SENSE page 17h\) are not supported by this drive \(test:\/\/lun1 answered LOG SENSE with ILLEGAL REQUEST: .*\(5\/2[04]\/00\)\)$/
      )
    })
    await expect(drive.cartridgeMemory()).rejects.toMatchObject({
      code: 'not-supported',
      message: expect.stringMatching(
        /cartridge memory \(READ ATTRIBUTE\) is not supported by this drive \(test:\/\/lun1 answered READ ATTRIBUTE with ILLEGAL REQUEST/
      )
    })
  })

  it('passes other failures on unchanged (no tape is not "not supported")', async () => {
    const drive = await open(check(fixedSense(0x02, 0x3a, 0x00)))
    await expect(drive.cartridgeMemory()).rejects.toMatchObject({ code: 'no-medium' })
  })
})
