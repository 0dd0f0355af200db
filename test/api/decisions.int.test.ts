import request from 'supertest';
import { LeadHistory, LeadResponse, type LeadView } from '../../api/schemas';
import { bearer, eventually, mqlForm, startApiTestbed, testKeys, type ApiTestbed } from '../support/api-app';
import { testLeadId } from '../support/encryption';

// The sales decisions over HTTP (Temporal Updates of the lead workflow), against a real Temporal dev
// server, a real worker and PostgreSQL.

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

const decide = (leadId: string, decision: string, body: unknown, headers: Record<string, string> = sales) =>
  request(t.app).post(`/v1/leads/${leadId}/${decision}`).set(headers).send(body as object);
const getLead = async (leadId: string): Promise<LeadView> => {
  const res = await request(t.app).get(`/v1/leads/${leadId}`).set(read);
  expect(res.status).toBe(200);
  return LeadResponse.parse(res.body).lead;
};
const eventTypes = async (leadId: string) =>
  (await t.db.selectFrom('leadEvents').select('type').where('leadId', '=', leadId).orderBy('seq').execute()).map((e) => e.type);

/** A new MQL with its owner assigned. */
async function mql(email: string): Promise<string> {
  const res = await request(t.app).post('/v1/leads').set(intake).send(mqlForm(email));
  expect(res.body).toMatchObject({ stage: 'mql' });
  await eventually(() => getLead(res.body.leadId), (l) => l.owner !== null);
  return res.body.leadId as string;
}

async function sql(email: string): Promise<string> {
  const leadId = await mql(email);
  await decide(leadId, 'accept', { rep: 'rep-ada' }).expect(200);
  await decide(leadId, 'qualify', { rep: 'rep-ada', budget: true, authority: true, need: true, timeline: true }).expect(200);
  return leadId;
}

test('a full journey through HTTP only: form fill → engagement → MQL → accept → qualify → won', async () => {
  const form = await request(t.app)
    .post('/v1/leads')
    .set(intake)
    .send({ ...mqlForm('journey@decisions.example'), formType: 'content_download' });
  expect(form.status).toBe(202);
  expect(form.body).toMatchObject({ created: true, stage: 'inquiry' });
  const { leadId } = form.body;

  const at = new Date().toISOString();
  await request(t.app)
    .post(`/v1/leads/${leadId}/engagements`)
    .set(intake)
    .send({ events: [{ type: 'pricing_page_view', occurredAt: at, id: 'j-1' }, { type: 'webinar_attended', occurredAt: at, id: 'j-2' }] })
    .expect(202);
  const mqlView = await eventually(() => getLead(leadId), (l) => l.stage === 'mql' && l.owner !== null);
  expect(mqlView.allowedCommands).toEqual(expect.arrayContaining(['AcceptLead', 'RejectLead', 'DisqualifyLead']));

  const accepted = await decide(leadId, 'accept', { rep: mqlView.owner });
  expect(accepted.status).toBe(200);
  expect(LeadResponse.parse(accepted.body).lead).toMatchObject({ stage: 'sal', owner: mqlView.owner, sla: { kind: 'sal' } });

  const qualified = await decide(leadId, 'qualify', { rep: mqlView.owner, budget: true, authority: true, need: true, timeline: true, note: 'signed NDA' });
  expect(qualified.status).toBe(200);
  expect(qualified.body.lead).toMatchObject({ stage: 'sql', sla: null, opportunityId: expect.any(String) });

  const won = await decide(leadId, 'close', { rep: mqlView.owner, outcome: 'won' });
  expect(won.status).toBe(200);
  const wonView = LeadResponse.parse(won.body).lead;
  expect(wonView).toMatchObject({ stage: 'won', closed: { outcome: 'won', by: mqlView.owner }, allowedCommands: [] });
  expect(Object.keys(wonView.stageReachedAt).sort()).toEqual(['inquiry', 'mql', 'sal', 'sql', 'won'].sort());

  // The read model and the history agree with what the decisions answered.
  expect(await getLead(leadId)).toEqual(wonView);
  const history = await request(t.app).get(`/v1/leads/${leadId}/history`).set(read);
  expect(LeadHistory.parse(history.body).events.map((e) => e.type)).toEqual([
    'LeadCaptured',
    'FormFilled',
    'EngagementRecorded',
    'EngagementRecorded',
    'LeadBecameMql',
    'LeadAssigned',
    'LeadAccepted',
    'LeadQualified',
    'LeadWon',
  ]);

  // Closed: the workflow completes; further decisions are 409 lead_closed.
  await t.env.client.workflow.getHandle(leadId).result();
  const late = await decide(leadId, 'disqualify', { by: 'ops', reason: 'too late' });
  expect(late.status).toBe(409);
  expect(late.body.error).toMatchObject({ code: 'lead_closed', details: { stage: 'won' } });
});

