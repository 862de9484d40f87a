import type { Knex } from 'knex'

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('tasks', (t) => {
    t.text('upid').primary()
    t.text('node').notNullable()
    t.integer('pid').notNullable()
    t.integer('pstart').notNullable()
    t.integer('starttime').notNullable()
    t.text('worker_type').notNullable()
    t.text('worker_id')
    t.text('user').notNullable()
    t.integer('endtime')
    t.text('state').notNullable()
    t.text('status')
    t.text('progress')
    t.boolean('stop_requested').notNullable().defaultTo(false)
    t.index(['starttime'])
    t.index(['state'])
  })
  await db.schema.createTable('task_log', (t) => {
    t.text('upid').notNullable().references('upid').inTable('tasks').onDelete('CASCADE')
    t.integer('n').notNullable()
    t.integer('t').notNullable()
    t.text('text').notNullable()
    t.primary(['upid', 'n'])
  })
  await db.schema.createTable('datastore_scans', (t) => {
    t.text('name').primary()
    t.integer('time').notNullable()
    t.integer('namespaces').notNullable()
    t.integer('groups').notNullable()
    t.integer('snapshots').notNullable()
    t.integer('chunks').notNullable()
    t.integer('chunk_bytes').notNullable()
  })
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('datastore_scans')
  await db.schema.dropTable('task_log')
  await db.schema.dropTable('tasks')
}
