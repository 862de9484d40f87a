/**
 * One mail over SMTP with nodemailer. A connection per mail (notifications are rare), short
 * timeouts (a job waiting on a dead mail server must not wait ten minutes), no logging (the
 * transcript would carry the credentials).
 */
import { hostname } from 'node:os'
import type { SmtpSettings } from './schema'
import type { MailContent } from './templates'

export interface SendOptions {
  /** milliseconds for connecting and for the greeting; the whole mail gets a few times that */
  timeoutMs?: number
}

export interface SendResult {
  messageId: string
  accepted: string[]
  /** recipients the server refused, with its reason */
  rejected: { address: string; reason: string }[]
}

export class MailError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MailError'
  }
}

/** Remove the password from a text, in case a server or library ever echoes it. */
export function redact(text: string, secret: string | undefined): string {
  if (!secret || secret.length < 3) return text
  return text.split(secret).join('********')
}

function describeError(err: unknown, smtp: SmtpSettings): string {
  const e = err as NodeJS.ErrnoException & { responseCode?: number; command?: string }
  let message = e instanceof Error ? e.message : String(err)
  if (e.code && !message.includes(e.code)) message = `${e.code}: ${message}`
  if (/certificate|self[- ]signed/i.test(message) && smtp['insecure-tls'] !== true)
    message += ' (for a self-signed server certificate set insecure-tls)'
  return redact(`${smtp.host}:${smtp.port} (${smtp.security}): ${message}`, smtp.password)
}

export function transportOptions(smtp: SmtpSettings, timeoutMs: number) {
  return {
    host: smtp.host.replace(/^\[(.*)\]$/, '$1'),
    port: smtp.port,
    secure: smtp.security === 'tls',
    requireTLS: smtp.security === 'starttls',
    ignoreTLS: smtp.security === 'none',
    auth:
      smtp.username !== undefined ? { user: smtp.username, pass: smtp.password ?? '' } : undefined,
    tls: { rejectUnauthorized: smtp['insecure-tls'] !== true, minVersion: 'TLSv1.2' as const },
    name: hostname(),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs * 2,
    dnsTimeout: timeoutMs,
    logger: false,
    debug: false
  }
}

/** Sends one mail; throws MailError with a one-line reason (never containing the password). */
export async function sendMail(
  smtp: SmtpSettings,
  recipients: string[],
  mail: MailContent,
  options: SendOptions = {}
): Promise<SendResult> {
  // Loaded on the first mail: every command would otherwise pay for it at start.
  const { createTransport } = await import('nodemailer')
  const transport = createTransport(transportOptions(smtp, options.timeoutMs ?? 15_000))
  try {
    const info = await transport.sendMail({
      from: { name: `Tapedeck - ${hostname()}`, address: smtp.from },
      to: recipients,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      headers: { 'X-Tapedeck-Notification': mail.template },
      disableFileAccess: true,
      disableUrlAccess: true
    })
    const reasons = new Map<string, string>()
    for (const e of info.rejectedErrors ?? [])
      if (e.recipient) reasons.set(e.recipient, e.response ?? e.message)
    return {
      messageId: info.messageId,
      accepted: info.accepted.map(String),
      rejected: info.rejected.map((r) => {
        const address = String(r)
        return { address, reason: redact(reasons.get(address) ?? 'refused', smtp.password) }
      })
    }
  } catch (err) {
    throw new MailError(describeError(err, smtp))
  } finally {
    transport.close()
  }
}
