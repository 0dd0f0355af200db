import { withDevSecrets } from '../config/dev-secrets';
import { privacyConfigFromEnv } from '../config/privacy.config';
import { createDatabase, describeDatabase } from '../db/connection';
import { databaseConfigFromEnv } from '../db/database-config';
import { migrateToLatest } from '../db/migrate';
import { createKeyStore } from '../encryption';

/**
 * npm run keys:rotate: rewraps every lead's data key (and the system key) under the active master key,
 * the first one of LEADFLOW_MASTER_KEY / LEADFLOW_MASTER_KEY_FILE. The data keys themselves do not
 * change, so no Temporal history and no stored row is touched. Rotating a master key:
 *   1. put the new key first and keep the old one after it, in every process's configuration;
 *   2. restart the worker and the API (new keys are then wrapped by the new master key);
 *   3. npm run keys:rotate (safe while they run; run it again and it rewraps nothing);
 *   4. remove the old key from the configuration.
 * Beside `npm start`, its development master key in the data folder is used when none is configured.
 */
async function main(): Promise<void> {
  const database = databaseConfigFromEnv(process.env);
  const privacy = privacyConfigFromEnv(withDevSecrets(process.env, process.env.LEADFLOW_DATA_DIR ?? '.data', { create: false }).env);
  const db = createDatabase(database);
  try {
    await migrateToLatest(db);
    const active = privacy.masterKeys.active.id;
    console.log(`database: ${describeDatabase(database)}; active master key: ${active} (${privacy.masterKeySource})`);
    const keys = createKeyStore(db, privacy.masterKeys);
    const { rewrapped } = await keys.rotateMasterKey((n) => console.log(`rewrapped ${n} data keys so far`));
    const { live } = await db
      .selectFrom('dataKeys')
      .select((eb) => eb.fn.countAll<number>().as('live'))
      .where('wrappedKey', 'is not', null)
      .executeTakeFirstOrThrow();
    console.log(`done: ${rewrapped} data keys rewrapped under ${active}; ${Number(live)} live data keys, all wrapped by ${active}. Older master keys can now be removed from the configuration.`);
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
