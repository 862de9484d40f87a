/**
 * Medium auxiliary memory (cartridge memory) through READ/WRITE ATTRIBUTE (scsi.md §1.5). The
 * attribute table follows PBS `sg_tape/mam.rs`: id, fixed length, how to show the value, name.
 */
import {
  ScsiDataError,
  ascii,
  checkRange,
  hex,
  put16,
  put32,
  requireLength,
  u16,
  u32
} from './bytes'

/** How a value is shown: a decimal counter, ASCII/text, or raw bytes as hex. */
type Shown = 'dec' | 'ascii' | 'text' | 'bin'

const MAM_TABLE: [id: number, length: number, shown: Shown, name: string][] = [
  [0x0000, 8, 'dec', 'Remaining Capacity In Partition'],
  [0x0001, 8, 'dec', 'Maximum Capacity In Partition'],
  [0x0002, 8, 'dec', 'Tapealert Flags'],
  [0x0003, 8, 'dec', 'Load Count'],
  [0x0004, 8, 'dec', 'MAM Space Remaining'],
  [0x0005, 8, 'ascii', 'Assigning Organization'],
  [0x0006, 1, 'bin', 'Formatted Density Code'],
  [0x0007, 2, 'dec', 'Initialization Count'],
  [0x0009, 4, 'bin', 'Volume Change Reference'],
  [0x020a, 40, 'ascii', 'Device Vendor/Serial Number at Last Load'],
  [0x020b, 40, 'ascii', 'Device Vendor/Serial Number at Load-1'],
  [0x020c, 40, 'ascii', 'Device Vendor/Serial Number at Load-2'],
  [0x020d, 40, 'ascii', 'Device Vendor/Serial Number at Load-3'],
  [0x0220, 8, 'dec', 'Total MBytes Written in Medium Life'],
  [0x0221, 8, 'dec', 'Total MBytes Read In Medium Life'],
  [0x0222, 8, 'dec', 'Total MBytes Written in Current Load'],
  [0x0223, 8, 'dec', 'Total MBytes Read in Current/Last Load'],
  [0x0224, 8, 'bin', 'Logical Position of First Encrypted Block'],
  [0x0225, 8, 'bin', 'Logical Position of First Unencrypted Block After the First Encrypted Block'],
  [0x0400, 8, 'ascii', 'Medium Manufacturer'],
  [0x0401, 32, 'ascii', 'Medium Serial Number'],
  [0x0402, 4, 'dec', 'Medium Length'],
  [0x0403, 4, 'dec', 'Medium Width'],
  [0x0404, 8, 'ascii', 'Assigning Organization'],
  [0x0405, 1, 'bin', 'Medium Density Code'],
  [0x0406, 8, 'ascii', 'Medium Manufacture Date'],
  [0x0407, 8, 'dec', 'MAM Capacity'],
  [0x0408, 1, 'bin', 'Medium Type'],
  [0x0409, 2, 'bin', 'Medium Type Information'],
  [0x040b, 10, 'bin', 'Supported Density Codes'],
  [0x0800, 8, 'ascii', 'Application Vendor'],
  [0x0801, 32, 'ascii', 'Application Name'],
  [0x0802, 8, 'ascii', 'Application Version'],
  [0x0803, 160, 'text', 'User Medium Text Label'],
  [0x0804, 12, 'ascii', 'Date And Time Last Written'],
  [0x0805, 1, 'bin', 'Text Localization Identifier'],
  [0x0806, 32, 'ascii', 'Barcode'],
  [0x0807, 80, 'ascii', 'Owning Host Textual Name'],
  [0x0808, 160, 'text', 'Media Pool'],
  [0x080b, 16, 'ascii', 'Application Format Version'],
  [0x080c, 0, 'bin', 'Volume Coherency Information'],
  [0x0820, 36, 'bin', 'Medium Globally Unique Identifier'],
  [0x0821, 36, 'bin', 'Media Pool Globally Unique Identifier'],
  [0x1000, 28, 'bin', 'Unique Cartridge Identify (UCI)'],
  [0x1001, 24, 'bin', 'Alternate Unique Cartridge Identify (Alt-UCI)']
]
const MAM_INFO = new Map(MAM_TABLE.map((e) => [e[0], e]))

/** Attribute ids Tapedeck and PBS use by name. */
export const MamId = {
  REMAINING_CAPACITY: 0x0000,
  MAXIMUM_CAPACITY: 0x0001,
  LOAD_COUNT: 0x0003,
  TOTAL_MB_WRITTEN: 0x0220,
  TOTAL_MB_READ: 0x0221,
  MEDIUM_MANUFACTURER: 0x0400,
  MEDIUM_SERIAL: 0x0401,
  MEDIUM_MANUFACTURE_DATE: 0x0406,
  MEDIUM_TYPE: 0x0408,
  APPLICATION_VENDOR: 0x0800,
  APPLICATION_NAME: 0x0801,
  APPLICATION_VERSION: 0x0802,
  USER_MEDIUM_TEXT_LABEL: 0x0803,
  BARCODE: 0x0806,
  MEDIA_POOL: 0x0808
} as const

