/**
 * Parsers for SPC response data: INQUIRY (standard and the VPD pages 0x00/0x80/0x83), REPORT LUNS,
 * MODE SENSE parameter lists and the tape mode pages, plus the MODE SELECT parameter list builder.
 */
import { ScsiDataError, ascii, hex, put16, put24, requireLength, u16, u24, u32 } from './bytes'

export const DeviceType = {
  DISK: 0x00,
  TAPE: 0x01,
  CHANGER: 0x08,
  ENCLOSURE: 0x0d,
  UNKNOWN: 0x1f
} as const

export interface Inquiry {
  /** 0 = device connected, 1 = supported but not connected, 3 = no device at this LUN. */
  qualifier: number
  deviceType: number
  removable: boolean
  version: number
  /** MCHNGR: a drive with an attached (embedded) medium changer. */
  mediumChanger: boolean
  vendor: string
  product: string
  revision: string
}

export function parseInquiry(data: Uint8Array): Inquiry {
  requireLength(data, 5, 'INQUIRY data')
  return {
    qualifier: data[0] >> 5,
    deviceType: data[0] & 0x1f,
    removable: (data[1] & 0x80) !== 0,
    version: data[2],
    mediumChanger: data.length > 6 && (data[6] & 0x08) !== 0,
    vendor: ascii(data, 8, 16),
    product: ascii(data, 16, 32),
    revision: ascii(data, 32, 36)
  }
}

/** The payload of a VPD page after its 4-byte header, checked to be the page asked for. */
function vpdPayload(data: Uint8Array, page: number): Uint8Array {
  requireLength(data, 4, `VPD page 0x${page.toString(16)}`)
  if (data[1] !== page) {
    throw new ScsiDataError(
      `expected VPD page 0x${page.toString(16)}, device sent page 0x${data[1].toString(16)}`
    )
  }
  return data.subarray(4, Math.min(data.length, 4 + u16(data, 2)))
}

export const parseSupportedVpdPages = (data: Uint8Array): number[] => [...vpdPayload(data, 0x00)]

/** Unit serial number (VPD 0x80), trimmed: tgt right-justifies it in spaces. */
export const parseUnitSerialNumber = (data: Uint8Array): string => ascii(vpdPayload(data, 0x80))

export type DesignatorAssociation = 'logical-unit' | 'target-port' | 'target-device' | 'reserved'
const ASSOCIATIONS: DesignatorAssociation[] = [
  'logical-unit',
  'target-port',
  'target-device',
  'reserved'
]

export const DesignatorType = {
  VENDOR_SPECIFIC: 0x0,
  T10_VENDOR_ID: 0x1,
  EUI64: 0x2,
  NAA: 0x3,
  RELATIVE_TARGET_PORT: 0x4,
  TARGET_PORT_GROUP: 0x5,
  LOGICAL_UNIT_GROUP: 0x6,
  MD5_LOGICAL_UNIT: 0x7,
  SCSI_NAME: 0x8,
  PROTOCOL_SPECIFIC_PORT: 0x9,
  UUID: 0xa
} as const

export interface Designator {
  protocol: number
  /** 1 binary, 2 ASCII, 3 UTF-8. */
  codeSet: number
  /** PIV: `protocol` is valid. */
  protocolValid: boolean
  association: DesignatorAssociation
  type: number
  identifier: Uint8Array
  /** ASCII/UTF-8 identifiers as text, binary ones as lower-case hex. */
  value: string
}

