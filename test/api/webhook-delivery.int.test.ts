import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { ensureDispatcher } from '../../client/webhook-dispatcher';
import { createEndpoint, findEndpoint } from '../../db/webhook-endpoints.repository';
import { anyPublicEventSchema } from '../../domain/public-events.schemas';
import { bearer, eventually, mqlForm, startApiTestbed, testKeys, type ApiTestbed } from '../support/api-app';
import { createTestWorker, keysOf, Recorder } from '../support/temporal-env';
import { databaseEventSink } from '../../activities';
import { keyStoreSealer } from '../../encryption';

/*
 * Webhook delivery end to end: the dev server, a real worker running the dispatcher workflows, PostgreSQL,
 * and real HTTP receivers that verify every delivery with the `standardwebhooks` library. At least once,
 * per lead in seq order, retried while a receiver is down, disabled when it keeps failing.
 */

let t: ApiTestbed;
beforeAll(async () => {
  t = await startApiTestbed();
});
/** The worker that replaces the testbed's after the restart test (shut down at the end). */
let replacement: { stop(): Promise<void> } | undefined;
afterAll(async () => {
  await replacement?.stop();
  await Promise.all(receivers.map((r) => r.close()));
  await t?.close();
});

const intake = bearer(testKeys.intake);
const sales = bearer(testKeys.sales);
const read = bearer(testKeys.read);
const admin = bearer(testKeys.admin);

interface Delivery {
  id: string;
  type: string;
  leadId: string;
  seq: number;
  email: string | null;
}

