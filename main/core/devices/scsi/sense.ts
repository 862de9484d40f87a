/**
 * Sense data: decoding of fixed (0x70/0x71) and descriptor (0x72/0x73) format, human text for the
 * ASC/ASCQ that matter on tape drives and libraries (strings as sg3_utils prints them), and the
 * classification drivers act on (scsi.md §2).
 */
import { ScsiDataError, i32, i64, u16 } from './bytes'

export const SenseKey = {
  NO_SENSE: 0x0,
  RECOVERED_ERROR: 0x1,
  NOT_READY: 0x2,
  MEDIUM_ERROR: 0x3,
  HARDWARE_ERROR: 0x4,
  ILLEGAL_REQUEST: 0x5,
  UNIT_ATTENTION: 0x6,
  DATA_PROTECT: 0x7,
  BLANK_CHECK: 0x8,
  VENDOR_SPECIFIC: 0x9,
  COPY_ABORTED: 0xa,
  ABORTED_COMMAND: 0xb,
  VOLUME_OVERFLOW: 0xd,
  MISCOMPARE: 0xe
} as const

const SENSE_KEY_NAMES = [
  'NO SENSE',
  'RECOVERED ERROR',
  'NOT READY',
  'MEDIUM ERROR',
  'HARDWARE ERROR',
  'ILLEGAL REQUEST',
  'UNIT ATTENTION',
  'DATA PROTECT',
  'BLANK CHECK',
  'VENDOR SPECIFIC',
  'COPY ABORTED',
  'ABORTED COMMAND',
  'EQUAL',
  'VOLUME OVERFLOW',
  'MISCOMPARE',
  'COMPLETED'
]

export const senseKeyName = (key: number): string => SENSE_KEY_NAMES[key & 0xf]

/** Sense-key specific bytes (fixed bytes 15–17, or descriptor type 0x02), decoded by key. */
export type SenseKeySpecific =
  | { kind: 'field-pointer'; inCdb: boolean; bitPointer: number | null; fieldPointer: number }
  | { kind: 'progress'; fraction: number }
  | { kind: 'retry-count'; count: number }
  | { kind: 'raw'; bytes: Uint8Array }

export interface Sense {
  format: 'fixed' | 'descriptor'
  /** 0x71/0x73: the error belongs to an earlier, already acknowledged command (buffered write). */
  deferred: boolean
  key: number
  asc: number
  ascq: number
  filemark: boolean
  /** End of medium/partition (EOM) — on writes the early-warning indicator. */
  eom: boolean
  /** Incorrect length indicator: the block on tape had another length than requested. */
  ili: boolean
  /** True when `information` is valid (fixed: VALID bit; descriptor: information descriptor). */
  valid: boolean
  /** Signed residue for tape commands (requested − actual, bytes or blocks); null when not valid. */
  information: number | null
  commandSpecific: number | null
  fru: number
  senseKeySpecific: SenseKeySpecific | null
}

function decodeSenseKeySpecific(key: number, b: Uint8Array): SenseKeySpecific | null {
  if (b.length < 3 || !(b[0] & 0x80)) return null
  if (key === SenseKey.ILLEGAL_REQUEST) {
    return {
      kind: 'field-pointer',
      inCdb: (b[0] & 0x40) !== 0,
      bitPointer: b[0] & 0x08 ? b[0] & 0x07 : null,
      fieldPointer: u16(b, 1)
    }
  }
  if (key === SenseKey.NOT_READY || key === SenseKey.NO_SENSE)
    return { kind: 'progress', fraction: u16(b, 1) / 65536 }
  if (
    key === SenseKey.RECOVERED_ERROR ||
    key === SenseKey.MEDIUM_ERROR ||
    key === SenseKey.HARDWARE_ERROR
  ) {
    return { kind: 'retry-count', count: u16(b, 1) }
  }
  return { kind: 'raw', bytes: b.slice(0, 3) }
}

