import type { DataConverter } from '@temporalio/common';
import type { LeadflowConfig } from '../../config/leadflow.config';

/*
 * Leadflow with encryption off, for the bench alone: `npm run bench` runs it beside production's
 * Leadflow to measure what the payload codec costs. There is deliberately no configuration value that
 * does this: a deployment cannot run in clear by a typo. The entry points (plaintext-worker.ts,
 * plaintext-api.ts) reuse the production factories with the data converter below, and start only on
 * the bench's own task queue and throwaway database.
 */

/** The plaintext pair's task queue: its workers never see a lead whose payloads are encrypted. */
export const PLAINTEXT_TASK_QUEUE = 'leadflow-bench-plaintext';

/** Every bench database is named so (bench/lib/environment.ts), and dropped at the end of the run. */
export const BENCH_DATABASE_PREFIX = 'leadflow_bench_';

/**
 * Temporal's default data converter: no payload codec (payloads in clear) and the default failure
 * converter (failure text in clear, not `encodeCommonAttributes`). What it leaves on: the sealed personal
 * fields of `lead_events` (the event sink, not the data converter), so each lead still gets its data key.
 */
export function plaintextDataConverter(): DataConverter {
  return {};
}

/** Stops a plaintext entry point that is not where the bench put it, naming what is wrong. */
export function assertBenchOnly(config: LeadflowConfig, entryPoint: string): void {
  if (config.temporal.taskQueue !== PLAINTEXT_TASK_QUEUE) {
    throw new Error(`${entryPoint} is for npm run bench only: it needs LEADFLOW_TASK_QUEUE=${PLAINTEXT_TASK_QUEUE} (got ${config.temporal.taskQueue})`);
  }
  const database = config.database.databaseUrl ? decodeURIComponent(new URL(config.database.databaseUrl).pathname.slice(1)) : '';
  if (!database.startsWith(BENCH_DATABASE_PREFIX)) {
    throw new Error(`${entryPoint} is for npm run bench only: it needs a bench database (${BENCH_DATABASE_PREFIX}…), got ${database || 'none'}`);
  }
}
