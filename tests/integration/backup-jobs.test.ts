import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ApiError } from '../../main/core/api/errors'
import { writeDemoDatastore } from '../../main/core/datastore/demo'
import { tapedeck } from '../helpers/cli'
import { tempCore, tempDir } from '../helpers/temp'

type Core = Awaited<ReturnType<typeof tempCore>>

async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise
  } catch (err) {
    return err as ApiError
  }
  throw new Error('expected the call to fail')
}

/** What PBS writes for two jobs (keys sorted, one line per group filter). */
const PBS_TAPE_JOB_CFG =
  'backup: job1\n' +
  '\tcomment nightly to the library\n' +
  '\tdrive hh8\n' +
  '\teject-media true\n' +
  '\texport-media-set false\n' +
  '\tgroup-filter type:vm\n' +
  '\tgroup-filter exclude:regex:^vm/9\\d\\d$\n' +
  '\tgroup-filter group:ct/200\n' +
  '\tlatest-only true\n' +
  '\tmax-depth 2\n' +
  '\tnotification-mode notification-system\n' +
  '\tnotify-user root@pam\n' +
  '\tns prod/web\n' +
  '\tpool p4\n' +
  '\tschedule mon..fri 22:00\n' +
  '\tstore store3\n' +
  '\tworker-threads 4\n' +
  '\n' +
  'backup: weekly-offsite\n' +
  '\tdrive hh8\n' +
  '\tpool p4\n' +
  '\tstore store3\n'

/** tape.cfg, media-pool.cfg and datastore.cfg naming what the jobs refer to. */
async function writeReferences(home: string) {
  await writeFile(join(home, 'tape.cfg'), 'lto: hh8\n\tpath /dev/zero\n')
  await writeFile(join(home, 'media-pool.cfg'), 'pool: p4\n')
  await writeFile(join(home, 'datastore.cfg'), `datastore: store3\n\tpath ${home}\n`)
}

