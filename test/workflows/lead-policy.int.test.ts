import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { defaultLeadPolicyInput, parseLeadPolicy, type LeadPolicy, type LeadPolicyInput } from '../../domain/lead-policy';
import {
  acceptUpdate,
  COMMAND_REFUSED,
  contactAttemptUpdate,
  rejectUpdate,
  submitFormUpdate,
  unsubscribeSignal,
  engagementSignal,
  type FillFormInput,
} from '../../workflows/lead.messages';
import { leadWorkflow } from '../../workflows/lead.workflow';
import {
  DAY,
  demoRequestForm,
  EventType,
  eventsOf,
  goodProfile,
  historyEvents,
  HOUR,
  isIdle,
  leadState,
  MINUTE,
  sleepUntil,
  terminateIfRunning,
  uniqueEmail,
  waitFor,
  waitForState,
  type LeadHandle,
} from '../support/lead-workflow-helpers';
import { createTestWorker, createTimeSkippingEnv, Recorder, workflowBundle } from '../support/temporal-env';
import { testLeadId } from '../support/encryption';

/*
 * Issue 5 on the time-skipping server: routing by policy (round robin around an absent rep, a breach
 * going to a different rep), the business-hours SLA clock, engagement decay by the lead's own timer,
 * consent, contact attempts and unsubscribe stopping nurture timers. A new policy taking effect at the
 * lead's next cycle is in lead-policy-cycle.int.test.ts, on the dev server. Each test runs its own worker on its own task queue, so routing rotations
 * (kept per worker in these tests) start from the first rep.
 */

let env: TestWorkflowEnvironment;
let queueCounter = 0;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  await workflowBundle();
}, 180_000);

afterAll(async () => {
  await env?.teardown();
});

function policyWith(change: (p: LeadPolicyInput) => void, version = 'test-policy'): LeadPolicy {
  const input = structuredClone(defaultLeadPolicyInput);
  input.version = version;
  change(input);
  return parseLeadPolicy(input);
}

async function withWorker(
  fn: (ctx: { recorder: Recorder; taskQueue: string }) => Promise<void>,
  /** The worker's active policy; a function answers what is deployed at the time of asking. */
  activePolicy?: LeadPolicy | (() => LeadPolicy),
): Promise<void> {
  const recorder = new Recorder();
  const taskQueue = `policy-${++queueCounter}-${process.pid}`;
  const { worker } = await createTestWorker(env, recorder, taskQueue, recorder, activePolicy);
  await worker.runUntil(fn({ recorder, taskQueue }));
}

/** Leads started by the current test; ended afterwards even when the test fails, so no timer of theirs
 * fires into a later test's time skip with no worker to run it. */
const started: LeadHandle[] = [];
afterEach(async () => {
  for (const handle of started.splice(0)) await handle.terminate('test finished').catch(() => undefined);
});

async function capture(taskQueue: string, policy: LeadPolicy, form: FillFormInput) {
  const leadId = testLeadId(form.profile.email);
  const handle = await env.client.workflow.start(leadWorkflow, {
    taskQueue,
    workflowId: leadId,
    args: [{ leadId, policy }],
  });
  started.push(handle);
  const answer = await handle.executeUpdate(submitFormUpdate, { args: [form] });
  return { leadId, handle: handle as LeadHandle, answer };
}

const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const berlinParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Berlin',
  weekday: 'long',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
function inBerlin(iso: string | number): string {
  return berlinParts.format(new Date(iso)).replace(',', '');
}

/** The next instant after `fromMs` that is Friday 18:00 in Berlin. */
function nextFridayEveningInBerlin(fromMs: number): number {
  let t = Math.ceil(fromMs / HOUR) * HOUR;
  while (inBerlin(t) !== 'Friday 18:00') t += HOUR;
  return t;
}

