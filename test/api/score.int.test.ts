import request from 'supertest';
import { LeadScore } from '../../api/schemas';
import { builtInPolicy, policyVersionOf } from '../../config/policy-file';
import { savePolicyVersion } from '../../db/policy-versions.repository';
import type { LeadPolicy } from '../../domain/lead-policy';
import { bearer, createTestApp, eventually, mqlForm, startApiTestbed, testKeys, type ApiTestbed } from '../support/api-app';
import { testLeadId } from '../support/encryption';

// GET /v1/leads/{leadId}/score over HTTP: the fit rules, the scored engagement events and the MQL
// readiness, against a real Temporal dev server, a real worker and PostgreSQL (built-in policy).

let t: ApiTestbed;

beforeAll(async () => {
  t = await startApiTestbed();
});
afterAll(async () => {
  await t?.close();
});

const intake = bearer(testKeys.intake);
const read = bearer(testKeys.read);
const policy = builtInPolicy();

const score = async (leadId: string, app = t.app): Promise<LeadScore> => {
  const res = await request(app).get(`/v1/leads/${leadId}/score`).set(read);
  expect(res.status).toBe(200);
  return LeadScore.parse(res.body);
};
const engage = (leadId: string, events: { type: string; id: string }[]) =>
  request(t.app)
    .post(`/v1/leads/${leadId}/engagements`)
    .set(intake)
    .send({ events: events.map((e) => ({ ...e, occurredAt: new Date().toISOString() })) })
    .expect(202);
const sum = (reasons: { points: number }[]) => reasons.reduce((s, r) => s + r.points, 0);

test('after a form fill and engagement: every fit rule and scored event, adding up to the scores', async () => {
  const form = await request(t.app)
    .post('/v1/leads')
    .set(intake)
    .send({ ...mqlForm('scored@score.example'), formType: 'content_download' })
    .expect(202);
  const { leadId } = form.body as { leadId: string };

  // 12 page views: 1 point each, capped at 10 for the type, so the last two score nothing.
  await engage(leadId, Array.from({ length: 12 }, (_, i) => ({ type: 'page_view', id: `pv-${i}` })));
  const before = await eventually(() => score(leadId), (s) => s.engagement.reasons.length === 13);

  expect(before).toMatchObject({
    leadId,
    stage: 'inquiry',
    policyVersion: null,
    activePolicyVersion: policy.version,
    explainedWithPolicyVersion: policy.version,
    fit: { score: 75, threshold: policy.fit.threshold },
    engagement: { score: 18, threshold: policy.engagement.threshold },
    mql: { via: null, blockedBy: ['engagement_below_threshold'] },
  });
  expect(before.fit.reasons).toEqual([
    { rule: 'seniority:vp', points: 25 },
    { rule: 'employees>=1000', points: 25 },
    { rule: 'industry:software', points: 15 },
    { rule: 'country:GB', points: 10 },
  ]);
  expect(sum(before.fit.reasons)).toBe(before.fit.score);
  expect(before.engagement.reasons[0]).toMatchObject({ rule: 'form:content_download', points: 8 });
  const pageViews = before.engagement.reasons.slice(1);
  expect(pageViews.map((r) => r.points)).toEqual([...Array(10).fill(1), 0, 0]);
  expect(pageViews[11]).toMatchObject({ rule: 'engagement:page_view', engagementId: 'pv-11', note: expect.stringContaining('capped') });
  expect(sum(before.engagement.reasons)).toBe(before.engagement.score);
  // The seq of each reason is the event behind it in the lead's history.
  const history = await request(t.app).get(`/v1/leads/${leadId}/history`).set(read).expect(200);
  const bySeq = new Map((history.body.events as { seq: number; type: string }[]).map((e) => [e.seq, e.type]));
  expect(before.engagement.reasons.map((r) => bySeq.get(r.seq))).toEqual(['FormFilled', ...Array(12).fill('EngagementRecorded')]);

  // Two pricing page views (10 each) cross the engagement threshold: the lead becomes an MQL.
  await engage(leadId, [
    { type: 'pricing_page_view', id: 'pp-1' },
    { type: 'pricing_page_view', id: 'pp-2' },
  ]);
  const after = await eventually(() => score(leadId), (s) => s.stage === 'mql');
  expect(after.engagement.score).toBe(38);
  expect(sum(after.engagement.reasons)).toBe(after.engagement.score);
  expect(after.policyVersion).toBe(policy.version);
  expect(after.mql).toEqual({ via: null, blockedBy: ['stage:mql'] });
  // The score agrees with the lead itself.
  const lead = await request(t.app).get(`/v1/leads/${leadId}`).set(read).expect(200);
  expect({ fit: lead.body.lead.fitScore, engagement: lead.body.lead.engagementScore }).toEqual({ fit: after.fit.score, engagement: after.engagement.score });
});

