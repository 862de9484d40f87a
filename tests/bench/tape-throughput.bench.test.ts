/**
 * `npm run bench`: does the software keep up with a tape drive? Streams the same data through
 * Tapedeck's block writer into a virtual-library tape and back, and compares with plain `cat` of
 * the same file on the same disk, with and without the drive's hardware encryption. Prints MB/s
 * and memory; asserts only that it ran.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, rm, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { createVirtualLibrary, VirtualLibrary } from '../../main/core/devices/virtual'
import { BlockedReader } from '../../main/core/format/blocked-reader'
import { BlockedWriter } from '../../main/core/format/blocked-writer'

const MIB = 1024 * 1024
const SIZE = Number(process.env.TAPEDECK_BENCH_MIB ?? 1024) * MIB

async function makeData(path: string) {
  // Incompressible, reproducible data: xorshift blocks, written once.
  const file = await open(path, 'w')
  const block = Buffer.alloc(4 * MIB)
  let x = 0x9e3779b9
  for (let written = 0; written < SIZE; written += block.length) {
    for (let i = 0; i < block.length; i += 4) {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      block.writeInt32LE(x | 0, i)
    }
    await file.write(block)
  }
  await file.sync()
  await file.close()
}

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9
const rate = (bytes: number, s: number) => `${(bytes / MIB / s).toFixed(0)} MiB/s`

it(
  'streams to tape at least as fast as cat copies the same data',
  { timeout: 600_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tapedeck-bench-'))
    try {
      const data = join(dir, 'data.bin')
      await makeData(data)

      const start = process.hrtime.bigint()
      execFileSync('sh', ['-c', `cat "${data}" > "${join(dir, 'copy.bin')}" && sync`])
      const catSeconds = seconds(start)
      await rm(join(dir, 'copy.bin'))

      await createVirtualLibrary({
        path: join(dir, 'lib'),
        drives: 1,
        slots: 1,
        tapes: 1,
        tapeSize: SIZE * 2
      })
      const library = await VirtualLibrary.open(join(dir, 'lib'))
      const changer = library.changer()
      await changer.load(1, 0)
      const drive = await library.drive(0)
      const rssBefore = process.memoryUsage().rss
      let peak = rssBefore

      /** One pass: the data file into tape file 0 and back, with the drive key `key` (or none). */
      const pass = async (key: Buffer | undefined) => {
        await drive.setEncryption(key)
        await drive.rewind()
        let t0 = process.hrtime.bigint()
        const writer = new BlockedWriter(drive)
        for await (const chunk of createReadStream(data, { highWaterMark: 4 * MIB })) {
          await writer.write(chunk as Buffer)
          peak = Math.max(peak, process.memoryUsage().rss)
        }
        await writer.finish(false)
        await drive.writeFilemarks(0)
        const writeSeconds = seconds(t0)

        t0 = process.hrtime.bigint()
        await drive.rewind()
        const reader = await BlockedReader.open(drive)
        if (!(reader instanceof BlockedReader)) throw new Error('nothing on tape')
        const readBytes = await reader.skipToEnd()
        return { writeSeconds, readSeconds: seconds(t0), readBytes }
      }
      const plain = await pass(undefined)
      // Hardware encryption of the virtual drive: AES-256-GCM per block (block-crypto.ts).
      const encrypted = await pass(randomBytes(32))
      await library.close()
      const readBytes = plain.readBytes

      const rows = [
        ['cat data > copy (baseline)', rate(SIZE, catSeconds)],
        ['write to virtual tape', rate(SIZE, plain.writeSeconds)],
        ['read back from virtual tape', rate(plain.readBytes, plain.readSeconds)],
        ['write, drive encryption on', rate(SIZE, encrypted.writeSeconds)],
        ['read back, drive encryption on', rate(encrypted.readBytes, encrypted.readSeconds)],
        ['memory growth while writing', `${((peak - rssBefore) / MIB).toFixed(0)} MiB`]
      ]
      console.log(
        `\n${SIZE / MIB} MiB of incompressible data\n` +
          rows.map(([k, v]) => `  ${k.padEnd(32)} ${v}`).join('\n')
      )
      expect(encrypted.readBytes).toBe(SIZE)
      expect(readBytes).toBe(SIZE)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }
)
