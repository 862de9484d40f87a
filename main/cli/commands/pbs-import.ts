import type { Command } from 'commander'
import { DEFAULT_CONFIG_DIR, DEFAULT_STATE_DIR } from '../../core/operations/pbs-import'
import type { Run } from '../context'
import { boolean } from '../options'

/** `pbs-import`: a PBS host's tape config and state into this home (Tapedeck's own command). */
export function registerPbsImportCommand(program: Command, run: Run): void {
  program
    .command('pbs-import')
    .description(
      "Import a PBS host's tape setup: drives, changers, pools, backup jobs, tape keys, " +
        'inventory, media catalogs and job run state (the PBS directories are only read)'
    )
    .option('--config-dir <dir>', 'PBS configuration directory', DEFAULT_CONFIG_DIR)
    .option('--state-dir <dir>', 'PBS state directory', DEFAULT_STATE_DIR)
    .option('--dry-run [bool]', 'report what would be imported, change nothing', boolean)
    .action(
      run(async (ctx, o) => {
        const report = await ctx.call('pbs.import', {
          configDir: o.configDir,
          stateDir: o.stateDir,
          dryRun: o.dryRun === true
        })
        if (!ctx.out.isText) return ctx.out.json(report)
        ctx.out.line(
          `${report['dry-run'] ? 'Dry run (nothing changed): ' : ''}PBS config ${report['config-dir']}, state ${report['state-dir']}`
        )
        ctx.out.list(report.items, [
          { header: 'kind', value: (i) => i.kind },
          { header: 'name', value: (i) => i.name },
          { header: 'result', value: (i) => i.action },
          { header: 'detail', value: (i) => i.reason }
        ])
        for (const note of report.notes) ctx.out.line(`note: ${note}`)
        const { imported, present, skipped } = report.summary
        ctx.out.line(
          `${imported} ${report['dry-run'] ? 'to import' : 'imported'}, ${present} already present, ${skipped} skipped`
        )
      })
    )
}
