import type { LeadCommand, LeadCommandType } from './lead-commands';
import {
  bantCriteria,
  type BantCriterion,
  type LeadEvent,
  type LeadProfile,
  type LeadStage,
  type RecycleReason,
  type RejectReason,
} from './lead-events';
import type { LeadPolicy } from './lead-policy';
import { ENGAGEMENT_DEDUP_WINDOW, initialLeadState, isCaptured, type LeadState } from './lead-state';
import { engagementPoints, fitScore, normaliseEmail } from './scoring';
import { addDays, isDue, slaDeadlines } from './sla';

/**
 * The lifecycle rules as two pure functions: `decide` turns a command into events (or a refusal) and
 * `evolve` folds one event into state. The workflow, the projection and the tests all use these, so
 * there is exactly one place that knows what a lead may do next.
 */

export type RefusalCode = 'STAGE_DOES_NOT_ALLOW' | 'LEAD_NOT_FOUND' | 'NOT_DUE';

export interface CommandRefusal {
  code: RefusalCode;
  command: LeadCommandType;
  stage: LeadStage;
  allowed: LeadCommandType[];
  message: string;
}

export type Decision = { ok: true; events: LeadEvent[] } | { ok: false; refusal: CommandRefusal };

/** Where each rejection reason sends the lead: back to nurture or out of the funnel. */
export const rejectDestination: Record<RejectReason, 'recycled' | 'disqualified'> = {
  not_ready: 'recycled',
  no_budget: 'recycled',
  bad_timing: 'recycled',
  bad_contact_data: 'recycled',
  not_a_fit: 'disqualified',
  competitor: 'disqualified',
  spam: 'disqualified',
  duplicate: 'disqualified',
};

const stageCommands: Record<LeadStage, LeadCommandType[]> = {
  inquiry: ['FillForm', 'RecordEngagement', 'Unsubscribe', 'DisqualifyLead'],
  mql: ['FillForm', 'RecordEngagement', 'Unsubscribe', 'AcceptLead', 'RejectLead', 'DisqualifyLead'],
  sal: ['FillForm', 'RecordEngagement', 'Unsubscribe', 'QualifyLead', 'DisqualifyLead'],
  sql: ['FillForm', 'RecordEngagement', 'Unsubscribe', 'CloseLead', 'DisqualifyLead'],
  recycled: ['FillForm', 'RecordEngagement', 'Unsubscribe', 'DisqualifyLead'],
  won: [],
  disqualified: [],
};

/** The commands people may send in the lead's current stage (timer-driven commands are not listed). */
export function allowedCommands(state: LeadState): LeadCommandType[] {
  if (!isCaptured(state)) return ['FillForm'];
  return [...stageCommands[state.stage]];
}

