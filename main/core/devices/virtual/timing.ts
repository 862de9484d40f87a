/**
 * Optional timing model: makes the virtual library as slow as hardware so demos, progress bars and
 * timeouts behave realistically. Off (`null`) by default; tests leave it off.
 */
import type { TimingState } from './schema'

export interface TimingModel {
  /** Robot move plus threading (changer load/unload/transfer, drive load). */
  loadSeconds: number
  /** Rewind from anywhere past the beginning of tape (also eject and unload). */
  rewindSeconds: number
  /** Locate/space time per GiB of tape passed over. */
  locateSecondsPerGiB: number
  /** Streaming speed for reads and writes; 0 = unlimited. */
  speedBytesPerSecond: number
}

const GiB = 1024 ** 3

export function timingToState(t: Partial<TimingModel>): TimingState {
  const num = (v: number | undefined, what: string) => {
    const n = v ?? 0
    if (!Number.isFinite(n) || n < 0) throw new Error(`timing ${what} must be a number >= 0`)
    return n
  }
  return {
    'load-seconds': num(t.loadSeconds, 'loadSeconds'),
    'rewind-seconds': num(t.rewindSeconds, 'rewindSeconds'),
    'locate-seconds-per-gib': num(t.locateSecondsPerGiB, 'locateSecondsPerGiB'),
    'speed-bytes-per-second': num(t.speedBytesPerSecond, 'speedBytesPerSecond')
  }
}

export const timingFromState = (t: TimingState | null): TimingModel | null =>
  t && {
    loadSeconds: t['load-seconds'],
    rewindSeconds: t['rewind-seconds'],
    locateSecondsPerGiB: t['locate-seconds-per-gib'],
    speedBytesPerSecond: t['speed-bytes-per-second']
  }

/** Resolves after `ms`, or rejects with the signal's reason when it is aborted first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted()
  if (ms <= 0) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

export const locateMs = (t: TimingState | null, bytes: number): number =>
  t ? (Math.abs(bytes) / GiB) * t['locate-seconds-per-gib'] * 1000 : 0

/**
 * Paces streaming to the model's speed. Sleeping per 256 KiB block would cost a timer per block
 * and drift, so debt is accumulated and slept off once it exceeds a few milliseconds.
 */
export class Pacer {
  private due = 0

  async pace(t: TimingState | null, bytes: number, signal?: AbortSignal): Promise<void> {
    const speed = t?.['speed-bytes-per-second'] ?? 0
    if (speed <= 0) return
    const now = performance.now()
    this.due = Math.max(this.due, now) + (bytes / speed) * 1000
    if (this.due - now > 5) await sleep(this.due - now, signal)
  }

  reset(): void {
    this.due = 0
  }
}