/** Device identification (VPD 0x83): the list of designators. */
export function parseDeviceIdentification(data: Uint8Array): Designator[] {
  const p = vpdPayload(data, 0x83)
  const list: Designator[] = []
  for (let o = 0; o + 4 <= p.length; o += 4 + p[o + 3]) {
    const identifier = p.slice(o + 4, Math.min(p.length, o + 4 + p[o + 3]))
    const codeSet = p[o] & 0x0f
    list.push({
      protocol: p[o] >> 4,
      codeSet,
      protocolValid: (p[o + 1] & 0x80) !== 0,
      association: ASSOCIATIONS[(p[o + 1] >> 4) & 0x03],
      type: p[o + 1] & 0x0f,
      identifier,
      value:
        codeSet === 2 || codeSet === 3
          ? Buffer.from(identifier)
              .toString(codeSet === 3 ? 'utf8' : 'latin1')
              .replace(/[\s\0]+$/, '')
          : hex(identifier)
    })
  }
  return list
}

/**
 * The stable id of a logical unit: its NAA designator, else EUI-64, else T10 vendor id, else SCSI
 * name — only designators of the logical unit itself (association 0), never of a port.
 */
export function logicalUnitId(designators: Designator[]): string | null {
  const lu = designators.filter((d) => d.association === 'logical-unit')
  const prefixes: [number, string][] = [
    [DesignatorType.NAA, 'naa.'],
    [DesignatorType.EUI64, 'eui.'],
    [DesignatorType.T10_VENDOR_ID, 't10.'],
    [DesignatorType.SCSI_NAME, '']
  ]
  for (const [type, prefix] of prefixes) {
    const d = lu.find((x) => x.type === type)
    if (d) return prefix + d.value
  }
  return null
}

export interface ReportedLuns {
  luns: number[]
  /** False when the device has more LUNs than the allocation length let through. */
  complete: boolean
}

/** REPORT LUNS; peripheral (`00 LL`) and flat space (`40|hi lo`) addressing. */
export function parseReportLuns(data: Uint8Array): ReportedLuns {
  requireLength(data, 8, 'REPORT LUNS data')
  const listLength = u32(data, 0)
  const end = Math.min(data.length, 8 + listLength)
  const luns: number[] = []
  for (let o = 8; o + 8 <= end; o += 8) {
    const method = data[o] >> 6
    if (method > 1) throw new ScsiDataError(`LUN address method ${method} is not supported`)
    luns.push(((data[o] & 0x3f) << 8) | data[o + 1])
  }
  return { luns, complete: end === 8 + listLength }
}

export interface BlockDescriptor {
  densityCode: number
  blockCount: number
  /** 0 = variable-block mode. */
  blockLength: number
}

export interface ModePage {
  code: number
  subpage: number
  /** PS: the page can be saved. */
  saveable: boolean
  /** The whole page including its 2- or 4-byte header; byte offsets in the specs count from here. */
  bytes: Uint8Array
}

export interface ModeParameters {
  mediumType: number
  /** Device-specific byte of the header; for tape WP(7) BUFFERED MODE(6:4) SPEED(3:0). */
  deviceSpecific: number
  writeProtected: boolean
  bufferedMode: number
  blockDescriptors: BlockDescriptor[]
  pages: ModePage[]
}

/** Mode parameter list of MODE SENSE(6) (`form` 6) or MODE SENSE(10) (`form` 10). */
export function parseModeParameters(data: Uint8Array, form: 6 | 10): ModeParameters {
  const headerLength = form === 6 ? 4 : 8
  requireLength(data, headerLength, `MODE SENSE(${form}) header`)
  const dataLength = form === 6 ? data[0] + 1 : u16(data, 0) + 2
  const end = Math.min(data.length, dataLength)
  const [mediumType, deviceSpecific] = form === 6 ? [data[1], data[2]] : [data[2], data[3]]
  if (form === 10 && data[4] & 0x01)
    throw new ScsiDataError('MODE SENSE(10): long LBA block descriptors are not supported')
  const bdLength = form === 6 ? data[3] : u16(data, 6)
  const blockDescriptors: BlockDescriptor[] = []
  for (let o = headerLength; o + 8 <= Math.min(end, headerLength + bdLength); o += 8) {
    blockDescriptors.push({
      densityCode: data[o],
      blockCount: u24(data, o + 1),
      blockLength: u24(data, o + 5)
    })
  }
  const pages: ModePage[] = []
  for (let o = headerLength + bdLength; o + 2 <= end;) {
    const subpageFormat = (data[o] & 0x40) !== 0
    const length = subpageFormat ? (o + 4 <= end ? u16(data, o + 2) + 4 : end - o) : data[o + 1] + 2
    pages.push({
      code: data[o] & 0x3f,
      subpage: subpageFormat ? data[o + 1] : 0,
      saveable: (data[o] & 0x80) !== 0,
      bytes: data.slice(o, Math.min(end, o + length))
    })
    o += length
  }
  return {
    mediumType,
    deviceSpecific,
    writeProtected: (deviceSpecific & 0x80) !== 0,
    bufferedMode: (deviceSpecific >> 4) & 0x07,
    blockDescriptors,
    pages
  }
}