export function decide(command: LeadCommand, state: LeadState, now: string, policy: LeadPolicy): Decision {
  if (!isCaptured(state) && command.type !== 'FillForm') {
    return refuse('LEAD_NOT_FOUND', command, state, `lead ${state.leadId} has not been captured yet`);
  }
  const draft = new Draft(state, now);
  switch (command.type) {
    case 'FillForm': {
      if (!requireStage(state, command)) return refuseStage(command, state);
      const profile = mergeProfile(state.profile, command.profile);
      if (!isCaptured(state)) {
        draft.emit('LeadCaptured', {
          leadId: state.leadId,
          profile,
          ...(command.source ? { source: command.source } : {}),
        });
      }
      const extra = engagementPoints(command.formType, state.engagementByType[command.formType] ?? 0, policy);
      draft.emit('FormFilled', {
        formType: command.formType,
        profile,
        ...(command.source ? { source: command.source } : {}),
        fitScore: fitScore(profile, policy),
        engagementScore: draft.state.engagementScore + extra,
        handRaise: policy.handRaiserFormTypes.includes(command.formType),
      });
      qualifyIfReady(draft, policy);
      return draft.decision();
    }
    case 'RecordEngagement': {
      if (!requireStage(state, command)) return refuseStage(command, state);
      for (const e of command.engagements) {
        if (e.id !== undefined && draft.state.recentEngagementIds.includes(e.id)) continue;
        const points = engagementPoints(e.type, draft.state.engagementByType[e.type] ?? 0, policy);
        draft.emit('EngagementRecorded', {
          engagementType: e.type,
          ...(e.id !== undefined ? { engagementId: e.id } : {}),
          at: e.occurredAt,
          points,
          engagementScore: draft.state.engagementScore + points,
        });
      }
      qualifyIfReady(draft, policy);
      return draft.decision();
    }
    case 'Unsubscribe': {
      if (!requireStage(state, command)) return refuseStage(command, state);
      if (!state.unsubscribed) draft.emit('LeadUnsubscribed', {});
      return draft.decision();
    }
    case 'AcceptLead': {
      if (!requireStage(state, command)) return refuseStage(command, state);
      const { remindAt, dueAt } = slaDeadlines('sal', now, policy);
      draft.emit('LeadAccepted', { rep: command.rep, slaDueAt: dueAt, remindAt });
      return draft.decision();
    }
    case 'RejectLead': {
      if (!requireStage(state, command)) return refuseStage(command, state);
      draft.emit('LeadRejected', {
        rep: command.rep,
        reason: command.reason,
        ...(command.note !== undefined ? { note: command.note } : {}),
      });
      if (rejectDestination[command.reason] === 'recycled') {
        recycle(draft, policy, command.reason as RecycleReason, command.rep, {
          needsDataRepair: command.reason === 'bad_contact_data',
        });
      } else {
        draft.emit('LeadDisqualified', { by: command.rep, reason: command.reason, from: state.stage });
      }
      return draft.decision();
    }
    case 'QualifyLead': {
      if (!requireStage(state, command)) return refuseStage(command, state);
      const gaps = bantCriteria.filter((c) => !command[c]);
      if (gaps.length === 0) {
        draft.emit('LeadQualified', {
          rep: command.rep,
          bant: { budget: true, authority: true, need: true, timeline: true },
          ...(command.note !== undefined ? { note: command.note } : {}),
          opportunityId: `${state.leadId}-opp-${state.mqlCycle}`,
        });
      } else {
        recycle(draft, policy, 'bant_gaps', command.rep, { bantGaps: gaps });
      }
      return draft.decision();
    }
    case 'CloseLead': {
      if (!requireStage(state, command)) return refuseStage(command, state);
      if (command.outcome === 'won') {
        draft.emit('LeadWon', { rep: command.rep });
      } else {
        const reason = command.reason ?? 'unspecified';
        draft.emit('LeadLost', { rep: command.rep, reason });
        if (reason === 'not_now') recycle(draft, policy, 'not_now', command.rep, {});
        else draft.emit('LeadDisqualified', { by: command.rep, reason, from: state.stage });
      }
      return draft.decision();
    }
    case 'DisqualifyLead': {
      if (!requireStage(state, command)) return refuseStage(command, state);
      draft.emit('LeadDisqualified', { by: command.by, reason: command.reason, from: state.stage });
      return draft.decision();
    }
    case 'AssignOwner': {
      const kind = slaKindOf(state.stage);
      if (!kind || state.owner !== undefined) return refuseStage(command, state);
      draft.emit('LeadAssigned', {
        owner: command.owner,
        slaKind: kind,
        ...deadlinesAsEventData(kind, now, policy),
        assignment: state.breachedOwners.length + 1,
      });
      return draft.decision();
    }
    case 'SendSlaReminder': {
      const sla = state.sla;
      if (!sla || sla.reminded) return refuseStage(command, state);
      if (!isDue(sla.remindAt, now)) return refuse('NOT_DUE', command, state, `reminder is due at ${sla.remindAt}`);
      draft.emit('SlaReminderSent', { owner: sla.owner, slaKind: sla.kind, slaDueAt: sla.dueAt });
      return draft.decision();
    }
    case 'BreachSla': {
      const sla = state.sla;
      if (!sla) return refuseStage(command, state);
      if (!isDue(sla.dueAt, now)) return refuse('NOT_DUE', command, state, `SLA is due at ${sla.dueAt}`);
      const breach = state.slaBreaches + 1;
      draft.emit('SlaBreached', {
        owner: sla.owner,
        slaKind: sla.kind,
        slaDueAt: sla.dueAt,
        breach,
        escalateTo: policy.routing.manager,
      });
      if (breach > policy.sla[sla.kind].reassignmentsBeforeHandBack) {
        recycle(draft, policy, 'sla_expired', undefined, {});
      }
      return draft.decision();
    }
    case 'Reevaluate': {
      if (state.stage !== 'recycled' && state.stage !== 'inquiry') return refuseStage(command, state);
      qualifyIfReady(draft, policy);
      return draft.decision();
    }
  }
}

