/**
 * Errors of the LTO driver: every SCSI failure becomes a DriveError with a stable `code` the rest
 * of Tapedeck can branch on ('read-error', 'cannot-decrypt' — see tape-driver.ts), keeping the
 * device's own words (command, sense) in the message.
 */
import { ScsiError } from '../scsi/scsi-device'
import { TransportError } from '../scsi/transport'
import { DriveError } from '../tape-driver'

export type LtoDriveErrorCode =
  | 'no-medium'
  | 'not-ready'
  | 'read-error'
  | 'write-error'
  | 'cannot-decrypt'
  | 'write-protected'
  | 'end-of-medium'
  | 'end-of-data'
  | 'filemark'
  | 'beginning-of-medium'
  | 'position-lost'
  | 'not-supported'
  | 'invalid-argument'
  | 'not-a-tape-drive'
  | 'transport'
  | 'device-error'
  | 'closed'

export class LtoDriveError extends DriveError {
  override readonly name: string = 'LtoDriveError'
  constructor(
    drive: string,
    readonly code: LtoDriveErrorCode,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(drive, message)
    if (options?.cause !== undefined) this.cause = options.cause
  }
}

/** What a data command's failure means; `reading` decides between read and write errors. */
function codeOf(err: ScsiError, reading: boolean): LtoDriveErrorCode {
  switch (err.code) {
    case 'no-medium':
      return 'no-medium'
    case 'not-ready':
      return 'not-ready'
    case 'medium-error':
      return reading ? 'read-error' : 'write-error'
    case 'encryption':
    case 'data-protect':
      return reading ? 'cannot-decrypt' : 'write-protected'
    case 'write-protected':
      return 'write-protected'
    case 'volume-overflow':
      return 'end-of-medium'
    case 'end-of-data':
      return 'end-of-data'
    case 'filemark':
      return 'filemark'
    case 'beginning-of-medium':
      return 'beginning-of-medium'
    case 'not-supported':
      return 'not-supported'
    default:
      return 'device-error'
  }
}

/** Wraps a ScsiError or TransportError of drive `drive`; anything else passes unchanged. */
export function driveErrorOf(drive: string, err: unknown, reading = false): unknown {
  if (err instanceof ScsiError) {
    return new LtoDriveError(drive, codeOf(err, reading), err.message, { cause: err })
  }
  if (err instanceof TransportError) {
    const what = err.mayHaveRun
      ? 'the command may have run, so the tape position is unknown (rewind or locate before going on)'
      : 'the command did not run'
    return new LtoDriveError(drive, 'transport', `${err.message}; ${what}`, { cause: err })
  }
  return err
}
