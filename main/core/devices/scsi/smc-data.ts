/**
 * Medium changer response data: READ ELEMENT STATUS (parsed tolerantly, scsi.md §0.4 and §3.2)
 * and the Element Address Assignment mode page 0x1D (§3.3).
 */
import { ScsiDataError, ascii, requireLength, u16, u24 } from './bytes'
import { modePage, parseModeParameters } from './spc-data'

export type ElementKind = 'transport' | 'storage' | 'import-export' | 'data-transfer'
const KINDS: Record<number, ElementKind> = {
  1: 'transport',
  2: 'storage',
  3: 'import-export',
  4: 'data-transfer'
}

export interface DriveIdentifier {
  codeSet: number
  type: number
  /** T10 vendor id form (type 1, 34 bytes): vendor(8) product(16) serial(rest). */
  vendor: string | null
  product: string | null
  /** Serial number: the whole identifier for type 0 (Quantum Superloader 3), the tail for type 1. */
  serial: string | null
}

export interface Element {
  kind: ElementKind
  address: number
  full: boolean
  /** Import/export elements: the operator placed the cartridge (IMPEXP). */
  placedByOperator: boolean
  /** EXCEPT: abnormal state, reason in asc/ascq. Do not move to or from it. */
  except: boolean
  /** ACCESS: the robot can reach it (tgt never sets it). */
  access: boolean
  exportEnabled: boolean
  importEnabled: boolean
  asc: number
  ascq: number
  /** 0 unspecified, 1 data, 2 cleaning, 3 diagnostic, 4 WORM, 5 microcode; null if cut off. */
  mediumType: number | null
  /** SVALID source storage element (where a tape in a drive came from); null if not valid/cut off. */
  sourceAddress: number | null
  /** Primary volume tag (barcode), trimmed; null when not requested, blank or cut off. */
  volumeTag: string | null
  alternateVolumeTag: string | null
  /** DVCID drive identification of data transfer elements; null when absent. */
  identifier: DriveIdentifier | null
  /** False when the descriptor arrived shorter than announced (tgt drops the last 8 bytes). */
  complete: boolean
}

export interface ElementStatus {
  firstAddress: number
  /** Elements the changer says it has available for this request. */
  available: number
  elements: Element[]
  /** False when fewer bytes arrived than the header announced. */
  complete: boolean
}

const VOLUME_TAG_LENGTH = 36

/** The identification descriptor after the volume tags; null when absent, empty or cut off. */
function parseIdentifier(d: Uint8Array): DriveIdentifier | null {
  if (d.length < 4 || d[3] === 0 || d.length < 4 + d[3]) return null
  const id = d.subarray(4, 4 + d[3])
  const codeSet = d[0] & 0x0f
  const type = d[1] & 0x0f
  if (type === 1 && id.length >= 24) {
    return {
      codeSet,
      type,
      vendor: ascii(id, 0, 8),
      product: ascii(id, 8, 24),
      serial: ascii(id, 24) || null
    }
  }
  return { codeSet, type, vendor: null, product: null, serial: ascii(id) || null }
}

function parseDescriptor(
  kind: ElementKind,
  d: Uint8Array,
  length: number,
  pvoltag: boolean,
  avoltag: boolean
): Element {
  const has = (end: number): boolean => d.length >= end
  const tag = (o: number): string | null => (has(o + 32) ? ascii(d, o, o + 32) || null : null)
  const flags = d[2]
  let o = 12
  const volumeTag = pvoltag ? tag(o) : null
  if (pvoltag) o += VOLUME_TAG_LENGTH
  const alternateVolumeTag = avoltag ? tag(o) : null
  if (avoltag) o += VOLUME_TAG_LENGTH
  return {
    kind,
    address: u16(d, 0),
    full: (flags & 0x01) !== 0,
    placedByOperator: (flags & 0x02) !== 0,
    except: (flags & 0x04) !== 0,
    access: (flags & 0x08) !== 0,
    exportEnabled: (flags & 0x10) !== 0,
    importEnabled: (flags & 0x20) !== 0,
    asc: has(5) ? d[4] : 0,
    ascq: has(6) ? d[5] : 0,
    mediumType: has(10) ? d[9] & 0x07 : null,
    sourceAddress: has(12) && d[9] & 0x80 ? u16(d, 10) : null,
    volumeTag,
    alternateVolumeTag,
    identifier: parseIdentifier(d.subarray(o)),
    complete: d.length === length
  }
}

export interface ElementStatusOptions {
  /** The element type requested: pages of another type mean a garbled answer (tgt and type 0). */
  elementType?: number
}

/**
 * READ ELEMENT STATUS response: an 8-byte header, then per element type a page header and
 * fixed-length descriptors. Tolerant where changers are sloppy — byte counts are clamped to what
 * arrived and a short last descriptor keeps the fields that are there — but strict about
 * structure that would mislabel elements (unknown types, a zero descriptor length).
 */
export function parseElementStatus(
  data: Uint8Array,
  opts: ElementStatusOptions = {}
): ElementStatus {
  requireLength(data, 8, 'element status header')
  const announced = 8 + u24(data, 5)
  const end = Math.min(data.length, announced)
  const elements: Element[] = []
  for (let o = 8; o + 8 <= end;) {
    const typeCode = data[o]
    const kind = KINDS[typeCode]
    if (!kind) throw new ScsiDataError(`element status page of unknown element type ${typeCode}`)
    if (opts.elementType && typeCode !== opts.elementType) {
      throw new ScsiDataError(
        `changer answered element type ${typeCode} to a request for type ${opts.elementType}`
      )
    }
    const pvoltag = (data[o + 1] & 0x80) !== 0
    const avoltag = (data[o + 1] & 0x40) !== 0
    const length = u16(data, o + 2)
    const pageEnd = Math.min(end, o + 8 + u24(data, o + 5))
    if (length === 0 && pageEnd > o + 8)
      throw new ScsiDataError('element status page with descriptor length 0')
    // A descriptor needs its address and flags (3 bytes) to mean anything.
    for (let d = o + 8; d + 3 <= pageEnd; d += length) {
      elements.push(
        parseDescriptor(
          kind,
          data.subarray(d, Math.min(pageEnd, d + length)),
          length,
          pvoltag,
          avoltag
        )
      )
    }
    o = pageEnd
  }
  return {
    firstAddress: u16(data, 0),
    available: u16(data, 2),
    elements,
    complete: data.length >= announced
  }
}

export interface ElementRange {
  first: number
  count: number
}

export interface ElementAddressAssignment {
  transport: ElementRange
  storage: ElementRange
  importExport: ElementRange
  dataTransfer: ElementRange
}

/** Element Address Assignment page 0x1D from MODE SENSE(6) data (with or without block descriptors). */
export function parseElementAddressAssignment(
  modeSense6Data: Uint8Array
): ElementAddressAssignment {
  const b = modePage(parseModeParameters(modeSense6Data, 6), 0x1d).bytes
  requireLength(b, 18, 'element address assignment page')
  const range = (o: number): ElementRange => ({ first: u16(b, o), count: u16(b, o + 2) })
  return {
    transport: range(2),
    storage: range(6),
    importExport: range(10),
    dataTransfer: range(14)
  }
}
