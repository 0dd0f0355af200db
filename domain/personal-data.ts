import type { LeadEvent, LeadProfile } from './lead-events';
import type { LeadState } from './lead-state';

/*
 * Which parts of a lead identify a person, and so are encrypted with the lead's key in append-only logs
 * and removed everywhere at erasure. Everything else (stages and dates, scores, reasons, owner, source,
 * the firmographic fields scoring and routing read, the policy version) is kept: reports give the same
 * numbers before and after an erasure.
 */

/** Profile fields that identify the person. Seniority, industry, size, revenue, country and product interest do not. */
export const personalProfileFields = ['email', 'firstName', 'lastName', 'phone', 'company', 'companyDomain', 'jobTitle'] as const;
export type PersonalProfileField = (typeof personalProfileFields)[number];

/** The personal part of one event: profile fields, and the free-text note a rep may write a name into. */
export interface PersonalEventData {
  profile?: Partial<Pick<LeadProfile, PersonalProfileField>>;
  note?: string;
}

/** A profile with nothing that identifies the person (email is required by the type: it becomes ''). */
export function impersonalProfile(profile: LeadProfile): LeadProfile {
  const out: LeadProfile = { ...profile, email: '' };
  for (const field of personalProfileFields) if (field !== 'email') delete out[field];
  return out;
}

/**
 * Splits an event into what may be stored in clear and its personal part (undefined when it has none).
 * `withPersonalData(split.event, split.personal)` gives the event back exactly.
 */
export function withoutPersonalData(event: LeadEvent): { event: LeadEvent; personal: PersonalEventData | undefined } {
  switch (event.type) {
    case 'LeadCaptured':
    case 'FormFilled': {
      const profile: PersonalEventData['profile'] = {};
      for (const field of personalProfileFields) {
        if (event.data.profile[field] !== undefined) profile[field] = event.data.profile[field];
      }
      return { event: { ...event, data: { ...event.data, profile: impersonalProfile(event.data.profile) } } as LeadEvent, personal: { profile } };
    }
    case 'LeadRejected':
    case 'LeadQualified':
    case 'ContactAttemptRecorded': {
      if (event.data.note === undefined) return { event, personal: undefined };
      const { note, ...data } = event.data;
      return { event: { ...event, data } as LeadEvent, personal: { note } };
    }
    default:
      return { event, personal: undefined };
  }
}

/** Puts an event's personal part back; with none (the lead was erased) the event stays impersonal. */
export function withPersonalData(event: LeadEvent, personal: PersonalEventData | undefined): LeadEvent {
  if (!personal) return event;
  switch (event.type) {
    case 'LeadCaptured':
    case 'FormFilled':
      return { ...event, data: { ...event.data, profile: { ...event.data.profile, ...personal.profile } } } as LeadEvent;
    case 'LeadRejected':
    case 'LeadQualified':
    case 'ContactAttemptRecorded':
      return personal.note === undefined ? event : ({ ...event, data: { ...event.data, note: personal.note } } as LeadEvent);
    default:
      return event;
  }
}

/**
 * The state an erased lead keeps: its facts without the person. Timers stop (no SLA, no cool-off, no
 * hand-raise waiting), consent goes with the person, and the lead is closed to every command.
 */
export function erasedState(state: LeadState, at: string): LeadState {
  const { sla: _sla, handRaisedAt: _raised, consent: _consent, ...rest } = state;
  return { ...rest, profile: impersonalProfile(state.profile), erasedAt: at };
}

/** What an erasure request asks for; `requestedBy` and `reason` describe the request, not the person. */
export interface ErasureRequest {
  leadId: string;
  requestedBy: string;
  reason?: string;
  requestedAt: string;
}

