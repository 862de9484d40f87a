/**
 * Sends the notification mails. Reads `notifications.json` on every call, so edits apply to the
 * next mail without a restart. Never throws into the caller: a job must not fail because the
 * mail server is down — what happened comes back as the result and, when a log is given, as a
 * task log line (a warning when sending failed).
 */
import { hostname } from 'node:os'
import { MailError, sendMail, type SendOptions } from './mailer'
import type { NotificationSettings, NotificationTestResult } from './schema'
import { NotificationSettingsStore } from './settings'
import {
  tapeBackupMail,
  tapeLoadMail,
  testMail,
  type BackupNotification,
  type MailContent,
  type TapeRequestNotification,
  type TemplateName
} from './templates'

export type { BackupNotification, TapeRequestNotification } from './templates'

/** What a notification call did. Exactly one of: sent, `skipped` (on purpose), `warning` (failed). */
export interface NotifyOutcome {
  template: TemplateName
  sent: boolean
  subject?: string
  /** recipients the server accepted */
  recipients: string[]
  messageId?: string
  /** why nothing was sent although nothing failed (not configured, switched off, repeated) */
  skipped?: string
  /** why the mail (or part of it) could not be delivered to the server */
  warning?: string
}

/** Where a notification reports what it did; a TaskContext fits. */
export interface NotifyLog {
  log(text: string): void
  warn(text: string): void
}

export interface NotifierOptions {
  /** an identical tape request (same device, tape and reason) is mailed at most this often */
  tapeRequestRepeatSeconds?: number
  now?: () => number
  send?: SendOptions
}

interface LastRequest {
  label: string
  reason: string
  at: number
}

export class Notifier {
  readonly settings: NotificationSettingsStore
  private readonly repeatMs: number
  private readonly now: () => number
  private readonly lastTapeRequest = new Map<string, LastRequest>()

  constructor(
    home: string,
    private readonly options: NotifierOptions = {}
  ) {
    this.settings = new NotificationSettingsStore(home)
    this.repeatMs = (options.tapeRequestRepeatSeconds ?? 3600) * 1000
    this.now = options.now ?? Date.now
  }

  /** After a tape backup (job or one-off): `tape-backup-ok`, or `tape-backup-err` when `error` is set. */
  async backupFinished(info: BackupNotification, log?: NotifyLog): Promise<NotifyOutcome> {
    const failed = info.error !== undefined
    const template = failed ? 'tape-backup-err' : 'tape-backup-ok'
    return this.guard(template, log, async () => {
      const settings = await this.settings.read()
      const on = settings['notify-on'][failed ? 'backup-error' : 'backup-ok']
      if (!on) return skipped(template, `notifications for ${template} are switched off`)
      return this.deliver(settings, tapeBackupMail(info, hostname()))
    })
  }

  /**
   * A job waits for a tape (`tape-load`). Called on every failed attempt to get the right tape;
   * mails only when the request differs from the last one for that device (other tape or other
   * reason) or the same request is older than the repeat interval.
   */
  async tapeRequest(info: TapeRequestNotification, log?: NotifyLog): Promise<NotifyOutcome> {
    return this.guard('tape-load', log, async () => {
      const settings = await this.settings.read()
      if (!settings['notify-on']['tape-request'])
        return skipped('tape-load', 'notifications for tape-load are switched off')
      const key = `${info.device.kind}:${info.device.name}`
      const reason = info.reason ?? ''
      const last = this.lastTapeRequest.get(key)
      const now = this.now()
      if (
        last &&
        last.label === info.label &&
        last.reason === reason &&
        now - last.at < this.repeatMs
      ) {
        return skipped('tape-load', `the same tape request was already mailed`)
      }
      const unconfigured = notConfigured(settings)
      if (unconfigured) return skipped('tape-load', unconfigured)
      // Remember the attempt even when it fails: a job polls every few seconds and must not
      // hammer a broken mail server (or the log) with one failure per poll.
      this.lastTapeRequest.set(key, { label: info.label, reason, at: now })
      return this.deliver(settings, tapeLoadMail(info, hostname()))
    })
  }

  /** Forget the request for a device (the job got its tape): the next request mails again. */
  tapeRequestDone(device: TapeRequestNotification['device']): void {
    this.lastTapeRequest.delete(`${device.kind}:${device.name}`)
  }

  /** A test mail to the configured recipients, whatever `notify-on` says. */
  async test(log?: NotifyLog): Promise<NotificationTestResult> {
    const outcome = await this.guard('test', log, async () => {
      const settings = await this.settings.read()
      const unconfigured = notConfigured(settings)
      if (unconfigured) return failed('test', unconfigured)
      return this.deliver(settings, testMail(hostname()))
    })
    return {
      ok: outcome.sent && outcome.warning === undefined,
      recipients: outcome.recipients,
      subject: outcome.subject,
      'message-id': outcome.messageId,
      error: outcome.warning
    }
  }

  private async deliver(settings: NotificationSettings, mail: MailContent): Promise<NotifyOutcome> {
    const unconfigured = notConfigured(settings)
    if (unconfigured) return skipped(mail.template, unconfigured)
    const result = await sendMail(settings.smtp!, settings.recipients, mail, this.options.send)
    const outcome: NotifyOutcome = {
      template: mail.template,
      sent: true,
      subject: mail.subject,
      recipients: result.accepted,
      messageId: result.messageId
    }
    if (result.rejected.length > 0)
      outcome.warning = `the mail server refused ${result.rejected
        .map((r) => `${r.address} (${r.reason})`)
        .join(', ')}`
    return outcome
  }

  private async guard(
    template: TemplateName,
    log: NotifyLog | undefined,
    body: () => Promise<NotifyOutcome>
  ): Promise<NotifyOutcome> {
    let outcome: NotifyOutcome
    try {
      outcome = await body()
    } catch (err) {
      const reason =
        err instanceof MailError
          ? err.message
          : `notification settings: ${err instanceof Error ? err.message : String(err)}`
      outcome = failed(template, reason)
    }
    report(outcome, log)
    return outcome
  }
}

function notConfigured(settings: NotificationSettings): string | undefined {
  if (!settings.smtp) return 'mail notifications are not configured (no SMTP server set)'
  if (settings.recipients.length === 0)
    return 'mail notifications are not configured (no recipients set)'
  return undefined
}

const skipped = (template: TemplateName, why: string): NotifyOutcome => ({
  template,
  sent: false,
  recipients: [],
  skipped: why
})

const failed = (template: TemplateName, why: string): NotifyOutcome => ({
  template,
  sent: false,
  recipients: [],
  warning: why
})

function report(outcome: NotifyOutcome, log: NotifyLog | undefined): void {
  if (!log) return
  try {
    if (outcome.sent)
      log.log(`sent notification '${outcome.subject}' to ${outcome.recipients.join(', ')}`)
    if (outcome.warning)
      log.warn(`notification mail (${outcome.template}) failed: ${outcome.warning}`)
  } catch {
    // a broken log must not break the job either
  }
}
