import { sql, type Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one instead.
/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * Routing state that must outlive a worker: the round-robin position of each pool (territory and
 * segment), advanced atomically so concurrent assignments never share a position, and the owner chosen
 * for each assignment, so a retried or racing routing activity answers with the same rep.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('routing_positions')
    .addColumn('pool_key', 'text', (c) => c.primaryKey())
    .addColumn('position', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('routing_assignments')
    .addColumn('assignment_key', 'text', (c) => c.primaryKey())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('assigned_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('routing_assignments').execute();
  await db.schema.dropTable('routing_positions').execute();
}
