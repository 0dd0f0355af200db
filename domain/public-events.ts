import { evolve } from './lead-decider';
import type { LeadEvent, LeadEventType, LeadStage } from './lead-events';
import { initialLeadState, type LeadState } from './lead-state';

/*
 * The public event catalogue: what Leadflow tells the systems that act on a lead (marketing
 * automation, the CRM, a chat channel), by webhook and through GET /v1/events. Each public event comes
 * from one domain event and carries the lead's public view at that point. Versioned: a type keeps its
 * meaning and its fields; new fields may be added, nothing is renamed or removed without a new version.
 *
 * Built from the stored events (their sealed personal fields opened), so once a lead is erased its
 * events carry no personal data, wherever and whenever they are read again.
 */

export const PUBLIC_EVENTS_VERSION = '2026-12-02';

export const publicEventTypes = [
  'lead.captured',
  'lead.mql',
  'lead.assigned',
  'lead.sla_reminder',
  'lead.sla_breached',
  'lead.accepted',
  'lead.rejected',
  'lead.qualified',
  'lead.won',
  'lead.lost',
  'lead.recycled',
  'lead.disqualified',
  'lead.unsubscribed',
  'lead.erased',
] as const;
export type PublicEventType = (typeof publicEventTypes)[number];

/** The domain event behind each public one (and so which domain events are published at all). */
export const domainEventOf: Record<PublicEventType, LeadEventType> = {
  'lead.captured': 'LeadCaptured',
  'lead.mql': 'LeadBecameMql',
  'lead.assigned': 'LeadAssigned',
  'lead.sla_reminder': 'SlaReminderSent',
  'lead.sla_breached': 'SlaBreached',
  'lead.accepted': 'LeadAccepted',
  'lead.rejected': 'LeadRejected',
  'lead.qualified': 'LeadQualified',
  'lead.won': 'LeadWon',
  'lead.lost': 'LeadLost',
  'lead.recycled': 'LeadRecycled',
  'lead.disqualified': 'LeadDisqualified',
  'lead.unsubscribed': 'LeadUnsubscribed',
  'lead.erased': 'LeadErased',
};
const publicTypeOf = new Map<LeadEventType, PublicEventType>(
  (Object.entries(domainEventOf) as [PublicEventType, LeadEventType][]).map(([pub, dom]) => [dom, pub]),
);

/** The lead as receivers see it: who, where in the funnel, with whom, and by when. Personal fields are null once erased. */
export interface PublicLeadView {
  leadId: string;
  stage: LeadStage;
  owner: string | null;
  email: string | null;
  fullName: string | null;
  company: string | null;
  country: string | null;
  source: { channel: string | null; campaign: string | null };
  fitScore: number;
  engagementScore: number;
  mqlCycle: number;
  recycleCount: number;
  sla: { kind: 'mql' | 'sal'; owner: string; dueAt: string } | null;
  unsubscribed: boolean;
  opportunityId: string | null;
  erased: boolean;
}

export interface PublicEvent {
  /** Global and stable: the receiver's idempotency key (and the Standard Webhooks `webhook-id`). */
  id: string;
  type: PublicEventType;
  version: typeof PUBLIC_EVENTS_VERSION;
  leadId: string;
  /** The lead's event sequence number: per lead, events are delivered in this order. */
  seq: number;
  occurredAt: string;
  data: { lead: PublicLeadView; detail: Record<string, unknown> };
}

/** `evt_<lead hash>_<seq>`: one domain event makes at most one public event. */
export function publicEventId(leadId: string, seq: number): string {
  return `evt_${leadId.replace(/^lead-/, '')}_${seq}`;
}

export function isPublished(type: string): boolean {
  return publicTypeOf.has(type as LeadEventType);
}

export function publicLeadView(state: LeadState): PublicLeadView {
  const p = state.profile;
  const fullName = [p.firstName, p.lastName].filter((v) => v && v.trim() !== '').join(' ');
  return {
    leadId: state.leadId,
    stage: state.stage,
    owner: state.owner ?? null,
    email: p.email === '' ? null : p.email,
    fullName: fullName === '' ? null : fullName,
    company: p.company ?? null,
    country: p.country ?? null,
    source: { channel: state.source?.channel ?? null, campaign: state.source?.campaign ?? null },
    fitScore: state.fitScore,
    engagementScore: state.engagementScore,
    mqlCycle: state.mqlCycle,
    recycleCount: state.recycleCount,
    sla: state.sla ? { kind: state.sla.kind, owner: state.sla.owner, dueAt: state.sla.dueAt } : null,
    unsubscribed: state.unsubscribed,
    opportunityId: state.opportunityId ?? null,
    erased: state.erasedAt !== undefined,
  };
}

/** What each public event says beyond the view; reps' free-text notes are never published. */
function detailOf(event: LeadEvent): Record<string, unknown> {
  switch (event.type) {
    case 'LeadBecameMql':
      return { ...event.data };
    case 'LeadAssigned':
      return {
        owner: event.data.owner,
        slaKind: event.data.slaKind,
        slaDueAt: event.data.slaDueAt,
        assignment: event.data.assignment,
        // A reassignment by hand names the manager; routing's own assignments have no `by`.
        by: event.data.by ?? null,
        previousOwner: event.data.previousOwner ?? null,
        reason: event.data.reason ?? null,
      };
    case 'SlaReminderSent':
      return { ...event.data };
    case 'SlaBreached':
      return { ...event.data };
    case 'LeadAccepted':
      return { rep: event.data.rep, slaDueAt: event.data.slaDueAt };
    case 'LeadRejected':
      return { rep: event.data.rep, reason: event.data.reason };
    case 'LeadQualified':
      return { rep: event.data.rep, bant: event.data.bant, opportunityId: event.data.opportunityId };
    case 'LeadWon':
      return { rep: event.data.rep };
    case 'LeadLost':
      return { rep: event.data.rep, reason: event.data.reason };
    case 'LeadRecycled':
      return {
        reason: event.data.reason,
        from: event.data.from,
        by: event.data.by ?? null,
        needsDataRepair: event.data.needsDataRepair,
        bantGaps: event.data.bantGaps ?? [],
        coolOffUntil: event.data.coolOffUntil,
        nurtureTrack: event.data.nurtureTrack ?? null,
      };
    case 'LeadDisqualified':
      return { ...event.data };
    default:
      return {};
  }
}

/**
 * The public events of a run of one lead's events, each with the lead's view right after it. `from` is
 * the lead's state before the first of them (none: they start at seq 1).
 */
export function publicEventsOf(leadId: string, events: readonly LeadEvent[], from?: LeadState): PublicEvent[] {
  let state = from ?? initialLeadState(leadId);
  const out: PublicEvent[] = [];
  for (const event of events) {
    state = evolve(state, event);
    const type = publicTypeOf.get(event.type);
    if (!type) continue;
    out.push({
      id: publicEventId(leadId, event.seq),
      type,
      version: PUBLIC_EVENTS_VERSION,
      leadId,
      seq: event.seq,
      occurredAt: event.occurredAt,
      data: { lead: publicLeadView(state), detail: detailOf(event) },
    });
  }
  return out;
}
