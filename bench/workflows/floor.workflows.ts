import { condition, continueAsNew, defineQuery, defineSignal, defineUpdate, setHandler, sleep, workflowInfo } from '@temporalio/workflow';

/*
 * The Temporal engine's own floor, for comparison with Leadflow on the same server: the cheapest
 * workflows that take the same kind of message. Bundled for the bench's own task queue only; they are
 * NOT part of workflows/index.ts and never run in production.
 */

export const FLOOR_TASK_QUEUE = 'leadflow-bench-floor';

/** Carries the same payload as a form fill, so the floor moves as many bytes as Leadflow does. */
export const floorSignal = defineSignal<[unknown]>('floorSignal');

/** A no-op Update: answers at once, records nothing, calls nothing. */
export const floorNoopUpdate = defineUpdate<string, [unknown]>('floorNoop');

/** The floor of intake: started by signalWithStart, it takes the signal and completes. */
export async function floorEmptyWorkflow(): Promise<void> {
  setHandler(floorSignal, () => undefined);
  await Promise.resolve();
}

/** The floor of a decision: stays open like a lead and answers every Update at once. */
export async function floorUpdateWorkflow(): Promise<void> {
  setHandler(floorNoopUpdate, () => 'ok');
  await condition(() => false);
}

/**
 * The floor of an SLA deadline: one durable timer to `dueAtMs` (epoch ms), nothing else. Returns
 * fired − due by the workflow's clock when the timer fired, as Leadflow's breach records it.
 */
export async function floorTimerWorkflow(dueAtMs: number): Promise<number> {
  const waitMs = dueAtMs - Date.now();
  if (waitMs > 0) await sleep(waitMs);
  return Date.now() - dueAtMs;
}

/** Signals the storm floor has taken over all its runs. */
export const floorSignalCountQuery = defineQuery<number>('floorSignalCount');

/**
 * The floor of an engagement storm: one open workflow that counts the signals it gets and, like a
 * lead, continues as new when its history reaches `maxHistoryEvents`, carrying the count.
 */
export async function floorStormWorkflow(input: { received: number; maxHistoryEvents: number }): Promise<void> {
  let received = input.received;
  setHandler(floorSignal, () => {
    received++;
  });
  setHandler(floorSignalCountQuery, () => received);
  await condition(() => workflowInfo().historyLength >= input.maxHistoryEvents || workflowInfo().continueAsNewSuggested);
  await continueAsNew<typeof floorStormWorkflow>({ received, maxHistoryEvents: input.maxHistoryEvents });
}
