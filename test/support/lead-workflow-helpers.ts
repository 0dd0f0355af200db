import { Client, Connection, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LeadEvent, LeadEventType } from '../../domain/lead-events';
import { defaultLeadPolicy, type LeadPolicy } from '../../domain/lead-policy';
import type { LeadState } from '../../domain/lead-state';
import { LEAD_TASK_QUEUE, LEAD_WORKFLOW_TASK_TIMEOUT, leadStateQuery, submitFormUpdate, type FillFormInput } from '../../workflows/lead.messages';
import { leadWorkflow } from '../../workflows/lead.workflow';
import type { Recorder } from './temporal-env';
import { testLeadId } from './encryption';

/*
 * Helpers shared by the time-skipping lead workflow tests. Durations are the policy's real ones: tests
 * move the test server's clock with env.sleep, never shorten a window.
 */

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
export const DAY = 24 * HOUR;

export type LeadHandle = WorkflowHandle<typeof leadWorkflow>;
/** A handle from start(): also knows the first run's id, where a continue-as-new chain begins. */
export type StartedLeadHandle = WorkflowHandleWithFirstExecutionRunId<typeof leadWorkflow>;

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
): Promise<{ leadId: string; handle: StartedLeadHandle }> {
  const leadId = testLeadId(email);
  const handle = await env.client.workflow.start(leadWorkflow, {
    taskQueue: LEAD_TASK_QUEUE,
    workflowId: leadId,
    workflowTaskTimeout: LEAD_WORKFLOW_TASK_TIMEOUT,
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
  let lastError: unknown;
  for (;;) {
    try {
      // A single read (a query) that hangs is abandoned and tried again: a query that reaches a run in
      // the middle of continue-as-new can stay unanswered.
      last = await withTimeout(Promise.resolve(read()), Math.min(5_000, Math.max(deadline - Date.now(), 1_000)), 'a read');
      lastError = undefined;
      if (ok(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const seen =
        lastError !== undefined
          ? `last error: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}`
          : `last value: ${JSON.stringify(last, null, 1)?.slice(0, 2000)}`;
      throw new Error(`timed out waiting for ${what}; ${seen}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
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

/**
 * Who the lead's events concern, in the order they were recorded: the owner is told of an assignment
 * and reminded, the escalation is told of a breach, the manager of a hand-back after the SLA expired.
 * The lead publishes these as public events (lead.assigned, lead.sla_reminder, lead.sla_breached,
 * lead.recycled) for the webhook endpoints that subscribe to them; receivers route them.
 */
export function kindsAndRecipients(recorder: Recorder, leadId: string, manager = 'manager-margaret'): [string, string][] {
  return recorder.events(leadId).flatMap((e): [string, string][] => {
    if (e.type === 'LeadAssigned') return [['lead_assigned', e.data.owner]];
    if (e.type === 'SlaReminderSent') return [['sla_reminder', e.data.owner]];
    if (e.type === 'SlaBreached') return [['sla_breached', e.data.escalateTo]];
    if (e.type === 'LeadRecycled' && e.data.reason === 'sla_expired') return [['lead_recycled', manager]];
    return [];
  });
}

/** Advances the test server's clock to `at` (ms epoch or ISO); a no-op when that moment has passed. */
export async function sleepUntil(env: TestWorkflowEnvironment, at: number | string, settle?: LeadHandle): Promise<void> {
  const target = typeof at === 'string' ? Date.parse(at) : at;
  const now = await env.currentTimeMs();
  if (target <= now) return;
  // Skipping days takes milliseconds unless something holds the test server's clock (an open workflow
  // task or activity): then it would crawl in real time, so fail loudly instead of hanging.
  await withTimeout(env.sleep(target - now), 30_000, `env.sleep(${target - now} ms)`);
  if (settle) await waitForIdle(settle);
}

/**
 * Waits until the lead has no workflow task open (the timers the skip fired have been handled). The
 * time-skipping test server (1.40.0) fails a workflow task that runs local activities when an Update
 * arrives for it mid-task ("invalid history builder state for action") and the lead then never moves
 * again; a real server takes such an Update in the next task. Tests that send an Update right after a
 * skip that fires a timer wait for this first.
 */
export async function waitForIdle(handle: LeadHandle, timeoutMs = 20_000): Promise<void> {
  const open = new Set([EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED]);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await historyEvents(handle);
    const last = events.at(-1);
    if (last && !open.has(last.eventType!)) return;
    if (Date.now() > deadline) throw new Error(`lead ${handle.workflowId} still has a workflow task open after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const EventType = temporal.api.enums.v1.EventType;

/**
 * A run's raw history events. `via` reads them through another client: the time-skipping server sends a
 * whole history in one message, and an engagement storm's run (hundreds of encrypted batches) can pass
 * gRPC's default 4 MB limit (see `roomyClient`).
 */
export async function historyEvents(handle: LeadHandle, runId?: string, via?: Client) {
  const history = await (via?.workflow ?? handle.client).getHandle(handle.workflowId, runId).fetchHistory();
  return history.events ?? [];
}

/** A client on the environment's server whose connection accepts messages up to 64 MB. */
export async function roomyClient(env: TestWorkflowEnvironment): Promise<Client> {
  const connection = await Connection.connect({
    address: env.address,
    channelArgs: { 'grpc.max_receive_message_length': 64 * 1024 * 1024 },
  });
  return new Client({ connection, namespace: env.namespace ?? 'default' });
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

/** True when the current run has no workflow task and no activity outstanding (read from its history). */
export async function isIdle(handle: LeadHandle): Promise<boolean> {
  let workflowTasks = 0;
  let activities = 0;
  for (const e of await historyEvents(handle)) {
    switch (e.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
        workflowTasks += 1;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
      case EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
      case EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
        workflowTasks -= 1;
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        activities += 1;
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
        activities -= 1;
        break;
    }
  }
  return workflowTasks === 0 && activities === 0;
}

/**
 * Ends a lead that is still open, so its timers do not fire into later tests of the same env. Waits
 * until the lead is idle first: the Java test server takes a time-skipping lock per outstanding
 * workflow task and terminating the run does not release it, so a terminate that races a workflow task
 * leaves the clock locked and every later env.sleep in that env crawls in real time.
 */
export async function terminateIfRunning(handle: LeadHandle): Promise<void> {
  if ((await workflowStatus(handle)) !== 'RUNNING') return;
  await waitFor(() => isIdle(handle), (idle) => idle, `lead ${handle.workflowId} to be idle before terminating it`);
  await handle.terminate('test finished');
}
