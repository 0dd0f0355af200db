import client from 'prom-client';
import { createDatabase, type Db } from '../../db/connection';
import { appendLeadEvents } from '../../db/lead-events.repository';
import { createApiMetrics, type ApiMetrics } from '../../api/metrics';
import { assign, journeys, LeadDriver } from '../support/lead-histories';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { databaseKeyStore } from '../support/encryption';

/*
 * The API's Prometheus registry against a real PostgreSQL: lead gauges are read from the `leads` read
 * model and the event log at each scrape, and a scrape while the database is unreachable keeps the last
 * values instead of failing.
 */

/** `name{labels} value` lines of the exposition text, keyed by `name{labels}`. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const scrape = async (metrics: ApiMetrics) => samples(await metrics.registry.metrics());

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

describe('API metrics on PostgreSQL', () => {
  let tdb: TestDatabase;
  let db: Db;
  const runId = 'run-1';

  async function store(lead: LeadDriver): Promise<void> {
    for (const events of lead.batches) await appendLeadEvents(db, databaseKeyStore(db).sealer, { leadId: lead.leadId, events, workflowRunId: runId });
  }

  beforeAll(async () => {
    tdb = await createTestDatabase('postgres');
    db = tdb.db;

    // Leads dated 2025: any SLA they still have is long overdue.
    // Reminder, breach (owner freed, no SLA until reassigned), reassigned: 1 breach, MQL with a new SLA.
    const overdueMql = new LeadDriver('overdue-mql').assigned('rep-ada').fireTimer().fireTimer().run(assign('rep-grace'));
    const overdueSal = new LeadDriver('overdue-sal').sal('rep-ada');
    const expired = journeys.salSlaExpired!(new LeadDriver('sal-expired')); // 2 breaches, recycled
    const won = journeys.slaBreachReassigned!(new LeadDriver('won-after-breach')); // 1 breach, won
    const inquiry = new LeadDriver('inquiry').run({ type: 'FillForm', formType: 'newsletter', profile: { email: 'x@y.example' } });
    // Leads starting now: their SLAs are due in the future.
    const freshMql = new LeadDriver('fresh-mql');
    freshMql.now = inAnHour();
    freshMql.assigned('rep-grace');
    const freshSal = new LeadDriver('fresh-sal');
    freshSal.now = inAnHour();
    freshSal.sal('rep-grace');

    for (const lead of [overdueMql, overdueSal, expired, won, inquiry, freshMql, freshSal]) await store(lead);
  }, 60_000);

  afterAll(async () => {
    await tdb?.drop();
  });

  it('reports leads by stage (zero for empty stages), SLA breaches and overdue MQL/SAL leads', async () => {
    const metrics = createApiMetrics(db);
    const s = await scrape(metrics);

    expect(s.get('leadflow_leads{stage="inquiry"}')).toBe(1);
    expect(s.get('leadflow_leads{stage="mql"}')).toBe(2);
    expect(s.get('leadflow_leads{stage="sal"}')).toBe(2);
    expect(s.get('leadflow_leads{stage="sql"}')).toBe(0);
    expect(s.get('leadflow_leads{stage="won"}')).toBe(1);
    expect(s.get('leadflow_leads{stage="disqualified"}')).toBe(0);
    expect(s.get('leadflow_leads{stage="recycled"}')).toBe(1);
    expect(s.get('leadflow_sla_breaches_total')).toBe(4);
    expect(s.get('leadflow_leads_sla_overdue')).toBe(2);
    expect(s.get('leadflow_metrics_db_errors_total')).toBe(0);
  });

  it('agrees with SQL over the same tables', async () => {
    const byStage = await db
      .selectFrom('leads')
      .select((eb) => ['stage', eb.fn.countAll().as('n')])
      .groupBy('stage')
      .execute();
    const s = await scrape(createApiMetrics(db));
    for (const { stage, n } of byStage) expect(s.get(`leadflow_leads{stage="${stage}"}`)).toBe(Number(n));
  });

  it('reads the database again at every scrape', async () => {
    const metrics = createApiMetrics(db);
    expect((await scrape(metrics)).get('leadflow_sla_breaches_total')).toBe(4);

    // A new lead breaches its MQL SLA: waiting for an owner, it has no SLA running.
    const late = new LeadDriver('late').assigned('rep-linus').fireTimer().fireTimer();
    await store(late);
    let s = await scrape(metrics);
    expect(s.get('leadflow_sla_breaches_total')).toBe(5);
    expect(s.get('leadflow_leads{stage="mql"}')).toBe(3);
    expect(s.get('leadflow_leads_sla_overdue')).toBe(2);

    // Reassigned, with an SLA due back in 2025.
    late.run(assign('rep-ada'));
    await store(late);
    s = await scrape(metrics);
    expect(s.get('leadflow_leads_sla_overdue')).toBe(3);
  });

  it('counts HTTP requests and their durations by route, next to the default Node metrics', async () => {
    const metrics = createApiMetrics(db);
    metrics.observeRequest('POST', '/v1/leads', 202, 0.03);
    metrics.observeRequest('POST', '/v1/leads', 202, 0.2);
    metrics.observeRequest('GET', '/v1/leads/:leadId', 404, 0.004);

    const text = await metrics.registry.metrics();
    const s = samples(text);
    expect(s.get('leadflow_http_requests_total{method="POST",route="/v1/leads",status="202"}')).toBe(2);
    expect(s.get('leadflow_http_requests_total{method="GET",route="/v1/leads/:leadId",status="404"}')).toBe(1);
    expect(s.get('leadflow_http_request_duration_seconds_count{method="POST",route="/v1/leads"}')).toBe(2);
    expect(s.get('leadflow_http_request_duration_seconds_sum{method="POST",route="/v1/leads"}')).toBeCloseTo(0.23);
    expect(s.get('leadflow_http_request_duration_seconds_bucket{le="0.05",method="POST",route="/v1/leads"}')).toBe(1);
    expect(text).toContain('# TYPE leadflow_leads gauge');
    expect(text).toContain('# TYPE leadflow_sla_breaches_total gauge');
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes /m);
  });

  it('keeps its own registry, away from the global one', async () => {
    const a = createApiMetrics(db);
    const b = createApiMetrics(db);
    a.observeRequest('GET', '/health', 200, 0.001);
    expect((await scrape(b)).get('leadflow_http_requests_total{method="GET",route="/health",status="200"}')).toBeUndefined();
    expect(await client.register.metrics()).not.toContain('leadflow_');
  });

  it('keeps the previous lead values when the database fails during a scrape', async () => {
    const own = createDatabase({ databaseUrl: tdb.url, dataDir: '' });
    const metrics = createApiMetrics(own);
    const before = await scrape(metrics);
    expect(before.get('leadflow_leads{stage="mql"}')).toBe(3);

    await own.destroy(); // every later query fails
    const after = await scrape(metrics);
    for (const name of [
      'leadflow_leads{stage="mql"}',
      'leadflow_leads{stage="won"}',
      'leadflow_sla_breaches_total',
      'leadflow_leads_sla_overdue',
    ]) {
      expect(after.get(name)).toBe(before.get(name));
    }
    expect(after.get('leadflow_metrics_db_errors_total')).toBe(1);
  });

  it('still answers a scrape when the database was never reachable', async () => {
    const unreachable = createDatabase({ databaseUrl: 'postgres://postgres@127.0.0.1:1/leadflow', dataDir: '' });
    try {
      const metrics = createApiMetrics(unreachable);
      metrics.observeRequest('GET', '/health', 200, 0.001);
      const s = await scrape(metrics);
      expect(s.get('leadflow_http_requests_total{method="GET",route="/health",status="200"}')).toBe(1);
      expect(s.get('leadflow_leads{stage="mql"}')).toBeUndefined();
      expect(s.get('leadflow_metrics_db_errors_total')).toBe(1);
    } finally {
      await unreachable.destroy();
    }
  });
});
