/**
 * `tapedeck mt …` and `tapedeck mtx …`: the low-level tape and changer commands of PBS's pmt and
 * pmtx (mt(1)/mtx(1) replacements), for debugging and manual work.
 */
import type { Command } from 'commander'
import { MT_OPERATIONS, type ApiArgs, type ChangerStatusEntry } from '../../core/api/contract'
import { resolveDrive } from '../../core/operations/devices'
import type { CliContext, Run } from '../context'
import { integer } from '../options'

const MT_HELP: Record<(typeof MT_OPERATIONS)[number], [string, string]> = {
  fsf: ['[count]', 'space forward over count filemarks'],
  bsf: ['[count]', 'space back over count filemarks (stops before the mark)'],
  fsfm: ['[count]', 'fsf, then one filemark back (stay before the last mark)'],
  bsfm: ['[count]', 'bsf, then one filemark forward (stay behind the last mark)'],
  fsr: ['[count]', 'space forward count records (blocks)'],
  bsr: ['[count]', 'space back count records (blocks)'],
  asf: ['<file>', 'position at the start of tape file <file> (0 = beginning of tape)'],
  eod: ['', 'move to the end of recorded data'],
  weof: ['[count]', 'write count filemarks (0 = just flush the drive buffer)'],
  rewind: ['', 'rewind'],
  eject: ['', 'rewind and eject'],
  load: ['', 'load the cartridge in the drive'],
  erase: ['', 'erase the tape (--long for a full erase)']
}

async function mtDrive(ctx: CliContext, given: string | undefined) {
  return resolveDrive(await ctx.open(), given ?? process.env.TAPE)
}

/** pmtx's device selection: --changer, else the changer of the resolved drive, else the only changer. */
async function mtxChanger(ctx: CliContext, given: string | undefined): Promise<string> {
  if (given) return given
  const core = await ctx.open()
  const fromDrive = process.env.TAPEDECK_DRIVE
  if (fromDrive) {
    const { config } = await core.config.devices.drive(fromDrive)
    if (config.changer) return config.changer
  }
  const changers = await core.config.devices.listChangers()
  if (changers.length === 1) return changers[0]!.name
  throw new Error(
    changers.length === 0
      ? 'no changer configured'
      : 'several changers are configured; choose one with --changer'
  )
}

function mtxStatusText(name: string, entries: ChangerStatusEntry[]): string[] {
  const tag = (e: ChangerStatusEntry) =>
    e['label-text'] ? `VolumeTag("${e['label-text']}")` : 'Empty'
  return [
    `Changer ${name}`,
    ...entries.map((e) => {
      if (e['entry-kind'] === 'drive') {
        const source = e['loaded-slot'] === undefined ? '' : `, Source: ${e['loaded-slot']}`
        return `Data Transfer Element (Drive) ${e['entry-id']}: ${tag(e)}${e['label-text'] ? source : ''}`
      }
      const kind = e['entry-kind'] === 'import-export' ? 'Import/Export' : 'Storage Element'
      return `${kind} ${e['entry-id']}: ${tag(e)}`
    })
  ]
}

