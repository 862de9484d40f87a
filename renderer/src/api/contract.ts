/**
 * Types of the one API contract, re-exported for the renderer. Only types cross this line: the
 * zod schemas stay in the core (the renderer never bundles them).
 */
export type {
  ApiArgs,
  ApiEvent,
  ApiEventPayload,
  ApiMethod,
  ApiResult,
  BackupJobConfig,
  BackupJobStatus,
  ChangerConfig,
  ChangerStatusEntry,
  DatastoreConfig,
  DatastoreGroup,
  DatastoreScan,
  DatastoreSnapshot,
  DatastoreStatus,
  DriveConfig,
  DriveStatusInfo,
  InventoryEntry,
  LabelCalibration,
  LabelLayoutOptions,
  LabelMode,
  LabelPaper,
  LabelSheetPreview,
  LabelSheetRequest,
  LabelSource,
  MediaLabelInfo,
  PoolConfig,
  TapeKeyInfo,
  TaskInfo,
  TaskLogLine,
  TaskProgress,
  TaskState,
  VerifyResult
} from '../../../main/core/api/contract'
export type { ApiErrorPayload, ErrorCode } from '../../../main/core/api/errors'
