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
