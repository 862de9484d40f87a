/**
 * The one contract between the core and every client (renderer over IPC or WebSocket, CLI, tests).
 *
 * Each method has an argument schema and a result schema; each event a payload schema. Field names
 * follow the PBS API (kebab-case) so JSON from the CLI and the API looks like PBS's. The renderer
 * imports only the types from this file (`import type`), never the schemas.
 */
import { z } from 'zod'
import { FaultEntry, FaultSpec } from '../devices/virtual/schema'
import {
  NotificationConfigView,
  NotificationTestResult,
  NotificationUpdate
} from '../notify/schema'
import {
  CalibrationPage,
  CalibrationPageRequest,
  LabelSheetPdf,
  LabelSheetPreview,
  LabelSheetRequest
} from '../labels/schema'

// ---------------------------------------------------------------------------------------------
// Shared value formats (PBS `PROXMOX_SAFE_ID` and friends)

const SAFE_ID = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/

const safeId = (what: string, min: number, max: number) =>
  z
    .string()
    .min(min, `${what} must be at least ${min} characters`)
    .max(max, `${what} must be at most ${max} characters`)
    .regex(
      SAFE_ID,
      `${what} may contain only letters, digits, '_', '.' and '-' and must not start with '.' or '-'`
    )

export const DriveName = safeId('drive name', 3, 32)
export const ChangerName = safeId('changer name', 3, 32)
export const PoolName = safeId('pool name', 2, 32)
export const DatastoreName = safeId('datastore name', 3, 32)

/** Single-line text without control characters (section-config values cannot hold them). */
const singleLine = (what: string, max: number) =>
  z
    .string()
    .max(max, `${what} must be at most ${max} characters`)
    // eslint-disable-next-line no-control-regex
    .regex(/^[^\x00-\x1f\x7f]*$/, `${what} must be a single line without control characters`)

export const Comment = singleLine('comment', 128)
export const Digest = z.string().regex(/^[0-9a-f]{64}$/, 'digest must be 64 hex digits')
export const Upid = z.string().regex(/^UPID:[^\n]+:$/, 'not a task id (UPID)')

const Empty = z.strictObject({})
/** Status as the Media view shows it: stored, else writable (in a set) / empty. */
const MEDIA_STATUS_FILTER = ['writable', 'full', 'empty', 'damaged', 'retired'] as const
const Void = z.null()

// ---------------------------------------------------------------------------------------------
// Devices (tape.cfg)

export const DriveConfig = z.strictObject({
  name: DriveName,
  type: z.enum(['lto', 'virtual']),
  path: z.string(),
  changer: ChangerName.optional(),
  'changer-drivenum': z.number().int().min(0).max(255).optional(),
  'max-size': z.number().int().positive().optional()
})

export const ChangerConfig = z.strictObject({
  name: ChangerName,
  path: z.string(),
  'export-slots': z.string().optional(),
  'eject-before-unload': z.boolean().optional()
})

const DrivePath = z.string().min(1, 'path must not be empty').max(256)
const ExportSlots = z
  .string()
  .regex(
    /^\s*[0-9]+(\s*,\s*[0-9]+)*\s*$/,
    'export-slots must be a comma separated list of slot numbers'
  )

// Device discovery (`drive scan` / `changer scan`, the scan wizard)

const ScannedDeviceFields = {
  path: z.string(),
  vendor: z.string(),
  model: z.string(),
  revision: z.string(),
  serial: z.string(),
  'sg-device': z.string().optional(),
  'tape-device': z.string().optional()
}

export const ScannedDrive = z.strictObject({
  kind: z.literal('tape'),
  ...ScannedDeviceFields,
  'changer-path': z.string().optional(),
  'changer-drivenum': z.number().int().min(0).optional(),
  'changer-match': z.enum(['serial', 'order']).optional()
})

export const ScannedChanger = z.strictObject({
  kind: z.literal('changer'),
  ...ScannedDeviceFields,
  'drive-serials': z.array(z.string().nullable()).optional()
})

export const DeviceScan = z.strictObject({
  changers: z.array(ScannedChanger),
  drives: z.array(ScannedDrive),
  warnings: z.array(z.string())
})

// Drive and changer operations

export const LabelText = z
  .string()
  .min(2, 'label text must be at least 2 characters')
  .max(32, 'label text must be at most 32 characters')
  .regex(SAFE_ID, "label text may contain only letters, digits, '_', '.' and '-'")

export const ChangerStatusEntry = z.strictObject({
  'entry-kind': z.enum(['drive', 'slot', 'import-export']),
  'entry-id': z.number().int(),
  'label-text': z.string().optional(),
  'loaded-slot': z.number().int().optional()
})

/** What `read-label` prints (PBS MediaIdFlat). */
export const MediaLabelInfo = z.strictObject({
  'label-text': z.string(),
  uuid: z.string(),
  ctime: z.number().int(),
  pool: z.string().optional(),
  /** all zeros when the tape belongs to no media set yet */
  'media-set-uuid': z.string(),
  'media-set-ctime': z.number().int().optional(),
  'seq-nr': z.number().int().optional(),
  'encryption-key-fingerprint': z.string().optional()
})

export const DriveStatusInfo = z.strictObject({
  name: z.string(),
  loaded: z.boolean(),
  'volume-tag': z.string().optional(),
  'file-number': z.number().int().optional(),
  'block-number': z.number().int().optional(),
  'write-protect': z.boolean().optional(),
  'alert-flags': z.array(z.string()),
  'bytes-used': z.number().optional(),
  capacity: z.number().optional(),
  'medium-passes': z.number().optional(),
  'volume-mounts': z.number().optional(),
  density: z.string().optional()
})

