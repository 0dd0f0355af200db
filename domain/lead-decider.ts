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
import { erasedState } from './personal-data';
import { ENGAGEMENT_DEDUP_WINDOW, initialLeadState, isCaptured, isErased, type LeadState } from './lead-state';
import { engagementPoints, fitClearsSuspect, fitScore, normaliseEmail, suspectReasons } from './scoring';
import { addDays, addHours, isDue, slaDeadlines, type SlaDeadlines } from './sla';

/**
 * The lifecycle rules as two pure functions: `decide` turns a command into events (or a refusal) and
 * `evolve` folds one event into state. The workflow, the projection and the tests all use these, so
 * there is exactly one place that knows what a lead may do next.
 */

export type RefusalCode =
  | 'STAGE_DOES_NOT_ALLOW'
  | 'LEAD_NOT_FOUND'
  | 'NOT_DUE'
  | 'CONTACT_ATTEMPTS_REQUIRED'
  | 'LEAD_ERASED'
  /** A rep-bound caller named another rep (`rep` or `by`) than the one it is bound to. */
  | 'ACTING_AS_SOMEONE_ELSE'
  /** A rep-bound caller's rep does not own the lead (now, when the command is applied). */
  | 'NOT_OWNER'
  /** A reassignment to the rep who owns the lead already (it would only restart their SLA window). */
  | 'ALREADY_OWNER'
  /** A reassignment to someone who is neither a rep nor the manager in the lead's policy. */
  | 'UNKNOWN_OWNER';

/** Refusals that say the caller may not do this (403), as opposed to what the lead's stage allows (409). */
export const authorityRefusalCodes: readonly RefusalCode[] = ['ACTING_AS_SOMEONE_ELSE', 'NOT_OWNER'];

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
  mql: ['FillForm', 'RecordEngagement', 'Unsubscribe', 'AcceptLead', 'RejectLead', 'DisqualifyLead', 'ReassignLead'],
  sal: ['FillForm', 'RecordEngagement', 'Unsubscribe', 'RecordContactAttempt', 'QualifyLead', 'RejectLead', 'DisqualifyLead', 'ReassignLead'],
  sql: ['FillForm', 'RecordEngagement', 'Unsubscribe', 'CloseLead', 'DisqualifyLead'],
  recycled: ['FillForm', 'RecordEngagement', 'Unsubscribe', 'DisqualifyLead'],
  won: [],
  disqualified: [],
};

/** The commands people may send in the lead's current stage (timer-driven commands are not listed). */
export function allowedCommands(state: LeadState): LeadCommandType[] {
  if (isErased(state)) return [];
  if (!isCaptured(state)) return ['FillForm'];
  return [...stageCommands[state.stage]];
}

/** Behaviour kept for histories recorded before a fix; the workflow sets these from `patched()`. */
export interface DecideOptions {
  /**
   * Decay as first released: each tick floored the score and used a factor rounded to 4 places, so the
   * rounding compounded (a 30-day half-life took a low score down a point a day). Default: exact decay.
   */
  legacyDecay?: boolean;
}

