/**
 * CDB builders for the SPC commands every device type shares (scsi.md §1.2). Each returns the bare
 * CDB; allocation lengths are arguments so the caller passes the same number as `dataInLength`.
 */
import { checkRange, put16, put32 } from './bytes'

export const testUnitReadyCdb = (): Uint8Array => new Uint8Array(6)

/** REQUEST SENSE; 252 bytes is what PBS (after Seagate's reference) asks for. */
export function requestSenseCdb(allocationLength = 252, descriptorFormat = false): Uint8Array {
  return Uint8Array.of(
    0x03,
    descriptorFormat ? 1 : 0,
    0,
    0,
    checkRange(allocationLength, 0, 255, 'allocation length'),
    0
  )
}

/** Standard INQUIRY data (36 bytes are mandatory; 96 covers the version descriptors). */
export function inquiryCdb(allocationLength = 96): Uint8Array {
  const cdb = new Uint8Array(6)
  cdb[0] = 0x12
  put16(cdb, 3, checkRange(allocationLength, 0, 0xffff, 'allocation length'))
  return cdb
}

export const VpdPage = {
  SUPPORTED_PAGES: 0x00,
  UNIT_SERIAL_NUMBER: 0x80,
  DEVICE_IDENTIFICATION: 0x83
} as const

/** INQUIRY with EVPD=1 for one vital product data page. */
export function vpdInquiryCdb(page: number, allocationLength = 255): Uint8Array {
  const cdb = inquiryCdb(allocationLength)
  cdb[1] = 0x01
  cdb[2] = checkRange(page, 0, 255, 'VPD page')
  return cdb
}

export function reportLunsCdb(allocationLength = 4096, selectReport = 0): Uint8Array {
  const cdb = new Uint8Array(12)
  cdb[0] = 0xa0
  cdb[2] = checkRange(selectReport, 0, 255, 'select report')
  put32(cdb, 6, checkRange(allocationLength, 16, 0xffffffff, 'allocation length'))
  return cdb
}

/** Page control field of MODE SENSE: current, changeable mask, default or saved values. */
export type ModePageControl = 'current' | 'changeable' | 'default' | 'saved'
const MODE_PAGE_CONTROL: Record<ModePageControl, number> = {
  current: 0,
  changeable: 1,
  default: 2,
  saved: 3
}

export interface ModeSenseOptions {
  page: number
  subpage?: number
  pageControl?: ModePageControl
  /** Disable block descriptors (DBD). */
  dbd?: boolean
  allocationLength?: number
}

function modeSenseCdb(length: 6 | 10, o: ModeSenseOptions): Uint8Array {
  const cdb = new Uint8Array(length)
  cdb[0] = length === 6 ? 0x1a : 0x5a
  cdb[1] = o.dbd ? 0x08 : 0
  cdb[2] =
    (MODE_PAGE_CONTROL[o.pageControl ?? 'current'] << 6) | checkRange(o.page, 0, 0x3f, 'mode page')
  cdb[3] = checkRange(o.subpage ?? 0, 0, 255, 'mode subpage')
  if (length === 6) cdb[4] = checkRange(o.allocationLength ?? 255, 0, 255, 'allocation length')
  else put16(cdb, 7, checkRange(o.allocationLength ?? 4096, 0, 0xffff, 'allocation length'))
  return cdb
}

export const modeSense6Cdb = (o: ModeSenseOptions): Uint8Array => modeSenseCdb(6, o)
export const modeSense10Cdb = (o: ModeSenseOptions): Uint8Array => modeSenseCdb(10, o)

/** MODE SELECT(6) with PF=1 (page format, required by tape drives), SP=0 unless saving. */
export function modeSelect6Cdb(parameterListLength: number, savePages = false): Uint8Array {
  return Uint8Array.of(
    0x15,
    0x10 | (savePages ? 1 : 0),
    0,
    0,
    checkRange(parameterListLength, 0, 255, 'parameter list length'),
    0
  )
}

export function modeSelect10Cdb(parameterListLength: number, savePages = false): Uint8Array {
  const cdb = new Uint8Array(10)
  cdb[0] = 0x55
  cdb[1] = 0x10 | (savePages ? 1 : 0)
  put16(cdb, 7, checkRange(parameterListLength, 0, 0xffff, 'parameter list length'))
  return cdb
}

/** Page control field of LOG SENSE; tape software reads cumulative values (PC=01). */
export type LogPageControl = 'threshold' | 'cumulative' | 'default-threshold' | 'default-cumulative'
const LOG_PAGE_CONTROL: Record<LogPageControl, number> = {
  threshold: 0,
  cumulative: 1,
  'default-threshold': 2,
  'default-cumulative': 3
}

export interface LogSenseOptions {
  page: number
  subpage?: number
  pageControl?: LogPageControl
  parameterPointer?: number
  allocationLength?: number
}

