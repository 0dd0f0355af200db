import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config/leadflow.config';
import { createDatabase, describeDatabase } from '../db/connection';
import { migrateToLatest } from '../db/migrate';
import { createKeyStore } from '../encryption';
import { createLeadWorker } from './lead-worker';
import { installWorkerTelemetry } from './telemetry';

/** `npm run worker`: the lead worker alone (production: several of these, one API tier). */
async function main(): Promise<void> {
  const config = loadConfig();
  // Before any connection: the Runtime (and its metrics exporter) is installed once per process.
  const metrics = installWorkerTelemetry(config);
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
        metrics: metrics ?? 'off (set LEADFLOW_WORKER_METRICS_ADDRESS)',
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
