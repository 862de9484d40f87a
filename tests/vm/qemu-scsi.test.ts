/**
 * Tapedeck on real Linux SCSI device nodes: scripts/qemu-scsi/run.sh boots Debian's kernel in QEMU,
 * logs it in to a tgtd library on 127.0.0.1 and runs the command line against /dev/sg* there
 * (changer status, drive status, barcode-label, backup, restore byte for byte, st node refusal,
 * sysfs scan). Runs where qemu-system-x86_64 is installed; about 4 minutes under TCG.
 * `npx vitest run --project vm` (needs `npm run build` first).
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CLI } from '../helpers/cli'

const SCRIPT = join(__dirname, '../../scripts/qemu-scsi/run.sh')
const QEMU = ['/usr/bin/qemu-system-x86_64', '/usr/local/bin/qemu-system-x86_64'].some(existsSync)
const RUN_TIMEOUT_MS = 25 * 60_000

function runScript(): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      [SCRIPT],
      { timeout: RUN_TIMEOUT_MS, killSignal: 'SIGTERM', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
        resolve({ code, output: stdout + stderr })
      }
    )
  })
}

describe.skipIf(!QEMU)('Tapedeck in a QEMU guest on /dev/sg nodes over iscsi_tcp', () => {
  it('passes every step of the guest test', { timeout: RUN_TIMEOUT_MS + 60_000 }, async () => {
    expect(existsSync(CLI), `${CLI} is missing: run npm run build first`).toBe(true)
    const { code, output } = await runScript()
    expect(code, output).toBe(0)
    const summary = /SUMMARY: (\d+) passed, (\d+) failed/.exec(output)
    expect(summary, output).not.toBeNull()
    expect(Number(summary![2])).toBe(0)
    for (const step of [
      'changer status over SG_IO',
      'status of the empty drive 1',
      'barcode-label all 8 tapes',
      'back up a demo datastore',
      'restore the media set, byte for byte',
      'an st node is refused with the sg node to use'
    ]) {
      expect(output, output).toMatch(new RegExp(`^PASS ${step}`, 'm'))
    }
  })
})
