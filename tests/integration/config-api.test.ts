import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ApiError } from '../../main/core/api/errors'
import { tempCore } from '../helpers/temp'

type Core = Awaited<ReturnType<typeof tempCore>>

async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise
  } catch (err) {
    return err as ApiError
  }
  throw new Error('expected the call to fail')
}

const readHome = (core: Core, file: string) =>
  readFile(join(core.home, file), 'utf8').catch(() => '')

let core: Core
beforeEach(async () => {
  core = await tempCore()
})
afterEach(async () => {
  await core.cleanup()
})

describe('media pools', () => {
  it('creates a pool and writes it to media-pool.cfg in PBS format', async () => {
    await core.api.invoke('pool.create', {
      name: 'daily',
      allocation: 'mon..fri 22:00',
      retention: '2 weeks',
      comment: 'weekday tapes'
    })
    expect(await readHome(core, 'media-pool.cfg')).toBe(
      'pool: daily\n\tallocation mon..fri 22:00\n\tcomment weekday tapes\n\tretention 2 weeks\n'
    )
    expect(await core.api.invoke('pool.list', {})).toEqual([
      {
        name: 'daily',
        allocation: 'mon..fri 22:00',
        retention: '2 weeks',
        comment: 'weekday tapes'
      }
    ])
  })

  it.each([
    [
      { allocation: 'mon..frx 22:00' },
      /allocation must be 'continue', 'always' or a calendar event/
    ],
    [{ retention: '2 fortnights' }, /retention must be 'overwrite', 'keep' or a time span/],
    [{ template: 'x' }, /template must be 2 to 64 characters/],
    [{ template: 'set %Q' }, /template 'set %Q' has .*supported: %a/],
    [{ encrypt: 'not-a-fingerprint' }, /key fingerprint/],
    [{ comment: 'two\nlines' }, /single line/]
  ])('rejects %j with a clear error and writes nothing', async (fields, message) => {
    const err = await apiError(core.api.invoke('pool.create', { name: 'daily', ...fields }))
    expect(err.code).toBe('invalid-argument')
    expect(err.message).toMatch(message)
    expect(await readHome(core, 'media-pool.cfg')).toBe('')
  })

  it('updates with delete and digest, and refuses a stale digest', async () => {
    await core.api.invoke('pool.create', {
      name: 'weekly',
      allocation: 'sat 02:00',
      retention: 'keep'
    })
    const { digest } = await core.api.invoke('pool.config', { name: 'weekly' })
    await core.api.invoke('pool.update', {
      name: 'weekly',
      retention: '6 months',
      delete: ['allocation'],
      digest
    })
    expect((await core.api.invoke('pool.config', { name: 'weekly' })).config).toEqual({
      name: 'weekly',
      retention: '6 months'
    })
    const stale = await apiError(
      core.api.invoke('pool.update', { name: 'weekly', comment: 'x', digest })
    )
    expect(stale.code).toBe('conflict')
  })

  it('refuses duplicates and unknown pools', async () => {
    await core.api.invoke('pool.create', { name: 'daily' })
    expect((await apiError(core.api.invoke('pool.create', { name: 'daily' }))).code).toBe(
      'already-exists'
    )
    expect((await apiError(core.api.invoke('pool.remove', { name: 'nope' }))).code).toBe(
      'not-found'
    )
  })

  it('refuses to remove a pool a backup job uses', async () => {
    await core.api.invoke('pool.create', { name: 'daily' })
    await writeFile(
      join(core.home, 'tape-job.cfg'),
      'backup: nightly\n\tdrive hh8\n\tpool daily\n\tstore store1\n'
    )
    const err = await apiError(core.api.invoke('pool.remove', { name: 'daily' }))
    expect(err.code).toBe('in-use')
    expect(err.message).toContain("backup job 'nightly'")
  })
})

