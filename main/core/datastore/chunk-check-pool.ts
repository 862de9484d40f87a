/**
 * Spreads chunk checks over worker threads so decoding and hashing use every core. The worker
 * script is a separate entry of the build (out/main/chunk-check-worker.js); when running from
 * sources (unit tests) there is none and the checks run on the calling thread instead.
 */
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import {
  checkChunkBlob,
  checkChunkFile,
  type ChunkCheckRequest,
  type ChunkCheckResult
} from './chunk-check'
import type { CheckMessage } from './chunk-check-worker'

export interface ChunkChecker {
  /** Resolves when the check is done; callers bound how many they keep in flight. */
  check(request: ChunkCheckRequest): Promise<ChunkCheckResult>
  /**
   * Checks a blob's CRC and, unless encrypted, decodes and hashes it against its digest; resolves
   * to what is wrong, undefined for a good blob. A blob in a SharedArrayBuffer (a shared
   * BufferPool) is checked on a worker without being copied; any other on the calling thread.
   */
  checkBlob(blob: Uint8Array, digest: Uint8Array): Promise<string | undefined>
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
    return {
      check: checkChunkFile,
      checkBlob: checkChunkBlob,
      parallelism: 1,
      close: async () => undefined
    }
  }
  return new WorkerChunkChecker(script, threads)
}

interface Reply {
  id: number
  result?: ChunkCheckResult
  problem?: string
}

class WorkerChunkChecker implements ChunkChecker {
  private readonly workers: { worker: Worker; busy: number }[]
  private readonly pending = new Map<number, (reply: Reply | Error) => void>()
  private nextId = 0
  private broken = false

  constructor(
    script: string,
    readonly parallelism: number
  ) {
    this.workers = Array.from({ length: parallelism }, () => {
      const worker = new Worker(script)
      const entry = { worker, busy: 0 }
      worker.on('message', (reply: Reply) => {
        entry.busy--
        this.pending.get(reply.id)?.(reply)
        this.pending.delete(reply.id)
      })
      worker.on('error', (err) => this.failAll(err))
      return entry
    })
  }

  async check(request: ChunkCheckRequest): Promise<ChunkCheckResult> {
    if (this.broken) return checkChunkFile(request)
    // A view into an index buffer would be cloned with its whole backing buffer: send a copy.
    const reply = await this.send({
      request: { ...request, digest: new Uint8Array(request.digest) }
    })
    return reply instanceof Error
      ? { bytes: 0, problem: `checker failed: ${reply.message}` }
      : reply.result!
  }

  async checkBlob(blob: Uint8Array, digest: Uint8Array): Promise<string | undefined> {
    const buffer = blob.buffer
    if (this.broken || !(buffer instanceof SharedArrayBuffer)) return checkChunkBlob(blob, digest)
    const reply = await this.send({
      buffer,
      offset: blob.byteOffset,
      length: blob.byteLength,
      digest: new Uint8Array(digest)
    })
    return reply instanceof Error ? `checker failed: ${reply.message}` : reply.problem
  }

  private send(message: Omit<CheckMessage, 'id'>): Promise<Reply | Error> {
    const entry = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a))
    const id = this.nextId++
    entry.busy++
    return new Promise((resolve) => {
      this.pending.set(id, resolve)
      entry.worker.postMessage({ id, ...message })
    })
  }

  /** A crashed worker fails its checks loudly; later checks run on the calling thread. */
  private failAll(err: Error): void {
    this.broken = true
    for (const resolve of this.pending.values()) resolve(err)
    this.pending.clear()
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()))
  }
}
