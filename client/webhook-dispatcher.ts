import type { Client } from '@temporalio/client';
import type { Db } from '../db/connection';
import { endpointStartCursor } from '../db/webhook-endpoints.repository';
import type { RedeliverInput } from '../activities/webhook-delivery.activities';
import { redeliverSignal, resumeDispatchSignal, webhookDispatcherWorkflow } from '../workflows/webhook-dispatcher.workflow';

export interface DispatcherTarget {
  client: Client;
  db: Db;
  taskQueue: string;
  endpointId: string;
  disableAfterMs: number;
}

export function dispatcherWorkflowId(endpointId: string): string {
  return `webhook-dispatcher-${endpointId}`;
}

/**
 * Makes sure the endpoint's dispatcher runs and looks at its endpoint now (after it was created,
 * re-enabled or changed). A dispatcher started here begins where the endpoint does: after the newest
 * event at its creation, so it receives what happens from then on (older events: redelivery).
 */
export async function ensureDispatcher(t: DispatcherTarget): Promise<void> {
  const start = await endpointStartCursor(t.db, t.endpointId);
  await t.client.workflow.signalWithStart(webhookDispatcherWorkflow, {
    workflowId: dispatcherWorkflowId(t.endpointId),
    taskQueue: t.taskQueue,
    args: [{ endpointId: t.endpointId, disableAfterMs: t.disableAfterMs, ...(start ? { cursor: start } : {}) }],
    signal: resumeDispatchSignal,
    signalArgs: [],
  });
}

/** Asks the endpoint's dispatcher to send one event, or a time range of events, once more. */
export async function requestRedelivery(t: DispatcherTarget, selection: RedeliverInput['selection']): Promise<void> {
  const start = await endpointStartCursor(t.db, t.endpointId);
  await t.client.workflow.signalWithStart(webhookDispatcherWorkflow, {
    workflowId: dispatcherWorkflowId(t.endpointId),
    taskQueue: t.taskQueue,
    args: [{ endpointId: t.endpointId, disableAfterMs: t.disableAfterMs, ...(start ? { cursor: start } : {}) }],
    signal: redeliverSignal,
    signalArgs: [selection],
  });
}
