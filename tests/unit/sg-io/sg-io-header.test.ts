import { describe, expect, it } from 'vitest'
import {
  decodeSgIoHeader,
  encodeSgIoHeader,
  interpretCompletion,
  SG_IO_HEADER_SIZE,
  SgDirection,
  sgIoErrnoError,
  type SgIoCompletion
} from '../../../main/core/devices/scsi/sg-io/sg-io-header'
import { TransportError } from '../../../main/core/devices/scsi/transport'
import { h, hexOf } from '../scsi/hex'

/**
 * Golden bytes: a C program filled an `sg_io_hdr_t` from <scsi/sg.h> (gcc, x86-64) with the
 * same values (READ(6) of 256 KiB, 96 sense bytes, 900 s) and dumped it.
 */
const READ_256K = h(`
  53 00 00 00 fd ff ff ff  06 60 00 00 00 00 04 00
  00 10 56 34 12 7f 00 00  60 00 56 34 12 7f 00 00
  80 00 56 34 12 7f 00 00  a0 bb 0d 00 00 00 00 00
  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
  00 00 00 00 00 00 00 00`)

/** What the kernel wrote back for a variable-block READ hitting a short block on tgt (scsi.md §6.3). */
function completedCheckCondition(): Uint8Array {
  const bytes = Uint8Array.from(READ_256K)
  bytes.set(h('02 01 00 12  00 00  08 00  00 00 01 00  03 00 00 00  01 00 00 00'), 64)
  return bytes
}

const completion = (over: Partial<SgIoCompletion>): SgIoCompletion => ({
  status: 0,
  maskedStatus: 0,
  msgStatus: 0,
  senseLength: 0,
  hostStatus: 0,
  driverStatus: 0,
  resid: 0,
  durationMs: 1,
  info: 0,
  ...over
})

describe('sg_io_hdr packing', () => {
  it('builds the 88 bytes of a data-in request as the C struct has them', () => {
    const bytes = encodeSgIoHeader({
      direction: SgDirection.FROM_DEV,
      cdbLength: 6,
      dataLength: 262144,
      dataAddress: 0x7f1234561000,
      cdbAddress: 0x7f1234560060,
      senseAddress: 0x7f1234560080,
      timeoutMs: 900_000
    })
    expect(bytes).toHaveLength(SG_IO_HEADER_SIZE)
    expect(hexOf(bytes)).toBe(hexOf(READ_256K))
  })

  it('writes a no-data command with direction -1, length 0 and a null data pointer', () => {
    const bytes = encodeSgIoHeader({
      direction: SgDirection.NONE,
      cdbLength: 6,
      dataLength: 0,
      dataAddress: 0,
      cdbAddress: 0x1000,
      senseAddress: 0x2000,
      timeoutMs: 60_000
    })
    expect(hexOf(bytes.subarray(0, 48))).toBe(
      '53000000ffffffff' +
        '0660000000000000' +
        '0000000000000000' +
        '0010000000000000' +
        '0020000000000000' +
        '60ea000000000000'
    )
  })

  it('refuses a CDB length or timeout the kernel cannot take', () => {
    const base = {
      direction: SgDirection.NONE,
      dataLength: 0,
      dataAddress: 0,
      cdbAddress: 1,
      senseAddress: 2
    }
    expect(() => encodeSgIoHeader({ ...base, cdbLength: 17, timeoutMs: 1 })).toThrow(/CDB length/)
    expect(() => encodeSgIoHeader({ ...base, cdbLength: 6, timeoutMs: 0 })).toThrow(/timeout/)
    expect(() => encodeSgIoHeader({ ...base, cdbLength: 6, timeoutMs: 2 ** 32 })).toThrow(/timeout/)
  })

  it('reads status, sense length, host/driver status, resid, duration and info back', () => {
    expect(decodeSgIoHeader(completedCheckCondition())).toEqual({
      status: 0x02,
      maskedStatus: 0x01,
      msgStatus: 0,
      senseLength: 18,
      hostStatus: 0,
      driverStatus: 0x08,
      resid: 65536,
      durationMs: 3,
      info: 1
    })
    const negative = completedCheckCondition()
    negative.set(h('ff ff ff ff'), 72)
    expect(decodeSgIoHeader(negative).resid).toBe(-1)
    expect(() => decodeSgIoHeader(new Uint8Array(64))).toThrow(/64 bytes/)
  })
})

