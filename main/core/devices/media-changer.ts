/**
 * What Tapedeck needs from a tape library's robot. Slots are numbered like mtx and PBS: 1-based,
 * storage slots first, then import/export (mail) slots. Drives are numbered from 0.
 */
export interface ChangerDriveStatus {
  'drive-number': number
  full: boolean
  'volume-tag'?: string
  /** Slot the cartridge came from, when the library remembers it. */
  'loaded-slot'?: number
}

export interface ChangerSlotStatus {
  slot: number
  'import-export': boolean
  full: boolean
  'volume-tag'?: string
}

export interface ChangerStatus {
  drives: ChangerDriveStatus[]
  slots: ChangerSlotStatus[]
}

export interface MediaChanger {
  readonly name: string
  status(): Promise<ChangerStatus>
  /** Move the cartridge from `slot` into drive `driveNumber`. */
  load(slot: number, driveNumber: number): Promise<void>
  /** Move the cartridge from drive `driveNumber` to `slot`. */
  unload(driveNumber: number, slot: number): Promise<void>
  /** Move a cartridge between slots (storage or import/export). */
  transfer(from: number, to: number): Promise<void>
  close(): Promise<void>
}

/** Cleaning cartridges carry a CLN barcode prefix; PBS never writes or labels them. */
export const isCleaningTape = (volumeTag: string | undefined): boolean =>
  volumeTag?.startsWith('CLN') ?? false