/**
 * What was erased, by name: the same list for every erasure, so a privacy officer can file it.
 * - `data_key`: the lead's data key is destroyed; every payload of the lead in Temporal histories,
 *   their backups and archives, and every sealed field in `lead_events`, can no longer be read.
 * - `lead_events.personal`: the sealed personal fields of the lead's events are removed.
 * - `leads.profile`: name, email, phone, company, job title and consent are removed from the read model.
 * - `idempotency_keys`: stored API answers about the lead are deleted.
 * - `lead_workflow`: timers stopped, queued engagement and undelivered notifications dropped, the
 *   workflow ended (already so for a closed lead).
 */
export const erasedParts = ['data_key', 'lead_events.personal', 'leads.profile', 'idempotency_keys', 'lead_workflow'] as const;
export type ErasedPart = (typeof erasedParts)[number];

/** The receipt of an erasure; a repeated request answers the same one. Nothing in it is personal. */
export interface ErasureReceipt {
  leadId: string;
  erasedAt: string;
  requestedBy: string;
  reason?: string;
  erased: ErasedPart[];
}

/**
 * Everything Leadflow holds about the person behind a lead (GDPR art. 15), from the lead's state and
 * its events with their personal fields: profile, consent records, form fills, engagement, and the
 * decisions sales made about them.
 */
export interface PersonalDataReport {
  leadId: string;
  profile: LeadProfile;
  source: LeadState['source'] | null;
  lifecycle: {
    stage: LeadState['stage'];
    owner: string | null;
    fitScore: number;
    engagementScore: number;
    stageReachedAt: LeadState['firstReachedAt'];
    recycleCount: number;
    unsubscribed: boolean;
    createdAt: string | null;
    updatedAt: string | null;
  };
  consent: { lawfulBasis: string; capturedAt: string; text?: string; recordedAt: string; formType: string }[];
  formFills: { occurredAt: string; formType: string; profile: LeadProfile; source?: LeadState['source'] }[];
  engagement: { occurredAt: string; type: string; points: number; id?: string }[];
  decisions: { occurredAt: string; type: LeadEvent['type']; data: Record<string, unknown> }[];
}

const decisionTypes: readonly LeadEvent['type'][] = [
  'LeadAssigned',
  'SlaBreached',
  'LeadAccepted',
  'LeadRejected',
  'ContactAttemptRecorded',
  'LeadQualified',
  'LeadRecycled',
  'LeadWon',
  'LeadLost',
  'LeadDisqualified',
  'LeadUnsubscribed',
  'LeadFlaggedSuspect',
  'LeadSuspectCleared',
];

export function personalDataReport(state: LeadState, events: readonly LeadEvent[]): PersonalDataReport {
  const report: PersonalDataReport = {
    leadId: state.leadId,
    profile: state.profile,
    source: state.source ?? null,
    lifecycle: {
      stage: state.stage,
      owner: state.owner ?? null,
      fitScore: state.fitScore,
      engagementScore: state.engagementScore,
      stageReachedAt: state.firstReachedAt,
      recycleCount: state.recycleCount,
      unsubscribed: state.unsubscribed,
      createdAt: state.createdAt ?? null,
      updatedAt: state.updatedAt ?? null,
    },
    consent: [],
    formFills: [],
    engagement: [],
    decisions: [],
  };
  for (const e of events) {
    if (e.type === 'FormFilled') {
      report.formFills.push({ occurredAt: e.occurredAt, formType: e.data.formType, profile: e.data.profile, ...(e.data.source ? { source: e.data.source } : {}) });
      if (e.data.consent) report.consent.push({ ...e.data.consent, recordedAt: e.occurredAt, formType: e.data.formType });
    } else if (e.type === 'EngagementRecorded') {
      report.engagement.push({ occurredAt: e.data.at, type: e.data.engagementType, points: e.data.points, ...(e.data.engagementId ? { id: e.data.engagementId } : {}) });
    } else if (decisionTypes.includes(e.type)) {
      report.decisions.push({ occurredAt: e.occurredAt, type: e.type, data: { ...e.data } });
    }
  }
  return report;
}