export const mamAttributeName = (id: number): string | null => MAM_INFO.get(id)?.[3] ?? null

export type MamFormat = 'binary' | 'ascii' | 'text' | 'reserved'
const FORMATS: MamFormat[] = ['binary', 'ascii', 'text', 'reserved']

export interface MamAttribute {
  id: number
  /** PBS's name for known ids, null otherwise. */
  name: string | null
  readOnly: boolean
  format: MamFormat
  raw: Uint8Array
  /** Counters as numbers, ASCII/text trimmed, everything else lower-case hex. */
  value: number | string
}

function attributeValue(id: number, format: MamFormat, raw: Uint8Array): number | string {
  const shown = MAM_INFO.get(id)?.[2]
  if (shown === 'dec' && raw.length > 0 && raw.length <= 8) {
    // 64-bit fields (the TapeAlert flags attribute) can exceed 2^53: those stay exact as text.
    const big = BigInt(`0x${hex(raw)}`)
    return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big.toString()
  }
  if (
    shown === 'ascii' ||
    shown === 'text' ||
    (!shown && (format === 'ascii' || format === 'text'))
  ) {
    return format === 'text'
      ? Buffer.from(raw)
          .toString('utf8')
          .replace(/[\s\0]+$/, '')
      : ascii(raw)
  }
  return hex(raw)
}

/**
 * READ ATTRIBUTE (service action 0x00) response: 4-byte available length, then attributes
 * `id(2) flags(1: READ ONLY bit 7, FORMAT bits 1:0) length(2) value`. The length is clamped to the
 * bytes received (Quantum HH7 reports the allocation length); a cut-off attribute is an error.
 */
export function parseAttributes(data: Uint8Array): MamAttribute[] {
  requireLength(data, 4, 'READ ATTRIBUTE data')
  const end = Math.min(data.length, 4 + u32(data, 0))
  const list: MamAttribute[] = []
  for (let o = 4; o < end;) {
    if (o + 5 > end || o + 5 + u16(data, o + 3) > end) {
      throw new ScsiDataError(`READ ATTRIBUTE: attribute at byte ${o} is cut off`)
    }
    const id = u16(data, o)
    const format = FORMATS[data[o + 2] & 0x03]
    const raw = data.slice(o + 5, o + 5 + u16(data, o + 3))
    list.push({
      id,
      name: mamAttributeName(id),
      readOnly: (data[o + 2] & 0x80) !== 0,
      format,
      raw,
      value: attributeValue(id, format, raw)
    })
    o += 5 + raw.length
  }
  return list
}

/** READ ATTRIBUTE service actions 0x01 (attribute list) and 0x05 (supported attributes): ids. */
export function parseAttributeIds(data: Uint8Array): number[] {
  requireLength(data, 4, 'attribute list')
  const end = Math.min(data.length, 4 + u32(data, 0))
  const ids: number[] = []
  for (let o = 4; o + 2 <= end; o += 2) ids.push(u16(data, o))
  return ids
}

export interface MamWrite {
  id: number
  /** Strings are written as ASCII/UTF-8, numbers big-endian; null clears the attribute (length 0). */
  value: string | number | Uint8Array | null
}

/**
 * WRITE ATTRIBUTE parameter list for host attributes (0x0800–0x0BFF) of PBS's table. Values are
 * zero-padded to the attribute's fixed length exactly as PBS pads them (`write_mam_attribute`),
 * so a cartridge labelled by Tapedeck carries the same bytes as one labelled by PBS.
 */
export function buildWriteAttributeData(attributes: MamWrite[]): Uint8Array {
  const parts = attributes.map(({ id, value }) => {
    const info = MAM_INFO.get(id)
    if (!info)
      throw new RangeError(`MAM attribute 0x${id.toString(16).padStart(4, '0')} is unknown`)
    const [, length, shown, name] = info
    let bytes: Uint8Array
    if (value === null) bytes = new Uint8Array(0)
    else if (typeof value === 'number') {
      bytes = new Uint8Array(length)
      for (
        let i = length - 1, v = BigInt(checkRange(value, 0, Number.MAX_SAFE_INTEGER, name));
        i >= 0;
        i--, v >>= 8n
      )
        bytes[i] = Number(v & 0xffn)
    } else
      bytes =
        typeof value === 'string' ? Buffer.from(value, shown === 'text' ? 'utf8' : 'latin1') : value
    if (bytes.length > length)
      throw new RangeError(`${name}: ${bytes.length} bytes do not fit in ${length}`)
    const out = new Uint8Array(5 + (bytes.length ? length : 0))
    put16(out, 0, id)
    out[2] = shown === 'ascii' ? 0x01 : shown === 'text' ? 0x02 : 0x00
    put16(out, 3, bytes.length ? length : 0)
    out.set(bytes, 5)
    return out
  })
  const total = parts.reduce((n, p) => n + p.length, 0)
  const list = new Uint8Array(4 + total)
  put32(list, 0, total)
  let o = 4
  for (const p of parts) {
    list.set(p, o)
    o += p.length
  }
  return list
}