describe('routing by policy (time-skipping)', () => {
  test('round robin across three reps skips the one who is out of office', async () => {
    const now = await env.currentTimeMs();
    const policy = policyWith((p) => {
      p.routing = {
        strategy: 'round_robin',
        reps: ['rep-ada', { id: 'rep-grace', outOfOffice: [{ from: utcDate(now - DAY), to: utcDate(now + 30 * DAY) }] }, 'rep-linus'],
        manager: 'manager-margaret',
      };
    });
    await withWorker(async ({ recorder, taskQueue }) => {
      const owners: string[] = [];
      for (let i = 0; i < 4; i++) {
        const email = uniqueEmail('rr');
        const { leadId, handle } = await capture(taskQueue, policy, demoRequestForm(email));
        const state = await waitForState(handle, (s) => s.owner !== undefined, `owner of lead ${i}`);
        owners.push(state.owner!);
        expect(eventsOf(recorder, leadId, 'LeadAssigned')).toHaveLength(1);
        await terminateIfRunning(handle);
      }
      expect(owners).toEqual(['rep-ada', 'rep-linus', 'rep-ada', 'rep-linus']);
    });
  });

  test('a breach reassigns to a different rep of the same territory, then the lead goes back to marketing', async () => {
    const policy = policyWith((p) => {
      p.routing = {
        territories: { emea: { countries: ['DE', 'FR'] }, 'north-america': { countries: ['US'] } },
        reps: [
          { id: 'rep-katherine', territories: ['north-america'] },
          { id: 'rep-ada', territories: ['emea'] },
          { id: 'rep-grace', territories: ['emea'] },
          { id: 'rep-hopper', territories: ['emea'] },
        ],
        manager: 'manager-margaret',
      };
    });
    await withWorker(async ({ recorder, taskQueue }) => {
      const email = uniqueEmail('breach');
      const { leadId, handle } = await capture(taskQueue, policy, demoRequestForm(email));
      const first = await waitForState(handle, (s) => s.owner !== undefined, 'first owner');
      expect(first.owner).toBe('rep-ada');
      // Two more emea leads take grace's and hopper's turns, so the rotation's next rep is ada again:
      // only the breach exclusion keeps the reassignment from going back to her. Ended once assigned,
      // so no SLA of theirs breaches (and rotates) while time skips to the first lead's deadline.
      for (const [i, owner] of ['rep-grace', 'rep-hopper'].entries()) {
        const other = await capture(taskQueue, policy, demoRequestForm(uniqueEmail(`breach-other-${i}`)));
        expect((await waitForState(other.handle, (s) => s.owner !== undefined, `owner of other lead ${i}`)).owner).toBe(owner);
        await terminateIfRunning(other.handle);
      }
      await sleepUntil(env, first.sla!.dueAt, handle);
      const second = await waitForState(handle, (s) => s.owner !== undefined && s.owner !== 'rep-ada', 'reassignment');
      expect(second.owner).toBe('rep-grace');
      expect(second.breachedOwners).toEqual(['rep-ada']);
      expect(eventsOf(recorder, leadId, 'LeadAssigned').map((e) => [e.data.owner, e.data.assignment])).toEqual([
        ['rep-ada', 1],
        ['rep-grace', 2],
      ]);
      await sleepUntil(env, second.sla!.dueAt, handle);
      await waitForState(handle, (s) => s.stage === 'recycled', 'hand-back after the second breach');
      expect(eventsOf(recorder, leadId, 'SlaBreached').map((e) => e.data.owner)).toEqual(['rep-ada', 'rep-grace']);
      await terminateIfRunning(handle);
    });
  });
});

