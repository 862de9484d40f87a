/**
 * `pbs-import`: take over a PBS host's tape state — from its config directory
 * (/etc/proxmox-backup: tape.cfg, media-pool.cfg, tape-job.cfg, the tape key files) and its state
 * directory (/var/lib/proxmox-backup: tape/inventory.json, tape/<uuid>.log, jobstates/) — so that
 * the media sets it wrote can be listed and restored here before any tape is read.
 *
 * The source directories are only read. Nothing here is overwritten: what exists differently is
 * skipped with the reason, what exists the same is reported as present, so running it again
 * imports nothing new. Order matters: keys before the pools that name them, tapes before their
 * catalogs, jobs before their run state.
 */
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { invalidArgument } from '../../api/errors'
import { TapeKeyStore } from '../../crypto/tape-keys'
import { JobStateStore, taskLookupOf } from '../../jobs/job-state'
import type { CoreServices } from '../../tapedeck'
import { importCatalogs } from './catalogs'
import { importConfigFiles } from './config-files'
import { importInventory } from './inventory'
import { importJobStates } from './job-state'
import { importKeys } from './keys'
import { ImportLog, type PbsImportReport } from './report'

export type * from './report'

export const DEFAULT_CONFIG_DIR = '/etc/proxmox-backup'
export const DEFAULT_STATE_DIR = '/var/lib/proxmox-backup'

async function existingDir(path: string, what: string): Promise<string> {
  const full = resolve(path)
  const info = await stat(full).catch(() => undefined)
  if (!info?.isDirectory()) throw invalidArgument(`${what} ${full} is not a directory`)
  return full
}

export async function pbsImport(
  core: CoreServices,
  options: { configDir: string; stateDir: string; dryRun?: boolean }
): Promise<PbsImportReport> {
  const configDir = await existingDir(options.configDir, 'PBS config directory')
  const stateDir = await existingDir(options.stateDir, 'PBS state directory')
  const dryRun = options.dryRun === true
  const log = new ImportLog()

  await importKeys(new TapeKeyStore(core.home, core.keySealer), configDir, dryRun, log)
  await importConfigFiles(core.home, configDir, dryRun, log)
  const tapes = await importInventory(core.db, stateDir, dryRun, log)
  await importCatalogs(core.db, stateDir, tapes, dryRun, log)
  const jobs = new Set((await core.config.backupJobs.list()).map((j) => j.id))
  // In a dry run the jobs are not in tape-job.cfg yet; their state would be taken with them.
  for (const item of log.items)
    if (item.kind === 'backup-job' && item.action === 'imported') jobs.add(item.name)
  await importJobStates(
    new JobStateStore(core.db, taskLookupOf(core.tasks)),
    jobs,
    stateDir,
    dryRun,
    log
  )

  const count = (action: string) => log.items.filter((i) => i.action === action).length
  return {
    'config-dir': configDir,
    'state-dir': stateDir,
    'dry-run': dryRun,
    items: log.items,
    notes: log.notes,
    summary: { imported: count('imported'), present: count('present'), skipped: count('skipped') }
  }
}