describe('drives and changers', () => {
  it('creates a changer and drives, stores them as PBS does and lists them', async () => {
    await core.api.invoke('changer.create', {
      name: 'sl3',
      path: '/dev/null',
      'export-slots': '16, 14,15'
    })
    await core.api.invoke('drive.create', {
      name: 'hh8',
      path: '/dev/zero',
      changer: 'sl3',
      'changer-drivenum': 0
    })
    await core.api.invoke('drive.create', {
      name: 'hh9',
      path: 'iscsi://127.0.0.1:3261/iqn.2026-11.org.tapedeck:vtl/1',
      changer: 'sl3',
      'changer-drivenum': 1
    })
    expect(await readHome(core, 'tape.cfg')).toBe(
      'changer: sl3\n\texport-slots 14,15,16\n\tpath /dev/null\n\n' +
        'lto: hh8\n\tchanger sl3\n\tpath /dev/zero\n\n' +
        'lto: hh9\n\tchanger sl3\n\tchanger-drivenum 1\n\tpath iscsi://127.0.0.1:3261/iqn.2026-11.org.tapedeck:vtl/1\n'
    )
    expect((await core.api.invoke('drive.list', {})).map((d) => d.name)).toEqual(['hh8', 'hh9'])
  })

  it.each([
    ['/dev/sg-does-not-exist', /does not exist/],
    ['/etc/passwd', /not a device path/],
    ['/dev/shm', /not a character device/],
    ['iscsi://host/not-an-iqn/0', /not an iSCSI target name/],
    ['iscsi://host:99999/iqn.2026-01.org.x:t/0', /port 99999 is out of range/],
    ['tape0', /not a device path/]
  ])('rejects drive path %s', async (path, message) => {
    const err = await apiError(core.api.invoke('drive.create', { name: 'hh8', path }))
    expect(err.code).toBe('invalid-argument')
    expect(err.message).toMatch(message)
  })

  it('keeps references consistent', async () => {
    await core.api.invoke('changer.create', { name: 'sl3', path: '/dev/null' })
    await core.api.invoke('drive.create', { name: 'hh8', path: '/dev/zero', changer: 'sl3' })

    const inUse = await apiError(core.api.invoke('changer.remove', { name: 'sl3' }))
    expect(inUse.code).toBe('in-use')
    expect(inUse.message).toContain("drive 'hh8'")

    const clash = await apiError(
      core.api.invoke('drive.create', { name: 'hh9', path: '/dev/full', changer: 'sl3' })
    )
    expect(clash.message).toContain("drive number 0 of changer 'sl3' is already drive 'hh8'")

    const noChanger = await apiError(
      core.api.invoke('drive.create', { name: 'hh9', path: '/dev/full', changer: 'nope' })
    )
    expect(noChanger.message).toContain("changer 'nope' does not exist")

    const samePath = await apiError(
      core.api.invoke('drive.create', { name: 'hh9', path: '/dev/zero' })
    )
    expect(samePath.message).toContain("already used by drive 'hh8'")

    const sameName = await apiError(
      core.api.invoke('drive.create', { name: 'sl3', path: '/dev/full' })
    )
    expect(sameName.code).toBe('already-exists')

    await core.api.invoke('drive.update', { name: 'hh8', delete: ['changer'] })
    expect((await core.api.invoke('drive.config', { name: 'hh8' })).config).toEqual({
      name: 'hh8',
      type: 'lto',
      path: '/dev/zero'
    })
    await core.api.invoke('changer.remove', { name: 'sl3' })
    expect(await core.api.invoke('changer.list', {})).toEqual([])
  })
})

