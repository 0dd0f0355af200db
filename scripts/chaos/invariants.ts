import { evolve } from '../../domain/lead-decider';
import type { LeadEvent } from '../../domain/lead-events';
import { initialLeadState, type LeadState } from '../../domain/lead-state';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import type { RecordedRequest } from './api-client';

/** One invariant's verdict, printed with its numbers. */
export interface Check {
  name: string;
  ok: boolean;
  numbers: string;
  /** The first few counterexamples (ids and counts only: nothing personal). */
  problems: string[];
  /** Acknowledged writes this check found missing (they add up to `lost`). */
  lost?: number;
}

const ok2xx = (r: RecordedRequest): boolean => r.status !== undefined && r.status >= 200 && r.status < 300;
const sample = (problems: string[]): string[] => problems.slice(0, 8);

/** Every form fill answered 2xx is a lead: a row in the read model and a workflow in Temporal. */
export function formFillsAreLeads(requests: RecordedRequest[], rows: Set<string>, workflows: Set<string>): Check {
  const acked = requests.filter((r) => (r.op === 'form_new' || r.op === 'form_repeat') && ok2xx(r));
  const problems: string[] = [];
  let missing = 0;
  for (const r of acked) {
    const inRows = r.leadId !== undefined && rows.has(r.leadId);
    const inTemporal = r.leadId !== undefined && workflows.has(r.leadId);
    if (!inRows || !inTemporal) {
      missing++;
      problems.push(`request ${r.id} (${r.op}) lead ${r.leadId ?? '?'}: read model ${inRows ? 'yes' : 'NO'}, workflow ${inTemporal ? 'yes' : 'NO'}`);
    }
  }
  const leads = new Set(acked.map((r) => r.leadId)).size;
  return {
    name: 'every form fill answered 2xx is a lead (read model and Temporal workflow)',
    ok: missing === 0,
    numbers: `${acked.length} form fills answered 2xx (${leads} distinct leads): ${acked.length - missing} found, ${missing} missing`,
    problems: sample(problems),
    lost: missing,
  };
}

const decisionEventTypes: Record<string, (r: RecordedRequest) => string> = {
  accept: () => 'LeadAccepted',
  reject: () => 'LeadRejected',
  qualify: () => 'LeadQualified',
  close: (r) => (r.detail?.outcome === 'won' ? 'LeadWon' : 'LeadLost'),
  disqualify: () => 'LeadDisqualified',
};

/**
 * Every decision answered 2xx is in the lead's history (`lead_events`) and in the read model: an event of
 * its type at or before the seq the answer showed, each event matched by one decision only, and the read
 * model's row at least that far.
 */
export function decisionsRecorded(requests: RecordedRequest[], events: Map<string, LeadEvent[]>, rowSeq: Map<string, number>): Check {
  const acked = requests.filter((r) => r.op in decisionEventTypes && ok2xx(r));
  const used = new Set<string>();
  const problems: string[] = [];
  let missing = 0;
  // Earliest answers first, so each claims the earliest event it can.
  for (const r of [...acked].sort((a, b) => (a.answerSeq ?? 0) - (b.answerSeq ?? 0))) {
    const type = decisionEventTypes[r.op]!(r);
    const leadEvents = events.get(r.leadId!) ?? [];
    const match = leadEvents.find((e) => e.type === type && e.seq <= (r.answerSeq ?? Number.MAX_SAFE_INTEGER) && !used.has(`${r.leadId}:${e.seq}`));
    const row = rowSeq.get(r.leadId!) ?? 0;
    if (!match || row < (r.answerSeq ?? 0)) {
      missing++;
      problems.push(`request ${r.id} (${r.op}) lead ${r.leadId}: ${type} ${match ? `at seq ${match.seq}` : 'NOT in lead_events'}, read model at seq ${row} (answer showed ${r.answerSeq})`);
      continue;
    }
    used.add(`${r.leadId}:${match.seq}`);
  }
  const byOp = Object.keys(decisionEventTypes)
    .map((op) => `${op} ${acked.filter((r) => r.op === op).length}`)
    .join(', ');
  return {
    name: 'every decision answered 2xx is in the lead\'s history and in the read model',
    ok: missing === 0,
    numbers: `${acked.length} decisions answered 2xx (${byOp}): ${acked.length - missing} found, ${missing} missing`,
    problems: sample(problems),
    lost: missing,
  };
}

