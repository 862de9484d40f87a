#!/usr/bin/env node
// `npm start`: open the Electron window where Electron can run; otherwise serve the same UI to a
// browser and say why. The Electron binary is fetched on first start (npm install skips it).
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildIfNeeded } from './build-if-needed.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const passThrough = process.argv.slice(2)

function electronBinary() {
  const dir = join(root, 'node_modules', 'electron')
  const pathFile = join(dir, 'path.txt')
  if (!existsSync(pathFile)) {
    process.stderr.write('tapedeck: fetching the Electron binary (first start)…\n')
    const fetch = spawnSync(process.execPath, [join(dir, 'install.js')], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 120_000,
      env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '' }
    })
    if (fetch.status !== 0 || !existsSync(pathFile)) {
      const detail = (fetch.stderr?.toString() ?? '')
        .split('\n')
        .find((l) => /error|ENOTFOUND|EAI_AGAIN|ECONN/i.test(l))
      return {
        reason: `the Electron binary could not be downloaded${detail ? ` (${detail.trim()})` : ''}`
      }
    }
  }
  try {
    return { path: require('electron') }
  } catch (err) {
    return { reason: `Electron is not usable: ${err.message}` }
  }
}

function startServe(reason) {
  process.stderr.write(
    `tapedeck: ${reason}.\ntapedeck: starting serve mode instead — open the address below in a browser.\n\n`
  )
  const child = spawn(
    process.execPath,
    [join(root, 'out', 'main', 'cli.js'), ...passThrough, 'serve'],
    {
      stdio: 'inherit'
    }
  )
  child.on('exit', (code) => process.exit(code ?? 0))
  process.on('SIGINT', () => child.kill('SIGINT'))
  process.on('SIGTERM', () => child.kill('SIGTERM'))
}

try {
  buildIfNeeded()
} catch (err) {
  process.stderr.write(`${err.message}\n`)
  process.exit(1)
}

if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  startServe('no graphical display (DISPLAY/WAYLAND_DISPLAY unset), so no window can open')
} else {
  const electron = electronBinary()
  if (!electron.path) {
    startServe(electron.reason)
  } else {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    const child = spawn(electron.path, [join(root, pkg.main), ...passThrough], { stdio: 'inherit' })
    child.on('exit', (code) => process.exit(code ?? 0))
  }
}
