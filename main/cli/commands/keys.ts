/**
 * `tapedeck key …` — tape encryption keys, as `proxmox-tape key`: create, list, show,
 * change-passphrase, remove, paperkey, restore; and unseal, for keys the desktop app sealed.
 * Passwords come from a no-echo prompt, `--password-file FILE` or standard input (see
 * ../password.ts), never from an argument.
 */
import { readFile } from 'node:fs/promises'
import { Option, type Command } from 'commander'
import type { TapeKeyInfo } from '../../core/api/contract'
import { resolveDrive } from '../../core/operations/devices'
import type { CliContext, Run } from '../context'
import { defined } from '../options'
import { readPassword } from '../password'

const kdfOption = () =>
  new Option('--kdf <kdf>', 'key derivation function for the password (default: scrypt)').choices([
    'scrypt',
    'pbkdf2'
  ])

const passwordFileOption = () =>
  new Option(
    '--password-file <file>',
    "read the key password from a file ('-' = standard input; default: prompt on a terminal)"
  )

const STORAGE_TEXT: Record<TapeKeyInfo['storage'], string> = {
  file: 'file (0600; CLI, serve and scheduled jobs can use it)',
  sealed: 'sealed to the desktop app (`key unseal` makes it usable here)',
  none: 'none (restore it with `key restore`)'
}

function showInfo(ctx: CliContext, info: TapeKeyInfo): void {
  if (!ctx.out.isText) return ctx.out.json(info)
  ctx.out.object({
    fingerprint: info.fingerprint,
    hint: info.hint,
    kdf: info.kdf,
    created: info.created,
    modified: info.modified,
    'has-plain-key': info['has-plain-key'],
    storage: STORAGE_TEXT[info.storage],
    pools: info.pools.join(', ') || '-'
  })
}

/** Refuse stray words: one of them may be a password typed in the wrong place, so never echo it. */
function noExtraArguments(cmd: Command, name: string): void {
  if (cmd.args.length > (cmd.registeredArguments?.length ?? 0)) {
    throw new Error(
      `unexpected argument to 'key ${name}' (passwords are never read from the command line; ` +
        'use the prompt, standard input or --password-file)'
    )
  }
}