describe('backup jobs (API)', () => {
  let core: Core
  const cfg = () => readFile(join(core.home, 'tape-job.cfg'), 'utf8')

  beforeEach(async () => {
    core = await tempCore()
    await writeReferences(core.home)
  })
  afterEach(async () => {
    await core.cleanup()
  })

  it('reads a tape-job.cfg written by PBS and writes it back byte for byte', async () => {
    await writeFile(join(core.home, 'tape-job.cfg'), PBS_TAPE_JOB_CFG)
    const { config } = await core.api.invoke('backup-job.config', { id: 'job1' })
    expect(config).toEqual({
      id: 'job1',
      store: 'store3',
      pool: 'p4',
      drive: 'hh8',
      schedule: 'mon..fri 22:00',
      'eject-media': true,
      'export-media-set': false,
      'latest-only': true,
      'notify-user': 'root@pam',
      'notification-mode': 'notification-system',
      'group-filter': ['type:vm', 'exclude:regex:^vm/9\\d\\d$', 'group:ct/200'],
      ns: 'prod/web',
      'max-depth': 2,
      'worker-threads': 4,
      comment: 'nightly to the library'
    })
    // an update that changes nothing rewrites the file exactly as it was
    await core.api.invoke('backup-job.update', { id: 'job1' })
    await core.api.invoke('backup-job.update', { id: 'weekly-offsite' })
    expect(await cfg()).toBe(PBS_TAPE_JOB_CFG)

    // a new job is appended in PBS's format; the others stay untouched
    await core.api.invoke('backup-job.create', {
      id: 'new-job',
      store: 'store3',
      pool: 'p4',
      drive: 'hh8',
      schedule: 'sat 03:00',
      'group-filter': ['include:type:ct', 'exclude:group:ct/101'],
      'latest-only': true,
      comment: '  weekend  '
    })
    expect(await cfg()).toBe(
      PBS_TAPE_JOB_CFG +
        '\nbackup: new-job\n\tcomment weekend\n\tdrive hh8\n' +
        '\tgroup-filter type:ct\n\tgroup-filter exclude:group:ct/101\n' +
        '\tlatest-only true\n\tpool p4\n\tschedule sat 03:00\n\tstore store3\n'
    )
  })

  it('refuses a job naming a datastore, pool or drive that does not exist', async () => {
    const err = await apiError(
      core.api.invoke('backup-job.create', { id: 'job1', store: 'nope', pool: 'p5', drive: 'hh9' })
    )
    expect(err.code).toBe('invalid-argument')
    expect(err.message).toBe(
      "datastore 'nope' does not exist; media pool 'p5' does not exist; drive 'hh9' does not exist"
    )
    const one = await apiError(
      core.api.invoke('backup-job.create', {
        id: 'job1',
        store: 'store3',
        pool: 'p4',
        drive: 'x1y'
      })
    )
    expect(one.message).toBe("drive 'x1y' does not exist")
    await core.api.invoke('backup-job.create', {
      id: 'job1',
      store: 'store3',
      pool: 'p4',
      drive: 'hh8'
    })
    expect(
      (await apiError(core.api.invoke('backup-job.update', { id: 'job1', pool: 'p5' }))).message
    ).toBe("media pool 'p5' does not exist")
  })

  it.each([
    [{ schedule: 'mon..frx' }, /^schedule must be a calendar event/],
    [{ 'group-filter': ['type:lxc'] }, /group filter 'type:lxc': unknown backup type/],
    [{ 'group-filter': ['regex:('] }, /regex '\(' is not valid/],
    [{ 'notify-user': 'root' }, /notify-user must be a user id/],
    [{ 'max-depth': 8 }, /max-depth/],
    [{ ns: 'a/b/c/d/e/f', 'max-depth': 2 }, /depth 6\) with max-depth 2 goes deeper than 7/],
    [{ 'worker-threads': 0 }, /worker-threads/],
    [{ 'notification-mode': 'mail' }, /notification-mode/],
    [{ id: 'x' }, /job id must be at least 3 characters/]
  ])('rejects bad values: %o', async (bad, message) => {
    const err = await apiError(
      core.api.invoke('backup-job.create', {
        id: 'job1',
        store: 'store3',
        pool: 'p4',
        drive: 'hh8',
        ...(bad as object)
      })
    )
    expect(err.code).toBe('invalid-argument')
    expect(err.message).toMatch(message)
  })

  it('updates with delete and digest, and removes', async () => {
    await core.api.invoke('backup-job.create', {
      id: 'job1',
      store: 'store3',
      pool: 'p4',
      drive: 'hh8',
      schedule: 'daily',
      comment: 'x',
      'group-filter': ['type:vm']
    })
    const { digest } = await core.api.invoke('backup-job.config', { id: 'job1' })
    await core.api.invoke('backup-job.update', {
      id: 'job1',
      delete: ['comment', 'group-filter'],
      'eject-media': true,
      digest
    })
    expect(await cfg()).toBe(
      'backup: job1\n\tdrive hh8\n\teject-media true\n\tpool p4\n\tschedule daily\n\tstore store3\n'
    )
    const stale = await apiError(
      core.api.invoke('backup-job.update', { id: 'job1', comment: 'y', digest })
    )
    expect(stale.code).toBe('conflict')
    // an empty comment removes it, as in PBS
    await core.api.invoke('backup-job.update', { id: 'job1', comment: 'y' })
    await core.api.invoke('backup-job.update', { id: 'job1', comment: ' ' })
    expect(await cfg()).not.toContain('comment')

    expect(
      (
        await apiError(
          core.api.invoke('backup-job.create', {
            id: 'job1',
            store: 'store3',
            pool: 'p4',
            drive: 'hh8'
          })
        )
      ).code
    ).toBe('already-exists')
    await core.api.invoke('backup-job.remove', { id: 'job1' })
    expect(await cfg()).toBe('')
    expect((await apiError(core.api.invoke('backup-job.remove', { id: 'job1' }))).code).toBe(
      'not-found'
    )
  })

  it('lists jobs with next run and last run', async () => {
    const before = Math.floor(Date.now() / 1000)
    await core.api.invoke('backup-job.create', {
      id: 'job1',
      store: 'store3',
      pool: 'p4',
      drive: 'hh8',
      schedule: '*:0/15'
    })
    await core.api.invoke('backup-job.create', {
      id: 'manual',
      store: 'store3',
      pool: 'p4',
      drive: 'hh8'
    })
    const listed = await core.api.invoke('backup-job.list', {})
    let job1 = listed[0]
    expect(listed[1]).toEqual({ id: 'manual', store: 'store3', pool: 'p4', drive: 'hh8' })
    const next = job1!['next-run']!
    expect(next % 900).toBe(0)
    expect(next).toBeGreaterThan(before)
    expect(next - before).toBeLessThanOrEqual(900)

    // a run (as the scheduler or `backup-job run` records it)
    const upid = await core.tasks.start({ type: 'tape-backup-job', id: 'job1' }, async (ctx) => {
      ctx.warn('one snapshot skipped')
    })
    await core.config.backupJobs.state.recordStart('job1', upid)
    const info = await core.tasks.wait(upid)
    job1 = (await core.api.invoke('backup-job.list', {}))[0]
    expect(job1).toMatchObject({
      'last-run-upid': upid,
      'last-run-state': 'WARNINGS: 1',
      'last-run-endtime': info.endtime
    })
    expect(job1!['next-run']).toBe(Math.floor(info.starttime / 900 + 1) * 900)

    // removing the job forgets its state
    await core.api.invoke('backup-job.remove', { id: 'job1' })
    expect((await core.config.backupJobs.state.load('job1')).version).toBeUndefined()
  })

  it('still refuses to remove a datastore or pool a job uses', async () => {
    await core.api.invoke('backup-job.create', {
      id: 'job1',
      store: 'store3',
      pool: 'p4',
      drive: 'hh8'
    })
    expect((await apiError(core.api.invoke('pool.remove', { name: 'p4' }))).message).toBe(
      "media pool 'p4' is used by backup job 'job1'"
    )
    expect((await apiError(core.api.invoke('datastore.remove', { name: 'store3' }))).message).toBe(
      "datastore 'store3' is used by backup job 'job1'"
    )
  })
})

