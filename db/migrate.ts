import { Migrator, type MigrationResultSet } from 'kysely';
import type { Db } from './connection';
import { migrations } from './migrations';

/** Brings the schema to the latest migration; run by the worker (and API) at start-up. */
export async function migrateToLatest(db: Db): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    migrationTableName: 'leadflow_migrations',
    migrationLockTableName: 'leadflow_migrations_lock',
  });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    const reason = result.error instanceof Error ? result.error.message : JSON.stringify(result.error);
    throw new Error(`database migration ${failed ?? ''} failed: ${reason}`);
  }
  return result;
}
