import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CommandRefusal } from '../../domain/lead-decider';
import { defaultLeadPolicy } from '../../domain/lead-policy';
import { acceptUpdate, COMMAND_REFUSED, qualifyUpdate, reassignUpdate } from '../../workflows/lead.messages';
import {
  acceptedUpdateNames,
  captureLead,
  DAY,
  demoRequestForm,
  eventsOf,
  HOUR,
  leadState,
  MINUTE,
  sleepUntil,
  terminateIfRunning,
  uniqueEmail,
  waitForState,
} from '../support/lead-workflow-helpers';
import { createTestWorker, createTimeSkippingEnv, type Recorder, workflowBundle } from '../support/temporal-env';

/*
 * Who may decide, and reassignment by hand, in the lead workflow on the time-skipping test server with
 * the default policy's real windows. A key bound to a rep sends its rep as `actingRep`; the lead checks
 * it against its own owner when the Update applies, so an SLA breach or a manager's reassignment that
 * came first always wins over a caller's earlier view of the lead.
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

async function runWorker(test: (recorder: Recorder) => Promise<void>): Promise<void> {
  const { worker, recorder } = await createTestWorker(env);
  await worker.runUntil(() => test(recorder));
}

/** The refusal a failed Update carries. */
async function refusalOf(run: () => Promise<unknown>): Promise<CommandRefusal> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    const failure = (err as WorkflowUpdateFailedError).cause;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe(COMMAND_REFUSED);
    return (failure as ApplicationFailure).details?.[0] as CommandRefusal;
  }
  throw new Error('the update was expected to be refused');
}

async function newMql(label: string) {
  const email = uniqueEmail(label);
  const { leadId, handle } = await captureLead(env, email, demoRequestForm(email));
  const state = await waitForState(handle, (s) => s.owner !== undefined, 'first owner');
  return { leadId, handle, state, owner: state.owner! };
}

const otherRep = (...not: string[]) => REPS.find((r) => !not.includes(r))!;

