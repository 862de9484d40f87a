/** Running work on a drive: hold the drive lock (fail fast with "busy"), open it, close it. */
import { lockDrive } from '../devices/drive-lock'
import type { TaskContext } from '../jobs/task-runner'
import type { CoreServices } from '../tapedeck'
import { openDrive, type DriveHandle } from './devices'

/** Take the drive lock now, then run `work` as a task with the drive open. */
export async function runDriveTask(
  core: CoreServices,
  type: string,
  drive: string,
  work: (ctx: TaskContext, handle: DriveHandle) => Promise<void>,
  taskId = drive
): Promise<{ upid: string }> {
  await core.config.devices.drive(drive) // a clear "does not exist" before locking
  const lock = await lockDrive(core.home, drive, `${type} (starting)`)
  try {
    const upid = await core.tasks.start({ type, id: taskId }, async (ctx) => {
      try {
        const handle = await openDrive(core, drive)
        try {
          await work(ctx, handle)
        } finally {
          await handle.close()
        }
      } finally {
        await lock.release()
      }
    })
    await lock.describe(upid)
    return { upid }
  } catch (err) {
    await lock.release()
    throw err
  }
}

/** Short operations that answer directly but still must not interleave with a task on the drive. */
export async function withDrive<T>(
  core: CoreServices,
  drive: string,
  purpose: string,
  work: (handle: DriveHandle) => Promise<T>
): Promise<T> {
  await core.config.devices.drive(drive)
  const lock = await lockDrive(core.home, drive, purpose)
  try {
    const handle = await openDrive(core, drive)
    try {
      return await work(handle)
    } finally {
      await handle.close()
    }
  } finally {
    await lock.release()
  }
}
