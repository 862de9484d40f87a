/**
 * `tapedeck backup-job …` (PBS `proxmox-tape backup-job`) and `tapedeck scheduler`, the
 * foreground scheduler for servers without the app.
 */
import type { Command } from 'commander'
import type { ApiArgs, BackupJobStatus } from '../../core/api/contract'
import { startScheduler } from '../../core/jobs/scheduler'
import { formatIso } from '../../core/util/time'
import type { Run } from '../context'
import { boolean, collect, defined, integer } from '../options'

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const two = (n: number) => String(n).padStart(2, '0')

/** An epoch in local time as PBS's CLI shows it (`strftime("%c")`: `Sat Nov 28 00:00:00 2026`). */
export function formatEpochLocal(epoch: number | undefined): string | undefined {
  if (epoch === undefined) return undefined
  const d = new Date(epoch * 1000)
  return (
    `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${d.getFullYear()}`
  )
}

/** Repeatable option whose values may contain commas (regexes). */
const repeat = (value: string, previous: string[] = []) => [...previous, value]

const jobOptions = (cmd: Command, required: boolean) => {
  const opt = (flags: string, text: string) =>
    required ? cmd.requiredOption(flags, text) : cmd.option(flags, text)
  opt('--store <datastore>', 'datastore to back up')
  opt('--pool <pool>', 'media pool to write to')
  opt('--drive <drive>', 'tape drive to use')
  return cmd
    .option('--schedule <calendar-event>', "when to run, e.g. 'daily' or 'mon..fri 22:00'")
    .option('--eject-media [bool]', 'eject the tape when the job succeeded', boolean)
    .option(
      '--export-media-set [bool]',
      'move all tapes of the media set to import/export slots when done',
      boolean
    )
    .option('--latest-only [bool]', 'back up only the newest snapshot of each group', boolean)
    .option('--notify-user <userid>', 'user to notify by mail (e.g. root@pam)')
    .option('--notification-mode <mode>', 'legacy-sendmail or notification-system')
    .option(
      '--group-filter <filter>',
      '[include:|exclude:]type:<vm|ct|host>, group:<type>/<id> or regex:<regex> (repeatable)',
      repeat
    )
    .option('--ns <namespace>', 'namespace to back up (default: the root namespace)')
    .option('--max-depth <n>', 'how many namespace levels below --ns (0..7)', integer(0, 7))
    .option('--worker-threads <n>', 'threads reading chunks (1..32)', integer(1, 32))
    .option('--comment <text>', 'comment')
}

const fields = (o: Record<string, unknown>) => ({
  store: o.store as string | undefined,
  pool: o.pool as string | undefined,
  drive: o.drive as string | undefined,
  schedule: o.schedule as string | undefined,
  'eject-media': o.ejectMedia as boolean | undefined,
  'export-media-set': o.exportMediaSet as boolean | undefined,
  'latest-only': o.latestOnly as boolean | undefined,
  'notify-user': o.notifyUser as string | undefined,
  'notification-mode': o.notificationMode as ApiArgs<'backup-job.create'>['notification-mode'],
  'group-filter': o.groupFilter as string[] | undefined,
  ns: o.ns as string | undefined,
  'max-depth': o.maxDepth as number | undefined,
  'worker-threads': o.workerThreads as number | undefined,
  comment: o.comment as string | undefined
})

