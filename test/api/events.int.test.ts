import request from 'supertest';
import { anyPublicEventSchema } from '../../domain/public-events.schemas';
import { bearer, eventually, mqlForm, startApiTestbed, testKeys, type ApiTestbed } from '../support/api-app';

/*
 * GET /v1/events on the real dev server, worker and PostgreSQL: the public events of the leads, in
 * order, each exactly once across pages, also while new ones are being written.
 */

let t: ApiTestbed;
beforeAll(async () => {
  t = await startApiTestbed();
});
afterAll(async () => {
  await t?.close();
});

const intake = bearer(testKeys.intake);
const sales = bearer(testKeys.sales);
const read = bearer(testKeys.read);

interface Page {
  events: { id: string; type: string; leadId: string; seq: number; data: { lead: { email: string | null } } }[];
  nextCursor: string | null;
  hasMore: boolean;
}
const page = async (query: Record<string, string | number>): Promise<Page> => {
  const res = await request(t.app).get('/v1/events').query(query).set(read);
  expect(res.status).toBe(200);
  return res.body as Page;
};

async function owned(leadId: string): Promise<string> {
  const res = await eventually(() => request(t.app).get(`/v1/leads/${leadId}`).set(read), (r) => r.body.lead?.owner !== null);
  return res.body.lead.owner as string;
}

test('a journey to won: exactly the expected events, each once, in order, matching the catalogue', async () => {
  const { body } = await request(t.app).post('/v1/leads').set(intake).send(mqlForm('won@events.example')).expect(202);
  const leadId = body.leadId as string;
  const rep = await owned(leadId);
  await request(t.app).post(`/v1/leads/${leadId}/accept`).set(sales).send({ rep }).expect(200);
  await request(t.app).post(`/v1/leads/${leadId}/qualify`).set(sales).send({ rep, budget: true, authority: true, need: true, timeline: true }).expect(200);
  await request(t.app).post(`/v1/leads/${leadId}/close`).set(sales).send({ rep, outcome: 'won' }).expect(200);

  // An event shows once every transaction older than it has ended, anywhere on the server (other suites
  // write to it too): read until the last one is there.
  const { events } = await eventually(() => page({ leadId }), (p) => p.events.length === 6);
  expect(events.map((e) => e.type)).toEqual(['lead.captured', 'lead.mql', 'lead.assigned', 'lead.accepted', 'lead.qualified', 'lead.won']);
  expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((a, b) => a - b));
  for (const e of events) expect(anyPublicEventSchema.safeParse(e).success).toBe(true);
  expect(events[2]).toMatchObject({ data: { lead: { email: 'won@events.example', owner: rep }, detail: { owner: rep } } });

  // Filters and errors.
  expect((await page({ leadId, types: 'lead.mql,lead.won' })).events.map((e) => e.type)).toEqual(['lead.mql', 'lead.won']);
  await request(t.app).get('/v1/events').query({ types: 'lead.nope' }).set(read).expect(400);
  await request(t.app).get('/v1/events').query({ after: 'not-a-cursor' }).set(read).expect(400);
  await request(t.app).get('/v1/events').query({ limit: 0 }).set(read).expect(400);
  await request(t.app).get('/v1/events').set(intake).expect(403);
});

test('paging returns every event exactly once across pages while new leads are being written', async () => {
  const emails = Array.from({ length: 30 }, (_, i) => `paging-${i}@events.example`);
  let writing = true;
  const writer = (async () => {
    for (let i = 0; i < emails.length; i += 5) {
      await Promise.all(emails.slice(i, i + 5).map((email) => request(t.app).post('/v1/leads').set(intake).send(mqlForm(email)).expect(202)));
    }
    writing = false;
  })();

  const seen: Page['events'] = [];
  let cursor: string | null = null;
  for (let rounds = 0; rounds < 2000; rounds++) {
    const p: Page = await page({ limit: 7, ...(cursor ? { after: cursor } : {}) });
    seen.push(...p.events);
    cursor = p.nextCursor;
    if (!writing && !p.hasMore) {
      // The writer is done: one more look after the worker has assigned every owner.
      const done = await eventually(
        async () => (await t.db.selectFrom('leads').select('owner').where('email', 'in', emails).execute()).filter((r) => r.owner !== null).length,
        (n) => n === emails.length,
      );
      expect(done).toBe(emails.length);
      const rest: Page = await page({ limit: 500, ...(cursor ? { after: cursor } : {}) });
      seen.push(...rest.events);
      break;
    }
    if (!p.hasMore) await new Promise((r) => setTimeout(r, 50));
  }
  await writer;

  // Exactly once: no id twice, and every published event of these leads is there.
  const ids = seen.map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
  const ours = seen.filter((e) => emails.includes(e.data.lead.email ?? ''));
  expect(ours.filter((e) => e.type === 'lead.captured')).toHaveLength(emails.length);
  expect(ours.filter((e) => e.type === 'lead.mql')).toHaveLength(emails.length);
  expect(ours.filter((e) => e.type === 'lead.assigned')).toHaveLength(emails.length);
  // Per lead in seq order.
  for (const leadId of new Set(ours.map((e) => e.leadId))) {
    const seqs = ours.filter((e) => e.leadId === leadId).map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  }
});

test("an erased lead's events carry nothing personal when read again", async () => {
  const { body } = await request(t.app).post('/v1/leads').set(intake).send(mqlForm('forget-me@events.example')).expect(202);
  const leadId = body.leadId as string;
  await owned(leadId);
  expect(JSON.stringify(await eventually(() => page({ leadId }), (p) => p.events.length === 3))).toContain('forget-me@events.example');
  await request(t.app).post(`/v1/leads/${leadId}/erasure`).set(bearer(testKeys.admin)).send({ requestedBy: 'privacy-officer' }).expect(200);
  const after = await eventually(() => page({ leadId }), (p) => p.events.at(-1)?.type === 'lead.erased');
  expect(JSON.stringify(after)).not.toContain('forget-me@events.example');
  expect(after.events.at(-1)).toMatchObject({ type: 'lead.erased', data: { lead: { email: null, erased: true } } });
});