describe('completion → response', () => {
  const addr = '/dev/sg1'

  it('passes CHECK CONDITION through with its sense and the data the resid leaves', () => {
    const c = decodeSgIoHeader(completedCheckCondition())
    expect(interpretCompletion(addr, c, SgDirection.FROM_DEV, 262144)).toEqual({
      status: 2,
      senseLength: 18,
      dataLength: 196608,
      residual: 65536
    })
  })

  it('never hands out more data than was asked for, or less than none', () => {
    const read = (resid: number) =>
      interpretCompletion(addr, completion({ resid }), SgDirection.FROM_DEV, 1024).dataLength
    expect(read(-5)).toBe(1024)
    expect(read(4096)).toBe(0)
    expect(read(24)).toBe(1000)
    // writes and no-data commands return no data, whatever resid says
    expect(
      interpretCompletion(addr, completion({ resid: 0 }), SgDirection.TO_DEV, 1024).dataLength
    ).toBe(0)
  })

  it('turns host adapter errors into TransportErrors that say whether the command may have run', () => {
    const fail = (hostStatus: number) => {
      try {
        interpretCompletion(addr, completion({ hostStatus }), SgDirection.NONE, 0)
      } catch (error) {
        return error as TransportError
      }
      throw new Error('no error')
    }
    const disrupted = fail(0x0e)
    expect(disrupted).toBeInstanceOf(TransportError)
    expect(disrupted.message).toBe(
      '/dev/sg1: DID_TRANSPORT_DISRUPTED (the link to the device was lost)'
    )
    expect(disrupted.mayHaveRun).toBe(true)
    expect(fail(0x01).mayHaveRun).toBe(false) // DID_NO_CONNECT: never reached the device
    expect(fail(0x04).mayHaveRun).toBe(false) // DID_BAD_TARGET
    expect(fail(0x03)).toMatchObject({
      mayHaveRun: true,
      message: expect.stringContaining('timed out')
    })
    expect(fail(0x42).message).toContain('host status 0x42')
  })

  it('reports a driver timeout or error, but not DRIVER_SENSE, as a transport failure', () => {
    expect(() =>
      interpretCompletion(addr, completion({ driverStatus: 0x06 }), SgDirection.NONE, 0)
    ).toThrow(/sg driver timed out/)
    expect(() =>
      interpretCompletion(addr, completion({ driverStatus: 0x04 }), SgDirection.NONE, 0)
    ).toThrow(/sg driver status 0x4/)
    expect(
      interpretCompletion(
        addr,
        completion({ status: 2, driverStatus: 0x08, senseLength: 200 }),
        SgDirection.NONE,
        0
      )
    ).toMatchObject({ status: 2, senseLength: 96 })
  })
})

describe('ioctl errno → TransportError', () => {
  it('names the cause and whether the command may have reached the device', () => {
    const tooBig = sgIoErrnoError('/dev/sg2', 22, 8388608)
    expect(tooBig.message).toContain('8388608-byte transfer')
    expect(tooBig.mayHaveRun).toBe(false)
    expect(sgIoErrnoError('/dev/sg2', 12, 1).mayHaveRun).toBe(false) // ENOMEM
    expect(sgIoErrnoError('/dev/sg2', 25, 0).message).toContain('not a SCSI generic device')
    expect(sgIoErrnoError('/dev/sg2', 19, 0)).toMatchObject({ mayHaveRun: true }) // ENODEV
    expect(sgIoErrnoError('/dev/sg2', 4, 0)).toMatchObject({ mayHaveRun: true }) // EINTR
    expect(sgIoErrnoError('/dev/sg2', 5, 0)).toMatchObject({
      mayHaveRun: true,
      message: '/dev/sg2: SG_IO failed with errno 5'
    })
  })
})