describe('tapedeck backup-job (CLI)', () => {
  let home: Awaited<ReturnType<typeof tempDir>>
  beforeAll(async () => {
    home = await tempDir('tapedeck-cli-jobs-')
    await writeReferences(home.path)
  })
  afterAll(async () => {
    await home.remove()
  })
  const run = (...args: string[]) => tapedeck(home.path, args)

  it('creates, shows, lists, updates and removes jobs', async () => {
    await writeFile(join(home.path, 'tape-job.cfg'), PBS_TAPE_JOB_CFG)
    expect(
      run(
        'backup-job',
        'create',
        'daily',
        '--store',
        'store3',
        '--pool',
        'p4',
        '--drive',
        'hh8',
        '--schedule',
        '02:00',
        '--group-filter',
        'type:vm',
        '--group-filter',
        'regex:^vm/(1|2),?',
        '--eject-media',
        '--max-depth',
        '1'
      )
    ).toMatchObject({ code: 0, stdout: '', stderr: '' })
    expect(await readFile(join(home.path, 'tape-job.cfg'), 'utf8')).toBe(
      PBS_TAPE_JOB_CFG +
        '\nbackup: daily\n\tdrive hh8\n\teject-media true\n\tgroup-filter type:vm\n' +
        '\tgroup-filter regex:^vm/(1|2),?\n\tmax-depth 1\n\tpool p4\n\tschedule 02:00\n\tstore store3\n'
    )

    const list = run('backup-job', 'list')
    expect(list.code).toBe(0)
    const lines = list.stdout.split('\n')
    expect(lines[1]).toMatch(
      /^│ id +│ store +│ pool │ drive │ schedule +│ next-run +│ next-media-label │ comment +│$/
    )
    // next run in local time (the helper runs the CLI with TZ=UTC), PBS's `%c` rendering
    expect(list.stdout).toMatch(
      /│ daily +│ store3 │ p4 +│ hh8 +│ 02:00 +│ \w{3} \w{3} [ \d]\d 02:00:00 \d{4} │/
    )
    expect(list.stdout).toContain('│ weekly-offsite │')

    const json = JSON.parse(run('--output-format', 'json', 'backup-job', 'list').stdout)
    expect(json.map((j: { id: string }) => j.id)).toEqual(['job1', 'weekly-offsite', 'daily'])
    expect(json[2]).toMatchObject({
      id: 'daily',
      'group-filter': ['type:vm', 'regex:^vm/(1|2),?'],
      'eject-media': true,
      'max-depth': 1
    })
    expect(new Date(json[2]['next-run'] * 1000).toISOString()).toMatch(/T02:00:00\.000Z$/)

    expect(run('backup-job', 'show', 'job1').stdout).toContain('│ worker-threads    │ 4 ')

    expect(
      run('backup-job', 'update', 'daily', '--delete', 'group-filter,eject-media', '--comment', 'c')
        .code
    ).toBe(0)
    expect(await readFile(join(home.path, 'tape-job.cfg'), 'utf8')).toContain(
      '\nbackup: daily\n\tcomment c\n\tdrive hh8\n\tmax-depth 1\n\tpool p4\n\tschedule 02:00\n\tstore store3\n'
    )
    expect(run('backup-job', 'update', 'daily', '--schedule', 'mon..frx')).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^Error: schedule must be a calendar event/)
    })
    expect(run('backup-job', 'remove', 'daily').code).toBe(0)
    expect(await readFile(join(home.path, 'tape-job.cfg'), 'utf8')).toBe(PBS_TAPE_JOB_CFG)
  })
})

