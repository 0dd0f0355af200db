import { createDatabase, describeDatabase } from '../db/connection';
import { databaseConfigFromEnv } from '../db/database-config';
import { migrateToLatest } from '../db/migrate';

/** npm run db:migrate — the worker also migrates at start-up; this is for deploy pipelines. */
async function main(): Promise<void> {
  const config = databaseConfigFromEnv(process.env);
  const db = createDatabase(config);
  try {
    const { results } = await migrateToLatest(db);
    for (const r of results ?? []) console.log(`${r.status}: ${r.migrationName}`);
    console.log(`${describeDatabase(config)} is at the latest migration`);
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