describe('the SLA clock in business hours (time-skipping)', () => {
  test('a Friday-evening MQL in Berlin is due at the end of the next business day, not over the weekend', async () => {
    const policy = policyWith((p) => {
      p.calendars = { berlin: { timeZone: 'Europe/Berlin', workingDays: [1, 2, 3, 4, 5], hours: { start: '09:00', end: '17:00' } } };
      p.sla = {
        clock: 'business_hours',
        calendar: 'berlin',
        mql: { windowHours: 8, reminders: [0.5], reassignmentsBeforeHandBack: 1, escalateTo: 'vp-sales' },
        sal: { windowHours: 40, reminders: [0.75], reassignmentsBeforeHandBack: 1 },
      };
    });
    const friday = nextFridayEveningInBerlin(await env.currentTimeMs());
    await sleepUntil(env, friday);
    await withWorker(async ({ recorder, taskQueue }) => {
      const email = uniqueEmail('friday');
      const { leadId, handle, answer } = await capture(taskQueue, policy, demoRequestForm(email));
      expect(answer.stage).toBe('mql');
      const state = await waitForState(handle, (s) => s.sla !== undefined, 'the MQL SLA');
      expect(inBerlin(state.sla!.startedAt)).toMatch(/^Friday 18:0\d$/);
      expect(inBerlin(state.sla!.remindAt)).toBe('Monday 13:00');
      expect(inBerlin(state.sla!.dueAt)).toBe('Monday 17:00');
      expect(Date.parse(state.sla!.dueAt) - friday).toBeLessThan(3 * DAY);
      expect(eventsOf(recorder, leadId, 'LeadAssigned')[0]!.data).toMatchObject({ calendar: 'berlin' });

      // The whole weekend passes without a reminder.
      await sleepUntil(env, Date.parse(state.sla!.remindAt) - MINUTE, handle);
      expect(eventsOf(recorder, leadId, 'SlaReminderSent')).toHaveLength(0);
      await sleepUntil(env, state.sla!.remindAt, handle);
      await waitForState(handle, (s) => s.sla?.reminded === true, 'the Monday reminder');
      await sleepUntil(env, Date.parse(state.sla!.dueAt) - MINUTE, handle);
      expect(eventsOf(recorder, leadId, 'SlaBreached')).toHaveLength(0);
      await sleepUntil(env, state.sla!.dueAt, handle);
      await waitFor(() => eventsOf(recorder, leadId, 'SlaBreached'), (b) => b.length === 1, 'the breach at Monday 17:00');
      expect(eventsOf(recorder, leadId, 'SlaBreached')[0]!.data).toMatchObject({ escalateTo: 'vp-sales' });
      expect(inBerlin(eventsOf(recorder, leadId, 'SlaBreached')[0]!.occurredAt)).toBe('Monday 17:00');
      await terminateIfRunning(handle);
    });
  });
});

