import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { Express } from 'express';
import request from 'supertest';
import { databaseEventSink } from '../../activities';
import { LeadResponse } from '../../api/schemas';
import { bearer, createTestApp, eventually, mqlForm, testKeys } from '../support/api-app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createDevServerEnv, createTestWorker, keysOf, Recorder } from '../support/temporal-env';
import { databaseKeyStore, testLeadId } from '../support/encryption';
import { keyStoreSealer } from '../../encryption';

// 503: the lead workflow does not answer within the decision deadline because no worker polls its task
// queue. Nothing is half-applied; the request may still apply when a worker is back; a retry with the
// same Idempotency-Key is safe.

const QUEUE = 'leads-outage';
const TIMEOUT_MS = 1_500;

let env: TestWorkflowEnvironment;
let pg: TestDatabase;
let app: Express;

beforeAll(async () => {
  pg = await createTestDatabase('postgres');
  env = await createDevServerEnv(databaseKeyStore(pg.db).keys);
  app = createTestApp({ client: env.client, db: pg.db, dataKeys: keysOf(env), taskQueue: QUEUE, decisionTimeoutMs: TIMEOUT_MS });
});
afterAll(async () => {
  await pg?.drop();
  await env?.teardown();
});

async function startWorker(): Promise<{ worker: Worker; stop: () => Promise<void> }> {
  const { worker } = await createTestWorker(env, new Recorder(), QUEUE, databaseEventSink(pg.db, keyStoreSealer(keysOf(env))));
  const running = worker.run();
  return {
    worker,
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}

const snapshot = async (leadId: string) => ({
  lead: await pg.db.selectFrom('leads').selectAll().where('leadId', '=', leadId).executeTakeFirst(),
  events: await pg.db.selectFrom('leadEvents').select(['seq', 'type']).where('leadId', '=', leadId).orderBy('seq').execute(),
});

test('a form fill nobody processes: 503 after the deadline, nothing captured', async () => {
  const nobody = createTestApp({ client: env.client, db: pg.db, dataKeys: keysOf(env), taskQueue: 'nobody-polls', decisionTimeoutMs: TIMEOUT_MS });
  const started = Date.now();
  const res = await request(nobody).post('/v1/leads').set(bearer(testKeys.intake)).send(mqlForm('nobody@outage.example'));
  const elapsed = Date.now() - started;
  expect(res.status).toBe(503);
  expect(res.body.error.code).toBe('unavailable');
  expect(res.body.error.message).toMatch(/may still be applied/);
  expect(res.headers['retry-after']).toBe('5');
  expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
  expect(await snapshot(testLeadId('nobody@outage.example'))).toEqual({ lead: undefined, events: [] });
});

test('a decision while the worker is down: 503, nothing half-applied; applied once when the worker is back', async () => {
  const sales = { ...bearer(testKeys.sales), 'Idempotency-Key': 'accept-during-outage' };
  const read = bearer(testKeys.read);

  // A lead, captured and assigned while a worker runs; then the worker goes away.
  const first = await startWorker();
  const form = await request(app).post('/v1/leads').set(bearer(testKeys.intake)).send(mqlForm('outage@outage.example'));
  expect(form.status).toBe(202);
  const { leadId } = form.body;
  await eventually(() => snapshot(leadId), (s) => s.lead?.owner !== null && s.lead?.owner !== undefined);
  await first.stop();
  const before = await snapshot(leadId);

  const started = Date.now();
  const res = await request(app).post(`/v1/leads/${leadId}/accept`).set(sales).send({ rep: 'rep-ada' });
  expect(res.status).toBe(503);
  expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
  expect(res.body.error).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/same Idempotency-Key is safe/) });
  expect(res.headers['retry-after']).toBe('5');
  expect(await snapshot(leadId)).toEqual(before); // nothing half-applied

  // Still down: the retry is not answered from the idempotency store (a 503 is never stored).
  const retry = await request(app).post(`/v1/leads/${leadId}/accept`).set(sales).send({ rep: 'rep-ada' });
  expect(retry.status).toBe(503);
  expect(retry.headers['idempotent-replayed']).toBeUndefined();
  // Reads from the read model still work; the consistent read needs the worker.
  expect((await request(app).get(`/v1/leads/${leadId}`).set(read)).body.lead.stage).toBe('mql');
  const consistent = await request(app).get(`/v1/leads/${leadId}?consistent=true`).set(read);
  expect(consistent.status).toBe(503);
  expect(await snapshot(leadId)).toEqual(before);

  // The worker is back: the decision that got a 503 is applied without anyone sending it again…
  const second = await startWorker();
  try {
    const after = await eventually(() => snapshot(leadId), (s) => s.lead?.stage === 'sal', 60_000);
    expect(after.events.filter((e) => e.type === 'LeadAccepted')).toHaveLength(1);

    // …and a retry with the same key is the same change, answered now, not applied twice.
    const late = await request(app).post(`/v1/leads/${leadId}/accept`).set(sales).send({ rep: 'rep-ada' });
    expect(late.status).toBe(200);
    expect(LeadResponse.parse(late.body).lead).toMatchObject({ stage: 'sal', lastEventSeq: after.lead!.lastEventSeq });
    expect((await snapshot(leadId)).events.filter((e) => e.type === 'LeadAccepted')).toHaveLength(1);
    const replay = await request(app).post(`/v1/leads/${leadId}/accept`).set(sales).send({ rep: 'rep-ada' });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(late.body);
  } finally {
    await second.stop();
  }
}, 120_000);
