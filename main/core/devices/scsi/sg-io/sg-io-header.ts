/**
 * The Linux `sg_io_hdr` (include/scsi/sg.h) for the SG_IO ioctl, as bytes: built for a request,
 * read back after completion, and what its status fields mean for the command layer. Pure code
 * with no native calls, so the x86-64 layout (88 bytes, reference/scsi.md §6.3) is unit-tested
 * byte for byte.
 */
import { TransportError } from '../transport'

/** `ioctl` request numbers (include/scsi/sg.h). */
export const SG_IO = 0x2285
export const SG_GET_VERSION_NUM = 0x2282
export const SG_IO_HEADER_SIZE = 88
/** Sense bytes we offer the kernel; it never returns more than SCSI_SENSE_BUFFERSIZE (96). */
export const SG_MAX_SENSE = 96

const SG_INTERFACE_ID = 0x53 // 'S'
export const SgDirection = { NONE: -1, TO_DEV: -2, FROM_DEV: -3 } as const
export type SgDirection = (typeof SgDirection)[keyof typeof SgDirection]

export interface SgIoRequestHeader {
  direction: SgDirection
  cdbLength: number
  /** Bytes of data to move (0 with direction NONE). */
  dataLength: number
  /** Addresses in this process of the data, CDB and sense buffers (0 = no data buffer). */
  dataAddress: number
  cdbAddress: number
  senseAddress: number
  timeoutMs: number
}

/** The 88-byte `sg_io_hdr` for one command (x86-64: pointers are 8 bytes, little endian). */
export function encodeSgIoHeader(h: SgIoRequestHeader): Uint8Array {
  if (h.cdbLength < 6 || h.cdbLength > 16) throw new Error(`CDB length ${h.cdbLength} (6-16)`)
  if (!Number.isInteger(h.timeoutMs) || h.timeoutMs <= 0 || h.timeoutMs > 0xffffffff) {
    throw new Error(`invalid SG_IO timeout ${h.timeoutMs} ms`)
  }
  const bytes = new Uint8Array(SG_IO_HEADER_SIZE)
  const v = new DataView(bytes.buffer)
  v.setInt32(0, SG_INTERFACE_ID, true)
  v.setInt32(4, h.direction, true)
  v.setUint8(8, h.cdbLength)
  v.setUint8(9, SG_MAX_SENSE)
  v.setUint16(10, 0, true) // iovec_count: one flat buffer
  v.setUint32(12, h.dataLength, true)
  v.setBigUint64(16, BigInt(h.dataAddress), true)
  v.setBigUint64(24, BigInt(h.cdbAddress), true)
  v.setBigUint64(32, BigInt(h.senseAddress), true)
  v.setUint32(40, h.timeoutMs, true)
  // flags 0: indirect IO (the kernel copies through its own buffer), pack_id and usr_ptr unused
  return bytes
}

export interface SgIoCompletion {
  status: number
  maskedStatus: number
  msgStatus: number
  /** Sense bytes the kernel wrote (sb_len_wr). */
  senseLength: number
  hostStatus: number
  driverStatus: number
  /** dxfer_len minus the bytes actually transferred, as the low-level driver reports it. */
  resid: number
  durationMs: number
  info: number
}

/** The output fields of a completed `sg_io_hdr`. */
export function decodeSgIoHeader(bytes: Uint8Array): SgIoCompletion {
  if (bytes.length < SG_IO_HEADER_SIZE) throw new Error(`sg_io_hdr is ${bytes.length} bytes`)
  const v = new DataView(bytes.buffer, bytes.byteOffset, SG_IO_HEADER_SIZE)
  return {
    status: v.getUint8(64),
    maskedStatus: v.getUint8(65),
    msgStatus: v.getUint8(66),
    senseLength: v.getUint8(67),
    hostStatus: v.getUint16(68, true),
    driverStatus: v.getUint16(70, true),
    resid: v.getInt32(72, true),
    durationMs: v.getUint32(76, true),
    info: v.getUint32(80, true)
  }
}