describe('files copied from a PBS host', () => {
  const PBS_POOLS =
    'pool: daily\n\tallocation mon\n\tencrypt 14:f8:79:b3:cd:76:a8:e2:19:d9:5c:33:a8:6e:7c:4f:4e:c6:79:38:ec:d3:e7:11:c1:a5:be:d5:a1:9f:f5:0f\n\tretention 3 weeks\n\ttemplate %Y-%m-%d %H:%M\n\n' +
    'pool: monthly\n\tallocation monthly\n\tretention keep\n'

  it('loads tape.cfg and media-pool.cfg unchanged and keeps them byte-identical across edits', async () => {
    const tapeCfg =
      'changer: sl3\n\texport-slots 14,15,16\n\tpath /dev/null\n\nlto: hh8\n\tchanger sl3\n\tpath /dev/zero\n'
    await writeFile(join(core.home, 'tape.cfg'), tapeCfg)
    await writeFile(join(core.home, 'media-pool.cfg'), PBS_POOLS)

    expect((await core.api.invoke('pool.list', {})).map((p) => p.name)).toEqual([
      'daily',
      'monthly'
    ])
    expect((await core.api.invoke('pool.config', { name: 'daily' })).config.template).toBe(
      '%Y-%m-%d %H:%M'
    )

    await core.api.invoke('pool.create', { name: 'weekly', allocation: 'weekly' })
    expect(await readHome(core, 'media-pool.cfg')).toBe(
      PBS_POOLS + '\npool: weekly\n\tallocation weekly\n'
    )
    await core.api.invoke('pool.remove', { name: 'weekly' })
    expect(await readHome(core, 'media-pool.cfg')).toBe(PBS_POOLS)

    await core.api.invoke('drive.update', { name: 'hh8', path: '/dev/zero' })
    expect(await readHome(core, 'tape.cfg')).toBe(tapeCfg)
  })

  it('reports a broken file with its line number', async () => {
    await writeFile(
      join(core.home, 'media-pool.cfg'),
      'pool: daily\n\tallocation mon\n\tspeed fast\n'
    )
    await expect(core.api.invoke('pool.list', {})).rejects.toThrow(
      "media-pool.cfg line 3: unknown property 'speed'"
    )
  })
})

describe('API boundary', () => {
  it('refuses unknown methods', async () => {
    const err = await apiError(core.api.call('pool.destroyEverything', {}))
    expect(err.code).toBe('unknown-method')
    expect(err.message).toBe("unknown API method 'pool.destroyEverything'")
  })

  it.each([
    [{ name: 'daily', allocation: 5 }, /allocation: Invalid input: expected string/],
    [{ name: 'daily', colour: 'blue' }, /unknown argument 'colour'/],
    [{ name: '../etc' }, /name: pool name may contain only letters/],
    ['daily', /expected object/],
    [{ name: 'd' }, /pool name must be at least 2 characters/]
  ])('refuses malformed arguments %j and changes nothing', async (args, message) => {
    const err = await apiError(core.api.call('pool.create', args))
    expect(err.code).toBe('invalid-argument')
    expect(err.message).toMatch(message)
    expect(await readHome(core, 'media-pool.cfg')).toBe('')
  })

  it('announces config changes as events', async () => {
    const seen: string[] = []
    core.events.onAny((event, payload) => seen.push(`${event}:${JSON.stringify(payload)}`))
    await core.api.invoke('pool.create', { name: 'daily' })
    expect(seen).toContain('config.changed:{"file":"media-pool.cfg"}')
  })
})