describe('who may decide on a lead (time-skipping, default policy)', () => {
  test('a rep-bound accept is refused once an SLA breach gave the lead to another rep: the lead reads its own owner', async () => {
    await runWorker(async (recorder) => {
      const { leadId, handle, state, owner: first } = await newMql('owner-breach');

      // The first owner's key looked at the lead before 24 h (it was theirs); the breach lands first.
      await sleepUntil(env, state.sla!.dueAt, handle);
      const reassigned = await waitForState(handle, (s) => s.owner !== undefined && s.owner !== first, 'reassignment after the breach');
      const second = reassigned.owner!;
      await sleepUntil(env, Date.parse(state.sla!.dueAt) + MINUTE, handle);

      const refusal = await refusalOf(() => handle.executeUpdate(acceptUpdate, { args: [{ rep: first, actingRep: first }] }));
      expect(refusal).toMatchObject({ code: 'NOT_OWNER', command: 'AcceptLead', stage: 'mql' });
      expect(refusal.message).not.toContain(second);
      // Refused by the validator: nothing reached the history.
      expect(await acceptedUpdateNames(handle)).toEqual(['submitForm']);
      expect(eventsOf(recorder, leadId, 'LeadAccepted')).toHaveLength(0);

      // Naming the rep it is not bound to is refused too, whoever owns the lead.
      expect((await refusalOf(() => handle.executeUpdate(acceptUpdate, { args: [{ rep: first, actingRep: second }] }))).code).toBe('ACTING_AS_SOMEONE_ELSE');

      const accepted = await handle.executeUpdate(acceptUpdate, { args: [{ rep: second, actingRep: second }] });
      expect(accepted).toMatchObject({ stage: 'sal', owner: second });
      expect(eventsOf(recorder, leadId, 'LeadAccepted').map((e) => e.data.rep)).toEqual([second]);
      await terminateIfRunning(handle);
    });
  });

  test('a manager reassigns an MQL by hand: LeadAssigned with by, and the SLA restarts for the new owner', async () => {
    await runWorker(async (recorder) => {
      const { leadId, handle, state, owner: first } = await newMql('owner-reassign');
      const firstStart = Date.parse(state.sla!.startedAt);
      await sleepUntil(env, firstStart + 8 * HOUR, handle);

      const target = otherRep(first);
      const after = await handle.executeUpdate(reassignUpdate, { args: [{ owner: target, by: MANAGER, reason: 'first owner on leave' }] });
      expect(after).toMatchObject({ stage: 'mql', owner: target, sla: { kind: 'mql', owner: target, reminded: false } });
      const start = Date.parse(after.sla!.startedAt);
      expect(start - firstStart).toBeGreaterThanOrEqual(8 * HOUR);
      expect(start - firstStart).toBeLessThan(8 * HOUR + MINUTE);
      expect(Date.parse(after.sla!.remindAt) - start).toBe(18 * HOUR);
      expect(Date.parse(after.sla!.dueAt) - start).toBe(24 * HOUR);
      const manual = eventsOf(recorder, leadId, 'LeadAssigned')[1]!;
      expect(manual.data).toMatchObject({ owner: target, slaKind: 'mql', assignment: 1, by: MANAGER, previousOwner: first, reason: 'first owner on leave' });

      // The first owner's window would have ended here (and its reminder come at 18 h): nothing
      // happens, the lead is the new owner's, whose reminder is due at 26 h.
      await sleepUntil(env, firstStart + 24 * HOUR + MINUTE, handle);
      expect(eventsOf(recorder, leadId, 'SlaBreached')).toHaveLength(0);
      expect(eventsOf(recorder, leadId, 'SlaReminderSent')).toHaveLength(0);
      expect((await leadState(handle)).owner).toBe(target);
      expect((await refusalOf(() => handle.executeUpdate(acceptUpdate, { args: [{ rep: first, actingRep: first }] }))).code).toBe('NOT_OWNER');

      // The new owner is reminded at 18 h and breached at 24 h of their own window.
      await sleepUntil(env, after.sla!.remindAt, handle);
      await waitForState(handle, (s) => s.sla?.reminded === true, 'reminder of the new owner');
      expect(eventsOf(recorder, leadId, 'SlaReminderSent').map((e) => e.data.owner)).toEqual([target]);
      await sleepUntil(env, after.sla!.dueAt, handle);
      await waitForState(handle, (s) => s.owner !== undefined && s.owner !== target, 'reassignment after the new owner\'s breach');
      expect(eventsOf(recorder, leadId, 'SlaBreached').map((e) => [e.data.owner, e.data.breach])).toEqual([[target, 1]]);
      await terminateIfRunning(handle);
    });
  });

  test('a SAL reassigned gets a fresh 5-day window; refusals (stage, owner, unknown rep) leave no trace', async () => {
    await runWorker(async (recorder) => {
      const { leadId, handle, owner: first } = await newMql('owner-sal');
      const sal = await handle.executeUpdate(acceptUpdate, { args: [{ rep: first, actingRep: first }] });
      expect(sal.stage).toBe('sal');
      await sleepUntil(env, Date.parse(sal.sla!.startedAt) + 2 * DAY, handle);

      const target = otherRep(first);
      const after = await handle.executeUpdate(reassignUpdate, { args: [{ owner: target, by: MANAGER }] });
      expect(after).toMatchObject({ stage: 'sal', owner: target, sla: { kind: 'sal', owner: target } });
      expect(Date.parse(after.sla!.dueAt) - Date.parse(after.sla!.startedAt)).toBe(5 * DAY);
      expect(Date.parse(after.sla!.startedAt) - Date.parse(sal.sla!.startedAt)).toBeGreaterThanOrEqual(2 * DAY);

      expect((await refusalOf(() => handle.executeUpdate(reassignUpdate, { args: [{ owner: target, by: MANAGER }] }))).code).toBe('ALREADY_OWNER');
      expect((await refusalOf(() => handle.executeUpdate(reassignUpdate, { args: [{ owner: 'rep-nobody', by: MANAGER }] }))).code).toBe('UNKNOWN_OWNER');
      await handle.executeUpdate(qualifyUpdate, { args: [{ rep: target, actingRep: target, budget: true, authority: true, need: true, timeline: true }] });
      const sqlRefusal = await refusalOf(() => handle.executeUpdate(reassignUpdate, { args: [{ owner: first, by: MANAGER }] }));
      expect(sqlRefusal).toMatchObject({ code: 'STAGE_DOES_NOT_ALLOW', stage: 'sql' });

      expect(await acceptedUpdateNames(handle)).toEqual(['submitForm', 'accept', 'reassign', 'qualify']);
      expect(eventsOf(recorder, leadId, 'LeadAssigned').map((e) => e.data.by ?? 'routing')).toEqual(['routing', MANAGER]);
      await terminateIfRunning(handle);
    });
  });
});