test('reject: a not-ready MQL is recycled, a competitor is disqualified', async () => {
  const recycled = await decide(await mql('notready@decisions.example'), 'reject', { rep: 'rep-ada', reason: 'not_ready', note: 'next year' });
  expect(recycled.status).toBe(200);
  expect(recycled.body.lead).toMatchObject({ stage: 'recycled', recycleReason: 'not_ready', recycleCount: 1, owner: null });

  const competitor = await decide(await mql('rival@decisions.example'), 'reject', { rep: 'rep-ada', reason: 'competitor' });
  expect(competitor.status).toBe(200);
  expect(competitor.body.lead).toMatchObject({ stage: 'disqualified', closed: { outcome: 'disqualified', reason: 'competitor' } });
});

test('qualify with BANT gaps recycles the lead and names the gaps', async () => {
  const leadId = await mql('gaps@decisions.example');
  await decide(leadId, 'accept', { rep: 'rep-ada' }).expect(200);
  const res = await decide(leadId, 'qualify', { rep: 'rep-ada', budget: false, authority: true, need: true, timeline: false });
  expect(res.status).toBe(200);
  expect(res.body.lead).toMatchObject({ stage: 'recycled', recycleReason: 'bant_gaps', bantGaps: ['budget', 'timeline'] });
});

test('close lost: not_now recycles, any other reason disqualifies', async () => {
  const notNow = await decide(await sql('notnow@decisions.example'), 'close', { rep: 'rep-ada', outcome: 'lost', reason: 'not_now' });
  expect(notNow.status).toBe(200);
  expect(notNow.body.lead).toMatchObject({ stage: 'recycled', recycleReason: 'not_now' });

  const lost = await decide(await sql('lost@decisions.example'), 'close', { rep: 'rep-ada', outcome: 'lost', reason: 'chose_competitor' });
  expect(lost.status).toBe(200);
  expect(lost.body.lead).toMatchObject({ stage: 'disqualified', closed: { outcome: 'disqualified', reason: 'chose_competitor' } });
});

test('disqualify from inquiry', async () => {
  const form = await request(t.app).post('/v1/leads').set(intake).send({ email: 'spam@decisions.example', formType: 'newsletter' });
  const res = await decide(form.body.leadId, 'disqualify', { by: 'ops-olga', reason: 'spam' });
  expect(res.status).toBe(200);
  expect(res.body.lead).toMatchObject({ stage: 'disqualified', closed: { outcome: 'disqualified', by: 'ops-olga', reason: 'spam' } });
});

test('409 transition_not_allowed names the stage and what it allows, and records nothing', async () => {
  const leadId = await mql('early@decisions.example');
  const before = await eventTypes(leadId);
  const res = await decide(leadId, 'qualify', { rep: 'rep-ada', budget: true, authority: true, need: true, timeline: true });
  expect(res.status).toBe(409);
  expect(res.body.error).toMatchObject({
    code: 'transition_not_allowed',
    details: { stage: 'mql', command: 'QualifyLead', reason: 'STAGE_DOES_NOT_ALLOW', allowed: expect.arrayContaining(['AcceptLead', 'RejectLead']) },
  });
  const close = await decide(leadId, 'close', { rep: 'rep-ada', outcome: 'won' });
  expect(close.status).toBe(409);
  expect(await eventTypes(leadId)).toEqual(before);
  expect((await getLead(leadId)).stage).toBe('mql');
});

