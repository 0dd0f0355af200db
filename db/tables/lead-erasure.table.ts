import type { ColumnType, Insertable, Selectable } from 'kysely';

/** One row per erased lead: the receipt answered to every request to erase it (no personal data). */
export interface LeadErasureTable {
  leadId: string;
  erasedAt: ColumnType<Date, string, never>;
  requestedBy: string;
  receipt: ColumnType<unknown, string, never>;
}

export type LeadErasureRow = Selectable<LeadErasureTable>;
export type NewLeadErasureRow = Insertable<LeadErasureTable>;
