import type {
  BantCriterion,
  ConsentRecord,
  LeadProfile,
  LeadSource,
  LeadStage,
  RecycleReason,
  SlaKind,
} from './lead-events';

/** The follow-up promise currently running for the lead's owner. */
export interface LeadSla {
  kind: SlaKind;
  owner: string;
  startedAt: string;
  remindAt: string;
  dueAt: string;
  /** True once every reminder of the window has been sent (`remindAt` is the next one until then). */
  reminded: boolean;
  /** All reminder instants, when the window has more than one. */
  reminders?: string[];
  /** Reminders sent so far (absent = 0). */
  remindersSent?: number;
}

export interface LeadState {
  leadId: string;
  /** Seq of the last event folded in; 0 means the lead has not been captured yet. */
  seq: number;
  stage: LeadStage;
  profile: LeadProfile;
  source?: LeadSource;
  fitScore: number;
  engagementScore: number;
  /** Points each engagement type contributed, so per-type caps hold across continue-as-new. */
  engagementByType: Record<string, number>;
  /** A demo/contact-sales request not yet turned into an MQL (waiting for data, fit or cool-off). */
  handRaisedAt?: string;
  /** Counts MQL cycles: the first MQL is 1, an MQL after recycling 2, and so on. */
  mqlCycle: number;
  owner?: string;
  sla?: LeadSla;
  /** Breaches in the current stage; reset when the stage changes. */
  slaBreaches: number;
  /** Reps who breached in this stage, skipped when reassigning. */
  breachedOwners: string[];
  recycleCount: number;
  recycle?: {
    reason: RecycleReason;
    at: string;
    coolOffUntil: string;
    needsDataRepair: boolean;
    bantGaps?: BantCriterion[];
  };
  unsubscribed: boolean;
  /** The latest lawful basis a form recorded; required for routing when the policy says so. */
  consent?: ConsentRecord;
  /** Flagged by the suspect check (high engagement, low fit): never routed while set. */
  suspect?: { reasons: string[]; at: string };
  /**
   * The engagement score before rounding, once decay has run (absent before the first exact decay):
   * `engagementScore` is this to the nearest point, and the next decay starts from it.
   */
  engagementExact?: number;
  /** Where the engagement decay clock counts from (last decay, or when the score became positive). */
  decayFrom?: string;
  /** Contact attempts recorded since the lead was accepted (absent = 0). */
  contactAttempts?: number;
  opportunityId?: string;
  closed?: { outcome: 'won' | 'disqualified'; reason?: string; by: string; at: string };
  /** The date each stage was first reached; later visits never overwrite it. */
  firstReachedAt: Partial<Record<LeadStage, string>>;
  /** Recent engagement ids, oldest first, bounded by the policy's dedup window. */
  recentEngagementIds: string[];
  policyVersion?: string;
  /** When the person was erased: nothing personal is left, and the lead takes no more commands. */
  erasedAt?: string;
  createdAt?: string;
  updatedAt?: string;
}

/**
 * How many recent engagement ids a lead remembers to drop re-deliveries. A technical bound (state and
 * continue-as-new payloads stay small), not a business rule, so it is not in the policy.
 */
export const ENGAGEMENT_DEDUP_WINDOW = 500;

export function initialLeadState(leadId: string): LeadState {
  return {
    leadId,
    seq: 0,
    stage: 'inquiry',
    profile: { email: '' },
    fitScore: 0,
    engagementScore: 0,
    engagementByType: {},
    mqlCycle: 0,
    slaBreaches: 0,
    breachedOwners: [],
    recycleCount: 0,
    unsubscribed: false,
    firstReachedAt: {},
    recentEngagementIds: [],
  };
}

export function isCaptured(state: LeadState): boolean {
  return state.seq > 0;
}

export function isErased(state: LeadState): boolean {
  return state.erasedAt !== undefined;
}

export function isClosed(state: LeadState): boolean {
  return state.stage === 'won' || state.stage === 'disqualified';
}
