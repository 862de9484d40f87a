import type { TaskContext } from '../../main/core/jobs/task-runner'

/** A TaskContext that records what a core function logs, for calling task bodies directly. */
export function recordingContext(): TaskContext & { lines: string[]; warnings: string[] } {
  const lines: string[] = []
  const warnings: string[] = []
  const controller = new AbortController()
  return {
    upid: 'UPID:test:00000000:00000000:00000000:00000000:test::root@pam:',
    signal: controller.signal,
    lines,
    warnings,
    log: (text) => void lines.push(text),
    warn: (text) => void warnings.push(text),
    progress: () => undefined,
    checkAbort: () => controller.signal.throwIfAborted()
  }
}
