/**
 * `npm run bench`: backup and restore of a demo datastore on the virtual library, beside `tar`
 * and `cat` of the same data on the same disk in the same run. Prints MB/s; asserts only that the
 * restore is complete.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { writeDemoDatastore } from '../../main/core/datastore/demo'
import { CLI } from '../helpers/cli'

const MIB = 1024 * 1024
const DISK_MIB = Number(process.env.TAPEDECK_BENCH_DISK_MIB ?? 256)

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9
const rate = (bytes: number, s: number) => `${(bytes / MIB / s).toFixed(0)} MiB/s`
const sh = (command: string) => execFileSync('sh', ['-c', command]).toString().trim()
/** Lets the disk finish earlier writeback, so each timed step pays only for its own writes. */
const settle = () => sh('sync && sleep 2')

function cli(home: string, args: string[]): string {
  const result = spawnSync(process.execPath, [CLI, '--home', home, ...args], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`tapedeck ${args.join(' ')} failed: ${result.stderr}`)
  return result.stdout
}

it('backs up and restores a datastore beside tar and cat', { timeout: 1_800_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tapedeck-bench-tape-'))
  try {
    const home = join(dir, 'home')
    const store = join(dir, 'store')
    await writeDemoDatastore(
      store,
      {
        seed: 1,
        vms: 4,
        cts: 2,
        hosts: 2,
        snapshots: 3,
        diskSize: DISK_MIB * MIB,
        namespaces: false
      },
      { prefixDirs: 'on-demand' }
    )
    const storeBytes = Number(sh(`du -sb '${store}' | cut -f1`))
    cli(home, [
      'vlib',
      'create',
      'lib',
      '--path',
      join(dir, 'lib'),
      '--drives',
      '1',
      '--slots',
      '4',
      '--tapes',
      '2',
      '--tape-size',
      '64GiB'
    ])
    cli(home, ['pool', 'create', 'bench'])
    cli(home, ['barcode-label', '--drive', 'lib-0', '--pool', 'bench'])
    cli(home, ['datastore', 'add', 'demo', '--path', store])
    settle()

    let start = process.hrtime.bigint()
    sh(`tar cf - -C '${dir}' store | cat > '${join(dir, 'store.tar')}' && sync`)
    const tarSeconds = seconds(start)
    sh(`rm '${join(dir, 'store.tar')}'`)
    settle()

    start = process.hrtime.bigint()
    const backupLog = cli(home, ['backup', 'demo', 'bench', '--drive', 'lib-0'])
    sh('sync')
    const backupSeconds = seconds(start)
    const set = /media set uuid: (\S+)/.exec(backupLog)![1]
    const tapeFiles = `'${join(dir, 'lib')}'/tapefile-*`
    const tapeBytes = Number(sh(`cat ${tapeFiles} | wc -c`))

    settle()
    start = process.hrtime.bigint()
    sh(`cat ${tapeFiles} > '${join(dir, 'tape.copy')}' && sync`)
    const catSeconds = seconds(start)
    sh(`rm '${join(dir, 'tape.copy')}'`)

    cli(home, ['datastore', 'create', 'back', '--path', join(dir, 'back')])
    settle()
    start = process.hrtime.bigint()
    cli(home, ['restore', set, 'back', '--drive', 'lib-0'])
    sh('sync')
    const restoreSeconds = seconds(start)

    const rows = [
      ['tar cf - store | cat > file (baseline)', rate(storeBytes, tarSeconds)],
      ['tapedeck backup (datastore → virtual tape)', rate(storeBytes, backupSeconds)],
      ['cat tape files > file (baseline)', rate(tapeBytes, catSeconds)],
      ['tapedeck restore (tape → datastore, verified)', rate(tapeBytes, restoreSeconds)]
    ]
    console.log(
      `\ndatastore ${(storeBytes / MIB).toFixed(0)} MiB on disk, ${(tapeBytes / MIB).toFixed(0)} MiB on tape\n` +
        rows.map(([k, v]) => `  ${k.padEnd(48)} ${v}`).join('\n') +
        `\n  backup / tar: ${(tarSeconds / backupSeconds).toFixed(2)}×   restore / cat: ${(catSeconds / restoreSeconds).toFixed(2)}×`
    )
    const snapshots = JSON.parse(
      cli(home, ['--output-format', 'json', 'datastore', 'snapshots', 'back'])
    ) as unknown[]
    expect(snapshots).toHaveLength(24)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
