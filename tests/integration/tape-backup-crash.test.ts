/**
 * A backup killed with SIGKILL in the middle: the inventory and catalogs hold exactly what was
 * committed, the next backup continues the media set, and a restore of everything verifies.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { writeDemoDatastore } from '../../main/core/datastore/demo'
import { CLI, tapedeck } from '../helpers/cli'
import { tempDir } from '../helpers/temp'

let work: Awaited<ReturnType<typeof tempDir>>
const home = () => join(work.path, 'home')
const run = (...args: string[]) => tapedeck(home(), args)
const json = (...args: string[]) => JSON.parse(run('--output-format', 'json', ...args).stdout)

beforeAll(async () => {
  work = await tempDir('tapedeck-crash-')
  expect(
    run(
      'vlib',
      'create',
      'lib',
      '--path',
      join(work.path, 'lib'),
      '--drives',
      '1',
      '--slots',
      '10',
      '--tapes',
      '8',
      '--tape-size',
      '12MiB'
    ).code
  ).toBe(0)
  expect(run('pool', 'create', 'daily').code).toBe(0)
  expect(run('barcode-label', '--drive', 'lib-0', '--pool', 'daily').code).toBe(0)
  const store = join(work.path, 'store')
  await writeDemoDatastore(
    store,
    {
      seed: 11,
      vms: 2,
      cts: 1,
      hosts: 1,
      snapshots: 3,
      diskSize: 16 * 1024 * 1024,
      namespaces: false
    },
    { prefixDirs: 'on-demand' }
  )
  expect(run('datastore', 'add', 'store1', '--path', store).code).toBe(0)
}, 120_000)
afterAll(() => work.remove(), 120_000)

/** Starts a backup and SIGKILLs it once `lines` archives were reported written after a commit. */
function killMidBackup(lines: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [
      CLI,
      '--home',
      home(),
      'backup',
      'store1',
      'daily',
      '--drive',
      'lib-0'
    ])
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const committed = out.indexOf('\ncommitted ')
      if (committed >= 0 && (out.slice(committed).match(/^wrote /gm) ?? []).length >= lines)
        child.kill('SIGKILL')
    })
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL'
        ? resolve(out)
        : reject(new Error(`backup ended by itself (${code}): ${out}`))
    )
  })
}

it(
  'recovers from a backup killed mid-way: the set continues and everything restores',
  { timeout: 300_000 },
  async () => {
    // Slow the virtual drive down so the kill lands in the middle of the job.
    expect(run('vlib', 'timing', 'lib', '--speed', '8MiB').code).toBe(0)
    const before = await killMidBackup(2)
    const set = /media set uuid: (\S+)/.exec(before)![1]
    expect(run('vlib', 'timing', 'lib', '--off').code).toBe(0)

    // The killed task shows as aborted; its locks are taken over.
    const tasks = json('task', 'list') as { worker_type: string; state: string }[]
    expect(tasks.find((t) => t.worker_type === 'tape-backup')?.state).toBe('aborted')
    const committed = (json('media', 'content', '--media-set', set) as { snapshot: string }[]).map(
      (r) => r.snapshot
    )
    expect(committed.length).toBeGreaterThan(0)

    const again = run('backup', 'store1', 'daily', '--drive', 'lib-0')
    expect(again.code, again.stdout + again.stderr).toBe(0)
    expect(again.stdout).toContain(`media set uuid: ${set}`)
    for (const snapshot of committed) expect(again.stdout).toContain(`skip snapshot ${snapshot}`)
    const all = (json('datastore', 'snapshots', 'store1') as { snapshot: string }[])
      .map((s) => s.snapshot)
      .sort()
    expect(
      (json('media', 'content', '--media-set', set) as { snapshot: string }[])
        .map((r) => r.snapshot)
        .sort()
    ).toEqual(all)

    // Everything restores from the tapes alone and verifies.
    expect(run('datastore', 'create', 'back', '--path', join(work.path, 'back')).code).toBe(0)
    const restore = run('restore', set, 'back', '--drive', 'lib-0')
    expect(restore.code, restore.stdout + restore.stderr).toBe(0)
    expect(
      (json('datastore', 'snapshots', 'back') as { snapshot: string }[])
        .map((s) => s.snapshot)
        .sort()
    ).toEqual(all)
    const verify = run('--output-format', 'json', 'datastore', 'verify', 'back')
    expect(verify.code, verify.stdout + verify.stderr).toBe(0)
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, snapshots: all.length })
  }
)
