import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { defaultLeadPolicy } from '../../domain/lead-policy';
import { acceptUpdate, rejectUpdate } from '../../workflows/lead.messages';
import {
  captureLead,
  DAY,
  demoRequestForm,
  EventType,
  eventsOf,
  eventTypes,
  historyEvents,
  HOUR,
  kindsAndRecipients,
  leadState,
  MINUTE,
  sleepUntil,
  terminateIfRunning,
  uniqueEmail,
  waitFor,
  waitForState,
} from '../support/lead-workflow-helpers';
import { createTestWorker, createTimeSkippingEnv, workflowBundle } from '../support/temporal-env';

/*
 * SLA clocks of the lead workflow on the time-skipping test server, with the default policy's real
 * windows: MQL 24 h (reminder at 18 h, one reassignment, hand-back at 48 h), SAL 5 days (reminder at
 * 90 h, one reassignment, hand-back at 10 days). Time only moves through env.sleep.
 */

const policy = defaultLeadPolicy;
const MANAGER = policy.routing.manager;
const REPS = policy.routing.reps.map((r) => r.id);

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  await workflowBundle();
}, 180_000);

afterAll(async () => {
  await env?.teardown();
});

/** Submits a demo request and waits for the first owner: returns the MQL instant and that owner. */
async function newMql(label: string) {
  const email = uniqueEmail(label);
  const { leadId, handle, answer } = await captureLead(env, email, demoRequestForm(email));
  expect(answer).toEqual({ leadId, created: true, stage: 'mql' });
  const state = await waitForState(handle, (s) => s.owner !== undefined, 'first owner');
  const mqlAt = Date.parse(state.firstReachedAt.mql!);
  return { leadId, handle, state, mqlAt, owner: state.owner! };
}

