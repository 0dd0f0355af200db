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
/**
 * Who may decide. Set when the caller's API key is bound to a rep: the command then applies only to a
 * lead that rep owns, and only in that rep's name (its `rep`, or `by` for a disqualification). `decide`
 * checks it against the owner the lead has when the command is applied, inside the lead workflow, so a
 * reassignment (an SLA breach, a manager) that lands first is always seen. Absent for keys that are not
 * bound to a rep (a manager, or an integration that relays its own users' decisions).
 */
export interface ActingRep {
  actingRep?: string;
}

export type AcceptLead = { type: 'AcceptLead'; rep: string } & ActingRep;
export type RejectLead = { type: 'RejectLead'; rep: string; reason: RejectReason; note?: string } & ActingRep;
export type QualifyLead = { type: 'QualifyLead'; rep: string; note?: string } & Record<BantCriterion, boolean> & ActingRep;
export type CloseLead = { type: 'CloseLead'; rep: string; outcome: 'won' | 'lost'; reason?: string } & ActingRep;
export type DisqualifyLead = { type: 'DisqualifyLead'; by: string; reason: string } & ActingRep;
export type Unsubscribe = { type: 'Unsubscribe' };
export type RecordContactAttempt = {
  type: 'RecordContactAttempt';
  rep: string;
  channel: ContactChannel;
  outcome?: ContactOutcome;
  note?: string;
} & ActingRep;
/**
 * A manager gives an MQL or a SAL to another rep by hand: `owner` gets the lead with a fresh SLA window
 * of the stage, `by` is the manager, `reason` a short reference for the record.
 */
export type ReassignLead = { type: 'ReassignLead'; owner: string; by: string; reason?: string };
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
  | ReassignLead
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

/** Commands only a manager may send (scope `manager`, which `admin` implies). */
export const managerCommandTypes = ['ReassignLead'] as const;
