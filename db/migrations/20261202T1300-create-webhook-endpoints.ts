import { sql, type Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one instead.
/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * Webhook delivery (issue 13):
 * - `webhook_endpoints`: where public events go, managed through /v1/webhook-endpoints (`source` api) or
 *   made from LEADFLOW_NOTIFY_WEBHOOK_URL at start-up (`source` config, id `we_config`). The signing
 *   secret is stored only sealed with the system data key (`secret_key_id`), its endpoint id as
 *   associated data. `disabled_reason`/`disabled_at` say why delivery stopped.
 * - `webhook_deliveries`: one row per delivery attempt (the dispatcher's and the test route's), with
 *   nothing personal in it: ids, the answer's status, Leadflow's own error text, timings. `lead_id`
 *   and `seq` are null for a `webhook.test` message. Deleting an endpoint deletes its log.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('event_types', 'jsonb', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('secret_key_id', 'text', (c) => c.notNull())
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('disabled_reason', 'text')
    .addColumn('disabled_at', 'timestamptz')
    .addColumn('source', 'text', (c) => c.notNull().defaultTo('api'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('webhook_endpoints_source_check', sql`source in ('api', 'config')`)
    .addCheckConstraint('webhook_endpoints_event_types_check', sql`jsonb_typeof(event_types) = 'array'`)
    .execute();
  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('endpoint_id', 'text', (c) => c.notNull().references('webhook_endpoints.id').onDelete('cascade'))
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('lead_id', 'text')
    .addColumn('seq', 'integer')
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('attempted_at', 'timestamptz', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('delivered', 'boolean', (c) => c.notNull())
    .addColumn('redelivery', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  // The log's pages (newest first per endpoint) and one event's attempts.
  await db.schema.createIndex('webhook_deliveries_endpoint_idx').on('webhook_deliveries').columns(['endpoint_id', 'id']).execute();
  await db.schema.createIndex('webhook_deliveries_event_idx').on('webhook_deliveries').columns(['endpoint_id', 'event_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_deliveries').execute();
  await db.schema.dropTable('webhook_endpoints').execute();
}
