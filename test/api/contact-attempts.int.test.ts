import request from 'supertest';
import { LeadResponse, LeadScore, type LeadView } from '../../api/schemas';
import { policyVersionOf } from '../../config/policy-file';
import { defaultLeadPolicyInput, parseLeadPolicy } from '../../domain/lead-policy';
import { bearer, eventually, mqlForm, startApiTestbed, testKeys, type ApiTestbed } from '../support/api-app';
import { testLeadId } from '../support/encryption';
import { loadEvents } from '../../db/lead-events.repository';
import { keyStoreSealer } from '../../encryption';

// Contact attempts, the not_ready rejection they gate, and unsubscribes, over HTTP against a real Temporal
// dev server, a real worker and PostgreSQL. The app runs a policy that wants 2 contact attempts before a
// lead may be rejected as not_ready; it reaches each lead in its workflow input.

const parsed = parseLeadPolicy({ ...defaultLeadPolicyInput, sla: { ...defaultLeadPolicyInput.sla, contactAttemptsBeforeNotReady: 2 } });
const policy = { ...parsed, version: policyVersionOf(parsed) };

let t: ApiTestbed;

beforeAll(async () => {
  t = await startApiTestbed({ policy });
});
afterAll(async () => {
  await t?.close();
});

const intake = bearer(testKeys.intake);
const sales = bearer(testKeys.sales);
const read = bearer(testKeys.read);

const post = (leadId: string, what: string, body: unknown, headers: Record<string, string> = sales) =>
  request(t.app).post(`/v1/leads/${leadId}/${what}`).set(headers).send(body as object);
const attempt = (leadId: string, body: unknown, headers?: Record<string, string>) => post(leadId, 'contact-attempts', body, headers);
const getLead = async (leadId: string): Promise<LeadView> => {
  const res = await request(t.app).get(`/v1/leads/${leadId}`).set(read);
  expect(res.status).toBe(200);
  return LeadResponse.parse(res.body).lead;
};
/** The lead's events as recorded (the note is sealed with the lead's key in lead_events). */
const events = (leadId: string) => loadEvents(t.db, keyStoreSealer(t.keys), leadId);

/** A new MQL with its owner assigned. */
async function mql(email: string): Promise<LeadView> {
  const res = await request(t.app).post('/v1/leads').set(intake).send(mqlForm(email));
  expect(res.body).toMatchObject({ stage: 'mql' });
  return eventually(() => getLead(res.body.leadId), (l) => l.owner !== null);
}

async function sal(email: string): Promise<LeadView> {
  const lead = await mql(email);
  const accepted = await post(lead.leadId, 'accept', { rep: lead.owner });
  expect(accepted.status).toBe(200);
  return LeadResponse.parse(accepted.body).lead;
}

