/**
 * Mail notifications against a real SMTP listener (smtp-server on 127.0.0.1, ephemeral port):
 * plain, STARTTLS and implicit TLS with a self-signed certificate, AUTH PLAIN and LOGIN, a server
 * that refuses, every template parsed back with mailparser, and the password kept secret.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser'
import { SMTPServer, type SMTPServerOptions } from 'smtp-server'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ApiError } from '../../main/core/api/errors'
import { Notifier, type NotifyLog } from '../../main/core/notify/notifier'
import { CLI } from '../helpers/cli'
import { selfSignedCert } from '../helpers/self-signed-cert'
import { tempCore, tempDir } from '../helpers/temp'

type Core = Awaited<ReturnType<typeof tempCore>>

interface Received {
  envelopeFrom: string | undefined
  envelopeTo: string[]
  secure: boolean
  auth?: { method: string; username?: string }
  mail: ParsedMail
}

interface TestServer {
  port: number
  received: Received[]
  auths: { method: string; username?: string; ok: boolean }[]
  close(): Promise<void>
}

const PASSWORD = 'S3cret-Pa55word!'
const tls = selfSignedCert()
const servers = new Set<TestServer>()

/** A real SMTP listener on 127.0.0.1; `users` enables AUTH with these name → password pairs. */
async function startServer(
  options: Partial<SMTPServerOptions> & { users?: Record<string, string> } = {}
): Promise<TestServer> {
  const { users, ...rest } = options
  const received: Received[] = []
  const auths: TestServer['auths'] = []
  const server = new SMTPServer({
    logger: false,
    key: tls.key,
    cert: tls.cert,
    authOptional: users === undefined,
    disabledCommands: users === undefined ? ['AUTH'] : [],
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      const ok = users !== undefined && users[auth.username ?? ''] === auth.password
      auths.push({ method: auth.method, username: auth.username, ok })
      if (!ok) return callback(new Error('Invalid username or password'))
      callback(null, { user: { method: auth.method, username: auth.username } })
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          received.push({
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            secure: session.secure,
            auth: session.user as Received['auth'],
            mail
          })
          callback()
        })
        .catch((err: Error) => callback(err))
    },
    ...rest
  })
  // smtp-server reports client errors (e.g. a failed TLS handshake) as events
  server.on('error', () => undefined)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  const handle: TestServer = {
    port: address.port,
    received,
    auths,
    close: () =>
      new Promise<void>((resolve) => {
        servers.delete(handle)
        server.close(() => resolve())
      })
  }
  servers.add(handle)
  return handle
}

afterAll(async () => {
  await Promise.all([...servers].map((s) => s.close()))
})

function recordingLog(): NotifyLog & { lines: string[]; warnings: string[] } {
  const lines: string[] = []
  const warnings: string[] = []
  return {
    lines,
    warnings,
    log: (t) => void lines.push(t),
    warn: (t) => void warnings.push(t)
  }
}

const addresses = (to: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(to) ? to : to ? [to] : []).flatMap((a) => a.value.map((v) => v.address))

async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise
  } catch (err) {
    return err as ApiError
  }
  throw new Error('expected the call to fail')
}

