import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config/leadflow.config';
import { createDatabase, describeDatabase } from '../db/connection';
import { migrateToLatest } from '../db/migrate';
import { createKeyStore } from '../encryption';
import { createLeadWorker } from './lead-worker';

/** `npm run worker`: the lead worker alone (production: several of these, one API tier). */
async function main(): Promise<void> {
  const config = loadConfig();
  const db = createDatabase(config.database);
  await migrateToLatest(db);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  try {
    const worker = await createLeadWorker(config, db, connection, createKeyStore(db, config.privacy.masterKeys));
    console.log(
      JSON.stringify({
        msg: 'leadflow worker started',
        temporal: config.temporal.address,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        database: describeDatabase(config.database),
      }),
    );
    // The SDK's Runtime shuts the worker down gracefully on SIGINT/SIGTERM: it stops polling, lets
    // running activities and workflow tasks finish, then run() resolves.
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