export function decide(
  command: LeadCommand,
  state: LeadState,
  now: string,
  policy: LeadPolicy,
  options: DecideOptions = {},
): Decision {
  if (!isCaptured(state) && command.type !== 'FillForm') {
    return refuse('LEAD_NOT_FOUND', command, state, `lead ${state.leadId} has not been captured yet`);
  }
  if (isErased(state)) {
    return refuse('LEAD_ERASED', command, state, `lead ${state.leadId} was erased at ${state.erasedAt}: it takes no more commands`);
  }
  const unauthorised = actingRepRefusal(command, state);
  if (unauthorised) return unauthorised;
  const draft = new Draft(state, now);
  switch (command.type) {
    case 'FillForm': {
      if (!requireStage(state, command)) return refuseStage(command, state);
      const profile = mergeProfile(state.profile, command.profile);
      const repairedContactData = state.recycle?.needsDataRepair === true && contactDataChanged(state.profile, profile);
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
        ...(command.consent ? { consent: command.consent } : {}),
        ...(repairedContactData ? { repairedContactData: true as const } : {}),
      });
      checkSuspect(draft, policy);
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
      checkSuspect(draft, policy);
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
      const { slaDueAt, ...rest } = deadlinesAsEventData('sal', now, policy, command.rep, state.profile.country);
      draft.emit('LeadAccepted', { rep: command.rep, slaDueAt, ...rest });
      return draft.decision();
    }
    case 'RecordContactAttempt': {
      if (!requireStage(state, command)) return refuseStage(command, state);
      draft.emit('ContactAttemptRecorded', {
        rep: command.rep,
        channel: command.channel,
        ...(command.outcome !== undefined ? { outcome: command.outcome } : {}),
        ...(command.note !== undefined ? { note: command.note } : {}),
        attempt: (state.contactAttempts ?? 0) + 1,
      });
      return draft.decision();
    }
    case 'DecayEngagement': {
      const decay = policy.engagement.decay;
      const dueAt = decayDueAt(state, policy);
      if (!decay || dueAt === undefined || state.decayFrom === undefined) return refuseStage(command, state);
      if (!isDue(dueAt, now)) return refuse('NOT_DUE', command, state, `engagement decay is due at ${dueAt}`);
      const elapsedDays = (Date.parse(now) - Date.parse(state.decayFrom)) / DAY_MS;
      const exactFactor = Math.pow(0.5, elapsedDays / decay.halfLifeDays);
      const factor = Math.round(exactFactor * 10_000) / 10_000;
      if (options.legacyDecay) {
        draft.emit('EngagementDecayed', {
          from: state.engagementScore,
          to: Math.floor(state.engagementScore * factor),
          factor,
          halfLifeDays: decay.halfLifeDays,
          since: state.decayFrom,
        });
        return draft.decision();
      }
      // The unrounded score is carried from tick to tick, so rounding never compounds: whatever the
      // tick interval, the score halves once per half-life. The shown score is the nearest point, a
      // half rounded down: a timer that fires a second late must not turn 16 into 15.
      const exact = (state.engagementExact ?? state.engagementScore) * exactFactor;
      draft.emit('EngagementDecayed', {
        from: state.engagementScore,
        to: Math.ceil(exact - 0.5),
        factor,
        halfLifeDays: decay.halfLifeDays,
        since: state.decayFrom,
        exact,
      });
      return draft.decision();
    }
    case 'RejectLead': {
      if (!requireStage(state, command)) return refuseStage(command, state);
      const required = policy.sla.contactAttemptsBeforeNotReady;
      const attempts = state.contactAttempts ?? 0;
      if (command.reason === 'not_ready' && attempts < required) {
        return refuse(
          'CONTACT_ATTEMPTS_REQUIRED',
          command,
          state,
          `not_ready needs ${required} recorded contact attempt(s) first (POST /v1/leads/{id}/contact-attempts); ${attempts} so far`,
        );
      }
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
      draft.emit('LeadAssigned', assignmentData(kind, command.owner, state, now, policy));
      return draft.decision();
    }
    case 'ReassignLead': {
      if (!requireStage(state, command)) return refuseStage(command, state);
      const kind = slaKindOf(state.stage)!;
      if (!isRoutingTarget(command.owner, policy)) {
        return refuse('UNKNOWN_OWNER', command, state, `${command.owner} is neither a rep (routing.reps) nor the manager of the lead's policy`);
      }
      if (command.owner === state.owner) {
        return refuse('ALREADY_OWNER', command, state, `lead ${state.leadId} is already owned by ${command.owner}`);
      }
      // A fresh window for the new owner, counted as the policy counts it (their calendar with business
      // hours). Breaches so far stay counted: handing a lead to a colleague does not buy it another round.
      draft.emit('LeadAssigned', {
        ...assignmentData(kind, command.owner, state, now, policy),
        by: command.by,
        ...(state.owner !== undefined ? { previousOwner: state.owner } : {}),
        ...(command.reason !== undefined ? { reason: command.reason } : {}),
      });
      return draft.decision();
    }
    case 'SendSlaReminder': {
      const sla = state.sla;
      if (!sla || sla.reminded) return refuseStage(command, state);
      if (!isDue(sla.remindAt, now)) return refuse('NOT_DUE', command, state, `reminder is due at ${sla.remindAt}`);
      draft.emit('SlaReminderSent', {
        owner: sla.owner,
        slaKind: sla.kind,
        slaDueAt: sla.dueAt,
        ...(sla.reminders ? { reminder: (sla.remindersSent ?? 0) + 1 } : {}),
      });
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
        escalateTo: policy.sla[sla.kind].escalateTo ?? policy.routing.manager,
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
    case 'EraseLead': {
      // Any stage, closed ones included: a person may ask to be erased whatever became of the lead.
      draft.emit('LeadErased', { requestedBy: command.requestedBy, from: state.stage });
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
      // Forms recorded before `repairedContactData` existed are compared field by field.
      const repaired =
        s.recycle?.needsDataRepair === true && (event.data.repairedContactData ?? contactDataChanged(s.profile, event.data.profile));
      return {
        ...s,
        recycle: repaired && s.recycle ? { ...s.recycle, needsDataRepair: false } : s.recycle,
        profile: event.data.profile,
        source: event.data.source ?? s.source,
        fitScore: event.data.fitScore,
        engagementScore: event.data.engagementScore,
        engagementByType: addPoints(s.engagementByType, event.data.formType, gained),
        ...exactAfterGain(s, gained),
        handRaisedAt: event.data.handRaise ? (s.handRaisedAt ?? event.occurredAt) : s.handRaisedAt,
        ...(event.data.consent ? { consent: event.data.consent } : {}),
        ...decayClock(s, event.data.engagementScore, event.occurredAt),
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
        ...exactAfterGain(s, event.data.points),
        recentEngagementIds: ids,
        ...decayClock(s, event.data.engagementScore, event.occurredAt),
      };
    }
    case 'EngagementDecayed':
      return {
        ...s,
        engagementScore: event.data.to,
        engagementByType: scalePoints(s.engagementByType, event.data.factor),
        // Events recorded before exact decay carry no `exact`: the shown score is then all there is.
        engagementExact: event.data.exact,
        decayFrom: event.data.to > 0 ? event.occurredAt : undefined,
      };
    case 'LeadFlaggedSuspect':
      return { ...s, suspect: { reasons: event.data.reasons, at: event.occurredAt } };
    case 'LeadSuspectCleared':
      return { ...s, suspect: undefined };
    case 'ContactAttemptRecorded':
      return { ...s, contactAttempts: event.data.attempt };
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
        sla: slaOf(event.data.slaKind, event.data.owner, event.occurredAt, event.data),
      };
    case 'SlaReminderSent': {
      if (!s.sla) return s;
      if (!s.sla.reminders) return { ...s, sla: { ...s.sla, reminded: true } };
      const sent = (s.sla.remindersSent ?? 0) + 1;
      const next = s.sla.reminders[sent];
      return {
        ...s,
        sla: { ...s.sla, remindersSent: sent, reminded: next === undefined, remindAt: next ?? s.sla.remindAt },
      };
    }
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
          contactAttempts: undefined,
          sla: slaOf('sal', event.data.rep, event.occurredAt, event.data),
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
          contactAttempts: undefined,
          // A recycled lead must show fresh interest: old engagement already led to a failed handoff.
          engagementScore: 0,
          engagementByType: {},
          decayFrom: undefined,
          engagementExact: undefined,
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
    case 'LeadErased':
      return erasedState(s, event.occurredAt);
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
  if (state.suspect) blockedBy.push(...state.suspect.reasons.map((r) => `suspect:${r}`));
  if (policy.consent.required && !hasLawfulBasis(state, policy)) blockedBy.push('no_lawful_basis');
  if (blockedBy.length === 0 && state.handRaisedAt !== undefined) return { via: 'hand_raiser' };
  // Unsubscribing stops nurture-driven qualification; an explicit request to talk to sales still counts.
  if (state.unsubscribed) blockedBy.push('unsubscribed');
  if (state.engagementScore < policy.engagement.threshold) blockedBy.push('engagement_below_threshold');
  return blockedBy.length === 0 ? { via: 'score' } : { via: null, blockedBy };
}

