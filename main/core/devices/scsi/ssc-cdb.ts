/**
 * CDB builders for the SSC (tape) commands a backup application needs (scsi.md §1.2, pbs-tape.md
 * §8.2). Counts and lengths are range-checked: a wrapped 24-bit field would move the tape to the
 * wrong place.
 */
import { checkRange, put16, put24, put32, put64 } from './bytes'

const MAX_24 = 0xffffff

/**
 * READ(6). Variable-block mode (fixed=false) reads one block of up to `length` bytes; with SILI a
 * shorter block completes without CHECK CONDITION on drives that honour it (PBS sets it).
 */
export function readBlockCdb(
  length: number,
  o: { sili?: boolean; fixed?: boolean } = {}
): Uint8Array {
  if (o.fixed && o.sili) throw new RangeError('READ(6): SILI with fixed-block mode is illegal')
  const cdb = new Uint8Array(6)
  cdb[0] = 0x08
  cdb[1] = (o.sili ? 0x02 : 0) | (o.fixed ? 0x01 : 0)
  put24(cdb, 2, checkRange(length, 0, MAX_24, 'READ(6) transfer length'))
  return cdb
}

/** WRITE(6). In variable-block mode one command writes exactly one block of `length` bytes. */
export function writeBlockCdb(length: number, o: { fixed?: boolean } = {}): Uint8Array {
  const cdb = new Uint8Array(6)
  cdb[0] = 0x0a
  cdb[1] = o.fixed ? 0x01 : 0
  put24(cdb, 2, checkRange(length, 0, MAX_24, 'WRITE(6) transfer length'))
  return cdb
}

/** WRITE FILEMARKS(6). Count 0 only flushes the drive buffer (PBS `sync`). */
export function writeFilemarksCdb(count: number, o: { immediate?: boolean } = {}): Uint8Array {
  const cdb = new Uint8Array(6)
  cdb[0] = 0x10
  cdb[1] = o.immediate ? 0x01 : 0
  put24(cdb, 2, checkRange(count, 0, MAX_24, 'filemark count'))
  return cdb
}

export type SpaceCode = 'blocks' | 'filemarks' | 'sequential-filemarks' | 'end-of-data'
const SPACE_CODE: Record<SpaceCode, number> = {
  blocks: 0,
  filemarks: 1,
  'sequential-filemarks': 2,
  'end-of-data': 3
}

/** SPACE(6); a negative count moves towards BOT (24-bit two's complement). */
export function spaceCdb(code: SpaceCode, count = 0): Uint8Array {
  const cdb = new Uint8Array(6)
  cdb[0] = 0x11
  cdb[1] = SPACE_CODE[code]
  put24(cdb, 2, checkRange(count, -0x800000, 0x7fffff, 'SPACE(6) count') & MAX_24)
  return cdb
}

/** SPACE(16) with a signed 64-bit count, for counts beyond SPACE(6)'s 24 bits. */
export function space16Cdb(code: SpaceCode, count: number | bigint = 0): Uint8Array {
  if (typeof count === 'number')
    checkRange(count, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'SPACE(16) count')
  const cdb = new Uint8Array(16)
  cdb[0] = 0x91
  cdb[1] = SPACE_CODE[code]
  put64(cdb, 4, count)
  return cdb
}

export interface Locate10Options {
  partition?: number
  immediate?: boolean
  /** BT: the block id is a vendor-specific (physical) address instead of a logical one. */
  blockAddressType?: boolean
}

/** LOCATE(10) to a logical block (object) id; CP is set when a partition is given. */
export function locate10Cdb(blockId: number, o: Locate10Options = {}): Uint8Array {
  const cdb = new Uint8Array(10)
  cdb[0] = 0x2b
  cdb[1] =
    (o.blockAddressType ? 0x04 : 0) |
    (o.partition !== undefined ? 0x02 : 0) |
    (o.immediate ? 0x01 : 0)
  put32(cdb, 3, checkRange(blockId, 0, 0xffffffff, 'LOCATE(10) block id'))
  cdb[8] = checkRange(o.partition ?? 0, 0, 255, 'partition')
  return cdb
}

export type LocateDestination = 'object' | 'file' | 'end-of-data'
const LOCATE_DEST: Record<LocateDestination, number> = { object: 0, file: 1, 'end-of-data': 3 }

export interface Locate16Options {
  destination?: LocateDestination
  partition?: number
  immediate?: boolean
}

