import type { Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one instead.
/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * Round robin becomes a rotation (the next eligible rep after the one who got the pool's previous lead)
 * instead of a counter modulo the eligible list, which skipped reps whenever that list changed length.
 * `last_owner` is that previous rep, null until the pool's first round-robin lead (the rotation then
 * starts at the first eligible rep). `position` stays for workers of the previous release still running
 * during a rolling deploy; it gets a default so new rows need not invent a value for it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('routing_positions').addColumn('last_owner', 'text').execute();
  await db.schema.alterTable('routing_positions').alterColumn('position', (c) => c.setDefault(0)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('routing_positions').alterColumn('position', (c) => c.dropDefault()).execute();
  await db.schema.alterTable('routing_positions').dropColumn('last_owner').execute();
}