export function registerMtCommands(program: Command, run: Run): void {
  const mt = program
    .command('mt')
    .description('Low-level tape drive commands (like mt(1) / PBS pmt)')
  for (const op of MT_OPERATIONS) {
    const [args, help] = MT_HELP[op]
    const cmd = mt
      .command(`${op}${args ? ` ${args}` : ''}`)
      .description(help)
      .option('--drive <name>', 'drive (default: $TAPEDECK_DRIVE, $TAPE, or the only drive)')
    if (op === 'erase') cmd.option('--long', 'full erase instead of a fast one')
    cmd.action(
      run(async (ctx, ...params: unknown[]) => {
        const options = params.find(
          (p) => typeof p === 'object' && p !== null && !Array.isArray(p)
        ) as {
          drive?: string
          long?: boolean
        }
        const raw = params.find((p) => typeof p === 'string') as string | undefined
        const count =
          op === 'erase'
            ? options.long
              ? 0
              : 1
            : raw === undefined
              ? undefined
              : integer(0, 1_000_000_000)(raw)
        const args: ApiArgs<'drive.mt'> = { drive: await mtDrive(ctx, options.drive), op }
        if (count !== undefined) args.count = count
        const position = await ctx.call('drive.mt', args)
        if (!ctx.out.isText) ctx.out.json(position)
        else if (position) ctx.out.line(`file ${position.file}, block ${position.block}`)
      })
    )
  }
  mt.command('status')
    .description('Drive status')
    .option('--drive <name>', 'drive')
    .action(
      run(async (ctx, o) => {
        ctx.out.object(await ctx.call('drive.status', { drive: await mtDrive(ctx, o.drive) }))
      })
    )
  mt.command('tape-alert-flags')
    .description('Active TapeAlert flags')
    .option('--drive <name>', 'drive')
    .action(
      run(async (ctx, o) => {
        const flags = (await ctx.call('drive.status', { drive: await mtDrive(ctx, o.drive) }))[
          'alert-flags'
        ]
        if (!ctx.out.isText) ctx.out.json(flags)
        else ctx.out.line(flags.length > 0 ? flags.join('\n') : 'no TapeAlert flags set')
      })
    )

  const mtx = program
    .command('mtx')
    .description('Low-level changer commands (like mtx(1) / PBS pmtx)')
  mtx
    .command('status')
    .description('Show drives, storage and import/export elements')
    .option('--changer <name>', 'changer')
    .action(
      run(async (ctx, o) => {
        const name = await mtxChanger(ctx, o.changer)
        const entries = await ctx.call('changer.status', { name })
        if (!ctx.out.isText) return ctx.out.json(entries)
        for (const line of mtxStatusText(name, entries)) ctx.out.line(line)
      })
    )
  mtx
    .command('inventory')
    .description('Have the changer re-read its inventory, then show it')
    .option('--changer <name>', 'changer')
    .action(
      run(async (ctx, o) => {
        const name = await mtxChanger(ctx, o.changer)
        for (const line of mtxStatusText(name, await ctx.call('changer.status', { name })))
          ctx.out.line(line)
      })
    )
  mtx
    .command('load <slot>')
    .description('Load the cartridge of a slot into a drive')
    .option('--changer <name>', 'changer')
    .option('--drivenum <n>', 'drive number (default 0)', integer(0, 255))
    .action(
      run(async (ctx, slot: string, o) => {
        const drive = await driveOfChanger(ctx, await mtxChanger(ctx, o.changer), o.drivenum ?? 0)
        await ctx.runTask(ctx.call('drive.load-slot', { drive, slot: integer(1, 100_000)(slot) }))
      })
    )
  mtx
    .command('unload')
    .description('Unload a drive (to --slot, else its source slot)')
    .option('--changer <name>', 'changer')
    .option('--slot <n>', 'target slot', integer(1, 100_000))
    .option('--drivenum <n>', 'drive number (default 0)', integer(0, 255))
    .action(
      run(async (ctx, o) => {
        const drive = await driveOfChanger(ctx, await mtxChanger(ctx, o.changer), o.drivenum ?? 0)
        const args: ApiArgs<'drive.unload'> = { drive }
        if (o.slot !== undefined) args['target-slot'] = o.slot
        await ctx.runTask(ctx.call('drive.unload', args))
      })
    )
  mtx
    .command('transfer <from> <to>')
    .description('Move a cartridge from one slot to another')
    .option('--changer <name>', 'changer')
    .action(
      run(async (ctx, from: string, to: string, o) => {
        const name = await mtxChanger(ctx, o.changer)
        await ctx.call('changer.transfer', {
          name,
          from: integer(1, 100_000)(from),
          to: integer(1, 100_000)(to)
        })
        ctx.out.done()
      })
    )
}

async function driveOfChanger(ctx: CliContext, changer: string, drivenum: number): Promise<string> {
  const drives = await ctx.call('drive.list', {})
  const drive = drives.find(
    (d) => d.changer === changer && (d['changer-drivenum'] ?? 0) === drivenum
  )
  if (!drive) throw new Error(`changer '${changer}' has no configured drive number ${drivenum}`)
  return drive.name
}
