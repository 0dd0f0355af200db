import type { Db } from './connection';

/** How often a process deletes signatures past their expiry (on the way of a request, in the background). */
const PURGE_EVERY_MS = 10 * 60 * 1000;

/**
 * Takes a signature once: true when this call stored it, false when it was stored before and has not
 * expired. One statement, so two API processes offered the same signature at once cannot both win. A
 * row past its expiry is taken over (the timestamp check has refused its signature since, so this is
 * only reached with a clock far off), never left to block a signature forever.
 */
export async function takeSignature(db: Db, signature: string, expiresAt: Date, now = new Date()): Promise<boolean> {
  const row = await db
    .insertInto('seenWebhookSignatures')
    .values({ signature, expiresAt: expiresAt.toISOString() })
    .onConflict((oc) =>
      oc
        .column('signature')
        .doUpdateSet({ expiresAt: expiresAt.toISOString() })
        .where('seenWebhookSignatures.expiresAt', '<=', now),
    )
    .returning('signature')
    .executeTakeFirst();
  return row !== undefined;
}

/** Deletes the signatures past their expiry; returns how many. */
export async function deleteExpiredSignatures(db: Db, now = new Date()): Promise<number> {
  const result = await db.deleteFrom('seenWebhookSignatures').where('expiresAt', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * The seen-signature store of signed webhooks over the database, shared by every API process (the
 * `SeenSignatures` of api/auth.ts).
 */
export function databaseSeenSignatures(
  db: Db,
  onPurgeError: (err: unknown) => void = () => undefined,
): { firstUse(signature: string, expiresAt: Date): Promise<boolean> } {
  let lastPurge = 0;
  return {
    firstUse(signature, expiresAt) {
      const now = Date.now();
      if (now - lastPurge >= PURGE_EVERY_MS) {
        lastPurge = now;
        deleteExpiredSignatures(db).catch(onPurgeError);
      }
      return takeSignature(db, signature, expiresAt);
    },
  };
}
