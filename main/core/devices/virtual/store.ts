/**
 * Reads and writes `library.json` for one library handle.
 *
 * Writers take the cross-process lock, re-read the file, change it and replace it atomically
 * (temp + fsync + rename), so concurrent processes never lose each other's changes and readers,
 * who take no lock, always see one complete version. Each handle caches the parsed state and only
 * re-reads the file when its inode or mtime changed: a rename always gives a new inode, so a cheap
 * `stat` is enough to notice changes made by other processes.
 */
import { type BigIntStats, statSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../../util/atomic-write'
import { withFileLock } from '../../util/file-lock'
import {
  LIBRARY_FILE,
  LIBRARY_LOCK_FILE,
  type LibraryState,
  parseLibraryState,
  serializeLibraryState
} from './schema'

/**
 * Updates from one process to one library are queued in memory before they take the file lock:
 * the lock polls every 50 ms when contended, which two drives streaming in one process (serve
 * mode) would otherwise pay at every filemark.
 */
const queues = new Map<string, Promise<unknown>>()

function queued<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const before = queues.get(key) ?? Promise.resolve()
  const run = before.then(fn, fn)
  const tail = run.catch(() => undefined)
  queues.set(key, tail)
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key)
  })
  return run
}

const stampOf = (s: BigIntStats) => `${s.ino}:${s.mtimeNs}:${s.size}`

export class LibraryStore {
  readonly file: string
  readonly lockFile: string
  private cached: LibraryState | undefined
  private stamp = ''
  /** Bumped whenever the cached state changes (own writes or changes noticed on disk). */
  version = 0

  constructor(readonly dir: string) {
    this.file = join(dir, LIBRARY_FILE)
    this.lockFile = join(dir, LIBRARY_LOCK_FILE)
  }

  /** The current state; treat it as read-only (use `update` to change it). */
  async read(): Promise<LibraryState> {
    const s = await stat(this.file, { bigint: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        throw new Error(`${this.dir} is not a Tapedeck virtual library (no ${LIBRARY_FILE})`)
      }
      throw err
    })
    const stamp = stampOf(s)
    if (this.cached && stamp === this.stamp) return this.cached
    const text = await readFile(this.file, 'utf8')
    this.cached = parseLibraryState(text, this.file)
    // If the file was replaced between stat and read, the stale stamp only causes one more read.
    this.stamp = stamp
    this.version++
    return this.cached
  }

  /**
   * Whether library.json changed on disk since this handle last read or wrote it. Synchronous on
   * purpose: it runs once per streamed block, and a `stat` syscall takes a few microseconds while
   * an async one waits for a thread-pool round trip (tens to hundreds of microseconds).
   */
  changedOnDisk(): boolean {
    try {
      return stampOf(statSync(this.file, { bigint: true })) !== this.stamp
    } catch {
      return true
    }
  }

  /** The last state read, without touching the disk (undefined before the first read). */
  get current(): LibraryState | undefined {
    return this.cached
  }

  /**
   * Changes the state under the library lock. `fn` gets a private copy of the latest state; when it
   * throws, nothing is written. Returns what `fn` returns.
   */
  async update<T>(fn: (state: LibraryState) => T | Promise<T>): Promise<T> {
    return queued(this.file, () =>
      withFileLock(this.lockFile, async () => {
        const draft = structuredClone(await this.read())
        const result = await fn(draft)
        draft.generation++
        const text = serializeLibraryState(draft)
        // Validate what we are about to write: a bug must fail here, not make the library unreadable.
        parseLibraryState(text, this.file)
        await writeFileAtomic(this.file, text)
        const s = await stat(this.file, { bigint: true })
        this.stamp = stampOf(s)
        this.cached = draft
        this.version++
        return result
      })
    )
  }
}
