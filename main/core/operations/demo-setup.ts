/**
 * The embedded default in one go (`tapedeck demo`, the Dashboard's "Run the demo", API
 * `demo.run`): a virtual library 'demo', a media pool 'demo', its tapes labeled, a demo datastore
 * 'demo', a backup of it, a restore of the media set into a new datastore 'demo-restore', and a
 * verification of that. Each step is an ordinary task; the caller decides how to follow them
 * (the CLI prints their logs, `demo.run` runs everything inside one 'demo' task).
 */
import { join } from 'node:path'
import type { ApiArgs, TaskInfo } from '../api/contract'
import { ApiError } from '../api/errors'
import { backup } from '../jobs/backup/backup'
import { restore } from '../jobs/restore/restore'
import type { TaskContext } from '../jobs/task-runner'
import { mediaContent } from '../media/media-content'
import type { CoreOperations } from '../tapedeck'
import { createLibrary } from './virtual-library'

const MiB = 1024 * 1024

export type DemoSize = 'small' | 'standard'

export interface DemoSetupOptions {
  /** Where the library and the datastores go (default <home>/demo). */
  dir?: string
  /**
   * standard: 12 snapshots in namespaces, a backup that spans two 48 MiB tapes (a few minutes);
   * small: 4 snapshots of small disks on one tape (well under a minute).
   */
  size?: DemoSize
}

export interface DemoHooks {
  /** A step begins. */
  step(text: string): void
  /** Follow a started task to its end and return its final state (the demo checks it). */
  follow(started: Promise<{ upid: string }>): Promise<TaskInfo>
  /** Throws when the demo should stop. */
  checkAbort?(): void
}

export interface DemoSummary {
  mediaSet: string
  snapshots: number
  tapes: string[]
  /** Chunks and bytes the verification of the restored datastore checked. */
  chunks: number
  bytes: number
}

/** Number of steps DemoHooks.step announces (for progress). */
export const DEMO_STEPS = 6

const SIZES: Record<
  DemoSize,
  { library: ApiArgs<'vlib.create'>; data: ApiArgs<'datastore.demo'> }
> = {
  standard: {
    library: {
      name: 'demo',
      path: '',
      drives: 1,
      slots: 12,
      'import-export': 2,
      tapes: 8,
      'tape-size': 48 * MiB,
      cleaning: 1
    },
    data: { name: 'demo', path: '', namespaces: true }
  },
  small: {
    library: {
      name: 'demo',
      path: '',
      drives: 1,
      slots: 8,
      'import-export': 2,
      tapes: 4,
      'tape-size': 48 * MiB,
      cleaning: 1
    },
    data: {
      name: 'demo',
      path: '',
      vms: 1,
      cts: 1,
      hosts: 0,
      snapshots: 2,
      'disk-size': 8 * MiB,
      namespaces: true
    }
  }
}

/** Refuses when the demo already ran in this home (its datastores exist). */
export async function checkDemoFree(core: CoreOperations): Promise<void> {
  const taken = new Set((await core.config.datastores.list()).map((d) => d.name))
  if (taken.has('demo') || taken.has('demo-restore')) {
    throw new ApiError(
      'conflict',
      "the demo is already set up in this home (datastore 'demo'); use another home to run it again"
    )
  }
}

const succeeded = (info: TaskInfo, what: string): TaskInfo => {
  if (info.state === 'error' || info.state === 'aborted') {
    throw new Error(`${what} failed: ${info.status ?? info.state} (task ${info.upid})`)
  }
  return info
}

