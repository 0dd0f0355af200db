import { defaultPayloadConverter } from '@temporalio/client';
import request from 'supertest';
import { signWebhookBody } from '../../api/auth';
import { EngagementsAccepted, FormAccepted, LeadResponse } from '../../api/schemas';
import { workflowIdForLead } from '../../client/lead-id';
import { bearer, createTestApp, eventually, mqlForm, startApiTestbed, testKeys, WEBHOOK_SECRET, type ApiTestbed } from '../support/api-app';
import { LeadPayloadCodec } from '../../encryption';
import { decodeHistory, testLeadId } from '../support/encryption';

// POST /v1/leads and POST /v1/leads/{id}/engagements over HTTP, against a real Temporal dev server, a
// real worker and PostgreSQL.

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

const submit = (body: unknown, headers: Record<string, string> = intake) => request(t.app).post('/v1/leads').set(headers).send(body as object);
const eventTypes = async (leadId: string) =>
  (await t.db.selectFrom('leadEvents').select(['seq', 'type']).where('leadId', '=', leadId).orderBy('seq').execute()).map((e) => e.type);

describe('POST /v1/leads', () => {
  test('a demo request from a good fit is captured as an MQL; the read model has it at once', async () => {
    const res = await submit(mqlForm('ada@intake.example'));
    expect(res.status).toBe(202);
    expect(FormAccepted.parse(res.body)).toEqual({ leadId: testLeadId('ada@intake.example'), created: true, stage: 'mql' });

    const lead = await request(t.app).get(`/v1/leads/${res.body.leadId}`).set(read);
    expect(lead.status).toBe(200);
    expect(LeadResponse.parse(lead.body).lead).toMatchObject({
      stage: 'mql',
      email: 'ada@intake.example',
      fullName: 'Ada Lovelace',
      source: { channel: 'web', campaign: 'api-tests' },
    });
    // The owner is assigned right after the answer (an activity of the lead's main loop).
    const assigned = await eventually(
      async () => LeadResponse.parse((await request(t.app).get(`/v1/leads/${res.body.leadId}`).set(read)).body).lead,
      (v) => v.owner !== null,
    );
    expect(assigned.sla).toMatchObject({ kind: 'mql', owner: assigned.owner });
  });

  test('only an email is required: the lead is an inquiry with the default form type', async () => {
    const res = await submit({ email: 'min@intake.example' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ created: true, stage: 'inquiry' });
    const events = await t.db.selectFrom('leadEvents').select(['type', 'data']).where('leadId', '=', res.body.leadId).orderBy('seq').execute();
    expect(events.map((e) => e.type)).toEqual(['LeadCaptured', 'FormFilled']);
    expect(events[1]!.data).toMatchObject({ formType: 'form' });
  });

  test('the same email twice, in different case, is one lead', async () => {
    const first = await submit({ email: 'Grace.Hopper@Intake.example', formType: 'newsletter' });
    const second = await submit({ email: '  grace.hopper@intake.EXAMPLE ', formType: 'content_download', company: 'Navy' });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.leadId).toBe(first.body.leadId);
    expect([first.body.created, second.body.created]).toEqual([true, false]);
    const rows = await t.db.selectFrom('leads').select(['leadId', 'email', 'company']).where('email', '=', 'grace.hopper@intake.example').execute();
    expect(rows).toEqual([{ leadId: first.body.leadId, email: 'grace.hopper@intake.example', company: 'Navy' }]);
    expect(await eventTypes(first.body.leadId)).toEqual(['LeadCaptured', 'FormFilled', 'FormFilled']);
  });

  test('consent is validated and kept in the lead workflow history with the form fill', async () => {
    const consent = { lawfulBasis: 'consent', capturedAt: '2026-11-22T10:00:00Z', text: 'Yes, contact me about Leadflow.' };
    const bad = await submit({ email: 'consent@intake.example', consent: { ...consent, lawfulBasis: 'because' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toEqual(['consent', 'lawfulBasis']);

    const res = await submit({ email: 'consent@intake.example', consent });
    expect(res.status).toBe(202);
    const history = await decodeHistory(await t.env.client.workflow.getHandle(res.body.leadId).fetchHistory(), new LeadPayloadCodec(t.keys));
    const inputs = (history.events ?? [])
      .flatMap((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.args?.payloads ?? [])
      .map((p) => defaultPayloadConverter.fromPayload<{ consent?: unknown }>(p));
    expect(inputs).toEqual([expect.objectContaining({ consent })]);
  });

  test('Idempotency-Key: the first answer is replayed, the form is applied once, another body is refused', async () => {
    const body = mqlForm('idem@intake.example');
    const key = { ...intake, 'Idempotency-Key': 'form-idem-1' };
    const first = await submit(body, key);
    expect(first.status).toBe(202);
    expect(first.body.created).toBe(true);
    const replay = await submit(body, key);
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual(first.body); // still created: true, the stored first answer
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect((await eventTypes(first.body.leadId)).slice(0, 3)).toEqual(['LeadCaptured', 'FormFilled', 'LeadBecameMql']);
    expect((await eventTypes(first.body.leadId)).filter((e) => e === 'FormFilled')).toHaveLength(1);

    const other = await submit({ ...body, company: 'Someone Else Ltd' }, key);
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');

    // Another API key has its own key space (here: the signed webhook principal would, too).
    const admin = await submit({ ...body, company: 'Someone Else Ltd' }, { ...bearer(testKeys.admin), 'Idempotency-Key': 'form-idem-1' });
    expect(admin.status).toBe(202);
    expect(admin.body.created).toBe(false);

    const bad = await submit(body, { ...intake, 'Idempotency-Key': 'has spaces' });
    expect(bad.status).toBe(400);
  });

  test('concurrent duplicates with one Idempotency-Key collapse into one form fill', async () => {
    const body = mqlForm('race@intake.example');
    const key = { ...intake, 'Idempotency-Key': 'form-race-1' };
    const answers = await Promise.all([submit(body, key), submit(body, key), submit(body, key)]);
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
    expect(answers[0].body.created).toBe(true);
    expect((await eventTypes(answers[0].body.leadId)).filter((e) => e === 'FormFilled')).toHaveLength(1);
  });

  test.each([
    ['no email', { firstName: 'Nobody' }, ['email']],
    ['an invalid email', { email: 'not-an-email' }, ['email']],
    ['a string employee count', { email: 'x@intake.example', employeeCount: 'many' }, ['employeeCount']],
    ['a three-letter country', { email: 'x@intake.example', country: 'DEU' }, ['country']],
    ['an empty form type', { email: 'x@intake.example', formType: ' ' }, ['formType']],
  ])('400 invalid_request for %s, with the zod issues', async (_name, body, path) => {
    const res = await submit(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
  });

  test('400 invalid_json, 415 for text/plain, 413 for a body over 1 MB', async () => {
    const broken = await request(t.app).post('/v1/leads').set(intake).set('Content-Type', 'application/json').send('{"email": ');
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('invalid_json');

    const text = await request(t.app).post('/v1/leads').set(intake).set('Content-Type', 'text/plain').send('email=a@b.example');
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('unsupported_media_type');

    const huge = await submit({ email: 'huge@intake.example', jobTitle: 'x'.repeat(1_100_000) });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
  });

  test('a closed lead is never restarted: 409 lead_closed, nothing recorded', async () => {
    const captured = await submit({ email: 'closed@intake.example', formType: 'newsletter' });
    const { leadId } = captured.body;
    const dq = await request(t.app).post(`/v1/leads/${leadId}/disqualify`).set(sales).send({ by: 'ops-olga', reason: 'spam' });
    expect(dq.status).toBe(200);
    const handle = t.env.client.workflow.getHandle(leadId);
    await handle.result(); // the workflow has completed
    const before = await eventTypes(leadId);
    const { runId } = await handle.describe();

    const again = await submit({ email: 'CLOSED@intake.example', formType: 'demo_request' });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'lead_closed', details: { stage: 'disqualified' } });
    expect(await eventTypes(leadId)).toEqual(before);
    const after = await handle.describe();
    expect(after.runId).toBe(runId);
    expect(after.status.name).toBe('COMPLETED');
  });
});

describe('signed webhooks', () => {
  const signed = (raw: string, timestamp = Math.floor(Date.now() / 1000), secret = WEBHOOK_SECRET, signedBody = raw) =>
    request(t.app)
      .post('/v1/leads')
      .set('Content-Type', 'application/json')
      .set('X-Leadflow-Timestamp', String(timestamp))
      .set('X-Leadflow-Signature', signWebhookBody(secret, timestamp, signedBody))
      .send(raw);

  test('a form fill signed with the webhook secret is accepted without an API key', async () => {
    const res = await signed(JSON.stringify({ email: 'hook@intake.example', formType: 'webinar' }));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ leadId: testLeadId('hook@intake.example'), created: true });
  });

  test('a tampered, stale or wrongly keyed signature is refused and nothing is captured', async () => {
    const raw = JSON.stringify({ email: 'tampered@intake.example' });
    const tampered = await signed(raw, undefined, WEBHOOK_SECRET, JSON.stringify({ email: 'original@intake.example' }));
    const stale = await signed(raw, Math.floor(Date.now() / 1000) - 10 * 60);
    const wrongKey = await signed(raw, undefined, 'another-secret-0123456789abcdef');
    for (const res of [tampered, stale, wrongKey]) {
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('invalid_signature');
    }
    const rows = await t.db.selectFrom('leads').select('leadId').where('leadId', '=', testLeadId('tampered@intake.example')).execute();
    expect(rows).toEqual([]);
  });

  test('a signature is taken once: a replay within the window is 401 replayed_signature, in every API process', async () => {
    const raw = JSON.stringify({ email: 'replayed@intake.example', formType: 'webinar' });
    const ts = Math.floor(Date.now() / 1000);
    const first = await signed(raw, ts);
    expect(first.status).toBe(202);
    const replay = await signed(raw, ts);
    expect(replay.status).toBe(401);
    expect(replay.body.error).toMatchObject({ code: 'replayed_signature', message: expect.stringContaining('new x-leadflow-timestamp') });
    // Another API process over the same database knows the signature too.
    const otherProcess = createTestApp({ client: t.env.client, db: t.db, dataKeys: t.keys });
    const elsewhere = await request(otherProcess)
      .post('/v1/leads')
      .set('Content-Type', 'application/json')
      .set('X-Leadflow-Timestamp', String(ts))
      .set('X-Leadflow-Signature', signWebhookBody(WEBHOOK_SECRET, ts, raw))
      .send(raw);
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.body.error.code).toBe('replayed_signature');
    // A genuine retry signs again, with a new timestamp.
    const retry = await signed(raw, ts + 1);
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ leadId: first.body.leadId, created: false });
    const forms = await t.db.selectFrom('leadEvents').select('type').where('leadId', '=', first.body.leadId).where('type', '=', 'FormFilled').execute();
    expect(forms).toHaveLength(2);
  });

  test('a signature does not open the other routes', async () => {
    const raw = JSON.stringify({ type: 'page_view', occurredAt: new Date().toISOString() });
    const ts = Math.floor(Date.now() / 1000);
    const res = await request(t.app)
      .post(`/v1/leads/${testLeadId('hook@intake.example')}/engagements`)
      .set('Content-Type', 'application/json')
      .set('X-Leadflow-Timestamp', String(ts))
      .set('X-Leadflow-Signature', signWebhookBody(WEBHOOK_SECRET, ts, raw))
      .send(raw);
    expect(res.status).toBe(401);
  });
});

