import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ChangerError,
  VIRTUAL_BLOCK_SIZE,
  createVirtualLibrary,
  openVirtualLibrary,
  setFault
} from '../../main/core/devices/virtual'
import { tempDir } from '../helpers/temp'

const BS = VIRTUAL_BLOCK_SIZE
const root = fileURLToPath(new URL('../..', import.meta.url))
// jiti (a dependency of the build tooling) runs TypeScript in a plain child process.
const jiti = join(root, 'node_modules', '.bin', 'jiti')
const entry = join(root, 'main', 'core', 'devices', 'virtual', 'index.ts')

/**
 * Writes a write-behind span's worth of blocks on drive 0, reports, waits for a line on stdin,
 * then writes more (or a few more and dies).
 */
const CHILD = `
import { openVirtualLibrary } from ${JSON.stringify(entry)}
const [dir, mode] = process.argv.slice(2)
const lib = await openVirtualLibrary(dir, { name: 'child' })
const drive = await lib.drive(0)
for (let i = 0; i < 8; i++) await drive.writeBlock(Buffer.alloc(${BS}, i))
process.stdout.write('writing\\n')
await new Promise((resolve) => process.stdin.once('data', resolve))
process.stdin.destroy()
if (mode === 'crash') {
  for (let i = 8; i < 12; i++) await drive.writeBlock(Buffer.alloc(${BS}, i))
  process.exit(3)
}
try {
  for (let i = 8; i < 14; i++) await drive.writeBlock(Buffer.alloc(${BS}, i))
  process.stdout.write('no fault\\n')
} catch (err) {
  process.stdout.write('error ' + err.code + '\\n')
}
await lib.close()
`

function run(script: string, dir: string, mode: string) {
  const child = spawn(jiti, [script, dir, mode], { stdio: ['pipe', 'pipe', 'inherit'] })
  let out = ''
  const waiters: (() => void)[] = []
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
    for (const w of waiters.splice(0)) w()
  })
  const line = (text: string) =>
    new Promise<void>((resolve) => {
      const check = () => (out.includes(text) ? resolve() : waiters.push(check))
      check()
    })
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  return { child, line, exited, output: () => out }
}

const cleanups: (() => Promise<void>)[] = []
const children: ChildProcess[] = []
afterEach(async () => {
  for (const c of children.splice(0)) c.kill()
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe('virtual library shared by processes', () => {
  it.skipIf(!existsSync(jiti))(
    'robot and faults in one process, a writing drive in another',
    async () => {
      const tmp = await tempDir('tapedeck-vlib-')
      cleanups.push(tmp.remove)
      const dir = join(tmp.path, 'lib')
      const script = join(tmp.path, 'child.ts')
      await writeFile(script, CHILD)
      await createVirtualLibrary({
        path: dir,
        drives: 2,
        slots: 4,
        tapes: 2,
        tapeSize: 64 * 1024 * 1024
      })
      const lib = await openVirtualLibrary(dir, { name: 'vlib' })
      cleanups.push(() => lib.close())
      const changer = lib.changer()
      await changer.load(1, 0)

      // 1. The other process is in the middle of a tape file: the robot must not take the tape;
      //    a power cut injected from here hits the other process's next blocks.
      const a = run(script, dir, 'write')
      children.push(a.child)
      await a.line('writing')
      expect((await lib.status()).drives[0].writing).toBe(true)
      const err = await changer.unload(0, 3).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ChangerError)
      expect((err as ChangerError).code).toBe('medium-removal-prevented')
      await setFault(dir, { kind: 'power-cut', tape: 'TAPE01L9', file: 0, block: 10 })
      a.child.stdin?.end('go\n')
      expect(await a.exited).toBe(0)
      expect(a.output()).toContain('error power-failure')
      expect((await stat(join(dir, 'tapefile-0-TAPE01L9.json'))).size).toBe(10 * BS)
      const st = (await lib.status()).drives[0]
      expect(st.writing).toBe(false)
      expect(st.position).toBeUndefined()

      // 2. The writer dies mid-file: its mark no longer blocks the robot; the blocks whose write
      //    it had started stay, without filemark, and those still gathering in its write-behind
      //    span are lost, as after a power cut.
      const drive = await lib.drive(0)
      await drive.rewind()
      await drive.close()
      const b = run(script, dir, 'crash')
      children.push(b.child)
      await b.line('writing')
      b.child.stdin?.end('go\n')
      expect(await b.exited).toBe(3)
      await changer.unload(0, 3)
      await changer.load(3, 1)
      const d1 = await lib.drive(1)
      for (let i = 0; i < 8; i++) expect(((await d1.readBlock()) as Uint8Array)[0]).toBe(i)
      expect(await d1.readBlock()).toBe('end-of-data')
    },
    30_000
  )
})
