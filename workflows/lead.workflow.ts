import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair, UpdateDefinition } from '@temporalio/common';
import type { LeadActivities, LeadNotification } from '../activities';
import type { EngagementInput, LeadCommand } from '../domain/lead-commands';
import {
  acceptLeadGuard,
  closeLeadGuard,
  disqualifyLeadGuard,
  contactAttemptGuard,
  eraseLeadGuard,
  engagementInputGuard,
  fillFormGuard,
  qualifyLeadGuard,
  reassignLeadGuard,
  rejectLeadGuard,
  type Guard,
} from '../domain/lead-command.guards';
import {
  decide,
  evolve,
  needsOwner,
  nextTimer,
  unsubscribeCancelsNurture,
  type Decision,
} from '../domain/lead-decider';
import type { LeadEvent } from '../domain/lead-events';
import type { LeadPolicy } from '../domain/lead-policy';
import { upgradeRecordedPolicy } from '../domain/lead-policy-upgrade';
import { initialLeadState, isClosed, isErased, type LeadState } from '../domain/lead-state';
import { isDue } from '../domain/sla';
import {
  acceptUpdate,
  closeUpdate,
  COMMAND_REFUSED,
  contactAttemptUpdate,
  disqualifyUpdate,
  engagementSignal,
  eraseUpdate,
  INVALID_COMMAND,
  leadStateQuery,
  qualifyUpdate,
  reassignUpdate,
  rejectUpdate,
  submitFormUpdate,
  unsubscribeSignal,
  type LeadWorkflowInput,
} from './lead.messages';
import { LeadTimerMetrics } from './lead.metrics';
import {
  EngagementScoreKey,
  FitScoreKey,
  LeadOwnerKey,
  LeadStageKey,
  SlaDueAtKey,
} from './lead.search-attributes';

// Recording events must not give up: the workflow waits (and the lead keeps its place) until the
// projection store is back. Business failures are non-retryable by type.
const { recordEvents, assignOwner, activePolicy } = proxyActivities<LeadActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
// A notification is worth retrying for a while, never worth blocking the SLA clock for.
const { notify } = proxyActivities<LeadActivities>({
  startToCloseTimeout: '15 seconds',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', nonRetryableErrorTypes: ['NotificationRejected'] },
});

/**
 * One long-running workflow per lead. It only wires messages and timers to the pure decider: every
 * change goes decide → recordEvents (activity) → evolve, under one lock so handlers that await never
 * interleave. Everything the lead will do next is derived from its state (`nextTimer`, `needsOwner`).
 */
