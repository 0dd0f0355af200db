import { sql } from 'kysely';
import { createDatabase } from '../../db/connection';
import { PgProxy } from '../../scripts/chaos/pg-proxy';
import { createTestDatabase, type TestDatabase } from '../support/database';

// The database dropping every connection while a transaction holds one (npm run chaos cuts it through
// this proxy, issue 16): that transaction fails, nothing crashes the process, and the next query after
// the database is back succeeds. Before the fix a checked-out pg client emitted 'error' with no listener
// and ended the process (both workers, in the chaos run).

let pg: TestDatabase;
let proxy: PgProxy;

beforeAll(async () => {
  pg = await createTestDatabase('postgres');
  proxy = await new PgProxy({ host: '127.0.0.1', port: 5432 }).start();
});
afterAll(async () => {
  await proxy?.close();
  await pg?.drop();
});

test('a connection lost inside a transaction fails that transaction only', async () => {
  const url = new URL(pg.url!);
  url.port = String(proxy.port);
  const db = createDatabase({ databaseUrl: url.toString(), dataDir: '' });
  try {
    const tx = db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
      proxy.cut(500);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await sql`select 2`.execute(trx);
    });
    await expect(tx).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 700));
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
    expect(rows).toEqual([{ one: 1 }]);
  } finally {
    await db.destroy();
  }
});
