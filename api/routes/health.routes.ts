import { optionalTsToMs } from '@temporalio/common/lib/time';
import type { Express } from 'express';
import { sql } from 'kysely';
import type { AppDeps } from '../app-deps';
import { ApiError } from '../errors';
import { registerDocsAssets } from './docs.routes';
import { guard } from './route-support';

/** How long a readiness probe waits for each dependency. */
export const READY_TIMEOUT_MS = 2_000;
/**
 * A worker long-polls its task queue without pause (each poll lasts up to a minute): one whose last
 * poll is older than this is gone.
 */
export const WORKER_SEEN_WITHIN_MS = 90_000;

/**
 * The operational endpoints: liveness (/healthz, no auth), readiness (/readyz, no auth: Temporal and
 * the database each answer within 2 s, and a worker polls the lead task queue), Prometheus metrics
 * (/metrics, `read` scope: they include lead counts per stage), and the static assets of the /docs page.
 */
export function registerHealthRoutes(app: Express, deps: AppDeps): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const [temporal, database, worker] = await Promise.all([
      probe(() => deps.client.withDeadline(Date.now() + READY_TIMEOUT_MS, () => deps.client.connection.workflowService.getSystemInfo({}))),
      probe(() => sql`select 1`.execute(deps.db)),
      probeWorker(deps),
    ]);
    const checks = { temporal, database, worker };
    if (temporal === 'ok' && database === 'ok' && worker === 'ok') {
      res.json({ status: 'ready', checks });
      return;
    }
    // Without a worker a form fill would only wait for its 503: a load balancer should send it elsewhere.
    const failed = [
      temporal !== 'ok' ? 'Temporal did not answer' : undefined,
      database !== 'ok' ? 'the database did not answer' : undefined,
      worker === 'none' ? `no worker polls the task queue ${deps.taskQueue}` : undefined,
    ].filter(Boolean);
    throw new ApiError(503, 'not_ready', `Not ready: ${failed.join('; ') || 'a check did not answer'}`, { checks });
  });

  app.get('/metrics', ...guard(app, deps, 'read'), async (_req, res) => {
    const body = await deps.metrics.registry.metrics();
    res.setHeader('Content-Type', deps.metrics.registry.contentType);
    res.send(body);
  });

  registerDocsAssets(app);
}

type ProbeResult = 'ok' | 'timeout' | 'failed';

/** 'ok' when a worker polled the lead task queue lately, 'none' when none did (Temporal's DescribeTaskQueue). */
async function probeWorker(deps: AppDeps): Promise<ProbeResult | 'none'> {
  let seen = false;
  const result = await probe(async () => {
    const queue = await deps.client.withDeadline(Date.now() + READY_TIMEOUT_MS, () =>
      deps.client.workflowService.describeTaskQueue({ namespace: deps.client.options.namespace, taskQueue: { name: deps.taskQueue } }),
    );
    const now = Date.now();
    seen = queue.pollers.some((p) => now - (optionalTsToMs(p.lastAccessTime) ?? 0) < WORKER_SEEN_WITHIN_MS);
  });
  return result === 'ok' && !seen ? 'none' : result;
}

async function probe(check: () => Promise<unknown>): Promise<ProbeResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), READY_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check().then((): ProbeResult => 'ok', (): ProbeResult => 'failed'), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