export async function leadWorkflow(input: LeadWorkflowInput): Promise<LeadState> {
  // Clients pass a parsed policy; one recorded by an older release (plain rep ids, one reminder) gains
  // the defaults of newer fields, which change nothing about how it decides. No zod in the workflow
  // bundle: every run would evaluate it again (see bench/README.md, "Profile-driven fix").
  let policy: LeadPolicy = upgradeRecordedPolicy(input.policy);
  let state: LeadState = input.snapshot ?? initialLeadState(input.leadId);
  // Metrics only (replay-safe, nothing in the history): a continued run's timer was counted by the run
  // that armed it (see the continue-as-new below).
  const timerMetrics = new LeadTimerMetrics(input.snapshot ? nextTimer(state, policy) : undefined);
  const pendingEngagements: EngagementInput[] = [...(input.pendingEngagements ?? [])];
  let unsubscribeRequested = input.pendingUnsubscribe ?? false;
  const lock = new Lock();
  /** Notifications still being delivered; the ones unfinished at continue-as-new move to the next run. */
  const notifications = new Map<Promise<void>, LeadNotification>();
  const publishedAttributes = new Map<string, string>();

  async function apply(command: LeadCommand): Promise<Decision> {
    // Exact decay changes the scores a decay tick writes (and so what follows): patched, so histories
    // recorded with the compounding rounding still replay.
    const options = command.type === 'DecayEngagement' ? { legacyDecay: !patched(EXACT_DECAY_PATCH) } : {};
    const decision = decide(command, state, nowIso(), policy, options);
    if (!decision.ok || decision.events.length === 0) return decision;
    await recordEvents({ leadId: state.leadId, events: decision.events });
    for (const event of decision.events) state = evolve(state, event);
    publishSearchAttributes(state, publishedAttributes);
    for (const event of decision.events) sendNotification(event);
    // A recycle starts the lead's next cycle: it continues under the policy active now.
    if (decision.events.some((e) => e.type === 'LeadRecycled') && patched(POLICY_PER_CYCLE_PATCH)) {
      policy = await currentPolicy();
    }
    return decision;
  }

  /** The policy the worker runs with now (its version may be newer than the one this lead started on). */
  async function currentPolicy(): Promise<LeadPolicy> {
    const active = await activePolicy();
    return active ?? policy;
  }

  /** The next timer; unsubscribing cancels nurture timers (patched: older histories kept the cool-off timer). */
  function upcomingTimer() {
    const legacy = unsubscribeCancelsNurture(state) && !patched(UNSUBSCRIBE_CANCELS_NURTURE_PATCH);
    return nextTimer(state, policy, { legacyUnsubscribedNurture: legacy });
  }

  function sendNotification(event: LeadEvent): void {
    const n = notificationFor(event, state, policy.routing.manager);
    // The public events (lead.assigned, lead.sla_reminder, …) go out through the webhook dispatchers
    // instead, read from the outbox: the lead no longer sends anything itself. Patched, so histories
    // that scheduled a notify activity still replay; their queued notifications are still delivered.
    if (n && !patched(NOTIFICATIONS_AS_EVENTS_PATCH)) deliver(n);
  }

  function deliver(n: LeadNotification): void {
    const p = notify(n).catch((err: unknown) => {
      log.warn('notification not delivered', { leadId: n.leadId, kind: n.kind, error: String(err) });
    });
    notifications.set(p, n);
    void p.finally(() => notifications.delete(p));
  }

  /** An Update's payload as a command; a payload that does not match its schema is refused. */
  function commandFrom(schema: Guard<LeadCommand>, type: LeadCommand['type'], args: object): LeadCommand {
    const parsed = schema.safeParse({ ...args, type });
    if (parsed.success) return parsed.data;
    throw ApplicationFailure.create({
      type: INVALID_COMMAND,
      message: `${type} payload is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      details: [parsed.error.issues],
      nonRetryable: true,
    });
  }

  /**
   * The validator runs the decider against the current state, so a refused command never reaches the
   * history. The handler decides again under the lock: the stage may have moved while it waited. Who
   * may decide (a rep-bound key's `actingRep` must own the lead) is part of that decision, so it is
   * checked here, against the lead's own owner at the moment the command applies, and never races a
   * reassignment (an SLA breach, a manager) the way a check of the read model in the API would.
   */
  function commandUpdate<I extends object, R>(
    def: UpdateDefinition<R, [I]>,
    schema: Guard<LeadCommand>,
    type: LeadCommand['type'],
    answer: (state: LeadState, wasCaptured: boolean) => R,
  ): void {
    setHandler(
      def,
      (args: I) =>
        lock.run(async () => {
          const wasCaptured = state.seq > 0;
          throwIfRefused(await apply(commandFrom(schema, type, args)));
          return answer(state, wasCaptured);
        }),
      {
        validator: (args: I) => {
          const command = commandFrom(schema, type, args);
          // While a decision is being recorded, its events are already in the read model but not yet
          // in `state`: a caller who saw the new stage must not be refused for the old one. Let the
          // handler decide once the lock is free (a refusal then is recorded as a failed update).
          if (!lock.busy) throwIfRefused(decide(command, state, nowIso(), policy));
        },
      },
    );
  }

  const newState = (s: LeadState): LeadState => s;
  commandUpdate(acceptUpdate, acceptLeadGuard, 'AcceptLead', newState);
  commandUpdate(rejectUpdate, rejectLeadGuard, 'RejectLead', newState);
  commandUpdate(qualifyUpdate, qualifyLeadGuard, 'QualifyLead', newState);
  commandUpdate(closeUpdate, closeLeadGuard, 'CloseLead', newState);
  commandUpdate(disqualifyUpdate, disqualifyLeadGuard, 'DisqualifyLead', newState);
  commandUpdate(contactAttemptUpdate, contactAttemptGuard, 'RecordContactAttempt', newState);
  commandUpdate(reassignUpdate, reassignLeadGuard, 'ReassignLead', newState);
  commandUpdate(eraseUpdate, eraseLeadGuard, 'EraseLead', (s) => ({ leadId: s.leadId, erasedAt: s.erasedAt!, seq: s.seq }));
  commandUpdate(submitFormUpdate, fillFormGuard, 'FillForm', (s, wasCaptured) => ({
    leadId: s.leadId,
    created: !wasCaptured,
    stage: s.stage,
  }));

  setHandler(engagementSignal, ({ engagements }) => {
    // Signals have no validator: drop malformed events here, or one bad event would stall the batch.
    for (const e of engagements ?? []) {
      const parsed = engagementInputGuard.safeParse(e);
      if (parsed.success) pendingEngagements.push(parsed.data);
      else log.warn('engagement ignored: invalid', { leadId: state.leadId, issues: parsed.error.issues });
    }
  });
  setHandler(unsubscribeSignal, () => {
    unsubscribeRequested = true;
  });
  setHandler(leadStateQuery, () => state);

  publishSearchAttributes(state, publishedAttributes);
  for (const n of input.pendingNotifications ?? []) deliver(n);

  // Timer commands that fired and changed nothing (e.g. a cool-off ending without qualification) are
  // not re-armed, or the loop would spin on a deadline already in the past.
  let spentTimer: string | undefined;

  for (;;) {
    await lock.run(async () => {
      if (isErased(state)) return;
      if (pendingEngagements.length > 0 && state.seq > 0) {
        // A backlog (a burst of signals while the last pass ran) is folded a bounded slice at a time, so
        // the recordEvents input stays far below the server's 2 MB payload limit: one oversized batch
        // fails every workflow task (PayloadsTooLarge) and wedges the lead. The rest stays pending and is
        // carried over continue-as-new. Patched only when the bound bites, so older histories replay.
        const size =
          pendingEngagements.length > MAX_ENGAGEMENTS_PER_DECISION && patched(BOUNDED_ENGAGEMENT_BATCH_PATCH)
            ? MAX_ENGAGEMENTS_PER_DECISION
            : pendingEngagements.length;
        const batch = pendingEngagements.splice(0, size);
        const d = await apply({ type: 'RecordEngagement', engagements: batch });
        if (!d.ok) log.warn('engagement dropped', { leadId: state.leadId, refusal: d.refusal });
      }
      if (unsubscribeRequested && state.seq > 0) {
        unsubscribeRequested = false;
        await apply({ type: 'Unsubscribe' });
      }
      if (needsOwner(state) && state.stage !== 'inquiry') {
        const stage = state.stage as 'mql' | 'sal';
        const owner = await assignOwner({
          leadId: state.leadId,
          mqlCycle: state.mqlCycle,
          assignment: state.breachedOwners.length + 1,
          stage,
          lead: { country: state.profile.country, employeeCount: state.profile.employeeCount },
          exclude: state.breachedOwners,
          policy,
          now: nowIso(),
        });
        await apply({ type: 'AssignOwner', owner });
      }
      const timer = upcomingTimer();
      const key = timer && `${timer.command}@${timer.at}`;
      if (timer && key !== spentTimer && isDue(timer.at, nowIso())) {
        timerMetrics.fired(timer, state.stage, Date.now());
        const seqBefore = state.seq;
        await apply({ type: timer.command });
        if (state.seq === seqBefore) spentTimer = key;
      }
    });

    if (isErased(state)) {
      // The person is gone: nothing queued is processed, and notifications still being delivered are
      // abandoned (their activities end with the run) rather than waited for. Only new code reaches
      // this branch (no recorded history holds LeadErased), so it needs no patch.
      await condition(allHandlersFinished);
      return state;
    }
    if (isClosed(state)) {
      await condition(allHandlersFinished);
      await Promise.all(notifications.keys());
      return state;
    }

    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= policy.maxHistoryEvents) {
      // Undelivered notifications travel to the next run instead of holding this one (and the SLA
      // timers) hostage to a failing webhook; receivers drop a repeat by its idempotency key.
      const carryNotifications = patched(CARRY_NOTIFICATIONS_PATCH);
      if (!carryNotifications) await Promise.all(notifications.keys());
      await condition(allHandlersFinished);
      const nextPolicy = patched(POLICY_PER_CYCLE_PATCH) ? await currentPolicy() : policy;
      // The next run inherits this timer uncounted (it was armed here, or would have been below).
      timerMetrics.armed(nextTimer(state, nextPolicy), state.stage);
      await continueAsNew<typeof leadWorkflow>({
        leadId: state.leadId,
        policy: nextPolicy,
        snapshot: state,
        pendingEngagements,
        pendingUnsubscribe: unsubscribeRequested,
        ...(carryNotifications ? { pendingNotifications: [...notifications.values()] } : {}),
      });
    }

    // A timer-driven change in this pass (an SLA breach that reassigns, a cool-off ending in an MQL)
    // can leave the lead waiting for an owner after the owner step above already ran: go round again
    // now instead of parking until some unrelated message arrives. Patched so histories recorded
    // before this fix (which parked here) still replay.
    if (needsOwner(state) && patched(ASSIGN_OWNER_AFTER_TIMER_PATCH)) continue;

    const armedAtSeq = state.seq;
    const hasWork = (): boolean =>
      (pendingEngagements.length > 0 && state.seq > 0) ||
      (unsubscribeRequested && state.seq > 0) ||
      state.seq !== armedAtSeq;
    const timer = upcomingTimer();
    if (timer && `${timer.command}@${timer.at}` !== spentTimer) {
      timerMetrics.armed(timer, state.stage);
      const waitMs = Date.parse(timer.at) - Date.now();
      if (waitMs > 0) await condition(hasWork, waitMs);
    } else {
      await condition(hasWork);
    }
  }
}

/** patched() id of the fix that assigns an owner right after a timer-driven breach or MQL. */
const ASSIGN_OWNER_AFTER_TIMER_PATCH = 'assign-owner-after-timer';

/**
 * Most engagements one RecordEngagement decision folds (a technical bound like the dedup window, not
 * a business rule): 500 EngagementRecorded events are ~100 KB of activity input, ~225 KB at most.
 */
const MAX_ENGAGEMENTS_PER_DECISION = 500;
/** patched() id of bounding that batch (before it, a whole backlog went into one decision). */
const BOUNDED_ENGAGEMENT_BATCH_PATCH = 'bounded-engagement-batch';

/** patched() id of taking the worker's active policy at each new cycle (recycle, continue-as-new). */
const POLICY_PER_CYCLE_PATCH = 'policy-per-cycle';
/** patched() id of stopping nurture timers (cool-off re-evaluation, decay) once a lead unsubscribed. */
const UNSUBSCRIBE_CANCELS_NURTURE_PATCH = 'unsubscribe-cancels-nurture';

/** patched() id of decay that carries the unrounded score (before: rounding compounded at each tick). */
const EXACT_DECAY_PATCH = 'exact-engagement-decay';

/** patched() id of leaving notifications to the webhook dispatchers (before: a notify activity per notification). */
const NOTIFICATIONS_AS_EVENTS_PATCH = 'notifications-as-events';

/** patched() id of carrying undelivered notifications over continue-as-new (before: waited for them). */
const CARRY_NOTIFICATIONS_PATCH = 'carry-notifications-over-can';

/** Workflow time: deterministic, taken from the history on replay. */
function nowIso(): string {
  return new Date().toISOString();
}

function throwIfRefused(decision: Decision): void {
  if (decision.ok) return;
  throw ApplicationFailure.create({
    type: COMMAND_REFUSED,
    message: decision.refusal.message,
    details: [decision.refusal],
    nonRetryable: true,
  });
}

/**
 * Keeps the lead's search attributes current. Upserts only what changed, so an engagement storm that
 * moves no score adds no history events.
 */
function publishSearchAttributes(state: LeadState, published: Map<string, string>): void {
  if (state.seq === 0) return;
  const candidates: SearchAttributeUpdatePair[] = [
    { key: LeadStageKey, value: state.stage },
    { key: LeadOwnerKey, value: state.owner ?? null },
    { key: SlaDueAtKey, value: state.sla ? new Date(state.sla.dueAt) : null },
    { key: FitScoreKey, value: state.fitScore },
    { key: EngagementScoreKey, value: state.engagementScore },
  ];
  const changed = candidates.filter((pair) => {
    const value = pair.value instanceof Date ? pair.value.toISOString() : JSON.stringify(pair.value);
    if (published.get(pair.key.name) === value) return false;
    published.set(pair.key.name, value);
    return true;
  });
  if (changed.length > 0) upsertSearchAttributes(changed);
}

function notificationFor(event: LeadEvent, state: LeadState, manager: string): LeadNotification | undefined {
  const base = { leadId: state.leadId, eventSeq: event.seq, occurredAt: event.occurredAt };
  switch (event.type) {
    case 'LeadAssigned':
      return { ...base, kind: 'lead_assigned', to: event.data.owner, detail: { ...event.data, stage: state.stage } };
    case 'SlaReminderSent':
      return { ...base, kind: 'sla_reminder', to: event.data.owner, detail: { ...event.data } };
    case 'SlaBreached':
      return { ...base, kind: 'sla_breached', to: event.data.escalateTo, detail: { ...event.data } };
    case 'LeadRecycled':
      return event.data.reason === 'sla_expired'
        ? { ...base, kind: 'lead_recycled', to: manager, detail: { ...event.data } }
        : undefined;
    default:
      return undefined;
  }
}

/** Serialises handlers that await (deterministic: plain promise chaining inside the workflow). */
class Lock {
  private tail: Promise<unknown> = Promise.resolve();
  private holders = 0;
  /** True while a run is in progress or queued. */
  get busy(): boolean {
    return this.holders > 0;
  }
  run<T>(fn: () => Promise<T>): Promise<T> {
    this.holders++;
    const result = this.tail.then(fn).finally(() => this.holders--);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