describe('POST /v1/leads/{leadId}/contact-attempts and the not_ready rejection', () => {
  test('not_ready is refused (409 CONTACT_ATTEMPTS_REQUIRED) until 2 attempts are recorded, then recycles the lead', async () => {
    const lead = await sal('attempts@contact.example');
    expect(lead).toMatchObject({ stage: 'sal', contactAttempts: 0 });
    expect(lead.allowedCommands).toEqual(expect.arrayContaining(['RecordContactAttempt', 'RejectLead']));

    const eventsBefore = await events(lead.leadId);
    const refused = await post(lead.leadId, 'reject', { rep: lead.owner, reason: 'not_ready' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toEqual({
      code: 'transition_not_allowed',
      message: 'not_ready needs 2 recorded contact attempt(s) first (POST /v1/leads/{id}/contact-attempts); 0 so far',
      details: { stage: 'sal', command: 'RejectLead', allowed: expect.arrayContaining(['RejectLead']), reason: 'CONTACT_ATTEMPTS_REQUIRED' },
    });

    const first = await attempt(lead.leadId, { rep: lead.owner, channel: 'phone', outcome: 'no_answer', note: 'rang twice' });
    expect(first.status).toBe(200);
    expect(LeadResponse.parse(first.body).lead).toMatchObject({ stage: 'sal', contactAttempts: 1 });
    // The refusal recorded nothing; the attempt is one event.
    const recorded = (await events(lead.leadId)).slice(eventsBefore.length);
    expect(recorded.map((e) => [e.type, e.data])).toEqual([
      ['ContactAttemptRecorded', { rep: lead.owner, channel: 'phone', outcome: 'no_answer', note: 'rang twice', attempt: 1 }],
    ]);

    const stillRefused = await post(lead.leadId, 'reject', { rep: lead.owner, reason: 'not_ready' });
    expect(stillRefused.status).toBe(409);
    expect(stillRefused.body.error).toMatchObject({ details: { reason: 'CONTACT_ATTEMPTS_REQUIRED' }, message: expect.stringContaining('1 so far') });

    const second = await attempt(lead.leadId, { rep: lead.owner, channel: 'email' });
    expect(LeadResponse.parse(second.body).lead.contactAttempts).toBe(2);
    expect(await getLead(lead.leadId)).toMatchObject({ contactAttempts: 2 });

    const rejected = await post(lead.leadId, 'reject', { rep: lead.owner, reason: 'not_ready', note: 'no project this year' });
    expect(rejected.status).toBe(200);
    expect(LeadResponse.parse(rejected.body).lead).toMatchObject({ stage: 'recycled', recycleReason: 'not_ready', contactAttempts: 0 });
    expect((await events(lead.leadId)).map((e) => e.type).slice(-2)).toEqual(['LeadRejected', 'LeadRecycled']);

    // A recycled lead takes no contact attempts.
    const late = await attempt(lead.leadId, { rep: lead.owner, channel: 'phone' });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'transition_not_allowed', details: { stage: 'recycled', reason: 'STAGE_DOES_NOT_ALLOW' } });

    // Recycling resets engagement: the score explanation starts over and still adds up.
    const s = LeadScore.parse((await request(t.app).get(`/v1/leads/${lead.leadId}/score`).set(read).expect(200)).body);
    expect(s).toMatchObject({ stage: 'recycled', policyVersion: policy.version, activePolicyVersion: policy.version });
    expect(s.engagement.reasons.reduce((sum, r) => sum + r.points, 0)).toBe(s.engagement.score);
    expect(s.mql.blockedBy).toEqual(expect.arrayContaining([expect.stringMatching(/^cool_off_until:/)]));
  });

  test('only not_ready waits for attempts: other reasons reject a SAL at once', async () => {
    const lead = await sal('budget@contact.example');
    const rejected = await post(lead.leadId, 'reject', { rep: lead.owner, reason: 'no_budget' });
    expect(rejected.status).toBe(200);
    expect(rejected.body.lead).toMatchObject({ stage: 'recycled', recycleReason: 'no_budget' });
  });

  test('409 before the lead is accepted: an MQL takes no contact attempts', async () => {
    const lead = await mql('early@contact.example');
    const res = await attempt(lead.leadId, { rep: lead.owner, channel: 'phone' });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: 'transition_not_allowed',
      details: { stage: 'mql', command: 'RecordContactAttempt', reason: 'STAGE_DOES_NOT_ALLOW', allowed: expect.not.arrayContaining(['RecordContactAttempt']) },
    });
    expect((await getLead(lead.leadId)).contactAttempts).toBe(0);
  });

  test('Idempotency-Key: a retried attempt is recorded once and answered the same', async () => {
    const lead = await sal('retry@contact.example');
    const key = { ...sales, 'Idempotency-Key': 'attempt-retry-1' };
    const first = await attempt(lead.leadId, { rep: lead.owner, channel: 'linkedin', outcome: 'connected' }, key);
    const again = await attempt(lead.leadId, { rep: lead.owner, channel: 'linkedin', outcome: 'connected' }, key);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await getLead(lead.leadId)).contactAttempts).toBe(1);
    const reused = await attempt(lead.leadId, { rep: lead.owner, channel: 'phone' }, key);
    expect(reused.status).toBe(422);
  });

  test('400 for a malformed body or id, 404 for an unknown lead, 409 for a closed one', async () => {
    const lead = await sal('bodies@contact.example');
    for (const body of [{ rep: lead.owner }, { rep: lead.owner, channel: 'fax' }, { rep: lead.owner, channel: 'phone', outcome: 'maybe' }, { rep: '', channel: 'phone' }, { rep: lead.owner, channel: 'phone', extra: 1 }]) {
      const res = await attempt(lead.leadId, body);
      expect({ body, status: res.status, code: res.body.error?.code }).toEqual({ body, status: 400, code: 'invalid_request' });
    }
    expect((await attempt('lead-XYZ', { rep: 'rep-ada', channel: 'phone' })).status).toBe(400);
    const unknown = await attempt(testLeadId('nobody@contact.example'), { rep: 'rep-ada', channel: 'phone' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');

    await post(lead.leadId, 'disqualify', { by: 'ops', reason: 'duplicate' }).expect(200);
    await t.env.client.workflow.getHandle(lead.leadId).result();
    const closed = await attempt(lead.leadId, { rep: lead.owner, channel: 'phone' });
    expect(closed.status).toBe(409);
    expect(closed.body.error).toMatchObject({ code: 'lead_closed', details: { stage: 'disqualified' } });
  });
});