function parseFixed(b: Uint8Array): Sense {
  // Honour the additional length but never read past what arrived.
  const end = b.length >= 8 ? Math.min(b.length, 8 + b[7]) : b.length
  const at = (o: number): number => (o < end ? b[o] : 0)
  const key = at(2) & 0x0f
  const valid = (b[0] & 0x80) !== 0 && end >= 7
  return {
    format: 'fixed',
    deferred: (b[0] & 0x7f) === 0x71,
    key,
    asc: at(12),
    ascq: at(13),
    filemark: (at(2) & 0x80) !== 0,
    eom: (at(2) & 0x40) !== 0,
    ili: (at(2) & 0x20) !== 0,
    valid,
    information: valid ? i32(b, 3) : null,
    commandSpecific: end >= 12 ? i32(b, 8) >>> 0 : null,
    fru: at(14),
    senseKeySpecific: end >= 18 ? decodeSenseKeySpecific(key, b.subarray(15, 18)) : null
  }
}

function parseDescriptor(b: Uint8Array): Sense {
  const end = b.length >= 8 ? Math.min(b.length, 8 + b[7]) : b.length
  const key = b.length > 1 ? b[1] & 0x0f : 0
  const sense: Sense = {
    format: 'descriptor',
    deferred: (b[0] & 0x7f) === 0x73,
    key,
    asc: b.length > 2 ? b[2] : 0,
    ascq: b.length > 3 ? b[3] : 0,
    filemark: false,
    eom: false,
    ili: false,
    valid: false,
    information: null,
    commandSpecific: null,
    fru: 0,
    senseKeySpecific: null
  }
  for (let o = 8; o + 2 <= end; o += 2 + b[o + 1]) {
    const type = b[o]
    const d = b.subarray(o, Math.min(end, o + 2 + b[o + 1]))
    if (type === 0x00 && d.length >= 12) {
      sense.valid = (d[2] & 0x80) !== 0
      if (sense.valid) sense.information = i64(d, 4)
    } else if (type === 0x01 && d.length >= 12) {
      sense.commandSpecific = i64(d, 4)
    } else if (type === 0x02 && d.length >= 7) {
      sense.senseKeySpecific = decodeSenseKeySpecific(key, d.subarray(4, 7))
    } else if (type === 0x03 && d.length >= 4) {
      sense.fru = d[3]
    } else if (type === 0x04 && d.length >= 4) {
      sense.filemark = (d[3] & 0x80) !== 0
      sense.eom = (d[3] & 0x40) !== 0
      sense.ili = (d[3] & 0x20) !== 0
    }
  }
  return sense
}

/** Decodes sense bytes as a device returned them (fixed or descriptor format). */
export function parseSense(bytes: Uint8Array): Sense {
  if (bytes.length < 2) throw new ScsiDataError(`sense data too short (${bytes.length} bytes)`)
  const code = bytes[0] & 0x7f
  if (code === 0x70 || code === 0x71) return parseFixed(bytes)
  if (code === 0x72 || code === 0x73) return parseDescriptor(bytes)
  throw new ScsiDataError(`unknown sense response code 0x${code.toString(16).padStart(2, '0')}`)
}