/** include/scsi/scsi_status.h host bytes: what the HBA / transport (iscsi_tcp, …) says. */
const HOST_STATUS: Record<number, string> = {
  0x01: 'DID_NO_CONNECT (no connection to the device)',
  0x02: 'DID_BUS_BUSY',
  0x03: 'DID_TIME_OUT (the command timed out)',
  0x04: 'DID_BAD_TARGET (no such device)',
  0x05: 'DID_ABORT (the command was aborted)',
  0x06: 'DID_PARITY',
  0x07: 'DID_ERROR (internal error in the host adapter)',
  0x08: 'DID_RESET (the bus or device was reset)',
  0x09: 'DID_BAD_INTR',
  0x0a: 'DID_PASSTHROUGH',
  0x0b: 'DID_SOFT_ERROR',
  0x0c: 'DID_IMM_RETRY',
  0x0d: 'DID_REQUEUE',
  0x0e: 'DID_TRANSPORT_DISRUPTED (the link to the device was lost)',
  0x0f: 'DID_TRANSPORT_FAILFAST (the link to the device is down)',
  0x11: 'DID_NEXUS_FAILURE',
  0x12: 'DID_ALLOC_FAILURE',
  0x13: 'DID_MEDIUM_ERROR'
}
/** Host bytes meaning the command never reached the device. */
const HOST_NOT_SENT = new Set([0x01, 0x04, 0x0f])
const DRIVER_TIMEOUT = 0x06
const DRIVER_SENSE = 0x08

/** What a completed SG_IO delivered, before its bytes are copied out of native memory. */
export interface SgIoOutcome {
  status: number
  senseLength: number
  /** Data-In bytes to hand to the caller (0 for other directions). */
  dataLength: number
  residual: number
}

/**
 * A completed SG_IO as the command layer sees it: the SCSI status with the sense and data lengths,
 * or a TransportError when the host adapter or the sg driver reports that the command did not
 * complete (then the device never answered, so there is no SCSI status to act on).
 */
export function interpretCompletion(
  address: string,
  c: SgIoCompletion,
  direction: SgDirection,
  requested: number
): SgIoOutcome {
  if (c.hostStatus !== 0) {
    const name = HOST_STATUS[c.hostStatus] ?? `host status 0x${c.hostStatus.toString(16)}`
    throw new TransportError(address, name, !HOST_NOT_SENT.has(c.hostStatus))
  }
  const driver = c.driverStatus & 0x0f
  if (driver === DRIVER_TIMEOUT) {
    throw new TransportError(address, 'the sg driver timed out the command', true)
  }
  if (driver !== 0 && driver !== DRIVER_SENSE) {
    throw new TransportError(address, `sg driver status 0x${c.driverStatus.toString(16)}`, true)
  }
  // resid comes from the low-level driver unchecked (tgt's is even wrong on long reads): clamp it.
  const dataLength =
    direction === SgDirection.FROM_DEV ? Math.min(requested, Math.max(0, requested - c.resid)) : 0
  return {
    status: c.status,
    senseLength: Math.min(c.senseLength, SG_MAX_SENSE),
    dataLength,
    residual: c.resid
  }
}

/**
 * `ioctl(SG_IO)` returned -1: the sg driver refused or lost the command. Whether it reached the
 * device follows from where sg returns that errno (drivers/scsi/sg.c).
 */
export function sgIoErrnoError(address: string, errno: number, dataLength: number): TransportError {
  switch (errno) {
    case 22: // EINVAL
      return new TransportError(
        address,
        `SG_IO rejected the command (EINVAL): a ${dataLength}-byte transfer may exceed what the host adapter allows`,
        false
      )
    case 12: // ENOMEM
      return new TransportError(
        address,
        `no kernel memory for a ${dataLength}-byte SG_IO transfer (ENOMEM)`,
        false
      )
    case 16: // EBUSY
    case 11: // EAGAIN
      return new TransportError(address, 'the sg device is busy', false)
    case 25: // ENOTTY
      return new TransportError(address, 'not a SCSI generic device (SG_IO unsupported)', false)
    case 1: // EPERM
    case 13: // EACCES
      return new TransportError(address, 'SG_IO not permitted on this device node', false)
    case 19: // ENODEV: sg also returns it when the device is detached while the command runs
    case 6: // ENXIO
      return new TransportError(address, 'the device went away', true)
    case 4: // EINTR: interrupted while waiting; the command was left running (orphaned)
      return new TransportError(address, 'SG_IO was interrupted; the command may still run', true)
    default:
      return new TransportError(address, `SG_IO failed with errno ${errno}`, true)
  }
}
