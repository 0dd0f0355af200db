import type { Client } from '@temporalio/client';

interface HistoryEvent {
  eventTime?: { seconds?: unknown; nanos?: number | null } | null;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null;
  activityTaskStartedEventAttributes?: { scheduledEventId?: unknown } | null;
  activityTaskCompletedEventAttributes?: { scheduledEventId?: unknown } | null;
  activityTaskFailedEventAttributes?: { scheduledEventId?: unknown } | null;
  activityTaskTimedOutEventAttributes?: { scheduledEventId?: unknown } | null;
  eventId?: unknown;
}

const ms = (t: HistoryEvent['eventTime']): number => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

/** One `deliverPending` activity of the dispatcher: when it ran (ms since epoch, the server's clock). */
export interface DeliverySpan {
  startedAt: number;
  closedAt: number;
}

/**
 * The `deliverPending` activities of a dispatcher workflow's current run, from its history. Between two
 * of them nothing is delivered: the activity hands back to its workflow (every 5 s, or 500 events),
 * whose next workflow task and the next activity task each wait in the task queue (`leads`, shared with
 * every lead's tasks).
 */
export async function deliverySpans(client: Client, workflowId: string): Promise<DeliverySpan[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = (history.events ?? []) as HistoryEvent[];
  const deliver = new Set<string>();
  const started = new Map<string, number>();
  const spans: DeliverySpan[] = [];
  for (const e of events) {
    if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'deliverPending') deliver.add(String(e.eventId));
    const s = e.activityTaskStartedEventAttributes;
    if (s && deliver.has(String(s.scheduledEventId))) started.set(String(s.scheduledEventId), ms(e.eventTime));
    const closed = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes;
    const at = closed && started.get(String(closed.scheduledEventId));
    if (at !== undefined && at !== null && closed) spans.push({ startedAt: at, closedAt: ms(e.eventTime) });
  }
  return spans.sort((a, b) => a.startedAt - b.startedAt);
}
