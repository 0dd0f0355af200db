import { createServer, connect, type Server, type Socket } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { sql } from 'kysely';
import { databaseEventSink, type EventSink } from '../../activities';
import { decodeRecordedPayloads, recordedBatches, recoverLeadEventsFromTemporal } from '../../client/recover-lead-events';
import { createDatabase, type Db } from '../../db/connection';
import { restoreLeadEvents } from '../../db/lead-events.repository';
import { rebuildLeadsFromEvents } from '../../db/projection-rebuild';
import { toReadModel } from '../../domain/lead-projection';
import { defaultLeadPolicy } from '../../domain/lead-policy';
import type { LeadState } from '../../domain/lead-state';
import type { FillFormInput } from '../../workflows/lead.messages';
import {
  acceptUpdate,
  closeUpdate,
  disqualifyUpdate,
  engagementSignal,
  leadStateQuery,
  qualifyUpdate,
  rejectUpdate,
  unsubscribeSignal,
} from '../../workflows/lead.messages';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { databaseKeyStore, submitTestForm } from '../support/encryption';
import { createDevServerEnv, createTestWorker, keysOf, Recorder } from '../support/temporal-env';
import { keyStoreSealer, LeadPayloadCodec, type PersonalDataSealer } from '../../encryption';

// The read model against the real thing on both sides: the Temporal dev server and PostgreSQL.
// It must always be exactly the fold of the events in the workflows' histories.

let env: TestWorkflowEnvironment;
let pg: TestDatabase;
let db: Db;
let sealer: PersonalDataSealer;

beforeAll(async () => {
  pg = await createTestDatabase('postgres');
  db = pg.db;
  env = await createDevServerEnv(databaseKeyStore(db).keys);
  sealer = keyStoreSealer(keysOf(env));
});
afterAll(async () => {
  await pg?.drop();
  await env?.teardown();
});

const profile = (email: string): FillFormInput['profile'] => ({
  email,
  firstName: 'Lin',
  lastName: 'Journey',
  phone: '+49 30 1234567',
  company: 'Paths GmbH',
  country: 'DE',
  productInterest: 'routing',
  seniority: 'director',
  employeeCount: 600,
  industry: 'software',
});
const demo = (email: string): FillFormInput => ({ formType: 'demo_request', profile: profile(email), source: { channel: 'web' } });

type Journey = (email: string) => Promise<void>;

function journeys(): Record<string, Journey> {
  const c = env.client;
  const start = async (email: string, form = demo(email)) => {
    const answer = await submitTestForm(c, form, defaultLeadPolicy);
    return c.workflow.getHandle(answer.leadId);
  };
  const rep = 'rep-grace';
  const paths: Record<string, Journey> = {
    async won(email) {
      const h = await start(email);
      await h.executeUpdate(acceptUpdate, { args: [{ rep }] });
      await h.executeUpdate(qualifyUpdate, { args: [{ rep, budget: true, authority: true, need: true, timeline: true }] });
      await h.executeUpdate(closeUpdate, { args: [{ rep, outcome: 'won' }] });
    },
    async accepted(email) {
      const h = await start(email);
      await h.executeUpdate(acceptUpdate, { args: [{ rep }] });
    },
    async qualified(email) {
      const h = await start(email);
      await h.executeUpdate(acceptUpdate, { args: [{ rep }] });
      await h.executeUpdate(qualifyUpdate, { args: [{ rep, budget: true, authority: true, need: true, timeline: true }] });
    },
    async bantGap(email) {
      const h = await start(email);
      await h.executeUpdate(acceptUpdate, { args: [{ rep }] });
      await h.executeUpdate(qualifyUpdate, { args: [{ rep, budget: false, authority: true, need: true, timeline: false }] });
    },
    async lostNotNow(email) {
      const h = await start(email);
      await h.executeUpdate(acceptUpdate, { args: [{ rep }] });
      await h.executeUpdate(qualifyUpdate, { args: [{ rep, budget: true, authority: true, need: true, timeline: true }] });
      await h.executeUpdate(closeUpdate, { args: [{ rep, outcome: 'lost', reason: 'not_now' }] });
    },
    async lostToCompetitor(email) {
      const h = await start(email);
      await h.executeUpdate(acceptUpdate, { args: [{ rep }] });
      await h.executeUpdate(qualifyUpdate, { args: [{ rep, budget: true, authority: true, need: true, timeline: true }] });
      await h.executeUpdate(closeUpdate, { args: [{ rep, outcome: 'lost', reason: 'chose_competitor' }] });
    },
    async salDisqualified(email) {
      const h = await start(email);
      await h.executeUpdate(acceptUpdate, { args: [{ rep }] });
      await h.executeUpdate(disqualifyUpdate, { args: [{ by: rep, reason: 'fake_company' }] });
    },
    async nurtured(email) {
      const h = await start(email, { formType: 'content_download', profile: profile(email) });
      const at = new Date().toISOString();
      await h.signal(engagementSignal, {
        engagements: [
          { type: 'pricing_page_view', occurredAt: at, id: `${email}-1` },
          { type: 'webinar_attended', occurredAt: at, id: `${email}-2` },
          { type: 'webinar_attended', occurredAt: at, id: `${email}-2` },
        ],
      });
    },
    async unsubscribed(email) {
      const h = await start(email, { formType: 'newsletter', profile: { email } });
      await h.signal(unsubscribeSignal);
    },
    async inquiryDisqualified(email) {
      const h = await start(email, { formType: 'newsletter', profile: { email } });
      await h.executeUpdate(disqualifyUpdate, { args: [{ by: 'ops-olga', reason: 'spam' }] });
    },
  };
  for (const reason of ['not_ready', 'no_budget', 'bad_timing', 'bad_contact_data', 'not_a_fit', 'competitor', 'spam', 'duplicate'] as const) {
    paths[`reject-${reason}`] = async (email) => {
      const h = await start(email);
      await h.executeUpdate(rejectUpdate, { args: [{ rep, reason }] });
    };
  }
  return paths;
}