export function logSenseCdb(o: LogSenseOptions): Uint8Array {
  const cdb = new Uint8Array(10)
  cdb[0] = 0x4d
  cdb[2] =
    (LOG_PAGE_CONTROL[o.pageControl ?? 'cumulative'] << 6) | checkRange(o.page, 0, 0x3f, 'log page')
  cdb[3] = checkRange(o.subpage ?? 0, 0, 255, 'log subpage')
  put16(cdb, 5, checkRange(o.parameterPointer ?? 0, 0, 0xffff, 'parameter pointer'))
  put16(cdb, 7, checkRange(o.allocationLength ?? 8192, 0, 0xffff, 'allocation length'))
  return cdb
}

/** READ ATTRIBUTE service actions (what the response lists). */
export type ReadAttributeAction = 'values' | 'list' | 'volumes' | 'partitions' | 'supported'
const READ_ATTRIBUTE_ACTION: Record<ReadAttributeAction, number> = {
  values: 0x00,
  list: 0x01,
  volumes: 0x02,
  partitions: 0x03,
  supported: 0x05
}

export interface ReadAttributeOptions {
  action?: ReadAttributeAction
  firstAttribute?: number
  /** PBS asks for 32 KiB, enough for every attribute a cartridge holds. */
  allocationLength?: number
  volume?: number
  partition?: number
  cache?: boolean
}

export function readAttributeCdb(o: ReadAttributeOptions = {}): Uint8Array {
  const cdb = new Uint8Array(16)
  cdb[0] = 0x8c
  cdb[1] = READ_ATTRIBUTE_ACTION[o.action ?? 'values']
  cdb[5] = checkRange(o.volume ?? 0, 0, 255, 'volume number')
  cdb[7] = checkRange(o.partition ?? 0, 0, 255, 'partition number')
  put16(cdb, 8, checkRange(o.firstAttribute ?? 0, 0, 0xffff, 'first attribute'))
  put32(cdb, 10, checkRange(o.allocationLength ?? 32 * 1024, 0, 0xffffffff, 'allocation length'))
  cdb[14] = o.cache ? 1 : 0
  return cdb
}

/** WRITE ATTRIBUTE; WTC=1 (write through to the cartridge memory) as PBS sends it. */
export function writeAttributeCdb(
  parameterListLength: number,
  o: { writeThrough?: boolean; volume?: number; partition?: number } = {}
): Uint8Array {
  const cdb = new Uint8Array(16)
  cdb[0] = 0x8d
  cdb[1] = (o.writeThrough ?? true) ? 1 : 0
  cdb[5] = checkRange(o.volume ?? 0, 0, 255, 'volume number')
  cdb[7] = checkRange(o.partition ?? 0, 0, 255, 'partition number')
  put32(cdb, 10, checkRange(parameterListLength, 0, 0xffffffff, 'parameter list length'))
  return cdb
}

/** Security protocols: 0x00 lists the supported ones, 0x20 is tape data encryption (SSC). */
export const SecurityProtocol = { INFORMATION: 0x00, TAPE_DATA_ENCRYPTION: 0x20 } as const

function securityProtocolCdb(
  opcode: number,
  protocol: number,
  page: number,
  length: number
): Uint8Array {
  const cdb = new Uint8Array(12)
  cdb[0] = opcode
  cdb[1] = checkRange(protocol, 0, 255, 'security protocol')
  put16(cdb, 2, checkRange(page, 0, 0xffff, 'security protocol page'))
  put32(cdb, 6, checkRange(length, 0, 0xffffffff, 'length'))
  return cdb
}

/** SECURITY PROTOCOL IN; PBS allocates 8196 bytes for the encryption pages. */
export const securityProtocolInCdb = (
  protocol: number,
  page: number,
  allocationLength = 8196
): Uint8Array => securityProtocolCdb(0xa2, protocol, page, allocationLength)

export const securityProtocolOutCdb = (
  protocol: number,
  page: number,
  transferLength: number
): Uint8Array => securityProtocolCdb(0xb5, protocol, page, transferLength)

/** PREVENT ALLOW MEDIUM REMOVAL: locks a drive's eject (and a changer's doors/mail slots). */
export const preventAllowMediumRemovalCdb = (prevent: boolean): Uint8Array =>
  Uint8Array.of(0x1e, 0, 0, 0, prevent ? 1 : 0, 0)

/** REPORT SUPPORTED OPERATION CODES, all commands: a capability probe tgt answers (scsi.md §1.1). */
export function reportSupportedOpcodesCdb(allocationLength = 8192): Uint8Array {
  const cdb = new Uint8Array(12)
  cdb[0] = 0xa3
  cdb[1] = 0x0c
  put32(cdb, 6, checkRange(allocationLength, 4, 0xffffffff, 'allocation length'))
  return cdb
}
