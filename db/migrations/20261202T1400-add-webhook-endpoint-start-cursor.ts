import type { Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one instead.
/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * Where an endpoint's deliveries begin: the newest outbox event when it was created. Its dispatcher
 * starts there whenever it is started, so an endpoint created while Temporal was away still gets
 * everything recorded since its creation.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('webhook_endpoints').addColumn('start_tx_id', 'text').execute();
  await db.schema.alterTable('webhook_endpoints').addColumn('start_position', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('webhook_endpoints').dropColumn('start_position').execute();
  await db.schema.alterTable('webhook_endpoints').dropColumn('start_tx_id').execute();
}
