/**
 * Mail notification settings (`notifications.json` in the home) and the API shapes around them.
 * Only zod here: the contract imports these schemas, the renderer their types.
 *
 * The SMTP password lives in the file (mode 0600) and nowhere else: the API shows
 * `has-password` instead, and the view schema is strict, so a password can never slip into a result.
 */
import { z } from 'zod'

/** addr-spec without quoting or comments: what admins type; `root@backup-host` is allowed. */
const EMAIL =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

const HOSTNAME =
  /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/
const IPV6 = /^\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]?$/

export const EmailAddress = z
  .string()
  .max(254, 'mail address must be at most 254 characters')
  .regex(EMAIL, 'not a mail address (expected name@domain)')

export const SmtpHost = z
  .string()
  .min(1, 'SMTP host must not be empty')
  .max(253, 'SMTP host must be at most 253 characters')
  .refine((h) => HOSTNAME.test(h) || IPV6.test(h), 'SMTP host must be a host name or IP address')

export const SmtpPort = z
  .number()
  .int('SMTP port must be a whole number')
  .min(1, 'SMTP port must be between 1 and 65535')
  .max(65535, 'SMTP port must be between 1 and 65535')

/** none: plain SMTP (STARTTLS ignored); starttls: upgrade required; tls: TLS from the start (465). */
export const SmtpSecurity = z.enum(['none', 'starttls', 'tls'])
export type SmtpSecurity = z.output<typeof SmtpSecurity>

export const DEFAULT_PORT: Record<SmtpSecurity, number> = { none: 25, starttls: 587, tls: 465 }

const SmtpUsername = z
  .string()
  .min(1, 'SMTP username must not be empty')
  .max(256, 'SMTP username must be at most 256 characters')
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\x00-\x1f\x7f]*$/, 'SMTP username must not contain control characters')

// The messages never quote the value: a rejected password must not end up in an error text.
const SmtpPassword = z
  .string()
  .min(1, 'SMTP password must not be empty')
  .max(1024, 'SMTP password must be at most 1024 characters')
  .regex(/^[^\r\n\0]*$/, 'SMTP password must be a single line')

export const NotifyOn = z.strictObject({
  'backup-ok': z.boolean(),
  'backup-error': z.boolean(),
  'tape-request': z.boolean()
})
export type NotifyOn = z.output<typeof NotifyOn>

export const DEFAULT_NOTIFY_ON: NotifyOn = {
  'backup-ok': true,
  'backup-error': true,
  'tape-request': true
}

export const SmtpSettings = z.strictObject({
  host: SmtpHost,
  port: SmtpPort,
  security: SmtpSecurity,
  username: SmtpUsername.optional(),
  password: SmtpPassword.optional(),
  from: EmailAddress,
  /** accept a self-signed or otherwise unverifiable server certificate */
  'insecure-tls': z.boolean().optional()
})
export type SmtpSettings = z.output<typeof SmtpSettings>

/** The file format; missing lists and switches get their defaults (hand-written files). */
export const NotificationSettings = z.strictObject({
  smtp: SmtpSettings.optional(),
  recipients: z.array(EmailAddress).max(100, 'at most 100 recipients').default([]),
  'notify-on': z
    .strictObject({
      'backup-ok': z.boolean().default(DEFAULT_NOTIFY_ON['backup-ok']),
      'backup-error': z.boolean().default(DEFAULT_NOTIFY_ON['backup-error']),
      'tape-request': z.boolean().default(DEFAULT_NOTIFY_ON['tape-request'])
    })
    .prefault({})
})
export type NotificationSettings = z.output<typeof NotificationSettings>

/** What `notify.config` returns: the settings with the password replaced by `has-password`. */
export const NotificationConfigView = z.strictObject({
  smtp: z
    .strictObject({
      host: z.string(),
      port: z.number().int(),
      security: SmtpSecurity,
      username: z.string().optional(),
      'has-password': z.boolean(),
      from: z.string(),
      'insecure-tls': z.boolean()
    })
    .optional(),
  recipients: z.array(z.string()),
  'notify-on': NotifyOn,
  /** an SMTP server and at least one recipient are set */
  configured: z.boolean()
})
export type NotificationConfigView = z.output<typeof NotificationConfigView>

export const NOTIFY_DELETABLE = [
  'username',
  'password',
  'insecure-tls',
  'recipients',
  'smtp'
] as const

export const NotificationUpdate = z.strictObject({
  host: SmtpHost.optional(),
  /** default: 25, 587 or 465 by security, when the SMTP server is first set */
  port: SmtpPort.optional(),
  security: SmtpSecurity.optional(),
  username: SmtpUsername.optional(),
  /** replaces the stored password; leave out to keep it */
  password: SmtpPassword.optional(),
  from: EmailAddress.optional(),
  'insecure-tls': z.boolean().optional(),
  /** replaces the recipient list */
  recipients: z
    .array(EmailAddress)
    .min(1, 'give at least one recipient (delete "recipients" to clear the list)')
    .max(100, 'at most 100 recipients')
    .optional(),
  'notify-on': NotifyOn.partial().optional(),
  delete: z.array(z.enum(NOTIFY_DELETABLE)).optional()
})
export type NotificationUpdate = z.output<typeof NotificationUpdate>

export const NotificationTestResult = z.strictObject({
  ok: z.boolean(),
  recipients: z.array(z.string()),
  subject: z.string().optional(),
  'message-id': z.string().optional(),
  /** why the mail could not be sent */
  error: z.string().optional()
})
export type NotificationTestResult = z.output<typeof NotificationTestResult>
