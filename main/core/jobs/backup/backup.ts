/**
 * A tape backup (PBS `backup` / backup job, pbs-tape.md §5): datastore snapshots into a media
 * pool's current media set, skipping what the set already holds, chunks deduplicated across the
 * set, a catalog archive at the end; then optionally eject or export the set.
 */
import type { ApiArgs, PoolConfig } from '../../api/contract'
import { ApiError, invalidArgument } from '../../api/errors'
import { checkGroupFilter } from '../../config/group-filter'
import { runDriveTask } from '../../operations/drive-task'
import { Datastore } from '../../datastore/datastore'
import { formatNamespace, parseNamespace, snapshotName } from '../../datastore/layout'
import { CatalogStore } from '../../media/catalog-store'
import { Inventory } from '../../media/inventory'
import { startWriteSession } from '../../media/pool-logic'
import {
  changerStatus,
  exportByLabel,
  onlineLabels,
  unloadDrive
} from '../../operations/changer-logic'
import type { DriveHandle } from '../../operations/devices'
import { poolEncryption, tapeKeys } from '../../operations/tape-encryption'
import type { CoreServices } from '../../tapedeck'
import { acquireFileLock } from '../../util/file-lock'
import type { TaskContext } from '../task-runner'
import { newChunks } from './chunk-source'
import { toMediaRecord } from './media-records'
import { PoolWriter } from './pool-writer'
import { selectSnapshots } from './snapshot-selection'
import { join } from 'node:path'

export interface BackupOptions {
  store: string
  pool: string
  ns?: string
  maxDepth?: number
  groupFilters?: string[]
  latestOnly?: boolean
  ejectMedia?: boolean
  exportMediaSet?: boolean
  forceMediaSet?: boolean
  /** Parallel chunk readers (PBS worker-threads); default 4. */
  readers?: number
  /** Test hook: milliseconds between polls while waiting for a tape. */
  pollMs?: number
  onTapeRequest?: (request: { label: string; drive: string; reason: string }) => void
  /** Filled while running, so a failure can still report what was written. */
  progress?: Partial<BackupSummary>
}

export interface BackupSummary {
  mediaSet: string
  snapshots: string[]
  skipped: number
  failed: string[]
  usedTapes: string[]
  chunks: number
  bytes: number
}

