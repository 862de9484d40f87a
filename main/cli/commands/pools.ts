import type { Command } from 'commander'
import type { ApiArgs, PoolConfig } from '../../core/api/contract'
import type { Run } from '../context'
import { collect, defined } from '../options'
import { formatEpochLocal } from './backup-jobs'

const poolOptions = (cmd: Command) =>
  cmd
    .option(
      '--allocation <policy>',
      "when to start a new media set: 'continue', 'always' or a calendar event (e.g. 'mon..fri 22:00')"
    )
    .option(
      '--retention <policy>',
      "how long to keep a media set: 'overwrite', 'keep' or a time span (e.g. '2 weeks')"
    )
    .option('--template <template>', 'media set name template (strftime, %id% = set uuid)')
    .option('--encrypt <fingerprint>', 'tape encryption key fingerprint')
    .option('--comment <text>', 'comment')

const fields = (o: Record<string, string | undefined>) => ({
  allocation: o.allocation,
  retention: o.retention,
  template: o.template,
  encrypt: o.encrypt,
  comment: o.comment
})

export function registerPoolCommands(program: Command, run: Run): void {
  const pool = program.command('pool').description('Configure media pools (media-pool.cfg)')

  pool
    .command('list')
    .description('List media pools')
    .action(
      run(async (ctx) => {
        ctx.out.list<PoolConfig>(await ctx.call('pool.list', {}), [
          { header: 'name', value: (p) => p.name },
          { header: 'allocation', value: (p) => p.allocation },
          { header: 'retention', value: (p) => p.retention },
          { header: 'template', value: (p) => p.template },
          { header: 'encrypt', value: (p) => p.encrypt },
          { header: 'comment', value: (p) => p.comment }
        ])
      })
    )

  pool
    .command('config <name>')
    .description('Show the configuration of a media pool')
    .action(
      run(async (ctx, name: string) =>
        ctx.out.object((await ctx.call('pool.config', { name })).config)
      )
    )

  pool
    .command('preview <name>')
    .description(
      'What the next backup into the pool would do: continue or start a media set (and why), which tape'
    )
    .option('--drive <drive>', "the job's drive (default: the drive of the pool's backup job)")
    .option('--force-media-set', 'as with backup --force-media-set')
    .action(
      run(async (ctx, name: string, o) => {
        const p = await ctx.call(
          'pool.preview',
          defined({ name, drive: o.drive, 'force-media-set': o.forceMediaSet })
        )
        if (!ctx.out.isText) return ctx.out.json(p)
        const next = p['next-tape']
        ctx.out.object({
          pool: p.pool,
          drive: p.drive ?? '(any)',
          'next-backup': p.action === 'new' ? 'new media set' : p.action,
          reason: p.reason,
          'current-media-set': p['current-media-set']
            ? `${p['current-media-set'].name} (${p['current-media-set'].tapes.join(', ') || '-'})`
            : undefined,
          'media-set-name': p['media-set-name'],
          'new-set-after': formatEpochLocal(p['new-set-after']),
          'next-tape': next
            ? next.kind === 'none'
              ? 'none available - label or add tapes'
              : `${next['label-text'] ?? ''} (${next.kind})`
            : undefined,
          warnings: p.warnings.length > 0 ? p.warnings.join('; ') : undefined
        })
        if (p.media.length === 0) return ctx.out.line(`no tapes in media pool '${p.pool}'`)
        ctx.out.list(p.media, [
          { header: 'label-text', value: (m) => m['label-text'] },
          { header: 'status', value: (m) => m.status },
          { header: 'location', value: (m) => m.location },
          { header: 'media-set-name', value: (m) => m['media-set-name'] },
          { header: 'seq-nr', value: (m) => m['seq-nr'] },
          { header: 'expire-time', value: (m) => formatEpochLocal(m['expire-time']) }
        ])
      })
    )

  poolOptions(pool.command('create <name>').description('Create a media pool')).action(
    run(async (ctx, name: string, o) => {
      await ctx.call('pool.create', defined({ name, ...fields(o) }))
      ctx.out.done()
    })
  )

  poolOptions(pool.command('update <name>').description('Change a media pool'))
    .option(
      '--delete <property>',
      'remove a property: allocation, retention, template, encrypt, comment (repeatable)',
      collect
    )
    .option('--digest <digest>', 'refuse if media-pool.cfg changed since this digest')
    .action(
      run(async (ctx, name: string, o) => {
        await ctx.call(
          'pool.update',
          defined({
            name,
            ...fields(o),
            delete: o.delete as ApiArgs<'pool.update'>['delete'],
            digest: o.digest
          })
        )
        ctx.out.done()
      })
    )

  pool
    .command('remove <name>')
    .description('Remove a media pool (refused while a backup job uses it)')
    .action(
      run(async (ctx, name: string) => {
        await ctx.call('pool.remove', { name })
        ctx.out.done()
      })
    )
}
