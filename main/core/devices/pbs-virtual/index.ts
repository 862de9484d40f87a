/**
 * PBS virtual tape drives (`virtual:` sections of tape.cfg): PBS's test drive, a directory of
 * JSON-named tape files, usable by PBS and Tapedeck alike. See drive.ts.
 */
export { PbsVirtualDrive, type PbsVirtualDriveOptions } from './drive'
export { PbsVirtualChanger } from './changer'
export {
  DEFAULT_MAX_SIZE,
  DRIVE_LOCK_FILE,
  DRIVE_STATUS_FILE,
  driveStatusJson,
  listTapeLabels,
  readDriveStatus,
  type CurrentTape
} from './layout'
