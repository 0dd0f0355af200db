import { condition, continueAsNew, defineQuery, defineSignal, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { DeliverOutcome, RedeliverInput, WebhookDeliveryActivities } from '../activities/webhook-delivery.activities';
import type { OutboxCursor } from '../db/outbox.repository';

const { deliverPending } = proxyActivities<WebhookDeliveryActivities>({
  // One call long-polls the outbox for up to 5 s, heartbeating its cursor.
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
const { redeliverEvents, disableWebhookEndpoint } = proxyActivities<WebhookDeliveryActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export interface DispatcherInput {
  endpointId: string;
  /** The last event delivered (on start: the newest event when the endpoint was created). */
  cursor?: OutboxCursor;
  /** A failing endpoint is disabled once its first undelivered event has failed this long (default 24 h). */
  disableAfterMs: number;
  /** Carried over continue-as-new. */
  failures?: number;
  failingSince?: string;
  pendingRedeliveries?: RedeliverInput['selection'][];
}

export interface DispatcherState {
  endpointId: string;
  cursor: OutboxCursor | null;
  status: 'delivering' | 'backing_off' | 'disabled';
  failures: number;
  failingSince: string | null;
  lastFailure: DeliverOutcome['failure'] | null;
  delivered: number;
  nextAttemptAt: string | null;
}

export const resumeDispatchSignal = defineSignal<[]>('resume');
export const redeliverSignal = defineSignal<[RedeliverInput['selection']]>('redeliver');
export const dispatcherStateQuery = defineQuery<DispatcherState>('dispatcherState');

const MAX_BACKOFF_MS = 60 * 60 * 1000;

/**
 * One long-running workflow per webhook endpoint (`webhook-dispatcher-<endpointId>`), holding its cursor
 * in the outbox: delivers, backs off exponentially (1 s doubling to 1 h) while the endpoint fails,
 * disables it after `disableAfterMs` of failing, waits to be resumed, and continues as new. An operator
 * sees each endpoint's state in the Temporal UI (and through the `dispatcherState` query). Delivery
 * never touches a lead's workflow, so it can never hold up an SLA clock.
 */
export async function webhookDispatcherWorkflow(input: DispatcherInput): Promise<void> {
  let cursor = input.cursor;
  let failures = input.failures ?? 0;
  let failingSince = input.failingSince;
  let lastFailure: DeliverOutcome['failure'] | undefined;
  let delivered = 0;
  let status: DispatcherState['status'] = 'delivering';
  let nextAttemptAt: string | undefined;
  let resumed = false;
  const redeliveries = [...(input.pendingRedeliveries ?? [])];

  setHandler(resumeDispatchSignal, () => {
    resumed = true;
  });
  setHandler(redeliverSignal, (selection) => {
    redeliveries.push(selection);
  });
  setHandler(dispatcherStateQuery, () => ({
    endpointId: input.endpointId,
    cursor: cursor ?? null,
    status,
    failures,
    failingSince: failingSince ?? null,
    lastFailure: lastFailure ?? null,
    delivered,
    nextAttemptAt: nextAttemptAt ?? null,
  }));

  /** Waits for `ms` (or until resumed or asked to redeliver), then goes round again. */
  const pause = async (ms: number) => {
    resumed = false;
    nextAttemptAt = new Date(Date.now() + ms).toISOString();
    await condition(() => resumed || redeliveries.length > 0, ms);
    nextAttemptAt = undefined;
  };

  for (;;) {
    while (redeliveries.length > 0) await redeliverEvents({ endpointId: input.endpointId, selection: redeliveries.shift()! });

    const outcome = await deliverPending({ endpointId: input.endpointId, ...(cursor ? { cursor } : {}), failures });
    if (outcome.status === 'gone') return;
    if (outcome.cursor) cursor = outcome.cursor;
    delivered += outcome.delivered;
    if (outcome.delivered > 0) {
      failures = 0;
      failingSince = undefined;
    }

    if (outcome.status === 'disabled') {
      status = 'disabled';
      failures = 0;
      failingSince = undefined;
      await pause(60_000); // resumed by the API when re-enabled; looked at again every minute anyway
    } else if (outcome.status === 'failed') {
      failures++;
      lastFailure = outcome.failure;
      failingSince ??= new Date().toISOString();
      if (Date.now() - Date.parse(failingSince) >= input.disableAfterMs) {
        const f = outcome.failure;
        await disableWebhookEndpoint({
          endpointId: input.endpointId,
          reason: `deliveries failed for ${Math.round(input.disableAfterMs / 60_000)} min since ${failingSince}; last: event ${f?.eventId ?? '?'} ${f?.error ?? ''}`.trim(),
        });
        status = 'disabled';
        failures = 0;
        failingSince = undefined;
      } else {
        status = 'backing_off';
        await pause(Math.min(1000 * 2 ** (failures - 1), MAX_BACKOFF_MS));
      }
    } else {
      status = 'delivering';
    }

    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= 2000) {
      await continueAsNew<typeof webhookDispatcherWorkflow>({
        endpointId: input.endpointId,
        disableAfterMs: input.disableAfterMs,
        ...(cursor ? { cursor } : {}),
        failures,
        ...(failingSince ? { failingSince } : {}),
        pendingRedeliveries: redeliveries,
      });
    }
  }
}
