import { afterEach, describe, expect, it } from 'vitest'
import type { TaskContext } from '../../main/core/jobs/task-runner'
import { openTapedeck, type Tapedeck } from '../../main/core/tapedeck'
import { tempDir } from '../helpers/temp'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function home() {
  const dir = await tempDir('tapedeck-tasks-')
  cleanups.push(dir.remove)
  return dir.path
}

async function open(path: string): Promise<Tapedeck> {
  const core = await openTapedeck({ home: path })
  let closed = false
  cleanups.push(async () => {
    if (!closed) await core.close()
  })
  const close = core.close
  return Object.assign(core, {
    close: async () => {
      closed = true
      await close()
    }
  })
}

/** A task that counts to `steps`, reporting progress, until stopped. */
const counting =
  (steps: number, delayMs = 5) =>
  async (ctx: TaskContext) => {
    for (let i = 1; i <= steps; i++) {
      ctx.checkAbort()
      await sleep(delayMs)
      ctx.progress({ done: i * 1024, total: steps * 1024, unit: 'bytes' })
      if (i % 10 === 0) ctx.log(`step ${i}`)
    }
  }

describe('task runner', () => {
  it('runs a task with a UPID, log, progress events and a final state, all persisted', async () => {
    const path = await home()
    const core = await open(path)
    const events: string[] = []
    core.events.onAny((event) => events.push(event))
    const upid = await core.tasks.start({ type: 'test-count', id: 'store1:pool' }, counting(50))
    expect(upid).toMatch(
      /^UPID:[^:]+:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:test-count:store1\\x3apool:[^:]+@pam:$/
    )
    const running = await core.api.invoke('task.list', { running: true })
    expect(running.tasks.map((t) => t.upid)).toContain(upid)

    const info = await core.tasks.wait(upid)
    expect(info).toMatchObject({
      state: 'ok',
      status: 'OK',
      worker_type: 'test-count',
      worker_id: 'store1:pool'
    })
    expect(info.progress).toMatchObject({ done: 50 * 1024, total: 50 * 1024, unit: 'bytes' })
    expect(info.progress!.rate).toBeGreaterThan(0)
    expect(events[0]).toBe('task.started')
    expect(events).toContain('task.progress')
    expect(events.at(-1)).toBe('task.finished')

    await core.close()
    const again = await open(path)
    const log = await again.api.invoke('task.log', { upid })
    expect(log.lines.map((l) => l.text)).toEqual([
      'step 10',
      'step 20',
      'step 30',
      'step 40',
      'step 50',
      'TASK OK'
    ])
    expect((await again.api.invoke('task.status', { upid })).state).toBe('ok')
  })

  it('reports warnings and errors the PBS way', async () => {
    const core = await open(await home())
    const warned = await core.tasks.start({ type: 'test' }, async (ctx) => {
      ctx.warn('tape is nearly worn out')
      ctx.warn('second warning')
    })
    expect(await core.tasks.wait(warned)).toMatchObject({ state: 'warning', status: 'WARNINGS: 2' })
    const failed = await core.tasks.start({ type: 'test' }, async () => {
      throw new Error('drive not ready')
    })
    expect(await core.tasks.wait(failed)).toMatchObject({
      state: 'error',
      status: 'drive not ready'
    })
    expect((await core.api.invoke('task.log', { upid: failed })).lines.at(-1)!.text).toBe(
      'TASK ERROR: drive not ready'
    )
  })

  it('stops a running task on request', async () => {
    const core = await open(await home())
    const upid = await core.tasks.start({ type: 'test' }, counting(100_000, 2))
    await sleep(50)
    await core.api.invoke('task.stop', { upid })
    const info = await core.tasks.wait(upid)
    expect(info).toMatchObject({ state: 'aborted', status: 'aborted on request' })
    expect(info.progress!.done).toBeLessThan(100_000 * 1024)
  })

  it('stops a task running in another process through the shared database', async () => {
    const path = await home()
    const owner = await open(path)
    const other = await open(path)
    const upid = await owner.tasks.start({ type: 'test' }, counting(100_000, 2))
    await sleep(50)
    // `other` does not run the task; it leaves a stop request that the owner picks up.
    await other.api.invoke('task.stop', { upid })
    expect((await owner.tasks.wait(upid)).state).toBe('aborted')
    expect((await other.api.invoke('task.status', { upid })).state).toBe('aborted')
  })

  it('shows a task as aborted when the process that ran it died', async () => {
    const path = await home()
    const core = await open(path)
    // A task row left behind by a process that no longer exists (pid far above pid_max).
    const upid = 'UPID:ghost:7FFFFFF0:00000001:00000000:69280500:tape-backup::root@pam:'
    await core.db('tasks').insert({
      upid,
      node: core.tasks.node,
      pid: 0x7ffffff0,
      pstart: 1,
      starttime: 0x69280500,
      worker_type: 'tape-backup',
      user: 'root@pam',
      state: 'running'
    })
    const info = await core.api.invoke('task.status', { upid })
    expect(info.state).toBe('aborted')
    expect(info.status).toContain('ended unexpectedly')
  })

  it('refuses to stop tasks that are not running and unknown ids', async () => {
    const core = await open(await home())
    const upid = await core.tasks.start({ type: 'test' }, async () => undefined)
    await core.tasks.wait(upid)
    await expect(core.api.invoke('task.stop', { upid })).rejects.toMatchObject({ code: 'conflict' })
    await expect(
      core.api.invoke('task.log', { upid: upid.replace('test', 'nope') })
    ).rejects.toMatchObject({ code: 'not-found' })
    await expect(core.api.call('task.log', { upid: 'nonsense' })).rejects.toMatchObject({
      code: 'invalid-argument'
    })
  })

  it('relays tasks of another process sharing the home as live events', async () => {
    const path = await home()
    const viewer = await open(path)
    const worker = await open(path)
    const seen: string[] = []
    viewer.events.onAny((event, payload) => {
      if (event === 'task.log')
        seen.push(`log:${(payload as { line: { text: string } }).line.text}`)
      else if (event !== 'task.progress') seen.push(event)
    })
    const stop = viewer.tasks.watchOtherProcesses(50)
    const upid = await worker.tasks.start({ type: 'test' }, async (ctx) => {
      ctx.log('first')
      await sleep(300)
      ctx.log('second')
    })
    await worker.tasks.wait(upid)
    await sleep(300)
    stop()
    expect(seen).toEqual([
      'task.started',
      'log:first',
      'log:second',
      'log:TASK OK',
      'task.finished'
    ])
  })
})
