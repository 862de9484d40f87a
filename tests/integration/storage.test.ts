import { readdir, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openTapedeck, type Tapedeck } from '../../main/core/tapedeck'
import { tempDir } from '../helpers/temp'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function openTwice(): Promise<[Tapedeck, Tapedeck, string]> {
  const home = await tempDir('tapedeck-storage-')
  const a = await openTapedeck({ home: home.path })
  const b = await openTapedeck({ home: home.path })
  cleanups.push(
    home.remove,
    () => a.close(),
    () => b.close()
  )
  return [a, b, home.path]
}

describe('home storage', () => {
  it('runs SQLite in WAL mode with foreign keys on', async () => {
    const [core] = await openTwice()
    const [{ journal_mode }] = await core.db.raw('PRAGMA journal_mode')
    const [{ foreign_keys }] = await core.db.raw('PRAGMA foreign_keys')
    expect(journal_mode).toBe('wal')
    expect(foreign_keys).toBe(1)
    await expect(
      core.db('task_log').insert({ upid: 'UPID:none:', n: 0, t: 0, text: 'x' })
    ).rejects.toThrow(/FOREIGN KEY/)
  })

  it('loses no change when two processes write the same config file at once', async () => {
    const [a, b, home] = await openTwice()
    const names = Array.from({ length: 20 }, (_, i) => `pool${String(i).padStart(2, '0')}`)
    await Promise.all(names.map((name, i) => (i % 2 ? a : b).api.invoke('pool.create', { name })))
    expect((await a.api.invoke('pool.list', {})).map((p) => p.name).sort()).toEqual(names)
    // Only the config files and the database remain: no lock or temp files left behind.
    const files = (await readdir(home)).filter((f) => !f.startsWith('tapedeck.db'))
    expect(files).toEqual(['media-pool.cfg'])
  })

  it('takes over a lock left by a process that died', async () => {
    const [core, , home] = await openTwice()
    await writeFile(join(home, '.media-pool.cfg.lock'), `2147483000@${hostname()}\n`)
    await core.api.invoke('pool.create', { name: 'daily' })
    expect(await core.api.invoke('pool.list', {})).toEqual([{ name: 'daily' }])
  })

  it('tells long-lived hosts about config edits made by other processes', async () => {
    const [viewer, editor] = await openTwice()
    const changed: string[] = []
    viewer.events.onAny((event, payload) => {
      if (event === 'config.changed') changed.push((payload as { file: string }).file)
    })
    const stop = viewer.watchOtherProcesses()
    await new Promise((resolve) => setTimeout(resolve, 100))
    await editor.api.invoke('pool.create', { name: 'daily' })
    await new Promise((resolve) => setTimeout(resolve, 1500))
    stop()
    expect(changed).toEqual(['media-pool.cfg'])
  })
})
