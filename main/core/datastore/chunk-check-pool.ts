/**
 * Spreads chunk checks over worker threads so decoding and hashing use every core. The worker
 * script is a separate entry of the build (out/main/chunk-check-worker.js); when running from
 * sources (unit tests) there is none and the checks run on the calling thread instead.
 */
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { checkChunkFile, type ChunkCheckRequest, type ChunkCheckResult } from './chunk-check'

export interface ChunkChecker {
  /** Resolves when the check is done; callers bound how many they keep in flight. */
  check(request: ChunkCheckRequest): Promise<ChunkCheckResult>
  readonly parallelism: number
  close(): Promise<void>
}

export function chunkCheckWorkerScript(): string | undefined {
  // The build puts entries in out/main and shared code in out/main/chunks.
  const candidates = [
    join(__dirname, 'chunk-check-worker.js'),
    join(__dirname, '..', 'chunk-check-worker.js')
  ]
  return candidates.find((path) => existsSync(path))
}

export function createChunkChecker(threads = availableParallelism()): ChunkChecker {
  const script = chunkCheckWorkerScript()
  if (!script || threads < 2) {
    return { check: checkChunkFile, parallelism: 1, close: async () => undefined }
  }
  return new WorkerChunkChecker(script, threads)
}

class WorkerChunkChecker implements ChunkChecker {
  private readonly workers: { worker: Worker; busy: number }[]
  private readonly pending = new Map<number, (result: ChunkCheckResult) => void>()
  private nextId = 0
  private broken = false

  constructor(
    script: string,
    readonly parallelism: number
  ) {
    this.workers = Array.from({ length: parallelism }, () => {
      const worker = new Worker(script)
      const entry = { worker, busy: 0 }
      worker.on('message', (message: { id: number; result: ChunkCheckResult }) => {
        entry.busy--
        this.pending.get(message.id)?.(message.result)
        this.pending.delete(message.id)
      })
      worker.on('error', (err) => this.failAll(err))
      return entry
    })
  }

  check(request: ChunkCheckRequest): Promise<ChunkCheckResult> {
    if (this.broken) return checkChunkFile(request)
    // A view into an index buffer would be cloned with its whole backing buffer: send a copy.
    const message = { ...request, digest: new Uint8Array(request.digest) }
    const entry = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a))
    const id = this.nextId++
    entry.busy++
    return new Promise((resolve) => {
      this.pending.set(id, resolve)
      entry.worker.postMessage({ id, request: message })
    })
  }

  /** A crashed worker fails its checks loudly; later checks run on the calling thread. */
  private failAll(err: Error): void {
    this.broken = true
    for (const resolve of this.pending.values())
      resolve({ bytes: 0, problem: `checker failed: ${err.message}` })
    this.pending.clear()
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()))
  }
}
