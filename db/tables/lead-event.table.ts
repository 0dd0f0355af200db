import type { ColumnType, Insertable, Selectable } from 'kysely';

/** Append-only log of every lead event; `(lead_id, seq)` is unique, so a replayed batch is a no-op. */
export interface LeadEventTable {
  leadId: string;
  seq: number;
  type: string;
  /** The event without its personal fields (see domain/personal-data.ts). */
  data: ColumnType<unknown, string, never>;
  /** The personal fields, sealed with the lead's data key (base64); null when there are none or once erased. */
  personal: ColumnType<string | null, string | null | undefined, null>;
  occurredAt: ColumnType<Date, string, never>;
  recordedAt: ColumnType<Date, string | undefined, never>;
  workflowRunId: string;
  /** Global order of the outbox (see the migration 20261202T1200): read with `txId`, never alone. */
  globalPosition: ColumnType<string, never, never>;
  /** The writing transaction (xid8, as text). */
  txId: ColumnType<string, never, never>;
}

export type LeadEventRow = Selectable<LeadEventTable>;
export type NewLeadEventRow = Insertable<LeadEventTable>;
