/**
 * `tapedeck volume-statistics` and `cartridge-memory` through the built CLI, each command a fresh
 * process: a virtual library drive reports what really happened to its cartridge (label, backup,
 * reload), a PBS virtual drive says plainly that it has neither (as in PBS).
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tapedeck } from '../helpers/cli'
import { tempDir } from '../helpers/temp'

const MiB = 1024 * 1024
const BLOCK = 256 * 1024
let work: Awaited<ReturnType<typeof tempDir>>
const path = (...parts: string[]) => join(work.path, ...parts)

const cli = (...args: string[]) => tapedeck(path('home'), args, {}, 180_000)
function run(...args: string[]): string {
  const r = cli(...args)
  expect(r.code, `tapedeck ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0)
  return r.stdout
}
const json = <T>(...args: string[]) => JSON.parse(run('--output-format', 'json', ...args)) as T

type Stats = Record<string, number | boolean | string>
interface Attribute {
  id: number
  name: string
  value: string
}
const stats = () => json<Stats>('volume-statistics', '--drive', 'lib-0')
const memory = () =>
  Object.fromEntries(
    json<Attribute[]>('cartridge-memory', '--drive', 'lib-0').map((a) => [a.name, a.value])
  )

beforeAll(async () => {
  work = await tempDir('tapedeck-drive-health-')
  run('vlib', 'create', 'lib', '--path', path('lib'), '--tapes', '2', '--tape-size', '64MiB')
  run('pool', 'create', 'daily')
  run(
    ...['datastore', 'demo', 'store', '--path', path('store'), '--seed', '3', '--vms', '1'],
    ...['--cts', '0', '--hosts', '1', '--snapshots', '1', '--disk-size', '4MiB']
  )
}, 180_000)

afterAll(async () => {
  await work?.remove()
})

describe('drive health through the CLI', () => {
  it('a virtual library drive counts what label, backup and a reload did to the tape', () => {
    run('load-media-from-slot', '1', '--drive', 'lib-0')
    expect(stats()).toMatchObject({
      'volume-mounts': 1,
      'lifetime-bytes-written': 0,
      'lifetime-bytes-read': 0,
      'total-native-capacity': 64 * MiB,
      serial: 'TAPE01L9'
    })

    run('label', '--drive', 'lib-0', '--label-text', 'TAPE01L9', '--pool', 'daily')
    const labelled = stats()
    // The media label is one block; labelling reads it back to verify.
    expect(labelled['lifetime-bytes-written']).toBe(BLOCK)
    expect(labelled['total-used-native-capacity']).toBe(BLOCK)
    expect(labelled['lifetime-bytes-read']).toBeGreaterThanOrEqual(BLOCK)

    run('backup', 'store', 'daily', '--drive', 'lib-0')
    const used = json<{ 'bytes-used': number }>('status', '--drive', 'lib-0')['bytes-used']
    const backedUp = stats()
    expect(used).toBeGreaterThan(MiB)
    expect(backedUp['total-used-native-capacity']).toBe(used)
    // Everything on the tape was written once; nothing before it was overwritten.
    expect(backedUp['lifetime-bytes-written']).toBe(used)
    expect(backedUp['last-mount-bytes-written']).toBe(used)
    expect(backedUp['beginning-of-medium-passes']).toBeGreaterThan(0)
    expect(backedUp['volume-mounts']).toBe(1)

    run('unload', '--drive', 'lib-0')
    run('load-media', 'TAPE01L9', '--drive', 'lib-0')
    const reloaded = stats()
    expect(reloaded).toMatchObject({
      'volume-mounts': 2,
      'lifetime-bytes-written': used,
      'last-mount-bytes-written': 0
    })
    expect(memory()).toMatchObject({
      'Load Count': '2',
      'Total MBytes Written in Medium Life': String(Math.floor(used / MiB)),
      'Total MBytes Written in Current Load': '0',
      'Remaining Capacity In Partition': String(Math.floor((64 * MiB - used) / MiB)),
      'Maximum Capacity In Partition': '64',
      'Medium Density Code': '60',
      Barcode: 'TAPE01L9'
    })
  })

  it('prints PBS-like tables', () => {
    const table = run('volume-statistics', '--drive', 'lib-0')
    expect(table).toMatch(/│ Name +│ Value +│/)
    expect(table).toMatch(/│ volume-mounts +│ 2 +│/)
    expect(table).toMatch(/│ serial +│ TAPE01L9 +│/)
    const cm = run('cartridge-memory', '--drive', 'lib-0')
    expect(cm).toMatch(/│ id +│ name +│ value +│/)
    expect(cm).toMatch(/│ 0x0806 │ Barcode +│ TAPE01L9 │/)
  })

  it('without a tape, and on a PBS virtual drive, it fails and says why', () => {
    run('unload', '--drive', 'lib-0')
    const empty = cli('volume-statistics', '--drive', 'lib-0')
    expect(empty.code).toBe(1)
    expect(empty.stderr).toMatch(/no medium in the drive/)

    run('drive', 'create', 'vdrive', '--type', 'virtual', '--path', path('pbs-tapes'))
    run('load-media', 'VT0001', '--drive', 'vdrive')
    for (const [command, what] of [
      ['volume-statistics', 'volume statistics are'],
      ['cartridge-memory', 'cartridge memory is']
    ]) {
      const r = cli(command, '--drive', 'vdrive')
      expect(r.code).toBe(1)
      expect(r.stderr).toBe(
        `Error: ${what} not supported by drive 'vdrive': a PBS virtual drive keeps neither ` +
          'log pages nor cartridge memory (as in PBS)\n'
      )
    }
  })
})