async function runAll(tasks: (() => Promise<void>)[], concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < tasks.length) await tasks[next++]!();
    }),
  );
}

/**
 * Waits until every lead's projected row has caught up with its workflow state, then returns the states.
 * `until` names what the workflow still has to do on its own (routing after an MQL runs after the form
 * fill is answered), so a projection that caught up with an earlier state is not taken as settled.
 */
async function settledStates(
  leadIds: string[],
  until: (state: LeadState) => boolean = () => true,
): Promise<Map<string, LeadState>> {
  const states = new Map<string, LeadState>();
  for (let attempt = 0; attempt < 100; attempt++) {
    await Promise.all(leadIds.map(async (id) => states.set(id, await env.client.workflow.getHandle(id).query(leadStateQuery))));
    const rows = await db.selectFrom('leads').select(['leadId', 'lastEventSeq']).where('leadId', 'in', leadIds).execute();
    const projected = new Map(rows.map((r) => [r.leadId, r.lastEventSeq]));
    if (leadIds.every((id) => until(states.get(id)!) && projected.get(id) === states.get(id)!.seq)) return states;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('projection did not catch up with the workflows');
}

async function snapshot(leadIds: string[]) {
  const leads = await db.selectFrom('leads').selectAll().where('leadId', 'in', leadIds).orderBy('leadId').execute();
  const events = await db
    .selectFrom('leadEvents')
    .select(['leadId', 'seq', 'type', 'data', 'occurredAt', 'workflowRunId'])
    .where('leadId', 'in', leadIds)
    .orderBy('leadId')
    .orderBy('seq')
    .execute();
  return { leads, events };
}

async function eventsInHistories(leadIds: string[]): Promise<number> {
  let total = 0;
  for (const id of leadIds) {
    const history = await env.client.workflow.getHandle(id).fetchHistory();
    await decodeRecordedPayloads(history, new LeadPayloadCodec(keysOf(env)));
    total += recordedBatches(history).reduce((n, b) => n + b.events.length, 0);
  }
  return total;
}

test('a few hundred leads through every path: live projection = rebuild from lead_events = rebuild from Temporal', async () => {
  const { worker } = await createTestWorker(env, new Recorder(), undefined, databaseEventSink(db, sealer));
  await worker.runUntil(async () => {
    const paths = Object.entries(journeys());
    const emails = Array.from({ length: 300 }, (_, i) => `lead-${i}@path-${i % paths.length}.example`);
    await runAll(
      emails.map((email, i) => () => paths[i % paths.length]![1](email)),
      16,
    );
    const leadIds = (await db.selectFrom('leads').select('leadId').execute()).map((r) => r.leadId);
    expect(leadIds).toHaveLength(300);
    const states = await settledStates(leadIds);

    // 1. Every row is exactly the fold the workflow itself holds.
    const live = await snapshot(leadIds);
    for (const row of live.leads) {
      expect(row.state).toEqual(toReadModel(states.get(row.leadId)!).state);
      expect(row.stage).toBe(states.get(row.leadId)!.stage);
    }
    const stages = new Set(live.leads.map((r) => r.stage));
    expect([...stages].sort()).toEqual(['disqualified', 'inquiry', 'mql', 'recycled', 'sal', 'sql', 'won'].sort());

    // 2. lead_events holds exactly the domain events of the histories, once each.
    expect(live.events).toHaveLength(await eventsInHistories(leadIds));
    expect(live.events.length).toBe([...states.values()].reduce((n, s) => n + s.seq, 0));

    // 3. Refolding `leads` from `lead_events` gives the same rows.
    await db.deleteFrom('leads').execute();
    await rebuildLeadsFromEvents(db, sealer);
    expect(await snapshot(leadIds)).toEqual(live);

    // 4. With lead_events lost too, Temporal's histories give everything back.
    await sql`truncate lead_events, leads`.execute(db);
    for await (const lead of recoverLeadEventsFromTemporal(env.client, new LeadPayloadCodec(keysOf(env)))) await restoreLeadEvents(db, sealer, lead);
    await rebuildLeadsFromEvents(db, sealer);
    expect(await snapshot(leadIds)).toEqual(live);
  });
}, 300_000);

test('an activity that fails after its commit is retried without applying anything twice', async () => {
  const real = databaseEventSink(db, sealer);
  const failed = new Set<string>();
  const flaky: EventSink = {
    async append(input) {
      await real.append(input);
      const key = `${input.leadId}:${input.events[0]!.seq}`;
      if (!failed.has(key)) {
        failed.add(key);
        throw new Error('connection lost after commit');
      }
    },
  };
  const { worker } = await createTestWorker(env, new Recorder(), 'leads-flaky', flaky);
  await worker.runUntil(async () => {
    const answer = await submitTestForm(env.client, demo('flaky@retry.example'), defaultLeadPolicy, 'leads-flaky');
    const h = env.client.workflow.getHandle(answer.leadId);
    await h.executeUpdate(rejectUpdate, { args: [{ rep: 'rep-ada', reason: 'not_ready' }] });
    const states = await settledStates([answer.leadId]);
    const state = states.get(answer.leadId)!;
    expect(failed.size).toBeGreaterThanOrEqual(3); // every batch failed once after committing
    const { leads, events } = await snapshot([answer.leadId]);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: state.seq }, (_, i) => i + 1));
    expect(leads[0]!.recycleCount).toBe(1);
    expect(leads[0]!.state).toEqual(state);
  });
}, 120_000);