describe('lead workflow SLA timers (time-skipping, default policy)', () => {
  test('an untouched MQL is reminded at 18 h, reassigned at 24 h and handed back to marketing at 48 h', async () => {
    const { worker, recorder } = await createTestWorker(env);
    await worker.runUntil(async () => {
      const { leadId, handle, state, mqlAt, owner: firstOwner } = await newMql('sla-untouched');

      expect(REPS).toContain(firstOwner);
      expect(state.stage).toBe('mql');
      expect(state.sla).toMatchObject({ kind: 'mql', owner: firstOwner, reminded: false });
      const firstStart = Date.parse(state.sla!.startedAt);
      expect(firstStart - mqlAt).toBeLessThan(MINUTE);
      expect(Date.parse(state.sla!.remindAt) - firstStart).toBe(18 * HOUR);
      expect(Date.parse(state.sla!.dueAt) - firstStart).toBe(24 * HOUR);
      expect(eventTypes(recorder, leadId)).toEqual(['LeadCaptured', 'FormFilled', 'LeadBecameMql', 'LeadAssigned']);
      expect(eventsOf(recorder, leadId, 'LeadBecameMql')[0]!.data).toMatchObject({ via: 'hand_raiser', mqlCycle: 1 });
      expect(eventsOf(recorder, leadId, 'LeadAssigned')[0]!.data).toMatchObject({
        owner: firstOwner,
        slaKind: 'mql',
        assignment: 1,
        remindAt: state.sla!.remindAt,
        slaDueAt: state.sla!.dueAt,
      });
      await waitFor(() => kindsAndRecipients(recorder, leadId), (n) => n.length === 1, 'lead_assigned notification');
      expect(kindsAndRecipients(recorder, leadId)).toEqual([['lead_assigned', firstOwner]]);

      // 17 h 59 m: nothing yet.
      await sleepUntil(env, firstStart + 17 * HOUR + 59 * MINUTE, handle);
      expect((await leadState(handle)).sla).toMatchObject({ owner: firstOwner, reminded: false });
      expect(eventsOf(recorder, leadId, 'SlaReminderSent')).toHaveLength(0);
      expect(kindsAndRecipients(recorder, leadId)).toEqual([['lead_assigned', firstOwner]]);

      // 18 h: the owner is reminded.
      await sleepUntil(env, state.sla!.remindAt, handle);
      await waitForState(handle, (s) => s.sla?.reminded === true, 'reminder at 18 h');
      const [reminder] = eventsOf(recorder, leadId, 'SlaReminderSent');
      expect(reminder!.data).toEqual({ owner: firstOwner, slaKind: 'mql', slaDueAt: state.sla!.dueAt });
      expect(Date.parse(reminder!.occurredAt) - firstStart).toBeGreaterThanOrEqual(18 * HOUR);
      expect(Date.parse(reminder!.occurredAt) - firstStart).toBeLessThan(18 * HOUR + MINUTE);
      await waitFor(() => kindsAndRecipients(recorder, leadId), (n) => n.length === 2, 'sla_reminder notification');
      expect(kindsAndRecipients(recorder, leadId)).toEqual([
        ['lead_assigned', firstOwner],
        ['sla_reminder', firstOwner],
      ]);

      // 23 h 59 m: still the first owner's window.
      await sleepUntil(env, firstStart + 23 * HOUR + 59 * MINUTE, handle);
      expect(eventsOf(recorder, leadId, 'SlaBreached')).toHaveLength(0);
      expect((await leadState(handle)).owner).toBe(firstOwner);

      // 24 h: breach, escalation to the manager and a new 24 h window for a different rep.
      await sleepUntil(env, state.sla!.dueAt, handle);
      const reassigned = await waitForState(
        handle,
        (s) => s.owner !== undefined && s.owner !== firstOwner,
        'reassignment after the first breach',
      );
      const [breach1] = eventsOf(recorder, leadId, 'SlaBreached');
      expect(breach1!.data).toEqual({
        owner: firstOwner,
        slaKind: 'mql',
        slaDueAt: state.sla!.dueAt,
        breach: 1,
        escalateTo: MANAGER,
      });
      const secondOwner = reassigned.owner!;
      expect(REPS).toContain(secondOwner);
      expect(secondOwner).not.toBe(firstOwner);
      expect(reassigned).toMatchObject({ stage: 'mql', slaBreaches: 1, breachedOwners: [firstOwner] });
      const assigned = eventsOf(recorder, leadId, 'LeadAssigned');
      expect(assigned).toHaveLength(2);
      expect(assigned[1]!.data).toMatchObject({ owner: secondOwner, slaKind: 'mql', assignment: 2 });
      const secondStart = Date.parse(reassigned.sla!.startedAt);
      expect(reassigned.sla).toMatchObject({ kind: 'mql', owner: secondOwner, reminded: false });
      expect(Date.parse(reassigned.sla!.remindAt) - secondStart).toBe(18 * HOUR);
      expect(Date.parse(reassigned.sla!.dueAt) - secondStart).toBe(24 * HOUR);
      // The new window is due 48 h after the lead became an MQL (plus the few ms the breach and routing took).
      expect(Date.parse(reassigned.sla!.dueAt) - mqlAt).toBeGreaterThanOrEqual(48 * HOUR);
      expect(Date.parse(reassigned.sla!.dueAt) - mqlAt).toBeLessThan(48 * HOUR + MINUTE);
      await waitFor(() => kindsAndRecipients(recorder, leadId), (n) => n.length === 4, 'breach notifications');
      expect(kindsAndRecipients(recorder, leadId)).toEqual([
        ['lead_assigned', firstOwner],
        ['sla_reminder', firstOwner],
        ['sla_breached', MANAGER],
        ['lead_assigned', secondOwner],
      ]);

      // 42 h: the second owner's reminder; 48 h: second breach hands the lead back to marketing.
      await sleepUntil(env, reassigned.sla!.remindAt, handle);
      await waitForState(handle, (s) => s.sla?.reminded === true, 'second reminder');
      await sleepUntil(env, reassigned.sla!.dueAt, handle);
      const recycled = await waitForState(handle, (s) => s.stage === 'recycled', 'hand-back at 48 h');
      const breaches = eventsOf(recorder, leadId, 'SlaBreached');
      expect(breaches).toHaveLength(2);
      expect(breaches[1]!.data).toEqual({
        owner: secondOwner,
        slaKind: 'mql',
        slaDueAt: reassigned.sla!.dueAt,
        breach: 2,
        escalateTo: MANAGER,
      });
      const [handBack] = eventsOf(recorder, leadId, 'LeadRecycled');
      expect(handBack!.data).toEqual({
        reason: 'sla_expired',
        from: 'mql',
        needsDataRepair: false,
        coolOffUntil: new Date(Date.parse(handBack!.occurredAt) + policy.recycleCoolOffDays * DAY).toISOString(),
      });
      expect(recycled).toMatchObject({ stage: 'recycled', recycleCount: 1, slaBreaches: 0, breachedOwners: [] });
      expect(recycled.owner).toBeUndefined();
      expect(recycled.sla).toBeUndefined();
      expect(recycled.recycle).toMatchObject({ reason: 'sla_expired', needsDataRepair: false });
      expect(eventTypes(recorder, leadId)).toEqual([
        'LeadCaptured',
        'FormFilled',
        'LeadBecameMql',
        'LeadAssigned',
        'SlaReminderSent',
        'SlaBreached',
        'LeadAssigned',
        'SlaReminderSent',
        'SlaBreached',
        'LeadRecycled',
      ]);
      await waitFor(() => kindsAndRecipients(recorder, leadId), (n) => n.length === 7, 'hand-back notifications');
      expect(kindsAndRecipients(recorder, leadId)).toEqual([
        ['lead_assigned', firstOwner],
        ['sla_reminder', firstOwner],
        ['sla_breached', MANAGER],
        ['lead_assigned', secondOwner],
        ['sla_reminder', secondOwner],
        ['sla_breached', MANAGER],
        ['lead_recycled', MANAGER],
      ]);
      expect(eventsOf(recorder, leadId, 'LeadRecycled')[0]!.data).toMatchObject({ reason: 'sla_expired', from: 'mql' });
      // The lead itself sends nothing: its events go out through the webhook dispatchers.
      expect(recorder.notifications.filter((n) => n.leadId === leadId)).toEqual([]);

      await terminateIfRunning(handle);
    });
  });

  test('accepting at 23 h cancels the MQL clock; the SAL clock reminds at 90 h, reassigns at 5 days and hands back at 10 days', async () => {
    const { worker, recorder } = await createTestWorker(env);
    await worker.runUntil(async () => {
      const { leadId, handle, state, owner } = await newMql('sla-accept');
      const mqlStart = Date.parse(state.sla!.startedAt);

      await sleepUntil(env, mqlStart + 23 * HOUR, handle);
      await waitForState(handle, (s) => s.sla?.reminded === true, 'MQL reminder before accepting');
      const accepted = await handle.executeUpdate(acceptUpdate, { args: [{ rep: owner }] });
      const acceptedAt = Date.parse(accepted.firstReachedAt.sal!);
      expect(acceptedAt - mqlStart).toBeGreaterThanOrEqual(23 * HOUR);
      expect(acceptedAt - mqlStart).toBeLessThan(24 * HOUR);
      expect(accepted).toMatchObject({ stage: 'sal', owner, slaBreaches: 0, breachedOwners: [] });
      expect(accepted.sla).toMatchObject({ kind: 'sal', owner, reminded: false });
      expect(Date.parse(accepted.sla!.remindAt) - acceptedAt).toBe(90 * HOUR);
      expect(Date.parse(accepted.sla!.dueAt) - acceptedAt).toBe(5 * DAY);
      expect(eventsOf(recorder, leadId, 'LeadAccepted')[0]!.data).toEqual({
        rep: owner,
        slaDueAt: accepted.sla!.dueAt,
        remindAt: accepted.sla!.remindAt,
      });
      const eventsAtAccept = recorder.events(leadId).length;

      // Past the MQL deadline (24 h) and the would-be second deadline (48 h): nothing fires.
      await sleepUntil(env, mqlStart + 24 * HOUR + MINUTE, handle);
      await sleepUntil(env, mqlStart + 48 * HOUR + MINUTE, handle);
      expect(recorder.events(leadId)).toHaveLength(eventsAtAccept);
      expect(eventsOf(recorder, leadId, 'SlaBreached')).toHaveLength(0);
      expect(await leadState(handle)).toMatchObject({ stage: 'sal', owner, slaBreaches: 0 });
      // The MQL deadline timer armed before the accept was cancelled, not left to fire.
      const history = await historyEvents(handle);
      expect(history.some((e) => e.eventType === EventType.EVENT_TYPE_TIMER_CANCELED)).toBe(true);

      // SAL reminder at 90 h after the accept.
      await sleepUntil(env, acceptedAt + 89 * HOUR + 59 * MINUTE, handle);
      expect(eventsOf(recorder, leadId, 'SlaReminderSent')).toHaveLength(1); // the MQL one only
      await sleepUntil(env, accepted.sla!.remindAt, handle);
      await waitForState(handle, (s) => s.sla?.reminded === true, 'SAL reminder');
      const salReminder = eventsOf(recorder, leadId, 'SlaReminderSent')[1]!;
      expect(salReminder.data).toEqual({ owner, slaKind: 'sal', slaDueAt: accepted.sla!.dueAt });
      expect(Date.parse(salReminder.occurredAt) - acceptedAt).toBeGreaterThanOrEqual(90 * HOUR);
      expect(Date.parse(salReminder.occurredAt) - acceptedAt).toBeLessThan(90 * HOUR + MINUTE);

      // 5 days: breach, escalation and a new SAL owner with a fresh 5-day window.
      await sleepUntil(env, acceptedAt + 5 * DAY - MINUTE, handle);
      expect(eventsOf(recorder, leadId, 'SlaBreached')).toHaveLength(0);
      await sleepUntil(env, accepted.sla!.dueAt, handle);
      const reassigned = await waitForState(
        handle,
        (s) => s.owner !== undefined && s.owner !== owner,
        'SAL reassignment after 5 days',
      );
      expect(eventsOf(recorder, leadId, 'SlaBreached').map((e) => e.data)).toEqual([
        { owner, slaKind: 'sal', slaDueAt: accepted.sla!.dueAt, breach: 1, escalateTo: MANAGER },
      ]);
      const salOwner2 = reassigned.owner!;
      expect(REPS).toContain(salOwner2);
      expect(reassigned).toMatchObject({ stage: 'sal', slaBreaches: 1, breachedOwners: [owner] });
      expect(reassigned.sla).toMatchObject({ kind: 'sal', owner: salOwner2, reminded: false });
      const secondStart = Date.parse(reassigned.sla!.startedAt);
      expect(Date.parse(reassigned.sla!.dueAt) - secondStart).toBe(5 * DAY);
      expect(Date.parse(reassigned.sla!.dueAt) - acceptedAt).toBeGreaterThanOrEqual(10 * DAY);
      expect(Date.parse(reassigned.sla!.dueAt) - acceptedAt).toBeLessThan(10 * DAY + MINUTE);
      expect(eventsOf(recorder, leadId, 'LeadAssigned').at(-1)!.data).toMatchObject({
        owner: salOwner2,
        slaKind: 'sal',
        assignment: 2,
      });

      // 10 days: the second SAL breach hands the lead back.
      await sleepUntil(env, reassigned.sla!.dueAt, handle);
      const recycled = await waitForState(handle, (s) => s.stage === 'recycled', 'SAL hand-back at 10 days');
      expect(eventsOf(recorder, leadId, 'SlaBreached').map((e) => e.data)).toEqual([
        { owner, slaKind: 'sal', slaDueAt: accepted.sla!.dueAt, breach: 1, escalateTo: MANAGER },
        { owner: salOwner2, slaKind: 'sal', slaDueAt: reassigned.sla!.dueAt, breach: 2, escalateTo: MANAGER },
      ]);
      expect(eventsOf(recorder, leadId, 'LeadRecycled')[0]!.data).toMatchObject({
        reason: 'sla_expired',
        from: 'sal',
        needsDataRepair: false,
      });
      expect(recycled).toMatchObject({ stage: 'recycled', recycleCount: 1, recycle: { reason: 'sla_expired' } });
      expect(recycled.owner).toBeUndefined();
      expect(eventTypes(recorder, leadId)).toEqual([
        'LeadCaptured',
        'FormFilled',
        'LeadBecameMql',
        'LeadAssigned',
        'SlaReminderSent',
        'LeadAccepted',
        'SlaReminderSent',
        'SlaBreached',
        'LeadAssigned',
        'SlaReminderSent',
        'SlaBreached',
        'LeadRecycled',
      ]);
      await waitFor(() => kindsAndRecipients(recorder, leadId), (n) => n.length === 8, 'SAL notifications');
      expect(kindsAndRecipients(recorder, leadId)).toEqual([
        ['lead_assigned', owner],
        ['sla_reminder', owner],
        ['sla_reminder', owner],
        ['sla_breached', MANAGER],
        ['lead_assigned', salOwner2],
        ['sla_reminder', salOwner2],
        ['sla_breached', MANAGER],
        ['lead_recycled', MANAGER],
      ]);

      await terminateIfRunning(handle);
    });
  });

  test('rejecting before the deadline stops the SLA clock: no breach, reminder or reassignment afterwards', async () => {
    const { worker, recorder } = await createTestWorker(env);
    await worker.runUntil(async () => {
      const { leadId, handle, state, owner } = await newMql('sla-reject');
      const mqlStart = Date.parse(state.sla!.startedAt);

      await sleepUntil(env, mqlStart + 20 * HOUR, handle);
      await waitForState(handle, (s) => s.sla?.reminded === true, 'reminder before rejecting');
      const rejected = await handle.executeUpdate(rejectUpdate, { args: [{ rep: owner, reason: 'not_ready' }] });
      expect(rejected).toMatchObject({ stage: 'recycled', recycleCount: 1, recycle: { reason: 'not_ready' } });
      expect(rejected.sla).toBeUndefined();
      const eventsAtReject = eventTypes(recorder, leadId);
      expect(eventsAtReject).toEqual([
        'LeadCaptured',
        'FormFilled',
        'LeadBecameMql',
        'LeadAssigned',
        'SlaReminderSent',
        'LeadRejected',
        'LeadRecycled',
      ]);
      await waitFor(() => kindsAndRecipients(recorder, leadId), (n) => n.length === 2, 'notifications before reject');

      await sleepUntil(env, mqlStart + 24 * HOUR + MINUTE, handle);
      await sleepUntil(env, mqlStart + 48 * HOUR + MINUTE, handle);
      await sleepUntil(env, mqlStart + 5 * DAY, handle);
      expect(eventTypes(recorder, leadId)).toEqual(eventsAtReject);
      expect(await leadState(handle)).toMatchObject({ stage: 'recycled', slaBreaches: 0, seq: rejected.seq });
      // Not-ready hand-backs are the rep's decision: nobody is notified, and no SLA notification follows.
      expect(kindsAndRecipients(recorder, leadId)).toEqual([
        ['lead_assigned', owner],
        ['sla_reminder', owner],
      ]);

      await terminateIfRunning(handle);
    });
  });
});
