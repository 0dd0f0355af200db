import { sql, type Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one instead.
/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * Personal data protection (per-lead encryption and erasure):
 * - `data_keys`: one AES-256 data key per lead (and the system key), stored only wrapped by a master
 *   key; `wrapped_key` is cleared when the lead is erased, which makes every copy of its data unreadable.
 * - `lead_events.personal`: the personal fields of an event, sealed with the lead's key; `data` keeps
 *   the rest in clear. Rows written before this release keep their fields in `data`: there is no release
 *   yet, and CHANGELOG.md asks to start from an empty data folder.
 * - `leads.erased_at`, `lead_erasures` (the receipt of each erasure), `idempotency_keys.lead_id` (so an
 *   erasure finds the stored answers that quote the person).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('data_keys')
    .addColumn('key_id', 'text', (c) => c.primaryKey())
    .addColumn('lead_id', 'text', (c) => c.unique())
    .addColumn('master_key_id', 'text')
    .addColumn('wrapped_key', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('rotated_at', 'timestamptz')
    .addColumn('destroyed_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('data_keys_master_key_id_idx').on('data_keys').columns(['master_key_id', 'key_id']).execute();
  await db.schema.alterTable('lead_events').addColumn('personal', 'text').execute();
  await db.schema.alterTable('leads').addColumn('erased_at', 'timestamptz').execute();
  await db.schema.alterTable('idempotency_keys').addColumn('lead_id', 'text').execute();
  await db.schema.createIndex('idempotency_keys_lead_id_idx').on('idempotency_keys').column('lead_id').execute();
  await db.schema
    .createTable('lead_erasures')
    .addColumn('lead_id', 'text', (c) => c.primaryKey())
    .addColumn('erased_at', 'timestamptz', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('receipt', 'jsonb', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('lead_erasures').execute();
  await db.schema.dropIndex('idempotency_keys_lead_id_idx').execute();
  await db.schema.alterTable('idempotency_keys').dropColumn('lead_id').execute();
  await db.schema.alterTable('leads').dropColumn('erased_at').execute();
  await db.schema.alterTable('lead_events').dropColumn('personal').execute();
  await db.schema.dropTable('data_keys').execute();
}