describe('scoring, consent and nurture (time-skipping)', () => {
  test('engagement decays by the lead\'s own timer, so a lead that went cold is not handed over', async () => {
    const policy = policyWith((p) => {
      p.engagement.decay = { halfLifeDays: 1, everyHours: 24 };
    });
    await withWorker(async ({ recorder, taskQueue }) => {
      const email = uniqueEmail('decay');
      const { phone: _phone, ...noPhone } = goodProfile(email);
      const { leadId, handle } = await capture(taskQueue, policy, { formType: 'webinar_attended', profile: noPhone });
      const start = await env.currentTimeMs();
      await handle.signal(engagementSignal, {
        engagements: [
          { type: 'pricing_page_view', occurredAt: new Date(start).toISOString(), id: 'p1' },
          { type: 'pricing_page_view', occurredAt: new Date(start).toISOString(), id: 'p2' },
        ],
      });
      const hot = await waitForState(handle, (s) => s.engagementScore === 32, 'engagement 32');
      expect(hot.stage).toBe('inquiry'); // ready but for the missing phone number

      await sleepUntil(env, start + 2 * DAY + MINUTE, handle);
      const cold = await waitForState(handle, (s) => s.engagementScore === 8, 'two halvings');
      expect(eventsOf(recorder, leadId, 'EngagementDecayed').map((e) => [e.data.from, e.data.to])).toEqual([
        [32, 16],
        [16, 8],
      ]);
      expect(cold.stage).toBe('inquiry');

      // The missing phone number arrives, but the lead has gone cold: no MQL, no owner.
      await handle.executeUpdate(submitFormUpdate, { args: [{ formType: 'profile_update', profile: { email, phone: '+49 30 1234567' } }] });
      const after = await leadState(handle);
      expect(after.stage).toBe('inquiry');
      expect(after.owner).toBeUndefined();
      await terminateIfRunning(handle);
    });
  });

  test('without a lawful basis a hand-raiser stays an inquiry and is never routed; consent lets it through', async () => {
    const policy = policyWith((p) => {
      p.consent = { required: true, lawfulBases: ['consent', 'legitimate_interests'] };
    });
    await withWorker(async ({ recorder, taskQueue }) => {
      const email = uniqueEmail('consent');
      const { leadId, handle, answer } = await capture(taskQueue, policy, demoRequestForm(email));
      expect(answer.stage).toBe('inquiry');
      await sleepUntil(env, (await env.currentTimeMs()) + HOUR, handle);
      expect(eventsOf(recorder, leadId, 'LeadAssigned')).toHaveLength(0);
      const consent = { lawfulBasis: 'consent', capturedAt: new Date(await env.currentTimeMs()).toISOString(), text: 'Yes, call me.' };
      const again = await handle.executeUpdate(submitFormUpdate, { args: [{ ...demoRequestForm(email), consent }] });
      expect(again.stage).toBe('mql');
      const routed = await waitForState(handle, (s) => s.owner !== undefined, 'owner after consent');
      expect(routed.consent).toMatchObject({ lawfulBasis: 'consent' });
      await terminateIfRunning(handle);
    });
  });

  test('a rep records contact attempts; not_ready is refused until the policy\'s count is reached', async () => {
    const policy = policyWith((p) => {
      p.sla.contactAttemptsBeforeNotReady = 2;
    });
    await withWorker(async ({ recorder, taskQueue }) => {
      const email = uniqueEmail('attempts');
      const { leadId, handle } = await capture(taskQueue, policy, demoRequestForm(email));
      const { owner } = await waitForState(handle, (s) => s.owner !== undefined, 'owner');
      await handle.executeUpdate(acceptUpdate, { args: [{ rep: owner! }] });
      await expect(handle.executeUpdate(rejectUpdate, { args: [{ rep: owner!, reason: 'not_ready' }] })).rejects.toMatchObject({
        cause: { type: COMMAND_REFUSED, message: expect.stringContaining('2 recorded contact attempt') },
      });
      await handle.executeUpdate(contactAttemptUpdate, { args: [{ rep: owner!, channel: 'phone', outcome: 'no_answer' }] });
      await handle.executeUpdate(contactAttemptUpdate, { args: [{ rep: owner!, channel: 'email' }] });
      const recycled = await handle.executeUpdate(rejectUpdate, { args: [{ rep: owner!, reason: 'not_ready' }] });
      expect(recycled).toMatchObject({ stage: 'recycled', recycle: { reason: 'not_ready' } });
      expect(eventsOf(recorder, leadId, 'ContactAttemptRecorded').map((e) => e.data.attempt)).toEqual([1, 2]);
      await terminateIfRunning(handle);
    });
  });

  test('an unsubscribe is in the history and cancels the nurture timer at once', async () => {
    await withWorker(async ({ recorder, taskQueue }) => {
      const policy = policyWith(() => undefined);
      const email = uniqueEmail('unsub');
      const { leadId, handle } = await capture(taskQueue, policy, demoRequestForm(email));
      const { owner } = await waitForState(handle, (s) => s.owner !== undefined, 'owner');
      await handle.executeUpdate(rejectUpdate, { args: [{ rep: owner!, reason: 'bad_timing' }] });
      await waitFor(() => isIdle(handle), (idle) => idle, 'idle in cool-off');
      expect(await openTimers(handle)).toBe(1); // the cool-off re-evaluation

      await handle.signal(unsubscribeSignal);
      await waitForState(handle, (s) => s.unsubscribed, 'unsubscribed');
      await waitFor(() => isIdle(handle), (idle) => idle, 'idle after unsubscribing');
      expect(eventsOf(recorder, leadId, 'LeadUnsubscribed')).toHaveLength(1);
      expect(await openTimers(handle)).toBe(0);

      const seqBefore = (await leadState(handle)).seq;
      await sleepUntil(env, (await env.currentTimeMs()) + 31 * DAY, handle);
      expect((await leadState(handle)).seq).toBe(seqBefore);
      await terminateIfRunning(handle);
    });
  });
});

/** Timers started in the current run and neither fired nor cancelled. */
async function openTimers(handle: LeadHandle): Promise<number> {
  let open = 0;
  for (const e of await historyEvents(handle)) {
    if (e.eventType === EventType.EVENT_TYPE_TIMER_STARTED) open += 1;
    if (e.eventType === EventType.EVENT_TYPE_TIMER_FIRED || e.eventType === EventType.EVENT_TYPE_TIMER_CANCELED) open -= 1;
  }
  return open;
}
