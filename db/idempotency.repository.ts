import type { Db } from './connection';

/** How long an answer is replayed for the same (API key, Idempotency-Key). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export interface StoredAnswer {
  requestHash: string;
  statusCode: number;
  body: unknown;
  createdAt: Date;
}

/** The answer stored for this key, unless there is none or it has expired. */
export async function findStoredAnswer(
  db: Db,
  input: { keyId: string; idempotencyKey: string; now?: Date },
): Promise<StoredAnswer | undefined> {
  const row = await db
    .selectFrom('idempotencyKeys')
    .select(['requestHash', 'statusCode', 'responseBody', 'createdAt'])
    .where('keyId', '=', input.keyId)
    .where('idempotencyKey', '=', input.idempotencyKey)
    .where('expiresAt', '>', input.now ?? new Date())
    .executeTakeFirst();
  return row && { requestHash: row.requestHash, statusCode: row.statusCode, body: row.responseBody, createdAt: row.createdAt };
}

/**
 * Stores the first answer for a key. A concurrent duplicate that stored first wins (both carried the
 * same Temporal update id, so both answers are the same outcome); an expired row is replaced.
 */
export async function storeAnswer(
  db: Db,
  input: { keyId: string; idempotencyKey: string; requestHash: string; statusCode: number; body: unknown; leadId?: string | null; now?: Date },
): Promise<void> {
  const now = input.now ?? new Date();
  const row = {
    keyId: input.keyId,
    idempotencyKey: input.idempotencyKey,
    requestHash: input.requestHash,
    statusCode: input.statusCode,
    responseBody: JSON.stringify(input.body ?? null),
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS).toISOString(),
    leadId: input.leadId ?? null,
  };
  await db
    .insertInto('idempotencyKeys')
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(['keyId', 'idempotencyKey'])
        .doUpdateSet({
          requestHash: row.requestHash,
          statusCode: row.statusCode,
          responseBody: row.responseBody,
          createdAt: row.createdAt,
          expiresAt: row.expiresAt,
          leadId: row.leadId,
        })
        .where('idempotencyKeys.expiresAt', '<=', now),
    )
    .execute();
}

/** Deletes expired answers; returns how many. */
export async function deleteExpiredAnswers(db: Db, now = new Date()): Promise<number> {
  const result = await db.deleteFrom('idempotencyKeys').where('expiresAt', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
