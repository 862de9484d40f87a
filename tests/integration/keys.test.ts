/**
 * `tapedeck key …` end to end through the built CLI: create → list → paper key → print the HTML
 * to PDF with Chromium → rasterise with pdftoppm → scan the QR code with zbarimg → restore the
 * scanned text into a fresh home (same key). Wrong passwords name the key and change nothing.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PAPER_KEY_BEGIN, PAPER_KEY_END } from '../../main/core/crypto/paper-key'
import { TapeKeyStore } from '../../main/core/crypto/tape-keys'
import { CLI, tapedeck } from '../helpers/cli'
import { sessionSealer } from '../helpers/session-sealer'
import { halfBlocksToPbm, zbarimg } from '../helpers/qr-scan'

const PASSWORD = 'tape key password 1'
let scratch: string
let passwordFile: string
let wrongPasswordFile: string

async function newHome(name: string): Promise<string> {
  const path = join(scratch, name)
  await mkdir(path, { mode: 0o700 })
  return path
}

function ok(home: string, args: string[]): string {
  const r = tapedeck(home, args)
  if (r.code !== 0) throw new Error(`tapedeck ${args.join(' ')} failed (${r.code}): ${r.stderr}`)
  return r.stdout
}

const json = <T>(home: string, args: string[]): T =>
  JSON.parse(ok(home, ['--output-format', 'json', ...args])) as T

/** Both key files as they are on disk (or undefined when missing), to prove nothing changed. */
async function keyFiles(home: string) {
  const read = (f: string) => readFile(join(home, f), 'utf8').catch(() => undefined)
  return {
    plain: await read('tape-encryption-keys.json'),
    configs: await read('tape-encryption-key-config.json')
  }
}

