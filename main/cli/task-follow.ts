/**
 * Follow a task from the CLI: its log lines on stdout (text mode), a progress bar on stderr when
 * stderr is a terminal, Ctrl-C asks the task to stop. Works for tasks of this process (events)
 * and of other processes (polling the shared database).
 */
import type { TaskInfo, TaskProgress } from '../core/api/contract'
import type { Tapedeck } from '../core/tapedeck'
import { formatBytes, formatDuration, type Output } from './output'

export function progressLine(p: TaskProgress, columns = 80): string {
  const amount = (n: number) => (p.unit === 'bytes' ? formatBytes(n) : String(Math.round(n)))
  const parts: string[] = []
  if (p.total !== undefined && p.total > 0) {
    const fraction = Math.min(1, p.done / p.total)
    const barWidth = Math.max(10, Math.min(30, columns - 60))
    const filled = Math.round(fraction * barWidth)
    parts.push(
      `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`
    )
    parts.push(`${amount(p.done)}/${amount(p.total)}`)
  } else parts.push(amount(p.done))
  if (p.rate !== undefined)
    parts.push(p.unit === 'bytes' ? `${formatBytes(p.rate)}/s` : `${p.rate.toFixed(1)}/s`)
  if (p.eta !== undefined) parts.push(`ETA ${formatDuration(p.eta)}`)
  if (p.message) parts.push(p.message)
  return parts.join('  ').slice(0, columns - 1)
}

class ProgressBar {
  private shown = false
  private readonly enabled = Boolean(process.stderr.isTTY)

  show(p: TaskProgress) {
    if (!this.enabled) return
    process.stderr.write(`\r\x1b[2K${progressLine(p, process.stderr.columns ?? 80)}`)
    this.shown = true
  }

  /** Clear the bar before printing a log line so the two never mix. */
  clear() {
    if (this.shown) process.stderr.write('\r\x1b[2K')
    this.shown = false
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function followTask(core: Tapedeck, upid: string, out: Output): Promise<TaskInfo> {
  const bar = new ProgressBar()
  let nextLine = 0
  let last: TaskProgress | undefined
  const print = (n: number, text: string) => {
    if (n < nextLine) return
    nextLine = n + 1
    if (!out.isText) return
    bar.clear()
    out.line(text)
    if (last) bar.show(last)
  }
  const unsubscribe = core.events.onAny((event, payload) => {
    if (event === 'task.log') {
      const p = payload as { upid: string; line: { n: number; text: string } }
      if (p.upid === upid) print(p.line.n, p.line.text)
    } else if (event === 'task.progress') {
      const p = payload as { upid: string; progress: TaskProgress }
      if (p.upid === upid) {
        last = p.progress
        bar.show(p.progress)
      }
    }
  })
  const onInterrupt = () => {
    bar.clear()
    process.stderr.write('stopping task…\n')
    void core.tasks.stop(upid).catch(() => undefined)
  }
  process.on('SIGINT', onInterrupt)
  try {
    for (;;) {
      const info = await core.tasks.status(upid)
      // Catch up on lines written before we subscribed or by another process.
      const { lines } = await core.tasks.log(upid, nextLine)
      for (const line of lines) print(line.n, line.text)
      if (info.progress && info.progress !== last && info.state === 'running') {
        last = info.progress
        bar.show(info.progress)
      }
      if (info.state !== 'running') {
        bar.clear()
        return info
      }
      await sleep(250)
    }
  } finally {
    process.off('SIGINT', onInterrupt)
    unsubscribe()
  }
}
