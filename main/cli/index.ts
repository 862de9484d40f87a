/**
 * `tapedeck` — the command line, shaped like PBS's `proxmox-tape`. It runs the core in-process
 * (no daemon needed) against the same home as the desktop app.
 */
import { registerDemoCommand } from './commands/demo'
import { Command, Option } from 'commander'
import { VERSION } from '../core/version'
import { CliContext, type GlobalOptions, type Run } from './context'
import { registerBackupJobCommands } from './commands/backup-jobs'
import { registerChangerCommands, registerDriveCommands } from './commands/devices'
import { registerDatastoreCommands } from './commands/datastores'
import { registerKeyCommands } from './commands/keys'
import { registerLabelCommands } from './commands/labels'
import { registerPoolCommands } from './commands/pools'
import { registerPbsImportCommand } from './commands/pbs-import'
import { registerServeCommand } from './commands/serve'
import { registerMtCommands } from './commands/mt-mtx'
import { registerNotifyCommands } from './commands/notify'
import { registerTapeCommands } from './commands/tape'
import { registerMediaCommands } from './commands/media'
import { registerTaskCommands } from './commands/tasks'
import { registerTimeCommands } from './commands/time'

export function buildProgram(): Command {
  const program = new Command('tapedeck')
    .description('LTO tape backup for Proxmox Backup Server datastores')
    .version(VERSION, '-V, --version')
    .addOption(
      new Option('--home <dir>', 'Tapedeck home (config files and database)').env('TAPEDECK_HOME')
    )
    .addOption(
      new Option('--output-format <format>', 'output format')
        .choices(['text', 'json', 'json-pretty'])
        .default('text')
    )
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ outputError: (text, write) => write(text) })

  const run: Run =
    (action) =>
    async (...args) => {
      const ctx = new CliContext(program.opts<GlobalOptions>())
      try {
        await action(ctx, ...args)
      } finally {
        await ctx.close()
      }
    }

  registerDriveCommands(program, run)
  registerChangerCommands(program, run)
  registerPoolCommands(program, run)
  registerKeyCommands(program, run)
  registerBackupJobCommands(program, run)
  registerTapeCommands(program, run)
  registerMediaCommands(program, run)
  registerMtCommands(program, run)
  registerDatastoreCommands(program, run)
  registerTaskCommands(program, run)
  registerTimeCommands(program, run)
  registerLabelCommands(program, run)
  registerNotifyCommands(program, run)
  registerServeCommand(program, run)
  registerDemoCommand(program, run)
  registerPbsImportCommand(program, run)
  return program
}

// `tapedeck … | head` closes the pipe early; that is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0)
  throw err
})

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv)
    return 0
  } catch (err) {
    process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
}

void main(process.argv).then((code) => {
  process.exitCode = code
})
