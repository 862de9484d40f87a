/**
 * Passwords for the CLI. Never from an argument (it would sit in the shell history and in
 * /proc/<pid>/cmdline): from a file (`-` = standard input), from a no-echo prompt on a terminal,
 * or from standard input when it is not a terminal.
 */
import { readFile } from 'node:fs/promises'

/** The first line of a password source, without its line ending. */
function firstLine(text: string, source: string): string {
  const line = text.split(/\r?\n/, 1)[0] ?? ''
  if (line === '') throw new Error(`no password in ${source}`)
  return line
}

let stdinLines: Promise<string[]> | undefined

/** Standard input, read once and split into lines: several passwords may come from it in turn. */
function readStdinLines(): Promise<string[]> {
  stdinLines ??= (async () => {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer))
    return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)
  })()
  return stdinLines
}

/** The next unread line of standard input. */
async function nextStdinLine(): Promise<string> {
  const lines = await readStdinLines()
  const line = lines.shift()
  if (line === undefined || line === '') throw new Error('no password in standard input')
  return line
}

/** Reads one line from the terminal without echoing it. */
export function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin
  return new Promise((resolve, reject) => {
    let value = ''
    const finish = (err?: Error) => {
      stdin.off('data', onData)
      stdin.setRawMode(false)
      stdin.pause()
      process.stderr.write('\n')
      if (err) reject(err)
      else resolve(value)
    }
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish()
        if (ch === '\u0003') return finish(new Error('cancelled'))
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
        else value += ch
      }
    }
    // Echo off before the prompt shows: whatever is typed once it is visible is never echoed.
    stdin.setRawMode(true)
    stdin.setEncoding('utf8')
    stdin.on('data', onData)
    stdin.resume()
    process.stderr.write(prompt)
  })
}

export interface PasswordSource {
  /** `--password-file` value: a path, or `-` for standard input */
  file?: string
  /** the terminal prompt, e.g. 'Encryption key password: ' */
  prompt: string
  /** ask twice on a terminal (when setting a new password) */
  repeat?: boolean
}

/** A password from the file, the terminal or standard input, in that order of preference. */
export async function readPassword(source: PasswordSource): Promise<string> {
  if (source.file === '-') return nextStdinLine()
  if (source.file !== undefined) {
    const text = await readFile(source.file, 'utf8').catch((err: Error) => {
      throw new Error(`cannot read the password file: ${err.message}`)
    })
    return firstLine(text, source.file)
  }
  if (!process.stdin.isTTY) return nextStdinLine()
  const first = await promptHidden(source.prompt)
  if (first === '') throw new Error('no password given')
  if (source.repeat && (await promptHidden('Verify password: ')) !== first)
    throw new Error('the passwords do not match')
  return first
}