export type TimerCommand = 'SendSlaReminder' | 'BreachSla' | 'Reevaluate' | 'DecayEngagement';

/**
 * The next moment the lead's own timers must act, if any. Nurture timers (the end of a recycle
 * cool-off, engagement decay) stop once the lead unsubscribed; `legacyUnsubscribedNurture` keeps the
 * cool-off timer of an unsubscribed lead for histories recorded before that rule.
 */
export function nextTimer(
  state: LeadState,
  policy?: LeadPolicy,
  options: { legacyUnsubscribedNurture?: boolean } = {},
): { at: string; command: TimerCommand } | undefined {
  if (isErased(state)) return undefined;
  if (state.sla) {
    return state.sla.reminded
      ? { at: state.sla.dueAt, command: 'BreachSla' }
      : { at: state.sla.remindAt, command: 'SendSlaReminder' };
  }
  const candidates: { at: string; command: TimerCommand }[] = [];
  const nurture = !state.unsubscribed || options.legacyUnsubscribedNurture === true;
  if (state.stage === 'recycled' && state.recycle && nurture) {
    candidates.push({ at: state.recycle.coolOffUntil, command: 'Reevaluate' });
  }
  const decayAt = policy && !state.unsubscribed ? decayDueAt(state, policy) : undefined;
  if (decayAt !== undefined) candidates.push({ at: decayAt, command: 'DecayEngagement' });
  return candidates.sort((a, b) => Date.parse(a.at) - Date.parse(b.at))[0];
}

