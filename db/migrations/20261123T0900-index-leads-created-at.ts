import type { Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one instead.
/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * The reports (GET /v1/reports/*) select the leads created in a period: the funnel's cohorts, and the
 * SLA, calibration and recycling reports, which then join those leads' events by `lead_id` (the
 * primary key of `lead_events`). Without this index every report reads all of `leads`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('leads_created_at_idx').on('leads').column('created_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('leads_created_at_idx').execute();
}
