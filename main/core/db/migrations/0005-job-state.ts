import type { Knex } from 'knex'

/**
 * Run state of scheduled jobs (PBS keeps it in /var/lib/proxmox-backup/jobstates/*.json); see
 * main/core/jobs/job-state.ts for what the columns mean.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('job_state', (t) => {
    t.text('job_type').notNullable()
    t.text('job_id').notNullable()
    /** when the job was created (or its schedule changed before it ever ran) */
    t.integer('created').notNullable()
    /** UPID of the last run; null while it is being started or when it could not start */
    t.text('upid')
    /** start time of the last run; null when the job never ran */
    t.integer('starttime')
    /** schedule change after the last run (PBS `updated`) */
    t.integer('updated')
    /** task status text of the last run once it ended */
    t.text('status')
    t.integer('endtime')
    /** bumped on every start, for compare-and-set between processes sharing the home */
    t.integer('version').notNullable().defaultTo(0)
    t.primary(['job_type', 'job_id'])
  })
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('job_state')
}
