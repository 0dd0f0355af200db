import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LeadNotification } from '../../activities';
import { leadIdForEmail } from '../../client/lead-id';
import type { LeadEvent, LeadEventType } from '../../domain/lead-events';
import { defaultLeadPolicy, type LeadPolicy } from '../../domain/lead-policy';
import type { LeadState } from '../../domain/lead-state';
import { LEAD_TASK_QUEUE, leadStateQuery, submitFormUpdate, type FillFormInput } from '../../workflows/lead.messages';
import { leadWorkflow } from '../../workflows/lead.workflow';
import type { Recorder } from './temporal-env';

/*
 * Helpers shared by the time-skipping lead workflow tests. Durations are the policy's real ones: tests
 * move the test server's clock with env.sleep, never shorten a window.
 */

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
export const DAY = 24 * HOUR;

export type LeadHandle = WorkflowHandle<typeof leadWorkflow>;

/** A profile that clears fit (vp 25 + 500 employees 20 + software 15 + DE 10 = 70) and has every handoff field. */
export function goodProfile(email: string): FillFormInput['profile'] {
  return {
    email,
    firstName: 'Ada',
    lastName: 'Lovelace',
    phone: '+49 30 1234567',
    company: 'Analytical Engines GmbH',
    companyDomain: email.split('@')[1],
    jobTitle: 'VP Engineering',
    seniority: 'vp',
    industry: 'software',
    employeeCount: 500,
    country: 'DE',
    productInterest: 'lead-routing',
  };
}

/** Hand-raiser demo request with all handoff fields and good fit: the lead is an MQL at once. */
export function demoRequestForm(email: string): FillFormInput {
  return { formType: 'demo_request', profile: goodProfile(email), source: { channel: 'web', campaign: 'demo-page' } };
}

/** Content download (8 points): fit is fine but engagement is below the threshold, so the lead stays an inquiry. */
export function contentDownloadForm(email: string): FillFormInput {
  return { formType: 'content_download', profile: goodProfile(email), source: { channel: 'web', campaign: 'ebook' } };
}

let emailCounter = 0;
/** A distinct email (and so a distinct lead/workflow id) per test. */
export function uniqueEmail(label: string): string {
  emailCounter += 1;
  return `${label}-${emailCounter}-${process.pid}@acme-${label}.example.com`;
}

export async function startLead(
  env: TestWorkflowEnvironment,
  email: string,
  policy: LeadPolicy = defaultLeadPolicy,
): Promise<{ leadId: string; handle: LeadHandle }> {
  const leadId = leadIdForEmail(email);
  const handle = await env.client.workflow.start(leadWorkflow, {
    taskQueue: LEAD_TASK_QUEUE,
    workflowId: leadId,
    args: [{ leadId, policy }],
  });
  return { leadId, handle };
}

/** Starts a lead and submits its first form. */
export async function captureLead(env: TestWorkflowEnvironment, email: string, form: FillFormInput) {
  const { leadId, handle } = await startLead(env, email);
  const answer = await handle.executeUpdate(submitFormUpdate, { args: [form] });
  return { leadId, handle, answer };
}

/** Polls (in real time) until `read` returns a value accepted by `ok`; returns that value. */
export async function waitFor<T>(
  read: () => T | Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last, null, 1)?.slice(0, 2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function leadState(handle: LeadHandle): Promise<LeadState> {
  return handle.query(leadStateQuery);
}

export function waitForState(handle: LeadHandle, ok: (s: LeadState) => boolean, what: string, timeoutMs?: number) {
  return waitFor(() => leadState(handle), ok, what, timeoutMs);
}

/** Recorded events of one type for one lead, typed. */
export function eventsOf<T extends LeadEventType>(
  recorder: Recorder,
  leadId: string,
  type: T,
): Extract<LeadEvent, { type: T }>[] {
  return recorder.events(leadId).filter((e): e is Extract<LeadEvent, { type: T }> => e.type === type);
}

export function eventTypes(recorder: Recorder, leadId: string): LeadEventType[] {
  return recorder.events(leadId).map((e) => e.type);
}

/** Notifications for one lead in the order of the events that caused them (they are sent concurrently). */
export function notificationsFor(recorder: Recorder, leadId: string): LeadNotification[] {
  return recorder.notifications
    .filter((n) => n.leadId === leadId)
    .sort((a, b) => a.eventSeq - b.eventSeq || a.kind.localeCompare(b.kind));
}

export function kindsAndRecipients(recorder: Recorder, leadId: string): [string, string][] {
  return notificationsFor(recorder, leadId).map((n) => [n.kind, n.to]);
}

/** Advances the test server's clock to `at` (ms epoch or ISO); a no-op when that moment has passed. */
export async function sleepUntil(env: TestWorkflowEnvironment, at: number | string): Promise<void> {
  const target = typeof at === 'string' ? Date.parse(at) : at;
  const now = await env.currentTimeMs();
  if (target > now) await env.sleep(target - now);
}

export const EventType = temporal.api.enums.v1.EventType;

export async function historyEvents(handle: LeadHandle, runId?: string) {
  const history = runId
    ? await handle.client.getHandle(handle.workflowId, runId).fetchHistory()
    : await handle.fetchHistory();
  return history.events ?? [];
}

/** Names of the Updates the server accepted into this run's history (validator passed). */
export async function acceptedUpdateNames(handle: LeadHandle): Promise<string[]> {
  const events = await historyEvents(handle);
  return events
    .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
    .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ?? '?');
}

export async function workflowStatus(handle: LeadHandle): Promise<string> {
  const d = await handle.describe();
  return d.status.name;
}

/** Ends a lead that is still open so its timers do not keep firing for later tests in the same env. */
export async function terminateIfRunning(handle: LeadHandle): Promise<void> {
  if ((await workflowStatus(handle)) === 'RUNNING') await handle.terminate('test finished');
}
