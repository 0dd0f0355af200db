import { sql, type Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one instead.
/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * `lead_events` becomes the outbox of the public events (GET /v1/events and webhook delivery): each
 * row gets a global position and the id of the transaction that wrote it. Positions come from a
 * sequence, so two concurrent transactions may commit in the other order than their positions; readers
 * therefore take only rows whose transaction is older than every transaction still running
 * (`tx_id < pg_snapshot_xmin(pg_current_snapshot())`) and page on (tx_id, global_position), which never
 * lets a row appear behind a cursor that already passed it. A lead's appends are serialised by its
 * advisory lock, so its events keep their seq order in this one too.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('lead_events').addColumn('global_position', 'bigserial', (c) => c.notNull()).execute();
  await db.schema
    .alterTable('lead_events')
    .addColumn('tx_id', sql`xid8`, (c) => c.notNull().defaultTo(sql`pg_current_xact_id()`))
    .execute();
  await db.schema.createIndex('lead_events_global_position_key').on('lead_events').column('global_position').unique().execute();
  await db.schema.createIndex('lead_events_outbox_idx').on('lead_events').columns(['tx_id', 'global_position']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('lead_events_outbox_idx').execute();
  await db.schema.dropIndex('lead_events_global_position_key').execute();
  await db.schema.alterTable('lead_events').dropColumn('tx_id').execute();
  await db.schema.alterTable('lead_events').dropColumn('global_position').execute();
}