const ASC_TEXT: Record<number, string> = {
  0x0000: 'No additional sense information',
  0x0001: 'Filemark detected',
  0x0002: 'End-of-partition/medium detected',
  0x0003: 'Setmark detected',
  0x0004: 'Beginning-of-partition/medium detected',
  0x0005: 'End-of-data detected',
  0x0007: 'Programmable early warning detected',
  0x0016: 'Operation in progress',
  0x0017: 'Cleaning requested',
  0x0018: 'Erase operation in progress',
  0x0019: 'Locate operation in progress',
  0x001a: 'Rewind operation in progress',
  0x0400: 'Logical unit not ready, cause not reportable',
  0x0401: 'Logical unit is in process of becoming ready',
  0x0402: 'Logical unit not ready, initializing command required',
  0x0403: 'Logical unit not ready, manual intervention required',
  0x0404: 'Logical unit not ready, format in progress',
  0x0407: 'Logical unit not ready, operation in progress',
  0x0412: 'Logical unit not ready, offline',
  0x0c00: 'Write error',
  0x1100: 'Unrecovered read error',
  0x1400: 'Recorded entity not found',
  0x1403: 'End-of-data not found',
  0x1a00: 'Parameter list length error',
  0x2000: 'Invalid command operation code',
  0x2400: 'Invalid field in cdb',
  0x2500: 'Logical unit not supported',
  0x2600: 'Invalid field in parameter list',
  0x2700: 'Write protected',
  0x2800: 'Not ready to ready change, medium may have changed',
  0x2801: 'Import or export element accessed',
  0x2900: 'Power on, reset, or bus device reset occurred',
  0x2901: 'Power on occurred',
  0x2902: 'SCSI bus reset occurred',
  0x2903: 'Bus device reset function occurred',
  0x2904: 'Device internal reset',
  0x2a01: 'Mode parameters changed',
  0x3000: 'Incompatible medium installed',
  0x3001: 'Cannot read medium - unknown format',
  0x3002: 'Cannot read medium - incompatible format',
  0x3003: 'Cleaning cartridge installed',
  0x3005: 'Cannot write medium - incompatible format',
  0x3007: 'Cleaning failure',
  0x300c: 'WORM medium - overwrite attempted',
  0x300d: 'WORM medium - integrity check',
  0x3100: 'Medium format corrupted',
  0x3a00: 'Medium not present',
  0x3a04: 'Medium not present - medium auxiliary memory accessible',
  0x3b00: 'Sequential positioning error',
  0x3b08: 'Reposition error',
  0x3b0c: 'Position past beginning of medium',
  0x3b0d: 'Medium destination element full',
  0x3b0e: 'Medium source element empty',
  0x3b11: 'Medium magazine not accessible',
  0x3b12: 'Medium magazine removed',
  0x3b13: 'Medium magazine inserted',
  0x3f01: 'Microcode has been changed',
  0x4400: 'Internal target failure',
  0x5000: 'Write append error',
  0x5001: 'Write append position error',
  0x5100: 'Erase failure',
  0x5200: 'Cartridge fault',
  0x5300: 'Media load or eject failed',
  0x5301: 'Unload tape failure',
  0x5302: 'Medium removal prevented',
  0x5303: 'Medium removal prevented by data transfer element',
  0x5506: 'Auxiliary memory out of space',
  0x5a01: 'Operator medium removal request',
  0x5d00: 'Failure prediction threshold exceeded',
  0x7400: 'Security error',
  0x7401: 'Unable to decrypt data',
  0x7402: 'Unencrypted data encountered while decrypting',
  0x7403: 'Incorrect data encryption key',
  0x7404: 'Cryptographic integrity validation failed',
  0x7405: 'Error decrypting data',
  0x7406: 'Unknown signature verification key',
  0x7407: 'Encryption parameters not useable',
  0x7408: 'Digital signature validation failure',
  0x7409: 'Encryption mode mismatch on read',
  0x740a: 'Encrypted block not raw read enabled',
  0x740b: 'Incorrect encryption parameters',
  0x740c: 'Unable to decrypt parameter list',
  0x7421: 'Data encryption configuration prevented',
  0x7440: 'Authentication failed',
  0x7461: 'External data encryption key manager access error',
  0x7462: 'External data encryption key manager error',
  0x7463: 'External data encryption key not found',
  0x7464: 'External data encryption request not authorized'
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0')

/** "Medium not present" for 3A/00; a generic form for codes not in the table. */
export function ascText(asc: number, ascq: number): string {
  const known = ASC_TEXT[(asc << 8) | ascq]
  if (known) return known
  if (asc === 0x29) return ASC_TEXT[0x2900]
  if (asc >= 0x80 || ascq >= 0x80) return `Vendor specific ASC/ASCQ ${hex2(asc)}/${hex2(ascq)}`
  return `ASC/ASCQ ${hex2(asc)}/${hex2(ascq)}`
}

/**
 * What a sense report means for the caller, most specific first. Drivers branch on this instead of
 * on raw codes; the sense itself stays available for logs.
 */
export type SenseCondition =
  | 'leom' // NO SENSE + EOM: logical end of medium (early warning), the command completed
  | 'volume-overflow' // VOLUME OVERFLOW: physical end; INFORMATION bytes/blocks were NOT written
  | 'filemark'
  | 'end-of-data'
  | 'beginning-of-medium'
  | 'ili'
  | 'no-sense'
  | 'recovered-error'
  | 'becoming-ready'
  | 'no-medium'
  | 'not-ready'
  | 'medium-error'
  | 'hardware-error'
  | 'not-supported' // ILLEGAL REQUEST 20/00: the device does not implement the command
  | 'removal-prevented'
  | 'destination-full'
  | 'source-empty'
  | 'illegal-request'
  | 'power-on-reset'
  | 'medium-changed'
  | 'unit-attention'
  | 'write-protected'
  | 'encryption' // 74/xx: decryption failed, wrong/missing key, bad encryption parameters
  | 'data-protect'
  | 'blank-check'
  | 'aborted-command'
  | 'other'

const code = (s: Sense): number => (s.asc << 8) | s.ascq

/**
 * Logical end of medium: EOM with NO SENSE or VOLUME OVERFLOW, whatever the ASCQ — tgt reports
 * 00/00, real drives 00/02 (early warning) or 00/07 (programmable early warning). PBS matches only
 * 00/02 and would miss tgt's. BOM (00/04) on a backward SPACE also sets EOM and is not LEOM.
 */
export const isLeom = (s: Sense): boolean =>
  s.eom &&
  (s.key === SenseKey.NO_SENSE || s.key === SenseKey.VOLUME_OVERFLOW) &&
  code(s) !== 0x0004 &&
  code(s) !== 0x0005

export const isEndOfData = (s: Sense): boolean =>
  s.key === SenseKey.BLANK_CHECK || code(s) === 0x0005

export function classifySense(s: Sense): SenseCondition {
  const c = code(s)
  switch (s.key) {
    case SenseKey.NO_SENSE:
    case SenseKey.VOLUME_OVERFLOW:
      if (s.filemark || c === 0x0001) return 'filemark'
      if (c === 0x0005) return 'end-of-data'
      if (c === 0x0004) return 'beginning-of-medium'
      if (s.key === SenseKey.VOLUME_OVERFLOW) return 'volume-overflow'
      if (s.eom) return 'leom'
      return s.ili ? 'ili' : 'no-sense'
    case SenseKey.RECOVERED_ERROR:
      return 'recovered-error'
    case SenseKey.BLANK_CHECK:
      return 'end-of-data'
    case SenseKey.NOT_READY:
      if (c === 0x0401) return 'becoming-ready'
      return s.asc === 0x3a ? 'no-medium' : 'not-ready'
    case SenseKey.MEDIUM_ERROR:
      return 'medium-error'
    case SenseKey.HARDWARE_ERROR:
      return 'hardware-error'
    case SenseKey.ILLEGAL_REQUEST:
      if (c === 0x2000) return 'not-supported'
      if (c === 0x5302 || c === 0x5303) return 'removal-prevented'
      if (c === 0x3b0d) return 'destination-full'
      if (c === 0x3b0e) return 'source-empty'
      return s.asc === 0x74 ? 'encryption' : 'illegal-request'
    case SenseKey.UNIT_ATTENTION:
      if (s.asc === 0x29) return 'power-on-reset'
      return c === 0x2800 ? 'medium-changed' : 'unit-attention'
    case SenseKey.DATA_PROTECT:
      if (s.asc === 0x27) return 'write-protected'
      return s.asc === 0x74 ? 'encryption' : 'data-protect'
    case SenseKey.ABORTED_COMMAND:
      return 'aborted-command'
    default:
      return 'other'
  }
}

/**
 * The block length of a variable-block READ of `requested` bytes that ended with ILI: requested −
 * INFORMATION (negative INFORMATION = the block was longer than the buffer). Null when the sense
 * carries no usable INFORMATION (never guess from the transport residual: tgt 1.0.85 swaps it).
 */
export function iliBlockLength(s: Sense, requested: number): number | null {
  if (!s.ili || s.information === null) return null
  return requested - s.information
}

/** One line for logs and error messages, e.g. "NOT READY: Medium not present (2/3a/00)". */
export function describeSense(s: Sense): string {
  const flags = [s.filemark && 'FILEMARK', s.eom && 'EOM', s.ili && 'ILI'].filter(Boolean)
  let text = `${s.deferred ? 'deferred error: ' : ''}${senseKeyName(s.key)}: ${ascText(s.asc, s.ascq)}`
  text += ` (${s.key.toString(16)}/${hex2(s.asc)}/${hex2(s.ascq)})`
  if (flags.length) text += ` [${flags.join(' ')}]`
  if (s.information !== null) text += ` information ${s.information}`
  return text
}