/** The page with this code/subpage, or an error naming what the device sent instead. */
export function modePage(params: ModeParameters, code: number, subpage = 0): ModePage {
  const page = params.pages.find((p) => p.code === code && p.subpage === subpage)
  if (!page) {
    const got =
      params.pages.map((p) => `0x${p.code.toString(16)}/${p.subpage}`).join(', ') || 'none'
    throw new ScsiDataError(`mode page 0x${code.toString(16)}/${subpage} missing (pages: ${got})`)
  }
  return page
}

function pageBytes(page: ModePage | Uint8Array, code: number, minLength: number): Uint8Array {
  const b = page instanceof Uint8Array ? page : page.bytes
  requireLength(b, 1, `mode page 0x${code.toString(16)}`)
  if ((b[0] & 0x3f) !== code)
    throw new ScsiDataError(
      `expected mode page 0x${code.toString(16)}, got 0x${(b[0] & 0x3f).toString(16)}`
    )
  requireLength(b, minLength, `mode page 0x${code.toString(16)}`)
  return b
}

export interface DataCompressionPage {
  /** DCE: compression enabled. */
  enabled: boolean
  /** DCC: the drive can compress. */
  capable: boolean
  /** DDE: decompression enabled. */
  decompressionEnabled: boolean
  reportExceptionOnDecompression: number
  compressionAlgorithm: number
  decompressionAlgorithm: number
}

/** Data Compression mode page 0x0F (length 0x0E). */
export function parseDataCompressionPage(page: ModePage | Uint8Array): DataCompressionPage {
  const b = pageBytes(page, 0x0f, 16)
  return {
    enabled: (b[2] & 0x80) !== 0,
    capable: (b[2] & 0x40) !== 0,
    decompressionEnabled: (b[3] & 0x80) !== 0,
    reportExceptionOnDecompression: (b[3] >> 5) & 0x03,
    compressionAlgorithm: u32(b, 4),
    decompressionAlgorithm: u32(b, 8)
  }
}

export interface DeviceConfigurationPage {
  activePartition: number
  /** Write delay time in milliseconds (the page counts in 100 ms). */
  writeDelayMs: number
  /** EEG: the drive reports early warning. */
  earlyWarningEnabled: boolean
  /** SEW: buffered data is written when early warning is reached. */
  synchronizeAtEarlyWarning: boolean
  softwareWriteProtect: boolean
  bufferSizeAtEarlyWarning: number
  /** SELECT DATA COMPRESSION ALGORITHM: 0 none, 1 the default algorithm (older drives' switch). */
  selectDataCompression: number
}

/** Device Configuration mode page 0x10 (length 0x0E). */
export function parseDeviceConfigurationPage(page: ModePage | Uint8Array): DeviceConfigurationPage {
  const b = pageBytes(page, 0x10, 16)
  return {
    activePartition: b[3],
    writeDelayMs: u16(b, 6) * 100,
    earlyWarningEnabled: (b[10] & 0x10) !== 0,
    synchronizeAtEarlyWarning: (b[10] & 0x08) !== 0,
    softwareWriteProtect: (b[10] & 0x04) !== 0,
    bufferSizeAtEarlyWarning: u24(b, 11),
    selectDataCompression: b[14]
  }
}

