import { existsSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, databaseEventSink } from '../activities';
import { DEFAULT_MAX_CACHED_WORKFLOWS, type LeadflowConfig } from '../config/leadflow.config';
import type { Db } from '../db/connection';
import { savePolicyVersion } from '../db/policy-versions.repository';
import { databaseRoutingStore } from '../db/routing.repository';
import { ensureConfiguredEndpoint, listEndpoints } from '../db/webhook-endpoints.repository';
import { ensureDispatcher } from '../client/webhook-dispatcher';
import { keyStoreSealer, leadflowDataConverter, type KeyStore } from '../encryption';
import { installWorkflowThreadGuard } from './workflow-thread-guard';

/**
 * How long the worker's codec waits for a data key the database cannot give right now. The SDK encodes a
 * failed task's failure with the codec, and an encoding that throws fails the whole worker: found by
 * `npm run chaos`, where a 30 s database outage ended both workers. Waiting holds only that task.
 */
export const WORKER_KEY_WAIT_MS = 5 * 60_000;

/** Prebuilt by `npm run build` (scripts/build-workflow-bundle.ts) for production start-up. */
export const WORKFLOW_BUNDLE_PATH = path.resolve(__dirname, '../workflow-bundle.js');

/**
 * The lead worker: task queue `leads` (the lead workflow and the erasure workflow), the real activities
 * writing to `db`, every payload encrypted with its lead's key from `keys`. `dataConverter` is there for
 * the bench alone (bench/plaintext-worker.ts measures what encryption costs); nothing in the
 * configuration reaches it.
 */
export async function createLeadWorker(
  config: LeadflowConfig,
  db: Db,
  connection: NativeConnection,
  keys: KeyStore,
  dataConverter: DataConverter = leadflowDataConverter(keys, { keyWaitMs: WORKER_KEY_WAIT_MS }),
): Promise<Worker> {
  // Leads take this policy at their next cycle: keep it, so their scores stay explainable.
  await savePolicyVersion(db, config.policy);
  // Loaded while the database answers: when a workflow task fails (its lead's key could not be read
  // because the database is away, say), the SDK reports the failure encrypted with the system key, and
  // the key store keeps serving a key it holds while the database is away (see WORKER_KEY_WAIT_MS).
  await keys.systemKey();
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter });
  const bundleSource = config.production
    ? { workflowBundle: { codePath: requireBundle() } }
    : { workflowsPath: require.resolve('../workflows') };
  // Without it, a workflow task running past the SDK's 5 s deadlock timeout can end this whole process
  // (Node: "async hook stack has become corrupted"); with it the task fails and is retried, the worker
  // lives on. Why and how: workflow-thread-guard.ts.
  installWorkflowThreadGuard();
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...bundleSource,
    // The SDK's default (~2,300 on this machine's memory) held ~4.5 GB at 5,500 open leads.
    maxCachedWorkflows: config.worker?.maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS,
    dataConverter,
    activities: createActivities({
      notify: config.notify,
      eventSink: databaseEventSink(db, keyStoreSealer(keys)),
      routingStore: databaseRoutingStore(db),
      policy: config.policy,
      webhooks: { db, keys },
      erasure: {
        db,
        keys,
        client,
      },
    }),
  });
  await startWebhookDispatchers(config, db, keys, client);
  return worker;
}

/**
 * The endpoint of LEADFLOW_NOTIFY_WEBHOOK_URL (`we_config`, every event type) is created or updated from
 * the configuration, and every enabled endpoint's dispatcher is started (or woken): one started while
 * Temporal was away, or that ended, picks up from its own start cursor.
 */
async function startWebhookDispatchers(config: LeadflowConfig, db: Db, keys: KeyStore, client: Client): Promise<void> {
  await ensureConfiguredEndpoint(db, keys, { url: config.notify.webhookUrl, secret: config.notify.webhookSecret });
  for (const endpoint of await listEndpoints(db, { enabled: true })) {
    await ensureDispatcher({ client, db, taskQueue: config.temporal.taskQueue, endpointId: endpoint.id, disableAfterMs: config.webhooks.disableAfterMs });
  }
}

function requireBundle(): string {
  if (!existsSync(WORKFLOW_BUNDLE_PATH)) {
    throw new Error(`NODE_ENV=production needs the prebuilt workflow bundle at ${WORKFLOW_BUNDLE_PATH}: run npm run build`);
  }
  return WORKFLOW_BUNDLE_PATH;
}
