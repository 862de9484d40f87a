/**
 * TapeAlert flag names as PBS prints them (`pbs-tape` TapeAlertFlags), with their SSC flag numbers.
 * The virtual drive reports flags by these names, so a real drive (LOG SENSE page 12h, flag k =
 * bit k-1 after reversing the 64-bit field) and the virtual one look the same to the rest of Tapedeck.
 * Numbers 0x28, 0x2B, 0x2C, 0x2E-0x30 have no PBS name and are left out, as PBS does.
 */
export const TAPE_ALERT_FLAGS: Readonly<Record<string, number>> = Object.freeze({
  READ_WARNING: 0x01,
  WRITE_WARNING: 0x02,
  HARD_ERROR: 0x03,
  MEDIA: 0x04,
  READ_FAILURE: 0x05,
  WRITE_FAILURE: 0x06,
  MEDIA_LIFE: 0x07,
  NOT_DATA_GRADE: 0x08,
  WRITE_PROTECT: 0x09,
  NO_REMOVAL: 0x0a,
  CLEANING_MEDIA: 0x0b,
  UNSUPPORTED_FORMAT: 0x0c,
  RECOVERABLE_MECHANICAL_CARTRIDGE_FAILURE: 0x0d,
  UNRECOVERABLE_SNAPPED_TAPE: 0x0e,
  MEMORY_CHIP_IN_CARTRIDGE_FAILURE: 0x0f,
  FORCED_EJECT: 0x10,
  READ_ONLY_FORMAT: 0x11,
  TAPE_DIRECTORY_CORRUPTED: 0x12,
  NEARING_MEDIA_LIFE: 0x13,
  CLEAN_NOW: 0x14,
  CLEAN_PERIODIC: 0x15,
  EXPIRED_CLEANING_MEDIA: 0x16,
  INVALID_CLEANING_TAPE: 0x17,
  RETENSION_REQUEST: 0x18,
  HOST_CHANNEL_FAILURE: 0x19,
  COOLING_FAN_FAILURE: 0x1a,
  POWER_SUPPLY_FAILURE: 0x1b,
  POWER_CONSUMPTION: 0x1c,
  // Misspelt in PBS; kept so flag names match what PBS prints.
  DRIVE_MANTAINANCE: 0x1d,
  HARDWARE_A: 0x1e,
  HARDWARE_B: 0x1f,
  INTERFACE: 0x20,
  EJECT_MEDIA: 0x21,
  DOWNLOAD_FAULT: 0x22,
  DRIVE_HUMIDITY: 0x23,
  DRIVE_TEMPERATURE: 0x24,
  DRIVE_VOLTAGE: 0x25,
  PREDICTIVE_FAILURE: 0x26,
  DIAGNOSTICS_REQUIRED: 0x27,
  LOADER_STRAY_TAPE: 0x29,
  LOADER_HARDWARE: 0x2a,
  LOADER_MAGAZINE: 0x2d,
  DIMINISHED_NATIVE_CAPACITY: 0x31,
  LOST_STATISTICS: 0x32,
  TAPE_DIRECTORY_INVALID_AT_UNLOAD: 0x33,
  TAPE_SYSTEM_AREA_WRITE_FAILURE: 0x34,
  TAPE_SYSTEM_AREA_READ_FAILURE: 0x35,
  NO_START_OF_DATA: 0x36,
  LOADING_FAILURE: 0x37,
  UNRECOVERABLE_UNLOAD_FAILURE: 0x38,
  AUTOMATION_INTERFACE_FAILURE: 0x39,
  FIRMWARE_FAILURE: 0x3a,
  WORM_INTEGRITY_CHECK_FAILED: 0x3b,
  WORM_OVERWRITE_ATTEMPTED: 0x3c,
  ENCRYPTION_POLICY_VIOLATION: 0x3d
})

export const isTapeAlertFlag = (name: string): boolean => Object.hasOwn(TAPE_ALERT_FLAGS, name)

/** Sorts flag names by flag number, the order a drive reports them in. */
export const sortTapeAlertFlags = (names: Iterable<string>): string[] =>
  [...new Set(names)].sort((a, b) => (TAPE_ALERT_FLAGS[a] ?? 99) - (TAPE_ALERT_FLAGS[b] ?? 99))

/**
 * Flags after which PBS marks the tape damaged and aborts (pbs-tape.md §8.6): the medium or the
 * drive can no longer be trusted with data.
 */
export const CRITICAL_TAPE_ALERT_FLAGS: ReadonlySet<string> = new Set([
  'MEDIA',
  'WRITE_FAILURE',
  'READ_FAILURE',
  'WRITE_PROTECT',
  'UNRECOVERABLE_SNAPPED_TAPE',
  'FORCED_EJECT',
  'EXPIRED_CLEANING_MEDIA',
  'INVALID_CLEANING_TAPE',
  'HARDWARE_A',
  'HARDWARE_B',
  'EJECT_MEDIA',
  'PREDICTIVE_FAILURE',
  'LOADER_STRAY_TAPE',
  'LOADER_MAGAZINE',
  'TAPE_SYSTEM_AREA_WRITE_FAILURE',
  'TAPE_SYSTEM_AREA_READ_FAILURE',
  'NO_START_OF_DATA',
  'LOADING_FAILURE',
  'UNRECOVERABLE_UNLOAD_FAILURE',
  'AUTOMATION_INTERFACE_FAILURE'
])