const counter = z.number().int().min(0)
/** PBS `Lp17VolumeStatistics` (LOG SENSE page 17h); byte counters in bytes. */
export const VolumeStatisticsInfo = z.strictObject({
  'volume-mounts': counter,
  'volume-datasets-written': counter,
  'volume-recovered-write-data-errors': counter,
  'volume-unrecovered-write-data-errors': counter,
  'volume-write-servo-errors': counter,
  'volume-unrecovered-write-servo-errors': counter,
  'volume-datasets-read': counter,
  'volume-recovered-read-errors': counter,
  'volume-unrecovered-read-errors': counter,
  'last-mount-unrecovered-write-errors': counter,
  'last-mount-unrecovered-read-errors': counter,
  'last-mount-bytes-written': counter,
  'last-mount-bytes-read': counter,
  'lifetime-bytes-written': counter,
  'lifetime-bytes-read': counter,
  'last-load-write-compression-ratio': counter,
  'last-load-read-compression-ratio': counter,
  'medium-mount-time': counter,
  'medium-ready-time': counter,
  'total-native-capacity': counter,
  'total-used-native-capacity': counter,
  'write-protect': z.boolean(),
  worm: z.boolean(),
  'beginning-of-medium-passes': counter,
  'middle-of-tape-passes': counter,
  serial: z.string()
})

/** PBS `MamAttribute`: one cartridge-memory attribute. */
export const CartridgeMemoryEntry = z.strictObject({
  id: z.number().int().min(0).max(0xffff),
  name: z.string(),
  value: z.string()
})

/** What a TapeAlert flag means and what to do (tape-alert-advice.ts). */
export const TapeAlertFlagInfo = z.strictObject({
  name: z.string(),
  flag: z.number().int().min(1).max(64),
  severity: z.enum(['information', 'warning', 'critical']),
  title: z.string(),
  meaning: z.string(),
  action: z.string(),
  remedy: z.enum(['clean', 'retire-tape', 'replace-cleaning-tape', 'service', 'check', 'none'])
})

export const InventoryEntry = z.strictObject({
  'label-text': z.string(),
  uuid: z.string(),
  ctime: z.number().int(),
  pool: z.string().optional(),
  'media-set-uuid': z.string().optional(),
  'seq-nr': z.number().int().optional(),
  'media-set-ctime': z.number().int().optional(),
  'encryption-key-fingerprint': z.string().optional(),
  status: z.enum(['full', 'damaged', 'retired']).optional(),
  location: z.string().optional(),
  'bytes-used': z.number().optional()
})

/** The mt(1)-style primitives of `tapedeck mt` (PBS pmt). */
export const MT_OPERATIONS = [
  'fsf',
  'bsf',
  'fsfm',
  'bsfm',
  'fsr',
  'bsr',
  'asf',
  'eod',
  'weof',
  'rewind',
  'eject',
  'load',
  'erase'
] as const

// ---------------------------------------------------------------------------------------------
// Tape encryption keys (tape-encryption-keys.json / tape-encryption-key-config.json)

/** A full fingerprint (aa:bb:…, 32 bytes) or a unique prefix of one, e.g. the 8-byte short form. */
export const KeyFingerprintArg = z
  .string()
  .regex(
    /^[0-9a-fA-F]{2}(:?[0-9a-fA-F]{2}){0,31}$/,
    'fingerprint must be hex bytes separated by colons (the full 32 bytes or a unique prefix)'
  )

/**
 * A key password travels in the request only; it is never returned, logged or stored. PBS's
 * minimum is 5 bytes (checked by the core, which counts UTF-8 bytes).
 */
const KeyPassword = z.string().min(1, 'password must not be empty').max(1024)
const KeyHint = singleLine('hint', 32).min(1, 'hint must not be empty')
const KeyKdf = z.enum(['scrypt', 'pbkdf2'])

/** What the API shows about a key: never the key itself. */
export const TapeKeyInfo = z.strictObject({
  fingerprint: z.string(),
  hint: z.string(),
  kdf: z.enum(['scrypt', 'pbkdf2', 'none']),
  /** RFC 3339 with offset, as in the key config; empty when only the plain key is stored */
  created: z.string(),
  modified: z.string(),
  /** the plain key needed to program drives is stored (false: restore it with the password) */
  'has-plain-key': z.boolean(),
  /**
   * where that plain key is: `file` (0600, usable by the CLI, serve and schedulers), `sealed`
   * (by the desktop app's secret store, usable only there) or `none`
   */
  storage: z.enum(['file', 'sealed', 'none']),
  /** media pools whose `encrypt` names this key */
  pools: z.array(z.string())
})

// ---------------------------------------------------------------------------------------------
// Media pools (media-pool.cfg)

export const PoolConfig = z.strictObject({
  name: PoolName,
  allocation: z.string().optional(),
  retention: z.string().optional(),
  template: z.string().optional(),
  encrypt: z.string().optional(),
  comment: z.string().optional()
})

const PoolFields = {
  allocation: singleLine('allocation', 256).optional(),
  retention: singleLine('retention', 256).optional(),
  template: singleLine('template', 64).optional(),
  encrypt: z
    .string()
    .regex(
      /^([0-9a-fA-F]{2}:){31}[0-9a-fA-F]{2}$/,
      'encrypt must be a key fingerprint: 32 hex bytes separated by colons'
    )
    .optional(),
  comment: Comment.optional()
}

// ---------------------------------------------------------------------------------------------
// Datastores (datastore.cfg; only the registry here)

export const DatastoreConfig = z
  .object({ name: DatastoreName, path: z.string(), comment: z.string().optional() })
  .catchall(z.string())

export const DatastoreScan = z.strictObject({
  time: z.number().int(),
  namespaces: z.number().int(),
  groups: z.number().int(),
  snapshots: z.number().int(),
  chunks: z.number().int(),
  'chunk-bytes': z.number().int()
})

export const DatastoreStatus = z.strictObject({
  name: DatastoreName,
  path: z.string(),
  exists: z.boolean(),
  total: z.number().optional(),
  used: z.number().optional(),
  avail: z.number().optional(),
  'last-scan': DatastoreScan.optional(),
  /** summary of the newest finished verification */
  'last-verify': z
    .strictObject({
      upid: z.string(),
      time: z.number().int(),
      ok: z.boolean(),
      snapshots: z.number().int(),
      chunks: z.number().int(),
      'bad-chunk-count': z.number().int(),
      'bad-files': z.number().int()
    })
    .optional()
})

