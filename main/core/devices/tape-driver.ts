/**
 * What Tapedeck needs from a tape drive, whatever is behind it (the virtual library, an LTO drive
 * over SG_IO or iSCSI). Blocks and filemarks only: block headers and archives live in core/format.
 *
 * A driver is an open, exclusive handle on one drive (callers hold the drive lock). Positions are
 * tape file numbers, as everywhere in PBS: file n starts after the n-th filemark.
 */
import type { BlockSink, BlockSource } from '../format/block-io'

export interface TapePosition {
  /** Tape file number (filemarks passed since the beginning of tape). */
  file: number
  /** Block number within the current file. */
  block: number
}

export interface DriveStatus {
  /** Whether a cartridge is in the drive. */
  loaded: boolean
  /** Barcode / label of the cartridge when the drive knows it (the virtual drive does). */
  'volume-tag'?: string
  position?: TapePosition
  'write-protect'?: boolean
  /** Names of active TapeAlert flags (e.g. CLEAN_NOW). */
  'alert-flags': string[]
  /** Bytes used on the loaded cartridge, when known. */
  'bytes-used'?: number
  /** Native capacity of the loaded cartridge, when known. */
  capacity?: number
  'medium-passes'?: number
  'volume-mounts'?: number
  density?: string
}

/**
 * Volume statistics of the loaded cartridge with PBS's field names (`Lp17VolumeStatistics`, LOG
 * SENSE page 17h). Byte counters are bytes (the page counts 10^6 bytes); a driver reports what it
 * really knows and 0 for counters it does not keep, as a drive without a parameter would.
 */
export interface VolumeStatistics {
  'volume-mounts': number
  'volume-datasets-written': number
  'volume-recovered-write-data-errors': number
  'volume-unrecovered-write-data-errors': number
  'volume-write-servo-errors': number
  'volume-unrecovered-write-servo-errors': number
  'volume-datasets-read': number
  'volume-recovered-read-errors': number
  'volume-unrecovered-read-errors': number
  'last-mount-unrecovered-write-errors': number
  'last-mount-unrecovered-read-errors': number
  'last-mount-bytes-written': number
  'last-mount-bytes-read': number
  'lifetime-bytes-written': number
  'lifetime-bytes-read': number
  'last-load-write-compression-ratio': number
  'last-load-read-compression-ratio': number
  'medium-mount-time': number
  'medium-ready-time': number
  'total-native-capacity': number
  'total-used-native-capacity': number
  'write-protect': boolean
  worm: boolean
  'beginning-of-medium-passes': number
  'middle-of-tape-passes': number
  serial: string
}

/** One cartridge-memory (MAM) attribute as PBS lists it: id, PBS's name, value as text. */
export interface CartridgeMemoryAttribute {
  id: number
  name: string
  value: string
}

export interface TapeDriver extends BlockSink, BlockSource {
  readonly name: string
  status(): Promise<DriveStatus>
  /** Load the cartridge sitting in the drive's throat (standalone drives; changers use MOVE MEDIUM). */
  load(): Promise<void>
  /** Rewind and eject the cartridge. */
  eject(): Promise<void>
  rewind(): Promise<void>
  position(): Promise<TapePosition>
  /** Position at the start of tape file `file` (0 = beginning of tape). */
  locateFile(file: number): Promise<void>
  /** Position after the last recorded file, ready to append. */
  moveToEndOfData(): Promise<void>
  /** Space over `count` filemarks (negative = backwards); stops after (forward) or before (backward) the mark. */
  spaceFilemarks(count: number): Promise<void>
  /** Space over `count` blocks within the current file (negative = backwards). */
  spaceBlocks(count: number): Promise<void>
  /**
   * Writes `count` filemarks synchronously: everything written before them is on the medium when
   * this returns. `0` only flushes (PBS's commit point after buffered `writeFilemark`s).
   */
  writeFilemarks(count: number): Promise<void>
  /** Erase everything from the beginning of tape. `fast` writes only an end-of-data mark. */
  format(fast: boolean): Promise<void>
  /**
   * Hardware encryption, as PBS `set_encryption(Option<key>)`: a 32-byte AES-256-GCM key turns
   * encryption on for the blocks written from now on and decryption to mixed mode (plain and
   * encrypted blocks both read); `undefined` clears the key (both off). Reading an encrypted block
   * without the right key fails with a decryption error (`isDecryptionError`). The key is
   * cleared when the handle is closed and never logged.
   */
  setEncryption(key: Uint8Array | undefined): Promise<void>
  /**
   * Volume statistics of the loaded cartridge (PBS `volume-statistics`). Absent on drives that
   * have none at all (PBS virtual drives); a DriveError with code 'not-supported' when the device
   * refuses the command.
   */
  volumeStatistics?(): Promise<VolumeStatistics>
  /** Cartridge memory of the loaded cartridge (PBS `cartridge-memory`); absent or refused as above. */
  cartridgeMemory?(): Promise<CartridgeMemoryAttribute[]>
  /** Release the device; the cartridge stays where it is. */
  close(): Promise<void>
}

export class DriveError extends Error {
  constructor(
    readonly drive: string,
    message: string
  ) {
    super(`drive ${drive}: ${message}`)
    this.name = 'DriveError'
  }
}

/**
 * An unrecoverable read error of one block (medium error 03/11/xx): drivers report it with code
 * 'read-error' and stand behind the bad block, so reading can go on after it.
 */
export function isMediumReadError(err: unknown): boolean {
  return err instanceof DriveError && (err as { code?: unknown }).code === 'read-error'
}

/**
 * A block the drive could not decrypt (DATA PROTECT 07/74/xx: no key, wrong key, integrity):
 * reading on cannot help, unlike after a medium error, so callers stop rather than skip.
 */
export function isDecryptionError(err: unknown): boolean {
  return err instanceof DriveError && (err as { code?: unknown }).code === 'cannot-decrypt'
}
