/**
 * One task per drive at a time, across every Tapedeck process sharing the home: whoever works
 * with a drive holds its lock; a second user gets "drive busy" naming the task that has it.
 */
import { join } from 'node:path'
import { ApiError } from '../api/errors'
import { acquireFileLock, LockBusyError, type FileLock } from '../util/file-lock'

export function driveLockPath(home: string, drive: string): string {
  return join(home, `.drive-${drive}.lock`)
}

/** `purpose` is shown to whoever finds the drive busy: the task's UPID, or what a command does. */
export async function lockDrive(home: string, drive: string, purpose: string): Promise<FileLock> {
  try {
    return await acquireFileLock(driveLockPath(home, drive), { timeoutMs: 0, purpose })
  } catch (err) {
    if (!(err instanceof LockBusyError)) throw err
    const holder = err.holder
    const what = holder?.purpose?.startsWith('UPID:')
      ? `task ${holder.purpose}`
      : holder
        ? `${holder.purpose ?? 'another command'} (process ${holder.pid})`
        : 'another Tapedeck process'
    throw new ApiError('busy', `drive busy: ${drive} is in use by ${what}`)
  }
}
