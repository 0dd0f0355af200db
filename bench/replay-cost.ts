import { readFileSync } from 'node:fs';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';

/*
 * CPU per workflow of a workflow bundle, replaying recorded histories (no server, no database):
 *
 *   node dist/bench/replay-cost.js <workflow-bundle.js> <N> <history.json>…
 *
 * Replays N workflows (the histories in turn, after a warm-up of 20) with the SDK's replay worker, which
 * runs them in the same reusable V8 context as a production worker, so each one pays what a new or evicted
 * lead pays on the workflow thread: evaluating the bundle's modules for that run, then its activations.
 * Prints CPU ms (all threads of this process) and wall ms per workflow. Compare two bundles on the same
 * histories, alternating, on a quiet machine.
 */

type History = temporal.api.history.v1.IHistory;

async function main(): Promise<void> {
  const [bundle, count, ...files] = process.argv.slice(2);
  const n = Number(count);
  if (!bundle || !Number.isInteger(n) || n < 1 || files.length === 0) {
    throw new Error('usage: node dist/bench/replay-cost.js <workflow-bundle.js> <N> <history.json>…');
  }
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const histories = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as History);
  const options = { workflowBundle: { codePath: bundle } };
  function* replays(total: number): Generator<{ workflowId: string; history: History }> {
    for (let i = 0; i < total; i++) yield { workflowId: `replay-cost-${i}`, history: histories[i % histories.length]! };
  }
  let failed = 0;
  for await (const r of Worker.runReplayHistories(options, replays(Math.min(20, n)))) if (r.error) failed++;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for await (const r of Worker.runReplayHistories(options, replays(n))) {
    if (r.error) {
      failed++;
      if (failed <= 3) console.error(String(r.error).slice(0, 300));
    }
  }
  const cpu = process.cpuUsage(cpu0);
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const round = (x: number): number => Math.round(x * 100) / 100;
  console.log(JSON.stringify({ bundle, workflows: n, failed, cpuMsPerWorkflow: round((cpu.user + cpu.system) / 1000 / n), wallMsPerWorkflow: round(wallMs / n) }));
  if (failed > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
