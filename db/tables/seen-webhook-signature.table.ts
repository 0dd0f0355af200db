import type { ColumnType, Insertable, Selectable } from 'kysely';

/** A signed webhook's signature (lower-case hex), taken once, remembered until it could no longer pass. */
export interface SeenWebhookSignatureTable {
  signature: string;
  expiresAt: ColumnType<Date, string, string>;
}

export type SeenWebhookSignatureRow = Selectable<SeenWebhookSignatureTable>;
export type NewSeenWebhookSignatureRow = Insertable<SeenWebhookSignatureTable>;
