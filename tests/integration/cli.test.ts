import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tapedeck } from '../helpers/cli'
import { tempDir } from '../helpers/temp'

let home: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => {
  home = await tempDir('tapedeck-cli-')
})
afterAll(async () => {
  await home.remove()
})

const run = (...args: string[]) => tapedeck(home.path, args)

describe('tapedeck CLI', () => {
  it('creates a pool and lists it as JSON and as a PBS table', async () => {
    expect(
      run('pool', 'create', 'daily', '--allocation', 'mon..fri 22:00', '--retention', '2 weeks')
    ).toMatchObject({ code: 0, stdout: '' })
    const json = run('--output-format', 'json', 'pool', 'list')
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toEqual([
      { name: 'daily', allocation: 'mon..fri 22:00', retention: '2 weeks' }
    ])
    // The global option may also follow the command, as in PBS.
    expect(JSON.parse(run('pool', 'list', '--output-format', 'json-pretty').stdout)).toHaveLength(1)

    const text = run('pool', 'list').stdout
    expect(text).toContain('│ name  │ allocation     │ retention │')
    expect(text).toContain('│ daily │ mon..fri 22:00 │ 2 weeks   │')
    expect(await readFile(join(home.path, 'media-pool.cfg'), 'utf8')).toBe(
      'pool: daily\n\tallocation mon..fri 22:00\n\tretention 2 weeks\n'
    )
  })

  it('fails with a one-line error and a non-zero exit code', () => {
    const bad = run('pool', 'create', 'weekly', '--allocation', 'mon..frx')
    expect(bad.code).not.toBe(0)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
    expect(bad.stderr).toMatch(
      /^Error: allocation must be 'continue', 'always' or a calendar event/
    )
    expect(run('pool', 'remove', 'nope')).toMatchObject({
      code: 1,
      stderr: "Error: media pool 'nope' does not exist\n"
    })
  })

  it('manages drives and changers', () => {
    expect(
      run('changer', 'create', 'sl3', '--path', '/dev/null', '--export-slots', '15,16').code
    ).toBe(0)
    expect(run('drive', 'create', 'hh8', '--path', '/dev/zero', '--changer', 'sl3').code).toBe(0)
    expect(run('changer', 'remove', 'sl3').stderr).toContain("changer 'sl3' is used by drive 'hh8'")
    const config = run('drive', 'config', 'hh8').stdout
    expect(config).toContain('│ changer │ sl3       │')
    expect(JSON.parse(run('--output-format', 'json', 'changer', 'list').stdout)).toEqual([
      { name: 'sl3', path: '/dev/null', 'export-slots': '15,16' }
    ])
    expect(run('changer', 'update', 'sl3', '--eject-before-unload').code).toBe(0)
    expect(
      JSON.parse(run('--output-format', 'json', 'changer', 'config', 'sl3').stdout)[
        'eject-before-unload'
      ]
    ).toBe(true)
  })

  it('previews calendar events and time spans', () => {
    const cal = run('calendar', 'mon..fri 22:00', '--from', '2026-11-27T12:00:00Z', '--count', '3')
    expect(cal.stdout).toContain('Next elapse:     2026-11-27T22:00:00+00:00')
    expect(cal.stdout).toContain('Iter. #3:        2026-12-01T22:00:00+00:00')
    const json = JSON.parse(
      tapedeck(
        home.path,
        [
          '--output-format',
          'json',
          'calendar',
          '*-*-* 02:30',
          '--from',
          '2026-03-28T12:00:00+01:00',
          '--count',
          '2'
        ],
        {
          TZ: 'Europe/Berlin'
        }
      ).stdout
    )
    expect(json.next).toHaveLength(2)
    expect(json.next[0]).toMatch(/^2026-03-(29|30)T0[23]:30:00\+0[12]:00$/)
    expect(run('timespan', '2 weeks').stdout).toContain('Seconds:  1209600')
  })

  it('runs a datastore scan as a task and shows it in the task list and log', () => {
    expect(run('datastore', 'add', 'store1', '--path', home.path).code).toBe(0)
    const scan = run('datastore', 'scan', 'store1')
    expect(scan.code).toBe(0)
    expect(scan.stdout).toContain('scanning datastore at')
    expect(scan.stdout.trim().split('\n').at(-1)).toBe('TASK WARNINGS: 1')
    const tasks = JSON.parse(run('--output-format', 'json', 'task', 'list').stdout)
    expect(tasks[0]).toMatchObject({
      worker_type: 'datastore-scan',
      worker_id: 'store1',
      state: 'warning'
    })
    const log = run('task', 'log', tasks[0].upid)
    expect(log.stdout).toContain('WARN: no chunk store found')
  })

  it('creates a virtual library, barcode-labels it and reads a label back (issue 3 flow)', () => {
    const dir = join(home.path, 'vlib')
    const created = run(
      'vlib',
      'create',
      'lib',
      '--path',
      dir,
      '--drives',
      '2',
      '--slots',
      '16',
      '--import-export',
      '2',
      '--tapes',
      '8',
      '--cleaning',
      '1',
      '--tape-size',
      '64MiB'
    )
    expect(created.code, created.stderr).toBe(0)
    expect(run('pool', 'create', 'tapes').code).toBe(0)
    const labelled = run('barcode-label', '--drive', 'lib-0', '--pool', 'tapes')
    expect(labelled.code, labelled.stderr).toBe(0)
    expect(labelled.stdout.match(/^label verified$/gm)).toHaveLength(8)

    const status = run('changer', 'status', 'lib').stdout
    for (let n = 1; n <= 8; n++) expect(status).toContain(`TAPE0${n}L9`)
    expect(status).toContain('│ import-export │ 17')

    const label = JSON.parse(
      run('--output-format', 'json', 'read-label', '--drive', 'lib-0').stdout
    )
    expect(label).toMatchObject({
      'label-text': 'TAPE08L9',
      pool: 'tapes',
      'media-set-uuid': '00000000-0000-0000-0000-000000000000'
    })
    // TAPEDECK_DRIVE picks the drive like PROXMOX_TAPE_DRIVE does.
    const viaEnv = tapedeck(home.path, ['--output-format', 'json', 'status'], {
      TAPEDECK_DRIVE: 'lib-0'
    })
    expect(JSON.parse(viaEnv.stdout)).toMatchObject({
      name: 'lib-0',
      loaded: true,
      'volume-tag': 'TAPE08L9'
    })
    expect(run('status').stderr).toContain('several drives are configured')

    // mt / mtx, as PBS's pmt / pmtx
    const mt = (...args: string[]) =>
      tapedeck(home.path, ['mt', ...args, '--drive', 'lib-0']).stdout.trim()
    expect(mt('rewind')).toBe('file 0, block 0')
    expect(mt('fsf', '1')).toBe('file 1, block 0')
    expect(mt('bsf', '1')).toBe('file 0, block 1')
    expect(mt('eod')).toBe('file 1, block 0')
    expect(tapedeck(home.path, ['mt', 'fsf', '3', '--drive', 'lib-0']).stderr).toMatch(
      /^Error: .*end of data/
    )
    const mtx = run('mtx', 'status', '--changer', 'lib').stdout
    expect(mtx).toContain('Data Transfer Element (Drive) 0: VolumeTag("TAPE08L9"), Source: 8')
    expect(mtx).toContain('Import/Export 17: Empty')
    expect(run('mtx', 'transfer', '1', '18', '--changer', 'lib').code).toBe(0)
    expect(run('mtx', 'status', '--changer', 'lib').stdout).toContain(
      'Import/Export 18: VolumeTag("TAPE01L9")'
    )
  })

  it('has --help on every command', () => {
    for (const cmd of [
      [],
      ['pool'],
      ['pool', 'create'],
      ['drive', 'update'],
      ['changer', 'create'],
      ['datastore', 'scan'],
      ['task', 'log'],
      ['calendar'],
      ['serve']
    ]) {
      const help = run(...cmd, '--help')
      expect(help.code, cmd.join(' ')).toBe(0)
      expect(help.stdout).toMatch(/^Usage: tapedeck/)
    }
  })
})