/** Runs the whole demo; throws at the first step that fails. */
export async function runDemoSetup(
  core: CoreOperations,
  options: DemoSetupOptions,
  hooks: DemoHooks
): Promise<DemoSummary> {
  const dir = options.dir ?? join(core.home, 'demo')
  const size = SIZES[options.size ?? 'standard']
  const check = () => hooks.checkAbort?.()
  await checkDemoFree(core)

  const lib = { ...size.library, path: join(dir, 'library') }
  hooks.step(
    `virtual library 'demo' in ${lib.path}: 1 drive, ${lib.tapes} tapes of ${(lib['tape-size'] ?? 0) / MiB} MiB`
  )
  await createLibrary(core, lib)
  if (!(await core.config.pools.list()).some((p) => p.name === 'demo')) {
    await core.config.pools.create({ name: 'demo', comment: 'tapedeck demo' })
  }
  check()
  hooks.step("labelling the tapes for media pool 'demo'")
  succeeded(await hooks.follow(core.drives.barcodeLabel('demo-0', 'demo')), 'labelling the tapes')
  check()

  const data = { ...size.data, path: join(dir, 'datastore') }
  hooks.step(`demo datastore 'demo' in ${data.path}`)
  succeeded(await hooks.follow(core.datastores.demo(data)), 'writing the demo datastore')
  check()

  hooks.step("backup of datastore 'demo' to media pool 'demo'")
  const backedUp = succeeded(
    await hooks.follow(backup(core, { store: 'demo', pool: 'demo', drive: 'demo-0' })),
    'the backup'
  )
  const content = await mediaContent(core, { pool: 'demo' })
  const mediaSet = content[0]?.['media-set-uuid']
  if (!mediaSet) throw new Error(`the backup wrote nothing (task ${backedUp.upid})`)
  check()

  hooks.step(`restore of media set ${mediaSet} into a new datastore 'demo-restore'`)
  await core.datastores.create({ name: 'demo-restore', path: join(dir, 'restore') })
  succeeded(
    await hooks.follow(
      restore(core, { 'media-set': mediaSet, store: 'demo=demo-restore', drive: 'demo-0' })
    ),
    'the restore'
  )
  check()

  hooks.step("verification of datastore 'demo-restore'")
  const verified = await hooks.follow(core.datastores.verify({ name: 'demo-restore' }))
  const result = await core.datastores.verifyResult(verified.upid)
  if (!result.ok) throw new Error('the restored datastore did not verify; see the task log')

  return {
    mediaSet,
    snapshots: content.length,
    tapes: [...new Set(content.map((c) => c['label-text']))],
    chunks: result.chunks,
    bytes: result.bytes
  }
}

/** Waits for a task of this process; asks it to stop when `signal` fires. */
async function followInside(
  core: CoreOperations,
  ctx: TaskContext,
  started: Promise<{ upid: string }>
): Promise<TaskInfo> {
  const { upid } = await started
  ctx.log(`started task ${upid}`)
  const stop = () => void core.tasks.stop(upid).catch(() => undefined)
  ctx.signal.addEventListener('abort', stop)
  try {
    const info = await core.tasks.wait(upid)
    ctx.log(`task ${info.worker_type}: ${info.status ?? info.state}`)
    return info
  } finally {
    ctx.signal.removeEventListener('abort', stop)
  }
}

/** The `demo.run` API method: the whole demo as one task ('demo') whose steps are tasks too. */
export async function startDemoSetup(
  core: CoreOperations,
  options: DemoSetupOptions
): Promise<{ upid: string }> {
  await checkDemoFree(core)
  const upid = await core.tasks.start(
    { type: 'demo', id: options.size ?? 'standard' },
    async (ctx) => {
      let step = 0
      const summary = await runDemoSetup(core, options, {
        step: (text) => {
          ctx.log(`== ${text}`)
          ctx.progress({ done: step++, total: DEMO_STEPS, unit: 'items', message: text })
        },
        follow: (started) => followInside(core, ctx, started),
        checkAbort: () => ctx.checkAbort()
      })
      ctx.progress({ done: DEMO_STEPS, total: DEMO_STEPS, unit: 'items', message: 'done' })
      ctx.log(
        `backed up ${summary.snapshots} snapshots to ${summary.tapes.length} tapes (${summary.tapes.join(', ')}), ` +
          `restored them into 'demo-restore' and verified ${summary.chunks} chunks (${summary.bytes} bytes)`
      )
    }
  )
  return { upid }
}
