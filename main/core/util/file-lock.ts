import { open, readFile, stat, unlink, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'

/**
 * A cross-process lock file (the CLI, serve mode and the app may run at once). Node has no flock,
 * so the lock is an exclusively created file holding "pid@host" and, on a second line, what the
 * holder is doing; a lock left by a process that no longer exists on this host is taken over.
 */
export interface FileLock {
  /** Change what the lock says the holder is doing (e.g. the task id once it is known). */
  describe(purpose: string): Promise<void>
  release(): Promise<void>
}

export interface LockHolder {
  pid: number
  host: string
  purpose?: string
}

export class LockBusyError extends Error {
  constructor(
    readonly path: string,
    readonly holder: LockHolder | undefined
  ) {
    super(
      holder
        ? `${path} is locked by process ${holder.pid} on ${holder.host}${holder.purpose ? ` (${holder.purpose})` : ''}`
        : `${path} is locked by another Tapedeck process`
    )
    this.name = 'LockBusyError'
  }
}

function parseHolder(text: string): LockHolder | undefined {
  const [first = '', purpose] = text.split('\n')
  const match = /^(\d+)@(.+)$/.exec(first.trim())
  if (!match) return undefined
  return { pid: Number(match[1]), host: match[2]!, purpose: purpose?.trim() || undefined }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  return parseHolder(await readFile(path, 'utf8').catch(() => ''))
}

async function isStale(path: string): Promise<boolean> {
  const holder = await readHolder(path)
  if (!holder) {
    // A writer died between creating the file and writing its name into it.
    const info = await stat(path).catch(() => undefined)
    return info !== undefined && Date.now() - info.mtimeMs > 10_000
  }
  return holder.host === hostname() && !processAlive(holder.pid)
}

export async function acquireFileLock(
  path: string,
  options: { timeoutMs?: number; purpose?: string } = {}
): Promise<FileLock> {
  const timeoutMs = options.timeoutMs ?? 10_000
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o640)
      await handle.writeFile(`${process.pid}@${hostname()}\n${options.purpose ?? ''}\n`)
      await handle.close()
      // describe and release run in call order, so a late describe can never recreate the file.
      let released = false
      let chain: Promise<unknown> = Promise.resolve()
      const serial = (step: () => Promise<unknown>) => (chain = chain.then(step, step))
      return {
        describe: async (purpose: string) => {
          await serial(async () => {
            if (!released) await writeFile(path, `${process.pid}@${hostname()}\n${purpose}\n`)
          })
        },
        release: async () => {
          await serial(async () => {
            if (released) return
            released = true
            await unlink(path).catch(() => undefined)
          })
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    if (await isStale(path)) {
      await unlink(path).catch(() => undefined)
      continue
    }
    if (Date.now() >= deadline) throw new LockBusyError(path, await readHolder(path))
    await sleep(50)
  }
}

export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireFileLock(path)
  try {
    return await fn()
  } finally {
    await lock.release()
  }
}