export function evolve(state: LeadState, event: LeadEvent): LeadState {
  const s: LeadState = { ...state, seq: event.seq, updatedAt: event.occurredAt };
  switch (event.type) {
    case 'LeadCaptured':
      return reach(
        { ...s, profile: event.data.profile, source: event.data.source, createdAt: event.occurredAt },
        'inquiry',
        event.occurredAt,
      );
    case 'FormFilled': {
      const gained = event.data.engagementScore - s.engagementScore;
      const repaired = s.recycle?.needsDataRepair === true && contactDataChanged(s.profile, event.data.profile);
      return {
        ...s,
        recycle: repaired && s.recycle ? { ...s.recycle, needsDataRepair: false } : s.recycle,
        profile: event.data.profile,
        source: event.data.source ?? s.source,
        fitScore: event.data.fitScore,
        engagementScore: event.data.engagementScore,
        engagementByType: addPoints(s.engagementByType, event.data.formType, gained),
        handRaisedAt: event.data.handRaise ? (s.handRaisedAt ?? event.occurredAt) : s.handRaisedAt,
      };
    }
    case 'EngagementRecorded': {
      const ids =
        event.data.engagementId === undefined
          ? s.recentEngagementIds
          : [...s.recentEngagementIds, event.data.engagementId].slice(-ENGAGEMENT_DEDUP_WINDOW);
      return {
        ...s,
        engagementScore: event.data.engagementScore,
        engagementByType: addPoints(s.engagementByType, event.data.engagementType, event.data.points),
        recentEngagementIds: ids,
      };
    }
    case 'LeadBecameMql':
      return reach(
        {
          ...s,
          mqlCycle: event.data.mqlCycle,
          policyVersion: event.data.policyVersion,
          handRaisedAt: undefined,
          owner: undefined,
          sla: undefined,
          slaBreaches: 0,
          breachedOwners: [],
        },
        'mql',
        event.occurredAt,
      );
    case 'LeadAssigned':
      return {
        ...s,
        owner: event.data.owner,
        sla: {
          kind: event.data.slaKind,
          owner: event.data.owner,
          startedAt: event.occurredAt,
          remindAt: event.data.remindAt,
          dueAt: event.data.slaDueAt,
          reminded: false,
        },
      };
    case 'SlaReminderSent':
      return s.sla ? { ...s, sla: { ...s.sla, reminded: true } } : s;
    case 'SlaBreached':
      return {
        ...s,
        owner: undefined,
        sla: undefined,
        slaBreaches: event.data.breach,
        breachedOwners: [...s.breachedOwners, event.data.owner],
      };
    case 'LeadAccepted':
      return reach(
        {
          ...s,
          owner: event.data.rep,
          slaBreaches: 0,
          breachedOwners: [],
          sla: {
            kind: 'sal',
            owner: event.data.rep,
            startedAt: event.occurredAt,
            remindAt: event.data.remindAt,
            dueAt: event.data.slaDueAt,
            reminded: false,
          },
        },
        'sal',
        event.occurredAt,
      );
    case 'LeadRejected':
    case 'LeadLost':
      return s;
    case 'LeadQualified':
      return reach({ ...s, sla: undefined, opportunityId: event.data.opportunityId }, 'sql', event.occurredAt);
    case 'LeadRecycled':
      return reach(
        {
          ...s,
          owner: undefined,
          sla: undefined,
          slaBreaches: 0,
          breachedOwners: [],
          handRaisedAt: undefined,
          // A recycled lead must show fresh interest: old engagement already led to a failed handoff.
          engagementScore: 0,
          engagementByType: {},
          recycleCount: s.recycleCount + 1,
          recycle: {
            reason: event.data.reason,
            at: event.occurredAt,
            coolOffUntil: event.data.coolOffUntil,
            needsDataRepair: event.data.needsDataRepair,
            ...(event.data.bantGaps ? { bantGaps: event.data.bantGaps } : {}),
          },
        },
        'recycled',
        event.occurredAt,
      );
    case 'LeadWon':
      return reach(
        { ...s, sla: undefined, closed: { outcome: 'won', by: event.data.rep, at: event.occurredAt } },
        'won',
        event.occurredAt,
      );
    case 'LeadDisqualified':
      return reach(
        {
          ...s,
          sla: undefined,
          handRaisedAt: undefined,
          closed: { outcome: 'disqualified', reason: event.data.reason, by: event.data.by, at: event.occurredAt },
        },
        'disqualified',
        event.occurredAt,
      );
    case 'LeadUnsubscribed':
      return { ...s, unsubscribed: true };
  }
}