describe('next media label and pool preview (virtual library)', () => {
  let core: Core
  let work: Awaited<ReturnType<typeof tempDir>>
  const MIB = 1024 * 1024

  async function waitOk(started: Promise<{ upid: string }>) {
    const info = await core.tasks.wait((await started).upid)
    expect(info.status).toBe('OK')
  }

  beforeAll(async () => {
    core = await tempCore()
    work = await tempDir('tapedeck-next-media-')
    await core.api.invoke('vlib.create', {
      name: 'lib',
      path: join(work.path, 'lib'),
      drives: 1,
      slots: 6,
      tapes: 3,
      'tape-size': 16 * MIB
    })
    await core.api.invoke('pool.create', { name: 'daily', template: 'daily %F' })
    await core.api.invoke('pool.create', { name: 'empty' })
    await waitOk(core.api.invoke('drive.barcode-label', { drive: 'lib-0', pool: 'daily' }))
    const path = join(work.path, 'store')
    await writeDemoDatastore(
      path,
      { seed: 3, vms: 1, cts: 0, hosts: 1, snapshots: 1, diskSize: 4 * MIB, namespaces: false },
      { prefixDirs: 'on-demand' }
    )
    await core.api.invoke('datastore.add', { name: 'store1', path })
    await core.api.invoke('backup-job.create', {
      id: 'nightly',
      store: 'store1',
      pool: 'daily',
      drive: 'lib-0',
      schedule: '22:00'
    })
    await core.api.invoke('backup-job.create', {
      id: 'other',
      store: 'store1',
      pool: 'empty',
      drive: 'lib-0'
    })
  }, 120_000)
  afterAll(async () => {
    await core.cleanup()
    await work.remove()
  })

  it('before the first backup: a new set on the pool’s first empty tape', async () => {
    const labels = (await core.api.invoke('media.list', {})).map((m) => m['label-text']).sort()
    expect(labels).toHaveLength(3)
    const jobs = await core.api.invoke('backup-job.list', {})
    expect(jobs.find((j) => j.id === 'nightly')).toMatchObject({
      'next-media-label': labels[0],
      'next-run': expect.any(Number)
    })
    // the 'empty' pool could take a free tape, but all three belong to 'daily'
    expect(jobs.find((j) => j.id === 'other')!['next-media-label']).toBeUndefined()

    const preview = await core.api.invoke('pool.preview', { name: 'daily' })
    expect(preview).toMatchObject({
      pool: 'daily',
      drive: 'lib-0',
      action: 'new',
      cause: 'no-media-set',
      'media-set-name': expect.stringMatching(/^daily \d{4}-\d\d-\d\d$/),
      'next-tape': { kind: 'empty', 'label-text': labels[0], 'seq-nr': 0 },
      'next-media-label': labels[0]
    })
    expect(preview.media.map((m) => [m['label-text'], m.status])).toEqual(
      labels.map((l) => [l, 'writable'])
    )
    const none = await core.api.invoke('pool.preview', { name: 'empty' })
    expect(none).toMatchObject({ action: 'new', 'next-tape': { kind: 'none' } })
    expect(none.summary).toContain('none available - label or add tapes')
  })

  it('after a backup: continue the set on the tape it wrote; forced: a new set', async () => {
    await waitOk(core.api.invoke('backup-job.run', { id: 'nightly' }))
    const content = await core.api.invoke('media.content', { pool: 'daily' })
    const tape = content[0]!['label-text']
    const preview = await core.api.invoke('pool.preview', { name: 'daily' })
    expect(preview).toMatchObject({
      action: 'continue',
      'current-media-set': { uuid: content[0]!['media-set-uuid'], tapes: [tape] },
      'next-tape': { kind: 'current', 'label-text': tape }
    })
    expect(preview['media-set-name']).toBe(preview['current-media-set']!.name)
    const job = (await core.api.invoke('backup-job.list', {})).find((j) => j.id === 'nightly')
    expect(job!['next-media-label']).toBe(tape)

    const forced = await core.api.invoke('pool.preview', {
      name: 'daily',
      'force-media-set': true
    })
    expect(forced).toMatchObject({ action: 'new', cause: 'forced' })
    expect(forced['next-tape']!['label-text']).not.toBe(tape)
    // nothing was written by previewing
    expect((await core.api.invoke('pool.preview', { name: 'daily' })).action).toBe('continue')
    expect(
      (await apiError(core.api.invoke('pool.preview', { name: 'daily', drive: 'nope' }))).message
    ).toMatch(/nope/)
  })

  it('CLI: pool preview as a table and as JSON; backup-job list with next-media-label', async () => {
    const home = core.home
    const text = tapedeck(home, ['pool', 'preview', 'daily'])
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/│ next-backup +│ continue +│/)
    expect(text.stdout).toMatch(/│ next-tape +│ \S+ \(current\) +│/)
    expect(text.stdout).toMatch(/│ label-text │ status +│ location +│ media-set-name/)
    const json = JSON.parse(
      tapedeck(home, ['--output-format', 'json', 'pool', 'preview', 'daily']).stdout
    )
    expect(json).toMatchObject({ pool: 'daily', action: 'continue' })
    const list = tapedeck(home, ['backup-job', 'list'])
    expect(list.stdout).toMatch(new RegExp(`│ nightly +│.*│ ${json['next-media-label']} +│`))
    expect(tapedeck(home, ['pool', 'preview', 'nope'])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^Error: .*nope/)
    })
  })
})
