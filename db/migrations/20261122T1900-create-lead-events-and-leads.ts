import { sql, type Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one instead.
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('lead_events')
    .addColumn('lead_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('workflow_run_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('lead_events_pkey', ['lead_id', 'seq'])
    .execute();
  await db.schema.createIndex('lead_events_type_occurred_at_idx').on('lead_events').columns(['type', 'occurred_at']).execute();

  await db.schema
    .createTable('leads')
    .addColumn('lead_id', 'text', (c) => c.primaryKey())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('owner', 'text')
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('full_name', 'text')
    .addColumn('company', 'text')
    .addColumn('country', 'text')
    .addColumn('source_channel', 'text')
    .addColumn('source_campaign', 'text')
    .addColumn('fit_score', 'integer', (c) => c.notNull())
    .addColumn('engagement_score', 'integer', (c) => c.notNull())
    .addColumn('sla_kind', 'text')
    .addColumn('sla_due_at', 'timestamptz')
    .addColumn('sla_breaches', 'integer', (c) => c.notNull())
    .addColumn('mql_cycle', 'integer', (c) => c.notNull())
    .addColumn('recycle_count', 'integer', (c) => c.notNull())
    .addColumn('recycle_reason', 'text')
    .addColumn('needs_data_repair', 'boolean', (c) => c.notNull())
    .addColumn('unsubscribed', 'boolean', (c) => c.notNull())
    .addColumn('closed_reason', 'text')
    .addColumn('first_inquiry_at', 'timestamptz')
    .addColumn('first_mql_at', 'timestamptz')
    .addColumn('first_sal_at', 'timestamptz')
    .addColumn('first_sql_at', 'timestamptz')
    .addColumn('first_won_at', 'timestamptz')
    .addColumn('first_disqualified_at', 'timestamptz')
    .addColumn('first_recycled_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_event_seq', 'integer', (c) => c.notNull())
    .addColumn('state', 'jsonb', (c) => c.notNull())
    .execute();
  // The list queries of the API and the reports: SLA board, a rep's queue, recent changes.
  await db.schema.createIndex('leads_stage_sla_due_at_idx').on('leads').columns(['stage', 'sla_due_at']).execute();
  await db.schema.createIndex('leads_owner_stage_idx').on('leads').columns(['owner', 'stage']).execute();
  await db.schema.createIndex('leads_updated_at_idx').on('leads').columns(['updated_at', 'lead_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('leads').execute();
  await db.schema.dropTable('lead_events').execute();
}
