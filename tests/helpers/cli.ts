import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

export const CLI = join(__dirname, '..', '..', 'out', 'main', 'cli.js')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Run the built `tapedeck` CLI against a home, as a user would. */
export function tapedeck(
  home: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeout = 60_000
): CliResult {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`)
  const result = spawnSync(process.execPath, [CLI, '--home', home, ...args], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC', ...env },
    timeout
  })
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr }
}
