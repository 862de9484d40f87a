/**
 * iSCSI PDU framing (RFC 7143 §11): the 48-byte Basic Header Segment, data segments padded to four
 * bytes, and the `key=value\0` text format of login and text PDUs. Digests are never negotiated
 * (HeaderDigest/DataDigest=None), so a PDU here is always BHS [+ AHS] + data + pad.
 */

export const Opcode = {
  NOP_OUT: 0x00,
  SCSI_COMMAND: 0x01,
  LOGIN_REQUEST: 0x03,
  TEXT_REQUEST: 0x04,
  DATA_OUT: 0x05,
  LOGOUT_REQUEST: 0x06,
  NOP_IN: 0x20,
  SCSI_RESPONSE: 0x21,
  TASK_MANAGEMENT_RESPONSE: 0x22,
  LOGIN_RESPONSE: 0x23,
  TEXT_RESPONSE: 0x24,
  DATA_IN: 0x25,
  LOGOUT_RESPONSE: 0x26,
  R2T: 0x31,
  ASYNC_MESSAGE: 0x32,
  REJECT: 0x3f
} as const

export const BHS_LENGTH = 48
/** "No tag": unsolicited NOP-In/NOP-Out, unsolicited Data-Out, text requests without continuation. */
export const NO_TAG = 0xffffffff
/** Immediate delivery bit in byte 0 (login, our NOP-Outs, text requests, logout). */
const IMMEDIATE = 0x40
const FINAL = 0x80

/** A received PDU: header and data segment (without padding, AHS dropped). */
export interface Pdu {
  bhs: Buffer
  data: Buffer
}

export function opcodeOf(bhs: Uint8Array): number {
  return bhs[0] & 0x3f
}

function pad4(length: number): number {
  return (4 - (length % 4)) % 4
}

const PADDING = Buffer.alloc(3)

/**
 * The pieces to write for one PDU: the header (its DataSegmentLength is filled in here), the data
 * segment as given (not copied) and the zero pad.
 */
export function framePdu(bhs: Buffer, data?: Uint8Array): Buffer[] {
  const length = data?.length ?? 0
  if (length > 0xffffff) throw new Error(`iSCSI data segment of ${length} bytes is too long`)
  bhs.writeUIntBE(length, 5, 3)
  if (!data || length === 0) return [bhs]
  const payload = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, length)
  const pad = pad4(length)
  return pad ? [bhs, payload, PADDING.subarray(0, pad)] : [bhs, payload]
}

/** Splits a TCP byte stream into PDUs. */
export class PduReader {
  private chunks: Buffer[] = []
  private buffered = 0

  /** Feeds received bytes; returns every PDU completed by them. */
  push(chunk: Buffer): Pdu[] {
    this.chunks.push(chunk)
    this.buffered += chunk.length
    const pdus: Pdu[] = []
    for (;;) {
      if (this.buffered < BHS_LENGTH) break
      const head = this.peek(BHS_LENGTH)
      const ahsLength = head[4] * 4
      const dataLength = head.readUIntBE(5, 3)
      const total = BHS_LENGTH + ahsLength + dataLength + pad4(dataLength)
      if (this.buffered < total) break
      const whole = this.take(total)
      const dataStart = BHS_LENGTH + ahsLength
      pdus.push({
        bhs: whole.subarray(0, BHS_LENGTH),
        data: whole.subarray(dataStart, dataStart + dataLength)
      })
    }
    return pdus
  }

  private peek(length: number): Buffer {
    if (this.chunks[0].length < length) this.chunks = [Buffer.concat(this.chunks)]
    return this.chunks[0]
  }

  private take(length: number): Buffer {
    const all = this.chunks[0].length >= length ? this.chunks[0] : Buffer.concat(this.chunks)
    const rest = all.subarray(length)
    const restChunks = all === this.chunks[0] ? this.chunks.slice(1) : []
    this.chunks = rest.length ? [rest, ...restChunks] : restChunks
    this.buffered -= length
    return all.subarray(0, length)
  }
}

// ---- text keys ---------------------------------------------------------------------------------

/** Keys in order; a list because SendTargets repeats TargetName/TargetAddress. */
export type TextKeys = Array<[key: string, value: string]>

