import type { Knex } from 'knex'
import * as init from './0001-init'
import * as media from './0002-media'
import * as verifications from './0003-verifications'
import * as catalog from './0004-catalog'
import * as jobState from './0005-job-state'

interface Migration {
  up(db: Knex): Promise<void>
  down(db: Knex): Promise<void>
}

/** Migrations in the order they run; static imports so the bundled app needs no directory scan. */
const MIGRATIONS: Array<[string, Migration]> = [
  ['0001-init', init],
  ['0002-media', media],
  ['0003-verifications', verifications],
  ['0004-catalog', catalog],
  ['0005-job-state', jobState]
]

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => MIGRATIONS.map(([name]) => name),
  getMigrationName: (name) => name,
  getMigration: async (name) => {
    const entry = MIGRATIONS.find(([n]) => n === name)
    if (!entry) throw new Error(`unknown database migration ${name}`)
    return entry[1]
  }
}
