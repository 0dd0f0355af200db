import type { ColumnType, Insertable, Selectable } from 'kysely';

/** One stored API answer per (API key, Idempotency-Key), replayed until it expires. */
export interface IdempotencyKeyTable {
  keyId: string;
  idempotencyKey: string;
  /** SHA-256 of method, path and body: the same key with another request is refused. */
  requestHash: string;
  statusCode: number;
  responseBody: ColumnType<unknown, string, string>;
  createdAt: ColumnType<Date, string | undefined, string>;
  expiresAt: ColumnType<Date, string, string>;
  /** The lead the answer is about, when there is one: erasing the lead deletes its stored answers. */
  leadId: ColumnType<string | null, string | null | undefined, string | null>;
}

export type IdempotencyKeyRow = Selectable<IdempotencyKeyTable>;
export type NewIdempotencyKeyRow = Insertable<IdempotencyKeyTable>;
