import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Client, type Connection } from '@temporalio/client';
import { sql } from 'kysely';
import { recoverLeadEventsFromTemporal } from '../client/recover-lead-events';
import { createDatabase, type Db } from '../db/connection';
import { restoreLeadEvents, storedEvent } from '../db/lead-events.repository';
import { migrateToLatest } from '../db/migrate';
import { rebuildLeadsFromEvents } from '../db/projection-rebuild';
import type { LeadEvent } from '../domain/lead-events';
import { defaultLeadPolicyInput } from '../domain/lead-policy';
import { domainEventOf, publicEventId, publicEventTypes } from '../domain/public-events';
import type { LeadState } from '../domain/lead-state';
import { createKeyStore, keyStoreSealer, LeadPayloadCodec, leadflowDataConverter, type KeyStore } from '../encryption';
import { generateMasterKeySpec, parseMasterKeys } from '../encryption/master-keys';
import { LEAD_WORKFLOW_TYPE, leadStateQuery } from '../workflows/lead.messages';
import { ApiClient } from './chaos/api-client';
import {
  answerClasses,
  decisionsRecorded,
  formFillsAreLeads,
  noUndocumented5xx,
  seqsContiguous,
  signalsApplied,
  slaDeadlinesFiredOnce,
  slaLeadsToExamine,
  type Check,
} from './chaos/invariants';
import { PgProxy } from './chaos/pg-proxy';
import { ChaosReceiver, type ReceiverMode } from './chaos/receiver';
import { Supervised } from './chaos/supervised';
import { seededRandom, Workload } from './chaos/workload';
import { connectTemporal, databaseUrlFor, devServerArgs, freePort, pgAdmin, repoRoot, sleep, toolPath, withTimeout } from './lib/local-stack';

/*
 * `npm run chaos`: Leadflow in its production shape, hurt on a schedule while a workload runs through its
 * HTTP API, then checked (issue 16).
 *
 * It starts, all its own and on free ports: the Temporal dev server with a persisted SQLite file, a
 * database on the machine's PostgreSQL server reached only through a TCP proxy this script owns, two lead
 * workers and one API as child processes (dist/, built by `npm run build`), a policy with SLA windows of
 * seconds, and a webhook receiver registered as an endpoint. A seeded workload of form fills, engagement,
 * decisions and unsubscribes runs with Idempotency-Keys and client retries, while faults are injected:
 * SIGKILL of a worker every 20-40 s, API restarts, dev server stop/start, PostgreSQL cut for 30 s (the
 * proxy drops and refuses every connection), and a receiver that is slow, fails or drops connections.
 * Then everything is let to settle and the invariants are checked and printed, with a summary line.
 *
 *   npm run chaos                     10 minutes of workload and faults (--minutes N for another length)
 *   npm run chaos -- --quick          3 minutes (what CI runs, with --out test-results/chaos-quick.txt)
 *   npm run chaos -- --seed 7 --keep  another schedule; keep the processes' logs and the request record
 *
 * The output goes to stdout and to a results file (--out FILE; default docs/reliability/chaos-<date>-<profile>.txt).
 * Exit 1 when an invariant fails.
 */

/** The SLA windows of the chaos policy, in seconds: short, so reminders and breaches fall due during the run. */
const MQL_WINDOW_S = 20;
const SAL_WINDOW_S = 30;
const REPS = ['rep-ada', 'rep-grace', 'rep-linus'];
const DATABASE_PREFIX = 'leadflow_chaos_';

