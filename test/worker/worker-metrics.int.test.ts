import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { defaultLeadPolicyInput, parseLeadPolicy, type LeadPolicy } from '../../domain/lead-policy';
import type { LeadState } from '../../domain/lead-state';
import { engagementSignal, leadStateQuery, type FillFormInput } from '../../workflows/lead.messages';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { databaseKeyStore, submitTestForm, TEST_LEAD_ID_SECRET, TEST_MASTER_KEY_SPEC } from '../support/encryption';
import { createDevServerEnv } from '../support/temporal-env';

/*
 * The worker's Prometheus metrics, from the real entry point (worker/main.ts) in a process of its own, so
 * Runtime.install runs there as in production and not in jest's process. Against the real dev server and
 * PostgreSQL, two leads go through a whole MQL SLA path on short policy windows: reminder, breach,
 * reassignment, reminder, breach, recycled (sla_expired) with its cool-off. Then a fresh worker process
 * replays both leads' whole histories to handle a new signal: it must count none of their timers again.
 */

const root = path.resolve(__dirname, '../..');
const LEADS = 2;
/** Generous bounds: they only cap a hang; nothing here measures speed. Each test's own timeout covers its waits. */
const START_TIMEOUT_MS = 120_000;
const JOURNEY_TIMEOUT_MS = 240_000;
const SCRAPE_TIMEOUT_MS = 30_000;

/** The built-in policy with an MQL window of 18 s (a reminder at half of it): the path takes about a minute. */
const policyInput = {
  ...defaultLeadPolicyInput,
  version: 'worker-metrics-test',
  sla: { ...defaultLeadPolicyInput.sla, mql: { windowHours: 0.005, reminders: [0.5], reassignmentsBeforeHandBack: 1 } },
};
const policy: LeadPolicy = parseLeadPolicy(policyInput);

let dir: string;
let pg: TestDatabase;
let env: TestWorkflowEnvironment;
let metricsAddress: string;
const children: ChildProcess[] = [];

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

/** The sum of a metric's samples whose labels include every `labels` pair. */
function total(all: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [key, value] of all) {
    const brace = key.indexOf('{');
    if ((brace < 0 ? key : key.slice(0, brace)) !== name) continue;
    if (Object.entries(labels).every(([k, v]) => key.includes(`${k}="${v}"`))) sum += value;
  }
  return sum;
}