export interface DeviceConfigurationExtensionPage {
  /** 0 overwrite allowed, 1 append only. */
  writeMode: number
  /** Programmable early warning size in MB (0 = off). */
  programmableEarlyWarningMb: number
}

/** Device Configuration Extension, mode page 0x10 subpage 0x01 (LTO-5+). */
export function parseDeviceConfigurationExtensionPage(
  page: ModePage | Uint8Array
): DeviceConfigurationExtensionPage {
  const b = pageBytes(page, 0x10, 8)
  if (!(b[0] & 0x40) || b[1] !== 0x01)
    throw new ScsiDataError('not the device configuration extension subpage 0x10/0x01')
  return { writeMode: b[5] >> 4, programmableEarlyWarningMb: u16(b, 6) }
}

/** Medium Configuration mode page 0x1D of a tape drive: WORMM = the loaded cartridge is WORM. */
export function parseMediumConfigurationPage(page: ModePage | Uint8Array): { worm: boolean } {
  const b = pageBytes(page, 0x1d, 3)
  return { worm: (b[2] & 0x01) !== 0 }
}

export interface ModeSelectParameters {
  /** Header device-specific byte: for tape BUFFERED MODE in bits 6:4 (WP is ignored by SELECT). */
  deviceSpecific?: number
  blockDescriptors?: BlockDescriptor[]
  /** Whole pages as MODE SENSE returned them (possibly edited); their PS bit is cleared here. */
  pages?: Uint8Array[]
}

/**
 * Parameter list for MODE SELECT(6)/(10): the mode data length is reserved in SELECT (zero) and
 * each page's PS bit must be clear — PBS does the same read-modify-write (`set_drive_options`).
 */
export function buildModeSelectParameters(form: 6 | 10, p: ModeSelectParameters): Uint8Array {
  const headerLength = form === 6 ? 4 : 8
  const bds = p.blockDescriptors ?? []
  const pages = p.pages ?? []
  const out = new Uint8Array(
    headerLength + bds.length * 8 + pages.reduce((n, x) => n + x.length, 0)
  )
  if (form === 6) {
    out[2] = p.deviceSpecific ?? 0
    out[3] = bds.length * 8
  } else {
    out[3] = p.deviceSpecific ?? 0
    put16(out, 6, bds.length * 8)
  }
  let o = headerLength
  for (const bd of bds) {
    out[o] = bd.densityCode
    put24(out, o + 1, bd.blockCount)
    put24(out, o + 5, bd.blockLength)
    o += 8
  }
  for (const page of pages) {
    out.set(page, o)
    out[o] &= 0x7f
    o += page.length
  }
  if (form === 6 && out.length > 255)
    throw new RangeError(`MODE SELECT(6) parameter list of ${out.length} bytes is too long`)
  return out
}

export interface SupportedCommand {
  opcode: number
  /** Null for commands without service actions. */
  serviceAction: number | null
  cdbLength: number
}

/**
 * REPORT SUPPORTED OPERATION CODES, "all commands" format: 8-byte descriptors, each followed by a
 * 12-byte timeouts descriptor when CTDP is set. A cheap probe for what a device implements.
 */
export function parseSupportedCommands(data: Uint8Array): SupportedCommand[] {
  requireLength(data, 4, 'supported operation codes')
  const end = Math.min(data.length, 4 + u32(data, 0))
  const list: SupportedCommand[] = []
  for (let o = 4; o + 8 <= end; o += data[o + 5] & 0x02 ? 20 : 8) {
    list.push({
      opcode: data[o],
      serviceAction: data[o + 5] & 0x01 ? u16(data, o + 2) : null,
      cdbLength: u16(data, o + 6)
    })
  }
  return list
}
