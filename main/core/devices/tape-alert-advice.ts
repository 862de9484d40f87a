/**
 * What each TapeAlert flag means for the person at the drive, and what to do about it, after the
 * flag definitions of the TapeAlert specification as SSC-3/SSC-4 (annex "TapeAlert log page")
 * carry them: severity I(nformation) / W(arning) / C(ritical), and the recommended host message,
 * put in plain words. `remedy` sorts the advice into what the user has to do.
 */
import { TAPE_ALERT_FLAGS } from './tape-alert'

export type TapeAlertSeverity = 'information' | 'warning' | 'critical'

/**
 * clean: run a cleaning cartridge · retire-tape: copy what you need and stop using the tape ·
 * replace-cleaning-tape · service: the drive or library needs repair · check: fix the setup
 * (cartridge type, write protection, cables, environment) · none: nothing to do.
 */
export type TapeAlertRemedy =
  'clean' | 'retire-tape' | 'replace-cleaning-tape' | 'service' | 'check' | 'none'

export interface TapeAlertAdvice {
  /** PBS name, e.g. CLEAN_NOW. */
  name: string
  /** SSC flag number 1–64. */
  flag: number
  severity: TapeAlertSeverity
  /** A short title. */
  title: string
  /** What happened. */
  meaning: string
  /** What to do. */
  action: string
  remedy: TapeAlertRemedy
}

type Entry = [TapeAlertSeverity, TapeAlertRemedy, title: string, meaning: string, action: string]

const I = 'information'
const W = 'warning'
const C = 'critical'

