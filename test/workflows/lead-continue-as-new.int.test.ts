import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { EngagementInput } from '../../domain/lead-commands';
import { defaultLeadPolicy } from '../../domain/lead-policy';
import { ENGAGEMENT_DEDUP_WINDOW, type LeadState } from '../../domain/lead-state';
import { engagementSignal } from '../../workflows/lead.messages';
import {
  captureLead,
  contentDownloadForm,
  EventType,
  eventsOf,
  historyEvents,
  roomyClient,
  leadState,
  type StartedLeadHandle,
  terminateIfRunning,
  uniqueEmail,
  waitFor,
} from '../support/lead-workflow-helpers';
import { createTestWorker, createTimeSkippingEnv, type Recorder, workflowBundle } from '../support/temporal-env';

/*
 * A busy lead: 12,000 engagement signals (one engagement each) with the default policy
 * (maxHistoryEvents 2000). The workflow must continue-as-new several times, lose no signal, keep its
 * state (scores, per-type caps, dedup ids, seq) across runs and keep every run's history near the cap.
 *
 * The history bound is asserted for a sender that sends parallel chunks of 200 but does not run more
 * than one chunk ahead of the lead. Against an unpaced storm (all 12,000 signals in ~5 s) no workflow
 * can hold that bound: while signals keep arriving, the server rejects the continue-as-new completion
 * (WorkflowTaskFailed, cause UNHANDLED_COMMAND) and the run keeps growing until the storm stops. For
 * that case the second test asserts correctness, that the backlog is recorded in bounded batches, and
 * logs the run sizes. (A real server also caps signals per run, 10,000 by default, and refuses the
 * rest; the time-skipping server has no such cap, so that is not observable here.)
 */

const policy = defaultLeadPolicy;
const TOTAL = 12_000;
/** Signals sent in parallel at a time; the sender stays at most one chunk ahead of the lead. */
const CHUNK = 100;
/** The unpaced storm sends bigger chunks, as fast as the server takes them. */
const STORM_CHUNK = 200;
/**
 * The most events a run may hold: the server's own continue-as-new suggestion (4,096 events). The lead
 * continues as new at about maxHistoryEvents, but a chunk that arrives while that task runs makes the
 * server refuse the continue-as-new (UNHANDLED_COMMAND) and the run grows by up to that chunk before the
 * retry; how often that happens depends on how loaded the machine is (2,219 events once, under three test
 * runs at a time). What must hold on any machine is that no run grows toward Temporal's limits.
 */
const RUN_EVENTS_BOUND = 4_096;
/** MAX_ENGAGEMENTS_PER_DECISION in workflows/lead.workflow.ts: keeps recordEvents far below 2 MB. */
const MAX_ENGAGEMENTS_PER_DECISION = 500;

// Types with points (capped and uncapped) and types the policy does not know (0 points).
const TYPES = [
  'page_view', // 1, cap 10
  'email_open', // 1, cap 5
  'email_click', // 3, cap 15
  'pricing_page_view', // 10, cap 30
  'webinar_attended', // 12, no cap
  'newsletter', // 2, no cap
  'chat_opened', // unknown: 0
  'support_ticket', // unknown: 0
] as const;

function makeEngagements(prefix: string): { engagements: EngagementInput[]; counts: Record<string, number> } {
  const counts: Record<string, number> = {};
  const engagements = Array.from({ length: TOTAL }, (_, i): EngagementInput => {
    const type = TYPES[i % TYPES.length]!;
    counts[type] = (counts[type] ?? 0) + 1;
    // Half carry an id (all distinct: none is a re-delivery), half do not.
    const occurredAt = new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString();
    return i % 2 ? { type, occurredAt } : { type, occurredAt, id: `${prefix}-${i}` };
  });
  return { engagements, counts };
}

/** The score the lead should end with, computed from the policy's tables without the domain's scoring code. */
function expectedScores(counts: Record<string, number>, initial: Record<string, number>) {
  const byType: Record<string, number> = { ...initial };
  for (const [type, count] of Object.entries(counts)) {
    const raw = policy.engagement.points[type] ?? policy.engagement.defaultPoints;
    const cap = policy.engagement.capPerType[type];
    const already = byType[type] ?? 0;
    // Caps clip each event's points, so the total per type is min(cap, sum) whatever the arrival order.
    const total = cap === undefined ? already + raw * count : Math.min(cap, already + raw * count);
    if (total !== 0) byType[type] = total;
  }
  return { byType, score: Object.values(byType).reduce((a, b) => a + b, 0) };
}

function sendChunk(handle: StartedLeadHandle, chunk: EngagementInput[]): Promise<void[]> {
  return Promise.all(chunk.map((e) => handle.signal(engagementSignal, { engagements: [e] })));
}

