import { type Command, Option } from 'commander'
import type {
  ApiArgs,
  ChangerConfig,
  DeviceScan,
  DriveConfig,
  ScannedChanger,
  ScannedDrive
} from '../../core/api/contract'
import type { CliContext, Run } from '../context'
import type { Column } from '../output'
import { boolean, collect, defined, integer, size } from '../options'

const PORTAL_OPTION = [
  '--iscsi-portal <host[:port]>',
  'scan the targets behind this iSCSI portal instead of this machine (port default 3260)'
] as const

/** PBS's `drive scan` / `changer scan` columns. */
const DEVICE_COLUMNS: Column<ScannedChanger | ScannedDrive>[] = [
  { header: 'path', value: (d) => d.path },
  { header: 'vendor', value: (d) => d.vendor },
  { header: 'model', value: (d) => d.model },
  { header: 'serial', value: (d) => d.serial }
]
const CHANGER_COLUMN: Column<ScannedDrive> = {
  header: 'changer',
  value: (d) => d['changer-path']
}
const DRIVENUM_COLUMN: Column<ScannedDrive> = {
  header: 'changer-drivenum',
  value: (d) => d['changer-drivenum']
}

/** Scans, and says on stderr what could not be read (stdout stays the table or the JSON). */
async function scan(ctx: CliContext, iscsiPortal: string | undefined): Promise<DeviceScan> {
  const result = await ctx.call('devices.scan', defined({ 'iscsi-portal': iscsiPortal }))
  for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`)
  return result
}

export function registerDriveCommands(program: Command, run: Run): void {
  const drive = program.command('drive').description('Configure tape drives (tape.cfg)')

  drive
    .command('list')
    .description('List configured drives')
    .action(
      run(async (ctx) => {
        ctx.out.list<DriveConfig>(await ctx.call('drive.list', {}), [
          { header: 'name', value: (d) => d.name },
          { header: 'type', value: (d) => d.type },
          { header: 'path', value: (d) => d.path },
          { header: 'max-size', value: (d) => d['max-size'] },
          { header: 'changer', value: (d) => d.changer },
          {
            header: 'changer-drivenum',
            value: (d) => (d.changer ? (d['changer-drivenum'] ?? 0) : undefined)
          }
        ])
      })
    )

  drive
    .command('scan')
    .description('List the tape drives of this machine (or of an iSCSI portal)')
    .option(...PORTAL_OPTION)
    .action(
      run(async (ctx, o) => {
        const { drives } = await scan(ctx, o.iscsiPortal)
        const placed = drives.some((d) => d['changer-path'] !== undefined)
        ctx.out.list<ScannedDrive>(drives, [
          ...DEVICE_COLUMNS,
          ...(placed ? [CHANGER_COLUMN, DRIVENUM_COLUMN] : [])
        ])
      })
    )

  drive
    .command('config <name>')
    .description('Show the configuration of a drive')
    .action(
      run(async (ctx, name: string) =>
        ctx.out.object((await ctx.call('drive.config', { name })).config)
      )
    )

  drive
    .command('create <name>')
    .description('Add a drive')
    .requiredOption(
      '--path <path>',
      'SCSI generic device (/dev/tape/by-id/…-sg, /dev/sgN) or iscsi://host[:port]/<iqn>/<lun>; ' +
        'for --type virtual the directory holding the tapes'
    )
    .addOption(
      new Option('--type <type>', 'virtual: a PBS virtual drive (a directory of tape files)')
        .choices(['lto', 'virtual'])
        .default('lto')
    )
    .option('--max-size <size>', 'bytes per tape of a virtual drive (default 64MiB)', size)
    .option('--changer <changer>', 'changer (library) this drive sits in')
    .option(
      '--changer-drivenum <n>',
      'drive number inside the changer (default 0)',
      integer(0, 255)
    )
    .action(
      run(async (ctx, name: string, o) => {
        await ctx.call(
          'drive.create',
          defined({
            name,
            type: o.type,
            path: o.path,
            changer: o.changer,
            'changer-drivenum': o.changerDrivenum,
            'max-size': o.maxSize
          })
        )
        ctx.out.done()
      })
    )

  drive
    .command('update <name>')
    .description('Change a drive')
    .option('--path <path>', 'device path')
    .option('--changer <changer>', 'changer this drive sits in')
    .option('--changer-drivenum <n>', 'drive number inside the changer', integer(0, 255))
    .option('--max-size <size>', 'bytes per tape of a virtual drive', size)
    .option(
      '--delete <property>',
      'remove a property: changer, changer-drivenum (repeatable)',
      collect
    )
    .option('--digest <digest>', 'refuse if tape.cfg changed since this digest')
    .action(
      run(async (ctx, name: string, o) => {
        await ctx.call(
          'drive.update',
          defined({
            name,
            path: o.path,
            changer: o.changer,
            'changer-drivenum': o.changerDrivenum,
            'max-size': o.maxSize,
            delete: o.delete as ApiArgs<'drive.update'>['delete'],
            digest: o.digest
          })
        )
        ctx.out.done()
      })
    )

  drive
    .command('remove <name>')
    .description('Remove a drive from the configuration')
    .action(
      run(async (ctx, name: string) => {
        await ctx.call('drive.remove', { name })
        ctx.out.done()
      })
    )
}

export function registerChangerCommands(program: Command, run: Run): void {
  const changer = program
    .command('changer')
    .description('Configure changers / tape libraries (tape.cfg)')

  changer
    .command('list')
    .description('List configured changers')
    .action(
      run(async (ctx) => {
        ctx.out.list<ChangerConfig>(await ctx.call('changer.list', {}), [
          { header: 'name', value: (c) => c.name },
          { header: 'path', value: (c) => c.path },
          { header: 'export-slots', value: (c) => c['export-slots'] },
          { header: 'eject-before-unload', value: (c) => c['eject-before-unload'] }
        ])
      })
    )

  changer
    .command('scan')
    .description('List the changers of this machine (or of an iSCSI portal) and the drives in them')
    .option(...PORTAL_OPTION)
    .action(
      run(async (ctx, o) => {
        const { changers, drives } = await scan(ctx, o.iscsiPortal)
        const inside = (path: string) => drives.filter((d) => d['changer-path'] === path)
        if (!ctx.out.isText) {
          ctx.out.json(changers.map((c) => ({ ...c, drives: inside(c.path) })))
          return
        }
        ctx.out.list(changers, DEVICE_COLUMNS)
        for (const changer of changers) {
          const own = inside(changer.path).sort(
            (a, b) => a['changer-drivenum']! - b['changer-drivenum']!
          )
          if (own.length === 0) continue
          ctx.out.line(`\nDrives in ${changer.path}:`)
          ctx.out.list<ScannedDrive>(own, [
            DRIVENUM_COLUMN,
            ...DEVICE_COLUMNS,
            { header: 'matched-by', value: (d) => d['changer-match'] }
          ])
        }
      })
    )

  changer
    .command('config <name>')
    .description('Show the configuration of a changer')
    .action(
      run(async (ctx, name: string) =>
        ctx.out.object((await ctx.call('changer.config', { name })).config)
      )
    )

  changer
    .command('create <name>')
    .description('Add a changer')
    .requiredOption(
      '--path <path>',
      'SCSI generic device of the changer or iscsi://host[:port]/<iqn>/<lun>'
    )
    .option('--export-slots <list>', 'slots to use as import/export (mail) slots, e.g. 14,15,16')
    .option(
      '--eject-before-unload [bool]',
      'eject the tape in the drive before moving it out',
      boolean
    )
    .action(
      run(async (ctx, name: string, o) => {
        await ctx.call(
          'changer.create',
          defined({
            name,
            path: o.path,
            'export-slots': o.exportSlots,
            'eject-before-unload': o.ejectBeforeUnload
          })
        )
        ctx.out.done()
      })
    )

  changer
    .command('update <name>')
    .description('Change a changer')
    .option('--path <path>', 'device path')
    .option('--export-slots <list>', 'slots to use as import/export slots')
    .option('--eject-before-unload [bool]', 'eject before unload', boolean)
    .option(
      '--delete <property>',
      'remove a property: export-slots, eject-before-unload (repeatable)',
      collect
    )
    .option('--digest <digest>', 'refuse if tape.cfg changed since this digest')
    .action(
      run(async (ctx, name: string, o) => {
        await ctx.call(
          'changer.update',
          defined({
            name,
            path: o.path,
            'export-slots': o.exportSlots,
            'eject-before-unload': o.ejectBeforeUnload,
            delete: o.delete as ApiArgs<'changer.update'>['delete'],
            digest: o.digest
          })
        )
        ctx.out.done()
      })
    )

  changer
    .command('remove <name>')
    .description('Remove a changer (refused while a drive uses it)')
    .action(
      run(async (ctx, name: string) => {
        await ctx.call('changer.remove', { name })
        ctx.out.done()
      })
    )
}