/** PBS namespace notation: `a/b/c`, empty for the root namespace. */
export const Namespace = z
  .string()
  .max(256, 'namespace must be at most 256 characters')
  .regex(
    /^([A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*){0,6})?$/,
    "namespace must be up to 7 names separated by '/', each a safe id"
  )
const BackupType = z.enum(['vm', 'ct', 'host'])
const BackupId = safeId('backup id', 1, 128)
/** PBS snapshot path: `[ns/<a>/…]<type>/<id>/<YYYY-MM-DDTHH:MM:SSZ>`, or without the ns prefix. */
export const SnapshotName = z
  .string()
  .max(512)
  .regex(
    /^(ns\/[A-Za-z0-9_][A-Za-z0-9._-]*\/)*(vm|ct|host)\/[A-Za-z0-9_][A-Za-z0-9._-]*\/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/,
    'snapshot must look like vm/100/2024-01-01T00:00:00Z (optionally prefixed by ns/<name>/…)'
  )

export const DatastoreGroup = z.strictObject({
  ns: z.string(),
  'backup-type': BackupType,
  'backup-id': z.string(),
  owner: z.string().optional(),
  /** first line of the group's notes */
  comment: z.string().optional(),
  'backup-count': z.number().int(),
  /** epoch of the newest finished snapshot */
  'last-backup': z.number().int().optional()
})

export const DatastoreSnapshot = z.strictObject({
  ns: z.string(),
  'backup-type': BackupType,
  'backup-id': z.string(),
  'backup-time': z.number().int(),
  /** PBS path of the snapshot, e.g. `ns/prod/vm/100/2024-01-01T00:00:00Z` */
  snapshot: z.string(),
  finished: z.boolean(),
  files: z.array(
    z.strictObject({
      filename: z.string(),
      size: z.number().int(),
      'crypt-mode': z.enum(['none', 'encrypt', 'sign-only'])
    })
  ),
  /** sum of the file sizes in the manifest */
  size: z.number().int(),
  protected: z.boolean(),
  encrypted: z.boolean(),
  owner: z.string().optional(),
  /** first line of the snapshot notes */
  comment: z.string().optional(),
  /** why the manifest could not be read */
  error: z.string().optional()
})

export const VerifyResult = z.strictObject({
  upid: z.string(),
  store: z.string(),
  time: z.number().int(),
  ok: z.boolean(),
  snapshots: z.number().int(),
  'index-files': z.number().int(),
  /** distinct chunks checked */
  chunks: z.number().int(),
  /** bytes of chunk files read */
  bytes: z.number(),
  'bad-chunk-count': z.number().int(),
  /** the first 1000 bad or missing chunks and the snapshots that use them */
  'bad-chunks': z.array(
    z.strictObject({
      digest: z.string(),
      problem: z.string(),
      snapshots: z.array(z.string())
    })
  ),
  /** manifests, indexes and blobs that are missing, damaged or do not match the manifest */
  'bad-files': z.array(
    z.strictObject({ snapshot: z.string(), filename: z.string(), problem: z.string() })
  )
})

export const DemoOptions = {
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31)
    .optional(),
  vms: z.number().int().min(0).max(100).optional(),
  cts: z.number().int().min(0).max(100).optional(),
  hosts: z.number().int().min(0).max(100).optional(),
  snapshots: z.number().int().min(1).max(100).optional(),
  /** bytes per VM disk */
  'disk-size': z
    .number()
    .int()
    .min(4096)
    .max(1024 ** 4)
    .optional(),
  namespaces: z.boolean().optional()
}

// ---------------------------------------------------------------------------------------------
// Tape backup jobs (tape-job.cfg; PBS TapeBackupJobConfig)

export const JobId = safeId('job id', 3, 32)

export const BACKUP_JOB_DELETABLE = [
  'schedule',
  'eject-media',
  'export-media-set',
  'latest-only',
  'notify-user',
  'notification-mode',
  'group-filter',
  'ns',
  'max-depth',
  'worker-threads',
  'comment'
] as const

/** Optional job properties; the service checks their values (calendar event, filters …). */
const BackupJobFields = {
  schedule: singleLine('schedule', 256).optional(),
  'eject-media': z.boolean().optional(),
  'export-media-set': z.boolean().optional(),
  'latest-only': z.boolean().optional(),
  'notify-user': singleLine('notify-user', 64).optional(),
  'notification-mode': z.enum(['legacy-sendmail', 'notification-system']).optional(),
  'group-filter': z.array(singleLine('group-filter', 1024)).max(256).optional(),
  ns: Namespace.optional(),
  'max-depth': z.number().int().min(0).max(7).optional(),
  'worker-threads': z.number().int().min(1).max(32).optional(),
  comment: Comment.optional()
}

export const BackupJobConfig = z.strictObject({
  id: z.string(),
  store: z.string(),
  pool: z.string(),
  drive: z.string(),
  schedule: z.string().optional(),
  'eject-media': z.boolean().optional(),
  'export-media-set': z.boolean().optional(),
  'latest-only': z.boolean().optional(),
  'notify-user': z.string().optional(),
  'notification-mode': z.string().optional(),
  'group-filter': z.array(z.string()).optional(),
  ns: z.string().optional(),
  'max-depth': z.number().int().optional(),
  'worker-threads': z.number().int().optional(),
  comment: z.string().optional()
})

/** A job with its schedule status (PBS TapeBackupJobStatus). */
export const BackupJobStatus = z.strictObject({
  ...BackupJobConfig.shape,
  /** epoch of the next scheduled run; absent without (valid) schedule */
  'next-run': z.number().int().optional(),
  /** the tape the next run would write first (absent: none available) */
  'next-media-label': z.string().optional(),
  'last-run-upid': z.string().optional(),
  /** task status of the last run: OK, WARNINGS: n, the error message, unknown … */
  'last-run-state': z.string().optional(),
  'last-run-endtime': z.number().int().optional()
})

// ---------------------------------------------------------------------------------------------
// Tasks

export const TaskState = z.enum(['running', 'ok', 'warning', 'error', 'aborted'])

