import { leadIdOfKeyId, type DataKeyRecord, type DataKeyRepository } from '../encryption/key-store';
import type { Db } from './connection';
import type { DataKeyRow } from './tables/data-key.table';

/** Wrapped data keys in PostgreSQL or PGlite. */
export function databaseDataKeyRepository(db: Db): DataKeyRepository {
  return {
    async find(keyId) {
      const row = await db.selectFrom('dataKeys').selectAll().where('keyId', '=', keyId).executeTakeFirst();
      return row && toRecord(row);
    },
    async insertIfAbsent(record) {
      await db
        .insertInto('dataKeys')
        .values({ keyId: record.keyId, leadId: record.leadId, masterKeyId: record.masterKeyId, wrappedKey: record.wrappedKey })
        .onConflict((oc) => oc.column('keyId').doNothing())
        .execute();
      const row = await db.selectFrom('dataKeys').selectAll().where('keyId', '=', record.keyId).executeTakeFirstOrThrow();
      return toRecord(row);
    },
    async listWrappedByOther(masterKeyId, afterKeyId, limit) {
      const rows = await db
        .selectFrom('dataKeys')
        .selectAll()
        .where('wrappedKey', 'is not', null)
        .where('masterKeyId', '!=', masterKeyId)
        .where('keyId', '>', afterKeyId)
        .orderBy('keyId')
        .limit(limit)
        .execute();
      return rows.map(toRecord);
    },
    async rewrap(keyId, expectedMasterKeyId, next) {
      const result = await db
        .updateTable('dataKeys')
        .set({ masterKeyId: next.masterKeyId, wrappedKey: next.wrappedKey, rotatedAt: new Date().toISOString() })
        .where('keyId', '=', keyId)
        .where('masterKeyId', '=', expectedMasterKeyId)
        .where('wrappedKey', 'is not', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async destroy(keyId, at) {
      await destroyDataKey(db, { keyId, leadId: leadIdOfKeyId(keyId), at });
    },
  };
}

/**
 * Forgets a data key for good (in the caller's transaction, beside the rest of an erasure). The row
 * stays, without the key, as the record that it existed and when it was destroyed; a key that was never
 * made gets such a row too, so nothing can create it later.
 */
export async function destroyDataKey(db: Db, input: { keyId: string; leadId: string | null; at: string }): Promise<void> {
  await db
    .insertInto('dataKeys')
    .values({ keyId: input.keyId, leadId: input.leadId, masterKeyId: null, wrappedKey: null, destroyedAt: input.at })
    .onConflict((oc) =>
      oc.column('keyId').doUpdateSet((eb) => ({
        masterKeyId: null,
        wrappedKey: null,
        destroyedAt: eb.fn.coalesce('dataKeys.destroyedAt', eb.ref('excluded.destroyedAt')),
      })),
    )
    .execute();
}

function toRecord(row: DataKeyRow): DataKeyRecord {
  return {
    keyId: row.keyId,
    leadId: row.leadId,
    masterKeyId: row.masterKeyId,
    wrappedKey: row.wrappedKey,
    destroyedAt: row.destroyedAt ? row.destroyedAt.toISOString() : null,
  };
}
