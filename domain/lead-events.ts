/**
 * Everything that ever happens to a lead, named in the past tense. The workflow folds these into state
 * with `evolve`; the read model is a projection of them. Timestamps are ISO strings so events stay plain
 * JSON inside Temporal payloads and the database. `seq` is per lead and keeps counting across
 * continue-as-new, which is what makes `(lead_id, seq)` a safe idempotency key for the projection.
 */

export const leadStages = ['inquiry', 'mql', 'sal', 'sql', 'won', 'disqualified', 'recycled'] as const;
export type LeadStage = (typeof leadStages)[number];

export const openStages: readonly LeadStage[] = ['inquiry', 'mql', 'sal', 'sql', 'recycled'];
export const closedStages: readonly LeadStage[] = ['won', 'disqualified'];

export const rejectReasons = [
  'not_ready',
  'no_budget',
  'bad_timing',
  'bad_contact_data',
  'not_a_fit',
  'competitor',
  'spam',
  'duplicate',
] as const;
export type RejectReason = (typeof rejectReasons)[number];

export const recycleReasons = [
  'not_ready',
  'no_budget',
  'bad_timing',
  'bad_contact_data',
  'bant_gaps',
  'not_now',
  'sla_expired',
] as const;
export type RecycleReason = (typeof recycleReasons)[number];

export const bantCriteria = ['budget', 'authority', 'need', 'timeline'] as const;
export type BantCriterion = (typeof bantCriteria)[number];

export type SlaKind = 'mql' | 'sal';

/** What a person told us about themselves; every field but email is optional and may arrive later. */
export interface LeadProfile {
  email: string;
  firstName?: string;
  lastName?: string;
  phone?: string;
  company?: string;
  companyDomain?: string;
  jobTitle?: string;
  seniority?: string;
  industry?: string;
  employeeCount?: number;
  annualRevenue?: number;
  /** ISO 3166-1 alpha-2. */
  country?: string;
  productInterest?: string;
}

/** The lawful basis a form recorded for contacting the person (GDPR art. 6), with the wording shown. */
export interface ConsentRecord {
  lawfulBasis: string;
  capturedAt: string;
  text?: string;
}

export const contactChannels = ['phone', 'email', 'linkedin', 'meeting', 'other'] as const;
export type ContactChannel = (typeof contactChannels)[number];
export const contactOutcomes = ['no_answer', 'voicemail', 'connected', 'bounced', 'wrong_person'] as const;
export type ContactOutcome = (typeof contactOutcomes)[number];

export interface LeadSource {
  channel?: string;
  campaign?: string;
}

interface EventBase<T extends string, D> {
  type: T;
  /** Per-lead sequence number, 1-based, monotonic across continue-as-new. */
  seq: number;
  occurredAt: string;
  data: D;
}

export type LeadCaptured = EventBase<'LeadCaptured', { leadId: string; profile: LeadProfile; source?: LeadSource }>;
export type FormFilled = EventBase<
  'FormFilled',
  {
    formType: string;
    profile: LeadProfile;
    source?: LeadSource;
    fitScore: number;
    engagementScore: number;
    /** The form was an explicit request to talk to sales (policy's hand-raiser form types). */
    handRaise: boolean;
    /** Present when the form carried a lawful basis for contacting the person. */
    consent?: ConsentRecord;
    /**
     * Present (true) when the form changed the contact data of a lead recycled for bad contact data.
     * Recorded rather than recomputed, because the contact data itself is gone once the lead is erased.
     */
    repairedContactData?: true;
  }
>;
export type EngagementRecorded = EventBase<
  'EngagementRecorded',
  { engagementType: string; engagementId?: string; at: string; points: number; engagementScore: number }
>;
export type LeadBecameMql = EventBase<
  'LeadBecameMql',
  { via: 'score' | 'hand_raiser'; fitScore: number; engagementScore: number; mqlCycle: number; policyVersion: string }
