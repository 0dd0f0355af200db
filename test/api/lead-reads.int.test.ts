import request from 'supertest';
import { LeadHistory, LeadList, LeadResponse, type LeadView } from '../../api/schemas';
import { bearer, eventually, mqlForm, startApiTestbed, testKeys, type ApiTestbed } from '../support/api-app';
import { testLeadId } from '../support/encryption';

// GET /v1/leads, /v1/leads/{id} and /v1/leads/{id}/history over HTTP, from the PostgreSQL read model
// the real worker writes (and from the workflow itself with ?consistent=true).

let t: ApiTestbed;
const read = bearer(testKeys.read);
const get = (path: string) => request(t.app).get(path).set(read);

const mqlIds: string[] = [];
const inquiryIds: string[] = [];

beforeAll(async () => {
  t = await startApiTestbed();
  const intake = bearer(testKeys.intake);
  for (let i = 0; i < 5; i++) {
    const res = await request(t.app).post('/v1/leads').set(intake).send(mqlForm(`mql-${i}@reads.example`));
    mqlIds.push(res.body.leadId);
  }
  for (let i = 0; i < 4; i++) {
    const res = await request(t.app).post('/v1/leads').set(intake).send({ email: `inquiry-${i}@reads.example`, formType: 'newsletter' });
    inquiryIds.push(res.body.leadId);
  }
  // Owners are assigned just after the form fills are answered.
  await eventually(
    () => t.db.selectFrom('leads').select('owner').where('leadId', 'in', mqlIds).where('owner', 'is not', null).execute(),
    (rows) => rows.length === mqlIds.length,
  );
});
afterAll(async () => {
  await t?.close();
});

describe('GET /v1/leads/{leadId}', () => {
  test('the read model view, and the same from the workflow with consistent=true', async () => {
    const res = await get(`/v1/leads/${mqlIds[0]}`);
    expect(res.status).toBe(200);
    const view = LeadResponse.parse(res.body).lead;
    expect(view).toMatchObject({
      leadId: mqlIds[0],
      stage: 'mql',
      email: 'mql-0@reads.example',
      profile: { email: 'mql-0@reads.example', seniority: 'vp', employeeCount: 1200, country: 'GB' },
      links: { self: `/v1/leads/${mqlIds[0]}`, history: `/v1/leads/${mqlIds[0]}/history`, temporal: `http://localhost:8233/namespaces/default/workflows/${mqlIds[0]}` },
    });
    expect(view.fitScore).toBeGreaterThan(0);
    expect(res.body.lead.state).toBeUndefined(); // the raw state blob is not part of the API

    const consistent = await get(`/v1/leads/${mqlIds[0]}?consistent=true`);
    expect(consistent.status).toBe(200);
    expect(consistent.body).toEqual(res.body);
  });

  test('404 for an unknown lead (both ways), 400 for a malformed id or flag', async () => {
    const unknown = testLeadId('nobody@reads.example');
    for (const path of [`/v1/leads/${unknown}`, `/v1/leads/${unknown}?consistent=true`]) {
      const res = await get(path);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    for (const path of ['/v1/leads/lead-ABC', `/v1/leads/${unknown.toUpperCase()}`, `/v1/leads/${mqlIds[0]}?consistent=yes`]) {
      const res = await get(path);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
  });
});

describe('GET /v1/leads/{leadId}/history', () => {
  test('the events in seq order, paged with afterSeq', async () => {
    const all = await get(`/v1/leads/${mqlIds[1]}/history`);
    expect(all.status).toBe(200);
    const history = LeadHistory.parse(all.body);
    expect(history.events.map((e) => e.type)).toEqual(['LeadCaptured', 'FormFilled', 'LeadBecameMql', 'LeadAssigned']);
    expect(history.events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(history.nextAfterSeq).toBeNull();
    expect(history.events[0]!.data).toMatchObject({ leadId: mqlIds[1], profile: { email: 'mql-1@reads.example' } });

    const first = LeadHistory.parse((await get(`/v1/leads/${mqlIds[1]}/history?limit=3`)).body);
    expect(first.events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(first.nextAfterSeq).toBe(3);
    const second = LeadHistory.parse((await get(`/v1/leads/${mqlIds[1]}/history?limit=3&afterSeq=3`)).body);
    expect(second.events.map((e) => e.seq)).toEqual([4]);
    expect(second.nextAfterSeq).toBeNull();
  });

  test('404 for an unknown lead, 400 for bad paging', async () => {
    expect((await get(`/v1/leads/${testLeadId('nobody@reads.example')}/history`)).status).toBe(404);
    expect((await get(`/v1/leads/${mqlIds[1]}/history?limit=0`)).status).toBe(400);
    expect((await get(`/v1/leads/${mqlIds[1]}/history?afterSeq=-1`)).status).toBe(400);
    // Beyond a PostgreSQL integer: refused, not a 500 (found by fuzzing).
    expect((await get(`/v1/leads/${mqlIds[1]}/history?afterSeq=2147483648`)).status).toBe(400);
  });
});

describe('GET /v1/leads', () => {
  const list = async (query: string) => {
    const res = await get(`/v1/leads${query}`);
    expect(res.status).toBe(200);
    return LeadList.parse(res.body);
  };

  test('keyset pagination walks every lead once, most recently changed first', async () => {
    const seen: LeadView[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(5);
    expect(seen.map((l) => l.leadId).sort()).toEqual([...mqlIds, ...inquiryIds].sort());
    const expected = await t.db.selectFrom('leads').select('leadId').orderBy('updatedAt', 'desc').orderBy('leadId', 'desc').execute();
    expect(seen.map((l) => l.leadId)).toEqual(expected.map((r) => r.leadId));
    expect((await list('')).items).toHaveLength(9); // default limit 50
  });

  test('filters: stage, owner, slaDueBefore', async () => {
    const inquiries = await list('?stage=inquiry');
    expect(inquiries.items.map((l) => l.leadId).sort()).toEqual([...inquiryIds].sort());

    const owner = (await list('?stage=mql')).items[0]!.owner!;
    const owned = await list(`?owner=${encodeURIComponent(owner)}`);
    expect(owned.items.length).toBeGreaterThan(0);
    expect(owned.items.every((l) => l.owner === owner)).toBe(true);

    const soon = await list(`?slaDueBefore=${encodeURIComponent(new Date(Date.now() + 48 * 3_600_000).toISOString())}`);
    expect(soon.items.map((l) => l.leadId).sort()).toEqual([...mqlIds].sort());
    const past = await list(`?slaDueBefore=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}`);
    expect(past.items).toEqual([]);
  });

  test.each([
    ['?limit=0'],
    ['?limit=201'],
    ['?limit=ten'],
    ['?stage=lost'],
    ['?slaDueBefore=tomorrow'],
    ['?cursor=not*base64'],
    [`?cursor=${Buffer.from('["not a date","x"]').toString('base64url')}`],
    [`?cursor=${Buffer.from('{').toString('base64url')}`],
    // PostgreSQL cannot compare text with a NUL in it: this was a 500 (found by npm run fuzz).
    ['?owner=rep%00ada'],
  ])('400 invalid_request for %s', async (query) => {
    const res = await get(`/v1/leads${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
  });
});
