/**
 * The Electron-free core: open a home, get everything the transports need. The Electron shell,
 * serve mode, the CLI and the tests all start here.
 */
import { join } from 'node:path'
import { createHandlers } from './api/handlers'
import { Router } from './api/router'
import type { KeySealer } from './crypto/key-sealer'
import { BackupJobConfigService } from './config/backup-jobs'
import { openConfigFiles, watchConfigFiles } from './config/files'
import { DatastoreConfigService } from './config/datastores'
import { DeviceConfig } from './config/devices'
import { PoolConfigService } from './config/pools'
import { openDatabase, type Db } from './db/connection'
import { ensureHome } from './home'
import { EventBus } from './jobs/events'
import { JobStateStore, taskLookupOf } from './jobs/job-state'
import type { RunJob } from './jobs/scheduler'
import { TaskRunner } from './jobs/task-runner'
import { runBackupJob } from './jobs/backup/backup'
import { DatastoreOperations } from './operations/datastore-operations'
import { DriveOperations } from './operations/drive-operations'
import { Notifier } from './notify/notifier'
import { VERSION } from './version'

/** What the API handlers work with. */
export interface CoreServices {
  readonly version: string
  readonly home: string
  readonly db: Db
  readonly tasks: TaskRunner
  readonly config: {
    devices: DeviceConfig
    pools: PoolConfigService
    datastores: DatastoreConfigService
    /** tape-job.cfg, with the jobs' run state */
    backupJobs: BackupJobConfigService
  }
  /** Mail notifications; never throws into a job (see Notifier). */
  readonly notifier: Notifier
  /** Seals plain tape keys to the desktop session; only the desktop app has one. */
  readonly keySealer?: KeySealer
}

/** Services built on the basic ones. */
export interface CoreOperations extends CoreServices {
  readonly drives: DriveOperations
  readonly datastores: DatastoreOperations
  /** Starts a tape backup job as a task; hosts run the scheduler with it (jobs/scheduler.ts). */
  readonly runBackupJob: RunJob
}

export interface Tapedeck extends CoreOperations {
  readonly events: EventBus
  readonly api: Router
  /**
   * For long-lived hosts (app, serve): turn changes made by other processes — config edits, tasks
   * — into events, so every window stays current. Returns a stop function.
   */
  watchOtherProcesses(): () => void
  close(): Promise<void>
}

export async function openTapedeck(options: {
  home: string
  keySealer?: KeySealer
}): Promise<Tapedeck> {
  const home = options.home
  await ensureHome(home)
  const events = new EventBus()
  const files = openConfigFiles(home, (file) => events.emit('config.changed', { file }))
  const db = await openDatabase(join(home, 'tapedeck.db'))
  const tasks = new TaskRunner(db, events)
  await tasks.reapOrphans()

  const services: CoreServices = {
    version: VERSION,
    home,
    db,
    tasks,
    config: {
      devices: new DeviceConfig(files.tape),
      pools: new PoolConfigService(files.pools, files.jobs),
      datastores: new DatastoreConfigService(files.datastores, files.jobs),
      backupJobs: new BackupJobConfigService(
        files.jobs,
        { tape: files.tape, pools: files.pools, datastores: files.datastores },
        new JobStateStore(db, taskLookupOf(tasks))
      )
    },
    notifier: new Notifier(home),
    keySealer: options.keySealer
  }
  const operations: CoreOperations = {
    ...services,
    drives: new DriveOperations(services),
    datastores: new DatastoreOperations(services),
    runBackupJob: (jobId) => runBackupJob(services, jobId)
  }
  return {
    ...operations,
    events,
    api: new Router(createHandlers(operations)),
    watchOtherProcesses() {
      const stopTasks = tasks.watchOtherProcesses()
      const stopConfig = watchConfigFiles(home, (file) => events.emit('config.changed', { file }))
      return () => {
        stopTasks()
        stopConfig()
      }
    },
    async close() {
      await tasks.shutdown()
      await db.destroy()
    }
  }
}