export async function runBackup(
  core: CoreServices,
  handle: DriveHandle,
  options: BackupOptions,
  ctx: TaskContext
): Promise<BackupSummary> {
  const { config: pool } = await core.config.pools.get(options.pool)
  // An encrypted pool without its key fails here, before any tape is touched.
  const encryption = await poolEncryption(tapeKeys(core), pool.name, pool.encrypt)
  const { config: storeConfig } = await core.config.datastores.get(options.store)
  const store = await Datastore.open(storeConfig.path)
  const inventory = new Inventory(core.db)
  const catalog = new CatalogStore(core.db)

  // One writer per pool at a time (PBS pool lock), across processes.
  const poolLock = await acquireFileLock(join(core.home, `.pool-${pool.name}.lock`), {
    timeoutMs: 0,
    purpose: ctx.upid
  }).catch((err: Error) => {
    throw new Error(`media pool '${pool.name}' is in use: ${err.message}`, { cause: err })
  })
  try {
    if (handle.changer) {
      const status = await changerStatus(handle.changer)
      await inventory.updateOnline(handle.changer.name, onlineLabels(status))
    }
    const records = (await inventory.list()).map(toMediaRecord)
    const session = startWriteSession(
      policyOf(pool),
      records,
      handle.changer ? { changer: handle.changer.name } : {},
      Math.floor(Date.now() / 1000),
      { forceMediaSet: options.forceMediaSet }
    )
    for (const warning of session.warnings) ctx.warn(warning)
    if (session.newMediaSet) ctx.log(`starting new media set - reason: ${session.reason}`)
    ctx.log(`media set uuid: ${session.mediaSetUuid}`)

    const ns = parseNamespace(options.ns ?? '')
    const groups = await selectSnapshots(
      store,
      {
        ns,
        maxDepth: options.maxDepth,
        groupFilters: options.groupFilters,
        latestOnly: options.latestOnly
      },
      (line) => ctx.log(line)
    )
    const namespaces = groups.some((g) => g.group.ns.length > 0)
    const writer = await PoolWriter.open({
      drive: handle,
      policy: policyOf(pool),
      session,
      inventory,
      catalog,
      ctx,
      namespaces,
      encryption,
      pollMs: options.pollMs,
      onTapeRequest: options.onTapeRequest
    })

    const total = groups.reduce((n, g) => n + g.snapshots.length, 0)
    const summary: BackupSummary = {
      mediaSet: session.mediaSetUuid,
      snapshots: [],
      skipped: 0,
      failed: [],
      usedTapes: writer.usedTapes,
      chunks: 0,
      bytes: 0
    }
    options.progress = summary
    let done = 0
    try {
      for (const [g, { group, snapshots }] of groups.entries()) {
        for (const info of snapshots) {
          ctx.checkAbort()
          const name = snapshotName(info)
          done++
          if (await writer.snapshotInSet(options.store, name)) {
            ctx.log(`skip snapshot ${name} (already in the media set)`)
            summary.skipped++
            continue
          }
          if (info.error || !info.manifest) {
            ctx.warn(`cannot back up snapshot ${name}: ${info.error ?? 'no manifest'}`)
            summary.failed.push(name)
            continue
          }
          ctx.log(`backup snapshot ${name}`)
          const source = newChunks(store, info, (d) => writer.hasChunk(d), {
            readers: options.readers,
            signal: ctx.signal
          })
          summary.chunks += await writer.writeChunks(options.store, source, (bytes) => {
            summary.bytes += bytes
            ctx.progress({
              done: summary.bytes,
              unit: 'bytes',
              message: `snapshot ${done} of ${total} (group ${g + 1}/${groups.length} ${group.type}/${group.id}), tape ${writer.currentTape ?? '-'}`
            })
          })
          await writer.writeSnapshot(options.store, store, info)
          summary.snapshots.push(name)
          ctx.log(
            `percentage done: ${((done / Math.max(total, 1)) * 100).toFixed(2)}% (${done}/${total} snapshots)`
          )
        }
      }
    } catch (err) {
      // Keep what is complete on tape: the next job continues after it instead of redoing it.
      await writer.commit().catch((e: Error) => ctx.warn(`could not commit: ${e.message}`))
      throw err
    }
    if (summary.snapshots.length > 0) {
      await writer.writeCatalog()
      // Build the set's chunk lookup now, so a restore plan does not wait for it later.
      await catalog.indexMediaSet(session.mediaSetUuid)
    } else ctx.log('no new snapshots: nothing written')

    await finishMedia(handle, writer, inventory, options, ctx)
    ctx.log(
      `backup of datastore '${options.store}'${ns.length ? ` namespace '${formatNamespace(ns)}'` : ''} to media set ${session.mediaSetUuid}: ${summary.snapshots.length} snapshots written, ${summary.skipped} skipped, ${summary.chunks} chunks (${summary.bytes} bytes), tapes ${summary.usedTapes.join(', ') || '-'}`
    )
    if (summary.failed.length > 0) {
      throw new Error(
        `Tape backup finished with some errors: could not back up ${summary.failed.join(', ')}`
      )
    }
    return summary
  } finally {
    await poolLock.release()
  }
}

function policyOf(pool: PoolConfig) {
  return {
    name: pool.name,
    allocation: pool.allocation,
    retention: pool.retention,
    template: pool.template,
    encrypt: pool.encrypt
  }
}