export function foldEvents(leadId: string, events: readonly LeadEvent[], from?: LeadState): LeadState {
  return events.reduce(evolve, from ?? initialLeadState(leadId));
}

/** Which handoff fields the lead still lacks; an MQL needs none missing. */
export function missingHandoffFields(profile: LeadProfile, policy: LeadPolicy): string[] {
  const present: Record<LeadPolicy['handoffFields'][number], boolean> = {
    fullName: filled(profile.firstName) && filled(profile.lastName),
    email: filled(profile.email),
    phone: filled(profile.phone),
    company: filled(profile.company),
    country: filled(profile.country),
    productInterest: filled(profile.productInterest),
  };
  return policy.handoffFields.filter((f) => !present[f]);
}

/** Why a lead in inquiry/recycled is or is not an MQL right now (for explaining, and for `decide`). */
export function mqlReadiness(
  state: LeadState,
  policy: LeadPolicy,
  now: string,
): { via: 'score' | 'hand_raiser' } | { via: null; blockedBy: string[] } {
  const blockedBy: string[] = [];
  if (state.stage !== 'inquiry' && state.stage !== 'recycled') blockedBy.push(`stage:${state.stage}`);
  if (state.stage === 'recycled' && state.recycle && !isDue(state.recycle.coolOffUntil, now)) {
    blockedBy.push(`cool_off_until:${state.recycle.coolOffUntil}`);
  }
  for (const f of missingHandoffFields(state.profile, policy)) blockedBy.push(`missing:${f}`);
  // Sales bounced it for bad contact data: the same data must not be handed over again.
  if (state.recycle?.needsDataRepair) blockedBy.push('needs_data_repair');
  if (state.fitScore < policy.fit.threshold) blockedBy.push('fit_below_threshold');
  if (blockedBy.length === 0 && state.handRaisedAt !== undefined) return { via: 'hand_raiser' };
  // Unsubscribing stops nurture-driven qualification; an explicit request to talk to sales still counts.
  if (state.unsubscribed) blockedBy.push('unsubscribed');
  if (state.engagementScore < policy.engagement.threshold) blockedBy.push('engagement_below_threshold');
  return blockedBy.length === 0 ? { via: 'score' } : { via: null, blockedBy };
}

/** The next moment the lead's own timers must act, if any. */
export function nextTimer(
  state: LeadState,
): { at: string; command: 'SendSlaReminder' | 'BreachSla' | 'Reevaluate' } | undefined {
  if (state.sla) {
    return state.sla.reminded
      ? { at: state.sla.dueAt, command: 'BreachSla' }
      : { at: state.sla.remindAt, command: 'SendSlaReminder' };
  }
  if (state.stage === 'recycled' && state.recycle) return { at: state.recycle.coolOffUntil, command: 'Reevaluate' };
  return undefined;
}

/** True when the lead waits for an owner (new MQL, or reassignment after a breach). */
export function needsOwner(state: LeadState): boolean {
  return slaKindOf(state.stage) !== undefined && state.owner === undefined;
}

