import type { Express } from 'express';
import { sql } from 'kysely';
import type { AppDeps } from '../app-deps';
import { ApiError } from '../errors';
import { registerDocsAssets } from './docs.routes';
import { guard } from './route-support';

/** How long a readiness probe waits for each dependency. */
export const READY_TIMEOUT_MS = 2_000;

/**
 * The operational endpoints: liveness (/healthz, no auth), readiness (/readyz, no auth: Temporal and
 * the database each answer within 2 s), Prometheus metrics (/metrics, `read` scope: they include lead
 * counts per stage), and the static assets of the /docs page.
 */
export function registerHealthRoutes(app: Express, deps: AppDeps): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const [temporal, database] = await Promise.all([
      probe(() => deps.client.withDeadline(Date.now() + READY_TIMEOUT_MS, () => deps.client.connection.workflowService.getSystemInfo({}))),
      probe(() => sql`select 1`.execute(deps.db)),
    ]);
    if (temporal === 'ok' && database === 'ok') {
      res.json({ status: 'ready', checks: { temporal, database } });
      return;
    }
    const failed = [temporal !== 'ok' ? 'Temporal' : undefined, database !== 'ok' ? 'the database' : undefined].filter(Boolean);
    throw new ApiError(503, 'not_ready', `Not ready: ${failed.join(' and ')} did not answer`, { checks: { temporal, database } });
  });

  app.get('/metrics', ...guard(app, deps, 'read'), async (_req, res) => {
    const body = await deps.metrics.registry.metrics();
    res.setHeader('Content-Type', deps.metrics.registry.contentType);
    res.send(body);
  });

  registerDocsAssets(app);
}

type ProbeResult = 'ok' | 'timeout' | 'failed';

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
