import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type ActivityDeps, type EventSink, type LeadNotification, type RecordEventsInput } from '../../activities';
import type { LeadPolicy } from '../../domain/lead-policy';
import { FAILURE_CONVERTER_PATH, leadflowDataConverter, type KeyStore } from '../../encryption';
import { installWorkflowThreadGuard } from '../../worker/workflow-thread-guard';
import { LEAD_TASK_QUEUE } from '../../workflows/lead.messages';
import { leadSearchAttributeKeys } from '../../workflows/lead.search-attributes';
import { memoryKeyStore } from './encryption';

const root = path.resolve(__dirname, '../..');

let binaries: { cli: string; testServer: string } | undefined;

/** The real Temporal binaries, provided by the same script CI and `npm start` use. */
export function temporalBinaries(): { cli: string; testServer: string } {
  if (!binaries) {
    const out = execFileSync('bash', [path.join(root, 'scripts/temporal-tools.sh'), '--print'], { encoding: 'utf8' });
    const vars = Object.fromEntries(out.trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
    binaries = { cli: vars.TEMPORAL_CLI!, testServer: vars.TEMPORAL_TEST_SERVER! };
  }
  return binaries;
}

let runtimeInstalled = false;
/** Keep the SDK's own logging to warnings so test output stays readable. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

/**
 * The data keys of an environment: its client encrypts with them, and `createTestWorker` gives them to
 * the worker, so both sides of every payload use the same keys (as the API and the worker do).
 */
const envKeys = new WeakMap<TestWorkflowEnvironment, KeyStore>();
export function keysOf(env: TestWorkflowEnvironment): KeyStore {
  const keys = envKeys.get(env);
  if (!keys) throw new Error('this environment was not made by createTimeSkippingEnv or createDevServerEnv');
  return keys;
}

/** The time-skipping server, its client encrypting with `keys` (default: data keys in memory). */
export async function createTimeSkippingEnv(keys: KeyStore = memoryKeyStore()): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalBinaries().testServer } },
    client: { dataConverter: leadflowDataConverter(keys) },
  });
  envKeys.set(env, keys);
  // The time-skipping server refuses unknown search attributes just like a real namespace does.
  try {
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(
        leadSearchAttributeKeys.map((k) => [k.name, indexedValueType[k.type]!]),
      ),
    });
  } catch (err) {
    await env.teardown(); // the caller never gets it, so nobody else would stop its server
    throw err;
  }
  return env;
}

const indexedValueType: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  DATETIME: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
};

/** The real dev server, its client encrypting with `keys` (default: data keys in memory). */
export async function createDevServerEnv(keys: KeyStore = memoryKeyStore()): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalBinaries().cli },
      searchAttributes: leadSearchAttributeKeys,
      extraArgs: ['--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true'],
    },
    client: { dataConverter: leadflowDataConverter(keys) },
  });
  envKeys.set(env, keys);
  return env;
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: new DefaultLogger('WARN'),
  });
  return bundle;
}

/** What the test worker's activities saw: every recorded event batch and every notification. */
export class Recorder implements EventSink {
  readonly batches: RecordEventsInput[] = [];
  readonly notifications: LeadNotification[] = [];
  async append(input: RecordEventsInput): Promise<void> {
    this.batches.push({ leadId: input.leadId, events: input.events });
  }
  events(leadId?: string) {
    return this.batches.filter((b) => !leadId || b.leadId === leadId).flatMap((b) => b.events);
  }
  readonly fetch: typeof fetch = async (_url, init) => {
    this.notifications.push(JSON.parse(typeof init?.body === 'string' ? init.body : '{}') as LeadNotification);
    return new Response(null, { status: 204 });
  };
}

/**
 * A worker with the real activities. Events go to `eventSink` (the real PostgreSQL projection in the
 * projection suites) or, by default, to the in-memory recorder the workflow suites assert on.
 */
export async function createTestWorker(
  env: TestWorkflowEnvironment,
  recorder = new Recorder(),
  taskQueue = LEAD_TASK_QUEUE,
  eventSink: EventSink = recorder,
  /**
   * The worker's active policy (what a lead takes at its next cycle); none = leads keep theirs. A
   * function is asked each time, for a test that changes the deployed policy while a lead lives.
   */
  activePolicy?: LeadPolicy | (() => LeadPolicy),
  /** Erasure's and webhook delivery's dependencies (suites that erase leads or deliver events). */
  extra: Pick<ActivityDeps, 'erasure' | 'webhooks'> = {},
) {
  const activities = createActivities({
    ...extra,
    eventSink,
    notify: { webhookUrl: 'http://notifications.invalid/hook', webhookSecret: 'test', fetch: recorder.fetch },
    ...(activePolicy && typeof activePolicy !== 'function' ? { policy: activePolicy } : {}),
  });
  if (typeof activePolicy === 'function') activities.activePolicy = () => Promise.resolve(activePolicy());
  // As createLeadWorker does: a task past the 5 s isolate timeout fails the task, not the jest worker.
  installWorkflowThreadGuard();
  // The SDK's default cache: a lead's local activities need its run cached while they run (with no
  // cache, Core 1.24 can evict a run mid-task and livelock it), as in production.
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: await workflowBundle(),
    dataConverter: leadflowDataConverter(keysOf(env)),
    activities,
  });
  return { worker, recorder };
}
