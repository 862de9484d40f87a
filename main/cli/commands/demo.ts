import { join } from 'node:path'
import type { Command } from 'commander'
import { runDemoSetup } from '../../core/operations/demo-setup'
import type { Run } from '../context'
import { formatBytes } from '../output'

/**
 * `tapedeck demo`: the embedded default in one command — a virtual library, a demo datastore and
 * a pool, then a backup that spans two tapes and a restore that is verified, with progress. The
 * steps are core/operations/demo-setup.ts, which the Dashboard runs through `demo.run`.
 */
export function registerDemoCommand(program: Command, run: Run): void {
  program
    .command('demo')
    .description(
      'Set up a virtual tape library, a demo datastore and a pool, then back up, restore and verify'
    )
    .option('--dir <dir>', 'where the library and datastores go (default: <home>/demo)')
    .option('--small', 'a few small snapshots on one tape instead of 12 spanning two tapes')
    .action(
      run(async (ctx, o) => {
        const core = await ctx.open()
        const summary = await runDemoSetup(
          core,
          { dir: o.dir ?? join(ctx.home, 'demo'), size: o.small ? 'small' : 'standard' },
          {
            step: (text) => {
              if (ctx.out.isText) ctx.out.line(`\n== ${text}`)
            },
            follow: (started) => ctx.followTask(started)
          }
        )
        if (!ctx.out.isText) {
          ctx.out.json({
            'media-set': summary.mediaSet,
            snapshots: summary.snapshots,
            tapes: summary.tapes,
            chunks: summary.chunks,
            bytes: summary.bytes
          })
          return
        }
        ctx.out.line('\n== done')
        ctx.out.line(
          [
            `backed up ${summary.snapshots} snapshots to ${summary.tapes.length} tapes (${summary.tapes.join(', ')}),`,
            `restored them into 'demo-restore' and verified ${summary.chunks} chunks (${formatBytes(summary.bytes)}).`,
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
