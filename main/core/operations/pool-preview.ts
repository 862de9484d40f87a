/**
 * `pool.preview` and the backup-job list's `next-media-label`: media/next-media.ts on the
 * inventory as it is now (the changer is not asked; the inventory's locations are used). Reads
 * only.
 */
import type { ApiArgs, ApiResult, BackupJobStatus, PoolConfig } from '../api/contract'
import { driveChangerName } from '../config/devices'
import { toMediaRecord } from '../jobs/backup/media-records'
import { Inventory } from '../media/inventory'
import type { DriveContext, MediaRecord, PoolPolicy } from '../media/media-state'
import { type NextMediaPreview, poolTapes, previewNextMedia } from '../media/next-media'
import type { CoreServices } from '../tapedeck'

type PoolPreview = ApiResult<'pool.preview'>

const policyOf = (pool: PoolConfig): PoolPolicy => ({
  name: pool.name,
  allocation: pool.allocation,
  retention: pool.retention,
  template: pool.template,
  encrypt: pool.encrypt
})

const nowSeconds = () => Math.floor(Date.now() / 1000)

async function mediaRecords(core: CoreServices): Promise<MediaRecord[]> {
  return (await new Inventory(core.db).list()).map(toMediaRecord)
}

/** The drive context of drive `name` (undefined: no such drive). */
async function driveContext(core: CoreServices, name: string): Promise<DriveContext | undefined> {
  const drive = (await core.config.devices.listDrives()).find((d) => d.name === name)
  if (drive === undefined) return undefined
  const changer = driveChangerName(drive)
  return changer !== undefined ? { changer } : {}
}

function toApi(p: NextMediaPreview): Omit<PoolPreview, 'media' | 'drive'> {
  const result: Omit<PoolPreview, 'media' | 'drive'> = {
    pool: p.pool,
    action: p.action,
    summary: p.summary,
    warnings: p.warnings
  }
  if (p.cause !== undefined) result.cause = p.cause
  if (p.reason !== undefined) result.reason = p.reason
  if (p.currentSet !== undefined) {
    result['current-media-set'] = {
      uuid: p.currentSet.uuid,
      name: p.currentSet.name,
      tapes: p.currentSet.tapes,
      ...(p.currentSet.ctime !== undefined ? { ctime: p.currentSet.ctime } : {})
    }
  }
  if (p.mediaSetName !== undefined) result['media-set-name'] = p.mediaSetName
  if (p.newSetAfter !== undefined) result['new-set-after'] = p.newSetAfter
  if (p.nextTape !== undefined) {
    const t = p.nextTape
    result['next-tape'] = {
      kind: t.kind,
      ...(t.labelText !== undefined ? { 'label-text': t.labelText } : {}),
      ...(t.seqNr !== undefined ? { 'seq-nr': t.seqNr } : {}),
      ...(t.reason !== undefined ? { reason: t.reason } : {})
    }
    if (t.labelText !== undefined) result['next-media-label'] = t.labelText
  }
  return result
}

/**
 * What the next backup into pool `name` would do. The drive decides which tapes count as
 * available: `drive`, else the drive of the first backup job of the pool, else any drive (online
 * and offline tapes count, vaults not — as `media list` does).
 */
export async function poolPreview(
  core: CoreServices,
  args: ApiArgs<'pool.preview'>
): Promise<PoolPreview> {
  const { config: pool } = await core.config.pools.get(args.name)
  let driveName = args.drive
  if (driveName === undefined) {
    const jobs = await core.config.backupJobs.configs()
    driveName = jobs
      .filter((j) => j.pool === pool.name)
      .sort((a, b) => a.id.localeCompare(b.id))[0]?.drive
  }
  let drive: DriveContext = { forceAvailability: true }
  if (driveName !== undefined) {
    const ctx = await driveContext(core, driveName)
    if (ctx !== undefined) drive = ctx
    else if (args.drive !== undefined) throw new Error(`drive '${driveName}' does not exist`)
    else driveName = undefined
  }
  const all = await mediaRecords(core)
  const now = nowSeconds()
  const policy = policyOf(pool)
  const preview = previewNextMedia(policy, all, drive, now, {
    forceMediaSet: args['force-media-set']
  })
  return {
    ...toApi(preview),
    ...(driveName !== undefined ? { drive: driveName } : {}),
    media: poolTapes(policy, all, now).map((v) => ({
      'label-text': v.media.labelText,
      status: v.displayStatus,
      location: v.media.location ?? 'offline',
      ...(v.media.mediaSet ? { 'media-set-uuid': v.media.mediaSet.uuid } : {}),
      ...(v.media.mediaSet ? { 'seq-nr': v.media.mediaSet.seqNr } : {}),
      ...(v.mediaSetName !== undefined ? { 'media-set-name': v.mediaSetName } : {}),
      ...(v.expireTime !== undefined ? { 'expire-time': v.expireTime } : {})
    }))
  }
}

/** The job list with each job's `next-media-label` (PBS: the tape the next run writes first). */
export async function withNextMediaLabels(
  core: CoreServices,
  jobs: BackupJobStatus[]
): Promise<BackupJobStatus[]> {
  if (jobs.length === 0) return jobs
  const pools = new Map((await core.config.pools.list()).map((p) => [p.name, p]))
  const drives = new Map((await core.config.devices.listDrives()).map((d) => [d.name, d]))
  const all = await mediaRecords(core)
  const now = nowSeconds()
  return jobs.map((job) => {
    const pool = pools.get(job.pool)
    const drive = drives.get(job.drive)
    if (pool === undefined || drive === undefined) return job
    const changer = driveChangerName(drive)
    const ctx: DriveContext = changer !== undefined ? { changer } : {}
    const label = previewNextMedia(policyOf(pool), all, ctx, now).nextTape?.labelText
    return label !== undefined ? { ...job, 'next-media-label': label } : job
  })
}
