import { canonicalJson } from '../../api/routes/route-support';
import { deleteExpiredAnswers, findStoredAnswer, IDEMPOTENCY_TTL_MS, storeAnswer } from '../../db/idempotency.repository';
import { createTestDatabase, type Backend, type TestDatabase } from '../support/database';

// The idempotency_keys store under the API's Idempotency-Key handling, on both database backends.

describe.each<Backend>(['postgres', 'pglite'])('idempotency store on %s', (backend) => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase(backend);
  });
  afterAll(async () => {
    await tdb?.drop();
  });

  const t0 = new Date('2026-11-22T12:00:00Z');
  const later = (ms: number) => new Date(t0.getTime() + ms);

  test('the first answer is kept per (API key, Idempotency-Key) for 24 h; a concurrent second store does not replace it', async () => {
    const key = { keyId: 'crm', idempotencyKey: 'k-1' };
    await storeAnswer(tdb.db, { ...key, requestHash: 'h1', statusCode: 200, body: { lead: { stage: 'sal' } }, now: t0 });
    await storeAnswer(tdb.db, { ...key, requestHash: 'h2', statusCode: 409, body: { error: {} }, now: later(1000) });
    expect(await findStoredAnswer(tdb.db, { ...key, now: later(1000) })).toMatchObject({
      requestHash: 'h1',
      statusCode: 200,
      body: { lead: { stage: 'sal' } },
    });
    expect(await findStoredAnswer(tdb.db, { keyId: 'other', idempotencyKey: 'k-1', now: t0 })).toBeUndefined();
    expect(await findStoredAnswer(tdb.db, { ...key, now: later(IDEMPOTENCY_TTL_MS + 1) })).toBeUndefined();
  });

  test('an expired answer is replaced by the next use of the key, and purged', async () => {
    const key = { keyId: 'crm', idempotencyKey: 'k-2' };
    await storeAnswer(tdb.db, { ...key, requestHash: 'old', statusCode: 202, body: { n: 1 }, now: t0 });
    const next = later(IDEMPOTENCY_TTL_MS + 60_000);
    await storeAnswer(tdb.db, { ...key, requestHash: 'new', statusCode: 202, body: { n: 2 }, now: next });
    expect(await findStoredAnswer(tdb.db, { ...key, now: next })).toMatchObject({ requestHash: 'new', body: { n: 2 } });

    await storeAnswer(tdb.db, { keyId: 'crm', idempotencyKey: 'k-3', requestHash: 'x', statusCode: 202, body: null, now: t0 });
    const purged = await deleteExpiredAnswers(tdb.db, next);
    expect(purged).toBeGreaterThanOrEqual(1);
    expect(await findStoredAnswer(tdb.db, { keyId: 'crm', idempotencyKey: 'k-3', now: t0 })).toBeUndefined();
    expect(await findStoredAnswer(tdb.db, { ...key, now: next })).toBeDefined();
  });
});

test('request bodies hash the same whatever their key order', () => {
  expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}');
  expect(canonicalJson({ a: undefined, b: 2 })).toBe('{"b":2}');
  expect(canonicalJson(undefined)).toBe('null');
});