test('a weak profile: the fit rules say why, and readiness names every blocker', async () => {
  const form = await request(t.app)
    .post('/v1/leads')
    .set(intake)
    .send({ email: 'weak@gmail.com', seniority: 'student', country: 'BR', formType: 'newsletter' })
    .expect(202);
  const s = await score(form.body.leadId);
  expect(s.fit.reasons).toEqual([
    { rule: 'seniority:student', points: -40 },
    { rule: 'free_mail:gmail.com', points: -20 },
  ]);
  expect(s.fit.score).toBe(-60);
  expect(s.engagement).toMatchObject({ score: 2, reasons: [{ rule: 'form:newsletter', points: 2 }] });
  expect(s.mql.via).toBeNull();
  expect(s.mql.blockedBy).toEqual(
    expect.arrayContaining(['missing:fullName', 'missing:phone', 'fit_below_threshold', 'engagement_below_threshold']),
  );
});

test('after the policy changes, a lead is still explained by the version that scored it', async () => {
  // What the API and the worker do at start-up: keep the policy they run with, under its version.
  await savePolicyVersion(t.db, policy);
  const form = await request(t.app).post('/v1/leads').set(intake).send(mqlForm('v1@score.example')).expect(202);
  const { leadId } = form.body as { leadId: string };
  const scored = await eventually(() => score(leadId), (s) => s.policyVersion === policy.version);

  // Marketing ops roll out a policy that weighs seniority differently and raises the fit threshold.
  const changed: LeadPolicy = {
    ...policy,
    fit: { ...policy.fit, threshold: policy.fit.threshold + 20, seniority: { ...policy.fit.seniority, vp: 5 } },
  };
  const v2: LeadPolicy = { ...changed, version: policyVersionOf(changed) };
  const after = await score(leadId, createTestApp({ client: t.env.client, db: t.db, dataKeys: t.keys, policy: v2 }));
  expect(after).toMatchObject({ policyVersion: policy.version, activePolicyVersion: v2.version, explainedWithPolicyVersion: policy.version });
  expect(after.fit).toEqual(scored.fit);
  expect(sum(after.fit.reasons)).toBe(after.fit.score);

  // A version this deployment never kept (a lead from elsewhere, a test policy): the active one explains it.
  await t.db.deleteFrom('policyVersions').where('version', '=', policy.version).execute();
  const unknown = await score(leadId, createTestApp({ client: t.env.client, db: t.db, dataKeys: t.keys, policy: v2 }));
  expect(unknown).toMatchObject({ explainedWithPolicyVersion: v2.version, fit: { threshold: v2.fit.threshold } });
  expect(unknown.fit.reasons).toContainEqual({ rule: 'seniority:vp', points: 5 });
});

test('404 for an unknown lead, 400 for a malformed id', async () => {
  const unknown = await request(t.app).get(`/v1/leads/${testLeadId('nobody@score.example')}/score`).set(read);
  expect(unknown.status).toBe(404);
  expect(unknown.body.error.code).toBe('not_found');
  const bad = await request(t.app).get('/v1/leads/lead-XYZ/score').set(read);
  expect(bad.status).toBe(400);
  expect(bad.body.error.code).toBe('invalid_request');
});
