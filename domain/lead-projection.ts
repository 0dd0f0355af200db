import { evolve } from './lead-decider';
import type { LeadEvent, LeadStage } from './lead-events';
import { initialLeadState, type LeadState } from './lead-state';

/**
 * The read model's row for one lead: the same fold of events the workflow keeps (`state`), plus the
 * columns list queries and reports filter and sort on. Pure, so the live projection (the
 * recordEvents activity) and every rebuild compute exactly the same row from the same events.
 */
export interface LeadReadModel {
  leadId: string;
  stage: LeadStage;
  owner: string | null;
  email: string;
  fullName: string | null;
  company: string | null;
  country: string | null;
  sourceChannel: string | null;
  sourceCampaign: string | null;
  fitScore: number;
  engagementScore: number;
  slaKind: 'mql' | 'sal' | null;
  slaDueAt: string | null;
  slaBreaches: number;
  mqlCycle: number;
  recycleCount: number;
  recycleReason: string | null;
  needsDataRepair: boolean;
  unsubscribed: boolean;
  closedReason: string | null;
  firstInquiryAt: string | null;
  firstMqlAt: string | null;
  firstSalAt: string | null;
  firstSqlAt: string | null;
  firstWonAt: string | null;
  firstDisqualifiedAt: string | null;
  firstRecycledAt: string | null;
  createdAt: string;
  updatedAt: string;
  lastEventSeq: number;
  erasedAt: string | null;
  state: LeadState;
}

export function projectLead(row: LeadReadModel | null, event: LeadEvent, leadId: string): LeadReadModel {
  if (row && event.seq <= row.lastEventSeq) return row;
  const state = evolve(row?.state ?? initialLeadState(leadId), event);
  return toReadModel(state);
}

export function projectLeadEvents(row: LeadReadModel | null, events: readonly LeadEvent[], leadId: string): LeadReadModel | null {
  return events.reduce<LeadReadModel | null>((r, e) => projectLead(r, e, leadId), row);
}

export function toReadModel(state: LeadState): LeadReadModel {
  const { profile, firstReachedAt: first } = state;
  const fullName = [profile.firstName, profile.lastName].filter((p) => p && p.trim() !== '').join(' ');
  return {
    leadId: state.leadId,
    stage: state.stage,
    owner: state.owner ?? null,
    email: profile.email,
    fullName: fullName === '' ? null : fullName,
    company: profile.company ?? null,
    country: profile.country ?? null,
    sourceChannel: state.source?.channel ?? null,
    sourceCampaign: state.source?.campaign ?? null,
    fitScore: state.fitScore,
    engagementScore: state.engagementScore,
    slaKind: state.sla?.kind ?? null,
    slaDueAt: state.sla?.dueAt ?? null,
    slaBreaches: state.slaBreaches,
    mqlCycle: state.mqlCycle,
    recycleCount: state.recycleCount,
    recycleReason: state.stage === 'recycled' ? (state.recycle?.reason ?? null) : null,
    needsDataRepair: state.recycle?.needsDataRepair ?? false,
    unsubscribed: state.unsubscribed,
    closedReason: state.closed?.reason ?? null,
    firstInquiryAt: first.inquiry ?? null,
    firstMqlAt: first.mql ?? null,
    firstSalAt: first.sal ?? null,
    firstSqlAt: first.sql ?? null,
    firstWonAt: first.won ?? null,
    firstDisqualifiedAt: first.disqualified ?? null,
    firstRecycledAt: first.recycled ?? null,
    createdAt: state.createdAt ?? state.updatedAt ?? '',
    updatedAt: state.updatedAt ?? '',
    lastEventSeq: state.seq,
    erasedAt: state.erasedAt ?? null,
    state,
  };
}
