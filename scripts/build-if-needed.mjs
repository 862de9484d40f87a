#!/usr/bin/env node
// Build out/ when it is missing or older than the sources, so `npx tapedeck` and `npm start`
// work right after `npm install` / `npm ci` and after pulling new sources.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const outputs = [
  'out/main/cli.js',
  'out/main/index.js',
  'out/preload/index.js',
  'out/renderer/index.html'
]
const sources = ['main', 'preload', 'renderer', 'package.json', 'electron.vite.config.ts']

function newestMtime(path) {
  const info = statSync(path)
  if (!info.isDirectory()) return info.mtimeMs
  let newest = info.mtimeMs
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)))
  return newest
}

export function buildIsCurrent() {
  if (!outputs.every((f) => existsSync(join(root, f)))) return false
  const built = Math.min(...outputs.map((f) => statSync(join(root, f)).mtimeMs))
  return sources.every((s) => !existsSync(join(root, s)) || newestMtime(join(root, s)) <= built)
}

export function buildIfNeeded({ quiet = false } = {}) {
  if (buildIsCurrent()) return
  if (!quiet) process.stderr.write('tapedeck: building (electron-vite build)…\n')
  const vite = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js')
  if (!existsSync(vite)) {
    throw new Error('build tools are missing; run `npm install` in ' + root)
  }
  const result = spawnSync(process.execPath, [vite, 'build'], {
    cwd: root,
    stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit']
  })
  if (result.status !== 0) throw new Error('the build failed (see above)')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    buildIfNeeded()
  } catch (err) {
    process.stderr.write(`${err.message}\n`)
    process.exit(1)
  }
}
