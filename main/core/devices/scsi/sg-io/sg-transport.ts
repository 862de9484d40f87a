/**
 * ScsiTransport over Linux SG_IO on a SCSI generic node (`/dev/sgN`, or a udev name pointing at
 * one such as `/dev/tape/by-id/…-sg`). Like PBS, every tape command is raw SCSI on the sg node;
 * st nodes (`/dev/nst0`) are refused because the st driver adds filemarks and rewinds on close.
 *
 * Commands to one device run one at a time in submission order (tape commands must not overtake
 * each other). Each runs on a koffi worker thread, so a REWIND that takes minutes does not block
 * the event loop; the kernel enforces the request's timeout and aborts the command itself.
 */
import { readdir, stat } from 'node:fs/promises'
import {
  TransportError,
  type ScsiRequest,
  type ScsiResponse,
  type ScsiTransport
} from '../transport'
import { F_GETFL, F_SETFL, loadLibc, O_CLOEXEC, O_NONBLOCK, O_RDWR, type Libc } from './libc'
import {
  decodeSgIoHeader,
  encodeSgIoHeader,
  interpretCompletion,
  SG_GET_VERSION_NUM,
  SG_IO,
  SG_IO_HEADER_SIZE,
  SgDirection,
  sgIoErrnoError
} from './sg-io-header'

/**
 * One native block per command: header, CDB and sense in the first page, the data from the second
 * page on. Page alignment would let SG_FLAG_DIRECT_IO map the buffer straight to the device; we use
 * sg's default indirect IO (the kernel copies through its reserve buffer), which accepts any
 * alignment, costs a memcpy that is small next to tape speed, and works for every transfer size
 * the host adapter allows. Aligning costs nothing and keeps direct IO a one-flag change.
 */
const CDB_OFFSET = 96
const SENSE_OFFSET = 128
const DATA_OFFSET = 4096

const ST_MAJOR = 9n

function majorMinor(rdev: bigint): { major: bigint; minor: bigint } {
  return {
    major: ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn),
    minor: (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)
  }
}

/** The sg node of the same device as an st node, from sysfs (undefined if sysfs does not say). */
async function sgNodeOf(major: bigint, minor: bigint): Promise<string | undefined> {
  const names = await readdir(`/sys/dev/char/${major}:${minor}/device/scsi_generic`).catch(() => [])
  return names.length > 0 ? `/dev/${names[0]}` : undefined
}

/** A character device that is not an st tape node (opening /dev/stN alone would rewind the tape). */
async function checkNode(path: string): Promise<void> {
  let info
  try {
    info = await stat(path, { bigint: true })
  } catch {
    throw new Error(`device ${path} does not exist`)
  }
  if (!info.isCharacterDevice()) throw new Error(`${path} is not a character device`)
  const { major, minor } = majorMinor(info.rdev)
  if (major === ST_MAJOR) {
    const sg = await sgNodeOf(major, minor)
    throw new Error(
      `${path} is an st tape node; Tapedeck talks to drives through their SCSI generic node` +
        (sg
          ? ` (use ${sg} for this drive)`
          : ' (/dev/sgN, see /sys/class/scsi_tape/*/device/scsi_generic)')
    )
  }
}

function openError(path: string, errno: number): Error {
  switch (errno) {
    case 13: // EACCES
    case 1: // EPERM
      return new Error(
        `no permission to open ${path}: add the user to the group owning it (tape or disk), or add a udev rule`
      )
    case 2: // ENOENT
    case 6: // ENXIO
    case 19: // ENODEV
      return new Error(`device ${path} is not present (errno ${errno})`)
    case 16: // EBUSY
      return new Error(`device ${path} is opened exclusively by another program`)
    default:
      return new Error(`cannot open ${path} (errno ${errno})`)
  }
}

class SgIoDevice implements ScsiTransport {
  private tail: Promise<unknown> = Promise.resolve()
  private fd: number | null

