import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { defaultLeadPolicyInput, parseLeadPolicy, type LeadPolicy, type LeadPolicyInput } from '../../domain/lead-policy';
import { rejectUpdate, submitFormUpdate } from '../../workflows/lead.messages';
import { leadWorkflow } from '../../workflows/lead.workflow';
import { demoRequestForm, eventsOf, goodProfile, leadState, terminateIfRunning, uniqueEmail, waitForState, type LeadHandle } from '../support/lead-workflow-helpers';
import { createDevServerEnv, createTestWorker, Recorder, workflowBundle } from '../support/temporal-env';
import { testLeadId } from '../support/encryption';

/*
 * Issue 5: a new policy takes effect at the lead's next cycle (recycle), never rewriting what was
 * decided. On the dev server in real time, with cool-offs of seconds: on the time-skipping test server
 * this journey (Updates arriving while a workflow task runs local activities) wedged the lead now and
 * then ("invalid history builder state for action"), which a real server does not do.
 */

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createDevServerEnv();
  await workflowBundle();
}, 180_000);

afterAll(async () => {
  await env?.teardown();
});

const SECOND_IN_DAYS = 1 / 86_400;

function policyWith(version: string, coolOffSeconds: number): LeadPolicy {
  const input: LeadPolicyInput = structuredClone(defaultLeadPolicyInput);
  input.version = version;
  input.recycleCoolOffDays = coolOffSeconds * SECOND_IN_DAYS;
  return parseLeadPolicy(input);
}

test('a changed policy reaches a lead at its next cycle (recycle), never rewriting what was decided', async () => {
  const v1 = policyWith('policy-v1', 4);
  const v2 = policyWith('policy-v2', 2);
  const v3 = policyWith('policy-v3', 6);
  const email = uniqueEmail('cycle');
  const leadId = testLeadId(email);
  const taskQueue = `policy-cycle-${process.pid}`;
  const recorder = new Recorder();
  // What the worker runs with: each change below is a redeploy with a new policy file. (One worker
  // answers for all three: the lead only ever sees the active policy through the activePolicy activity.)
  let deployed = v1;
  const { worker } = await createTestWorker(env, recorder, taskQueue, recorder, () => deployed);
  await worker.runUntil(async () => {
    const since = <T extends Parameters<typeof eventsOf>[2]>(type: T, seen: number) => eventsOf(recorder, leadId, type).slice(seen);
    // v1 is the policy the lead is captured under (an inquiry, not yet ready: no phone number).
    const { phone: _phone, ...noPhone } = goodProfile(email);
    const handle: LeadHandle = await env.client.workflow.start(leadWorkflow, { taskQueue, workflowId: leadId, args: [{ leadId, policy: v1 }] });
    try {
      await handle.executeUpdate(submitFormUpdate, { args: [{ formType: 'webinar_attended', profile: noPhone }] });
      expect((await leadState(handle)).stage).toBe('inquiry');

      // Marketing ops roll out v2 while the lead is an inquiry; then it hand-raises. Its cycle started
      // under v1, so v1 scores, routes and times it, and v1 decides the recycle's cool-off.
      deployed = v2;
      await handle.executeUpdate(submitFormUpdate, { args: [demoRequestForm(email)] });
      const first = await waitForState(handle, (s) => s.owner !== undefined, 'owner');
      expect(first.policyVersion).toBe('policy-v1');
      expect(since('LeadBecameMql', 0).map((e) => e.data.policyVersion)).toEqual(['policy-v1']);
      expect(since('LeadAssigned', 0).map((e) => e.data.policyVersion)).toEqual(['policy-v1']);
      const recycled = await handle.executeUpdate(rejectUpdate, { args: [{ rep: first.owner!, reason: 'bad_timing' }] });
      expect(Date.parse(recycled.recycle!.coolOffUntil) - Date.parse(recycled.recycle!.at)).toBe(4_000);

      // v3 arrives during the cool-off. The nurture cycle took v2 at the recycle and keeps it: v2
      // scores and routes the second MQL (the hand-raise is remembered until the cool-off ends).
      deployed = v3;
      await handle.executeUpdate(submitFormUpdate, { args: [demoRequestForm(email)] });
      const second = await waitForState(handle, (s) => s.mqlCycle === 2 && s.owner !== undefined, 'second MQL', 30_000);
      expect(second.policyVersion).toBe('policy-v2');
      expect(since('LeadBecameMql', 1).map((e) => e.data.policyVersion)).toEqual(['policy-v2']);
      expect(since('LeadAssigned', 1).map((e) => e.data.policyVersion)).toEqual(['policy-v2']);
    } finally {
      await terminateIfRunning(handle);
    }
  });
}, 120_000);