export const TaskProgress = z.strictObject({
  done: z.number(),
  total: z.number().optional(),
  unit: z.enum(['bytes', 'items']),
  /** units per second, averaged over the last few seconds */
  rate: z.number().optional(),
  /** seconds until done, when total and rate are known */
  eta: z.number().optional(),
  message: z.string().optional()
})

export const TaskInfo = z.strictObject({
  upid: z.string(),
  node: z.string(),
  pid: z.number().int(),
  starttime: z.number().int(),
  worker_type: z.string(),
  worker_id: z.string().optional(),
  user: z.string(),
  endtime: z.number().int().optional(),
  state: TaskState,
  /** PBS status text: "OK", "WARNINGS: n", the error message, or "aborted: …" */
  status: z.string().optional(),
  progress: TaskProgress.optional()
})

export const TaskLogLine = z.strictObject({
  n: z.number().int(),
  t: z.number().int(),
  text: z.string()
})

// ---------------------------------------------------------------------------------------------
// Methods

const method = <A extends z.ZodType, R extends z.ZodType>(args: A, result: R) => ({ args, result })
const withDigest = { digest: Digest.optional() }
const TaskStarted = z.strictObject({ upid: z.string() })

export const API = {
  'system.info': method(
    Empty,
    z.strictObject({
      version: z.string(),
      home: z.string(),
      node: z.string(),
      timezone: z.string()
    })
  ),

  'drive.list': method(Empty, z.array(DriveConfig)),
  'drive.config': method(
    z.strictObject({ name: DriveName }),
    z.strictObject({ config: DriveConfig, digest: Digest })
  ),
  'drive.create': method(
    z.strictObject({
      name: DriveName,
      /** `virtual`: a PBS virtual drive, `path` its directory (created when missing). */
      type: z.enum(['lto', 'virtual']).optional(),
      path: DrivePath,
      changer: ChangerName.optional(),
      'changer-drivenum': z.number().int().min(0).max(255).optional(),
      /** Bytes per tape of a virtual drive (PBS default 64 MiB). */
      'max-size': z.number().int().positive().optional()
    }),
    Void
  ),
  'drive.update': method(
    z.strictObject({
      name: DriveName,
      path: DrivePath.optional(),
      changer: ChangerName.optional(),
      'changer-drivenum': z.number().int().min(0).max(255).optional(),
      /** Bytes per tape; virtual drives only. */
      'max-size': z.number().int().positive().optional(),
      delete: z.array(z.enum(['changer', 'changer-drivenum'])).optional(),
      ...withDigest
    }),
    Void
  ),
  'drive.remove': method(z.strictObject({ name: DriveName, ...withDigest }), Void),

  'changer.list': method(Empty, z.array(ChangerConfig)),
  'changer.config': method(
    z.strictObject({ name: ChangerName }),
    z.strictObject({ config: ChangerConfig, digest: Digest })
  ),
  'changer.create': method(
    z.strictObject({
      name: ChangerName,
      path: DrivePath,
      'export-slots': ExportSlots.optional(),
      'eject-before-unload': z.boolean().optional()
    }),
    Void
  ),
  'changer.update': method(
    z.strictObject({
      name: ChangerName,
      path: DrivePath.optional(),
      'export-slots': ExportSlots.optional(),
      'eject-before-unload': z.boolean().optional(),
      delete: z.array(z.enum(['export-slots', 'eject-before-unload'])).optional(),
      ...withDigest
    }),
    Void
  ),
  'changer.remove': method(z.strictObject({ name: ChangerName, ...withDigest }), Void),
  /** Drives and changers on this machine, or behind an iSCSI portal (`HOST[:PORT]`). */
  'devices.scan': method(
    z.strictObject({ 'iscsi-portal': z.string().min(1).max(300).optional() }),
    DeviceScan
  ),

  'vlib.create': method(
    z.strictObject({
      name: ChangerName,
      path: z.string().min(1).max(4096),
      drives: z.number().int().min(1).max(16).optional(),
      slots: z.number().int().min(1).max(1000).optional(),
      'import-export': z.number().int().min(0).max(100).optional(),
      tapes: z.number().int().min(0).max(1000).optional(),
      'tape-size': z.number().int().positive().optional(),
      'media-type': z.string().optional(),
      'label-prefix': z.string().optional(),
      cleaning: z.number().int().min(0).max(100).optional()
    }),
    z.strictObject({
      changer: z.string(),
      drives: z.array(z.string()),
      tapes: z.array(z.string()),
      cleaning: z.array(z.string())
    })
  ),
  'vlib.fault-add': method(z.strictObject({ changer: ChangerName, fault: FaultSpec }), FaultEntry),
  'vlib.faults': method(z.strictObject({ changer: ChangerName }), z.array(FaultEntry)),
  'vlib.fault-clear': method(
    z.strictObject({ changer: ChangerName, id: z.number().int().min(1).optional() }),
    z.array(FaultEntry)
  ),
  'vlib.timing': method(
    z.strictObject({
      changer: ChangerName,
      /** null turns the timing model off (every operation instant) */
      timing: z
        .strictObject({
          'load-seconds': z.number().min(0).max(3600).optional(),
          'rewind-seconds': z.number().min(0).max(3600).optional(),
          'locate-seconds-per-gib': z.number().min(0).max(3600).optional(),
          /** bytes per second, 0 = unlimited */
          speed: z.number().int().min(0).optional()
        })
        .nullable()
    }),
    Void
  ),
  'changer.status': method(z.strictObject({ name: ChangerName }), z.array(ChangerStatusEntry)),
  'changer.transfer': method(
    z.strictObject({
      name: ChangerName,
      from: z.number().int().min(1),
      to: z.number().int().min(1)
    }),
    Void
  ),
  'drive.label': method(
    z.strictObject({ drive: DriveName, 'label-text': LabelText, pool: PoolName.optional() }),
    TaskStarted
  ),
  'drive.barcode-label': method(
    z.strictObject({ drive: DriveName, pool: PoolName.optional() }),
    TaskStarted
  ),
  'drive.read-label': method(
    z.strictObject({ drive: DriveName, inventorize: z.boolean().optional() }),
    MediaLabelInfo
  ),
  'drive.load-media': method(
    z.strictObject({ drive: DriveName, 'label-text': LabelText }),
    TaskStarted
  ),
  'drive.load-slot': method(
    z.strictObject({ drive: DriveName, slot: z.number().int().min(1) }),
    TaskStarted
  ),
  'drive.unload': method(
    z.strictObject({ drive: DriveName, 'target-slot': z.number().int().min(1).optional() }),
    TaskStarted
  ),
  'drive.export-media': method(
    z.strictObject({ drive: DriveName, 'label-text': LabelText }),
    TaskStarted
  ),
  'drive.eject': method(z.strictObject({ drive: DriveName }), TaskStarted),
  'drive.rewind': method(z.strictObject({ drive: DriveName }), TaskStarted),
  'drive.format': method(
    z.strictObject({
      drive: DriveName,
      fast: z.boolean().optional(),
      'label-text': LabelText.optional()
    }),
    TaskStarted
  ),
  'drive.status': method(z.strictObject({ drive: DriveName }), DriveStatusInfo),
  'drive.mt': method(
    z.strictObject({
      drive: DriveName,
      op: z.enum(MT_OPERATIONS),
      /** how many (files, records, filemarks); for asf the file number; for erase 0 = long erase */
      count: z.number().int().min(0).optional()
    }),
    z.strictObject({ file: z.number().int(), block: z.number().int() }).nullable()
  ),
  'drive.clean': method(z.strictObject({ drive: DriveName }), TaskStarted),
  'drive.inventory': method(
    z.strictObject({
      drive: DriveName,
      'read-all-labels': z.boolean().optional(),
      /** also restore missing catalogs from the tapes' catalog archives */
      catalog: z.boolean().optional()
    }),
    TaskStarted
  ),
  /** PBS `proxmox-tape catalog`: rebuild the catalog of the tape in the drive. */
  'drive.catalog': method(
    z.strictObject({
      drive: DriveName,
      /** rebuild even when the tape has a catalog */
      force: z.boolean().optional(),
      /** read every file instead of the catalog archives */
      scan: z.boolean().optional(),
      /** load this tape first (drives in a changer) */
      'label-text': LabelText.optional()
    }),
    TaskStarted
  ),
  'drive.scan': method(z.strictObject({ drive: DriveName }), TaskStarted),
  'drive.eod': method(
    z.strictObject({ drive: DriveName }),
    z.strictObject({ file: z.number().int(), block: z.number().int() })
  ),
  /** PBS `proxmox-tape volume-statistics`; error code 'not-supported' when the drive has none. */
  'drive.volume-statistics': method(z.strictObject({ drive: DriveName }), VolumeStatisticsInfo),
  /** PBS `proxmox-tape cartridge-memory`; error code 'not-supported' when the drive has none. */
  'drive.cartridge-memory': method(
    z.strictObject({ drive: DriveName }),
    z.array(CartridgeMemoryEntry)
  ),
  /** Every TapeAlert flag with its meaning and advice (no drive is opened). */
  'drive.tape-alert-flags': method(Empty, z.array(TapeAlertFlagInfo)),
  /** PBS `proxmox-tape backup`: datastore snapshots into the pool's current media set. */
  'tape.backup': method(
    z.strictObject({
      store: DatastoreName,
      pool: PoolName,
      drive: DriveName,
      ns: Namespace.optional(),
      'max-depth': z.number().int().min(0).max(7).optional(),
      'group-filter': z.array(z.string().min(1).max(256)).max(64).optional(),
      'latest-only': z.boolean().optional(),
      'eject-media': z.boolean().optional(),
      'export-media-set': z.boolean().optional(),
      'force-media-set': z.boolean().optional(),
      /** parallel chunk readers */
      'worker-threads': z.number().int().min(1).max(32).optional()
    }),
    TaskStarted
  ),
  /** PBS `proxmox-tape restore`: a whole media set, or selected snapshots through the catalog. */
  'tape.restore': method(
    z.strictObject({
      'media-set': z.uuid('media-set must be a media set UUID'),
      /** datastore map: `[source=]target,…`; a bare name is the default target */
      store: z.string().min(1).max(1024),
      drive: DriveName,
      /** `store:snapshot` or `snapshot`; none = the whole set */
      snapshots: z.array(z.string().min(1).max(600)).max(10000).optional(),
      /** PBS namespace mappings `store=SRC[,source=NS][,target=NS][,max-depth=N]` */
      namespaces: z.array(z.string().min(1).max(1024)).max(256).optional(),
      owner: z.string().min(1).max(256).optional()
    }),
    TaskStarted
  ),
  /** What `tape.restore` would read: tapes in order, online or not, files, bytes, time estimate. */
  'tape.restore-plan': method(
    z.strictObject({
      'media-set': z.uuid('media-set must be a media set UUID'),
      /** datastore map; without one the plan lists no targets */
      store: z.string().min(1).max(1024).optional(),
      drive: DriveName.optional(),
      snapshots: z.array(z.string().min(1).max(600)).max(10000).optional(),
      namespaces: z.array(z.string().min(1).max(1024)).max(256).optional()
    }),
    z.strictObject({
      'media-set': z.string(),
      pool: z.string().optional(),
      mode: z.enum(['full', 'selective']),
      drive: z.string().optional(),
      changer: z.string().optional(),
      /** bytes per second assumed for reading */
      rate: z.number(),
      'rate-source': z.string(),
      'load-seconds': z.number(),
      'locate-seconds': z.number(),
      tapes: z.array(
        z.strictObject({
          'label-text': z.string(),
          uuid: z.string(),
          'seq-nr': z.number().int(),
          phase: z.enum(['all', 'snapshots', 'chunks']),
          online: z.boolean(),
          location: z.string(),
          changer: z.string().optional(),
          slot: z.number().int().optional(),
          'drive-number': z.number().int().optional(),
          /** tape files to read; empty with phase all = every file */
          files: z.array(z.number().int()),
          bytes: z.number(),
          'estimated-seconds': z.number()
        })
      ),
      snapshots: z.array(
        z.strictObject({
          store: z.string(),
          snapshot: z.string(),
          'label-text': z.string(),
          file: z.number().int(),
          targets: z.array(
            z.strictObject({ store: z.string(), snapshot: z.string(), exists: z.boolean() })
          )
        })
      ),
      /** exact: from the source snapshots' indexes; upper-bound: from the catalog only */
      chunks: z.enum(['all', 'exact', 'upper-bound', 'none']),
      'total-bytes': z.number(),
      'estimated-seconds': z.number(),
      'offline-tapes': z.array(z.string()),
      warnings: z.array(z.string())
    })
  ),
  'media.list': method(Empty, z.array(InventoryEntry)),
  /** The inventory filtered and paged for the Media view; counts/pools/sets cover all tapes. */
  'media.page': method(
    z.strictObject({
      offset: z.number().int().min(0).optional(),
      limit: z.number().int().min(1).max(10000).optional(),
      /** '' = tapes without a pool */
      pool: z.union([PoolName, z.literal('')]).optional(),
      status: z.enum(MEDIA_STATUS_FILTER).optional(),
      'media-set': z.uuid().optional(),
      search: z.string().max(128).optional()
    }),
    z.strictObject({
      rows: z.array(InventoryEntry),
      total: z.number().int(),
      counts: z.record(z.enum(MEDIA_STATUS_FILTER), z.number().int()),
      pools: z.array(z.string()),
      'no-pool': z.boolean(),
      sets: z.array(
        z.strictObject({
          uuid: z.string(),
          pool: z.string().optional(),
          ctime: z.number().int().optional(),
          tapes: z.number().int()
        })
      )
    })
  ),
  /** PBS `media destroy`: drop a tape and its catalog; a tape holding data needs `force`. */
  'media.destroy': method(
    z.strictObject({ 'label-text': LabelText, force: z.boolean().optional() }),
    Void
  ),
  /** PBS `update_media_status`: store full/damaged/retired; no status clears it. */
  'media.set-status': method(
    z.strictObject({
      'label-text': LabelText,
      status: z.enum(['full', 'damaged', 'retired']).optional()
    }),
    Void
  ),
  /** PBS `media move`: location vault-<vault-name>, or offline without a vault. */
  'media.move': method(
    z.strictObject({
      'label-text': LabelText,
      'vault-name': safeId('vault name', 3, 32).optional()
    }),
    Void
  ),
  /** PBS `media content`: which snapshots are on which tape, from the catalogs. */
  'media.content': method(
    z.strictObject({
      pool: PoolName.optional(),
      'label-text': LabelText.optional(),
      media: z.uuid().optional(),
      'media-set': z.uuid().optional(),
      'backup-type': z.enum(['vm', 'ct', 'host']).optional(),
      'backup-id': z.string().max(128).optional()
    }),
    z.array(
      z.strictObject({
        'label-text': z.string(),
        uuid: z.string(),
        'media-set-name': z.string().optional(),
        'media-set-uuid': z.string(),
        'media-set-ctime': z.number().int(),
        'seq-nr': z.number().int(),
        pool: z.string(),
        store: z.string(),
        snapshot: z.string(),
        'backup-time': z.number().int()
      })
    )
  ),

  'key.list': method(Empty, z.array(TapeKeyInfo)),
  'key.show': method(z.strictObject({ fingerprint: KeyFingerprintArg }), TapeKeyInfo),
  'key.create': method(
    z.strictObject({ password: KeyPassword, hint: KeyHint, kdf: KeyKdf.optional() }),
    TapeKeyInfo
  ),
  'key.change-passphrase': method(
    z.strictObject({
      fingerprint: KeyFingerprintArg,
      password: KeyPassword,
      'new-password': KeyPassword,
      hint: KeyHint,
      kdf: KeyKdf.optional()
    }),
    TapeKeyInfo
  ),
  /**
   * Move a key's plain copy: `sealed` (desktop app only) or `file` (for the CLI and unattended
   * jobs; outside the app a sealed key needs its password for this).
   */
  'key.set-storage': method(
    z.strictObject({
      fingerprint: KeyFingerprintArg,
      storage: z.enum(['file', 'sealed']),
      password: KeyPassword.optional()
    }),
    TapeKeyInfo
  ),
  /** Whether this process seals new keys, and with what. */
  'key.sealing': method(
    Empty,
    z.strictObject({ available: z.boolean(), description: z.string().optional() })
  ),
  /** Refused (in-use) while a media pool encrypts with the key. */
  'key.remove': method(z.strictObject({ fingerprint: KeyFingerprintArg }), Void),
  /** The printable paper key: the password-protected key config and its QR code. */
  'key.paperkey': method(
    z.strictObject({
      fingerprint: KeyFingerprintArg,
      subject: singleLine('subject', 256).optional(),
      format: z.enum(['text', 'html']).optional()
    }),
    z.strictObject({
      fingerprint: z.string(),
      format: z.enum(['text', 'html']),
      content: z.string()
    })
  ),
  /**
   * Import a key with its password: from `key` (key config JSON, or paper-key text with the
   * BEGIN/END lines) or from the media-set label of the tape in `drive`. Exactly one of the two.
   */
  'key.restore': method(
    z
      .strictObject({
        key: z.string().max(65536).optional(),
        drive: DriveName.optional(),
        password: KeyPassword
      })
      .refine((a) => (a.key === undefined) !== (a.drive === undefined), {
        message: 'give exactly one of key and drive'
      }),
    TapeKeyInfo
  ),

  'pool.list': method(Empty, z.array(PoolConfig)),
  'pool.config': method(
    z.strictObject({ name: PoolName }),
    z.strictObject({ config: PoolConfig, digest: Digest })
  ),
  'pool.create': method(z.strictObject({ name: PoolName, ...PoolFields }), Void),
  'pool.update': method(
    z.strictObject({
      name: PoolName,
      ...PoolFields,
      delete: z
        .array(z.enum(['allocation', 'retention', 'template', 'encrypt', 'comment']))
        .optional(),
      ...withDigest
    }),
    Void
  ),
  'pool.remove': method(z.strictObject({ name: PoolName, ...withDigest }), Void),
  /** What the next backup into the pool would do: continue or new media set (why), next tape. */
  'pool.preview': method(
    z.strictObject({
      name: PoolName,
      /** the drive whose changer decides which tapes are available; default: the pool's job's */
      drive: DriveName.optional(),
      'force-media-set': z.boolean().optional()
    }),
    z.strictObject({
      pool: z.string(),
      drive: z.string().optional(),
      action: z.enum(['continue', 'new', 'error']),
      /** forced, allocation-always, calendar, no-media-set, key-changed, set-unusable, … */
      cause: z.string().optional(),
      reason: z.string().optional(),
      'current-media-set': z
        .strictObject({
          uuid: z.string(),
          name: z.string(),
          tapes: z.array(z.string()),
          ctime: z.number().int().optional()
        })
        .optional(),
      'media-set-name': z.string().optional(),
      'new-set-after': z.number().int().optional(),
      'next-tape': z
        .strictObject({
          kind: z.enum(['current', 'empty', 'expired', 'free', 'none']),
          'label-text': z.string().optional(),
          'seq-nr': z.number().int().optional(),
          reason: z.string().optional()
        })
        .optional(),
      'next-media-label': z.string().optional(),
      summary: z.string(),
      warnings: z.array(z.string()),
      media: z.array(
        z.strictObject({
          'label-text': z.string(),
          status: z.enum(['writable', 'full', 'unknown', 'damaged', 'retired', 'expired']),
          location: z.string(),
          'media-set-uuid': z.string().optional(),
          'seq-nr': z.number().int().optional(),
          'media-set-name': z.string().optional(),
          'expire-time': z.number().int().optional()
        })
      )
    })
  ),

  'backup-job.list': method(Empty, z.array(BackupJobStatus)),
  'backup-job.config': method(
    z.strictObject({ id: JobId }),
    z.strictObject({ config: BackupJobConfig, digest: Digest })
  ),
  'backup-job.create': method(
    z.strictObject({
      id: JobId,
      store: DatastoreName,
      pool: PoolName,
      drive: DriveName,
      ...BackupJobFields
    }),
    Void
  ),
  'backup-job.update': method(
    z.strictObject({
      id: JobId,
      store: DatastoreName.optional(),
      pool: PoolName.optional(),
      drive: DriveName.optional(),
      ...BackupJobFields,
      delete: z.array(z.enum(BACKUP_JOB_DELETABLE)).optional(),
      ...withDigest
    }),
    Void
  ),
  'backup-job.remove': method(z.strictObject({ id: JobId, ...withDigest }), Void),
  /** Runs the job now (PBS `backup-job run`); the next scheduled run counts from this one. */
  'backup-job.run': method(z.strictObject({ id: JobId }), TaskStarted),

  'datastore.list': method(Empty, z.array(DatastoreConfig)),
  'datastore.config': method(
    z.strictObject({ name: DatastoreName }),
    z.strictObject({ config: DatastoreConfig, digest: Digest })
  ),
  'datastore.add': method(
    z.strictObject({
      name: DatastoreName,
      path: z.string().min(1, 'path must not be empty').max(4096),
      comment: Comment.optional()
    }),
    Void
  ),
  'datastore.remove': method(z.strictObject({ name: DatastoreName, ...withDigest }), Void),
  'datastore.status': method(z.strictObject({ name: DatastoreName }), DatastoreStatus),
  'datastore.scan': method(z.strictObject({ name: DatastoreName }), TaskStarted),
  /** New empty datastore in PBS layout at `path` (created or empty), then registered. */
  'datastore.create': method(
    z.strictObject({
      name: DatastoreName,
      path: z.string().min(1, 'path must not be empty').max(4096),
      comment: Comment.optional()
    }),
    Void
  ),
  'datastore.namespaces': method(z.strictObject({ name: DatastoreName }), z.array(z.string())),
  'datastore.groups': method(
    z.strictObject({ name: DatastoreName, ns: Namespace.optional() }),
    z.array(DatastoreGroup)
  ),
  /** Snapshots in `ns` and the namespaces below it, down to `max-depth` levels. */
  'datastore.snapshots': method(
    z.strictObject({
      name: DatastoreName,
      ns: Namespace.optional(),
      'max-depth': z.number().int().min(0).max(7).optional(),
      'backup-type': BackupType.optional(),
      'backup-id': BackupId.optional()
    }),
    z.array(DatastoreSnapshot)
  ),
  /** Checks every chunk the selected snapshots use; the result is in `datastore.verify-result`. */
  'datastore.verify': method(
    z.strictObject({
      name: DatastoreName,
      ns: Namespace.optional(),
      snapshot: SnapshotName.optional()
    }),
    TaskStarted
  ),
  'datastore.verify-result': method(z.strictObject({ upid: Upid }), VerifyResult),
  /** Writes a deterministic demo datastore at `path` and registers it as `name`. */
  'datastore.demo': method(
    z.strictObject({
      name: DatastoreName,
      path: z.string().min(1, 'path must not be empty').max(4096),
      ...DemoOptions
    }),
    TaskStarted
  ),
  /**
   * `tapedeck demo` as one task: virtual library, pool, labels, demo datastore, backup, restore,
   * verify. `size` small: a few small snapshots, done in well under a minute.
   */
  'demo.run': method(
    z.strictObject({
      dir: z.string().min(1, 'dir must not be empty').max(4096).optional(),
      size: z.enum(['small', 'standard']).optional()
    }),
    TaskStarted
  ),

  'calendar.preview': method(
    z.strictObject({
      event: z.string().min(1).max(256),
      /** ISO 8601 or epoch seconds; default now */
      from: z.union([z.string(), z.number()]).optional(),
      count: z.number().int().min(1).max(1000).optional(),
      /** IANA time zone; default the core's local zone */
      timezone: z.string().optional()
    }),
    z.strictObject({ normalized: z.string(), next: z.array(z.string()) })
  ),
  'timespan.preview': method(
    z.strictObject({ span: z.string().min(1).max(256) }),
    z.strictObject({ seconds: z.number(), normalized: z.string() })
  ),

  /** Barcode label sheets: the SVG pages the preview shows are exactly what the PDF prints. */
  'labels.preview': method(LabelSheetRequest, LabelSheetPreview),
  'labels.pdf': method(LabelSheetRequest, LabelSheetPdf),
  /** The 100 mm square the user prints and measures for `calibration`. */
  'labels.calibration-page': method(CalibrationPageRequest, CalibrationPage),

  /**
   * Take over a PBS host's tape state from its config and state directories (read only): config
   * files, tape keys, inventory, media catalogs, job run state. Never overwrites; `dryRun`
   * reports without changing anything.
   */
  'pbs.import': method(
    z.strictObject({
      configDir: z.string().min(1, 'configDir must not be empty').max(4096),
      stateDir: z.string().min(1, 'stateDir must not be empty').max(4096),
      dryRun: z.boolean().optional()
    }),
    z.strictObject({
      'config-dir': z.string(),
      'state-dir': z.string(),
      'dry-run': z.boolean(),
      items: z.array(
        z.strictObject({
          kind: z.enum([
            'drive',
            'changer',
            'pool',
            'backup-job',
            'key',
            'media',
            'media-set',
            'catalog',
            'job-state'
          ]),
          name: z.string(),
          action: z.enum(['imported', 'present', 'skipped']),
          source: z.string(),
          reason: z.string().optional()
        })
      ),
      notes: z.array(z.string()),
      summary: z.strictObject({ imported: z.number(), present: z.number(), skipped: z.number() })
    })
  ),

  'task.list': method(
    z.strictObject({
      running: z.boolean().optional(),
      start: z.number().int().min(0).optional(),
      limit: z.number().int().min(1).max(1000).optional()
    }),
    z.strictObject({ total: z.number().int(), tasks: z.array(TaskInfo) })
  ),
  'task.status': method(z.strictObject({ upid: Upid }), TaskInfo),
  'task.log': method(
    z.strictObject({
      upid: Upid,
      start: z.number().int().min(0).optional(),
      limit: z.number().int().min(1).max(50_000).optional()
    }),
    z.strictObject({ total: z.number().int(), lines: z.array(TaskLogLine) })
  ),
  'task.stop': method(z.strictObject({ upid: Upid }), Void),

  /** Mail notifications (notifications.json); the SMTP password is never returned. */
  'notify.config': method(Empty, NotificationConfigView),
  'notify.update': method(NotificationUpdate, NotificationConfigView),
  /** Sends a test mail; a delivery failure is the result's `error`, not a thrown error. */
  'notify.test': method(Empty, NotificationTestResult)
} as const