/** When the lead's engagement next fades, if the policy decays engagement and the lead is in nurture. */
export function decayDueAt(state: LeadState, policy: LeadPolicy): string | undefined {
  const decay = policy.engagement.decay;
  if (!decay || state.decayFrom === undefined || state.engagementScore <= 0) return undefined;
  if (state.stage !== 'inquiry' && state.stage !== 'recycled') return undefined;
  return addHours(state.decayFrom, decay.everyHours);
}

/** True when the unsubscribe rule changes which timer the lead arms (the workflow patches on this). */
export function unsubscribeCancelsNurture(state: LeadState): boolean {
  return state.unsubscribed && state.stage === 'recycled' && state.recycle !== undefined && state.sla === undefined;
}

/** True when the lead waits for an owner (new MQL, or reassignment after a breach). */
export function needsOwner(state: LeadState): boolean {
  return !isErased(state) && slaKindOf(state.stage) !== undefined && state.owner === undefined;
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

/** Flags a lead in marketing's hands as suspect, or clears the flag once its fit is no longer low. */
function checkSuspect(draft: Draft, policy: LeadPolicy): void {
  const s = draft.state;
  if (s.stage !== 'inquiry' && s.stage !== 'recycled') return;
  if (s.suspect) {
    if (fitClearsSuspect(s.fitScore, policy)) {
      draft.emit('LeadSuspectCleared', { fitScore: s.fitScore, engagementScore: s.engagementScore });
    }
    return;
  }
  const reasons = suspectReasons(s, policy);
  if (reasons.length > 0) {
    draft.emit('LeadFlaggedSuspect', { reasons, fitScore: s.fitScore, engagementScore: s.engagementScore });
  }
}

function hasLawfulBasis(state: LeadState, policy: LeadPolicy): boolean {
  return state.consent !== undefined && (policy.consent.lawfulBases as string[]).includes(state.consent.lawfulBasis);
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
    ...(policy.nurtureTracks?.[reason] !== undefined ? { nurtureTrack: policy.nurtureTracks[reason] } : {}),
  });
}

/**
 * Who may decide: a command sent with a rep-bound key (`actingRep`) must be in that rep's name and the
 * lead must be theirs. Checked before the stage, so a caller who may not act on a lead learns nothing
 * about it. It reads the owner from the state the command is decided against, which in the workflow is
 * the lead's own state under its lock: an SLA breach or a manager's reassignment that was applied first
 * is always seen, however stale the caller's view of the lead was.
 */
