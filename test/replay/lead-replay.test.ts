import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { leadflowDataConverter } from '../../encryption';
import { KeyStore, memoryDataKeyRepository, type DataKeyRecord } from '../../encryption/key-store';
import { TEST_MASTER_KEYS } from '../support/encryption';
import { quietRuntime, workflowBundle } from '../support/temporal-env';

// Replays recorded histories of real journeys against today's workflow code. A failure here means a
// change is not deterministic for leads already running: guard it with patched() (see README).
const dir = path.join(__dirname, 'histories');
/** Data keys of the histories recorded with encryption on, wrapped by the test master key. */
const keysDir = path.join(__dirname, 'keys');

/** The replaying worker decodes like production: histories recorded before encryption pass through. */
async function recordedKeys(): Promise<KeyStore> {
  const repository = memoryDataKeyRepository();
  for (const f of (await readdir(keysDir)).filter((f) => f.endsWith('.json'))) {
    for (const record of JSON.parse(await readFile(path.join(keysDir, f), 'utf8')) as DataKeyRecord[]) await repository.insertIfAbsent(record);
  }
  return new KeyStore(repository, TEST_MASTER_KEYS);
}

test('every recorded lead history replays without non-determinism', async () => {
  quietRuntime();
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  expect(files.length).toBeGreaterThanOrEqual(5);
  const histories = await Promise.all(
    files.map(async (f) => ({
      workflowId: f.replace(/\.json$/, ''),
      history: historyFromJSON(JSON.parse(await readFile(path.join(dir, f), 'utf8'))),
    })),
  );
  const failures: string[] = [];
  const dataConverter = leadflowDataConverter(await recordedKeys());
  // At least one history was recorded with encryption on (base64 of `binary/encrypted` in its metadata).
  const texts = await Promise.all(files.map((f) => readFile(path.join(dir, f), 'utf8')));
  expect(texts.some((t) => t.includes(Buffer.from('binary/encrypted').toString('base64')))).toBe(true);
  for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle(), dataConverter }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
  }
  expect(failures).toEqual([]);
});
