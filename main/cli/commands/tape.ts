import { Option, type Command } from 'commander'
import type { ApiArgs, ChangerStatusEntry, InventoryEntry } from '../../core/api/contract'
import { resolveDrive } from '../../core/operations/devices'
import { formatIso } from '../../core/util/time'
import type { CliContext, Run } from '../context'
import { boolean, defined, integer, size } from '../options'
import { formatBytes } from '../output'
import { printRestorePlan } from './restore-plan'

const driveOption = () =>
  new Option('--drive <name>', 'drive to use (default: $TAPEDECK_DRIVE, or the only drive)')

async function drive(ctx: CliContext, given: string | undefined): Promise<string> {
  return resolveDrive(await ctx.open(), given)
}

/** The tape commands of `proxmox-tape`, plus `vlib` for the virtual library. */
export function registerTapeCommands(program: Command, run: Run): void {
  const vlib = program
    .command('vlib')
    .description('Virtual tape libraries (try Tapedeck without hardware)')
  vlib
    .command('create <name>')
    .description('Create a virtual library: changer NAME and drives NAME-0 … in tape.cfg')
    .requiredOption('--path <dir>', 'directory for the library (created; must be empty)')
    .option('--drives <n>', 'number of drives (default 1)', integer(1, 16))
    .option('--slots <n>', 'storage slots', integer(1, 1000))
    .option('--import-export <n>', 'import/export (mail) slots', integer(0, 100))
    .option('--tapes <n>', 'data tapes placed in the first slots', integer(0, 1000))
    .option('--tape-size <size>', 'capacity of each tape, e.g. 64MiB, 18TB', size)
    .option('--media-type <type>', 'LTO media type of the barcodes (default L9)')
    .option('--label-prefix <prefix>', 'barcode prefix (default TAPE → TAPE01L9, TAPE02L9, …)')
    .option('--cleaning <n>', 'cleaning cartridges (CLN001CU, …)', integer(0, 100))
    .action(
      run(async (ctx, name: string, o) => {
        const result = await ctx.call(
          'vlib.create',
          defined({
            name,
            path: o.path,
            drives: o.drives,
            slots: o.slots,
            'import-export': o.importExport,
            tapes: o.tapes,
            'tape-size': o.tapeSize,
            'media-type': o.mediaType,
            'label-prefix': o.labelPrefix,
            cleaning: o.cleaning
          })
        )
        if (!ctx.out.isText) return ctx.out.json(result)
        ctx.out.line(`created virtual library '${name}' at ${o.path}`)
        ctx.out.line(`drives:   ${result.drives.join(', ')}`)
        ctx.out.line(`tapes:    ${result.tapes.join(', ') || '(none)'}`)
        if (result.cleaning.length > 0) ctx.out.line(`cleaning: ${result.cleaning.join(', ')}`)
      })
    )

  const fault = vlib
    .command('fault')
    .description('Inject faults into a virtual library (for testing recovery)')
  fault
    .command('add <changer>')
    .description('Add a fault')
    .addOption(
      new Option('--kind <kind>', 'what goes wrong')
        .choices([
          'read-error',
          'write-error',
          'power-cut',
          'early-warning',
          'tape-alert',
          'cleaning-request'
        ])
        .makeOptionMandatory()
    )
    .option('--tape <label>', 'tape (read-error, write-error, power-cut, early-warning)')
    .option('--file <n>', 'tape file number', integer(0, 1_000_000))
    .option('--block <n>', 'block within the file', integer(0, 100_000_000))
    .option('--size <size>', 'early warning once the tape holds this much (e.g. 32MiB)', size)
    .option(
      '--drive-number <n>',
      'drive number in the library (tape-alert, cleaning-request)',
      integer(0, 255)
    )
    .option('--flags <list>', 'TapeAlert flag names, comma separated (e.g. CLEAN_NOW,MEDIA)')
    .action(
      run(async (ctx, changer: string, o) => {
        const spec = defined({
          kind: o.kind,
          tape: o.tape,
          file: o.file,
          block: o.block,
          bytes: o.size,
          drive: o.driveNumber,
          flags: o.flags?.split(',').map((f: string) => f.trim())
        })
        const entry = await ctx.call('vlib.fault-add', {
          changer,
          fault: spec as ApiArgs<'vlib.fault-add'>['fault']
        })
        ctx.out.object(entry)
      })
    )
  fault
    .command('list <changer>')
    .description('List active faults')
    .action(
      run(async (ctx, changer: string) => {
        const list = await ctx.call('vlib.faults', { changer })
        ctx.out.list(list, [
          { header: 'id', value: (f) => f.id },
          { header: 'kind', value: (f) => f.kind },
          {
            header: 'where',
            value: (f) => JSON.stringify({ ...f, id: undefined, kind: undefined })
          }
        ])
      })
    )
  fault
    .command('clear <changer>')
    .description('Remove one fault (--id) or all')
    .option('--id <n>', 'fault id', integer(1, 1_000_000))
    .action(
      run(async (ctx, changer: string, o) => {
        const removed = await ctx.call('vlib.fault-clear', defined({ changer, id: o.id }))
        if (ctx.out.isText) ctx.out.line(`removed ${removed.length} fault(s)`)
        else ctx.out.json(removed)
      })
    )

  vlib
    .command('timing <changer>')
    .description(
      'Make the library behave like real hardware (robot, rewind, locate, speed) or instant again'
    )
    .option('--off', 'every operation instant again (the default)')
    .option('--load-seconds <s>', 'robot move plus threading', Number)
    .option('--rewind-seconds <s>', 'full rewind', Number)
    .option('--locate-seconds-per-gib <s>', 'locate/space time per GiB passed', Number)
    .option('--speed <size>', 'streaming speed per second, e.g. 300MB (LTO-8 native 360MB)', size)
    .action(
      run(async (ctx, changer: string, o) => {
        const timing = o.off
          ? null
          : defined({
              'load-seconds': o.loadSeconds,
              'rewind-seconds': o.rewindSeconds,
              'locate-seconds-per-gib': o.locateSecondsPerGib,
              speed: o.speed
            })
        await ctx.call('vlib.timing', { changer, timing })
        ctx.out.done()
      })
    )

  const changer = program.commands.find((c) => c.name() === 'changer')!
  changer
    .command('status <name>')
    .description('Show drives, slots and import/export slots of a changer')
    .action(
      run(async (ctx, name: string) => {
        ctx.out.list<ChangerStatusEntry>(await ctx.call('changer.status', { name }), [
          { header: 'entry-kind', value: (e) => e['entry-kind'] },
          { header: 'entry-id', value: (e) => e['entry-id'] },
          { header: 'label-text', value: (e) => e['label-text'] },
          { header: 'loaded-slot', value: (e) => e['loaded-slot'] }
        ])
      })
    )
  changer
    .command('transfer <name>')
    .description('Move a tape from one slot to another')
    .requiredOption('--from <slot>', 'source slot', integer(1, 100000))
    .requiredOption('--to <slot>', 'destination slot', integer(1, 100000))
    .action(
      run(async (ctx, name: string, o) => {
        await ctx.call('changer.transfer', { name, from: o.from, to: o.to })
        ctx.out.done()
      })
    )

  program
    .command('label')
    .description('Write a media label to the (empty) tape in the drive')
    .addOption(driveOption())
    .option('--label-text <text>', 'label text (normally the barcode)')
    .option('--changer-id <text>', 'alias of --label-text, as the PBS docs spell it')
    .option('--pool <pool>', 'media pool the tape is labelled for (default: none, a free tape)')
    .action(
      run(async (ctx, o) => {
        const labelText = o.labelText ?? o.changerId
        if (!labelText) throw new Error('--label-text is required')
        await ctx.runTask(
          ctx.call(
            'drive.label',
            defined({ drive: await drive(ctx, o.drive), 'label-text': labelText, pool: o.pool })
          )
        )
      })
    )

  program
    .command('barcode-label')
    .description("Label every unlabelled tape in the drive's changer with its barcode")
    .addOption(driveOption())
    .option('--pool <pool>', 'media pool for the new labels')
    .action(
      run(async (ctx, o) => {
        await ctx.runTask(
          ctx.call(
            'drive.barcode-label',
            defined({ drive: await drive(ctx, o.drive), pool: o.pool })
          )
        )
      })
    )

  program
    .command('read-label')
    .description('Read the labels of the tape in the drive')
    .addOption(driveOption())
    .option('--inventorize [bool]', 'store the tape in the inventory', boolean)
    .action(
      run(async (ctx, o) => {
        const info = await ctx.call(
          'drive.read-label',
          defined({ drive: await drive(ctx, o.drive), inventorize: o.inventorize })
        )
        ctx.out.object(
          ctx.out.isText
            ? {
                ...info,
                ctime: formatIso(info.ctime),
                'media-set-ctime': info['media-set-ctime'] && formatIso(info['media-set-ctime'])
              }
            : info
        )
      })
    )

  const driveTask = (
    name: string,
    description: string,
    method: 'drive.eject' | 'drive.rewind' | 'drive.clean' | 'drive.scan'
  ) =>
    program
      .command(name)
      .description(description)
      .addOption(driveOption())
      .action(
        run(
          async (ctx, o) =>
            void (await ctx.runTask(ctx.call(method, { drive: await drive(ctx, o.drive) })))
        )
      )
  driveTask('eject', 'Eject the tape (with a changer: put it back into its slot)', 'drive.eject')
  driveTask('rewind', 'Rewind the tape', 'drive.rewind')
  driveTask('clean', 'Clean the drive with a cleaning cartridge from the changer', 'drive.clean')
  driveTask('scan', 'Rewind and describe every file on the tape (debugging)', 'drive.scan')

  program
    .command('inventory')
    .description("Record the changer's tapes; load unknown ones and read their labels")
    .addOption(driveOption())
    .option(
      '--read-all-labels [bool]',
      'read the labels of all tapes, not only unknown ones',
      boolean
    )
    .option('--catalog [bool]', 'also restore missing catalogs from the tapes', boolean)
    .action(
      run(async (ctx, o) => {
        const name = await drive(ctx, o.drive)
        await ctx.runTask(
          ctx.call(
            'drive.inventory',
            defined({ drive: name, 'read-all-labels': o.readAllLabels, catalog: o.catalog })
          )
        )
        if (ctx.out.isText) await printInventory(ctx)
      })
    )

  program
    .command('backup <store> <pool>')
    .description("Back up datastore snapshots to tape, into the pool's current media set")
    .addOption(driveOption())
    .option('--ns <namespace>', 'namespace to back up (default: the root)')
    .option('--max-depth <n>', 'namespace levels below --ns (default: all)', integer(0, 7))
    .option(
      '--group-filter <filter>',
      '[include:|exclude:]type:<vm|ct|host> | group:<type>/<id> | regex:<re> (repeatable)',
      (value: string, previous: string[] = []) => [...previous, value]
    )
    .option('--latest-only [bool]', 'only the newest snapshot of each group', boolean)
    .option('--eject-media [bool]', 'eject the tape when done', boolean)
    .option(
      '--export-media-set [bool]',
      "move the media set's tapes to import/export slots when done",
      boolean
    )
    .option('--force-media-set [bool]', 'start a new media set', boolean)
    .option('--worker-threads <n>', 'parallel chunk readers (default 4)', integer(1, 32))
    .action(
      run(async (ctx, store: string, pool: string, o) => {
        const name = await drive(ctx, o.drive)
        await ctx.runTask(
          ctx.call(
            'tape.backup',
            defined({
              store,
              pool,
              drive: name,
              ns: o.ns,
              'max-depth': o.maxDepth,
              'group-filter': o.groupFilter,
              'latest-only': o.latestOnly,
              'eject-media': o.ejectMedia,
              'export-media-set': o.exportMediaSet,
              'force-media-set': o.forceMediaSet,
              'worker-threads': o.workerThreads
            })
          )
        )
      })
    )

  program
    .command('restore <media-set> <store> [snapshots...]')
    .description(
      'Restore a media set (or only the given snapshots, store:snapshot) into datastores; store is a map like source=target,default'
    )
    .addOption(driveOption())
    .option('--owner <auth-id>', 'owner of restored backup groups (default root@pam)')
    .option(
      '--namespace <map>',
      'store=SRC[,source=NS][,target=NS][,max-depth=N]: restore namespace SRC:NS into NS (repeatable)',
      (value: string, previous: string[] = []) => [...previous, value]
    )
    .option('--plan-only', 'print the restore plan (tapes, files, bytes, estimate) and stop')
    .option('--dry-run', 'same as --plan-only')
    .action(
      run(async (ctx, mediaSet: string, store: string, snapshots: string[], o) => {
        const name = await drive(ctx, o.drive)
        const selection = defined({
          'media-set': mediaSet,
          store,
          drive: name,
          snapshots: snapshots.length > 0 ? snapshots : undefined,
          namespaces: o.namespace as string[] | undefined
        })
        if (o.planOnly || o.dryRun || ctx.out.isText)
          printRestorePlan(ctx, await ctx.call('tape.restore-plan', selection))
        if (o.planOnly || o.dryRun) return
        await ctx.runTask(ctx.call('tape.restore', defined({ ...selection, owner: o.owner })))
      })
    )

  program
    .command('eod')
    .description('Move to the end of the recorded data (debugging)')
    .addOption(driveOption())
    .action(
      run(async (ctx, o) => {
        const position = await ctx.call('drive.eod', { drive: await drive(ctx, o.drive) })
        ctx.out.object(position)
      })
    )

  program
    .command('load-media <label-text>')
    .description('Load a tape by its barcode into the drive (changer)')
    .addOption(driveOption())
    .action(
      run(async (ctx, labelText: string, o) => {
        await ctx.runTask(
          ctx.call('drive.load-media', {
            drive: await drive(ctx, o.drive),
            'label-text': labelText
          })
        )
      })
    )

  program
    .command('load-media-from-slot <slot>')
    .description('Load the tape in a changer slot into the drive')
    .addOption(driveOption())
    .action(
      run(async (ctx, slot: string, o) => {
        await ctx.runTask(
          ctx.call('drive.load-slot', {
            drive: await drive(ctx, o.drive),
            slot: integer(1, 100000)(slot)
          })
        )
      })
    )

  program
    .command('unload')
    .description('Unload the drive (to --target-slot, its source slot, or the first free slot)')
    .addOption(driveOption())
    .option('--target-slot <slot>', 'slot to unload into', integer(1, 100000))
    .action(
      run(async (ctx, o) => {
        await ctx.runTask(
          ctx.call(
            'drive.unload',
            defined({ drive: await drive(ctx, o.drive), 'target-slot': o.targetSlot })
          )
        )
      })
    )

  program
    .command('export-media <label-text>')
    .description('Move a tape to a free import/export slot')
    .addOption(driveOption())
    .action(
      run(async (ctx, labelText: string, o) => {
        await ctx.runTask(
          ctx.call('drive.export-media', {
            drive: await drive(ctx, o.drive),
            'label-text': labelText
          })
        )
      })
    )

  program
    .command('format')
    .description('Erase the tape in the drive and drop it from the inventory')
    .addOption(driveOption())
    .option('--fast [bool]', 'fast erase (default true)', boolean)
    .option('--label-text <text>', 'refuse unless the tape carries this label')
    .action(
      run(async (ctx, o) => {
        await ctx.runTask(
          ctx.call(
            'drive.format',
            defined({ drive: await drive(ctx, o.drive), fast: o.fast, 'label-text': o.labelText })
          )
        )
      })
    )

  program
    .command('status')
    .description('Drive and media status')
    .addOption(driveOption())
    .action(
      run(async (ctx, o) => {
        const status = await ctx.call('drive.status', { drive: await drive(ctx, o.drive) })
        if (!ctx.out.isText) return ctx.out.json(status)
        ctx.out.object({
          ...status,
          'alert-flags': status['alert-flags'].join(', ') || 'none',
          'bytes-used':
            status['bytes-used'] === undefined ? undefined : formatBytes(status['bytes-used']),
          capacity: status.capacity === undefined ? undefined : formatBytes(status.capacity)
        })
      })
    )

  program
    .command('volume-statistics')
    .description('Volume statistics of the loaded tape (SCSI log page 17h)')
    .addOption(driveOption())
    .action(
      run(async (ctx, o) => {
        const stats = await ctx.call('drive.volume-statistics', {
          drive: await drive(ctx, o.drive)
        })
        ctx.out.object(stats)
      })
    )

  program
    .command('cartridge-memory')
    .description('Cartridge memory of the loaded tape (medium auxiliary memory attributes)')
    .addOption(driveOption())
    .action(
      run(async (ctx, o) => {
        const list = await ctx.call('drive.cartridge-memory', { drive: await drive(ctx, o.drive) })
        ctx.out.list(list, [
          { header: 'id', value: (a) => `0x${a.id.toString(16).padStart(4, '0')}` },
          { header: 'name', value: (a) => a.name },
          { header: 'value', value: (a) => a.value }
        ])
      })
    )

  const media = program.command('media').description('The media inventory')
  media
    .command('list')
    .description('List the tapes Tapedeck knows')
    .action(run(async (ctx) => printInventory(ctx)))
  media
    .command('content')
    .description('List the snapshots on tape, from the catalogs (no tape is read)')
    .option('--pool <pool>', 'only this media pool')
    .option('--label-text <label>', 'only this tape')
    .option('--media <uuid>', 'only this tape (by uuid)')
    .option('--media-set <uuid>', 'only this media set')
    .option('--backup-type <type>', 'only vm, ct or host')
    .option('--backup-id <id>', 'only this backup id')
    .action(
      run(async (ctx, o) => {
        const rows = await ctx.call(
          'media.content',
          defined({
            pool: o.pool,
            'label-text': o.labelText,
            media: o.media,
            'media-set': o.mediaSet,
            'backup-type': o.backupType,
            'backup-id': o.backupId
          })
        )
        ctx.out.list(rows, [
          { header: 'label-text', value: (r) => r['label-text'] },
          { header: 'pool', value: (r) => r.pool },
          { header: 'media-set-name', value: (r) => r['media-set-name'] },
          { header: 'seq-nr', value: (r) => r['seq-nr'] },
          { header: 'store', value: (r) => r.store },
          { header: 'snapshot', value: (r) => r.snapshot }
        ])
      })
    )
}

async function printInventory(ctx: CliContext): Promise<void> {
  ctx.out.list<InventoryEntry>(await ctx.call('media.list', {}), [
    { header: 'label-text', value: (m) => m['label-text'] },
    { header: 'pool', value: (m) => m.pool },
    { header: 'seq-nr', value: (m) => m['seq-nr'] },
    {
      header: 'status',
      value: (m) => m.status ?? (m['media-set-uuid'] ? 'writable' : 'writable (empty)')
    },
    { header: 'location', value: (m) => m.location },
    { header: 'uuid', value: (m) => m.uuid }
  ])
}