function actingRepRefusal(command: LeadCommand, state: LeadState): Decision | undefined {
  const acting = actingRepOf(command);
  if (!acting) return undefined;
  if (acting.named !== acting.actingRep) {
    return refuse(
      'ACTING_AS_SOMEONE_ELSE',
      command,
      state,
      `a key bound to ${acting.actingRep} may only decide in that rep's own name, not as ${acting.named}`,
    );
  }
  if (state.owner !== acting.actingRep) {
    return refuse('NOT_OWNER', command, state, `lead ${state.leadId} is not owned by ${acting.actingRep}; a key bound to a rep decides only on that rep's leads`);
  }
  return undefined;
}

function actingRepOf(command: LeadCommand): { actingRep: string; named: string } | undefined {
  switch (command.type) {
    case 'AcceptLead':
    case 'RejectLead':
    case 'QualifyLead':
    case 'CloseLead':
    case 'RecordContactAttempt':
      return command.actingRep === undefined ? undefined : { actingRep: command.actingRep, named: command.rep };
    case 'DisqualifyLead':
      return command.actingRep === undefined ? undefined : { actingRep: command.actingRep, named: command.by };
    default:
      return undefined;
  }
}

/** Who a lead may be given to by hand: a rep of the policy, or its manager (where routing falls back to). */
function isRoutingTarget(owner: string, policy: LeadPolicy): boolean {
  return owner === policy.routing.manager || policy.routing.reps.some((rep) => rep.id === owner);
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

const DAY_MS = 86_400_000;

/**
 * LeadAssigned's fields for `owner` taking the lead with a fresh window of the stage (routing and a
 * manager's reassignment alike): the deadlines as the policy counts them for that owner, and the count of
 * assignments, breaches so far included.
 */
function assignmentData(kind: 'mql' | 'sal', owner: string, state: LeadState, now: string, policy: LeadPolicy) {
  const { slaDueAt, remindAt, ...clock } = deadlinesAsEventData(kind, now, policy, owner, state.profile.country);
  return {
    owner,
    slaKind: kind,
    slaDueAt,
    remindAt,
    assignment: state.breachedOwners.length + 1,
    ...clock,
    policyVersion: policy.version,
  };
}

/** SLA deadlines as event fields; the reminder list and calendar only when they add something. */
function deadlinesAsEventData(
  kind: 'mql' | 'sal',
  now: string,
  policy: LeadPolicy,
  owner: string,
  country: string | undefined,
): { remindAt: string; slaDueAt: string; reminders?: string[]; calendar?: string } {
  const d: SlaDeadlines = slaDeadlines(kind, now, policy, { owner, country });
  return {
    remindAt: d.remindAt,
    slaDueAt: d.dueAt,
    ...(d.reminders.length !== 1 ? { reminders: d.reminders } : {}),
    ...(d.calendar !== undefined ? { calendar: d.calendar } : {}),
  };
}

function slaOf(
  kind: 'mql' | 'sal',
  owner: string,
  startedAt: string,
  data: { remindAt: string; slaDueAt: string; reminders?: string[] },
): NonNullable<LeadState['sla']> {
  return {
    kind,
    owner,
    startedAt,
    remindAt: data.remindAt,
    dueAt: data.slaDueAt,
    // A window without reminders goes straight to its breach timer.
    reminded: data.reminders !== undefined && data.reminders.length === 0,
    ...(data.reminders !== undefined ? { reminders: data.reminders, remindersSent: 0 } : {}),
  };
}

/** Points gained on top of an exact decayed score keep it exact; without one there is nothing to carry. */
function exactAfterGain(s: LeadState, gained: number): Pick<LeadState, 'engagementExact'> | Record<string, never> {
  return s.engagementExact === undefined ? {} : { engagementExact: s.engagementExact + gained };
}

/** Starts the decay clock when the score first becomes positive; it keeps running while it stays so. */
function decayClock(s: LeadState, score: number, at: string): Pick<LeadState, 'decayFrom'> | Record<string, never> {
  if (score <= 0) return s.decayFrom === undefined ? {} : { decayFrom: undefined };
  return s.decayFrom === undefined ? { decayFrom: at } : {};
}

function scalePoints(byType: Record<string, number>, factor: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [type, points] of Object.entries(byType)) {
    const scaled = Math.floor(points * factor);
    if (scaled !== 0) out[type] = scaled;
  }
  return out;
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
