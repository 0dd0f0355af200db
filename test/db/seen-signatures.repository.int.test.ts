import { deleteExpiredSignatures, takeSignature } from '../../db/seen-signatures.repository';
import { createTestDatabase, type Backend, type TestDatabase } from '../support/database';

/*
 * The seen-signature store of signed webhooks on the real databases: a signature is taken once, by
 * exactly one of many concurrent callers (several API processes share PostgreSQL), and forgotten only
 * after its expiry.
 */

const NOW = new Date('2026-12-03T10:00:00.000Z');
const inMinutes = (m: number) => new Date(NOW.getTime() + m * 60_000);
const signature = (n: number) => n.toString(16).padStart(64, '0');

describe.each<Backend>(['postgres', 'pglite'])('seen webhook signatures on %s', (backend) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(backend);
  });
  afterAll(async () => {
    await t?.drop();
  });

  test('a signature is taken the first time only, until it expires', async () => {
    expect(await takeSignature(t.db, signature(1), inMinutes(5), NOW)).toBe(true);
    expect(await takeSignature(t.db, signature(1), inMinutes(5), NOW)).toBe(false);
    expect(await takeSignature(t.db, signature(1), inMinutes(5), inMinutes(4))).toBe(false);
    // Another signature is another request.
    expect(await takeSignature(t.db, signature(2), inMinutes(5), NOW)).toBe(true);
  });

  test('of many concurrent offers of one signature, exactly one takes it', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => takeSignature(t.db, signature(3), inMinutes(5), NOW)));
    expect(answers.filter(Boolean)).toHaveLength(1);
  });

  test('a row past its expiry neither blocks the signature forever nor survives the purge', async () => {
    expect(await takeSignature(t.db, signature(4), inMinutes(5), NOW)).toBe(true);
    expect(await takeSignature(t.db, signature(4), inMinutes(11), inMinutes(6))).toBe(true);
    expect(await takeSignature(t.db, signature(4), inMinutes(11), inMinutes(7))).toBe(false);
    expect(await takeSignature(t.db, signature(5), inMinutes(5), NOW)).toBe(true);
    expect(await deleteExpiredSignatures(t.db, inMinutes(6))).toBeGreaterThanOrEqual(1);
    const left = await t.db.selectFrom('seenWebhookSignatures').select('signature').where('signature', 'in', [signature(4), signature(5)]).execute();
    expect(left.map((r) => r.signature)).toEqual([signature(4)]);
  });
});