/** A port nothing listens on (bound once, then released). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

const RECIPIENTS = ['ops@example.com', 'backup-team@example.org']

let core: Core
beforeEach(async () => {
  core = await tempCore()
})
afterEach(async () => {
  await core.cleanup()
})

async function configure(server: TestServer, extra: Record<string, unknown> = {}) {
  return core.api.invoke('notify.update', {
    host: '127.0.0.1',
    port: server.port,
    security: 'none',
    from: 'tapedeck@example.com',
    recipients: RECIPIENTS,
    ...extra
  })
}

const backupInfo = {
  id: 'weekly-offsite',
  store: 'store1',
  pool: 'offsite',
  drive: 'drive0',
  snapshots: ['store1:vm/100/2024-05-01T10:00:00Z', 'store1:ct/200/2024-05-01T11:30:00Z'],
  usedTapes: ['TAPE01L9', 'TAPE02L9'],
  duration: 3725
}

describe('templates over plain SMTP', () => {
  it('mails tape-backup-ok to every recipient with the PBS subject and the job facts', async () => {
    const server = await startServer()
    await configure(server)
    const log = recordingLog()
    const outcome = await core.notifier.backupFinished(backupInfo, log)

    expect(outcome).toMatchObject({ sent: true, template: 'tape-backup-ok' })
    expect(outcome.warning).toBeUndefined()
    expect(outcome.recipients).toEqual(RECIPIENTS)
    expect(server.received).toHaveLength(1)
    const got = server.received[0]!
    expect(got.secure).toBe(false)
    expect(got.envelopeFrom).toBe('tapedeck@example.com')
    expect(got.envelopeTo).toEqual(RECIPIENTS)
    expect(addresses(got.mail.to)).toEqual(RECIPIENTS)
    expect(addresses(got.mail.from)).toEqual(['tapedeck@example.com'])
    expect(got.mail.subject).toBe("Tape Backup 'weekly-offsite' datastore 'store1' successful")
    expect(got.mail.headers.get('x-tapedeck-notification')).toBe('tape-backup-ok')
    const text = got.mail.text ?? ''
    expect(text).toMatch(/^Job ID:\s+weekly-offsite$/m)
    expect(text).toMatch(/^Datastore:\s+store1$/m)
    expect(text).toMatch(/^Tape Pool:\s+offsite$/m)
    expect(text).toMatch(/^Tape Drive:\s+drive0$/m)
    expect(text).toMatch(/^Duration:\s+1h 2m 5s$/m)
    for (const s of backupInfo.snapshots) expect(text).toContain(s)
    expect(text).toMatch(/Used Tapes:\s+TAPE01L9\s+TAPE02L9/)
    expect(text).toContain('Tape Backup successful.')
    const html = got.mail.html || ''
    expect(html).toContain('<li><code>TAPE02L9</code></li>')
    expect(html).toContain('<li><code>store1:vm/100/2024-05-01T10:00:00Z</code></li>')
    expect(log.lines).toEqual([
      `sent notification '${got.mail.subject}' to ${RECIPIENTS.join(', ')}`
    ])
    expect(log.warnings).toEqual([])
  })

  it('mails tape-backup-err without a job id, with the error (escaped in HTML)', async () => {
    const server = await startServer()
    await configure(server)
    const outcome = await core.notifier.backupFinished({
      store: 'store1',
      pool: 'offsite',
      drive: 'drive0',
      snapshots: [],
      usedTapes: ['TAPE01L9'],
      duration: 42,
      error: 'write failed at block 17: <medium error>'
    })
    expect(outcome).toMatchObject({ sent: true, template: 'tape-backup-err' })
    const mail = server.received[0]!.mail
    expect(mail.subject).toBe("Tape Backup datastore 'store1' failed")
    expect(mail.text).not.toMatch(/Job ID/)
    expect(mail.text).toMatch(/^Duration:\s+42s$/m)
    expect(mail.text).toContain('No snapshots were written.')
    expect(mail.text).toContain('Tape Backup failed: write failed at block 17: <medium error>')
    expect(mail.html).toContain('write failed at block 17: &lt;medium error&gt;')
    expect(mail.html).not.toContain('<medium error>')
  })

  it('mails tape-load requests, once per distinct request', async () => {
    const server = await startServer()
    await configure(server)
    let now = 1_000_000
    const notifier = new Notifier(core.home, { tapeRequestRepeatSeconds: 600, now: () => now })
    const request = {
      label: 'TAPE03L9',
      device: { kind: 'drive' as const, name: 'drive0' },
      reason: "wrong media label 'TAPE09L9'"
    }

    expect(await notifier.tapeRequest(request)).toMatchObject({ sent: true, template: 'tape-load' })
    const mail = server.received[0]!.mail
    expect(mail.subject).toBe("Load Media 'TAPE03L9' request for drive 'drive0'")
    expect(mail.text).toContain("Please insert media 'TAPE03L9' into drive 'drive0'")
    expect(mail.text).toContain("wrong media label 'TAPE09L9'")
    expect(mail.html).toContain(
      'Please insert media &#39;TAPE03L9&#39; into drive &#39;drive0&#39;'
    )

    // the job polls every few seconds: the same request is not mailed again …
    now += 5_000
    const again = await notifier.tapeRequest(request)
    expect(again.sent).toBe(false)
    expect(again.skipped).toMatch(/already mailed/)
    expect(server.received).toHaveLength(1)
    // … a changed error is
    expect((await notifier.tapeRequest({ ...request, reason: 'no tape loaded' })).sent).toBe(true)
    expect(server.received).toHaveLength(2)
    // … and so is the same request after the repeat interval, or after the job got its tape
    now += 601_000
    expect((await notifier.tapeRequest({ ...request, reason: 'no tape loaded' })).sent).toBe(true)
    notifier.tapeRequestDone(request.device)
    expect((await notifier.tapeRequest({ ...request, reason: 'no tape loaded' })).sent).toBe(true)
    expect(server.received).toHaveLength(4)

    // changers are named as such; no reason → just the instruction
    await notifier.tapeRequest({ label: 'TAPE07L9', device: { kind: 'changer', name: 'lib1' } })
    const changerMail = server.received[4]!.mail
    expect(changerMail.subject).toBe("Load Media 'TAPE07L9' request for changer 'lib1'")
    expect(changerMail.text).toContain("Please insert media 'TAPE07L9' into changer 'lib1'")
    expect(changerMail.text).not.toContain('Error:')
  })

  it('reads the settings on every call: switches and recipients apply at once', async () => {
    const server = await startServer()
    await configure(server)
    await core.api.invoke('notify.update', { 'notify-on': { 'backup-ok': false } })
    const off = await core.notifier.backupFinished(backupInfo)
    expect(off).toMatchObject({ sent: false, skipped: expect.stringMatching(/switched off/) })
    expect(server.received).toHaveLength(0)
    // errors are still mailed, to the new list
    await core.api.invoke('notify.update', { recipients: ['night-shift@example.net'] })
    const err = await core.notifier.backupFinished({ ...backupInfo, error: 'drive offline' })
    expect(err.sent).toBe(true)
    expect(server.received[0]!.envelopeTo).toEqual(['night-shift@example.net'])
    await core.api.invoke('notify.update', { 'notify-on': { 'tape-request': false } })
    expect(
      await core.notifier.tapeRequest({ label: 'X1', device: { kind: 'drive', name: 'drive0' } })
    ).toMatchObject({ sent: false, skipped: expect.stringMatching(/switched off/) })
  })

  it('is silent while nothing is configured, and the test mail says why', async () => {
    const outcome = await core.notifier.backupFinished(backupInfo)
    expect(outcome).toMatchObject({ sent: false, skipped: expect.stringMatching(/not configured/) })
    expect(await core.api.invoke('notify.test', {})).toEqual({
      ok: false,
      recipients: [],
      error: 'mail notifications are not configured (no SMTP server set)'
    })
    expect(await core.api.invoke('notify.config', {})).toEqual({
      recipients: [],
      'notify-on': { 'backup-ok': true, 'backup-error': true, 'tape-request': true },
      configured: false
    })
  })
})

describe('TLS and authentication', () => {
  it('STARTTLS with AUTH PLAIN: refuses a self-signed certificate unless insecure-tls is set', async () => {
    const server = await startServer({ users: { tapebot: PASSWORD }, authMethods: ['PLAIN'] })
    await configure(server, { security: 'starttls', username: 'tapebot', password: PASSWORD })

    const refused = await core.api.invoke('notify.test', {})
    expect(refused.ok).toBe(false)
    expect(refused.error).toMatch(/self[- ]signed|certificate/i)
    expect(refused.error).toMatch(/set insecure-tls/)
    expect(server.received).toHaveLength(0)

    await core.api.invoke('notify.update', { 'insecure-tls': true })
    const result = await core.api.invoke('notify.test', {})
    expect(result).toMatchObject({ ok: true })
    expect(result.recipients).toEqual(RECIPIENTS)
    const got = server.received[0]!
    expect(got.secure).toBe(true)
    expect(got.auth).toEqual({ method: 'PLAIN', username: 'tapebot' })
    expect(got.mail.subject).toMatch(/^Tapedeck test notification from '.+'$/)
    expect(got.mail.text).toContain('Mail notifications are set up correctly')
  })

  it('STARTTLS with AUTH LOGIN, then a backup mail over the same settings', async () => {
    const server = await startServer({ users: { tapebot: PASSWORD }, authMethods: ['LOGIN'] })
    await configure(server, {
      security: 'starttls',
      username: 'tapebot',
      password: PASSWORD,
      'insecure-tls': true
    })
    expect((await core.notifier.backupFinished(backupInfo)).sent).toBe(true)
    expect(server.received[0]).toMatchObject({
      secure: true,
      auth: { method: 'LOGIN', username: 'tapebot' }
    })
    expect(server.received[0]!.mail.subject).toBe(
      "Tape Backup 'weekly-offsite' datastore 'store1' successful"
    )
  })

  it('implicit TLS (security tls)', async () => {
    const server = await startServer({ secure: true, users: { tapebot: PASSWORD } })
    await configure(server, {
      security: 'tls',
      username: 'tapebot',
      password: PASSWORD,
      'insecure-tls': true
    })
    expect(await core.api.invoke('notify.test', {})).toMatchObject({ ok: true })
    expect(server.received[0]).toMatchObject({ secure: true, auth: { username: 'tapebot' } })
  })

  it('starttls refuses a server that does not offer STARTTLS (no silent plain text)', async () => {
    const server = await startServer({ disabledCommands: ['STARTTLS', 'AUTH'] })
    await configure(server, { security: 'starttls', 'insecure-tls': true })
    const result = await core.api.invoke('notify.test', {})
    expect(result.ok).toBe(false)
    expect(result.error).toMatch(/STARTTLS/i)
    expect(server.received).toHaveLength(0)
  })

  it('a wrong password fails with the server reason and never shows the password', async () => {
    const server = await startServer({ users: { tapebot: 'other-password' } })
    await configure(server, {
      security: 'starttls',
      username: 'tapebot',
      password: PASSWORD,
      'insecure-tls': true
    })
    const result = await core.api.invoke('notify.test', {})
    expect(result.ok).toBe(false)
    expect(result.error).toMatch(/535|auth|invalid/i)
    expect(JSON.stringify(result)).not.toContain(PASSWORD)
    expect(server.auths).toEqual([expect.objectContaining({ username: 'tapebot', ok: false })])
  })
})

describe('failures never reach the job', () => {
  it('a server that refuses (551): notify.test returns the error, backupFinished a warning', async () => {
    const server = await startServer({
      onRcptTo(_address, _session, callback) {
        callback(
          Object.assign(new Error('User not local; please try <forward@example.org>'), {
            responseCode: 551
          })
        )
      }
    })
    await configure(server)

    const result = await core.api.invoke('notify.test', {})
    expect(result.ok).toBe(false)
    expect(result.error).toMatch(/551/)
    expect(result.error).toMatch(/User not local/)

    const log = recordingLog()
    const outcome = await core.notifier.backupFinished({ ...backupInfo, error: 'tape full' }, log)
    expect(outcome.sent).toBe(false)
    expect(outcome.warning).toMatch(/551/)
    expect(log.warnings).toHaveLength(1)
    expect(log.warnings[0]).toMatch(/^notification mail \(tape-backup-err\) failed: .*551/)
    expect(server.received).toHaveLength(0)
  })

  it('one refused recipient: the mail goes to the others, with a warning', async () => {
    const server = await startServer({
      onRcptTo(address, _session, callback) {
        if (address.address === 'gone@example.org')
          return callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }))
        callback()
      }
    })
    await configure(server, { recipients: ['ops@example.com', 'gone@example.org'] })
    const outcome = await core.notifier.backupFinished(backupInfo)
    expect(outcome.sent).toBe(true)
    expect(outcome.recipients).toEqual(['ops@example.com'])
    expect(outcome.warning).toMatch(/gone@example\.org.*550/)
    expect(server.received[0]!.envelopeTo).toEqual(['ops@example.com'])
  })

  it('no server listening: a warning, quickly, no exception', async () => {
    const port = await closedPort()
    await core.api.invoke('notify.update', {
      host: '127.0.0.1',
      port,
      security: 'none',
      from: 'tapedeck@example.com',
      recipients: RECIPIENTS
    })
    const outcome = await core.notifier.tapeRequest({
      label: 'TAPE01L9',
      device: { kind: 'drive', name: 'drive0' }
    })
    expect(outcome.sent).toBe(false)
    expect(outcome.warning).toMatch(/ECONNREFUSED/)
  })

  it('a broken settings file is a warning too', async () => {
    await writeFile(join(core.home, 'notifications.json'), '{"smtp": ')
    const outcome = await core.notifier.backupFinished(backupInfo)
    expect(outcome.sent).toBe(false)
    expect(outcome.warning).toMatch(/notifications\.json is not valid JSON/)
    expect(await apiError(core.api.invoke('notify.config', {}))).toMatchObject({
      code: 'internal'
    })
  })
})

describe('settings', () => {
  it('keeps the password out of every result; the file is 0600', async () => {
    const server = await startServer()
    const view = await configure(server, { username: 'tapebot', password: PASSWORD })
    expect(view.smtp).toEqual({
      host: '127.0.0.1',
      port: server.port,
      security: 'none',
      username: 'tapebot',
      'has-password': true,
      from: 'tapedeck@example.com',
      'insecure-tls': false
    })
    const config = await core.api.invoke('notify.config', {})
    expect(config).toEqual(view)
    expect(JSON.stringify(config)).not.toContain(PASSWORD)
    const file = join(core.home, 'notifications.json')
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(JSON.parse(await readFile(file, 'utf8')).smtp.password).toBe(PASSWORD)

    // other changes keep the password; delete removes it
    await core.api.invoke('notify.update', { port: 2525 })
    expect(JSON.parse(await readFile(file, 'utf8')).smtp.password).toBe(PASSWORD)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const removed = await core.api.invoke('notify.update', { delete: ['password'] })
    expect(removed.smtp?.['has-password']).toBe(false)
    expect(await readFile(file, 'utf8')).not.toContain(PASSWORD)
  })

  it('fills in the port by security and needs host and from', async () => {
    const err = await apiError(
      core.api.invoke('notify.update', { host: 'mail.example.com', security: 'tls' })
    )
    expect(err.code).toBe('invalid-argument')
    expect(err.message).toMatch(/also give 'from'/)
    const view = await core.api.invoke('notify.update', {
      host: 'mail.example.com',
      security: 'tls',
      from: 'root@backup-host'
    })
    expect(view.smtp).toMatchObject({ port: 465, security: 'tls', 'has-password': false })
    expect(view.configured).toBe(false)
    expect(
      (await core.api.invoke('notify.update', { recipients: ['a@example.com'] })).configured
    ).toBe(true)
  })

  it.each([
    [{ recipients: ['not an address'] }, /recipients\.0: not a mail address/],
    [{ from: 'tapedeck' }, /from: not a mail address/],
    [{ port: 70000 }, /port: SMTP port must be between 1 and 65535/],
    [{ port: 0 }, /port: SMTP port must be between 1 and 65535/],
    [{ host: 'bad host!' }, /host: SMTP host must be a host name or IP address/],
    [{ security: 'ssl' }, /security/],
    [{ password: 'two\nlines' }, /password: SMTP password must be a single line/],
    [{ recipients: [] }, /at least one recipient/],
    [{ password: 'x', delete: ['password'] }, /'password' is both set and deleted/]
  ])('rejects %j and writes nothing', async (args, message) => {
    const err = await apiError(core.api.invoke('notify.update', args as never))
    expect(err.code).toBe('invalid-argument')
    expect(err.message).toMatch(message)
    expect(err.message).not.toContain('two\nlines')
    expect(existsSync(join(core.home, 'notifications.json'))).toBe(false)
  })
})

// -------------------------------------------------------------------------------------------------
// The built command line. Spawned asynchronously: the SMTP listener runs in this process.

interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

function cli(home: string, args: string[], input?: string): Promise<CliRun> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`)
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--home', home, ...args], {
      env: { ...process.env, TZ: 'UTC' },
      stdio: ['pipe', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(input ?? '')
  })
}

describe('tapedeck notify (built CLI)', () => {
  it('set with --password-file, show, test over STARTTLS; the password never shows', async () => {
    const server = await startServer({ users: { tapebot: PASSWORD } })
    const home = await tempDir('tapedeck-notify-cli-')
    try {
      const passwordFile = join(home.path, 'smtp-password')
      await writeFile(passwordFile, PASSWORD + '\n', { mode: 0o600 })
      const set = await cli(home.path, [
        'notify',
        'set',
        '--host',
        '127.0.0.1',
        '--port',
        String(server.port),
        '--security',
        'starttls',
        '--insecure-tls',
        '--from',
        'tapedeck@example.com',
        '--to',
        'ops@example.com,backup-team@example.org',
        '--username',
        'tapebot',
        '--password-file',
        passwordFile
      ])
      expect(set).toMatchObject({ code: 0, stdout: '' })
      const file = join(home.path, 'notifications.json')
      expect((await stat(file)).mode & 0o777).toBe(0o600)

      const show = await cli(home.path, ['notify', 'show'])
      expect(show.code).toBe(0)
      expect(show.stdout).toMatch(/│ password\s+│ \(set\)\s+│/)
      expect(show.stdout).toMatch(/│ recipients\s+│ ops@example\.com, backup-team@example\.org/)
      const json = await cli(home.path, ['--output-format', 'json', 'notify', 'show'])
      expect(JSON.parse(json.stdout).smtp).toMatchObject({
        security: 'starttls',
        username: 'tapebot',
        'has-password': true,
        'insecure-tls': true
      })

      const test = await cli(home.path, ['notify', 'test'])
      expect(test.stderr).toBe('')
      expect(test.code).toBe(0)
      expect(test.stdout).toMatch(
        /^test mail sent to ops@example\.com, backup-team@example\.org \(<.+>\)\n$/
      )
      expect(server.received[0]).toMatchObject({
        secure: true,
        auth: { username: 'tapebot' },
        envelopeTo: ['ops@example.com', 'backup-team@example.org']
      })
      for (const run of [set, show, json, test]) {
        expect(run.stdout + run.stderr).not.toContain(PASSWORD)
      }
    } finally {
      await home.remove()
    }
  })

  it('--password reads standard input when it is not a terminal; never an argument', async () => {
    const server = await startServer({ users: { tapebot: 'from-stdin-42' } })
    const home = await tempDir('tapedeck-notify-cli-')
    try {
      const base = ['notify', 'set', '--host', '127.0.0.1', '--port', String(server.port)]
      const common = [...base, '--security', 'none', '--from', 'tapedeck@example.com']
      const asArgument = await cli(home.path, [...common, '--password', 'from-stdin-42'])
      expect(asArgument.code).toBe(1)
      expect(asArgument.stderr).toMatch(/--password takes no value/)
      expect(asArgument.stderr).not.toContain('from-stdin-42')
      expect(existsSync(join(home.path, 'notifications.json'))).toBe(false)

      const set = await cli(
        home.path,
        [...common, '--to', 'ops@example.com', '--username', 'tapebot', '--password'],
        'from-stdin-42\n'
      )
      expect(set).toMatchObject({ code: 0, stderr: '' })
      expect(await cli(home.path, ['notify', 'test'])).toMatchObject({ code: 0 })
      expect(server.received[0]?.auth).toMatchObject({ username: 'tapebot' })

      const empty = await cli(home.path, [...base, '--password'], '')
      expect(empty.code).toBe(1)
      expect(empty.stderr).toContain('no password in standard input')
    } finally {
      await home.remove()
    }
  })

  it('notify test fails with the server error (exit 1)', async () => {
    const server = await startServer({
      onMailFrom(_address, _session, callback) {
        callback(Object.assign(new Error('Sender rejected'), { responseCode: 551 }))
      }
    })
    const home = await tempDir('tapedeck-notify-cli-')
    try {
      await cli(home.path, [
        'notify',
        'set',
        '--host',
        '127.0.0.1',
        '--port',
        String(server.port),
        '--security',
        'none',
        '--from',
        'tapedeck@example.com',
        '--to',
        'ops@example.com'
      ])
      const test = await cli(home.path, ['notify', 'test'])
      expect(test.code).toBe(1)
      expect(test.stderr).toMatch(/^Error: test mail failed: .*551.*Sender rejected/)
      const json = await cli(home.path, ['--output-format', 'json', 'notify', 'test'])
      expect(json.code).toBe(1)
      expect(JSON.parse(json.stdout)).toMatchObject({
        ok: false,
        error: expect.stringMatching(/551/)
      })
    } finally {
      await home.remove()
    }
  })
})
