/**
 * `npm run bench` (with the tape bench): how fast the datastore side goes. Writes a demo datastore
 * (the benchmark input), verifies it with the built CLI (worker threads on every core), and
 * compares with reading the same chunk files with `cat` and hashing them with `sha256sum`.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { CLI } from '../helpers/cli'

const MIB = 1024 * 1024
const DISK_MIB = Number(process.env.TAPEDECK_BENCH_DISK_MIB ?? 256)

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9
const rate = (bytes: number, s: number) => `${(bytes / MIB / s).toFixed(0)} MiB/s`

function cli(home: string, args: string[]) {
  const result = spawnSync(process.execPath, [CLI, '--home', home, ...args], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`tapedeck ${args.join(' ')} failed: ${result.stderr}`)
  return result.stdout
}

it(
  'verifies a datastore at least as fast as sha256sum hashes its chunk files',
  { timeout: 900_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tapedeck-bench-ds-'))
    try {
      const home = join(dir, 'home')
      const store = join(dir, 'store')
      let start = process.hrtime.bigint()
      cli(home, [
        'datastore',
        'demo',
        'bench',
        '--path',
        store,
        '--vms',
        '4',
        '--cts',
        '2',
        '--hosts',
        '2',
        '--snapshots',
        '3',
        '--disk-size',
        `${DISK_MIB}MiB`
      ])
      const demoSeconds = seconds(start)
      const snapshots = JSON.parse(
        cli(home, ['--output-format', 'json', 'datastore', 'snapshots', 'bench'])
      ) as { size: number }[]
      const logical = snapshots.reduce((sum, s) => sum + s.size, 0)

      const chunkFiles = `find '${store}/.chunks' -type f`
      const chunkBytes = Number(
        execFileSync('sh', ['-c', `${chunkFiles} -printf '%s\\n' | awk '{s+=$1} END {print s}'`])
          .toString()
          .trim()
      )
      start = process.hrtime.bigint()
      execFileSync('sh', ['-c', `${chunkFiles} -print0 | xargs -0 cat > /dev/null`])
      const catSeconds = seconds(start)
      start = process.hrtime.bigint()
      execFileSync('sh', [
        '-c',
        `${chunkFiles} -print0 | xargs -0 -P 2 -n 64 sha256sum > /dev/null`
      ])
      const shaSeconds = seconds(start)

      start = process.hrtime.bigint()
      const result = JSON.parse(
        cli(home, ['--output-format', 'json', 'datastore', 'verify', 'bench'])
      ) as { ok: boolean; bytes: number; chunks: number }
      const verifySeconds = seconds(start)

      const rows = [
        ['demo datastore written (backup data)', rate(logical, demoSeconds)],
        ['cat chunk files (baseline)', rate(chunkBytes, catSeconds)],
        ['sha256sum chunk files, 2 processes', rate(chunkBytes, shaSeconds)],
        ['tapedeck datastore verify', rate(result.bytes, verifySeconds)]
      ]
      console.log(
        `\n${snapshots.length} snapshots, ${(logical / MIB).toFixed(0)} MiB of backup data, ${result.chunks} chunks, ${(chunkBytes / MIB).toFixed(0)} MiB stored\n` +
          rows.map(([k, v]) => `  ${k.padEnd(40)} ${v}`).join('\n')
      )
      expect(result.ok).toBe(true)
      expect(result.bytes).toBe(chunkBytes)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }
)