/** A real receiver: verifies each request's signature, records it, answers as told. */
class Receiver {
  readonly deliveries: Delivery[] = [];
  /** Every `webhook-id` it was sent (failed attempts included). */
  readonly attempts: string[] = [];
  readonly badSignatures: string[] = [];
  answer = 204;
  delayMs = 0;
  secret = '';
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
    return this;
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const id = String(req.headers['webhook-id']);
    this.attempts.push(id);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.answer >= 300) {
      res.writeHead(this.answer).end();
      return;
    }
    try {
      const event = new Webhook(this.secret).verify(body, req.headers as Record<string, string>) as { id: string; type: string; leadId: string; seq: number; data: { lead: { email: string | null } } };
      if (!anyPublicEventSchema.safeParse(event).success) throw new Error(`not in the catalogue: ${body.slice(0, 200)}`);
      if (event.id !== id) throw new Error('webhook-id is not the event id');
      this.deliveries.push({ id: event.id, type: event.type, leadId: event.leadId, seq: event.seq, email: event.data.lead.email });
      res.writeHead(this.answer).end();
    } catch (err) {
      this.badSignatures.push(String(err));
      res.writeHead(400).end();
    }
  }

  /** The events as a receiver that drops repeats by id keeps them, in arrival order. */
  unique(): Delivery[] {
    const seen = new Set<string>();
    return this.deliveries.filter((d) => (seen.has(d.id) ? false : (seen.add(d.id), true)));
  }

  forLead(leadId: string): Delivery[] {
    return this.unique().filter((d) => d.leadId === leadId);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
const receivers: Receiver[] = [];

async function receiverWithEndpoint(eventTypes: string[]): Promise<{ receiver: Receiver; endpointId: string }> {
  const receiver = await new Receiver().start();
  receivers.push(receiver);
  const res = await request(t.app).post('/v1/webhook-endpoints').set(admin).send({ url: receiver.url, eventTypes }).expect(201);
  receiver.secret = res.body.secret as string;
  return { receiver, endpointId: res.body.id as string };
}

async function owned(leadId: string): Promise<string> {
  const res = await eventually(() => request(t.app).get(`/v1/leads/${leadId}`).set(read), (r) => r.body.lead?.owner !== null && r.body.lead?.owner !== undefined);
  return res.body.lead.owner as string;
}

const allTypes = ['lead.captured', 'lead.mql', 'lead.assigned', 'lead.sla_reminder', 'lead.sla_breached', 'lead.accepted', 'lead.rejected', 'lead.qualified', 'lead.won', 'lead.lost', 'lead.recycled', 'lead.disqualified', 'lead.unsubscribed', 'lead.erased'];

test('a journey to won: exactly its events, each once, in order, every signature verified; then a redelivery', async () => {
  const { receiver, endpointId } = await receiverWithEndpoint(allTypes);
  const { body } = await request(t.app).post('/v1/leads').set(intake).send(mqlForm('won@delivery.example')).expect(202);
  const leadId = body.leadId as string;
  const rep = await owned(leadId);
  await request(t.app).post(`/v1/leads/${leadId}/accept`).set(sales).send({ rep }).expect(200);
  await request(t.app).post(`/v1/leads/${leadId}/qualify`).set(sales).send({ rep, budget: true, authority: true, need: true, timeline: true }).expect(200);
  await request(t.app).post(`/v1/leads/${leadId}/close`).set(sales).send({ rep, outcome: 'won' }).expect(200);

  await eventually(async () => receiver.forLead(leadId).length, (n) => n === 6, 60_000);
  const got = receiver.deliveries.filter((d) => d.leadId === leadId);
  expect(got.map((d) => d.type)).toEqual(['lead.captured', 'lead.mql', 'lead.assigned', 'lead.accepted', 'lead.qualified', 'lead.won']);
  expect(got.map((d) => d.seq)).toEqual([...got.map((d) => d.seq)].sort((a, b) => a - b));
  expect(receiver.badSignatures).toEqual([]);
  expect(got[0]!.email).toBe('won@delivery.example');

  // The log shows each attempt; a redelivery of one event sends it again with its own id.
  const log = await request(t.app).get(`/v1/webhook-endpoints/${endpointId}/deliveries`).set(admin).expect(200);
  expect(log.body.items.filter((a: { leadId: string; delivered: boolean }) => a.leadId === leadId && a.delivered)).toHaveLength(6);
  await request(t.app).post(`/v1/webhook-endpoints/${endpointId}/redeliver`).set(admin).send({ eventId: got[1]!.id }).expect(202);
  await eventually(async () => receiver.deliveries.filter((d) => d.id === got[1]!.id).length, (n) => n === 2, 30_000);
  await request(t.app).post(`/v1/webhook-endpoints/${endpointId}/redeliver`).set(admin).send({ eventId: 'nope' }).expect(400);
});

test('two endpoints with different filters each get exactly their types, for a few hundred leads', async () => {
  const captured = await receiverWithEndpoint(['lead.captured']);
  const routed = await receiverWithEndpoint(['lead.mql', 'lead.assigned']);
  const mqls = Array.from({ length: 100 }, (_, i) => `mql-${i}@filters.example`);
  const inquiries = Array.from({ length: 100 }, (_, i) => `inquiry-${i}@filters.example`);
  const forms = [...mqls.map((e) => mqlForm(e)), ...inquiries.map((email) => ({ email, formType: 'newsletter' }))];
  for (let i = 0; i < forms.length; i += 10) {
    await Promise.all(forms.slice(i, i + 10).map((f) => request(t.app).post('/v1/leads').set(intake).send(f).expect(202)));
  }
  const ours = (d: Delivery) => d.email !== null && /@filters\.example$/.test(d.email);
  await eventually(async () => captured.receiver.unique().filter(ours).length, (n) => n === 200, 120_000);
  await eventually(async () => routed.receiver.unique().filter(ours).length, (n) => n === 200, 120_000);

  expect(new Set(captured.receiver.unique().filter(ours).map((d) => d.type))).toEqual(new Set(['lead.captured']));
  expect(captured.receiver.unique().filter(ours).map((d) => d.email).sort()).toEqual(forms.map((f) => f.email as string).sort());
  const routedTypes = routed.receiver.unique().filter(ours);
  expect(routedTypes.filter((d) => d.type === 'lead.mql').map((d) => d.email).sort()).toEqual([...mqls].sort());
  expect(routedTypes.filter((d) => d.type === 'lead.assigned').map((d) => d.email).sort()).toEqual([...mqls].sort());
  expect(routedTypes.every((d) => d.type === 'lead.mql' || d.type === 'lead.assigned')).toBe(true);
  // Per lead in seq order: the MQL before its assignment.
  for (const email of mqls) expect(routedTypes.filter((d) => d.email === email).map((d) => d.type)).toEqual(['lead.mql', 'lead.assigned']);
  expect([...captured.receiver.badSignatures, ...routed.receiver.badSignatures]).toEqual([]);
}, 240_000);

test('the receiver is down for a minute, then everything arrives, retried with the same webhook-id', async () => {
  const { receiver, endpointId } = await receiverWithEndpoint(['lead.captured', 'lead.mql', 'lead.assigned']);
  receiver.answer = 503;
  const leads: string[] = [];
  for (const email of ['down-1@delivery.example', 'down-2@delivery.example']) {
    leads.push((await request(t.app).post('/v1/leads').set(intake).send(mqlForm(email)).expect(202)).body.leadId as string);
  }
  await eventually(async () => receiver.attempts.length, (n) => n >= 2, 30_000);
  const firstRefused = receiver.attempts[0]!;
  await new Promise((r) => setTimeout(r, 60_000));
  expect(receiver.deliveries).toEqual([]);
  const failures = (await request(t.app).get(`/v1/webhook-endpoints/${endpointId}/deliveries`).set(admin).expect(200)).body.items;
  expect(failures.every((a: { delivered: boolean; statusCode: number }) => !a.delivered && a.statusCode === 503)).toBe(true);
  expect(new Set(failures.map((a: { eventId: string }) => a.eventId))).toEqual(new Set([firstRefused]));
  expect(Math.max(...failures.map((a: { attempt: number }) => a.attempt))).toBeGreaterThan(1);

  receiver.answer = 204;
  await request(t.app).patch(`/v1/webhook-endpoints/${endpointId}`).set(admin).send({ description: 'back' }).expect(200); // wakes it
  await eventually(async () => leads.map((l) => receiver.forLead(l).length), (n) => n.every((c) => c === 3), 120_000);
  expect(receiver.unique()[0]!.id).toBe(firstRefused);
  for (const leadId of leads) expect(receiver.forLead(leadId).map((d) => d.type)).toEqual(['lead.captured', 'lead.mql', 'lead.assigned']);
}, 240_000);

test('a worker stopped in the middle of delivering: a receiver dropping repeats by id has every event once', async () => {
  const { receiver } = await receiverWithEndpoint(['lead.captured', 'lead.mql', 'lead.assigned']);
  receiver.delayMs = 150;
  const emails = Array.from({ length: 12 }, (_, i) => `restart-${i}@delivery.example`);
  for (const email of emails) await request(t.app).post('/v1/leads').set(intake).send(mqlForm(email)).expect(202);
  await eventually(async () => receiver.deliveries.length, (n) => n >= 3, 60_000);

  // Stop the worker while it is delivering, then start another one.
  t.worker.shutdown();
  const { keys } = { keys: keysOf(t.env) };
  const { worker } = await createTestWorker(t.env, new Recorder(), undefined, databaseEventSink(t.db, keyStoreSealer(keys)), undefined, {
    erasure: { db: t.db, keys, client: t.env.client },
    webhooks: { db: t.db, keys, idlePollMs: 100 },
  });
  const running = worker.run();
  // It serves the tests after this one too.
  replacement = {
    async stop() {
      worker.shutdown();
      await running;
    },
  };
  receiver.delayMs = 0;
  const ours = () => receiver.unique().filter((d) => d.email !== null && emails.includes(d.email));
  await eventually(async () => ours().length, (n) => n === emails.length * 3, 120_000);
  for (const email of emails) expect(ours().filter((d) => d.email === email).map((d) => d.type)).toEqual(['lead.captured', 'lead.mql', 'lead.assigned']);
  expect(receiver.badSignatures).toEqual([]);
}, 240_000);

test('an endpoint that keeps failing is disabled, says why, and shows in /metrics', async () => {
  const receiver = await new Receiver().start();
  receivers.push(receiver);
  receiver.answer = 500;
  // Straight through the repository and the dispatcher, to give up after 5 s instead of a day.
  const { endpoint } = await createEndpoint(t.db, t.keys, { url: receiver.url, eventTypes: ['lead.captured'] });
  await ensureDispatcher({ client: t.env.client, db: t.db, taskQueue: 'leads', endpointId: endpoint.id, disableAfterMs: 5_000 });
  await request(t.app).post('/v1/leads').set(intake).send({ email: 'failing@delivery.example', formType: 'newsletter' }).expect(202);
  const disabled = await eventually(() => findEndpoint(t.db, endpoint.id), (e) => e?.enabled === false, 60_000);
  expect(disabled!.disabledReason).toMatch(/deliveries failed for 0 min since .*answered 500/);
  const shown = await request(t.app).get(`/v1/webhook-endpoints/${endpoint.id}`).set(admin).expect(200);
  expect(shown.body).toMatchObject({ enabled: false, disabledReason: expect.stringContaining('answered 500') });
  const metrics = await request(t.app).get('/metrics').set(read).expect(200);
  expect(metrics.text).toMatch(/leadflow_webhook_endpoints\{state="disabled"\} [1-9]/);
  expect(metrics.text).toMatch(/leadflow_webhook_deliveries_failed_total [1-9]/);
}, 120_000);

test("an erased lead's pending deliveries carry nothing personal", async () => {
  const { receiver } = await receiverWithEndpoint(allTypes);
  receiver.answer = 503;
  const { body } = await request(t.app).post('/v1/leads').set(intake).send(mqlForm('forget@delivery.example')).expect(202);
  const leadId = body.leadId as string;
  await owned(leadId);
  await request(t.app).post(`/v1/leads/${leadId}/erasure`).set(admin).send({ requestedBy: 'privacy-officer' }).expect(200);
  receiver.answer = 204;
  await eventually(async () => receiver.forLead(leadId).map((d) => d.type).at(-1), (type) => type === 'lead.erased', 120_000);
  expect(receiver.forLead(leadId).map((d) => d.type)).toEqual(['lead.captured', 'lead.mql', 'lead.assigned', 'lead.erased']);
  expect(receiver.forLead(leadId).every((d) => d.email === null)).toBe(true);
}, 240_000);
