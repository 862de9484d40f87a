/**
 * A tgtd virtual tape library for tests (scripts/tgt-vtl.sh): free loopback port, own temp dir and
 * control socket, so several test files can each run one at the same time. Call `stop()` in
 * afterAll; it tears tgtd down and removes the directory.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { tempDir } from './temp'

const run = promisify(execFile)
const SCRIPT = join(__dirname, '../../scripts/tgt-vtl.sh')
export const TGTD = '/usr/sbin/tgtd'

export interface TgtRig {
  host: string
  port: number
  /** IQN of the library target. */
  target: string
  driveLuns: number[]
  changerLun: number
  /** tgtd's pid (tests may stop or kill it on purpose). */
  pid: number
  dir: string
  /** Runs tgtadm against this rig's control socket. */
  tgtadm(args: string[]): Promise<string>
  stop(): Promise<void>
}

/** A loopback port nothing listens on (free a moment ago: for a rig, or to be refused). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const m = /^(\w+)="?([^"]*)"?$/.exec(line.trim())
    if (m) env[m[1]] = m[2]
  }
  return env
}

export interface TgtRigOptions {
  /** Size of each data tape image in MiB (tgt reports early warning there); default 512. */
  tapeMiB?: number
}

export async function startTgtRig(options: TgtRigOptions = {}): Promise<TgtRig> {
  if (!existsSync(TGTD)) {
    throw new Error(`${TGTD} not found: install the Debian package "tgt" to run the iSCSI tests`)
  }
  const dir = await tempDir('tapedeck-tgt-')
  const down = () => run('sh', [SCRIPT, 'down', dir.path]).then(() => undefined)
  try {
    for (let attempt = 0; ; attempt++) {
      const port = await freePort()
      try {
        const env = options.tapeMiB
          ? { ...process.env, TGT_TAPE_MIB: String(options.tapeMiB) }
          : undefined
        const { stdout } = await run('sh', [SCRIPT, 'up', dir.path, String(port)], { env })
        const vtl = parseEnv(stdout)
        return {
          host: vtl.TGT_HOST,
          port: Number(vtl.TGT_PORT),
          target: vtl.TGT_IQN,
          driveLuns: vtl.TGT_DRIVE_LUNS.split(' ').map(Number),
          changerLun: Number(vtl.TGT_CHANGER_LUN),
          pid: Number(vtl.TGT_PID),
          dir: dir.path,
          tgtadm: async (args) =>
            (
              await run('tgtadm', ['-C', '0', ...args], {
                env: { ...process.env, TGT_IPC_SOCKET: join(dir.path, 'ipc') }
              })
            ).stdout,
          stop: async () => {
            try {
              await down()
            } finally {
              await dir.remove()
            }
          }
        }
      } catch (error) {
        // Exit status 3: someone took the port between our probe and tgtd's bind.
        if ((error as { code?: number }).code !== 3 || attempt >= 4) throw error
      }
    }
  } catch (error) {
    await down().catch(() => undefined)
    await dir.remove()
    throw error
  }
}
