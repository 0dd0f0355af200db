import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { databaseDataKeyRepository } from '../../db/data-keys.repository';
import { KeyStore } from '../../encryption/key-store';
import { generateMasterKeySpec, parseMasterKeys } from '../../encryption/master-keys';
import { createTestDatabase, type TestDatabase } from '../support/database';

/** `npm run keys:rotate` as an operator runs it: the script, against a real PostgreSQL database. */

const root = path.resolve(__dirname, '../..');
let tdb: TestDatabase;
let tmp: string;

beforeAll(async () => {
  tdb = await createTestDatabase('postgres');
  tmp = mkdtempSync(path.join(tmpdir(), 'leadflow-rotate-'));
}, 60_000);
afterAll(async () => {
  await tdb?.drop();
  rmSync(tmp, { recursive: true, force: true });
});

test('rewraps every data key under the new master key; the old key can then be dropped', async () => {
  const oldKey = generateMasterKeySpec('mk-2025');
  const newKey = generateMasterKeySpec('mk-2026');
  const before = new KeyStore(databaseDataKeyRepository(tdb.db), parseMasterKeys(oldKey));
  const keys = await Promise.all(['lead-a', 'lead-b', 'lead-c'].map((id) => before.leadKey(id)));

  const run = (masterKey: string) =>
    promisify(execFile)('npx', ['--no', 'tsx', 'scripts/keys-rotate.ts'], {
      cwd: root,
      // An empty data folder: no development key of `npm start` may stand in for the configured one.
      env: { ...process.env, DATABASE_URL: tdb.url, LEADFLOW_DATA_DIR: tmp, LEADFLOW_MASTER_KEY: masterKey, LEADFLOW_LEAD_ID_SECRET: 'x'.repeat(32) },
    });
  const first = await run(`${newKey},${oldKey}`);
  expect(first.stdout).toMatch(/done: 3 data keys rewrapped under mk-2026; 3 live data keys/);
  expect((await run(`${newKey},${oldKey}`)).stdout).toMatch(/done: 0 data keys rewrapped/);

  const after = new KeyStore(databaseDataKeyRepository(tdb.db), parseMasterKeys(newKey));
  expect(await Promise.all(['lead-a', 'lead-b', 'lead-c'].map(async (id) => (await after.leadKey(id)).key))).toEqual(keys.map((k) => k.key));

  // Without any master key the script stops, naming the variable.
  const missing = await run('').catch((err: { stderr: string; code: number }) => err);
  expect(missing).toMatchObject({ code: 1 });
  expect((missing as { stderr: string }).stderr).toMatch(/LEADFLOW_MASTER_KEY/);
}, 120_000);