export function encodeTextKeys(keys: TextKeys): Buffer {
  return Buffer.from(keys.map(([k, v]) => `${k}=${v}\0`).join(''), 'utf8')
}

export function decodeTextKeys(data: Uint8Array): TextKeys {
  const text = Buffer.from(data.buffer, data.byteOffset, data.length).toString('utf8')
  const keys: TextKeys = []
  for (const pair of text.split('\0')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new Error(`malformed iSCSI text key "${pair}"`)
    keys.push([pair.slice(0, eq), pair.slice(eq + 1)])
  }
  return keys
}

// ---- LUN field ---------------------------------------------------------------------------------

/** SAM LUN encoding: peripheral addressing below 256, flat space up to 16383. */
export function encodeLun(lun: number): Buffer {
  if (!Number.isInteger(lun) || lun < 0 || lun > 0x3fff) throw new Error(`invalid LUN ${lun}`)
  const b = Buffer.alloc(8)
  if (lun < 256) b[1] = lun
  else b.writeUInt16BE(0x4000 | lun, 0)
  return b
}

/** Inverse of encodeLun for the two address methods tgt and most targets use. */
export function decodeLun(b: Uint8Array): number {
  const method = b[0] >> 6
  if (method === 0 || method === 1) return ((b[0] & 0x3f) << 8) | b[1]
  throw new Error(`unsupported LUN address method ${method}`)
}

// ---- initiator → target -------------------------------------------------------------------------

function header(byte0: number, byte1: number): Buffer {
  const bhs = Buffer.alloc(BHS_LENGTH)
  bhs[0] = byte0
  bhs[1] = byte1
  return bhs
}

export const LoginStage = { SECURITY: 0, OPERATIONAL: 1, FULL_FEATURE: 3 } as const

export interface LoginRequest {
  transit: boolean
  csg: number
  nsg: number
  isid: Uint8Array
  tsih: number
  itt: number
  cid: number
  cmdSN: number
  expStatSN: number
  keys: TextKeys
}

export function encodeLoginRequest(r: LoginRequest): Buffer[] {
  const bhs = header(
    IMMEDIATE | Opcode.LOGIN_REQUEST,
    (r.transit ? 0x80 : 0) | (r.csg << 2) | (r.transit ? r.nsg : 0)
  )
  // bytes 2-3: version-max 0, version-min 0
  Buffer.from(r.isid).copy(bhs, 8, 0, 6)
  bhs.writeUInt16BE(r.tsih, 14)
  bhs.writeUInt32BE(r.itt, 16)
  bhs.writeUInt16BE(r.cid, 20)
  bhs.writeUInt32BE(r.cmdSN, 24)
  bhs.writeUInt32BE(r.expStatSN, 28)
  return framePdu(bhs, encodeTextKeys(r.keys))
}

export interface TextRequest {
  itt: number
  ttt: number
  cmdSN: number
  expStatSN: number
  keys: TextKeys
}

export function encodeTextRequest(r: TextRequest): Buffer[] {
  const bhs = header(IMMEDIATE | Opcode.TEXT_REQUEST, FINAL)
  bhs.writeUInt32BE(r.itt, 16)
  bhs.writeUInt32BE(r.ttt, 20)
  bhs.writeUInt32BE(r.cmdSN, 24)
  bhs.writeUInt32BE(r.expStatSN, 28)
  return framePdu(bhs, encodeTextKeys(r.keys))
}

export interface ScsiCommand {
  lun: number
  itt: number
  /** Expected Data Transfer Length: allocation length (read) or data length (write). */
  edtl: number
  cmdSN: number
  expStatSN: number
  cdb: Uint8Array
  read: boolean
  write: boolean
  /** False when unsolicited Data-Out PDUs follow (InitialR2T=No). */
  final: boolean
  immediateData?: Uint8Array
}

const TASK_ATTR_SIMPLE = 1