async function scrape(): Promise<{ text: string; all: Map<string, number> }> {
  const response = await fetch(`http://${metricsAddress}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  return { text, all: samples(text) };
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${last instanceof Error ? last.message : JSON.stringify(last)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** worker/main.ts in its own process group (npx, tsx and node under them stop together). */
function startWorker(): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: 'default',
    DATABASE_URL: pg.url,
    LEADFLOW_MASTER_KEY: TEST_MASTER_KEY_SPEC,
    LEADFLOW_LEAD_ID_SECRET: TEST_LEAD_ID_SECRET,
    LEADFLOW_POLICY_FILE: path.join(dir, 'policy.json'),
    LEADFLOW_WORKER_METRICS_ADDRESS: metricsAddress,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'development',
  };
  delete childEnv.LEADFLOW_NOTIFY_WEBHOOK_URL;
  const child = spawn('npx', ['--no', 'tsx', 'worker/main.ts'], { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Stops the process group of `child`: SIGTERM (the worker drains), then SIGKILL if it lingers. */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 20_000);
  await closed;
  clearTimeout(timer);
  signal('SIGKILL'); // anything left in the group
}

const profile = (email: string) => ({
  email,
  firstName: 'Test',
  lastName: 'Person',
  phone: '+49 30 1234567',
  company: 'Metrics Test GmbH',
  country: 'DE',
  productInterest: 'lead routing',
  seniority: 'vp' as const,
  employeeCount: 600,
  industry: 'software',
});
const demo = (email: string): FillFormInput => ({ formType: 'demo_request', profile: profile(email), source: { channel: 'web' } });

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'leadflow-worker-metrics-'));
  writeFileSync(path.join(dir, 'policy.json'), JSON.stringify(policyInput));
  pg = await createTestDatabase('postgres');
  env = await createDevServerEnv(databaseKeyStore(pg.db).keys);
  metricsAddress = `127.0.0.1:${await freePort()}`;
}, START_TIMEOUT_MS);

afterAll(async () => {
  for (const child of children) await stopGroup(child);
  await env?.teardown();
  await pg?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('worker metrics (LEADFLOW_WORKER_METRICS_ADDRESS)', () => {
  let worker: ReturnType<typeof startWorker>;
  const emails = Array.from({ length: LEADS }, (_, i) => `metrics-${i}@sla-timers.example`);
  const leadIds: string[] = [];

  async function startedWorker(): Promise<ReturnType<typeof startWorker>> {
    const started = startWorker();
    await waitFor('the worker to start', START_TIMEOUT_MS, async () => {
      if (started.child.exitCode !== null) throw new Error(`worker exited ${started.child.exitCode}:\n${started.output()}`);
      return started.output().includes('leadflow worker started') ? true : undefined;
    });
    return started;
  }

  it('serves the SDK metrics on their own port as soon as the worker starts', async () => {
    worker = await startedWorker();
    expect(worker.output()).toContain(`http://${metricsAddress}/metrics`);
    const { all } = await waitFor('the pollers to show', SCRAPE_TIMEOUT_MS, async () => {
      const s = await scrape();
      return total(s.all, 'temporal_num_pollers') > 0 ? s : undefined;
    });
    expect(total(all, 'temporal_worker_task_slots_available', { worker_type: 'WorkflowWorker' })).toBeGreaterThan(0);
  }, START_TIMEOUT_MS + SCRAPE_TIMEOUT_MS + 30_000);

  it('counts each lead timer once as it is armed and once as it fires', async () => {
    for (const email of emails) {
      const answer = await submitTestForm(env.client, demo(email), policy);
      expect(answer.stage).toBe('mql');
      leadIds.push(answer.leadId);
    }
    // The whole MQL path: reminder, breach → the next rep, reminder, breach → recycled with sla_expired.
    await waitFor('both leads to be recycled after two breaches', JOURNEY_TIMEOUT_MS, async () => {
      const states = await Promise.all(leadIds.map((id) => env.client.workflow.getHandle(id).query<LeadState>(leadStateQuery)));
      return states.every((s) => s.stage === 'recycled') ? states : undefined;
    });
    // The cool-off is the last timer armed (it happens in the workflow task that recycled the lead).
    const { text, all } = await waitFor('the cool-off timers to be counted', SCRAPE_TIMEOUT_MS, async () => {
      const s = await scrape();
      return total(s.all, 'leadflow_sla_timers_armed_total', { kind: 'cool_off' }) >= LEADS ? s : undefined;
    });

    const armed = (kind: string, stage: string) => total(all, 'leadflow_sla_timers_armed_total', { kind, stage });
    const fired = (kind: string, stage: string) => total(all, 'leadflow_sla_timers_fired_total', { kind, stage });
    // Per lead: two windows (the first owner's, then the next rep's), each reminded once and breached once.
    expect(armed('reminder', 'mql')).toBe(2 * LEADS);
    expect(fired('reminder', 'mql')).toBe(2 * LEADS);
    expect(armed('breach', 'mql')).toBe(2 * LEADS);
    expect(fired('breach', 'mql')).toBe(2 * LEADS);
    // The 30-day cool-off is armed, and has not fired.
    expect(armed('cool_off', 'recycled')).toBe(LEADS);
    expect(total(all, 'leadflow_sla_timers_fired_total', { kind: 'cool_off' })).toBe(0);
    // Nothing else: every armed and fired sample is one of the above.
    expect(total(all, 'leadflow_sla_timers_armed_total')).toBe(5 * LEADS);
    expect(total(all, 'leadflow_sla_timers_fired_total')).toBe(4 * LEADS);
    // How late each fired timer was acted on: one observation per fired timer.
    expect(total(all, 'leadflow_sla_timer_fire_delay_ms_count', { kind: 'breach' })).toBe(2 * LEADS);
    expect(total(all, 'leadflow_sla_timer_fire_delay_ms_count')).toBe(4 * LEADS);


    // The SDK's own worker metrics: task latencies, slots, cache, sticky hits.
    for (const name of [
      'temporal_workflow_task_schedule_to_start_latency_count',
      'temporal_workflow_task_execution_latency_count',
      'temporal_workflow_task_replay_latency_count',
      'temporal_activity_schedule_to_start_latency_count',
      'temporal_activity_execution_latency_count',
      'temporal_sticky_cache_hit',
      'temporal_sticky_cache_size',
      'temporal_worker_task_slots_available',
      'temporal_worker_task_slots_used',
      'temporal_num_pollers',
      'temporal_request',
    ]) {
      expect([name, [...all.keys()].some((k) => k === name || k.startsWith(`${name}{`))]).toEqual([name, true]);
    }

    // Labels carry no lead id and nothing about the person.
    for (const leadId of leadIds) expect(text).not.toContain(leadId);
    for (const secret of ['sla-timers.example', 'metrics-0', 'Metrics Test', 'rep-ada', 'rep-grace', 'rep-linus']) {
      expect(text).not.toContain(secret);
    }
    const labelNames = new Set([...text.matchAll(/[{,]([a-z_]+)="/g)].map((m) => m[1]));
    expect([...labelNames].filter((l) => /lead|email|owner|rep|person/.test(l!))).toEqual([]);
  }, JOURNEY_TIMEOUT_MS + SCRAPE_TIMEOUT_MS + 60_000);

  it('refuses to start a second worker on a port already in use, naming the variable', async () => {
    const second = startWorker();
    const code = await second.exited;
    expect(code).not.toBe(0);
    expect(second.output()).toMatch(/LEADFLOW_WORKER_METRICS_ADDRESS: cannot serve worker metrics on 127\.0\.0\.1:\d+: .*in use/i);
    // The first worker still serves.
    expect(total((await scrape()).all, 'temporal_num_pollers')).toBeGreaterThan(0);
  }, START_TIMEOUT_MS);

  it('does not count the timers of a replayed lead again (a fresh worker process replays whole histories)', async () => {
    await stopGroup(worker.child);
    worker = await startedWorker();
    // The new process's counters start empty, and so does its workflow cache: to handle a new signal it
    // must replay each lead's whole history (two windows, four timers fired, the cool-off armed) first.
    const before = await Promise.all(leadIds.map((id) => env.client.workflow.getHandle(id).query<LeadState>(leadStateQuery)));
    for (const id of leadIds) {
      await env.client.workflow.getHandle(id).signal(engagementSignal, { engagements: [{ type: 'page_view', occurredAt: new Date().toISOString() }] });
    }
    await waitFor('the signals to be recorded', JOURNEY_TIMEOUT_MS, async () => {
      const states = await Promise.all(leadIds.map((id) => env.client.workflow.getHandle(id).query<LeadState>(leadStateQuery)));
      return states.every((s, i) => s.seq > before[i]!.seq && s.stage === 'recycled') ? states : undefined;
    });
    const { all } = await waitFor('the new tasks to show', SCRAPE_TIMEOUT_MS, async () => {
      const s = await scrape();
      return total(s.all, 'temporal_workflow_task_execution_latency_count') >= LEADS ? s : undefined;
    });
    // The replayed leads re-ran every arm and fire in their code: none counted. The signal armed no new
    // timer (the cool-off stands), so nothing at all.
    expect(total(all, 'leadflow_sla_timers_armed_total')).toBe(0);
    expect(total(all, 'leadflow_sla_timers_fired_total')).toBe(0);
    expect(total(all, 'leadflow_sla_timer_fire_delay_ms_count')).toBe(0);
  }, 20_000 + START_TIMEOUT_MS + JOURNEY_TIMEOUT_MS + SCRAPE_TIMEOUT_MS + 30_000);
});
