/**
 * The virtual tape library: the embedded default device of Tapedeck and the workhorse of its
 * tests. A directory with tapes in the PBS virtual-tape layout plus `library.json` (changer state,
 * cartridge facts, faults, timing). See library.ts for the entry points.
 */
export {
  VirtualLibrary,
  clearFaults,
  isVirtualLibrary,
  libraryStatus,
  listFaults,
  openVirtualLibrary,
  setFault,
  type OpenVirtualLibraryOptions,
  type VirtualCartridgeInfo,
  type VirtualDriveInfo,
  type VirtualLibraryStatus
} from './library'
export {
  createVirtualLibrary,
  DEFAULT_TAPE_SIZE,
  type CreateVirtualLibraryOptions,
  type CreatedVirtualLibrary
} from './create'
export { VirtualDrive, type VirtualDriveOptions } from './drive'
export { VirtualChanger, type VirtualChangerOptions } from './changer'
export type { ThreadResult } from './mechanics'
export {
  ChangerError,
  VirtualDriveError,
  type ChangerErrorCode,
  type DriveErrorCode
} from './errors'
export { describeFault, type FaultFilter } from './faults'
export {
  LIBRARY_FILE,
  LIBRARY_VERSION,
  LibraryStateError,
  type Fault,
  type FaultEntry,
  type FaultKind
} from './schema'
export type { TimingModel } from './timing'
export {
  CLEANING_MEDIA_TYPE,
  DATA_MEDIA_TYPES,
  DEFAULT_CLEANING_USES,
  earlyWarningZone
} from './media'
export { TAPE_ALERT_FLAGS, isTapeAlertFlag } from '../tape-alert'
export { VIRTUAL_BLOCK_SIZE, tapeFilePath, tapeIndexPath } from './tape-files'