export function encodeScsiCommand(c: ScsiCommand): Buffer[] {
  if (c.cdb.length < 6 || c.cdb.length > 16) {
    throw new Error(`CDB of ${c.cdb.length} bytes: only 6 to 16 bytes are supported`)
  }
  const bhs = header(
    Opcode.SCSI_COMMAND,
    (c.final ? FINAL : 0) | (c.read ? 0x40 : 0) | (c.write ? 0x20 : 0) | TASK_ATTR_SIMPLE
  )
  encodeLun(c.lun).copy(bhs, 8)
  bhs.writeUInt32BE(c.itt, 16)
  bhs.writeUInt32BE(c.edtl, 20)
  bhs.writeUInt32BE(c.cmdSN, 24)
  bhs.writeUInt32BE(c.expStatSN, 28)
  Buffer.from(c.cdb).copy(bhs, 32)
  return framePdu(bhs, c.immediateData)
}

export interface DataOut {
  lun: number
  itt: number
  ttt: number
  expStatSN: number
  dataSN: number
  bufferOffset: number
  final: boolean
  data: Uint8Array
}

export function encodeDataOut(d: DataOut): Buffer[] {
  const bhs = header(Opcode.DATA_OUT, d.final ? FINAL : 0)
  encodeLun(d.lun).copy(bhs, 8)
  bhs.writeUInt32BE(d.itt, 16)
  bhs.writeUInt32BE(d.ttt, 20)
  bhs.writeUInt32BE(d.expStatSN, 28)
  bhs.writeUInt32BE(d.dataSN, 36)
  bhs.writeUInt32BE(d.bufferOffset, 40)
  return framePdu(bhs, d.data)
}

export interface NopOut {
  /** A fresh tag to ping the target, NO_TAG when answering a NOP-In. */
  itt: number
  /** Echo of the NOP-In's TTT, NO_TAG when pinging. */
  ttt: number
  /** The 8-byte LUN field as received in a NOP-In (zeros when pinging). */
  lun: Uint8Array
  cmdSN: number
  expStatSN: number
  data?: Uint8Array
}

export function encodeNopOut(n: NopOut): Buffer[] {
  const bhs = header(IMMEDIATE | Opcode.NOP_OUT, FINAL)
  Buffer.from(n.lun).copy(bhs, 8, 0, 8)
  bhs.writeUInt32BE(n.itt, 16)
  bhs.writeUInt32BE(n.ttt, 20)
  bhs.writeUInt32BE(n.cmdSN, 24)
  bhs.writeUInt32BE(n.expStatSN, 28)
  return framePdu(bhs, n.data)
}

export const LogoutReason = { CLOSE_SESSION: 0, CLOSE_CONNECTION: 1 } as const

export interface LogoutRequest {
  reason: number
  itt: number
  cid: number
  cmdSN: number
  expStatSN: number
}

export function encodeLogoutRequest(r: LogoutRequest): Buffer[] {
  const bhs = header(IMMEDIATE | Opcode.LOGOUT_REQUEST, FINAL | r.reason)
  bhs.writeUInt32BE(r.itt, 16)
  bhs.writeUInt16BE(r.cid, 20)
  bhs.writeUInt32BE(r.cmdSN, 24)
  bhs.writeUInt32BE(r.expStatSN, 28)
  return framePdu(bhs)
}

// ---- target → initiator -------------------------------------------------------------------------

/** Fields at the same place in every target PDU. */
export interface TargetCounters {
  itt: number
  statSN: number
  expCmdSN: number
  maxCmdSN: number
}

export function decodeCounters(bhs: Buffer): TargetCounters {
  return {
    itt: bhs.readUInt32BE(16),
    statSN: bhs.readUInt32BE(24),
    expCmdSN: bhs.readUInt32BE(28),
    maxCmdSN: bhs.readUInt32BE(32)
  }
}

export interface LoginResponse extends TargetCounters {
  transit: boolean
  continue: boolean
  csg: number
  nsg: number
  versionActive: number
  isid: Buffer
  tsih: number
  statusClass: number
  statusDetail: number
  keys: TextKeys
}

export function decodeLoginResponse({ bhs, data }: Pdu): LoginResponse {
  return {
    ...decodeCounters(bhs),
    transit: (bhs[1] & 0x80) !== 0,
    continue: (bhs[1] & 0x40) !== 0,
    csg: (bhs[1] >> 2) & 3,
    nsg: bhs[1] & 3,
    versionActive: bhs[3],
    isid: Buffer.from(bhs.subarray(8, 14)),
    tsih: bhs.readUInt16BE(14),
    statusClass: bhs[36],
    statusDetail: bhs[37],
    keys: decodeTextKeys(data)
  }
}

