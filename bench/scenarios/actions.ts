import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import { workflowIdForLead } from '../../client/lead-id';
import { defaultLeadPolicy, type LeadPolicy } from '../../domain/lead-policy';
import { countBillableActions, splitIntoSteps, type ActionCount, type HistoryEventLike, type Step } from '../lib/billable-actions';
import { asFillForm, inquiryForm, mqlForm, type BenchContext } from '../lib/context';
import { waitFor } from '../lib/load';
import { median } from '../lib/stats';
import { FLOOR_TASK_QUEUE, floorNoopUpdate, floorSignal } from '../workflows/floor.workflows';

/*
 * Scenario "actions" (issue 17, item 2): Temporal Cloud billable Actions per path of a lead, counted from
 * the real histories of the bench's own leads with bench/lib/billable-actions.ts, the bare engine's
 * beside each. Paths the other scenarios already ran are read from their leads (new MQL: the intake
 * scenario's; accept and reject: the decision scenario's; engagement in a storm: the storm lead's runs).
 * The others are driven here, a handful of leads each, one step at a time, each step measured once the
 * lead is idle again (no workflow task, no activity pending, its history no longer growing).
 */

export interface PathActions {
  path: string;
  /** Median Actions per occurrence (per lead, per decision, per event, per timer firing). */
  leadflow?: number;
  /** Every sample the median is taken over. */
  samples: number[];
  /** Median Actions by type, of the samples. */
  byType: Record<string, number>;
  /** Where the samples come from. */
  source: string;
  /** The bare engine's Actions for the same thing, measured from its own histories. */
  floor?: number;
  floorSource: string;
}

export interface ActionsResult {
  paths: PathActions[];
  notes: string[];
  seconds: number;
}

/** What the earlier scenarios leave for this one. */
export interface ActionsInputs {
  /** MQLs the intake scenario created, oldest first (the decision scenario decides the oldest). */
  intakeLeadIds?: string[];
  decided?: { accept: string[]; reject: string[] };
  /** Actions of the storm lead's runs, and the events it accepted. */
  storm?: { runs: { actions?: number; creationActions?: number }[]; delivered: number; events: number };
}

const LEADS = 3;
/** SLA leads' window: a reminder at half of it, a breach and reassignment at its end, then the same again and a hand-back. */
const SLA_WINDOW_MS = 16_000;

async function historyOf(client: Client, workflowId: string): Promise<HistoryEventLike[]> {
  return ((await client.workflow.getHandle(workflowId).fetchHistory()).events ?? []);
}

/** Waits until the workflow is idle: no workflow task or activity pending, history length unchanged over two polls. */
async function idle(client: Client, workflowId: string, maxMs = 30_000): Promise<boolean> {
  let last = -1;
  return waitFor(
    async () => {
      const d = await client.workflow.getHandle(workflowId).describe();
      const quiet = (d.raw.pendingActivities?.length ?? 0) === 0 && !d.raw.pendingWorkflowTask;
      const same = quiet && d.historyLength === last;
      last = quiet ? d.historyLength : -1;
      return same;
    },
    maxMs,
    300,
  );
}

const sumSteps = (steps: Step[]): ActionCount => mergeCounts(steps.map((s) => s.actions));

function mergeCounts(counts: ActionCount[]): ActionCount {
  const byType: ActionCount['byType'] = {};
  let total = 0;
  for (const c of counts) {
    total += c.total;
    for (const [k, v] of Object.entries(c.byType)) byType[k as keyof ActionCount['byType']] = (byType[k as keyof ActionCount['byType']] ?? 0) + v;
  }
  return { total, byType };
}

function path(name: string, counts: ActionCount[], source: string, floor: number | undefined, floorSource: string): PathActions {
  const types = [...new Set(counts.flatMap((c) => Object.keys(c.byType)))];
  return {
    path: name,
    ...(counts.length ? { leadflow: median(counts.map((c) => c.total)) } : {}),
    samples: counts.map((c) => c.total),
    byType: Object.fromEntries(types.map((t) => [t, median(counts.map((c) => c.byType[t as keyof ActionCount['byType']] ?? 0))])),
    source,
    ...(floor !== undefined ? { floor } : {}),
    floorSource,
  };
}

const stepsNamed = (steps: Step[], kind: Step['trigger']['kind'], name = ''): Step[] => steps.filter((s) => s.trigger.kind === kind && (name === '' || s.trigger.name === name));