/**
 * LOCATE(16). destination 'file' = DEST_TYPE 1 (PBS `92 08 …`): the drive stops on the BOT side
 * of filemark `identifier`, and vendors disagree by one — see PBS `locate_file`.
 */
export function locate16Cdb(identifier: number | bigint, o: Locate16Options = {}): Uint8Array {
  if (typeof identifier === 'number')
    checkRange(identifier, 0, Number.MAX_SAFE_INTEGER, 'LOCATE(16) identifier')
  const cdb = new Uint8Array(16)
  cdb[0] = 0x92
  cdb[1] =
    (LOCATE_DEST[o.destination ?? 'object'] << 3) |
    (o.partition !== undefined ? 0x02 : 0) |
    (o.immediate ? 0x01 : 0)
  cdb[3] = checkRange(o.partition ?? 0, 0, 255, 'partition')
  put64(cdb, 4, identifier)
  return cdb
}

export type ReadPositionForm = 'short' | 'short-vendor' | 'long' | 'extended'
const READ_POSITION_FORM: Record<ReadPositionForm, number> = {
  short: 0x00,
  'short-vendor': 0x01,
  long: 0x06,
  extended: 0x08
}

/** READ POSITION; the allocation length field only applies to the extended form (32 bytes). */
export function readPositionCdb(form: ReadPositionForm = 'long'): Uint8Array {
  const cdb = new Uint8Array(10)
  cdb[0] = 0x34
  cdb[1] = READ_POSITION_FORM[form]
  if (form === 'extended') put16(cdb, 7, 32)
  return cdb
}

/** Bytes each READ POSITION form returns. */
export const READ_POSITION_LENGTH: Record<ReadPositionForm, number> = {
  short: 20,
  'short-vendor': 20,
  long: 32,
  extended: 32
}

export const rewindCdb = (o: { immediate?: boolean } = {}): Uint8Array =>
  Uint8Array.of(0x01, o.immediate ? 1 : 0, 0, 0, 0, 0)

export interface LoadUnloadOptions {
  /** true = load/thread the tape, false = unload (and eject unless `hold`). */
  load: boolean
  /** HOLD: unload but keep the cartridge in the drive. */
  hold?: boolean
  /** EOT: unload at end of tape (not rewound; rarely supported). */
  eot?: boolean
  /** RETEN: retension (wind to the end and back) before. */
  retension?: boolean
  immediate?: boolean
}

export function loadUnloadCdb(o: LoadUnloadOptions): Uint8Array {
  const b4 =
    (o.hold ? 0x08 : 0) | (o.eot ? 0x04 : 0) | (o.retension ? 0x02 : 0) | (o.load ? 0x01 : 0)
  return Uint8Array.of(0x1b, o.immediate ? 1 : 0, 0, 0, b4, 0)
}

/** ERASE(6). Short (LONG=0) writes EOD here; long erases to the end of the partition (hours). */
export const eraseCdb = (o: { long?: boolean; immediate?: boolean } = {}): Uint8Array =>
  Uint8Array.of(0x19, (o.immediate ? 0x02 : 0) | (o.long ? 0x01 : 0), 0, 0, 0, 0)

export interface FormatMediumOptions {
  /** 0 default single partition, 1 partition per mode page 0x11, 2 default then partition. */
  format?: number
  immediate?: boolean
  verify?: boolean
  parameterListLength?: number
}

/** FORMAT MEDIUM (LTO-5+; must be at BOP). LTO-9 runs it with IMMED and polls TEST UNIT READY. */
export function formatMediumCdb(o: FormatMediumOptions = {}): Uint8Array {
  const cdb = new Uint8Array(6)
  cdb[0] = 0x04
  cdb[1] = (o.verify ? 0x02 : 0) | (o.immediate ? 0x01 : 0)
  cdb[2] = checkRange(o.format ?? 0, 0, 15, 'format field')
  put16(cdb, 3, checkRange(o.parameterListLength ?? 0, 0, 0xffff, 'parameter list length'))
  return cdb
}

export const readBlockLimitsCdb = (): Uint8Array => Uint8Array.of(0x05, 0, 0, 0, 0, 0)

/** REPORT DENSITY SUPPORT; `media` limits the answer to the loaded cartridge's densities. */
export function reportDensitySupportCdb(allocationLength = 8192, media = false): Uint8Array {
  const cdb = new Uint8Array(10)
  cdb[0] = 0x44
  cdb[1] = media ? 0x01 : 0
  put16(cdb, 7, checkRange(allocationLength, 0, 0xffff, 'allocation length'))
  return cdb
}