  constructor(
    readonly address: string,
    fd: number,
    private readonly libc: Libc
  ) {
    this.fd = fd
  }

  execute(request: ScsiRequest): Promise<ScsiResponse> {
    if (this.fd === null) {
      return Promise.reject(new TransportError(this.address, 'transport is closed', false))
    }
    if (request.dataOut && request.dataInLength) {
      return Promise.reject(
        new Error('a SCSI request has either dataOut or dataInLength, not both')
      )
    }
    const run = () => this.run(request)
    const result = this.tail.then(run, run)
    this.tail = result.catch(() => undefined)
    return result
  }

  private async run(request: ScsiRequest): Promise<ScsiResponse> {
    const fd = this.fd
    if (fd === null) throw new TransportError(this.address, 'transport is closed', false)
    const { libc } = this
    const direction = request.dataOut
      ? SgDirection.TO_DEV
      : request.dataInLength
        ? SgDirection.FROM_DEV
        : SgDirection.NONE
    const dataLength = request.dataOut?.length ?? request.dataInLength ?? 0
    const block = libc.alloc(DATA_OFFSET + dataLength)
    try {
      const header = encodeSgIoHeader({
        direction,
        cdbLength: request.cdb.length,
        dataLength,
        dataAddress: dataLength > 0 ? block + DATA_OFFSET : 0,
        cdbAddress: block + CDB_OFFSET,
        senseAddress: block + SENSE_OFFSET,
        timeoutMs: request.timeoutMs
      })
      libc.copyIn(block, header)
      libc.copyIn(block + CDB_OFFSET, request.cdb)
      if (request.dataOut) libc.copyIn(block + DATA_OFFSET, request.dataOut)

      const { result, errno } = await libc.ioctlAsync(fd, SG_IO, block)
      if (result < 0) throw sgIoErrnoError(this.address, errno, dataLength)

      const completion = decodeSgIoHeader(libc.copyOut(block, SG_IO_HEADER_SIZE))
      const outcome = interpretCompletion(this.address, completion, direction, dataLength)
      return {
        status: outcome.status,
        data: libc.copyOut(block + DATA_OFFSET, outcome.dataLength),
        sense: libc.copyOut(block + SENSE_OFFSET, outcome.senseLength),
        residual: outcome.residual
      }
    } finally {
      libc.free(block)
    }
  }

  async close(): Promise<void> {
    const fd = this.fd
    if (fd === null) return
    this.fd = null
    await this.tail // never close the descriptor under a running ioctl
    this.libc.close(fd)
  }
}

/** sg v3 (SG_IO) answers SG_GET_VERSION_NUM without touching the device; other nodes do not. */
function checkSgVersion(path: string, fd: number, libc: Libc): void {
  const out = libc.alloc(4)
  try {
    if (libc.ioctl(fd, SG_GET_VERSION_NUM, out) < 0 || libc.readInt32(out) < 30000) {
      throw new Error(`${path} is not a SCSI generic device (it does not support SG_IO)`)
    }
  } finally {
    libc.free(out)
  }
}

/**
 * Opens a SCSI generic node for SG_IO. As PBS does, opens with O_NONBLOCK (an open without it can
 * wait on a device in error recovery) and then clears O_NONBLOCK so commands behave as blocking.
 */
export async function openSgIoTransport(path: string): Promise<ScsiTransport> {
  await checkNode(path)
  const libc = await loadLibc()
  const fd = libc.open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
  if (fd < 0) throw openError(path, libc.errno())
  try {
    const flags = libc.fcntl(fd, F_GETFL, 0)
    if (flags < 0 || libc.fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
      throw new Error(`cannot set ${path} to blocking mode (errno ${libc.errno()})`)
    }
    checkSgVersion(path, fd, libc)
  } catch (error) {
    libc.close(fd)
    throw error
  }
  return new SgIoDevice(path, fd, libc)
}