test('404 for an unknown lead; 400 for a malformed id or body', async () => {
  const unknown = await decide(testLeadId('nobody@decisions.example'), 'accept', { rep: 'rep-ada' });
  expect(unknown.status).toBe(404);
  expect(unknown.body.error.code).toBe('not_found');

  const leadId = testLeadId('nobody@decisions.example');
  const cases: [string, string, unknown, (string | number)[]][] = [
    ['lead-123', 'accept', { rep: 'rep-ada' }, ['leadId']],
    [leadId, 'accept', {}, ['rep']],
    [leadId, 'accept', { rep: '   ' }, ['rep']],
    [leadId, 'accept', { rep: 'rep-ada', extra: true }, []],
    [leadId, 'reject', { rep: 'rep-ada', reason: 'bored' }, ['reason']],
    [leadId, 'qualify', { rep: 'rep-ada', budget: 'yes', authority: true, need: true, timeline: true }, ['budget']],
    [leadId, 'close', { rep: 'rep-ada', outcome: 'lost' }, ['reason']],
    [leadId, 'close', { rep: 'rep-ada', outcome: 'tied' }, ['outcome']],
    [leadId, 'disqualify', { by: 'ops' }, ['reason']],
  ];
  for (const [id, decision, body, path] of cases) {
    const res = await decide(id, decision, body);
    expect({ decision, body, status: res.status, code: res.body.error?.code }).toEqual({ decision, body, status: 400, code: 'invalid_request' });
    expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
  }
});

test('Idempotency-Key on a decision: replayed after the stage moved on, applied once, other uses refused', async () => {
  const leadId = await mql('idem@decisions.example');
  const key = { ...sales, 'Idempotency-Key': 'accept-idem-1' };
  const first = await decide(leadId, 'accept', { rep: 'rep-ada' }, key);
  expect(first.status).toBe(200);
  await decide(leadId, 'qualify', { rep: 'rep-ada', budget: true, authority: true, need: true, timeline: true }).expect(200);

  const replay = await decide(leadId, 'accept', { rep: 'rep-ada' }, key);
  expect(replay.status).toBe(200); // not a 409: the first answer, replayed
  expect(replay.headers['idempotent-replayed']).toBe('true');
  expect(replay.body).toEqual(first.body);
  expect((await eventTypes(leadId)).filter((e) => e === 'LeadAccepted')).toHaveLength(1);

  const otherBody = await decide(leadId, 'accept', { rep: 'rep-bob' }, key);
  expect(otherBody.status).toBe(422);
  const otherRoute = await decide(leadId, 'reject', { rep: 'rep-ada', reason: 'not_ready' }, key);
  expect(otherRoute.status).toBe(422);
  expect(otherRoute.body.error.code).toBe('idempotency_key_reused');

  // A refusal is an answer too: it is replayed as it was.
  const refusedKey = { ...sales, 'Idempotency-Key': 'accept-idem-2' };
  const refused = await decide(leadId, 'accept', { rep: 'rep-ada' }, refusedKey);
  expect(refused.status).toBe(409);
  const refusedAgain = await decide(leadId, 'accept', { rep: 'rep-ada' }, refusedKey);
  expect(refusedAgain.status).toBe(409);
  expect(refusedAgain.body).toEqual(refused.body);
  expect(refusedAgain.headers['idempotent-replayed']).toBe('true');
});

test('concurrent duplicate decisions with one Idempotency-Key are one change with one answer', async () => {
  const leadId = await mql('race@decisions.example');
  const key = { ...sales, 'Idempotency-Key': 'accept-race-1' };
  const answers = await Promise.all([1, 2, 3].map(() => decide(leadId, 'accept', { rep: 'rep-ada' }, key)));
  expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
  expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
  expect((await eventTypes(leadId)).filter((e) => e === 'LeadAccepted')).toHaveLength(1);
});
