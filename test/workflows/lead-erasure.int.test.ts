import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { engagementSignal, eraseUpdate } from '../../workflows/lead.messages';
import {
  captureLead,
  DAY,
  demoRequestForm,
  eventTypes,
  kindsAndRecipients,
  startLead,
  uniqueEmail,
  waitFor,
  waitForState,
  workflowStatus,
} from '../support/lead-workflow-helpers';
import { createTestWorker, createTimeSkippingEnv, workflowBundle } from '../support/temporal-env';

/*
 * The erase Update of the lead workflow on the time-skipping server: the lead records LeadErased, stops
 * its SLA timers, drops queued engagement and ends, so its key can be destroyed next (the erasure
 * workflow's job, tested over HTTP in test/api/privacy.int.test.ts).
 */

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  await workflowBundle();
}, 180_000);

afterAll(async () => {
  await env?.teardown();
});

test('an MQL with its SLA running is erased: LeadErased, no more timers or notifications, the workflow ends', async () => {
  const { worker, recorder } = await createTestWorker(env);
  await worker.runUntil(async () => {
    const email = uniqueEmail('erase-mql');
    const { leadId, handle } = await captureLead(env, email, demoRequestForm(email));
    const assigned = await waitForState(handle, (s) => s.owner !== undefined, 'first owner');
    await waitFor(() => kindsAndRecipients(recorder, leadId), (n) => n.length === 1, 'lead_assigned notification');

    const answer = await handle.executeUpdate(eraseUpdate, { args: [{ requestedBy: 'privacy-officer' }] });
    expect(answer).toEqual({ leadId, erasedAt: expect.any(String), seq: assigned.seq + 1 });
    const final = await handle.result();
    expect(final).toMatchObject({ leadId, stage: 'mql', erasedAt: answer.erasedAt, profile: { email: '' } });
    expect(final.sla).toBeUndefined();
    expect(final.profile.firstName).toBeUndefined();
    expect(await workflowStatus(handle)).toBe('COMPLETED');
    expect(eventTypes(recorder, leadId)).toEqual(['LeadCaptured', 'FormFilled', 'LeadBecameMql', 'LeadAssigned', 'LeadErased']);

    // Two days on, the reminder, the breach and the hand-back never happen.
    await env.sleep(2 * DAY);
    expect(eventTypes(recorder, leadId).at(-1)).toBe('LeadErased');
    expect(kindsAndRecipients(recorder, leadId)).toEqual([['lead_assigned', assigned.owner!]]);
  });
});

test('engagement queued before the erasure is dropped, and a lead that was never captured refuses to be erased', async () => {
  const { worker, recorder } = await createTestWorker(env);
  await worker.runUntil(async () => {
    const email = uniqueEmail('erase-queued');
    const { leadId, handle } = await captureLead(env, email, demoRequestForm(email));
    await waitForState(handle, (s) => s.owner !== undefined, 'first owner');
    const at = new Date().toISOString();
    // Sent together with the erasure: whatever the lead had not recorded when LeadErased came is dropped.
    await Promise.all([
      handle.signal(engagementSignal, { engagements: [{ type: 'page_view', occurredAt: at, id: 'late-1' }] }),
      handle.executeUpdate(eraseUpdate, { args: [{ requestedBy: 'privacy-officer' }] }),
    ]);
    await handle.result();
    const types = eventTypes(recorder, leadId);
    expect(types.at(-1)).toBe('LeadErased');
    expect(types.indexOf('LeadErased')).toBe(types.length - 1);

    const ghost = await startLead(env, uniqueEmail('erase-ghost'));
    const refused = await ghost.handle.executeUpdate(eraseUpdate, { args: [{ requestedBy: 'privacy-officer' }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((refused as WorkflowUpdateFailedError).cause?.message)).toMatch(/has not been captured/);
    await ghost.handle.terminate('test done');
  });
});
