import type { Knex } from 'knex'

/** The media inventory: what PBS keeps in inventory.json (pbs-tape.md §4.2), one row per tape. */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('media', (t) => {
    t.text('uuid').primary()
    t.text('label_text').notNullable().unique()
    t.integer('ctime').notNullable()
    /** Pool the tape was labelled for (media label); the set label's pool wins when present. */
    t.text('pool')
    t.text('media_set_uuid')
    t.integer('media_set_seq')
    t.integer('media_set_ctime')
    t.text('media_set_pool')
    t.text('encryption_fingerprint')
    /** Only full, damaged and retired are stored; writable/unknown are computed. */
    t.text('status')
    /** offline | online-<changer> | vault-<vault> */
    t.text('location')
    t.integer('bytes_used')
  })
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('media')
}
