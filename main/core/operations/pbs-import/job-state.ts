/**
 * The last run of each tape backup job (`jobstates/tape-backup-job-<id>.json`,
 * src/server/jobstate.rs), so the imported schedule counts from the PBS host's last run instead
 * of from the import. Only a finished run maps cleanly (its task ended, with a status); a job
 * that was created but never ran, or whose run was still going, keeps this home's own state.
 *
 * The file is serde's external tagging of `JobState` (kebab-case) holding a `TaskState`:
 *   {"finished":{"upid":"UPID:…","state":{"OK":{"endtime":…}},"updated":null}}
 *
 * `updated` is when the job's schedule was changed after that run (`update_job_last_run_time`,
 * called by the tape job config update). PBS's scheduler counts the next run from it instead of
 * from the run's start (`last_run_time`), so it is taken over too: the next run here is the one
 * PBS would have started.
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import type { JobStateStore } from '../../jobs/job-state'
import { parseUpid } from '../../jobs/upid'
import { readSource, type ImportLog } from './report'

const PREFIX = 'tape-backup-job-'

const End = z.object({ endtime: z.number().int() })
const TaskState = z.union([
  z.object({ OK: End }),
  z.object({ Warning: End.extend({ count: z.number().int() }) }),
  z.object({ Error: End.extend({ message: z.string() }) }),
  z.object({ Unknown: End })
])
const JobStateFile = z.union([
  z.object({ created: z.object({ time: z.number().int() }) }),
  z.object({ started: z.object({ upid: z.string() }) }),
  z.object({
    finished: z.object({
      upid: z.string(),
      state: TaskState,
      updated: z.number().int().nullable().optional()
    })
  })
])

/** PBS's text of a task state (`TaskState` Display). */
function statusText(state: z.output<typeof TaskState>): { status: string; endtime: number } {
  if ('OK' in state) return { status: 'OK', endtime: state.OK.endtime }
  if ('Warning' in state) {
    return { status: `WARNINGS: ${state.Warning.count}`, endtime: state.Warning.endtime }
  }
  if ('Error' in state) return { status: state.Error.message, endtime: state.Error.endtime }
  return { status: 'unknown', endtime: state.Unknown.endtime }
}

export async function importJobStates(
  states: JobStateStore,
  jobIds: Set<string>,
  stateDir: string,
  dryRun: boolean,
  log: ImportLog
): Promise<void> {
  const dir = join(stateDir, 'jobstates')
  let names: string[]
  try {
    names = (await readdir(dir)).filter((n) => n.startsWith(PREFIX) && n.endsWith('.json'))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    log.note(`${dir} does not exist; no job run state to import`)
    return
  }
  for (const name of names.sort()) {
    const source = join(dir, name)
    const jobId = name.slice(PREFIX.length, -'.json'.length)
    const item = { kind: 'job-state' as const, name: jobId, source }
    const skip = (reason: string) => log.add({ ...item, action: 'skipped', reason })
    if (!jobIds.has(jobId)) {
      skip(`no tape backup job '${jobId}' here`)
      continue
    }
    let parsed
    try {
      parsed = JobStateFile.parse(JSON.parse((await readSource(source))?.toString('utf8') ?? ''))
    } catch {
      skip('not a PBS job state file')
      continue
    }
    if (!('finished' in parsed)) {
      skip(`the job's state is '${Object.keys(parsed)[0]}', only a finished run is taken over`)
      continue
    }
    const { upid, state, updated } = parsed.finished
    let starttime: number
    try {
      starttime = parseUpid(upid).starttime
    } catch (err) {
      skip((err as Error).message)
      continue
    }
    const run = { upid, starttime, ...statusText(state), updated: updated ?? undefined }
    const adopted = dryRun
      ? (await states.load(jobId)).run.state === 'created'
      : await states.adoptFinishedRun(jobId, run)
    log.add(
      adopted
        ? { ...item, action: 'imported', reason: `last run ${run.status}` }
        : { ...item, action: 'present', reason: 'this home has a run of the job already' }
    )
  }
}
