/**
 * Errors of the virtual library. Each carries a stable `code` so callers can react without parsing
 * text, and where a real device would answer with SCSI sense data the message names it
 * (key/ASC/ASCQ), so logs read the same as with hardware.
 */
import { DriveError } from '../tape-driver'

export type DriveErrorCode =
  | 'closed'
  | 'invalid-argument'
  | 'no-medium'
  | 'cleaning-cartridge'
  | 'write-protected'
  | 'end-of-medium'
  | 'end-of-data'
  | 'filemark'
  | 'beginning-of-medium'
  | 'read-error'
  | 'write-error'
  | 'power-failure'
  | 'position-lost'
  | 'medium-changed'
  | 'cannot-decrypt'

export class VirtualDriveError extends DriveError {
  override readonly name: string = 'VirtualDriveError'
  constructor(
    drive: string,
    readonly code: DriveErrorCode,
    message: string
  ) {
    super(drive, message)
  }
}

export type ChangerErrorCode =
  'invalid-element' | 'source-empty' | 'destination-full' | 'medium-removal-prevented' | 'closed'

export class ChangerError extends Error {
  override readonly name: string = 'ChangerError'
  constructor(
    readonly changer: string,
    readonly code: ChangerErrorCode,
    message: string
  ) {
    super(`changer ${changer}: ${message}`)
  }
}
