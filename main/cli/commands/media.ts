import { Option, type Command } from 'commander'
import { resolveDrive } from '../../core/operations/devices'
import type { Run } from '../context'
import { boolean, defined } from '../options'

/**
 * `media destroy|status|move` (PBS `proxmox-tape media …`) and `catalog` (PBS `proxmox-tape
 * catalog`). `media list` / `media content` live with the other tape commands.
 */
export function registerMediaCommands(program: Command, run: Run): void {
  const media =
    program.commands.find((c) => c.name() === 'media') ??
    program.command('media').description('The media inventory')

  media
    .command('destroy <label-text>')
    .description('Remove a tape and its catalog from the inventory (the tape is not touched)')
    .option('--force [bool]', 'also when the tape belongs to a media set (holds data)', boolean)
    .action(
      run(async (ctx, labelText: string, o) => {
        await ctx.call('media.destroy', defined({ 'label-text': labelText, force: o.force }))
        ctx.out.done()
      })
    )

  media
    .command('status <label-text> <status>')
    .description('Set the stored status of a tape: full, damaged, retired, or clear')
    .action(
      run(async (ctx, labelText: string, status: string) => {
        if (!['full', 'damaged', 'retired', 'clear'].includes(status)) {
          throw new Error(`status must be full, damaged, retired or clear (got '${status}')`)
        }
        await ctx.call(
          'media.set-status',
          defined({
            'label-text': labelText,
            status: status === 'clear' ? undefined : (status as 'full' | 'damaged' | 'retired')
          })
        )
        ctx.out.done()
      })
    )

  media
    .command('move <label-text>')
    .description('Record where a tape is kept: in a vault (--vault NAME) or offline (--offline)')
    .option('--vault <name>', 'vault name (location vault-<name>)')
    .option('--vault-name <name>', 'alias of --vault, as PBS spells it')
    .option('--offline', 'location offline')
    .action(
      run(async (ctx, labelText: string, o) => {
        const vault: string | undefined = o.vault ?? o.vaultName
        if ((vault === undefined) === (o.offline !== true)) {
          throw new Error('give exactly one of --vault NAME and --offline')
        }
        await ctx.call('media.move', defined({ 'label-text': labelText, 'vault-name': vault }))
        ctx.out.done()
      })
    )

  program
    .command('catalog')
    .description(
      'Read the tape in the drive and rebuild its catalog (from its catalog archives, or --scan every file)'
    )
    .addOption(
      new Option('--drive <name>', 'drive to use (default: $TAPEDECK_DRIVE, or the only drive)')
    )
    .option('--force [bool]', 'rebuild the catalog even when the tape has one', boolean)
    .option('--scan [bool]', 'read every file of the tape instead of its catalog archives', boolean)
    .action(
      run(async (ctx, o) => {
        const drive = await resolveDrive(await ctx.open(), o.drive)
        await ctx.runTask(
          ctx.call('drive.catalog', defined({ drive, force: o.force, scan: o.scan }))
        )
      })
    )
}
