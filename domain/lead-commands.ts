import type {
  BantCriterion,
  ConsentRecord,
  ContactChannel,
  ContactOutcome,
  LeadProfile,
  LeadSource,
  RejectReason,
} from './lead-events';

/**
 * What people and timers ask of a lead. Sales decisions come from the API as Temporal Updates;
 * engagement comes as Signals; the `Sla*`, `AssignOwner` and `Reevaluate` commands come from the lead
 * workflow's own durable timers and activities.
 */

export interface EngagementInput {
  type: string;
  occurredAt: string;
  /** Caller's id for the event; a repeated id is ignored (at-least-once delivery from marketing tools). */
  id?: string;
}

export type FillForm = {
  type: 'FillForm';
  formType: string;
  profile: Partial<LeadProfile> & { email: string };
  source?: LeadSource;
  consent?: ConsentRecord;
};
export type RecordEngagement = { type: 'RecordEngagement'; engagements: EngagementInput[] };
export type AcceptLead = { type: 'AcceptLead'; rep: string };
export type RejectLead = { type: 'RejectLead'; rep: string; reason: RejectReason; note?: string };
export type QualifyLead = { type: 'QualifyLead'; rep: string; note?: string } & Record<BantCriterion, boolean>;
export type CloseLead = { type: 'CloseLead'; rep: string; outcome: 'won' | 'lost'; reason?: string };
export type DisqualifyLead = { type: 'DisqualifyLead'; by: string; reason: string };
export type Unsubscribe = { type: 'Unsubscribe' };
export type RecordContactAttempt = {
  type: 'RecordContactAttempt';
  rep: string;
  channel: ContactChannel;
  outcome?: ContactOutcome;
  note?: string;
};
/** The lead's decay timer fired: fade the engagement score by the policy's half-life. */
export type DecayEngagement = { type: 'DecayEngagement' };
export type AssignOwner = { type: 'AssignOwner'; owner: string };
/** Erase the person (GDPR art. 17); `requestedBy` is who asked for it (the privacy officer, say). */
export type EraseLead = { type: 'EraseLead'; requestedBy: string };
export type SendSlaReminder = { type: 'SendSlaReminder' };
export type BreachSla = { type: 'BreachSla' };
/** A recycled lead's cool-off ended: qualify it now if its scores and data already allow. */
export type Reevaluate = { type: 'Reevaluate' };

export type LeadCommand =
  | FillForm
  | RecordEngagement
  | AcceptLead
  | RejectLead
  | QualifyLead
  | CloseLead
  | DisqualifyLead
  | Unsubscribe
  | RecordContactAttempt
  | DecayEngagement
  | AssignOwner
  | SendSlaReminder
  | BreachSla
  | Reevaluate
  | EraseLead;

export type LeadCommandType = LeadCommand['type'];

/** Commands a sales system may send; the rest belong to marketing intake or to the lead's own timers. */
export const salesCommandTypes = [
  'AcceptLead',
  'RejectLead',
  'QualifyLead',
  'CloseLead',
  'DisqualifyLead',
  'RecordContactAttempt',
] as const;