function recordedEngagements(recorder: Recorder, leadId: string): number {
  return eventsOf(recorder, leadId, 'EngagementRecorded').length;
}

/** Waits until `count` engagements are recorded and the lead's state has folded everything recorded. */
async function caughtUp(handle: StartedLeadHandle, recorder: Recorder, leadId: string, count: number, timeoutMs: number) {
  await waitFor(() => recordedEngagements(recorder, leadId), (n) => n >= count, `${count} EngagementRecorded events`, timeoutMs);
  return waitFor(
    () => leadState(handle),
    (s) => s.seq === recorder.events(leadId).at(-1)!.seq,
    'the state to fold every recorded event',
    timeoutMs,
  );
}

interface Run {
  runId: string;
  /** The run's workflow task timeout in seconds, from its WorkflowExecutionStarted event. */
  taskTimeoutSeconds: number;
  length: number;
  signals: number;
  lastEvent: string;
}

function endsInContinueAsNew(history: Awaited<ReturnType<typeof historyEvents>>): boolean {
  return history.at(-1)?.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW;
}

/** Every run of the lead, following WorkflowExecutionContinuedAsNew from the first run. */
async function runsOf(handle: StartedLeadHandle): Promise<Run[]> {
  const runs: Run[] = [];
  const currentRunId = (await handle.describe()).runId;
  let runId: string | undefined = handle.firstExecutionRunId;
  while (runId) {
    let history = await historyEvents(handle, runId, historyClient);
    // A closed run ends in its ContinuedAsNew event; read it again if it arrived without (seen once on
    // a connection the test server had just reset for excess keepalive pings).
    for (let retry = 0; retry < 5 && runId !== currentRunId && !endsInContinueAsNew(history); retry++) {
      await new Promise((r) => setTimeout(r, 200));
      history = await historyEvents(handle, runId, historyClient);
    }
    runs.push({
      runId,
      taskTimeoutSeconds: Number(history[0]?.workflowExecutionStartedEventAttributes?.workflowTaskTimeout?.seconds ?? 0),
      length: history.length,
      signals: history.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED).length,
      lastEvent: EventType[history.at(-1)?.eventType ?? 0] ?? '?',
    });
    runId = endsInContinueAsNew(history)
      ? history.at(-1)!.workflowExecutionContinuedAsNewEventAttributes!.newExecutionRunId!
      : undefined;
    if (runs.length > 100) throw new Error('continue-as-new chain longer than 100 runs');
  }
  return runs;
}

/** State, recorded events and runs after all signals: the checks both tests share. */
async function expectEverySignalHandled(
  handle: StartedLeadHandle,
  recorder: Recorder,
  leadId: string,
  state: LeadState,
  initial: LeadState,
  sent: { engagements: EngagementInput[]; counts: Record<string, number> },
): Promise<Run[]> {
  // No engagement lost or counted twice.
  expect(recordedEngagements(recorder, leadId)).toBe(TOTAL);
  const recordedIds = eventsOf(recorder, leadId, 'EngagementRecorded').flatMap((e) =>
    e.data.engagementId === undefined ? [] : [e.data.engagementId],
  );
  expect(new Set(recordedIds).size).toBe(TOTAL / 2);
  expect(recordedIds).toHaveLength(TOTAL / 2);

  // Scores with per-type caps honoured across runs, computed independently.
  const expected = expectedScores(sent.counts, initial.engagementByType);
  expect(state.engagementByType).toEqual(expected.byType);
  expect(state.engagementScore).toBe(expected.score);
  // The dedup window holds the last ids the lead recorded (in its recording order).
  expect(state.recentEngagementIds).toEqual(recordedIds.slice(-ENGAGEMENT_DEDUP_WINDOW));
  // The lead crossed the threshold on the way, became an MQL once and got an owner.
  expect(state).toMatchObject({ stage: 'mql', mqlCycle: 1 });
  expect(policy.routing.reps.map((r) => r.id)).toContain(state.owner);
  expect(eventsOf(recorder, leadId, 'LeadBecameMql')).toHaveLength(1);
  expect(eventsOf(recorder, leadId, 'LeadAssigned')).toHaveLength(1);

  // Recorded events: seq 1..N across all runs, no gap, no repeat.
  const events = recorder.events(leadId);
  expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
  expect(state.seq).toBe(events.length);

  // Every signal is in exactly one run's history, and the last run of the chain is the open one. The
  // lead may still continue-as-new once after folding the last signal (its run reached the cap): read
  // the chain again until it ends in the open run with no workflow task in progress.
  const busy = ['EVENT_TYPE_WORKFLOW_TASK_SCHEDULED', 'EVENT_TYPE_WORKFLOW_TASK_STARTED'];
  let runs: Run[] = [];
  let openRunId = '';
  for (let i = 0; i < 60; i++) {
    runs = await runsOf(handle);
    openRunId = (await handle.describe()).runId;
    if (openRunId === runs.at(-1)!.runId && !busy.includes(runs.at(-1)!.lastEvent)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  console.log(`runs: ${JSON.stringify(runs.map((r) => [r.runId.slice(0, 8), r.length, r.signals, r.lastEvent]))}`);
  expect(runs.reduce((n, r) => n + r.signals, 0)).toBe(TOTAL);
  expect(openRunId).toBe(runs.at(-1)!.runId);
  return runs;
}

let env: TestWorkflowEnvironment;
/** Reads the storm's histories: a run of encrypted engagement batches can pass gRPC's 4 MB default. */
let historyClient: Client;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  historyClient = await roomyClient(env);
  await workflowBundle();
}, 180_000);

