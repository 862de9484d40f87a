/**
 * `notifications.json` in the home: read fresh on every use (edits apply without a restart),
 * written atomically under a lock with mode 0600 because it can hold the SMTP password.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { z } from 'zod'
import { ApiError, invalidArgument } from '../api/errors'
import { writeFileAtomic } from '../util/atomic-write'
import { withFileLock } from '../util/file-lock'
import {
  DEFAULT_PORT,
  NotificationSettings,
  type NotificationConfigView,
  type NotificationUpdate,
  type SmtpSettings
} from './schema'

export const NOTIFICATIONS_FILE = 'notifications.json'

function describe(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ')
}

export function configView(settings: NotificationSettings): NotificationConfigView {
  const smtp = settings.smtp
  return {
    smtp: smtp && {
      host: smtp.host,
      port: smtp.port,
      security: smtp.security,
      username: smtp.username,
      'has-password': smtp.password !== undefined,
      from: smtp.from,
      'insecure-tls': smtp['insecure-tls'] ?? false
    },
    recipients: [...settings.recipients],
    'notify-on': { ...settings['notify-on'] },
    configured: smtp !== undefined && settings.recipients.length > 0
  }
}

const SMTP_FIELDS = [
  'host',
  'port',
  'security',
  'username',
  'password',
  'from',
  'insecure-tls'
] as const satisfies (keyof NotificationUpdate)[]

/** The settings after `update`: pure, so the rules are easy to see and test. */
export function applyUpdate(
  current: NotificationSettings,
  update: NotificationUpdate
): NotificationSettings {
  const remove = new Set(update.delete ?? [])
  for (const key of remove) {
    if (key !== 'smtp' && update[key] !== undefined)
      throw invalidArgument(`'${key}' is both set and deleted`)
  }
  const next: NotificationSettings = {
    smtp: current.smtp && { ...current.smtp },
    recipients: [...current.recipients],
    'notify-on': { ...current['notify-on'], ...stripUndefined(update['notify-on'] ?? {}) }
  }
  if (remove.has('smtp')) {
    if (SMTP_FIELDS.some((f) => update[f] !== undefined))
      throw invalidArgument("cannot delete 'smtp' and set SMTP fields at the same time")
    next.smtp = undefined
  }
  if (remove.has('recipients')) next.recipients = []
  if (update.recipients) next.recipients = [...new Set(update.recipients)]

  const touchesSmtp =
    SMTP_FIELDS.some((f) => update[f] !== undefined) ||
    remove.has('username') ||
    remove.has('password') ||
    remove.has('insecure-tls')
  if (touchesSmtp) {
    const base: Partial<SmtpSettings> = next.smtp ?? {}
    const security = update.security ?? base.security ?? 'starttls'
    const merged: Partial<SmtpSettings> = {
      ...base,
      ...stripUndefined({
        host: update.host,
        port: update.port,
        username: update.username,
        password: update.password,
        from: update.from,
        'insecure-tls': update['insecure-tls']
      }),
      security
    }
    merged.port ??= DEFAULT_PORT[security]
    if (remove.has('username')) delete merged.username
    if (remove.has('password')) delete merged.password
    if (remove.has('insecure-tls')) delete merged['insecure-tls']
    const missing = (['host', 'from'] as const).filter((f) => merged[f] === undefined)
    if (missing.length > 0)
      throw invalidArgument(
        `the SMTP server is not set up yet: also give ${missing.map((f) => `'${f}'`).join(' and ')}`
      )
    next.smtp = merged as SmtpSettings
  }
  return next
}

function stripUndefined<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>
}

export class NotificationSettingsStore {
  readonly path: string
  private readonly lockPath: string

  constructor(home: string) {
    this.path = join(home, NOTIFICATIONS_FILE)
    this.lockPath = join(home, `.${NOTIFICATIONS_FILE}.lock`)
  }

  /** The current settings; defaults (nothing configured) when the file does not exist. */
  async read(): Promise<NotificationSettings> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return NotificationSettings.parse({})
      throw err
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (err) {
      throw new ApiError('internal', `${this.path} is not valid JSON: ${(err as Error).message}`)
    }
    const parsed = NotificationSettings.safeParse(json)
    if (!parsed.success)
      throw new ApiError('internal', `${this.path} is invalid: ${describe(parsed.error)}`)
    return parsed.data
  }

  async view(): Promise<NotificationConfigView> {
    return configView(await this.read())
  }

  async update(update: NotificationUpdate): Promise<NotificationConfigView> {
    return withFileLock(this.lockPath, async () => {
      const next = applyUpdate(await this.read(), update)
      // Parse the result once more: the file must always be readable afterwards.
      const checked = NotificationSettings.safeParse(next)
      if (!checked.success) throw invalidArgument(describe(checked.error))
      await writeFileAtomic(this.path, JSON.stringify(checked.data, null, 2) + '\n', 0o600)
      return configView(checked.data)
    })
  }
}
