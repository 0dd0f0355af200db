import { sql } from 'kysely';
import client from 'prom-client';
import type { Db } from '../db/connection';
import { leadStages } from '../domain/lead-events';

export interface ApiMetrics {
  registry: client.Registry;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
}

/** How long a scrape waits for the database before answering with the previous lead gauges. */
const dbScrapeTimeoutMs = 3_000;

/**
 * The API's Prometheus metrics, in a registry of their own (tests and several apps in one process do not
 * collide): HTTP traffic, Node's default metrics, and lead gauges read from the `leads` read model and the
 * event log at scrape time. A scrape while the database is down keeps the previous lead values.
 */
export function createApiMetrics(db: Db): ApiMetrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });

  const requests = new client.Counter({
    name: 'leadflow_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'leadflow_http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const dbErrors = new client.Counter({
    name: 'leadflow_metrics_db_errors_total',
    help: 'Scrapes whose database queries failed or timed out (the lead gauges then kept their previous values)',
    registers: [registry],
    async collect() {
      await refresh(); // so this scrape's failure is counted in this scrape
    },
  });

  let latest: LeadCounts | undefined;
  let inFlight: Promise<void> | undefined;
  /** One set of queries per scrape, shared by the gauges collected concurrently. */
  const refresh = (): Promise<void> =>
    (inFlight ??= withTimeout(queryLeadCounts(db), dbScrapeTimeoutMs)
      .then(
        (counts) => {
          latest = counts;
        },
        () => {
          dbErrors.inc();
        },
      )
      .finally(() => {
        inFlight = undefined;
      }));

  new client.Gauge({
    name: 'leadflow_leads',
    help: 'Leads in each stage (read model)',
    labelNames: ['stage'] as const,
    registers: [registry],
    async collect() {
      await refresh();
      if (!latest) return;
      this.reset();
      for (const stage of leadStages) this.set({ stage }, 0);
      for (const [stage, n] of latest.byStage) this.set({ stage }, n);
    },
  });
  new client.Gauge({
    name: 'leadflow_sla_breaches_total',
    help: 'SLA breaches recorded so far (SlaBreached events)',
    registers: [registry],
    async collect() {
      await refresh();
      if (latest) this.set(latest.slaBreaches);
    },
  });
  new client.Gauge({
    name: 'leadflow_webhook_endpoints',
    help: 'Webhook endpoints, enabled or disabled (a disabled one stopped after failing deliveries, or by an operator)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      await refresh();
      if (!latest) return;
      this.set({ state: 'enabled' }, latest.endpoints.enabled);
      this.set({ state: 'disabled' }, latest.endpoints.disabled);
    },
  });
  new client.Gauge({
    name: 'leadflow_webhook_deliveries_failed_total',
    help: 'Webhook delivery attempts that failed (each retry counts), over the delivery log',
    registers: [registry],
    async collect() {
      await refresh();
      if (latest) this.set(latest.failedDeliveries);
    },
  });
  new client.Gauge({
    name: 'leadflow_leads_sla_overdue',
    help: 'Open MQL and SAL leads whose SLA is past due',
    registers: [registry],
    async collect() {
      await refresh();
      if (latest) this.set(latest.slaOverdue);
    },
  });

  return {
    registry,
    observeRequest(method, route, status, seconds) {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, seconds);
    },
  };
}

interface LeadCounts {
  byStage: Map<string, number>;
  slaBreaches: number;
  slaOverdue: number;
  endpoints: { enabled: number; disabled: number };
  failedDeliveries: number;
}

async function queryLeadCounts(db: Db): Promise<LeadCounts> {
  const [stages, breaches, overdue, endpoints, failed] = await Promise.all([
    db
      .selectFrom('leads')
      .select((eb) => ['stage', eb.fn.countAll().as('n')])
      // An erased lead keeps its stage for the reports, but nobody works it: not a live lead.
      .where('erasedAt', 'is', null)
      .groupBy('stage')
      .execute(),
    db
      .selectFrom('leadEvents')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('type', '=', 'SlaBreached')
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('leads')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('stage', 'in', ['mql', 'sal'])
      .where('slaDueAt', '<', sql<Date>`now()`)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('webhookEndpoints')
      .select((eb) => ['enabled', eb.fn.countAll().as('n')])
      .groupBy('enabled')
      .execute(),
    db
      .selectFrom('webhookDeliveries')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('delivered', '=', false)
      .executeTakeFirstOrThrow(),
  ]);
  return {
    byStage: new Map(stages.map((r) => [r.stage, Number(r.n)])),
    slaBreaches: Number(breaches.n),
    slaOverdue: Number(overdue.n),
    endpoints: {
      enabled: Number(endpoints.find((r) => r.enabled)?.n ?? 0),
      disabled: Number(endpoints.find((r) => !r.enabled)?.n ?? 0),
    },
    failedDeliveries: Number(failed.n),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