describe('POST /v1/leads/{leadId}/unsubscribe', () => {
  test('202 at once; the lead turns unsubscribed, once, and nurture no longer qualifies it', async () => {
    const form = await request(t.app).post('/v1/leads').set(intake).send({ ...mqlForm('optout@contact.example'), formType: 'newsletter' }).expect(202);
    const { leadId } = form.body as { leadId: string };
    expect((await getLead(leadId)).unsubscribed).toBe(false);

    const res = await request(t.app).post(`/v1/leads/${leadId}/unsubscribe`).set(intake);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ leadId });
    await eventually(() => getLead(leadId), (l) => l.unsubscribed);

    // Again (say, a re-delivered webhook), with an empty JSON body this time: accepted, nothing new recorded.
    await request(t.app).post(`/v1/leads/${leadId}/unsubscribe`).set(intake).send({}).expect(202);
    await request(t.app)
      .post(`/v1/leads/${leadId}/engagements`)
      .set(intake)
      .send({ events: [{ type: 'pricing_page_view', occurredAt: new Date().toISOString(), id: 'after-optout' }] })
      .expect(202);
    const s = await eventually(
      async () => LeadScore.parse((await request(t.app).get(`/v1/leads/${leadId}/score`).set(read)).body),
      (x) => x.engagement.reasons.some((r) => r.engagementId === 'after-optout'),
    );
    expect((await events(leadId)).filter((e) => e.type === 'LeadUnsubscribed')).toHaveLength(1);
    expect(s.mql.blockedBy).toContain('unsubscribed');
    expect(s.stage).toBe('inquiry');
  });

  test('404 for an unknown lead, 400 for a malformed id, 409 for a closed lead; intake scope only', async () => {
    const unknown = await request(t.app).post(`/v1/leads/${testLeadId('nobody@contact.example')}/unsubscribe`).set(intake);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    expect((await request(t.app).post('/v1/leads/lead-XYZ/unsubscribe').set(intake)).status).toBe(400);

    const lead = await mql('closed-optout@contact.example');
    expect((await request(t.app).post(`/v1/leads/${lead.leadId}/unsubscribe`).set(sales)).status).toBe(403);
    await post(lead.leadId, 'disqualify', { by: 'ops', reason: 'spam' }).expect(200);
    await t.env.client.workflow.getHandle(lead.leadId).result();
    const closed = await request(t.app).post(`/v1/leads/${lead.leadId}/unsubscribe`).set(intake);
    expect(closed.status).toBe(409);
    expect(closed.body.error).toMatchObject({ code: 'lead_closed', details: { stage: 'disqualified' } });
  });
});
