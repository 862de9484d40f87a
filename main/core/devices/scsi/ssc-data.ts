/** Parsers for SSC response data: READ BLOCK LIMITS, READ POSITION, REPORT DENSITY SUPPORT. */
import { ascii, requireLength, u16, u24, u32, uint } from './bytes'

export interface BlockLimits {
  granularity: number
  maxBlockLength: number
  minBlockLength: number
}

export function parseBlockLimits(data: Uint8Array): BlockLimits {
  requireLength(data, 6, 'READ BLOCK LIMITS data')
  return { granularity: data[0] & 0x1f, maxBlockLength: u24(data, 1), minBlockLength: u16(data, 4) }
}

export interface ShortPosition {
  /** Beginning of partition. */
  bop: boolean
  /** End of partition (past early warning). */
  eop: boolean
  /** BPEW: beyond the programmable early warning. */
  bpew: boolean
  partition: number
  /** Null when the drive does not know its block position (BPU/LOLU). */
  firstBlock: number | null
  lastBlock: number | null
  /** Null when the drive cannot count them (LOCU / BYCU). */
  blocksInBuffer: number | null
  bytesInBuffer: number | null
}

/** READ POSITION short form (service action 0x00/0x01, 20 bytes). */
export function parseShortPosition(data: Uint8Array): ShortPosition {
  requireLength(data, 20, 'READ POSITION short form')
  const f = data[0]
  const blockKnown = !(f & 0x04)
  return {
    bop: (f & 0x80) !== 0,
    eop: (f & 0x40) !== 0,
    bpew: (f & 0x01) !== 0,
    partition: data[1],
    firstBlock: blockKnown ? u32(data, 4) : null,
    lastBlock: blockKnown ? u32(data, 8) : null,
    blocksInBuffer: f & 0x20 ? null : u24(data, 13),
    bytesInBuffer: f & 0x10 ? null : u32(data, 16)
  }
}

export interface LongPosition {
  bop: boolean
  eop: boolean
  bpew: boolean
  partition: number
  /** Logical object (block) number; null when unknown (LONU). */
  blockNumber: number | null
  /** Logical file id = filemarks passed since BOP; null when unknown (LONU or MPU). */
  fileNumber: number | null
}

/**
 * READ POSITION long form (service action 0x06, 32 bytes), the form PBS uses. tgt answers with
 * zeros here (flags 0x20), so a driver must not rely on it against tgt.
 */
export function parseLongPosition(data: Uint8Array): LongPosition {
  requireLength(data, 32, 'READ POSITION long form')
  const f = data[0]
  const lonu = (f & 0x04) !== 0
  return {
    bop: (f & 0x80) !== 0,
    eop: (f & 0x40) !== 0,
    bpew: (f & 0x01) !== 0,
    partition: u32(data, 4),
    blockNumber: lonu ? null : uint(data, 8, 8),
    fileNumber: lonu || f & 0x08 ? null : uint(data, 16, 8)
  }
}

/** READ POSITION extended form (service action 0x08, 32 bytes): 64-bit block numbers and byte count. */
export function parseExtendedPosition(data: Uint8Array): ShortPosition {
  requireLength(data, 32, 'READ POSITION extended form')
  const f = data[0]
  const blockKnown = !(f & 0x04)
  return {
    bop: (f & 0x80) !== 0,
    eop: (f & 0x40) !== 0,
    bpew: (f & 0x01) !== 0,
    partition: data[1],
    blocksInBuffer: f & 0x20 ? null : u24(data, 5),
    firstBlock: blockKnown ? uint(data, 8, 8) : null,
    lastBlock: blockKnown ? uint(data, 16, 8) : null,
    bytesInBuffer: f & 0x10 ? null : uint(data, 24, 8)
  }
}

/** LTO density codes (pbs-api-types drive.rs); 0 = no cartridge / default. */
export const LTO_DENSITY: Readonly<Record<number, string>> = Object.freeze({
  0x40: 'LTO1',
  0x42: 'LTO2',
  0x44: 'LTO3',
  0x46: 'LTO4',
  0x58: 'LTO5',
  0x5a: 'LTO6',
  0x5c: 'LTO7',
  0x5d: 'LTO7M8',
  0x5e: 'LTO8',
  0x60: 'LTO9'
})

export interface DensityDescriptor {
  primaryCode: number
  secondaryCode: number
  writable: boolean
  duplicate: boolean
  isDefault: boolean
  bitsPerMm: number
  /** Media width in 0.1 mm. */
  mediaWidth: number
  tracks: number
  /** Capacity in 10^6 bytes. */
  capacityMb: number
  organization: string
  name: string
  description: string
}

/** REPORT DENSITY SUPPORT: 52-byte descriptors (PBS takes the highest primary code as generation). */
export function parseDensitySupport(data: Uint8Array): DensityDescriptor[] {
  requireLength(data, 4, 'REPORT DENSITY SUPPORT data')
  const end = Math.min(data.length, u16(data, 0) + 2)
  const list: DensityDescriptor[] = []
  for (let o = 4; o + 52 <= end; o += 52) {
    list.push({
      primaryCode: data[o],
      secondaryCode: data[o + 1],
      writable: (data[o + 2] & 0x80) !== 0,
      duplicate: (data[o + 2] & 0x40) !== 0,
      isDefault: (data[o + 2] & 0x20) !== 0,
      bitsPerMm: u24(data, o + 5),
      mediaWidth: u16(data, o + 8),
      tracks: u16(data, o + 10),
      capacityMb: u32(data, o + 12),
      organization: ascii(data, o + 16, o + 24),
      name: ascii(data, o + 24, o + 32),
      description: ascii(data, o + 32, o + 52)
    })
  }
  return list
}