export interface TextResponse extends TargetCounters {
  final: boolean
  continue: boolean
  ttt: number
  data: Buffer
}

export function decodeTextResponse({ bhs, data }: Pdu): TextResponse {
  return {
    ...decodeCounters(bhs),
    final: (bhs[1] & 0x80) !== 0,
    continue: (bhs[1] & 0x40) !== 0,
    ttt: bhs.readUInt32BE(20),
    data
  }
}

/** Residual flags shared by SCSI Response and Data-In: O = overflow, U = underflow. */
function residualOf(bhs: Buffer): number {
  const count = bhs.readUInt32BE(44)
  if (bhs[1] & 0x04) return -count
  if (bhs[1] & 0x02) return count
  return 0
}

export interface ScsiResponsePdu extends TargetCounters {
  /** 0 = command completed at target; anything else is a target failure. */
  response: number
  status: number
  /** Positive: underflow (fewer bytes than EDTL); negative: overflow (target had more). */
  residual: number
  sense: Buffer
}

export function decodeScsiResponse({ bhs, data }: Pdu): ScsiResponsePdu {
  let sense = Buffer.alloc(0)
  if (data.length >= 2) {
    const senseLength = data.readUInt16BE(0)
    if (senseLength + 2 > data.length) {
      throw new Error(
        `SCSI Response announces ${senseLength} sense bytes but carries ${data.length - 2}`
      )
    }
    sense = Buffer.from(data.subarray(2, 2 + senseLength))
  }
  return {
    ...decodeCounters(bhs),
    response: bhs[2],
    status: bhs[3],
    residual: residualOf(bhs),
    sense
  }
}

export interface DataIn extends TargetCounters {
  final: boolean
  /** S bit: status (and residual) included, the command is complete. */
  statusPresent: boolean
  status: number
  residual: number
  dataSN: number
  bufferOffset: number
  data: Buffer
}

export function decodeDataIn({ bhs, data }: Pdu): DataIn {
  const statusPresent = (bhs[1] & 0x01) !== 0
  return {
    ...decodeCounters(bhs),
    final: (bhs[1] & 0x80) !== 0,
    statusPresent,
    status: statusPresent ? bhs[3] : 0,
    residual: statusPresent ? residualOf(bhs) : 0,
    dataSN: bhs.readUInt32BE(36),
    bufferOffset: bhs.readUInt32BE(40),
    data
  }
}

export interface R2T extends TargetCounters {
  ttt: number
  r2tSN: number
  bufferOffset: number
  desiredLength: number
}

export function decodeR2T({ bhs }: Pdu): R2T {
  return {
    ...decodeCounters(bhs),
    ttt: bhs.readUInt32BE(20),
    r2tSN: bhs.readUInt32BE(36),
    bufferOffset: bhs.readUInt32BE(40),
    desiredLength: bhs.readUInt32BE(44)
  }
}

export interface NopIn extends TargetCounters {
  lun: Buffer
  ttt: number
  data: Buffer
}

export function decodeNopIn({ bhs, data }: Pdu): NopIn {
  return {
    ...decodeCounters(bhs),
    lun: Buffer.from(bhs.subarray(8, 16)),
    ttt: bhs.readUInt32BE(20),
    data
  }
}

export const AsyncEvent = {
  SCSI_EVENT: 0,
  LOGOUT_REQUESTED: 1,
  CONNECTION_DROP: 2,
  SESSION_DROP: 3,
  NEGOTIATION_REQUESTED: 4
} as const

export interface AsyncMessage extends TargetCounters {
  event: number
  /** Parameter1..3 (seconds for logout/drop events). */
  parameters: [number, number, number]
  data: Buffer
}

export function decodeAsyncMessage({ bhs, data }: Pdu): AsyncMessage {
  return {
    ...decodeCounters(bhs),
    event: bhs[36],
    parameters: [bhs.readUInt16BE(38), bhs.readUInt16BE(40), bhs.readUInt16BE(42)],
    data
  }
}

export interface Reject extends TargetCounters {
  reason: number
  /** The header of the PDU the target rejected. */
  rejected: Buffer
}

export function decodeReject({ bhs, data }: Pdu): Reject {
  return { ...decodeCounters(bhs), reason: bhs[2], rejected: data }
}
