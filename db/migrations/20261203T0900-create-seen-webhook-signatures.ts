import type { Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one instead.
/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * The signatures of signed intake webhooks already taken, each kept until its timestamp falls out of
 * the 5-minute window (after that the timestamp check refuses it anyway). In the database, so every API
 * process sees what another one took: a replay is refused whichever process it reaches.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('seen_webhook_signatures')
    .addColumn('signature', 'text', (c) => c.primaryKey())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('seen_webhook_signatures_expires_at_idx').on('seen_webhook_signatures').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('seen_webhook_signatures').execute();
}
