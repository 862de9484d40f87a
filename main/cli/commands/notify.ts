/**
 * `tapedeck notify show | set | test` — mail notifications (notifications.json).
 *
 * The SMTP password never comes from an argument (it would sit in the shell history and in
 * /proc/<pid>/cmdline): `--password-file FILE` (`-` = standard input), or `--password`, which
 * prompts on a terminal and reads standard input otherwise.
 */
import { Option, type Command } from 'commander'
import type { ApiArgs, ApiResult } from '../../core/api/contract'
import { NOTIFY_DELETABLE } from '../../core/notify/schema'
import type { Run } from '../context'
import { readPassword } from '../password'
import { boolean, collect, defined, integer } from '../options'

/** The SMTP password the user asked to set, or undefined when they asked for none. */
async function readSmtpPassword(options: {
  passwordFile?: string
  password?: boolean
}): Promise<string | undefined> {
  if (options.passwordFile !== undefined && options.password)
    throw new Error('give either --password or --password-file, not both')
  if (options.passwordFile === undefined && !options.password) return undefined
  return readPassword({ file: options.passwordFile, prompt: 'SMTP password: ', repeat: true })
}

type Config = ApiResult<'notify.config'>

function flatten(config: Config): Record<string, unknown> {
  const smtp = config.smtp
  return {
    host: smtp?.host,
    port: smtp?.port,
    security: smtp?.security,
    username: smtp?.username,
    password: smtp ? (smtp['has-password'] ? '(set)' : '(none)') : undefined,
    from: smtp?.from,
    'insecure-tls': smtp?.['insecure-tls'],
    recipients: config.recipients,
    'backup-ok': config['notify-on']['backup-ok'],
    'backup-error': config['notify-on']['backup-error'],
    'tape-request': config['notify-on']['tape-request'],
    configured: config.configured
  }
}

export function registerNotifyCommands(program: Command, run: Run): void {
  const notify = program
    .command('notify')
    .description('Mail notifications: SMTP server, recipients, which events send mail')

  notify
    .command('show')
    .description('Show the notification settings (the password is never shown)')
    .action(
      run(async (ctx) => {
        const config = await ctx.call('notify.config', {})
        if (ctx.out.isText) ctx.out.object(flatten(config))
        else ctx.out.json(config)
      })
    )

  notify
    .command('set')
    .description('Change the notification settings (only the given fields change)')
    .option('--host <host>', 'SMTP server host name or address')
    .option(
      '--port <port>',
      'SMTP server port (default 25, 587 or 465 by --security)',
      integer(1, 65535)
    )
    .addOption(
      new Option(
        '--security <mode>',
        'none: plain SMTP; starttls: upgrade with STARTTLS (required); tls: TLS from the start'
      ).choices(['none', 'starttls', 'tls'])
    )
    .option('--from <address>', 'sender address')
    .option('--to <addresses>', 'recipient addresses, comma separated (replaces the list)', collect)
    .option('--username <name>', 'SMTP login name')
    .option('--password-file <file>', "read the SMTP password from a file ('-' = standard input)")
    .option(
      '--password',
      'set the SMTP password: prompt on a terminal, else read it from standard input'
    )
    .option(
      '--insecure-tls [bool]',
      'accept a self-signed or unverifiable server certificate',
      boolean
    )
    .option('--backup-ok [bool]', 'mail when a tape backup succeeds', boolean)
    .option('--backup-error [bool]', 'mail when a tape backup fails', boolean)
    .option('--tape-request [bool]', 'mail when a job waits for a tape', boolean)
    .option(
      '--delete <property>',
      `remove a property: ${NOTIFY_DELETABLE.join(', ')} (repeatable)`,
      collect
    )
    // Extra words are caught below, to explain `--password SECRET` rather than just refuse it.
    .allowExcessArguments()
    .action(
      run(async (ctx, o, cmd: Command) => {
        if (cmd.args.length > 0)
          throw new Error(
            o.password
              ? '--password takes no value: the password is never read from the command line; ' +
                  'type it at the prompt, pipe it to standard input or use --password-file'
              : // not echoed: it may be a password given in the wrong place
                `unexpected argument: 'notify set' takes options only`
          )
        const password = await readSmtpPassword(o)
        const notifyOn = defined({
          'backup-ok': o.backupOk as boolean | undefined,
          'backup-error': o.backupError as boolean | undefined,
          'tape-request': o.tapeRequest as boolean | undefined
        })
        await ctx.call(
          'notify.update',
          defined({
            host: o.host,
            port: o.port,
            security: o.security,
            from: o.from,
            recipients: o.to,
            username: o.username,
            password,
            'insecure-tls': o.insecureTls,
            'notify-on': Object.keys(notifyOn).length > 0 ? notifyOn : undefined,
            delete: o.delete as ApiArgs<'notify.update'>['delete']
          })
        )
        ctx.out.done()
      })
    )

  notify
    .command('test')
    .description('Send a test mail to the recipients')
    .action(
      run(async (ctx) => {
        const result = await ctx.call('notify.test', {})
        if (!ctx.out.isText) ctx.out.json(result)
        if (!result.ok) throw new Error(`test mail failed: ${result.error ?? 'unknown error'}`)
        if (ctx.out.isText)
          ctx.out.line(
            `test mail sent to ${result.recipients.join(', ')} (${result['message-id']})`
          )
      })
    )
}
