import type { ColumnType, Insertable, Selectable } from 'kysely';

/** Append-only log of every lead event; `(lead_id, seq)` is unique, so a replayed batch is a no-op. */
export interface LeadEventTable {
  leadId: string;
  seq: number;
  type: string;
  data: ColumnType<unknown, string, never>;
  occurredAt: ColumnType<Date, string, never>;
  recordedAt: ColumnType<Date, string | undefined, never>;
  workflowRunId: string;
}

export type LeadEventRow = Selectable<LeadEventTable>;
export type NewLeadEventRow = Insertable<LeadEventTable>;