export function registerBackupJobCommands(program: Command, run: Run): void {
  const job = program
    .command('backup-job')
    .description('Configure scheduled tape backup jobs (tape-job.cfg)')

  job
    .command('list')
    .description('List backup jobs with their next run')
    .action(
      run(async (ctx) => {
        ctx.out.list<BackupJobStatus>(await ctx.call('backup-job.list', {}), [
          { header: 'id', value: (j) => j.id },
          { header: 'store', value: (j) => j.store },
          { header: 'pool', value: (j) => j.pool },
          { header: 'drive', value: (j) => j.drive },
          { header: 'schedule', value: (j) => j.schedule },
          { header: 'next-run', value: (j) => formatEpochLocal(j['next-run']) },
          { header: 'next-media-label', value: (j) => j['next-media-label'] },
          { header: 'comment', value: (j) => j.comment }
        ])
      })
    )

  job
    .command('show <id>')
    .description('Show the configuration of a backup job')
    .action(
      run(async (ctx, id: string) =>
        ctx.out.object((await ctx.call('backup-job.config', { id })).config)
      )
    )

  jobOptions(job.command('create <id>').description('Create a backup job'), true).action(
    run(async (ctx, id: string, o) => {
      const args = defined({ id, ...fields(o) }) as ApiArgs<'backup-job.create'>
      await ctx.call('backup-job.create', args)
      ctx.out.done()
    })
  )

  jobOptions(job.command('update <id>').description('Change a backup job'), false)
    .option(
      '--delete <property>',
      'remove a property, e.g. schedule, group-filter, comment (repeatable)',
      collect
    )
    .option('--digest <digest>', 'refuse if tape-job.cfg changed since this digest')
    .action(
      run(async (ctx, id: string, o) => {
        await ctx.call(
          'backup-job.update',
          defined({
            id,
            ...fields(o),
            delete: o.delete as ApiArgs<'backup-job.update'>['delete'],
            digest: o.digest as string | undefined
          })
        )
        ctx.out.done()
      })
    )

  job
    .command('remove <id>')
    .description('Remove a backup job')
    .option('--digest <digest>', 'refuse if tape-job.cfg changed since this digest')
    .action(
      run(async (ctx, id: string, o) => {
        await ctx.call('backup-job.remove', defined({ id, digest: o.digest as string | undefined }))
        ctx.out.done()
      })
    )

  job
    .command('run <id>')
    .description('Run a backup job now')
    .action(
      run(async (ctx, id: string) => void (await ctx.runTask(ctx.call('backup-job.run', { id }))))
    )

  program
    .command('scheduler')
    .description(
      'Run scheduled backup jobs in the foreground (for servers without the app); Ctrl-C stops'
    )
    .action(
      run(async (ctx) => {
        const core = await ctx.open()
        const log = (text: string) =>
          ctx.out.line(`${formatIso(Math.floor(Date.now() / 1000))} ${text}`)
        const jobs = await core.config.backupJobs.list()
        const scheduled = jobs.filter((j) => j['next-run'] !== undefined)
        log(`scheduler started for ${ctx.home}: ${scheduled.length} scheduled backup job(s)`)
        for (const j of scheduled) {
          log(`  ${j.id}: '${j.schedule}', next run ${formatIso(j['next-run']!)}`)
        }
        const scheduler = startScheduler(core, core.runBackupJob, { log })

        let signals = 0
        let wake: () => void = () => undefined
        const onSignal = () => {
          signals++
          wake()
        }
        process.on('SIGINT', onSignal)
        process.on('SIGTERM', onSignal)
        try {
          await new Promise<void>((resolve) => (wake = resolve))
          await scheduler.stop()
          // Like PBS's proxy at shutdown: let running jobs finish; a second signal aborts them.
          const ours = async () =>
            (await core.tasks.list({ running: true, limit: 1000 })).tasks.filter(
              (t) => t.pid === process.pid
            )
          let running = await ours()
          if (running.length > 0 && signals < 2) {
            log(
              `scheduler stopped; waiting for ${running.length} running task(s) to finish (Ctrl-C again aborts them)`
            )
            while (running.length > 0 && signals < 2) {
              await new Promise<void>((resolve) => {
                wake = resolve
                setTimeout(resolve, 1000)
              })
              running = await ours()
            }
          }
          log(running.length > 0 ? 'aborting running tasks' : 'scheduler stopped')
        } finally {
          process.off('SIGINT', onSignal)
          process.off('SIGTERM', onSignal)
        }
      })
    )
}