/** `--eject-media` / `--export-media-set` after a successful backup. */
async function finishMedia(
  handle: DriveHandle,
  writer: PoolWriter,
  inventory: Inventory,
  options: BackupOptions,
  ctx: TaskContext
): Promise<void> {
  const log = (line: string) => ctx.log(line)
  if (options.exportMediaSet) {
    if (!handle.changer) {
      log('standalone drive: ejecting the tape instead of exporting the media set')
      await handle.driver.eject()
      return
    }
    const labels = (await inventory.list())
      .filter((m) => m['media-set-uuid'] === writer.mediaSetUuid)
      .sort((a, b) => (a['seq-nr'] ?? 0) - (b['seq-nr'] ?? 0))
      .map((m) => m['label-text'])
    if (writer.currentTape)
      await unloadDrive(handle.changer, handle.changer.driveNumber, undefined, log)
    for (const label of labels) {
      try {
        await exportByLabel(handle.changer, label, log)
      } catch (err) {
        ctx.warn(`could not export '${label}': ${(err as Error).message}`)
      }
    }
  } else if (options.ejectMedia && writer.currentTape) {
    if (handle.changer)
      await unloadDrive(handle.changer, handle.changer.driveNumber, undefined, log)
    else await handle.driver.eject()
  }
}

/** The `tape.backup` API method: checks the filters, locks the drive, runs the backup as a task. */
export function backup(
  core: CoreServices,
  args: ApiArgs<'tape.backup'>,
  jobId?: string
): Promise<{ upid: string }> {
  for (const filter of args['group-filter'] ?? []) {
    const problem = checkGroupFilter(filter)
    if (problem) throw invalidArgument(problem)
  }
  const options: BackupOptions = {
    store: args.store,
    pool: args.pool,
    ns: args.ns,
    maxDepth: args['max-depth'],
    groupFilters: args['group-filter'],
    latestOnly: args['latest-only'],
    ejectMedia: args['eject-media'],
    exportMediaSet: args['export-media-set'],
    forceMediaSet: args['force-media-set'],
    readers: args['worker-threads'],
    onTapeRequest: (request) =>
      void core.notifier.tapeRequest({
        label: request.label,
        device: { kind: 'drive', name: request.drive },
        reason: request.reason
      })
  }
  const id = `${args.store}:${args.pool}:${args.drive}`
  return runDriveTask(
    core,
    jobId ? 'tape-backup-job' : 'tape-backup',
    args.drive,
    async (ctx, handle) => {
      const started = Date.now()
      const report = (summary: Partial<BackupSummary>, error?: string) =>
        core.notifier.backupFinished(
          {
            id: jobId,
            store: args.store,
            pool: args.pool,
            drive: args.drive,
            snapshots: summary.snapshots ?? [],
            usedTapes: summary.usedTapes ?? [],
            duration: Math.round((Date.now() - started) / 1000),
            error
          },
          ctx
        )
      let summary: BackupSummary
      try {
        summary = await runBackup(core, handle, options, ctx)
      } catch (err) {
        await report(options.progress ?? {}, (err as Error).message)
        throw err
      }
      await report(summary)
    },
    jobId ? `${id}:${jobId}` : id
  )
}

/** Runs backup job `jobId` from tape-job.cfg (by hand or from the scheduler). */
export async function runBackupJob(core: CoreServices, jobId: string): Promise<string> {
  const { config: job } = await core.config.backupJobs.get(jobId)
  const { run } = await core.config.backupJobs.state.load(jobId)
  if (run.state === 'started' && run.upid) {
    throw new ApiError('busy', `backup job '${jobId}' is already running (task ${run.upid})`)
  }
  const { upid } = await backup(
    core,
    {
      store: job.store,
      pool: job.pool,
      drive: job.drive,
      ns: job.ns,
      'max-depth': job['max-depth'],
      'group-filter': job['group-filter'],
      'latest-only': job['latest-only'],
      'eject-media': job['eject-media'],
      'export-media-set': job['export-media-set'],
      'worker-threads': job['worker-threads']
    },
    jobId
  )
  await core.config.backupJobs.state.recordStart(jobId, upid)
  return upid
}
