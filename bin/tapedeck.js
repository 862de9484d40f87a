#!/usr/bin/env node
// `tapedeck` command: runs the built CLI, building it first if a fresh checkout has no out/ yet.
'use strict'
const { existsSync } = require('node:fs')
const { join } = require('node:path')

const cli = join(__dirname, '..', 'out', 'main', 'cli.js')

async function main() {
  if (!existsSync(cli)) {
    const { buildIfNeeded } = await import('../scripts/build-if-needed.mjs')
    buildIfNeeded()
  }
  require(cli)
}

main().catch((err) => {
  process.stderr.write(`Error: ${err.message}\n`)
  process.exit(1)
})
