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
import type { z } from 'zod';
import type { SearchAttributeUpdatePair, UpdateDefinition } from '@temporalio/common';
import type { LeadActivities, LeadNotification } from '../activities';
import type { EngagementInput, LeadCommand } from '../domain/lead-commands';
import {
  acceptLeadSchema,
  closeLeadSchema,
  disqualifyLeadSchema,
  fillFormSchema,
  qualifyLeadSchema,
  rejectLeadSchema,
} from '../domain/lead-command.schemas';
import { decide, evolve, needsOwner, nextTimer, type Decision } from '../domain/lead-decider';
import type { LeadEvent } from '../domain/lead-events';
import { initialLeadState, isClosed, type LeadState } from '../domain/lead-state';
import { isDue } from '../domain/sla';
import {
  acceptUpdate,
  closeUpdate,
  COMMAND_REFUSED,
  disqualifyUpdate,
  engagementSignal,
  INVALID_COMMAND,
  leadStateQuery,
  qualifyUpdate,
  rejectUpdate,
  submitFormUpdate,
  unsubscribeSignal,
  type LeadWorkflowInput,
} from './lead.messages';
import {
  EngagementScoreKey,
  FitScoreKey,
  LeadOwnerKey,
  LeadStageKey,
  SlaDueAtKey,
} from './lead.search-attributes';

// Recording events must not give up: the workflow waits (and the lead keeps its place) until the
// projection store is back. Business failures are non-retryable by type.
const { recordEvents, assignOwner } = proxyActivities<LeadActivities>({
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
  const { policy } = input;
  let state: LeadState = input.snapshot ?? initialLeadState(input.leadId);
  const pendingEngagements: EngagementInput[] = [...(input.pendingEngagements ?? [])];
  let unsubscribeRequested = input.pendingUnsubscribe ?? false;
  const lock = new Lock();
  const notifications = new Set<Promise<void>>();

  async function apply(command: LeadCommand): Promise<Decision> {
    const decision = decide(command, state, nowIso(), policy);
    if (!decision.ok || decision.events.length === 0) return decision;
    await recordEvents({ leadId: state.leadId, events: decision.events });
    for (const event of decision.events) state = evolve(state, event);
    publishSearchAttributes(state);
    for (const event of decision.events) sendNotification(event);
    return decision;
  }

  function sendNotification(event: LeadEvent): void {
    const n = notificationFor(event, state, policy.routing.manager);
    if (!n) return;
    const p = notify(n).catch((err: unknown) => {
      log.warn('notification not delivered', { leadId: state.leadId, kind: n.kind, error: String(err) });
    });
    notifications.add(p);
    void p.finally(() => notifications.delete(p));
  }

  /** An Update's payload as a command; a payload that does not match its schema is refused. */
  function commandFrom(schema: z.ZodType<LeadCommand>, type: LeadCommand['type'], args: object): LeadCommand {
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
   * history. The handler decides again under the lock: the stage may have moved while it waited.
   */
  function commandUpdate<I extends object, R>(
    def: UpdateDefinition<R, [I]>,
    schema: z.ZodType<LeadCommand>,
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
      { validator: (args: I) => throwIfRefused(decide(commandFrom(schema, type, args), state, nowIso(), policy)) },
    );
  }

  const newState = (s: LeadState): LeadState => s;
  commandUpdate(acceptUpdate, acceptLeadSchema, 'AcceptLead', newState);
  commandUpdate(rejectUpdate, rejectLeadSchema, 'RejectLead', newState);
  commandUpdate(qualifyUpdate, qualifyLeadSchema, 'QualifyLead', newState);
  commandUpdate(closeUpdate, closeLeadSchema, 'CloseLead', newState);
  commandUpdate(disqualifyUpdate, disqualifyLeadSchema, 'DisqualifyLead', newState);
  commandUpdate(submitFormUpdate, fillFormSchema, 'FillForm', (s, wasCaptured) => ({
    leadId: s.leadId,
    created: !wasCaptured,
    stage: s.stage,
  }));

  setHandler(engagementSignal, ({ engagements }) => {
    pendingEngagements.push(...engagements);
  });
  setHandler(unsubscribeSignal, () => {
    unsubscribeRequested = true;
  });
  setHandler(leadStateQuery, () => state);

  publishSearchAttributes(state);

  // Timer commands that fired and changed nothing (e.g. a cool-off ending without qualification) are
  // not re-armed, or the loop would spin on a deadline already in the past.
  let spentTimer: string | undefined;

  for (;;) {
    await lock.run(async () => {
      if (pendingEngagements.length > 0 && state.seq > 0) {
        const batch = pendingEngagements.splice(0, pendingEngagements.length);
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
          candidates: policy.routing.reps,
          exclude: state.breachedOwners,
          fallback: policy.routing.manager,
        });
        await apply({ type: 'AssignOwner', owner });
      }
      const timer = nextTimer(state);
      const key = timer && `${timer.command}@${timer.at}`;
      if (timer && key !== spentTimer && isDue(timer.at, nowIso())) {
        const seqBefore = state.seq;
        await apply({ type: timer.command });
        if (state.seq === seqBefore) spentTimer = key;
      }
    });

    if (isClosed(state)) {
      await condition(allHandlersFinished);
      await Promise.all(notifications);
      return state;
    }

    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= policy.maxHistoryEvents) {
      await condition(allHandlersFinished);
      await Promise.all(notifications);
      await continueAsNew<typeof leadWorkflow>({
        leadId: state.leadId,
        policy,
        snapshot: state,
        pendingEngagements,
        pendingUnsubscribe: unsubscribeRequested,
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
    const timer = nextTimer(state);
    if (timer && `${timer.command}@${timer.at}` !== spentTimer) {
      const waitMs = Date.parse(timer.at) - Date.now();
      if (waitMs > 0) await condition(hasWork, waitMs);
    } else {
      await condition(hasWork);
    }
  }
}

/** patched() id of the fix that assigns an owner right after a timer-driven breach or MQL. */
const ASSIGN_OWNER_AFTER_TIMER_PATCH = 'assign-owner-after-timer';

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

function publishSearchAttributes(state: LeadState): void {
  if (state.seq === 0) return;
  const updates: SearchAttributeUpdatePair[] = [
    { key: LeadStageKey, value: state.stage },
    { key: LeadOwnerKey, value: state.owner ?? null },
    { key: SlaDueAtKey, value: state.sla ? new Date(state.sla.dueAt) : null },
    { key: FitScoreKey, value: state.fitScore },
    { key: EngagementScoreKey, value: state.engagementScore },
  ];
  upsertSearchAttributes(updates);
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
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