describe('POST /v1/leads/{leadId}/engagements', () => {
  const engage = (leadId: string, body: unknown, headers = intake) =>
    request(t.app).post(`/v1/leads/${leadId}/engagements`).set(headers).send(body as object);

  test('one event or a batch is accepted and scored by the lead', async () => {
    const { body: lead } = await submit({ ...mqlForm('engaged@intake.example'), formType: 'newsletter' });
    expect(lead.stage).toBe('inquiry');
    const at = new Date().toISOString();
    const one = await engage(lead.leadId, { type: 'pricing_page_view', occurredAt: at, id: 'e-1' });
    expect(one.status).toBe(202);
    expect(EngagementsAccepted.parse(one.body)).toEqual({ leadId: lead.leadId, accepted: 1 });
    const batch = await engage(lead.leadId, {
      events: [
        { type: 'webinar_attended', occurredAt: at, id: 'e-2' },
        { type: 'pricing_page_view', occurredAt: at, id: 'e-1' }, // a re-delivery: dropped by the lead
        { type: 'email_click', occurredAt: at },
      ],
    });
    expect(batch.status).toBe(202);
    expect(batch.body.accepted).toBe(3);

    const recorded = await eventually(
      async () => (await eventTypes(lead.leadId)).filter((e) => e === 'EngagementRecorded').length,
      (n) => n === 3,
    );
    expect(recorded).toBe(3);
    // newsletter 2 + pricing 10 + webinar 12 + click 3 = 27 < 30: still an inquiry, with the score in the read model
    const view = await request(t.app).get(`/v1/leads/${lead.leadId}`).set(read);
    expect(view.body.lead).toMatchObject({ stage: 'inquiry', engagementScore: 27 });
  });

  test('a burst of requests to one lead is answered 202 each and arrives in fewer signals, every event once', async () => {
    const { body: lead } = await submit({ ...mqlForm('burst@intake.example'), formType: 'newsletter', seniority: 'student' });
    const at = new Date().toISOString();
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => engage(lead.leadId, { type: i % 2 ? 'page_view' : 'email_open', occurredAt: at, id: `burst-${i}` })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 40 }, () => 202));
    const recorded = await eventually(
      async () => (await eventTypes(lead.leadId)).filter((e) => e === 'EngagementRecorded').length,
      (n) => n === 40,
    );
    expect(recorded).toBe(40);
    // The requests were in flight together: they shared signals (LEADFLOW_ENGAGEMENT_COALESCE_MS).
    const history = await t.env.client.workflow.getHandle(workflowIdForLead(lead.leadId)).fetchHistory();
    const signals = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes);
    expect(signals.length).toBeGreaterThan(0);
    expect(signals.length).toBeLessThan(40);
  });

  test('404 for an unknown lead, 400 for a malformed id or body', async () => {
    const unknown = await engage(testLeadId('nobody@intake.example'), { type: 'page_view', occurredAt: new Date().toISOString() });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');

    const badId = await engage('lead-XYZ', { type: 'page_view', occurredAt: new Date().toISOString() });
    expect(badId.status).toBe(400);
    expect(badId.body.error.details[0].path).toEqual(['leadId']);

    const known = testLeadId('engaged@intake.example');
    for (const body of [{ type: 'page_view' }, { events: [] }, { type: 'page_view', occurredAt: 'yesterday' }, {}]) {
      const res = await engage(known, body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
  });

  test('409 lead_closed for a won or disqualified lead', async () => {
    const { body: lead } = await submit({ email: 'gone@intake.example' });
    await request(t.app).post(`/v1/leads/${lead.leadId}/disqualify`).set(sales).send({ by: 'ops', reason: 'duplicate' }).expect(200);
    await t.env.client.workflow.getHandle(lead.leadId).result();
    const res = await engage(lead.leadId, { type: 'page_view', occurredAt: new Date().toISOString() });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'lead_closed', details: { stage: 'disqualified' } });
  });
});
