import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';

type Timestamp = ColumnType<Date, string, string>;
type NullableTimestamp = ColumnType<Date | null, string | null, string | null>;

/** Current state per lead: the fold of its events (see domain/lead-projection.ts). */
export interface LeadTable {
  leadId: string;
  stage: string;
  owner: string | null;
  email: string;
  fullName: string | null;
  company: string | null;
  country: string | null;
  sourceChannel: string | null;
  sourceCampaign: string | null;
  fitScore: number;
  engagementScore: number;
  slaKind: string | null;
  slaDueAt: NullableTimestamp;
  slaBreaches: number;
  mqlCycle: number;
  recycleCount: number;
  recycleReason: string | null;
  needsDataRepair: boolean;
  unsubscribed: boolean;
  closedReason: string | null;
  firstInquiryAt: NullableTimestamp;
  firstMqlAt: NullableTimestamp;
  firstSalAt: NullableTimestamp;
  firstSqlAt: NullableTimestamp;
  firstWonAt: NullableTimestamp;
  firstDisqualifiedAt: NullableTimestamp;
  firstRecycledAt: NullableTimestamp;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  lastEventSeq: number;
  /** Set when the person was erased: the row keeps only the facts (see domain/personal-data.ts). */
  erasedAt: NullableTimestamp;
  state: ColumnType<unknown, string, string>;
}

export type LeadRow = Selectable<LeadTable>;
export type NewLeadRow = Insertable<LeadTable>;
export type LeadRowUpdate = Updateable<LeadTable>;
