import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { FLOOR_TASK_QUEUE } from './workflows/floor.workflows';

/**
 * The worker of the floor workflows (bench only), run by `npm run bench` as its own process, like the
 * lead worker, so both sides of a ratio have the same process layout. TEMPORAL_ADDRESS selects the server.
 */
async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const address = process.env.TEMPORAL_ADDRESS ?? 'localhost:7233';
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows/floor.workflows'),
    logger: new DefaultLogger('WARN'),
  });
  const connection = await NativeConnection.connect({ address });
  try {
    const worker = await Worker.create({ connection, namespace: 'default', taskQueue: FLOOR_TASK_QUEUE, workflowBundle: bundle });
    console.log(JSON.stringify({ msg: 'floor worker started', taskQueue: FLOOR_TASK_QUEUE }));
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