test('PostgreSQL unreachable for a while: the workflow waits, nothing is lost, the projection catches up', async () => {
  // A port with nothing behind it; later a proxy to the real server opens there ("the database is back").
  const port = await freePort();
  const url = new URL(pg.url!);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  const unreachable = createDatabase({ databaseUrl: url.toString(), dataDir: '', maxConnections: 2 });
  let proxy: Server | undefined;
  const { worker } = await createTestWorker(env, new Recorder(), 'leads-outage', databaseEventSink(unreachable, sealer));
  try {
    await worker.runUntil(async () => {
      const pending = submitTestForm(env.client, demo('outage@down.example'), defaultLeadPolicy, 'leads-outage');
      await new Promise((r) => setTimeout(r, 3_000));
      const leadId = (await db.selectFrom('leads').select('leadId').where('email', '=', 'outage@down.example').execute())[0];
      expect(leadId).toBeUndefined(); // nothing recorded while the database is away…
      proxy = await startProxy(port, 5432);
      const answer = await pending; // …and the form fill is answered once it is back
      expect(answer).toMatchObject({ created: true, stage: 'mql' });
      // The owner is assigned after the answer, once the retried event write has gone through.
      const states = await settledStates([answer.leadId], (s) => s.owner !== undefined);
      const { leads, events } = await snapshot([answer.leadId]);
      expect(events).toHaveLength(states.get(answer.leadId)!.seq);
      expect(leads[0]!.state).toEqual(states.get(answer.leadId));
    });
  } finally {
    await unreachable.destroy();
    proxy?.close();
  }
}, 120_000);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function startProxy(listenPort: number, targetPort: number): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  const close = server.close.bind(server);
  server.close = (cb?: (err?: Error) => void) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  };
  return new Promise((resolve) => server.listen(listenPort, '127.0.0.1', () => resolve(server)));
}
