import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { Express } from 'express';
import pino from 'pino';
import { databaseEventSink } from '../../activities';
import { createApp } from '../../api/app';
import type { AppDeps } from '../../api/app-deps';
import type { ApiKey } from '../../api/auth';
import { createApiMetrics } from '../../api/metrics';
import type { Db } from '../../db/connection';
import type { KeyStore } from '../../encryption';
import { builtInPolicy } from '../../config/policy-file';
import type { LeadPolicy } from '../../domain/lead-policy';
import { LEAD_TASK_QUEUE } from '../../workflows/lead.messages';
import { createTestDatabase, type TestDatabase } from './database';
import { databaseKeyStore, TEST_LEAD_ID_SECRET } from './encryption';
import { createDevServerEnv, createTestWorker, keysOf, Recorder } from './temporal-env';

/**
 * One key per scope, plus one with every scope and one with none of the needed ones; and keys bound to
 * a rep of the built-in policy (`repAda`, `repGrace`), which decide only on their rep's leads.
 */
export const testKeys = {
  intake: { id: 'marketing', secret: 'intake-secret-0123456789abcdef', scopes: ['intake'] },
  sales: { id: 'crm', secret: 'sales-secret-0123456789abcdef', scopes: ['sales'] },
  read: { id: 'dashboard', secret: 'read-secret-0123456789abcdef', scopes: ['read'] },
  manager: { id: 'sales-manager', secret: 'manager-secret-0123456789abcdef', scopes: ['manager'] },
  admin: { id: 'ops', secret: 'admin-secret-0123456789abcdef', scopes: ['admin'] },
  repAda: { id: 'crm-ada', secret: 'rep-ada-secret-0123456789abcdef', scopes: ['sales'], rep: 'rep-ada' },
  repGrace: { id: 'crm-grace', secret: 'rep-grace-secret-0123456789abcdef', scopes: ['sales'], rep: 'rep-grace' },
} satisfies Record<string, ApiKey>;

export const WEBHOOK_SECRET = 'webhook-secret-0123456789abcdef';

export const bearer = (key: ApiKey): Record<string, string> => ({ Authorization: `Bearer ${key.secret}` });

export interface TestAppOptions {
  /** A client with Leadflow's data converter over `dataKeys` (the test env's client: `keysOf(env)`). */
  client: Client;
  db: Db;
  dataKeys: KeyStore;
  taskQueue?: string;
  rateLimitPerMinute?: number;
  decisionTimeoutMs?: number;
  keys?: ApiKey[];
  /** The policy new leads start with (default: the built-in one, versioned by content like in production). */
  policy?: LeadPolicy;
  /** What GET /v1/policy names as its source (default `built-in`). */
  policySource?: string;
  /** A webhook endpoint failing this long is disabled (default: the production 24 h). */
  webhookDisableAfterMs?: number;
}

/** The real AppDeps, over the test's Temporal client and database, with silent logs. */
export function testAppDeps(options: TestAppOptions): AppDeps {
  return {
    client: options.client,
    db: options.db,
    keys: options.dataKeys,
    leadIdSecret: TEST_LEAD_ID_SECRET,
    policy: options.policy ?? builtInPolicy(),
    policySource: options.policySource ?? (options.policy ? 'test' : 'built-in'),
    taskQueue: options.taskQueue ?? LEAD_TASK_QUEUE,
    auth: {
      keys: options.keys ?? Object.values(testKeys),
      webhookSecret: WEBHOOK_SECRET,
      rateLimitPerMinute: options.rateLimitPerMinute ?? 100_000,
    },
    logger: pino({ level: 'silent' }),
    metrics: createApiMetrics(options.db),
    decisionTimeoutMs: options.decisionTimeoutMs ?? 20_000,
    temporalUiUrl: 'http://localhost:8233',
    ...(options.webhookDisableAfterMs !== undefined ? { webhookDisableAfterMs: options.webhookDisableAfterMs } : {}),
  };
}

export function createTestApp(options: TestAppOptions): Express {
  return createApp(testAppDeps(options));
}

export interface ApiTestbed {
  env: TestWorkflowEnvironment;
  pg: TestDatabase;
  db: Db;
  /** The data keys of the API, the worker and the sealed event fields. */
  keys: KeyStore;
  app: Express;
  worker: Worker;
  /** Stops the worker, the dev server and drops the database. */
  close(): Promise<void>;
}

/**
 * The whole system for HTTP tests: a Temporal dev server, a throwaway PostgreSQL database, a real worker
 * projecting into it on the `leads` task queue, and the app over them. `policy` is the app's policy: it
 * travels to each lead in its workflow input, so it is the policy the lead decides with.
 */
export async function startApiTestbed(options: Pick<TestAppOptions, 'policy' | 'policySource' | 'webhookDisableAfterMs'> = {}): Promise<ApiTestbed> {
  // The data keys live in the suite's database, as in production: the API, the worker and the sealed
  // event fields all use them.
  const pg = await createTestDatabase('postgres');
  const { keys, sealer } = databaseKeyStore(pg.db);
  let env: TestWorkflowEnvironment | undefined;
  let worker: Worker;
  try {
    env = await createDevServerEnv(keys);
    ({ worker } = await createTestWorker(env, new Recorder(), LEAD_TASK_QUEUE, databaseEventSink(pg.db, sealer), undefined, {
      erasure: { db: pg.db, keys, client: env.client },
      webhooks: { db: pg.db, keys, idlePollMs: 100 },
    }));
  } catch (err) {
    // The suite never gets the testbed to close: stop what was started, or its server outlives the run.
    await env?.teardown();
    await pg.drop().catch(() => undefined);
    throw err;
  }
  const running = worker.run();
  const app = createTestApp({ client: env.client, db: pg.db, dataKeys: keysOf(env), ...options });
  return {
    env,
    pg,
    db: pg.db,
    keys,
    app,
    worker,
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      try {
        await pg.drop();
      } finally {
        await env.teardown(); // even when the database could not be dropped
      }
    },
  };
}

/** A profile that makes a demo request an MQL at once (good fit, handoff data complete). */
export function mqlForm(email: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    email,
    firstName: 'Ada',
    lastName: 'Lovelace',
    phone: '+44 20 7946 0000',
    company: 'Analytical Engines Ltd',
    country: 'GB',
    productInterest: 'lead routing',
    seniority: 'vp',
    employeeCount: 1200,
    industry: 'software',
    formType: 'demo_request',
    source: { channel: 'web', campaign: 'api-tests' },
    ...extra,
  };
}

/** Polls until `check` passes (the projection is written before Updates answer; signals are async). */
export async function eventually<T>(fn: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
