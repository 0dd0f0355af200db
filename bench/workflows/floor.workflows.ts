import { condition, defineSignal, defineUpdate, setHandler } from '@temporalio/workflow';

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
