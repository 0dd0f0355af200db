/**
 * Records the histories of the replay scenarios into test/replay/histories/<scenario>[.run-N].json.
 *   npm run replay:record            # all scenarios
 *   npm run replay:record -- NAME    # one scenario
 * Record new histories when you ADD behaviour; never re-record to make a replay failure go away:
 * a failure means running leads would break, so guard the change with `patched()` instead.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { KeyStore, memoryDataKeyRepository } from '../../encryption/key-store';
import { TEST_MASTER_KEYS } from '../support/encryption';
import { createTestWorker, createTimeSkippingEnv } from '../support/temporal-env';
import { scenarios } from './scenarios';

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  // Payloads are encrypted as in production; each history's data keys (wrapped by the test master key)
  // are written beside it in test/replay/keys/, so the replay test can decode it.
  const repository = memoryDataKeyRepository();
  const env = await createTimeSkippingEnv(new KeyStore(repository, TEST_MASTER_KEYS));
  try {
    const { worker } = await createTestWorker(env);
    await worker.runUntil(async () => {
      for (const [name, run] of Object.entries(scenarios)) {
        if (only.length > 0 && !only.includes(name)) continue;
        const first = await run(env);
        // Follow the continue-as-new chain so every run of the journey is kept.
        let runId: string | undefined = first.firstExecutionRunId;
        for (let n = 1; runId; n++) {
          const history: temporal.api.history.v1.IHistory = await env.client.workflow.getHandle(first.workflowId, runId).fetchHistory();
          const file = path.join(__dirname, 'histories', `${name}${n > 1 ? `.run-${n}` : ''}.json`);
          await writeFile(file, historyToJSON(history) + '\n');
          console.log(`recorded ${path.relative(process.cwd(), file)} (${history.events?.length} events)`);
          const last: temporal.api.history.v1.IHistoryEvent | undefined = history.events?.[history.events.length - 1];
          runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
        }
        const keys = [...repository.records.values()].filter((r) => r.leadId === first.workflowId);
        const keyFile = path.join(__dirname, 'keys', `${name}.json`);
        await writeFile(keyFile, JSON.stringify(keys, null, 2) + '\n');
        console.log(`recorded ${path.relative(process.cwd(), keyFile)} (${keys.length} data keys, wrapped by the test master key)`);
      }
    });
  } finally {
    await env.teardown();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