/**
 * Engagement and unsubscribes answered 202 are applied: each engagement id is an EngagementRecorded event
 * (or its lead was closed before it was processed: closed leads take no engagement), each unsubscribe left
 * the lead unsubscribed (or closed).
 */
export function signalsApplied(requests: RecordedRequest[], events: Map<string, LeadEvent[]>, states: Map<string, LeadState>): Check {
  const engagements = requests.filter((r) => r.op === 'engagement' && ok2xx(r));
  const unsubscribes = requests.filter((r) => r.op === 'unsubscribe' && ok2xx(r));
  const closed = (leadId: string): boolean => ['won', 'disqualified'].includes(states.get(leadId)?.stage ?? '');
  const problems: string[] = [];
  let ids = 0;
  let recorded = 0;
  let closedFirst = 0;
  let missing = 0;
  for (const r of engagements) {
    const seen = new Set(
      (events.get(r.leadId!) ?? []).flatMap((e) => (e.type === 'EngagementRecorded' && e.data.engagementId ? [e.data.engagementId] : [])),
    );
    for (const id of (r.detail?.engagementIds as string[] | undefined) ?? []) {
      ids++;
      if (seen.has(id)) recorded++;
      else if (closed(r.leadId!)) closedFirst++;
      else {
        missing++;
        problems.push(`request ${r.id} (engagement) lead ${r.leadId}: an accepted engagement id is not recorded`);
      }
    }
  }
  let unsubscribed = 0;
  for (const r of unsubscribes) {
    const state = states.get(r.leadId!);
    if (state?.unsubscribed || closed(r.leadId!)) unsubscribed++;
    else {
      missing++;
      problems.push(`request ${r.id} (unsubscribe) lead ${r.leadId}: the lead is not unsubscribed`);
    }
  }
  return {
    name: 'every engagement and unsubscribe answered 2xx is applied',
    ok: missing === 0,
    numbers:
      `${engagements.length} engagement requests answered 2xx with ${ids} events: ${recorded} recorded, ${closedFirst} dropped because the lead was closed first, ` +
      `${ids - recorded - closedFirst} missing; ${unsubscribes.length} unsubscribes answered 2xx: ${unsubscribed} applied`,
    problems: sample(problems),
    lost: missing,
  };
}

/** No duplicate or missing seq in lead_events: each lead's seqs are exactly 1..n. */
export function seqsContiguous(events: Map<string, LeadEvent[]>): Check {
  const problems: string[] = [];
  let total = 0;
  for (const [leadId, list] of events) {
    total += list.length;
    const seqs = list.map((e) => e.seq);
    const bad = seqs.findIndex((s, i) => s !== i + 1);
    if (bad >= 0) problems.push(`lead ${leadId}: seq ${seqs[bad]} at position ${bad + 1} (${seqs.length} events, max ${Math.max(...seqs)})`);
  }
  return {
    name: 'no duplicate or missing seq in lead_events',
    ok: problems.length === 0,
    numbers: `${events.size} leads, ${total} events; ${problems.length} leads with a gap or a duplicate`,
    problems: sample(problems),
  };
}

interface SlaWindow {
  leadId: string;
  kind: string;
  openedSeq: number;
  reminders: string[];
  dueAt: string;
  fired: { reminders: number[]; breaches: number; early: string[] };
  /** When the window ended other than by its own breach, and by which event. */
  closedBy?: LeadEvent;
}

const opOf: Record<string, string> = {
  LeadAccepted: 'accept',
  LeadRejected: 'reject',
  LeadQualified: 'qualify',
  LeadWon: 'close',
  LeadLost: 'close',
  LeadDisqualified: 'disqualify',
};

