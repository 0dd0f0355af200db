import { existsSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, databaseEventSink } from '../activities';
import { createDatabase, describeDatabase } from '../db/connection';
import { migrateToLatest } from '../db/migrate';
import { loadWorkerConfig } from './config';

/** Prebuilt by `npm run build` (scripts/build-workflow-bundle.ts) for production start-up. */
export const WORKFLOW_BUNDLE_PATH = path.resolve(__dirname, '../workflow-bundle.js');

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const db = createDatabase(config.database);
  await migrateToLatest(db);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  try {
    const bundleSource = config.production
      ? { workflowBundle: { codePath: requireBundle() } }
      : { workflowsPath: require.resolve('../workflows') };
    const worker = await Worker.create({
      connection,
      namespace: config.namespace,
      taskQueue: config.taskQueue,
      ...bundleSource,
      activities: createActivities({ notify: config.notify, eventSink: databaseEventSink(db) }),
    });
    console.log(
      JSON.stringify({
        msg: 'leadflow worker started',
        address: config.temporalAddress,
        namespace: config.namespace,
        taskQueue: config.taskQueue,
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

function requireBundle(): string {
  if (!existsSync(WORKFLOW_BUNDLE_PATH)) {
    throw new Error(`NODE_ENV=production needs the prebuilt workflow bundle at ${WORKFLOW_BUNDLE_PATH}: run npm run build`);
  }
  return WORKFLOW_BUNDLE_PATH;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