export async function runActionsPerLead(ctx: BenchContext, inputs: ActionsInputs): Promise<ActionsResult> {
  const started = Date.now();
  const { env, runTag } = ctx;
  const client = env.client!;
  const floorClient = env.floorClient!;
  const http = env.httpFor('on');
  const notes: string[] = [];
  const wf = (leadId: string): string => workflowIdForLead(leadId);

  // SLA leads first: their timers run while the other paths are driven. Each has its own tiny policy
  // (as the SLA scenario's leads do): reminder at 8 s, breach and reassignment at 16 s, reminder at
  // 24 s, breach and hand-back to marketing at 32 s.
  const slaPolicy: LeadPolicy = {
    ...defaultLeadPolicy,
    version: 'bench-actions-sla',
    sla: { ...defaultLeadPolicy.sla, mql: { windowHours: SLA_WINDOW_MS / 3_600_000, reminders: [0.5], reassignmentsBeforeHandBack: 1 } },
  };
  ctx.say(`actions: ${LEADS} MQLs with a ${SLA_WINDOW_MS / 1000} s SLA window (two reminders, two breaches each), then inquiries, engagement, journeys to won and the floor`);
  const slaLeads = await Promise.all(
    Array.from({ length: LEADS }, (_, i) => env.submit(asFillForm(mqlForm(`actions-sla-${runTag}-${i}@analytical-engines.example`, `bench-actions-${runTag}`)), slaPolicy)),
  ).then((answers) => answers.map((a) => a.leadId));

  // New inquiry, then engagement events one at a time (each one request, one signal), on the same leads.
  const inquiries = await Promise.all(
    Array.from({ length: LEADS }, async (_, i) => {
      const a = await http.expectOk('POST', '/v1/leads', inquiryForm(`actions-inquiry-${runTag}-${i}@gmail.com`, `bench-actions-${runTag}`));
      const leadId = (a.body as { leadId: string }).leadId;
      await idle(client, wf(leadId));
      const created = await historyOf(client, wf(leadId));
      for (let k = 0; k < 3; k++) {
        await http.expectOk('POST', `/v1/leads/${leadId}/engagements`, { type: 'page_view', occurredAt: new Date().toISOString(), id: `actions-${runTag}-${i}-${k}` });
        await idle(client, wf(leadId));
      }
      return { created, after: await historyOf(client, wf(leadId)) };
    }),
  );

  // Journeys to won: a hand-raiser's form (MQL), accept, qualify (BANT confirmed), close won; idle between steps.
  const journeys = await Promise.all(
    Array.from({ length: LEADS }, async (_, i) => {
      const a = await http.expectOk('POST', '/v1/leads', mqlForm(`actions-won-${runTag}-${i}@analytical-engines.example`, `bench-actions-${runTag}`));
      const leadId = (a.body as { leadId: string }).leadId;
      await idle(client, wf(leadId));
      const mql = await historyOf(client, wf(leadId));
      await http.expectOk('POST', `/v1/leads/${leadId}/accept`, { rep: 'rep-ada' });
      await idle(client, wf(leadId));
      await http.expectOk('POST', `/v1/leads/${leadId}/qualify`, { rep: 'rep-ada', budget: true, authority: true, need: true, timeline: true });
      await idle(client, wf(leadId));
      await http.expectOk('POST', `/v1/leads/${leadId}/close`, { rep: 'rep-ada', outcome: 'won' });
      await idle(client, wf(leadId));
      return { mql, won: await historyOf(client, wf(leadId)) };
    }),
  );

  // Accept and reject: the decision scenario's leads when it ran, else a few of our own.
  let decided = inputs.decided;
  let decidedSource = 'the decision scenario\'s leads (last repetition)';
  if (!decided?.accept.length || !decided.reject.length) {
    decidedSource = 'leads created for it here';
    const own = await Promise.all(
      Array.from({ length: LEADS }, async (_, i) => {
        const a = await http.expectOk('POST', '/v1/leads', mqlForm(`actions-reject-${runTag}-${i}@analytical-engines.example`, `bench-actions-${runTag}`));
        const leadId = (a.body as { leadId: string }).leadId;
        await idle(client, wf(leadId));
        await http.expectOk('POST', `/v1/leads/${leadId}/reject`, { rep: 'rep-ada', reason: 'not_ready' });
        return leadId;
      }),
    );
    decided = { accept: [], reject: own };
  }
  const decidedHistories = async (ids: string[]): Promise<HistoryEventLike[][]> =>
    Promise.all(ids.map(async (id) => (await idle(client, wf(id)), historyOf(client, wf(id)))));
  const acceptHistories = await decidedHistories(decided.accept);
  const rejectHistories = await decidedHistories(decided.reject);

  // New MQL: the intake scenario's leads that the decision scenario left alone (the newest), else the journeys' first step.
  const intakeTail = (inputs.intakeLeadIds ?? []).slice(-5);
  const intakeHistories = (await decidedHistories(intakeTail)).filter((h) => splitIntoSteps(h).every((s) => s.trigger.kind === 'start' || s.trigger.name === 'submitForm'));

  // The floor: the bare engine's workflows of bench/workflows/floor.workflows.ts, on the same server.
  const floorIds = (what: string) => Array.from({ length: LEADS }, (_, i) => `floor-actions-${what}-${runTag}-${i}`);
  const sws = floorIds('sws');
  await Promise.all(
    sws.map((id) =>
      floorClient.workflow.signalWithStart('floorEmptyWorkflow', { workflowId: id, taskQueue: FLOOR_TASK_QUEUE, signal: floorSignal, signalArgs: [mqlForm(`${id}@analytical-engines.example`, 'floor')] }),
    ),
  );
  const [upd] = floorIds('update');
  await floorClient.workflow.start('floorUpdateWorkflow', { workflowId: upd!, taskQueue: FLOOR_TASK_QUEUE });
  for (let k = 0; k < LEADS; k++) await floorClient.workflow.getHandle(upd!).executeUpdate(floorNoopUpdate, { args: [{ rep: 'rep-ada' }] });
  const [sig] = floorIds('signal');
  await floorClient.workflow.start('floorStormWorkflow', { workflowId: sig!, taskQueue: FLOOR_TASK_QUEUE, args: [{ received: 0, maxHistoryEvents: defaultLeadPolicy.maxHistoryEvents }] });
  await idle(floorClient, sig!);
  for (let k = 0; k < LEADS; k++) {
    await floorClient.workflow.getHandle(sig!).signal(floorSignal, { k });
    await idle(floorClient, sig!);
  }
  const timers = floorIds('timer');
  const handles = await Promise.all(timers.map((id) => floorClient.workflow.start('floorTimerWorkflow', { workflowId: id, taskQueue: FLOOR_TASK_QUEUE, args: [Date.now() + 2_000] })));
  await Promise.all(handles.map((h) => h.result()));
  await Promise.all([...sws, upd!].map((id) => idle(floorClient, id)));
  const floorSws = await Promise.all(sws.map((id) => historyOf(floorClient, id)));
  const floorUpdate = splitIntoSteps(await historyOf(floorClient, upd!));
  const floorSignal_ = splitIntoSteps(await historyOf(floorClient, sig!));
  const floorTimers = await Promise.all(timers.map((id) => historyOf(floorClient, id)));
  await floorClient.workflow.getHandle(upd!).terminate('bench: measured').catch(() => undefined);
  await floorClient.workflow.getHandle(sig!).terminate('bench: measured').catch(() => undefined);
  const med = (xs: number[]): number | undefined => (xs.length ? median(xs) : undefined);
  const floorStart = med(floorSws.map((h) => countBillableActions(h).total));
  const floorUpdateActions = med(stepsNamed(floorUpdate, 'update').map((s) => s.actions.total));
  const floorSignalActions = med(stepsNamed(floorSignal_, 'signal').map((s) => s.actions.total));
  const floorTimer = med(floorTimers.map((h) => countBillableActions(h).byType.start_timer ?? 0));

  // The SLA leads: wait until each is back with marketing (its second breach), bounded.
  const slaDone = await waitFor(async () => {
    const r = await sql<{ n: number }>`select count(*)::int as n from leads where lead_id in (${sql.join(slaLeads)}) and stage = 'recycled'`.execute(env.db!);
    return (r.rows[0]?.n ?? 0) === slaLeads.length;
  }, SLA_WINDOW_MS * 2 + 60_000, 500);
  if (!slaDone) notes.push('not every SLA lead reached its second breach within the bound: the reminder and breach rows hold those that did');
  const slaSteps = await Promise.all(slaLeads.map(async (id) => (await idle(client, wf(id)), stepsNamed(splitIntoSteps(await historyOf(client, wf(id))), 'timer'))));
  // Timer firings in order: reminder, breach (reassigned), reminder, breach (handed back to marketing).
  const slaKind = (k: number): string => ['reminder', 'breach, reassigned', 'reminder', 'breach, handed back'][k] ?? 'other';
  const slaBy = (label: (k: string) => boolean): ActionCount[] => slaSteps.flatMap((steps) => steps.filter((_, k) => label(slaKind(k))).map((s) => s.actions));

  const inquirySteps = inquiries.map((x) => splitIntoSteps(x.after));
  const journeySteps = journeys.map((j) => splitIntoSteps(j.won));
  const updateActions = (histories: HistoryEventLike[][], name: string): ActionCount[] => histories.flatMap((h) => stepsNamed(splitIntoSteps(h), 'update', name).map((s) => s.actions));
  const floorJourney = floorStart !== undefined && floorUpdateActions !== undefined ? floorStart + 3 * floorUpdateActions : undefined;

  const paths: PathActions[] = [
    path('new inquiry (POST /v1/leads, a newsletter sign-up)', inquiries.map((x) => countBillableActions(x.created)), `${LEADS} leads created here`, floorStart, 'signalWithStart of the empty workflow'),
    intakeHistories.length
      ? path('new MQL (POST /v1/leads, a demo request), settled with its owner', intakeHistories.map((h) => countBillableActions(h)), `${intakeHistories.length} of the intake scenario's leads`, floorStart, 'signalWithStart of the empty workflow')
      : path('new MQL (POST /v1/leads, a demo request), settled with its owner', journeys.map((j) => countBillableActions(j.mql)), `${LEADS} leads created here`, floorStart, 'signalWithStart of the empty workflow'),
    path('decision: accept', acceptHistories.length ? updateActions(acceptHistories, 'accept') : updateActions(journeys.map((j) => j.won), 'accept'), acceptHistories.length ? decidedSource : 'the journeys below', floorUpdateActions, 'executeUpdate of the no-op Update'),
    path('decision: reject (not_ready: recycled)', updateActions(rejectHistories, 'reject'), decidedSource, floorUpdateActions, 'executeUpdate of the no-op Update'),
    path('decision: qualify (BANT confirmed: SQL)', updateActions(journeys.map((j) => j.won), 'qualify'), 'the journeys below', floorUpdateActions, 'executeUpdate of the no-op Update'),
    path('decision: close won', updateActions(journeys.map((j) => j.won), 'close'), 'the journeys below', floorUpdateActions, 'executeUpdate of the no-op Update'),
    path('engagement event, one request at a time (one signal each)', inquirySteps.flatMap((steps) => stepsNamed(steps, 'signal', 'recordEngagement').map((s) => s.actions)), `3 events to each of the ${LEADS} inquiries, the lead idle in between`, floorSignalActions, 'a signal to an open workflow'),
  ];
  const storm = inputs.storm;
  if (storm && storm.runs.every((r) => r.actions !== undefined) && storm.delivered > 0) {
    const total = storm.runs.reduce((n, r) => n + (r.actions ?? 0), 0) - storm.runs.reduce((n, r) => n + (r.creationActions ?? 0), 0);
    const perEvent = Math.round((total / storm.delivered) * 1000) / 1000;
    paths.push({
      path: `engagement event, in a storm (${storm.events.toLocaleString('en-US')} to one lead; the API coalesces requests into signals)`,
      leadflow: perEvent,
      samples: [total],
      byType: {},
      source: `the storm lead's ${storm.runs.length} runs: ${total.toLocaleString('en-US')} Actions (the lead's creation left out) ÷ ${storm.delivered.toLocaleString('en-US')} events accepted`,
      ...(floorSignalActions !== undefined ? { floor: floorSignalActions } : {}),
      floorSource: 'a signal to an open workflow',
    });
  }
  paths.push(
    path('SLA reminder (timer fires)', slaBy((k) => k === 'reminder'), `${LEADS} MQLs with a ${SLA_WINDOW_MS / 1000} s window, two reminders each`, floorTimer, 'a durable timer (sleep) of a bare workflow'),
    path('SLA breach, reassigned to the next rep', slaBy((k) => k === 'breach, reassigned'), 'the same leads, first breach', floorTimer, 'a durable timer (sleep) of a bare workflow'),
    path('SLA breach, handed back to marketing (recycled)', slaBy((k) => k === 'breach, handed back'), 'the same leads, second breach', floorTimer, 'a durable timer (sleep) of a bare workflow'),
    path('full journey to won: form (MQL), accept, qualify, close won', journeySteps.map(sumSteps), `${LEADS} leads, one step at a time`, floorJourney, 'signalWithStart + 3 × executeUpdate (the rows above)'),
  );
  for (const [k, steps] of slaSteps.entries()) {
    if (steps.length !== 4 && slaDone) notes.push(`SLA lead ${k}: ${steps.length} timer firings, 4 expected (reminder, breach, reminder, breach)`);
  }
  return { paths, notes, seconds: Math.round((Date.now() - started) / 100) / 10 };
}
