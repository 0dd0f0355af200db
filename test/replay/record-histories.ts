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
import { createTestWorker, createTimeSkippingEnv } from '../support/temporal-env';
import { scenarios } from './scenarios';

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const env = await createTimeSkippingEnv();
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
