import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { quietRuntime, workflowBundle } from '../support/temporal-env';

// Replays recorded histories of real journeys against today's workflow code. A failure here means a
// change is not deterministic for leads already running: guard it with patched() (see README).
const dir = path.join(__dirname, 'histories');

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
  for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
  }
  expect(failures).toEqual([]);
});