/** One reminder or breach instant of a window, with what became of it. */
interface Deadline {
  w: SlaWindow;
  label: string;
  instant: string;
  fired: number;
  /** It passed while its window was open. */
  fellDue: boolean;
  /** The Update (accept, reject, …) that closed the window, if a sales decision did. */
  op?: string;
}

/** The SLA windows of every lead, from its events, and each deadline in them. */
function slaDeadlines(events: Map<string, LeadEvent[]>, requests: RecordedRequest[], now: number): { windows: SlaWindow[]; deadlines: Deadline[] } {
  // The decisions that may have been applied (a 4xx was not): when each was first sent, by lead.
  const decisionsSent = new Map<string, { op: string; at: number; acked: boolean; answerSeq?: number }[]>();
  for (const r of requests) {
    if (!(r.op in decisionEventTypes) || r.leadId === undefined || r.attempts.length === 0) continue;
    if (r.status !== undefined && r.status >= 400 && r.status < 500) continue;
    decisionsSent.set(r.leadId, [...(decisionsSent.get(r.leadId) ?? []), { op: r.op, at: r.attempts[0]!.at, acked: ok2xx(r), answerSeq: r.answerSeq }]);
  }
  const windows: SlaWindow[] = [];
  for (const [leadId, list] of events) {
    let state: LeadState = initialLeadState(leadId);
    let open: SlaWindow | undefined;
    let previous: LeadEvent | undefined;
    for (const event of list) {
      // A rejection or a loss is followed, in the same decision, by the recycle or disqualification that
      // ends the window: the window was closed by that decision.
      const closer = previous && (previous.type === 'LeadRejected' || previous.type === 'LeadLost') && previous.occurredAt === event.occurredAt ? previous : event;
      previous = event;
      const before = state.sla;
      state = evolve(state, event);
      const after = state.sla;
      if (event.type === 'SlaReminderSent' && open) {
        const index = (event.data.reminder ?? 1) - 1;
        open.fired.reminders[index] = (open.fired.reminders[index] ?? 0) + 1;
        const instant = open.reminders[index];
        if (instant && Date.parse(event.occurredAt) < Date.parse(instant)) open.fired.early.push(`reminder ${index + 1} at ${event.occurredAt}, due ${instant}`);
        continue;
      }
      if (event.type === 'SlaBreached' && open) {
        open.fired.breaches++;
        if (Date.parse(event.occurredAt) < Date.parse(open.dueAt)) open.fired.early.push(`breach at ${event.occurredAt}, due ${open.dueAt}`);
        open = undefined;
        continue;
      }
      const replaced = after !== undefined && (before === undefined || after.startedAt !== before.startedAt || after.owner !== before.owner || after.kind !== before.kind);
      if (open && (after === undefined || replaced)) {
        open.closedBy = closer;
        open = undefined;
      }
      if (after && replaced) {
        open = {
          leadId,
          kind: after.kind,
          openedSeq: event.seq,
          reminders: after.reminders ?? (after.remindAt !== after.dueAt ? [after.remindAt] : []),
          dueAt: after.dueAt,
          fired: { reminders: [], breaches: 0, early: [] },
        };
        windows.push(open);
      }
    }
  }
  const deadlines: Deadline[] = [];
  for (const w of windows) {
    // Until when the window was open for its deadlines: the event that closed it, or, when that was a
    // sales decision, the moment this suite first sent it (the rep acted then; the lead may record it later).
    let until = w.closedBy ? Date.parse(w.closedBy.occurredAt) : now;
    const op = w.closedBy ? opOf[w.closedBy.type] : undefined;
    if (op) {
      // The one that closed it: an acknowledged one if there is one, else one whose answer was lost; of
      // several, the first sent (the lead refuses a second once the stage has moved on).
      // (An acknowledged one whose answer showed an earlier seq was applied before this window closed.)
      const closedSeq = w.closedBy!.seq;
      const candidates = (decisionsSent.get(w.leadId) ?? []).filter((d) => d.op === op && d.at <= until && (!d.acked || (d.answerSeq ?? 0) >= closedSeq));
      const preferred = candidates.some((d) => d.acked) ? candidates.filter((d) => d.acked) : candidates;
      if (preferred.length > 0) until = Math.min(...preferred.map((d) => d.at));
    }
    const add = (label: string, instant: string, fired: number): void => {
      deadlines.push({ w, label, instant, fired, fellDue: Date.parse(instant) < until, ...(op ? { op } : {}) });
    };
    w.reminders.forEach((instant, i) => add(`reminder ${i + 1}`, instant, w.fired.reminders[i] ?? 0));
    add('breach', w.dueAt, w.fired.breaches);
  }
  return { windows, deadlines };
}

