/**
 * The SQLite inventory database. The driver choice lives here and nowhere else: knex with the
 * `sqlite3` package, which is a Node-API addon, so the binary built for Node also loads in Electron.
 */
import knex, { type Knex } from 'knex'
import { migrationSource } from './migrations'

export type Db = Knex

interface RawSqliteConnection {
  run(sql: string, cb: (err: Error | null) => void): void
}

function runPragmas(conn: RawSqliteConnection, done: (err: Error | null, conn: unknown) => void) {
  const pragmas = [
    'PRAGMA journal_mode = WAL',
    'PRAGMA foreign_keys = ON',
    // The CLI, serve mode and the app may share one database; wait instead of failing at once.
    'PRAGMA busy_timeout = 10000',
    // FULL: a commit point (catalog, inventory) survives a power cut, as PBS fsyncs its catalog.
    'PRAGMA synchronous = FULL'
  ]
  const next = (i: number) => {
    if (i === pragmas.length) return done(null, conn)
    conn.run(pragmas[i]!, (err) => (err ? done(err, conn) : next(i + 1)))
  }
  next(0)
}

export async function openDatabase(filename: string): Promise<Db> {
  const db = knex({
    client: 'sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    pool: { min: 1, max: 1, afterCreate: runPragmas }
  })
  await db.migrate.latest({ migrationSource })
  return db
}