>;
/** Present on SLA events when the policy sets more than one reminder or a business-hours clock. */
interface SlaClockDetail {
  /** Every reminder instant of the window, earliest first (`remindAt` is the first). */
  reminders?: string[];
  /** The calendar the window was counted on (business hours), by name in the policy. */
  calendar?: string;
}
/**
 * `policyVersion`: the policy that routed the lead and set its SLA (absent in older histories).
 * `by` (with `previousOwner` and `reason` when there are any) is present only on a reassignment by hand:
 * the manager who gave the lead to `owner`. Routing's own assignments carry no `by`.
 */
export type LeadAssigned = EventBase<
  'LeadAssigned',
  {
    owner: string;
    slaKind: SlaKind;
    slaDueAt: string;
    remindAt: string;
    assignment: number;
    policyVersion?: string;
    by?: string;
    previousOwner?: string;
    reason?: string;
  } & SlaClockDetail
>;
export type SlaReminderSent = EventBase<
  'SlaReminderSent',
  { owner: string; slaKind: SlaKind; slaDueAt: string; /** 1-based, when the window has several. */ reminder?: number }
>;
export type SlaBreached = EventBase<
  'SlaBreached',
  { owner: string; slaKind: SlaKind; slaDueAt: string; breach: number; escalateTo: string }
>;
export type LeadAccepted = EventBase<'LeadAccepted', { rep: string; slaDueAt: string; remindAt: string } & SlaClockDetail>;
export type LeadRejected = EventBase<'LeadRejected', { rep: string; reason: RejectReason; note?: string }>;
export type LeadQualified = EventBase<
  'LeadQualified',
  { rep: string; bant: Record<BantCriterion, boolean>; note?: string; opportunityId: string }
>;
export type LeadRecycled = EventBase<
  'LeadRecycled',
  {
    reason: RecycleReason;
    from: LeadStage;
    by?: string;
    needsDataRepair: boolean;
    bantGaps?: BantCriterion[];
    coolOffUntil: string;
    /** The nurture track the policy maps the reason to (absent when it maps none). */
    nurtureTrack?: string;
  }
>;
export type LeadWon = EventBase<'LeadWon', { rep: string }>;
export type LeadLost = EventBase<'LeadLost', { rep: string; reason: string }>;
export type LeadDisqualified = EventBase<'LeadDisqualified', { by: string; reason: string; from: LeadStage }>;
export type LeadUnsubscribed = EventBase<'LeadUnsubscribed', Record<string, never>>;
/**
 * The lead's own timer faded its engagement score (half-life decay). `to` is `exact` to the nearest
 * point (a half rounded down);
 * `exact` (absent in events recorded before exact decay) is carried so rounding never compounds.
 */
export type EngagementDecayed = EventBase<
  'EngagementDecayed',
  { from: number; to: number; factor: number; halfLifeDays: number; since: string; exact?: number }
>;
/** High engagement with low fit: held for review, never routed while flagged. */
export type LeadFlaggedSuspect = EventBase<'LeadFlaggedSuspect', { reasons: string[]; fitScore: number; engagementScore: number }>;
export type LeadSuspectCleared = EventBase<'LeadSuspectCleared', { fitScore: number; engagementScore: number }>;
/**
 * The person was erased (GDPR art. 17): every personal field is gone, the lead's key is destroyed, its
 * timers stop and it takes no more commands. Carries nothing personal; its facts stay for reports.
 */
export type LeadErased = EventBase<'LeadErased', { requestedBy: string; from: LeadStage }>;
export type ContactAttemptRecorded = EventBase<
  'ContactAttemptRecorded',
  { rep: string; channel: ContactChannel; outcome?: ContactOutcome; note?: string; attempt: number }
>;

export type LeadEvent =
  | LeadCaptured
  | FormFilled
  | EngagementRecorded
  | LeadBecameMql
  | LeadAssigned
  | SlaReminderSent
  | SlaBreached
  | LeadAccepted
  | LeadRejected
  | LeadQualified
  | LeadRecycled
  | LeadWon
  | LeadLost
  | LeadDisqualified
  | LeadUnsubscribed
  | EngagementDecayed
  | LeadFlaggedSuspect
  | LeadSuspectCleared
  | ContactAttemptRecorded
  | LeadErased;

export type LeadEventType = LeadEvent['type'];