export type ApiMethod = keyof typeof API
export const API_METHODS = Object.keys(API) as ApiMethod[]
export type ApiArgs<M extends ApiMethod> = z.input<(typeof API)[M]['args']>
export type ApiResult<M extends ApiMethod> = z.output<(typeof API)[M]['result']>

// ---------------------------------------------------------------------------------------------
// Events (core → clients)

export const EVENTS = {
  'task.started': TaskInfo,
  'task.progress': z.strictObject({ upid: z.string(), progress: TaskProgress }),
  'task.log': z.strictObject({ upid: z.string(), line: TaskLogLine }),
  'task.finished': TaskInfo,
  'config.changed': z.strictObject({
    file: z.enum(['tape.cfg', 'media-pool.cfg', 'tape-job.cfg', 'datastore.cfg'])
  })
} as const

export type ApiEvent = keyof typeof EVENTS
export type ApiEventPayload<E extends ApiEvent> = z.output<(typeof EVENTS)[E]>

export type DriveConfig = z.output<typeof DriveConfig>
export type ChangerConfig = z.output<typeof ChangerConfig>
export type PoolConfig = z.output<typeof PoolConfig>
export type TapeKeyInfo = z.output<typeof TapeKeyInfo>
export type DatastoreConfig = z.output<typeof DatastoreConfig>
export type BackupJobConfig = z.output<typeof BackupJobConfig>
export type BackupJobStatus = z.output<typeof BackupJobStatus>
export type DatastoreStatus = z.output<typeof DatastoreStatus>
export type DatastoreScan = z.output<typeof DatastoreScan>
export type DatastoreGroup = z.output<typeof DatastoreGroup>
export type DatastoreSnapshot = z.output<typeof DatastoreSnapshot>
export type VerifyResult = z.output<typeof VerifyResult>
export type TaskInfo = z.output<typeof TaskInfo>
export type ChangerStatusEntry = z.output<typeof ChangerStatusEntry>
export type ScannedDrive = z.output<typeof ScannedDrive>
export type ScannedChanger = z.output<typeof ScannedChanger>
export type DeviceScan = z.output<typeof DeviceScan>
export type MediaLabelInfo = z.output<typeof MediaLabelInfo>
export type DriveStatusInfo = z.output<typeof DriveStatusInfo>
export type VolumeStatisticsInfo = z.output<typeof VolumeStatisticsInfo>
export type CartridgeMemoryEntry = z.output<typeof CartridgeMemoryEntry>
export type TapeAlertFlagInfo = z.output<typeof TapeAlertFlagInfo>
export type InventoryEntry = z.output<typeof InventoryEntry>
export type TaskProgress = z.output<typeof TaskProgress>
export type TaskLogLine = z.output<typeof TaskLogLine>
export type TaskState = z.output<typeof TaskState>
export type {
  LabelCalibration,
  LabelLayoutOptions,
  LabelMode,
  LabelPaper,
  LabelSheetPdf,
  LabelSheetPreview,
  LabelSheetRequest,
  LabelSource
} from '../labels/schema'

/** The wire envelope used by the WebSocket and IPC transports. */
export type RpcRequest = { id: number; method: string; args: unknown }
export type RpcResponse =
  { id: number; result: unknown } | { id: number; error: { code: string; message: string } }
export type RpcEvent = { event: ApiEvent; payload: unknown }
