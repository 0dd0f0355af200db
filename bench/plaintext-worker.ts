import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config/leadflow.config';
import { createDatabase } from '../db/connection';
import { createKeyStore } from '../encryption';
import { createLeadWorker } from '../worker/lead-worker';
import { assertBenchOnly, plaintextDataConverter } from './lib/plaintext';

/**
 * The lead worker with encryption off (bench only; see lib/plaintext.ts): production's factory and
 * activities, Temporal's default data converter. Run by `npm run bench` beside production's worker, on
 * its own task queue, so the difference it measures is the codec. The bench has migrated the database.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  assertBenchOnly(config, 'dist/bench/plaintext-worker.js');
  const db = createDatabase(config.database);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  try {
    // Bundled at start-up from the same compiled workflows, not the prebuilt bundle: that one has
    // production's failure converter (encodeCommonAttributes) built in, and "off" means without it.
    const worker = await createLeadWorker(
      { ...config, production: false },
      db,
      connection,
      createKeyStore(db, config.privacy.masterKeys),
      plaintextDataConverter(),
    );
    console.log(JSON.stringify({ msg: 'leadflow plaintext worker started', taskQueue: config.temporal.taskQueue }));
    await worker.run();
  } finally {
    await connection.close();
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
