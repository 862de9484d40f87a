import { readFileSync } from 'node:fs'

/**
 * Process start time in clock ticks since boot (field 22 of /proc/<pid>/stat), as PBS records in
 * its UPIDs. Together with the pid it tells whether the process that ran a task still exists even
 * after the pid was reused. Without /proc (not Linux) 0 is returned and only the pid is compared.
 */
export function processStartTime(pid: number | 'self'): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may contain spaces and parentheses; fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[19])
  } catch {
    return undefined
  }
}

export function processIsRunning(pid: number, pstart: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const start = processStartTime(pid)
  return start === undefined || pstart === 0 || start === pstart
}