export function registerKeyCommands(program: Command, run: Run): void {
  const key = program
    .command('key')
    .description('Tape encryption keys (tape-encryption-keys.json, paper keys, restore from tape)')

  key
    .command('list')
    .description('List tape encryption keys')
    .action(
      run(async (ctx) => {
        ctx.out.list<TapeKeyInfo>(await ctx.call('key.list', {}), [
          { header: 'fingerprint', value: (k) => k.fingerprint },
          { header: 'hint', value: (k) => k.hint },
          { header: 'kdf', value: (k) => k.kdf },
          { header: 'created', value: (k) => k.created },
          { header: 'storage', value: (k) => k.storage },
          { header: 'pools', value: (k) => k.pools }
        ])
      })
    )

  key
    .command('show <fingerprint>')
    .description('Show a key (full fingerprint or a unique prefix, e.g. the 8-byte short form)')
    .action(
      run(async (ctx, fingerprint: string) =>
        showInfo(ctx, await ctx.call('key.show', { fingerprint }))
      )
    )

  key
    .command('create')
    .description('Create a new encryption key; prints its fingerprint. Keep a paper key!')
    .requiredOption('--hint <hint>', 'password hint (1 to 32 characters), stored with the key')
    .addOption(kdfOption())
    .addOption(passwordFileOption())
    .allowExcessArguments()
    .action(
      run(async (ctx, o, cmd: Command) => {
        noExtraArguments(cmd, 'create')
        const password = await readPassword({
          file: o.passwordFile,
          prompt: 'Tape encryption key password: ',
          repeat: true
        })
        const info = await ctx.call('key.create', defined({ password, hint: o.hint, kdf: o.kdf }))
        if (ctx.out.isText) ctx.out.line(info.fingerprint)
        else ctx.out.json(info)
      })
    )

  key
    .command('change-passphrase <fingerprint>')
    .description('Change the password (and hint, KDF) protecting a key; the key stays the same')
    .requiredOption('--hint <hint>', 'new password hint (1 to 32 characters)')
    .addOption(kdfOption())
    .addOption(
      new Option(
        '--password-file <file>',
        "read the current password from a file ('-' = standard input)"
      )
    )
    .option(
      '--new-password-file <file>',
      "read the new password from a file ('-' = standard input, the line after the current one)"
    )
    .allowExcessArguments()
    .action(
      run(async (ctx, fingerprint: string, o, cmd: Command) => {
        noExtraArguments(cmd, 'change-passphrase')
        const password = await readPassword({
          file: o.passwordFile,
          prompt: 'Current password: '
        })
        const newPassword = await readPassword({
          file: o.newPasswordFile,
          prompt: 'New password: ',
          repeat: true
        })
        const info = await ctx.call(
          'key.change-passphrase',
          defined({ fingerprint, password, 'new-password': newPassword, hint: o.hint, kdf: o.kdf })
        )
        showInfo(ctx, info)
      })
    )

  key
    .command('remove <fingerprint>')
    .description('Remove a key (refused while a media pool uses it). Tapes need it to be read!')
    .action(
      run(async (ctx, fingerprint: string) => {
        await ctx.call('key.remove', { fingerprint })
        ctx.out.done()
      })
    )

  key
    .command('unseal <fingerprint>')
    .description(
      'Make a key sealed by the desktop app usable by the CLI, serve and scheduled jobs: ' +
        'asks its password and keeps the plain key in tape-encryption-keys.json (0600)'
    )
    .addOption(passwordFileOption())
    .allowExcessArguments()
    .action(
      run(async (ctx, fingerprint: string, o, cmd: Command) => {
        noExtraArguments(cmd, 'unseal')
        const info = await ctx.call('key.show', { fingerprint })
        if (info.storage === 'file') return showInfo(ctx, info)
        const password = await readPassword({
          file: o.passwordFile,
          prompt: 'Tape encryption key password: '
        })
        showInfo(
          ctx,
          await ctx.call('key.set-storage', {
            fingerprint: info.fingerprint,
            storage: 'file',
            password
          })
        )
      })
    )

  key
    .command('paperkey <fingerprint>')
    .description('Print the password-protected key with a QR code, to keep on paper')
    .option('--subject <subject>', 'a line printed above the key, e.g. which host it belongs to')
    .addOption(
      // Not --output-format: that is the global text/json option.
      new Option('--format <format>', 'paper key format: text (QR code in Unicode blocks) or html')
        .choices(['text', 'html'])
        .default('text')
    )
    .action(
      run(async (ctx, fingerprint: string, o) => {
        const paper = await ctx.call(
          'key.paperkey',
          defined({ fingerprint, subject: o.subject, format: o.format })
        )
        if (ctx.out.isText) process.stdout.write(paper.content)
        else ctx.out.json(paper)
      })
    )

  key
    .command('restore')
    .description(
      'Restore a key with its password: from a key config file, paper-key text, or the media-set ' +
        'label of the tape in a drive (the default when neither --key nor --key-file is given)'
    )
    .option('--key-file <file>', 'a key config JSON file or a paper key text file')
    .option('--key <text>', 'key config JSON, or paper-key text with its BEGIN/END lines')
    .option(
      '--drive <name>',
      'read the key from the tape in this drive (default: $TAPEDECK_DRIVE or the only drive)'
    )
    .addOption(passwordFileOption())
    .allowExcessArguments()
    .action(
      run(async (ctx, o, cmd: Command) => {
        noExtraArguments(cmd, 'restore')
        const given = [o.keyFile, o.key, o.drive].filter((v) => v !== undefined)
        if (given.length > 1) throw new Error('give only one of --key-file, --key and --drive')
        let keyText: string | undefined = o.key
        if (o.keyFile !== undefined) {
          keyText = await readFile(o.keyFile, 'utf8').catch((err: Error) => {
            throw new Error(`cannot read the key file: ${err.message}`)
          })
        }
        const drive =
          keyText === undefined ? await resolveDrive(await ctx.open(), o.drive) : undefined
        const password = await readPassword({
          file: o.passwordFile,
          prompt: 'Tape encryption key password: '
        })
        const info = await ctx.call('key.restore', defined({ key: keyText, drive, password }))
        if (ctx.out.isText) ctx.out.line(`restored key ${info.fingerprint}`)
        else ctx.out.json(info)
      })
    )
}
