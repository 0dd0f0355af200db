import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { LeadPolicy } from '../../domain/lead-policy';

/** A policy version some process ran with; the version is a content hash, so a row never changes. */
export interface PolicyVersionTable {
  version: string;
  policy: ColumnType<LeadPolicy, string, never>;
  firstSeenAt: ColumnType<Date, string | undefined, never>;
}

export type PolicyVersionRow = Selectable<PolicyVersionTable>;
export type NewPolicyVersionRow = Insertable<PolicyVersionTable>;
