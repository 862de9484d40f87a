/**
 * The Tapedeck home holds the PBS-format config files, the SQLite database and nothing else the
 * user must manage. Chosen by, in order: --home, TAPEDECK_HOME, the Electron userData directory,
 * $XDG_CONFIG_HOME/tapedeck (~/.config/tapedeck). The app sets its userData to the same XDG
 * directory, so the CLI and the desktop app share one home by default.
 */
import { mkdir } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  const configHome = env.XDG_CONFIG_HOME || join(homedir(), '.config')
  return join(configHome, 'tapedeck')
}

export function resolveHome(
  options: { flag?: string; electronUserData?: string },
  env: NodeJS.ProcessEnv = process.env
): string {
  return resolve(options.flag || env.TAPEDECK_HOME || options.electronUserData || defaultHome(env))
}

export async function ensureHome(home: string): Promise<void> {
  // 0700: the database and task logs may name hosts, datastores and key fingerprints.
  await mkdir(home, { recursive: true, mode: 0o700 })
}