describe('datastores', () => {
  it('registers, scans (as a task with progress and log), shows and removes a datastore', async () => {
    const store = join(core.home, 'store1')
    // A tiny PBS-shaped datastore: two chunk prefix dirs, one group with a finished and an unfinished snapshot.
    const chunk = (hex: string) => join(store, '.chunks', hex.slice(0, 4), hex)
    await mkdir(join(store, '.chunks', 'aaaa'), { recursive: true })
    await mkdir(join(store, '.chunks', 'bbbb'), { recursive: true })
    await writeFile(chunk('aaaa' + '0'.repeat(60)), Buffer.alloc(1000))
    await writeFile(chunk('bbbb' + '1'.repeat(60)), Buffer.alloc(24))
    await mkdir(join(store, 'vm', '100', '2026-11-01T10:00:00Z'), { recursive: true })
    await writeFile(join(store, 'vm', '100', '2026-11-01T10:00:00Z', 'index.json.blob'), 'x')
    await mkdir(join(store, 'vm', '100', '2026-11-02T10:00:00Z'), { recursive: true })
    await mkdir(join(store, 'ns', 'prod', 'ct', '200', '2026-11-01T10:00:00Z'), { recursive: true })
    await copyFile(
      join(store, 'vm', '100', '2026-11-01T10:00:00Z', 'index.json.blob'),
      join(store, 'ns', 'prod', 'ct', '200', '2026-11-01T10:00:00Z', 'index.json.blob')
    )

    await core.api.invoke('datastore.add', { name: 'store1', path: store + '/', comment: 'test' })
    expect(await readHome(core, 'datastore.cfg')).toBe(
      `datastore: store1\n\tcomment test\n\tpath ${store}\n`
    )

    const progress: number[] = []
    core.events.onAny((event, payload) => {
      if (event === 'task.progress')
        progress.push((payload as { progress: { done: number } }).progress.done)
    })
    const { upid } = await core.api.invoke('datastore.scan', { name: 'store1' })
    const done = await core.tasks.wait(upid)
    expect(done.state).toBe('ok')
    expect(done.status).toBe('OK')
    expect(progress.at(-1)).toBe(2)
    const log = await core.api.invoke('task.log', { upid })
    expect(log.lines.map((l) => l.text)).toContain('found 2 chunks using 1024 bytes')
    expect(log.lines.at(-1)!.text).toBe('TASK OK')

    const status = await core.api.invoke('datastore.status', { name: 'store1' })
    expect(status['last-scan']).toMatchObject({
      namespaces: 1,
      groups: 2,
      snapshots: 2,
      chunks: 2,
      'chunk-bytes': 1024
    })
    expect(status.total).toBeGreaterThan(0)

    await core.api.invoke('datastore.remove', { name: 'store1' })
    expect(await core.api.invoke('datastore.list', {})).toEqual([])
  })

  it('refuses paths that are not directories', async () => {
    const err = await apiError(
      core.api.invoke('datastore.add', { name: 'store1', path: '/nonexistent/store' })
    )
    expect(err.message).toContain('does not exist')
    const relative = await apiError(
      core.api.invoke('datastore.add', { name: 'store1', path: 'relative/dir' })
    )
    expect(relative.message).toContain('must be absolute')
  })

  it('loads a PBS datastore.cfg with keys Tapedeck does not use and keeps them', async () => {
    const text =
      'datastore: store1\n\tcomment main\n\tgc-schedule daily\n\tkeep-daily 7\n\tpath /srv/store1\n\ttuning chunk-order=none\n'
    await writeFile(join(core.home, 'datastore.cfg'), text)
    expect((await core.api.invoke('datastore.config', { name: 'store1' })).config).toEqual({
      name: 'store1',
      path: '/srv/store1',
      comment: 'main',
      'gc-schedule': 'daily',
      'keep-daily': '7',
      tuning: 'chunk-order=none'
    })
  })
})

describe('calendar and time span previews', () => {
  it('lists the next events with offsets in the requested zone', async () => {
    const preview = await core.api.invoke('calendar.preview', {
      event: 'mon..fri 22:00',
      from: '2026-03-27T12:00:00Z',
      count: 3,
      timezone: 'Europe/Berlin'
    })
    expect(preview.next).toEqual([
      '2026-03-27T22:00:00+01:00',
      '2026-03-30T22:00:00+02:00',
      '2026-03-31T22:00:00+02:00'
    ])
  })

  it('explains bad input', async () => {
    expect((await apiError(core.api.invoke('calendar.preview', { event: 'someday' }))).code).toBe(
      'invalid-argument'
    )
    expect(
      (
        await apiError(
          core.api.invoke('calendar.preview', { event: 'daily', timezone: 'Mars/Olympus' })
        )
      ).message
    ).toContain("unknown time zone 'Mars/Olympus'")
    expect((await core.api.invoke('timespan.preview', { span: '2 weeks' })).seconds).toBe(1209600)
  })
})
