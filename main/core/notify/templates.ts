/**
 * The notification mails, after PBS's `tape-backup-ok`, `tape-backup-err` and `tape-load`
 * templates (reference/pbs-tape.md §5.2): same subjects, same facts in the body, plus a
 * small HTML part.
 */

export type TemplateName = 'tape-backup-ok' | 'tape-backup-err' | 'tape-load' | 'test'

export interface MailContent {
  template: TemplateName
  subject: string
  text: string
  html: string
}

export interface BackupNotification {
  /** backup job id; absent for a one-off backup */
  id?: string
  store: string
  pool: string
  drive: string
  /** snapshots written by this run (PBS paths, `store:` prefix optional) */
  snapshots: string[]
  /** label texts of the tapes used */
  usedTapes: string[]
  /** run time in seconds */
  duration: number
  /** set when the job failed */
  error?: string
}

export interface TapeRequestNotification {
  /** label text of the wanted tape */
  label: string
  /** the drive, or the changer when the drive has one */
  device: { kind: 'drive' | 'changer'; name: string }
  /** what went wrong with the tape that is in the drive (if any) */
  reason?: string
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!
  )

/** `1h 2m 3s`, `4m 5s`, `6s` (PBS prints a similar human duration). */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const rest = s % 60
  if (h > 0) return `${h}h ${m}m ${rest}s`
  return m > 0 ? `${m}m ${rest}s` : `${rest}s`
}

function html(title: string, body: string): string {
  return (
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>' +
    escapeHtml(title) +
    '</title></head>\n<body style="font-family: sans-serif">\n' +
    body +
    '\n</body></html>\n'
  )
}

const htmlTable = (rows: [string, string][]) =>
  '<table>\n' +
  rows
    .map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('\n') +
  '\n</table>'

const htmlList = (items: string[]) =>
  '<ul>\n' + items.map((i) => `<li><code>${escapeHtml(i)}</code></li>`).join('\n') + '\n</ul>'

/** Name/value lines with the values in one column, like the PBS text templates. */
function textFields(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([k]) => k.length)) + 2
  return rows.map(([k, v]) => `${(k + ':').padEnd(width)}${v}`).join('\n')
}

export function tapeBackupMail(info: BackupNotification, hostname: string): MailContent {
  const ok = info.error === undefined
  const outcome = ok ? 'successful' : 'failed'
  const subject =
    info.id !== undefined
      ? `Tape Backup '${info.id}' datastore '${info.store}' ${outcome}`
      : `Tape Backup datastore '${info.store}' ${outcome}`
  const fields: [string, string][] = [
    ...(info.id !== undefined ? [['Job ID', info.id] as [string, string]] : []),
    ['Datastore', info.store],
    ['Tape Pool', info.pool],
    ['Tape Drive', info.drive],
    ['Host', hostname],
    ['Duration', formatDuration(info.duration)]
  ]
  const snapshots = info.snapshots
  const text = [
    textFields(fields),
    '',
    snapshots.length > 0 ? 'Snapshots included:' : 'No snapshots were written.',
    ...(snapshots.length > 0 ? ['', ...snapshots] : []),
    '',
    ...(info.usedTapes.length > 0 ? ['Used Tapes:', '', ...info.usedTapes, ''] : []),
    ok ? 'Tape Backup successful.' : `Tape Backup failed: ${info.error}`,
    ''
  ].join('\n')
  const body = [
    `<h2>${escapeHtml(subject)}</h2>`,
    ok
      ? '<p>Tape Backup successful.</p>'
      : `<p><strong>Tape Backup failed:</strong></p>\n<pre>${escapeHtml(info.error ?? '')}</pre>`,
    htmlTable(fields),
    snapshots.length > 0
      ? `<h3>Snapshots included (${snapshots.length})</h3>\n${htmlList(snapshots)}`
      : '<p>No snapshots were written.</p>',
    info.usedTapes.length > 0 ? `<h3>Used Tapes</h3>\n${htmlList(info.usedTapes)}` : ''
  ]
    .filter(Boolean)
    .join('\n')
  return {
    template: ok ? 'tape-backup-ok' : 'tape-backup-err',
    subject,
    text,
    html: html(subject, body)
  }
}

export function tapeLoadMail(info: TapeRequestNotification, hostname: string): MailContent {
  const { kind, name } = info.device
  const subject = `Load Media '${info.label}' request for ${kind} '${name}'`
  const instruction = `Please insert media '${info.label}' into ${kind} '${name}'`
  const fields: [string, string][] = [
    [kind === 'changer' ? 'Changer' : 'Drive', name],
    ['Media', info.label],
    ['Host', hostname]
  ]
  const text = [
    ...(info.reason
      ? [`The ${kind} has the wrong or no tape(s) inserted. Error:`, info.reason, '']
      : []),
    `${instruction}.`,
    '',
    textFields(fields),
    '',
    'The job waits and checks again every few seconds until the tape is there.',
    ''
  ].join('\n')
  const body = [
    `<h2>${escapeHtml(subject)}</h2>`,
    info.reason
      ? `<p>The ${kind} has the wrong or no tape(s) inserted. Error:</p>\n<pre>${escapeHtml(info.reason)}</pre>`
      : '',
    `<p><strong>${escapeHtml(instruction)}.</strong></p>`,
    htmlTable(fields),
    '<p>The job waits and checks again every few seconds until the tape is there.</p>'
  ]
    .filter(Boolean)
    .join('\n')
  return { template: 'tape-load', subject, text, html: html(subject, body) }
}

export function testMail(hostname: string): MailContent {
  const subject = `Tapedeck test notification from '${hostname}'`
  const text =
    `This is a test mail from Tapedeck on ${hostname}.\n\n` +
    'Mail notifications are set up correctly if you can read this.\n'
  const body =
    `<h2>${escapeHtml(subject)}</h2>\n<p>This is a test mail from Tapedeck on ` +
    `${escapeHtml(hostname)}.</p>\n<p>Mail notifications are set up correctly if you can read this.</p>`
  return { template: 'test', subject, text, html: html(subject, body) }
}