/** Deadlines that fell due, did not fire, and whose window a decision closed: their leads' histories say why. */
export function slaLeadsToExamine(events: Map<string, LeadEvent[]>, requests: RecordedRequest[], now: number): Set<string> {
  return new Set(slaDeadlines(events, requests, now).deadlines.filter((d) => d.fellDue && d.fired === 0 && d.op).map((d) => d.w.leadId));
}

type History = temporal.api.history.v1.IHistory;

/**
 * Why a deadline that fell due did not fire although its window was open: a decision closed it first.
 * That is what the lead does when its timer and the decision reach it together (updates are applied
 * before timers, and an update waiting for the lead's lock goes before its timer loop), as after a worker
 * was killed (its tasks wait out the sticky queue's 10 s), the dev server restarted or the database was
 * away (tasks fail and back off), or when the decision is sent just after the instant. It is a lost timer
 * only if the lead completed a workflow task after the timer fired and before the task that took the
 * decision: then it saw the timer and did not act on it. The lead's Temporal history tells which.
 */
function whyNotFired(history: History | undefined, d: Deadline): 'overtaken' | 'lost' | 'unknown' {
  const events = history?.events ?? [];
  const closedAt = Date.parse(d.w.closedBy!.occurredAt);
  const at = (e: temporal.api.history.v1.IHistoryEvent): number => optionalTsToMs(e.eventTime) ?? 0;
  // The decision's Update: the last of its name accepted by the time the decision was recorded (its task
  // accepts it, or an earlier one did and its handler waited for the lead's lock). Workflow time, which the
  // decision is recorded at, is its task's start, a little before that task completes and accepts.
  let accepted = -1;
  events.forEach((e, i) => {
    if (e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === d.op && at(e) <= closedAt + 2000) accepted = i;
  });
  if (accepted < 0) return 'unknown';
  let started = accepted;
  while (started > 0 && !events[started]!.workflowTaskStartedEventAttributes) started--;
  // The timer of this instant fires at it (or a little later: it is armed from the task's start time).
  const instant = Date.parse(d.instant);
  const timer = events.findIndex((e, i) => i < started && e.timerFiredEventAttributes && at(e) >= instant - 1000);
  if (timer < 0) return 'overtaken'; // the lead was busy (its lock held) when the instant passed: no timer was armed
  return events.slice(timer + 1, started).some((e) => e.workflowTaskCompletedEventAttributes) ? 'lost' : 'overtaken';
}

/**
 * Every SLA deadline that fell due fired exactly once. The windows come from folding each lead's events
 * (LeadAssigned / LeadAccepted open one, the events that end or replace it close it). A reminder or breach
 * instant fell due when it passed while its window was open: before the event that closed it, unless that
 * event was a sales decision this suite had already sent before the instant (the rep acted in time, the lead
 * only recorded it later because it could not run). Every deadline that fell due must have fired once, or
 * have been overtaken by a decision (see whyNotFired, from `histories` of the leads slaLeadsToExamine names);
 * none more than once, and none before its instant.
 */