interface Options {
  minutes: number;
  profile: string;
  seed: number;
  keep: boolean;
  out?: string;
  actors: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { minutes: 10, profile: '10min', seed: 1, keep: false, actors: 4 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): number => {
      const n = Number(argv[++i]);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${arg} needs a positive number`);
      return n;
    };
    if (arg === '--minutes') {
      options.minutes = value();
      options.profile = `${options.minutes}min`;
    } else if (arg === '--quick') Object.assign(options, { minutes: 3, profile: 'quick' });
    else if (arg === '--seed') options.seed = Math.floor(value());
    else if (arg === '--actors') options.actors = Math.floor(value());
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--out') options.out = argv[++i];
    else throw new Error(`unknown option ${arg} (use --minutes N, --quick, --seed N, --actors N, --keep, --out FILE)`);
  }
  return options;
}

interface FaultRecord {
  at: number;
  kind: string;
  detail: string;
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const output: string[] = [];
  const say = (message: string): void => console.log(`[chaos ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
  const report = (line: string): void => {
    console.log(line);
    output.push(line);
  };
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'leadflow-chaos-'));
  const stops: { name: string; stop: () => Promise<unknown> }[] = [];
  let cleaned: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaned ??= (async () => {
      for (const { name, stop } of stops.reverse()) {
        await withTimeout(stop(), 30_000).catch((err: unknown) => console.error(`chaos: stopping ${name}: ${err instanceof Error ? err.message : String(err)}`));
      }
      if (options.keep) say(`logs and the request record kept in ${tmpDir}`);
      else rmSync(tmpDir, { recursive: true, force: true });
    })());
  const onSignal = (signal: NodeJS.Signals): void => {
    say(`${signal}: stopping everything`);
    options.keep = true;
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let failed = true;
  try {
    for (const file of ['dist/worker/main.js', 'dist/api/main.js', 'dist/workflow-bundle.js']) {
      if (!existsSync(path.join(repoRoot, file))) throw new Error(`${file} is missing: run npm run build first (npm run chaos does)`);
    }
    const temporalCli = toolPath('temporal-tools.sh', 'TEMPORAL_CLI');
    const random = seededRandom(options.seed);
    const workloadMs = options.minutes * 60_000;

    // --- Temporal dev server, persisted, so a stop and start keeps every lead.
    const ports = { grpc: await freePort(), http: await freePort(), metrics: await freePort() };
    const temporalAddress = `127.0.0.1:${ports.grpc}`;
    const temporal = new Supervised(
      'Temporal dev server',
      temporalCli,
      devServerArgs(ports, { dbFile: path.join(tmpDir, 'temporal.db') }),
      process.env,
      path.join(tmpDir, 'temporal.log'),
      undefined,
      say,
    );
    say(`starting the Temporal dev server on ${temporalAddress} (SQLite file in ${tmpDir})`);
    stops.push({ name: 'Temporal dev server', stop: () => temporal.stop() });
    await temporal.start();
    let connection: Connection = await connectTemporal(temporalAddress, childOf(temporal));
    stops.push({ name: 'Temporal client', stop: () => connection.close() });

    // --- A database of its own, reached by the stack only through the proxy.
    const dbName = `${DATABASE_PREFIX}${randomBytes(6).toString('hex')}`;
    say(`creating PostgreSQL database ${dbName}`);
    await pgAdmin(`create database ${dbName}`);
    stops.push({ name: `database ${dbName}`, stop: () => pgAdmin(`drop database if exists ${dbName} with (force)`) });
    const db: Db = createDatabase({ databaseUrl: databaseUrlFor(dbName), dataDir: '', maxConnections: 4 });
    stops.push({ name: 'database pool', stop: () => db.destroy() });
    await migrateToLatest(db);
    const proxy = await new PgProxy({ host: '127.0.0.1', port: 5432 }).start();
    stops.push({ name: 'PostgreSQL proxy', stop: () => proxy.close() });
    const proxiedUrl = new URL(databaseUrlFor(dbName));
    proxiedUrl.port = String(proxy.port);

    const masterKey = generateMasterKeySpec('chaos');
    const keys: KeyStore = createKeyStore(db, parseMasterKeys(masterKey));
    const client = () => new Client({ connection, namespace: 'default', dataConverter: leadflowDataConverter(keys) });

    // --- The policy: the built-in one with SLA windows of seconds (elapsed clock) and three reps.
    const policyFile = path.join(tmpDir, 'chaos.policy.json');
    writeFileSync(
      policyFile,
      JSON.stringify({
        ...defaultLeadPolicyInput,
        version: undefined,
        sla: {
          clock: 'elapsed',
          mql: { windowHours: MQL_WINDOW_S / 3600, reminders: [0.5, 0.75], reassignmentsBeforeHandBack: 1 },
          sal: { windowHours: SAL_WINDOW_S / 3600, reminders: [0.5], reassignmentsBeforeHandBack: 1 },
        },
        routing: { reps: REPS, manager: 'manager-margaret' },
      }),
    );

    // --- Keys, one per kind of caller.
    const secret = (): string => randomBytes(18).toString('hex');
    const apiKeys = { admin: secret(), intake: secret(), read: secret(), manager: secret(), reps: Object.fromEntries(REPS.map((r) => [r, secret()])) };
    const keySpec = [
      `chaos-admin:${apiKeys.admin}:admin`,
      `chaos-intake:${apiKeys.intake}:intake`,
      `chaos-read:${apiKeys.read}:read`,
      `chaos-manager:${apiKeys.manager}:manager+read`,
      ...REPS.map((r) => `chaos-${r}:${apiKeys.reps[r]}:sales:${r}`),
    ].join(',');

    const apiPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      TEMPORAL_ADDRESS: temporalAddress,
      DATABASE_URL: proxiedUrl.toString(),
      PORT: String(apiPort),
      LEADFLOW_API_KEYS: keySpec,
      LEADFLOW_MASTER_KEY: masterKey,
      LEADFLOW_LEAD_ID_SECRET: randomBytes(32).toString('base64'),
      LEADFLOW_POLICY_FILE: policyFile,
      LEADFLOW_RATE_LIMIT_PER_MINUTE: '6000',
    };
    for (const name of ['LEADFLOW_API_KEYS_FILE', 'LEADFLOW_MASTER_KEY_FILE', 'LEADFLOW_NOTIFY_WEBHOOK_URL', 'LEADFLOW_WORKER_METRICS_ADDRESS', 'LEADFLOW_WEBHOOK_SECRET']) {
      delete env[name];
    }
    const node = process.execPath;
    const workers = [1, 2].map(
      (n) => new Supervised(`worker ${n}`, node, [path.join(repoRoot, 'dist/worker/main.js')], env, path.join(tmpDir, `worker-${n}.log`), /leadflow worker started/, say),
    );
    const api = new Supervised('API', node, [path.join(repoRoot, 'dist/api/main.js')], env, path.join(tmpDir, 'api.log'), /leadflow api listening/, say);
    stops.push({ name: 'API', stop: () => api.stop() });
    for (const w of workers) stops.push({ name: w.name, stop: () => w.stop() });
    say('starting two lead workers and the API (dist/, NODE_ENV=production)');
    await Promise.all([...workers.map((w) => w.start()), api.start()]);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitUntil(async () => (await fetch(`${apiUrl}/readyz`).catch(() => undefined))?.status === 200, 60_000, 'the API to be ready');

    // --- The notification receiver, registered as a webhook endpoint for every event type.
    const receiver = await new ChaosReceiver().start();
    stops.push({ name: 'webhook receiver', stop: () => receiver.close() });
    const created = await fetch(`${apiUrl}/v1/webhook-endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKeys.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url, eventTypes: [...publicEventTypes], description: 'npm run chaos receiver' }),
    });
    if (created.status !== 201) throw new Error(`creating the webhook endpoint answered ${created.status}: ${(await created.text()).slice(0, 300)}`);
    receiver.secret = ((await created.json()) as { secret: string }).secret;

    // --- Workload and faults.
    const http = new ApiClient(apiUrl, 150_000);
    const workload = new Workload(http, { intake: apiKeys.intake, read: apiKeys.read, manager: apiKeys.manager, reps: apiKeys.reps }, random, {
      actors: options.actors,
      until: Date.now() + workloadMs,
      maxRequests: Math.round(options.minutes * 900),
    });
    const faults: FaultRecord[] = [];
    const faultsStart = Date.now();
    const fault = (kind: string, detail: string): void => {
      faults.push({ at: Date.now() - faultsStart, kind, detail });
      say(`fault ${faults.length}: ${kind}: ${detail}`);
    };

    const faultsUntil = faultsStart + workloadMs;
    const between = (lo: number, hi: number): number => lo + random() * (hi - lo);
    let stopping = false;

    const workerKiller = async (): Promise<void> => {
      for (let n = 0; ; n++) {
        const wait = between(20_000, 40_000);
        if (Date.now() + wait + 5_000 > faultsUntil || stopping) return;
        await sleep(wait);
        const w = workers[n % 2]!;
        const down = Math.round(between(1_000, 5_000));
        await w.kill();
        fault('worker SIGKILL', `${w.name} killed, started again after ${(down / 1000).toFixed(1)} s`);
        await sleep(down);
        await w.start().catch((err: unknown) => say(`${w.name} did not start again at once: ${String(err)}`));
      }
    };
    const receiverFault = async (): Promise<void> => {
      const modes: ReceiverMode[] = [{ kind: 'delay', ms: 3_000 }, { kind: 'error' }, { kind: 'drop' }, { kind: 'delay', ms: 12_000 }];
      const mode = modes[Math.floor(random() * modes.length)]!;
      receiver.mode = mode;
      fault('webhook receiver', `${mode.kind === 'delay' ? `answers after ${mode.ms / 1000} s` : mode.kind === 'error' ? 'answers 503' : 'drops every connection'} for 15 s`);
      await sleep(15_000);
      receiver.mode = { kind: 'ok' };
    };
    const apiRestart = async (): Promise<void> => {
      const hard = random() < 0.5;
      await (hard ? api.kill() : api.stop());
      fault('API restart', hard ? 'SIGKILL, then started again' : 'SIGTERM (graceful), then started again');
      await sleep(between(500, 3_000));
      await api.start().catch((err: unknown) => say(`API did not start again at once: ${String(err)}`));
    };
    const temporalRestart = async (): Promise<void> => {
      const down = Math.round(between(5_000, 15_000));
      await temporal.stop();
      fault('Temporal dev server', `stopped (SIGTERM), started again on the same SQLite file after ${(down / 1000).toFixed(1)} s`);
      await sleep(down);
      await temporal.start();
      const fresh = await connectTemporal(temporalAddress, childOf(temporal), 120_000);
      const old = connection;
      connection = fresh;
      await old.close().catch(() => undefined);
    };
    const pgCut = async (): Promise<void> => {
      proxy.cut(30_000);
      fault('PostgreSQL cut', 'the proxy closed every connection and refuses new ones for 30 s');
      await sleep(30_000);
    };
    /** The other faults, on a 150 s cycle: offsets in seconds, and how long each needs before the end. */
    // Every kind comes once in the first two minutes.
    const cycle: { at: number; needs: number; run: () => Promise<void> }[] = [
      { at: 15, needs: 20, run: receiverFault },
      { at: 35, needs: 15, run: apiRestart },
      { at: 55, needs: 35, run: pgCut },
      { at: 90, needs: 30, run: temporalRestart },
      { at: 120, needs: 20, run: receiverFault },
      { at: 135, needs: 15, run: apiRestart },
    ];
    const otherFaults = async (): Promise<void> => {
      for (let base = 0; ; base += 150) {
        for (const step of cycle) {
          const at = faultsStart + (base + step.at) * 1000;
          if (at + step.needs * 1000 > faultsUntil || stopping) return;
          await sleep(Math.max(0, at - Date.now()));
          await step.run();
        }
      }
    };

    say(`workload for ${options.minutes} min with ${options.actors} clients (seed ${options.seed}), faults on a schedule`);
    await Promise.all([workload.run(), workerKiller(), otherFaults()]);
    stopping = true;
    const workloadEnded = Date.now();
    say(`workload done: ${http.requests.length} requests, ${faults.length} faults; letting the system settle`);

    // --- Settle: every process up, every lead at rest (no SLA clock running) and the read model caught up.
    receiver.mode = { kind: 'ok' };
    for (const p of [temporal, ...workers, api]) if (!p.running) await p.start();
    const leadIds = [...new Set(workload.leads.map((l) => l.leadId))];
    let states = new Map<string, LeadState>();
    const settleMs = 2 * (MQL_WINDOW_S + SAL_WINDOW_S) * 1000 + 240_000;
    const settled = await waitUntil(
      async () => {
        const busy = await sql<{ n: string }>`select count(*) as n from leads where state->'sla' is not null or (stage in ('mql', 'sal') and owner is null)`.execute(db);
        if (Number(busy.rows[0]?.n ?? 0) > 0) return false;
        const rows = await db.selectFrom('leads').select(['leadId', 'lastEventSeq']).execute();
        const rowSeq = new Map(rows.map((r) => [r.leadId, r.lastEventSeq]));
        const c = client();
        states = new Map();
        for (let i = 0; i < leadIds.length; i += 20) {
          const chunk = leadIds.slice(i, i + 20);
          const answers = await Promise.all(chunk.map((id) => c.workflow.getHandle(id).query(leadStateQuery).catch(() => undefined)));
          answers.forEach((s, j) => s && states.set(chunk[j]!, s));
        }
        return leadIds.every((id) => states.get(id) !== undefined && states.get(id)!.seq === rowSeq.get(id) && states.get(id)!.sla === undefined);
      },
      settleMs,
      'every lead to be at rest and the read model to catch up',
    ).then(
      () => true,
      (err: unknown) => {
        say(String(err));
        return false;
      },
    );
    say(settled ? `settled ${((Date.now() - workloadEnded) / 1000).toFixed(0)} s after the workload` : 'did NOT settle in time');

    // --- Webhooks: every public event of every lead reached the receiver (after dedup by webhook-id). What
    // should have been published is read from lead_events itself; GET /v1/events, paged to its end, is
    // compared with it too.
    const publicTypes = Object.values(domainEventOf);
    const expectedIds = async (): Promise<string[]> =>
      (await db.selectFrom('leadEvents').select(['leadId', 'seq']).where('type', 'in', publicTypes).execute()).map((r) => publicEventId(r.leadId, r.seq));
    let published: string[] = [];
    await waitUntil(
      async () => {
        published = await expectedIds();
        return published.every((id) => receiver.received.has(id));
      },
      180_000,
      'the webhook receiver to have every event',
    ).catch((err: unknown) => say(String(err)));
    const listed: string[] = [];
    for (let after: string | undefined; ; ) {
      const res = await fetch(`${apiUrl}/v1/events?limit=500${after ? `&after=${encodeURIComponent(after)}` : ''}`, { headers: { authorization: `Bearer ${apiKeys.admin}` } });
      if (res.status !== 200) throw new Error(`GET /v1/events answered ${res.status}`);
      const page = (await res.json()) as { events: { id: string }[]; nextCursor: string | null };
      if (page.events.length === 0 || !page.nextCursor) break;
      listed.push(...page.events.map((e) => e.id));
      after = page.nextCursor;
    }

    // --- Freeze: workers and API stop (gracefully), so the database and the histories hold still.
    say('stopping the API and the workers, then checking');
    await Promise.all([api.stop(), ...workers.map((w) => w.stop())]);
    const checkTime = Date.now();
    const sealer = keyStoreSealer(keys);
    const snapshot = async () => ({
      leads: await db.selectFrom('leads').selectAll().orderBy('leadId').execute(),
      events: await db.selectFrom('leadEvents').select(['leadId', 'seq', 'type', 'data', 'occurredAt', 'workflowRunId']).orderBy('leadId').orderBy('seq').execute(),
    });
    const live = await snapshot();
    const eventRows = await db.selectFrom('leadEvents').select(['leadId', 'seq', 'type', 'data', 'personal', 'occurredAt']).orderBy('leadId').orderBy('seq').execute();
    const events = new Map<string, LeadEvent[]>();
    for (const row of eventRows) events.set(row.leadId, [...(events.get(row.leadId) ?? []), await storedEvent(sealer, row.leadId, row)]);
    const rowStates = new Map(live.leads.map((r) => [r.leadId, r.state as LeadState]));
    const rowSeq = new Map(live.leads.map((r) => [r.leadId, r.lastEventSeq]));

    const workflows = new Set<string>();
    for await (const wf of client().workflow.list({ query: `WorkflowType = '${LEAD_WORKFLOW_TYPE}'` })) workflows.add(wf.workflowId);

    const checks: Check[] = [];
    checks.push(formFillsAreLeads(http.requests, new Set(rowStates.keys()), workflows));
    checks.push(decisionsRecorded(http.requests, events, rowSeq));
    checks.push(signalsApplied(http.requests, events, rowStates));

    // Read model = rebuild from lead_events = recovery from Temporal's histories.
    await db.deleteFrom('leads').execute();
    await rebuildLeadsFromEvents(db, sealer);
    const rebuilt = await snapshot();
    const rebuildEqual = isDeepStrictEqual(rebuilt, live);
    await sql`truncate lead_events, leads`.execute(db);
    let recoveredLeads = 0;
    for await (const lead of recoverLeadEventsFromTemporal(client(), new LeadPayloadCodec(keys))) {
      await restoreLeadEvents(db, sealer, lead);
      recoveredLeads++;
    }
    await rebuildLeadsFromEvents(db, sealer);
    const recovered = await snapshot();
    const recoveryEqual = isDeepStrictEqual(recovered, live);
    checks.push({
      name: 'read model = rebuild from lead_events = recovery from Temporal',
      ok: rebuildEqual && recoveryEqual && settled,
      numbers:
        `${live.leads.length} leads, ${live.events.length} events live; rebuild from lead_events ${rebuildEqual ? 'equal' : 'DIFFERENT'}; ` +
        `recovery from ${recoveredLeads} lead histories: ${recovered.leads.length} leads, ${recovered.events.length} events, ${recoveryEqual ? 'equal' : 'DIFFERENT'}` +
        (settled ? '' : '; the system had not settled'),
      problems: [...differences('rebuild', live, rebuilt), ...differences('recovery', live, recovered)].slice(0, 8),
    });
    checks.push(seqsContiguous(events));
    const histories = new Map<string, Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>>();
    for (const leadId of slaLeadsToExamine(events, http.requests, checkTime)) histories.set(leadId, await client().workflow.getHandle(leadId).fetchHistory());
    checks.push(slaDeadlinesFiredOnce(events, http.requests, checkTime, histories));
    checks.push(noUndocumented5xx(http.requests));
    const missingHooks = published.filter((id) => !receiver.received.has(id));
    const listedSet = new Set(listed);
    const notListed = published.filter((id) => !listedSet.has(id));
    checks.push({
      name: 'the webhook receiver got every event (after dedup by webhook-id)',
      // GET /v1/events shows an event once every older transaction on the (shared) server has ended: a
      // short listing is reported, not failed.
      ok: missingHooks.length === 0 && receiver.signatureFailures === 0,
      numbers:
        `${published.length} public events in lead_events (${listed.length} listed by GET /v1/events, ${notListed.length} not), ` +
        `${receiver.received.size} received, ${missingHooks.length} missing; ${receiver.requests} deliveries, ` +
        `${receiver.duplicates} repeats dropped by id, ${receiver.refused} refused on purpose, ${receiver.signatureFailures} failed signature checks`,
      problems: [...missingHooks.map((id) => `event ${id} never acknowledged`), ...notListed.map((id) => `(not a failure) event ${id} not listed by GET /v1/events`)].slice(0, 8),
    });

    // --- Report.
    const lost = checks.reduce((n, c) => n + (c.lost ?? 0), 0);
    const decisions = http.requests.filter((r) => ['accept', 'reject', 'qualify', 'close', 'disqualify'].includes(r.op) && r.status !== undefined && r.status < 300).length;
    const byKind = new Map<string, number>();
    for (const f of faults) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
    const unexpected = [temporal, ...workers, api].flatMap((p) => p.unexpectedExits.map((how) => `${p.name} (${how})`));
    report(`# npm run chaos -- ${options.profile === 'quick' ? '--quick' : `--minutes ${options.minutes}`} --seed ${options.seed}`);
    report(`started ${new Date(started).toISOString()}, ${os.cpus().length} cores, load average at start ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; commit ${gitHead()}`);
    report(`stack: Temporal dev server (SQLite file), PostgreSQL through the suite's proxy, 2 workers + 1 API (dist/, production), SLA windows MQL ${MQL_WINDOW_S} s / SAL ${SAL_WINDOW_S} s`);
    report(`workload: ${options.minutes} min, ${options.actors} clients; ${http.requests.length} requests (${answerClasses(http.requests)}); by kind: ${countBy(http.requests.map((r) => r.op))}`);
    report(`faults injected: ${faults.length} (${[...byKind.entries()].map(([k, v]) => `${k} ${v}`).join(', ')}); PostgreSQL proxy closed ${proxy.closed} connections and refused ${proxy.refused}`);
    for (const f of faults) report(`  +${(f.at / 1000).toFixed(0).padStart(4)} s  ${f.kind}: ${f.detail}`);
    report(`processes that exited on their own (restarted by the suite): ${unexpected.length ? unexpected.join(', ') : 'none'}`);
    report('');
    for (const c of checks) {
      report(`${c.ok ? 'PASS' : 'FAIL'}  ${c.name}`);
      report(`      ${c.numbers}`);
      for (const p of c.problems) report(`      - ${p}`);
    }
    report('');
    failed = checks.some((c) => !c.ok);
    report(
      `chaos ${options.profile}: ${http.requests.length} requests, ${faults.length} faults injected, ${leadIds.length} leads, ${decisions} decisions, lost = ${lost}: ` +
        `${failed ? `FAILED (${checks.filter((c) => !c.ok).length} of ${checks.length} invariants)` : `all ${checks.length} invariants hold`}`,
    );
    if (options.minutes >= 10 && faults.length < 20) report(`note: fewer than 20 faults (${faults.length})`);

    const out = options.out ?? `docs/reliability/chaos-${new Date(started).toISOString().slice(0, 10)}-${options.profile}.txt`;
    mkdirSync(path.dirname(path.resolve(repoRoot, out)), { recursive: true });
    writeFileSync(path.resolve(repoRoot, out), `${output.join('\n')}\n`);
    say(`results written to ${out}`);
    writeFileSync(path.join(tmpDir, 'requests.json'), JSON.stringify(http.requests));
    if (failed) options.keep = true;
  } catch (err) {
    console.error(`chaos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    options.keep = true;
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  say(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return failed ? 1 : 0;
}

/** The dev server's child process, for connectTemporal to notice it died. */
function childOf(p: Supervised): ChildProcess {
  if (!p.process) throw new Error(`${p.name} is not running`);
  return p.process;
}

async function waitUntil(check: () => Promise<boolean>, maxMs: number, what: string): Promise<void> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const done = await check().catch(() => false);
    if (done) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${maxMs / 1000} s waiting for ${what}`);
    await sleep(2_000);
  }
}

function differences(label: string, live: { leads: { leadId: string }[]; events: { leadId: string; seq: number }[] }, other: typeof live): string[] {
  const out: string[] = [];
  const a = new Map(live.leads.map((l) => [l.leadId, l]));
  const b = new Map(other.leads.map((l) => [l.leadId, l]));
  for (const [id, row] of a) if (!isDeepStrictEqual(row, b.get(id))) out.push(`${label}: lead ${id} ${b.has(id) ? 'differs' : 'missing'}`);
  for (const id of b.keys()) if (!a.has(id)) out.push(`${label}: lead ${id} extra`);
  if (live.events.length !== other.events.length) out.push(`${label}: ${other.events.length} events instead of ${live.events.length}`);
  return out;
}

function countBy(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${v}`).join(', ');
}

function gitHead(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
