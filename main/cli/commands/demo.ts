import { join } from 'node:path'
import type { Command } from 'commander'
import type { Run } from '../context'
import { formatBytes } from '../output'

/**
 * `tapedeck demo`: the embedded default in one command — a virtual library, a demo datastore and
 * a pool, then a backup that spans two tapes and a restore that is verified, with progress.
 */
export function registerDemoCommand(program: Command, run: Run): void {
  program
    .command('demo')
    .description(
      'Set up a virtual tape library, a demo datastore and a pool, then back up, restore and verify'
    )
    .option('--dir <dir>', 'where the library and datastores go (default: <home>/demo)')
    .action(
      run(async (ctx, o) => {
        const dir: string = o.dir ?? join(ctx.home, 'demo')
        const step = (text: string) => ctx.out.line(`\n== ${text}`)
        const taken = new Set((await ctx.call('datastore.list', {})).map((d) => d.name))
        if (taken.has('demo') || taken.has('demo-restore')) {
          throw new Error(
            "the demo is already set up in this home (datastore 'demo'); use another --home to run it again"
          )
        }

        step(`virtual library 'demo' in ${join(dir, 'library')}: 1 drive, 8 tapes of 48 MiB`)
        await ctx.call('vlib.create', {
          name: 'demo',
          path: join(dir, 'library'),
          drives: 1,
          slots: 12,
          'import-export': 2,
          tapes: 8,
          'tape-size': 48 * 1024 * 1024,
          cleaning: 1
        })
        if (!(await ctx.call('pool.list', {})).some((p) => p.name === 'demo')) {
          await ctx.call('pool.create', { name: 'demo', comment: 'tapedeck demo' })
        }
        step("labelling the tapes for media pool 'demo'")
        await ctx.runTask(ctx.call('drive.barcode-label', { drive: 'demo-0', pool: 'demo' }))

        step(`demo datastore 'demo' in ${join(dir, 'datastore')}`)
        await ctx.runTask(
          ctx.call('datastore.demo', {
            name: 'demo',
            path: join(dir, 'datastore'),
            namespaces: true
          })
        )

        step("backup of datastore 'demo' to media pool 'demo'")
        const backup = await ctx.runTask(
          ctx.call('tape.backup', { store: 'demo', pool: 'demo', drive: 'demo-0' })
        )
        const content = await ctx.call('media.content', { pool: 'demo' })
        const mediaSet = content[0]?.['media-set-uuid']
        if (!mediaSet) throw new Error(`the backup wrote nothing (task ${backup.upid})`)

        step(`restore of media set ${mediaSet} into a new datastore 'demo-restore'`)
        await ctx.call('datastore.create', { name: 'demo-restore', path: join(dir, 'restore') })
        await ctx.runTask(
          ctx.call('tape.restore', {
            'media-set': mediaSet,
            store: 'demo=demo-restore',
            drive: 'demo-0'
          })
        )

        step("verification of datastore 'demo-restore'")
        const verified = await ctx.followTask(
          ctx.call('datastore.verify', { name: 'demo-restore' })
        )
        const result = await ctx.call('datastore.verify-result', { upid: verified.upid })
        if (!result.ok) throw new Error('the restored datastore did not verify; see the task log')

        const tapes = [...new Set(content.map((c) => c['label-text']))]
        step('done')
        ctx.out.line(
          [
            `backed up ${content.length} snapshots to ${tapes.length} tapes (${tapes.join(', ')}),`,
            `restored them into 'demo-restore' and verified ${result.chunks} chunks (${formatBytes(result.bytes)}).`,
            '',
            'Try next:',
            '  tapedeck media content --pool demo',
            '  tapedeck changer status demo',
            '  tapedeck datastore snapshots demo-restore',
            '  tapedeck serve        (the same in a browser)'
          ].join('\n')
        )
      })
    )
}
