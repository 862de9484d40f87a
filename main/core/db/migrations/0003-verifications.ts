import type { Knex } from 'knex'

/** Datastore verification results: the summary columns for lists, the full report as JSON. */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('datastore_verifications', (t) => {
    t.text('upid').primary()
    t.text('store').notNullable().index()
    t.integer('time').notNullable()
    t.boolean('ok').notNullable()
    t.text('report').notNullable()
  })
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('datastore_verifications')
}