/** Run the CLI with stdin piped (not a terminal). */
function withInput(home: string, args: string[], input: string) {
  const r = spawnSync(process.execPath, [CLI, '--home', home, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC' }
  })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

/**
 * Run the CLI on a pseudo-terminal (util-linux `script`), typing `answers` at its password
 * prompts one by one; returns everything the terminal showed.
 */
function withTerminal(home: string, args: string[], answers: string[]) {
  const quote = (a: string) => `'${a.replaceAll("'", `'\\''`)}'`
  const command = [process.execPath, CLI, '--home', home, ...args].map(quote).join(' ')
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    env: { ...process.env, TZ: 'UTC' }
  })
  let screen = ''
  let typed = 0
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    screen += text
    const prompts = screen.match(/password: /gi)?.length ?? 0
    while (typed < answers.length && typed < prompts) child.stdin.write(`${answers[typed++]}\r`)
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  return new Promise<{ code: number | null; screen: string }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, screen })
    })
  )
}

interface KeyInfo {
  fingerprint: string
  hint: string
  kdf: string
  'has-plain-key': boolean
  storage: string
  pools: string[]
}

let home: string
let key: KeyInfo

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'tapedeck-keys-'))
  passwordFile = join(scratch, 'password')
  wrongPasswordFile = join(scratch, 'wrong-password')
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 })
  await writeFile(wrongPasswordFile, 'not the password\n', { mode: 0o600 })
  home = await newHome('home')
  key = json<KeyInfo>(home, [
    'key',
    'create',
    '--hint',
    'office safe',
    '--kdf',
    'scrypt',
    '--password-file',
    passwordFile
  ])
})
afterAll(() => rm(scratch, { recursive: true, force: true }))

describe('tapedeck key', () => {
  it('creates a key and lists it without key material', async () => {
    expect(key).toMatchObject({ hint: 'office safe', kdf: 'scrypt', 'has-plain-key': true })
    const text = ok(home, ['key', 'list'])
    expect(text).toContain(key.fingerprint)
    expect(text).toContain('office safe')
    expect(json<KeyInfo[]>(home, ['key', 'list'])).toEqual([key])
    const plain = JSON.parse((await keyFiles(home)).plain!) as { key: string }[]
    expect(text).not.toContain(plain[0]!.key)
    const short = key.fingerprint.split(':').slice(0, 8).join(':')
    expect(json<KeyInfo>(home, ['key', 'show', short]).fingerprint).toBe(key.fingerprint)
  })

  it('prints an HTML paper key whose QR code, printed to PDF and scanned, restores the key', async () => {
    const html = ok(home, [
      'key',
      'paperkey',
      key.fingerprint,
      '--subject',
      'Tapedeck test',
      '--format',
      'html'
    ])
    expect(html).toContain(PAPER_KEY_BEGIN)

    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run']
    })
    const pdf = join(scratch, 'paperkey.pdf')
    try {
      const page = await browser.newPage()
      await page.setContent(html)
      await page.pdf({ path: pdf, format: 'A4' })
    } finally {
      await browser.close()
    }
    const prefix = join(scratch, 'page')
    const raster = spawnSync('pdftoppm', ['-r', '300', '-png', pdf, prefix], { encoding: 'utf8' })
    expect(raster.status, raster.stderr).toBe(0)
    const pages = readdirSync(scratch).filter((f) => f.startsWith('page') && f.endsWith('.png'))
    expect(pages, 'the paper key prints on one page').toHaveLength(1)
    const scanned = zbarimg(join(scratch, pages[0]!))
    expect(scanned.startsWith('{')).toBe(true)

    const fresh = await newHome('from-paper')
    const restored = json<KeyInfo>(fresh, [
      'key',
      'restore',
      '--key',
      scanned,
      '--password-file',
      passwordFile
    ])
    expect(restored).toMatchObject({ fingerprint: key.fingerprint, 'has-plain-key': true })
    expect((await keyFiles(fresh)).plain).toBe((await keyFiles(home)).plain)
  })

  it('prints a text paper key whose Unicode QR code scans, and restores from the text', async () => {
    const text = ok(home, ['key', 'paperkey', key.fingerprint.slice(0, 11)])
    const lines = text.split('\n')
    const end = lines.indexOf(PAPER_KEY_END)
    const json = lines.slice(lines.indexOf(PAPER_KEY_BEGIN) + 1, end).join('\n')
    const qr = lines.slice(end + 1).filter((l) => l !== '')
    expect(zbarimg(halfBlocksToPbm(qr, scratch, 'text-qr.pbm'))).toBe(json)

    const file = join(scratch, 'paperkey.txt')
    await writeFile(file, text)
    const fresh = await newHome('from-text')
    ok(fresh, ['key', 'restore', '--key-file', file, '--password-file', passwordFile])
    expect(json).toContain(key.fingerprint)
    expect(JSON.parse((await keyFiles(fresh)).plain!)).toEqual(
      JSON.parse((await keyFiles(home)).plain!)
    )
  })

  it('prompts for the password on a terminal without echo, twice when setting it', async () => {
    const tty = await newHome('terminal')
    const mismatch = await withTerminal(
      tty,
      ['key', 'create', '--hint', 'h', '--kdf', 'pbkdf2'],
      ['typed-once-1', 'typed-once-2']
    )
    expect(mismatch.code).toBe(1)
    expect(mismatch.screen).toContain('the passwords do not match')
    expect(await keyFiles(tty)).toEqual({ plain: undefined, configs: undefined })

    const created = await withTerminal(
      tty,
      ['key', 'create', '--hint', 'h', '--kdf', 'pbkdf2'],
      ['typed-secret-1', 'typed-secret-1']
    )
    expect(created.code, created.screen).toBe(0)
    expect(created.screen).toMatch(/Tape encryption key password: [^]*Verify password: /)
    expect(created.screen).not.toContain('typed-secret-1')
    const [made] = json<KeyInfo[]>(tty, ['key', 'list'])
    expect(created.screen).toContain(made!.fingerprint)
  })

  it('reads the current and the new password from standard input, one line each', async () => {
    const piped = await newHome('stdin')
    const created = withInput(
      piped,
      ['key', 'create', '--hint', 'one', '--kdf', 'pbkdf2'],
      'first pw\n'
    )
    expect(created.code, created.stderr).toBe(0)
    const fingerprint = created.stdout.trim()
    const changed = withInput(
      piped,
      ['--output-format', 'json', 'key', 'change-passphrase', fingerprint, '--hint', 'two'],
      'first pw\nsecond pw\n'
    )
    expect(changed.code, changed.stderr).toBe(0)
    expect(JSON.parse(changed.stdout)).toMatchObject({ fingerprint, hint: 'two', kdf: 'scrypt' })
    const paper = join(scratch, 'stdin-paper.txt')
    await writeFile(paper, ok(piped, ['key', 'paperkey', fingerprint]))
    const fresh = await newHome('stdin-restore')
    const restored = withInput(fresh, ['key', 'restore', '--key-file', paper], 'second pw\n')
    expect(restored.code, restored.stderr).toBe(0)
    expect(restored.stdout).toContain(fingerprint)
  })

  it('refuses a wrong password with the fingerprint and hint, writing nothing', async () => {
    const paper = join(scratch, 'wrong.txt')
    await writeFile(paper, ok(home, ['key', 'paperkey', key.fingerprint]))
    const fresh = await newHome('home-wrong-password')
    const r = tapedeck(fresh, [
      'key',
      'restore',
      '--key-file',
      paper,
      '--password-file',
      wrongPasswordFile
    ])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(key.fingerprint)
    expect(r.stderr).toContain('office safe')
    expect(await keyFiles(fresh)).toEqual({ plain: undefined, configs: undefined })

    const before = await keyFiles(home)
    const change = tapedeck(home, [
      'key',
      'change-passphrase',
      key.fingerprint,
      '--hint',
      'new hint',
      '--password-file',
      wrongPasswordFile,
      '--new-password-file',
      passwordFile
    ])
    expect(change.code).toBe(1)
    expect(change.stderr).toContain(key.fingerprint)
    expect(await keyFiles(home)).toEqual(before)
  })

  it('shows keys sealed by the desktop app and unseals them with the password', async () => {
    const appHome = await newHome('sealed')
    const app = new TapeKeyStore(appHome, sessionSealer())
    const sealed = await app.create({ password: PASSWORD, hint: 'app key', kdf: 'pbkdf2' })
    const plain = (await app.plainKey(sealed.fingerprint))!.toString('hex')

    const listed = json<KeyInfo[]>(appHome, ['key', 'list'])
    expect(listed).toMatchObject([{ fingerprint: sealed.fingerprint, storage: 'sealed' }])
    expect(ok(appHome, ['key', 'list'])).toMatch(/storage[\s\S]*sealed/)

    const wrong = tapedeck(appHome, [
      'key',
      'unseal',
      sealed.fingerprint,
      '--password-file',
      wrongPasswordFile
    ])
    expect(wrong.code).not.toBe(0)
    expect(wrong.stderr).toContain(sealed.fingerprint)
    expect(await readFile(join(appHome, 'tape-encryption-keys.json'), 'utf8').catch(() => '')).toBe(
      ''
    )

    const unsealed = json<KeyInfo>(appHome, [
      'key',
      'unseal',
      sealed.fingerprint.slice(0, 23),
      '--password-file',
      passwordFile
    ])
    expect(unsealed).toMatchObject({ fingerprint: sealed.fingerprint, storage: 'file' })
    const file = JSON.parse(await readFile(join(appHome, 'tape-encryption-keys.json'), 'utf8'))
    expect(file).toEqual([{ fingerprint: sealed.fingerprint, key: plain }])
  })

  it('refuses to remove a key a pool uses, and never takes a password as an argument', async () => {
    ok(home, ['pool', 'create', 'secret', '--encrypt', key.fingerprint])
    expect(json<KeyInfo>(home, ['key', 'show', key.fingerprint]).pools).toEqual(['secret'])
    const before = await keyFiles(home)
    const r = tapedeck(home, ['key', 'remove', key.fingerprint])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("used by media pool 'secret'")
    expect(await keyFiles(home)).toEqual(before)

    const arg = tapedeck(home, ['key', 'create', '--hint', 'h', 'my-secret-password'])
    expect(arg.code).toBe(1)
    expect(arg.stderr).not.toContain('my-secret-password')
    expect(existsSync(join(home, 'tape-encryption-keys.json'))).toBe(true)
    expect(json<KeyInfo[]>(home, ['key', 'list'])).toHaveLength(1)
  })
})