// --- internals -------------------------------------------------------------------------------------

type EventOf<T extends LeadEvent['type']> = Extract<LeadEvent, { type: T }>;

/** Emitted events folded as they are made, so later rules in one decision see their effect. */
class Draft {
  readonly events: LeadEvent[] = [];
  constructor(
    public state: LeadState,
    private readonly now: string,
  ) {}
  emit<T extends LeadEvent['type']>(type: T, data: EventOf<T>['data']): void {
    const event = { type, seq: this.state.seq + 1, occurredAt: this.now, data } as EventOf<T>;
    this.events.push(event);
    this.state = evolve(this.state, event);
  }
  get nowIso(): string {
    return this.now;
  }
  decision(): Decision {
    return { ok: true, events: this.events };
  }
}

function qualifyIfReady(draft: Draft, policy: LeadPolicy): void {
  const readiness = mqlReadiness(draft.state, policy, draft.nowIso);
  if (readiness.via === null) return;
  draft.emit('LeadBecameMql', {
    via: readiness.via,
    fitScore: draft.state.fitScore,
    engagementScore: draft.state.engagementScore,
    mqlCycle: draft.state.mqlCycle + 1,
    policyVersion: policy.version,
  });
}

function recycle(
  draft: Draft,
  policy: LeadPolicy,
  reason: RecycleReason,
  by: string | undefined,
  extra: { needsDataRepair?: boolean; bantGaps?: BantCriterion[] },
): void {
  draft.emit('LeadRecycled', {
    reason,
    from: draft.state.stage,
    ...(by !== undefined ? { by } : {}),
    needsDataRepair: extra.needsDataRepair ?? false,
    ...(extra.bantGaps ? { bantGaps: extra.bantGaps } : {}),
    coolOffUntil: addDays(draft.nowIso, policy.recycleCoolOffDays),
  });
}

function requireStage(state: LeadState, command: LeadCommand): boolean {
  return allowedCommands(state).includes(command.type);
}

function refuseStage(command: LeadCommand, state: LeadState): Decision {
  return refuse(
    'STAGE_DOES_NOT_ALLOW',
    command,
    state,
    `${command.type} is not allowed while the lead is in stage '${state.stage}'`,
  );
}

function refuse(code: RefusalCode, command: LeadCommand, state: LeadState, message: string): Decision {
  return {
    ok: false,
    refusal: { code, command: command.type, stage: state.stage, allowed: allowedCommands(state), message },
  };
}

function reach(state: LeadState, stage: LeadStage, at: string): LeadState {
  return {
    ...state,
    stage,
    firstReachedAt: state.firstReachedAt[stage] ? state.firstReachedAt : { ...state.firstReachedAt, [stage]: at },
  };
}

function deadlinesAsEventData(kind: 'mql' | 'sal', now: string, policy: LeadPolicy) {
  const { remindAt, dueAt } = slaDeadlines(kind, now, policy);
  return { remindAt, slaDueAt: dueAt };
}

function slaKindOf(stage: LeadStage): 'mql' | 'sal' | undefined {
  return stage === 'mql' || stage === 'sal' ? stage : undefined;
}

function addPoints(byType: Record<string, number>, type: string, points: number): Record<string, number> {
  return points === 0 ? byType : { ...byType, [type]: (byType[type] ?? 0) + points };
}

const contactFields = ['email', 'phone', 'firstName', 'lastName', 'company'] as const;

function contactDataChanged(before: LeadProfile, after: LeadProfile): boolean {
  return contactFields.some((f) => (after[f] ?? '') !== (before[f] ?? ''));
}

function filled(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== '';
}

/** Later form fills add to what we know; a blank field never erases a known value. */
function mergeProfile(current: LeadProfile, update: Partial<LeadProfile> & { email: string }): LeadProfile {
  const merged: LeadProfile = { ...current };
  for (const [key, value] of Object.entries(update) as [keyof LeadProfile, unknown][]) {
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) continue;
    (merged as unknown as Record<string, unknown>)[key] = value;
  }
  merged.email = normaliseEmail(filled(update.email) ? update.email : current.email);
  return merged;
}