export function slaDeadlinesFiredOnce(events: Map<string, LeadEvent[]>, requests: RecordedRequest[], now: number, histories: Map<string, History>): Check {
  const { windows, deadlines } = slaDeadlines(events, requests, now);
  const problems: string[] = [];
  const overtakenExamples: string[] = [];
  let due = 0;
  let firedWhenDue = 0;
  let fired = 0;
  let inTime = 0;
  let overtaken = 0;
  for (const d of deadlines) {
    const where = `lead ${d.w.leadId} ${d.w.kind} window from seq ${d.w.openedSeq}: ${d.label} due ${d.instant}`;
    fired += d.fired;
    if (d.fired > 1) problems.push(`${where} fired ${d.fired} times`);
    if (!d.fellDue) {
      if (d.fired === 0 && d.w.closedBy && Date.parse(d.instant) < Date.parse(d.w.closedBy.occurredAt)) inTime++;
      continue;
    }
    due++;
    if (d.fired !== 0) {
      firedWhenDue++;
      continue;
    }
    const why = d.op ? whyNotFired(histories.get(d.w.leadId), d) : 'lost';
    if (why === 'overtaken') {
      overtaken++;
      overtakenExamples.push(`${where}, overtaken by ${d.w.closedBy!.type} recorded at ${d.w.closedBy!.occurredAt}`);
    } else problems.push(`${where} never fired${why === 'unknown' ? ' (its decision was not found in the history)' : ''}`);
  }
  for (const w of windows) for (const e of w.fired.early) problems.push(`lead ${w.leadId} ${w.kind} window from seq ${w.openedSeq}: fired early: ${e}`);
  return {
    name: 'every SLA deadline that fell due fired exactly once',
    ok: problems.length === 0,
    numbers:
      `${windows.length} SLA windows; ${due} reminder/breach deadlines fell due: ${firedWhenDue} fired, ${overtaken} overtaken by a decision ` +
      `that reached the lead before it acted on the timer (no workflow task completed in between, says its history); ` +
      `${fired} reminders and breaches recorded in all; ` +
      `${inTime} passed while a decision sent before them was on its way (not due)`,
    problems: sample([...problems, ...overtakenExamples.slice(0, 3).map((e) => `(not a failure) ${e}`)]),
  };
}

/** No 5xx other than the documented 503 with Retry-After, on any attempt of any request. */
export function noUndocumented5xx(requests: RecordedRequest[]): Check {
  const attempts = requests.flatMap((r) => r.attempts.map((a) => ({ r, a })));
  const bad = attempts.filter(({ a }) => a.status !== undefined && a.status >= 500 && !(a.status === 503 && a.retryAfter !== undefined));
  const documented = attempts.filter(({ a }) => a.status === 503 && a.retryAfter !== undefined).length;
  const throttled = attempts.filter(({ a }) => a.status === 429).length;
  const network = attempts.filter(({ a }) => a.status === undefined).length;
  const unanswered = requests.filter((r) => r.status === undefined || r.status === 503 || r.status === 429).length;
  return {
    name: 'no 5xx other than documented 503s with Retry-After',
    ok: bad.length === 0,
    numbers:
      `${requests.length} requests, ${attempts.length} attempts: ${documented} × 503 with Retry-After, ${bad.length} other 5xx, ${throttled} × 429, ` +
      `${network} without an answer (connection refused/reset, timeout); ${unanswered} requests still unanswered when their retry budget ran out`,
    problems: sample(bad.map(({ r, a }) => `request ${r.id} ${r.method} ${r.route}: ${a.status}${a.retryAfter === undefined ? ' without Retry-After' : ''}`)),
  };
}

/** A line of counts per class of final answer, for the report. */
export function answerClasses(requests: RecordedRequest[]): string {
  const counts = new Map<string, number>();
  for (const r of requests) {
    const k = r.status === undefined ? 'no answer' : `${Math.floor(r.status / 100)}xx`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts.entries()].sort().map(([k, v]) => `${k} ${v}`).join(', ');
}
