import { open, readFile, stat, unlink } from 'node:fs/promises'
import { hostname } from 'node:os'

/**
 * A cross-process lock file for config writers (the CLI, serve mode and the app may run at once).
 * Node has no flock, so the lock is an exclusively created file holding "pid@host"; a lock left by
 * a process that no longer exists on this host is taken over.
 */
export interface FileLock {
  release(): Promise<void>
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

async function isStale(path: string): Promise<boolean> {
  let owner: string
  try {
    owner = (await readFile(path, 'utf8')).trim()
  } catch {
    return false // vanished meanwhile: just retry
  }
  const match = /^(\d+)@(.+)$/.exec(owner)
  if (!match) {
    // A writer died between creating the file and writing its name into it.
    const info = await stat(path).catch(() => undefined)
    return info !== undefined && Date.now() - info.mtimeMs > 10_000
  }
  const [, pid, host] = match
  return host === hostname() && !processAlive(Number(pid))
}

export async function acquireFileLock(path: string, timeoutMs = 10_000): Promise<FileLock> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o640)
      await handle.writeFile(`${process.pid}@${hostname()}\n`)
      await handle.close()
      let released = false
      return {
        async release() {
          if (released) return
          released = true
          await unlink(path).catch(() => undefined)
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    if (await isStale(path)) {
      await unlink(path).catch(() => undefined)
      continue
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out waiting for lock ${path} (held by another Tapedeck process)`)
    }
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