const ADVICE: Record<string, Entry> = {
  READ_WARNING: [
    W,
    'retire-tape',
    'Read problems',
    'The drive is having trouble reading this tape. No data has been lost, but reading is slower.',
    'Copy the data you need from this tape soon; if it happens with other tapes too, clean the drive.'
  ],
  WRITE_WARNING: [
    W,
    'retire-tape',
    'Write problems',
    'The drive is having trouble writing this tape. No data has been lost, but the tape holds less.',
    'Use another tape for the next backup; if it happens with other tapes too, clean the drive.'
  ],
  HARD_ERROR: [
    W,
    'check',
    'Uncorrectable error',
    'The operation stopped: the drive met a read or write error it could not correct.',
    'Look at the other flags for the cause, then restart the operation, with another tape if the tape is at fault.'
  ],
  MEDIA: [
    C,
    'retire-tape',
    'Tape damaged',
    'The tape is damaged: the data on it is at risk.',
    'Copy any data you need from this tape, do not use it again, and restart the operation with another tape.'
  ],
  READ_FAILURE: [
    C,
    'service',
    'Read failure',
    'The tape is damaged or the drive is faulty: data could not be read.',
    'Try the tape in another drive and another tape in this drive; if this drive fails with good tapes, call the drive supplier.'
  ],
  WRITE_FAILURE: [
    C,
    'service',
    'Write failure',
    'The tape is from a faulty batch or the drive is faulty: data could not be written.',
    'Test the drive with a known good tape; if it still fails, call the drive supplier.'
  ],
  MEDIA_LIFE: [
    W,
    'retire-tape',
    'Tape worn out',
    'The tape has reached the end of its rated life.',
    'Copy the data you need to another tape and retire this one.'
  ],
  NOT_DATA_GRADE: [
    W,
    'retire-tape',
    'Not a data-grade tape',
    'The cartridge is not data grade: anything written to it is at risk.',
    'Replace it with a data-grade cartridge.'
  ],
  WRITE_PROTECT: [
    C,
    'check',
    'Tape write-protected',
    'A write was refused: the cartridge is write-protected.',
    'Slide the write-protect tab back if the tape may be overwritten, or use another tape.'
  ],
  NO_REMOVAL: [
    I,
    'none',
    'Cannot eject now',
    'The cartridge cannot be ejected while the drive is in use.',
    'Wait until the operation has finished, then eject.'
  ],
  CLEANING_MEDIA: [
    I,
    'none',
    'Cleaning cartridge loaded',
    'The tape in the drive is a cleaning cartridge, which holds no data.',
    'Unload it and load a data tape.'
  ],
  UNSUPPORTED_FORMAT: [
    I,
    'check',
    'Unsupported cartridge',
    'The cartridge is of a type or generation this drive cannot use.',
    'Use a cartridge the drive supports (LTO drives read two generations back and write one back).'
  ],
  RECOVERABLE_MECHANICAL_CARTRIDGE_FAILURE: [
    C,
    'retire-tape',
    'Cartridge mechanically faulty',
    'The operation failed because the cartridge has a mechanical fault.',
    'Retire the cartridge and restart the operation with another tape.'
  ],
  UNRECOVERABLE_SNAPPED_TAPE: [
    C,
    'service',
    'Tape snapped',
    'The tape has broken inside the drive.',
    'Do not try to pull the cartridge out; call the drive supplier.'
  ],
  MEMORY_CHIP_IN_CARTRIDGE_FAILURE: [
    W,
    'retire-tape',
    'Cartridge memory failed',
    'The memory chip in the cartridge has failed, which slows the drive down.',
    'Do not write to this cartridge any more; copy its data to another tape when convenient.'
  ],
  FORCED_EJECT: [
    C,
    'check',
    'Forced eject',
    'The cartridge was ejected by hand while the drive was reading or writing.',
    'Reload the tape and check it (scan or restore test) before trusting what was written last.'
  ],
  READ_ONLY_FORMAT: [
    W,
    'check',
    'Read-only cartridge type',
    'This drive can only read cartridges of this type; it appears write-protected.',
    'Use a cartridge generation the drive can write for backups.'
  ],
  TAPE_DIRECTORY_CORRUPTED: [
    W,
    'none',
    'Tape directory corrupted',
    'The tape directory in the cartridge was found corrupted at load; searching is slower.',
    'Reading the whole tape once rebuilds the directory.'
  ],
  NEARING_MEDIA_LIFE: [
    I,
    'retire-tape',
    'Tape near end of life',
    'The tape is nearing the end of its rated life.',
    'Use another tape for the next backup and keep this one safe for restores.'
  ],
  CLEAN_NOW: [
    C,
    'clean',
    'Clean the drive now',
    'The drive needs cleaning to keep reading and writing reliably.',
    'Let the current operation finish (or stop it), then clean the drive with a cleaning cartridge.'
  ],
  CLEAN_PERIODIC: [
    W,
    'clean',
    'Routine cleaning due',
    'The drive is due for its routine cleaning.',
    'After the current operation, clean the drive with a cleaning cartridge.'
  ],
  EXPIRED_CLEANING_MEDIA: [
    C,
    'replace-cleaning-tape',
    'Cleaning cartridge used up',
    'The last cleaning cartridge used in this drive is worn out; the drive was not cleaned.',
    'Discard that cleaning cartridge and clean the drive with a new one.'
  ],
  INVALID_CLEANING_TAPE: [
    C,
    'replace-cleaning-tape',
    'Wrong cleaning cartridge',
    'The last cleaning cartridge used is not valid for this drive; the drive was not cleaned.',
    'Do not use that cleaning cartridge in this drive; clean it with a valid (universal) cleaning cartridge.'
  ],
  RETENSION_REQUEST: [
    W,
    'none',
    'Retension requested',
    'The drive asks for the tape to be retensioned (wound fully forward and back).',
    'Rewind the tape from its end, or eject and reload it.'
  ],
  HOST_CHANNEL_FAILURE: [
    W,
    'service',
    'Interface port failed',
    'A host interface port of the drive has failed.',
    'Use the other port if the drive has one, and have the port repaired.'
  ],
  COOLING_FAN_FAILURE: [
    W,
    'service',
    'Cooling fan failed',
    'A cooling fan of the drive has failed.',
    'Have the fan replaced before the drive overheats.'
  ],
  POWER_SUPPLY_FAILURE: [
    W,
    'service',
    'Power supply failed',
    'A redundant power supply of the drive or its enclosure has failed.',
    'Replace the failed power supply as the enclosure manual describes.'
  ],
  POWER_CONSUMPTION: [
    W,
    'service',
    'Power consumption out of range',
    'The drive draws power outside its specified range.',
    'Check the power supply; if it persists, call the drive supplier.'
  ],
  DRIVE_MANTAINANCE: [
    W,
    'service',
    'Maintenance required',
    'The drive needs preventive maintenance.',
    "See the drive's manual for the maintenance it needs, or call the drive supplier."
  ],
  HARDWARE_A: [
    C,
    'service',
    'Drive hardware fault',
    'The drive has a hardware fault.',
    'Eject the tape, reset the drive and restart the operation; if it returns, call the drive supplier.'
  ],
  HARDWARE_B: [
    C,
    'service',
    'Drive hardware fault',
    'The drive has a hardware fault that needs a power cycle.',
    'Switch the drive off and on again and restart the operation; if it returns, call the drive supplier.'
  ],
  INTERFACE: [
    W,
    'check',
    'Host interface problem',
    'The drive has a problem with its connection to the host.',
    'Check the cables and connections (or the iSCSI network path), then restart the operation.'
  ],
  EJECT_MEDIA: [
    C,
    'check',
    'Eject and reload',
    'The operation failed and the drive needs the cartridge reloaded.',
    'Eject the tape, insert it again and restart the operation.'
  ],
  DOWNLOAD_FAULT: [
    W,
    'check',
    'Firmware download failed',
    'A firmware update failed, probably because the firmware is not for this drive.',
    'Get the right firmware for this drive model and try again.'
  ],
  DRIVE_HUMIDITY: [
    W,
    'check',
    'Humidity out of range',
    'The humidity inside the drive is outside its specified range.',
    'Check the room climate and the airflow around the drive.'
  ],
  DRIVE_TEMPERATURE: [
    W,
    'check',
    'Temperature out of range',
    'The temperature inside the drive is outside its specified range.',
    'Check cooling, fans and airflow around the drive.'
  ],
  DRIVE_VOLTAGE: [
    W,
    'service',
    'Voltage out of range',
    'The supply voltage of the drive is outside its specified range.',
    'Check the power supply; if it persists, call the drive supplier.'
  ],
  PREDICTIVE_FAILURE: [
    C,
    'service',
    'Drive failure predicted',
    'The drive predicts a hardware failure of its own.',
    'Plan to replace or repair the drive: call the drive supplier.'
  ],
  DIAGNOSTICS_REQUIRED: [
    W,
    'service',
    'Diagnostics required',
    'The drive may have a hardware fault.',
    "Run the drive's extended diagnostics (see its manual) to find the problem."
  ],
  LOADER_STRAY_TAPE: [
    C,
    'service',
    'Stray tape in the loader',
    'A tape has been left in the autoloader after an earlier hardware fault.',
    'Insert an empty magazine to clear it, or power-cycle the loader; if that fails, call the supplier.'
  ],
  LOADER_HARDWARE: [
    W,
    'service',
    'Loader mechanism problem',
    'There is a problem with the autoloader mechanism.',
    'Check the loader for obstructions; if it persists, call the supplier.'
  ],
  LOADER_MAGAZINE: [
    C,
    'check',
    'Magazine problem',
    'The operation failed because a magazine is missing or not seated properly.',
    'Insert the magazine correctly and restart the operation.'
  ],
  DIMINISHED_NATIVE_CAPACITY: [
    W,
    'retire-tape',
    'Reduced capacity',
    'The cartridge can no longer hold its full native capacity.',
    'Use another tape for new backups; keep this one for restores only.'
  ],
  LOST_STATISTICS: [
    I,
    'none',
    'Statistics lost',
    'The usage statistics of this cartridge were lost at some time in the past.',
    'Nothing to do; wear figures for this tape may be too low.'
  ],
  TAPE_DIRECTORY_INVALID_AT_UNLOAD: [
    W,
    'none',
    'Tape directory invalid',
    'The tape directory of the cartridge just unloaded is corrupted; searching is slower.',
    'Reading the whole tape once rebuilds the directory.'
  ],
  TAPE_SYSTEM_AREA_WRITE_FAILURE: [
    C,
    'retire-tape',
    'System area write failure',
    'The cartridge just unloaded could not write its system area.',
    'Copy the data to another tape and retire this one.'
  ],
  TAPE_SYSTEM_AREA_READ_FAILURE: [
    C,
    'retire-tape',
    'System area read failure',
    'The system area of the tape could not be read at load.',
    'Copy the data to another tape if it can still be read, and retire this one.'
  ],
  NO_START_OF_DATA: [
    C,
    'retire-tape',
    'No start of data',
    'The start of the data could not be found on the tape.',
    'Check that the tape has the right format; otherwise retire it.'
  ],
  LOADING_FAILURE: [
    C,
    'retire-tape',
    'Loading failure',
    'The cartridge could not be loaded and threaded.',
    'Remove the cartridge, inspect it (leader pin, shell) and retry; if it persists, call the drive supplier.'
  ],
  UNRECOVERABLE_UNLOAD_FAILURE: [
    C,
    'service',
    'Unload failure',
    'The cartridge cannot be unloaded.',
    'Do not try to pull the cartridge out; call the drive supplier.'
  ],
  AUTOMATION_INTERFACE_FAILURE: [
    C,
    'service',
    'Automation interface failure',
    'The drive has a problem with the interface to the library.',
    'Check the library power, cables and connections; if it persists, call the supplier.'
  ],
  FIRMWARE_FAILURE: [
    W,
    'service',
    'Firmware fault',
    'The drive reset itself after a firmware fault.',
    'Restart the operation; if it happens again, call the drive supplier.'
  ],
  WORM_INTEGRITY_CHECK_FAILED: [
    W,
    'check',
    'WORM integrity check failed',
    'The drive found an inconsistency in the WORM cartridge: it may have been tampered with.',
    'Set the cartridge aside and check its content.'
  ],
  WORM_OVERWRITE_ATTEMPTED: [
    W,
    'check',
    'WORM overwrite attempted',
    'Something tried to overwrite data on a WORM cartridge.',
    'Use WORM tapes only in pools that keep their tapes (retention "keep"); use a normal tape otherwise.'
  ],
  ENCRYPTION_POLICY_VIOLATION: [
    W,
    'check',
    'Encryption policy violation',
    'A command violated the encryption policy of the drive (for example an unencrypted write where encryption is required).',
    "Check the pool's encryption key setting and the drive's encryption settings."
  ]
}

/** Advice for every flag Tapedeck knows, by flag number. */
export const TAPE_ALERT_ADVICE: readonly TapeAlertAdvice[] = Object.entries(TAPE_ALERT_FLAGS)
  .map(([name, flag]) => {
    const entry = ADVICE[name]
    if (!entry) throw new Error(`TapeAlert flag ${name} has no advice`)
    const [severity, remedy, title, meaning, action] = entry
    return { name, flag, severity, title, meaning, action, remedy }
  })
  .sort((a, b) => a.flag - b.flag)

const BY_NAME = new Map(TAPE_ALERT_ADVICE.map((a) => [a.name, a]))

export const tapeAlertAdvice = (name: string): TapeAlertAdvice | undefined => BY_NAME.get(name)