afterAll(async () => {
  await historyClient?.connection.close();
  await env?.teardown();
});

test(
  `${TOTAL} engagement signals in parallel chunks of ${CHUNK}: several runs, each within the history cap, nothing lost, state intact`,
  async () => {
    const { worker, recorder } = await createTestWorker(env);
    await worker.runUntil(async () => {
      const email = uniqueEmail('busy');
      const { leadId, handle } = await captureLead(env, email, contentDownloadForm(email));
      const initial = await leadState(handle);
      expect(initial.engagementByType).toEqual({ content_download: 8 });
      const sent = makeEngagements('busy');

      const started = Date.now();
      for (let i = 0; i < TOTAL; i += CHUNK) {
        await sendChunk(handle, sent.engagements.slice(i, i + CHUNK));
        // The sender stays at most one chunk ahead of the lead (read from the recorder: no queries while
        // runs come and go).
        const count = Math.min(i + CHUNK, TOTAL);
        await waitFor(() => recordedEngagements(recorder, leadId), (n) => n >= count, `${count} recorded engagements`, 30_000);
      }
      const state = await caughtUp(handle, recorder, leadId, TOTAL, 30_000);
      const elapsedMs = Date.now() - started;

      const runs = await expectEverySignalHandled(handle, recorder, leadId, state, initial, sent);
      // Every run keeps the lead's longer workflow task timeout across continue-as-new.
      expect(runs.map((r) => r.taskTimeoutSeconds)).toEqual(runs.map(() => 60));
      console.log(`paced: ${elapsedMs} ms, runs [events, signals]: ${JSON.stringify(runs.map((r) => [r.length, r.signals]))}`);
      expect(runs.length).toBeGreaterThanOrEqual(Math.ceil(TOTAL / policy.maxHistoryEvents));
      // Lists the offending runs if any history outgrew the cap.
      expect(runs.filter((r) => r.length > RUN_EVENTS_BOUND)).toEqual([]);

      await terminateIfRunning(handle);
    });
  },
  600_000,
);

test(
  `an unpaced storm of ${TOTAL} signals loses nothing and ends in the right state (history bound not asserted)`,
  async () => {
    const { worker, recorder } = await createTestWorker(env);
    await worker.runUntil(async () => {
      const email = uniqueEmail('storm');
      const { leadId, handle } = await captureLead(env, email, contentDownloadForm(email));
      const initial = await leadState(handle);
      const sent = makeEngagements('storm');

      const started = Date.now();
      for (let i = 0; i < TOTAL; i += STORM_CHUNK) await sendChunk(handle, sent.engagements.slice(i, i + STORM_CHUNK));
      const sentMs = Date.now() - started;
      // A bound on a hang, not on speed: on a loaded machine the backlog took more than 120 s to fold.
      const state = await caughtUp(handle, recorder, leadId, TOTAL, 480_000);

      const runs = await expectEverySignalHandled(handle, recorder, leadId, state, initial, sent);
      const largestBatch = Math.max(...recorder.batches.filter((b) => b.leadId === leadId).map((b) => b.events.length));
      console.log(
        `storm: sent in ${sentMs} ms, caught up after ${Date.now() - started} ms, largest recordEvents batch ${largestBatch} events, ` +
          `runs [events, signals]: ${JSON.stringify(runs.map((r) => [r.length, r.signals]))}`,
      );
      // It did continue-as-new (once the storm let it), and the new run carried the state on.
      expect(runs.length).toBeGreaterThanOrEqual(2);
      // The backlog was folded in bounded slices, never as one multi-megabyte recordEvents input (the
      // slice that crosses the MQL threshold also carries LeadBecameMql).
      expect(largestBatch).toBeLessThanOrEqual(MAX_ENGAGEMENTS_PER_DECISION + 1);
      const largestPayload = Math.max(
        ...recorder.batches.filter((b) => b.leadId === leadId).map((b) => JSON.stringify(b.events).length),
      );
      expect(largestPayload).toBeLessThan(512 * 1024);

      await terminateIfRunning(handle);
    });
  },
  600_000,
);
