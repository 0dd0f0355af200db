import type { Db } from '../../db/connection';
import { databaseDataKeyRepository, destroyDataKey } from '../../db/data-keys.repository';
import { DataKeyDestroyedError, KeyStore, keyIdForLead, UnknownDataKeyError } from '../../encryption/key-store';
import { generateMasterKeySpec, parseMasterKeys } from '../../encryption/master-keys';
import { createTestDatabase, type Backend, type TestDatabase } from '../support/database';

/*
 * The data keys on the real databases: created once per lead under concurrency, destroyed for good,
 * rewrapped by a master key rotation without changing the keys themselves.
 */

describe.each<Backend>(['postgres', 'pglite'])('data keys on %s', (backend) => {
  let tdb: TestDatabase;
  let db: Db;
  const mk1 = generateMasterKeySpec('mk-1');
  const mk2 = generateMasterKeySpec('mk-2');

  beforeAll(async () => {
    tdb = await createTestDatabase(backend);
    db = tdb.db;
  }, 60_000);
  afterAll(async () => {
    await tdb?.drop();
  });

  const store = (spec: string, options = {}) => new KeyStore(databaseDataKeyRepository(db), parseMasterKeys(spec), options);

  it('creates one key per lead, even when several processes ask for a new lead at once', async () => {
    const stores = [store(mk1), store(mk1), store(mk1)];
    const keys = await Promise.all(stores.flatMap((s) => [s.leadKey(`${backend}-lead-1`), s.leadKey(`${backend}-lead-1`)]));
    expect(new Set(keys.map((k) => k.key.toString('hex'))).size).toBe(1);
    const rows = await db.selectFrom('dataKeys').selectAll().where('leadId', '=', `${backend}-lead-1`).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.wrappedKey).not.toContain(keys[0]!.key.toString('base64'));
    expect((await stores[1]!.keyById(keyIdForLead(`${backend}-lead-1`))).key).toEqual(keys[0]!.key);
    await expect(stores[0]!.keyById('lead:nobody')).rejects.toThrow(UnknownDataKeyError);
  });

  it('a destroyed key is gone for every process, and cannot be made again', async () => {
    const leadId = `${backend}-lead-2`;
    const a = store(mk1);
    const b = store(mk1, { cacheTtlMs: 60_000 });
    await a.leadKey(leadId);
    await b.leadKey(leadId); // cached in b
    await db.transaction().execute((trx) => destroyDataKey(trx, { keyId: keyIdForLead(leadId), leadId, at: '2026-12-02T10:00:00.000Z' }));
    a.forget(keyIdForLead(leadId));
    await expect(a.leadKey(leadId)).rejects.toThrow(DataKeyDestroyedError);
    // b still holds it in memory until its cache entry expires, unless asked for a fresh read.
    await expect(b.keyById(keyIdForLead(leadId), { fresh: true })).rejects.toThrow(/destroyed at 2026-12-02T10:00:00.000Z/);
    const row = await db.selectFrom('dataKeys').selectAll().where('keyId', '=', keyIdForLead(leadId)).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ wrappedKey: null, masterKeyId: null, leadId });
    // Destroying a key that was never made leaves a tombstone too.
    await destroyDataKey(db, { keyId: keyIdForLead(`${backend}-never`), leadId: `${backend}-never`, at: '2026-12-02T10:00:00.000Z' });
    await expect(a.leadKey(`${backend}-never`)).rejects.toThrow(DataKeyDestroyedError);
  });

  it('rotation rewraps every live key under the active master key; the keys themselves do not change', async () => {
    const old = store(mk1);
    const before = await Promise.all([1, 2, 3].map((i) => old.leadKey(`${backend}-rot-${i}`)));
    const rotating = store(`${mk2},${mk1}`);
    const first = await rotating.rotateMasterKey();
    expect(first.rewrapped).toBeGreaterThanOrEqual(3);
    expect((await rotating.rotateMasterKey()).rewrapped).toBe(0);
    const onlyNew = store(mk2);
    const after = await Promise.all([1, 2, 3].map((i) => onlyNew.leadKey(`${backend}-rot-${i}`)));
    expect(after.map((k) => k.key)).toEqual(before.map((k) => k.key));
    const live = await db.selectFrom('dataKeys').select('masterKeyId').where('wrappedKey', 'is not', null).execute();
    expect(new Set(live.map((r) => r.masterKeyId))).toEqual(new Set(['mk-2']));
    // Without the new key, a process names the one it lacks.
    await expect(store(mk1).keyById(keyIdForLead(`${backend}-rot-1`))).rejects.toThrow(/master key mk-2, which is not configured/);
  });
});
