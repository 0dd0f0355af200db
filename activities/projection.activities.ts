import { activityInfo, log } from '@temporalio/activity';
import type { LeadEvent } from '../domain/lead-events';

export interface RecordEventsInput {
  leadId: string;
  events: LeadEvent[];
}

/** Where recorded events go; the PostgreSQL projection implements this (see the projection issue). */
export interface EventSink {
  append(input: RecordEventsInput & { workflowRunId: string }): Promise<void>;
}

/** Until the read model exists, events are structured log lines. */
export const logEventSink: EventSink = {
  append({ leadId, events, workflowRunId }) {
    for (const e of events) log.info('lead event', { leadId, workflowRunId, seq: e.seq, type: e.type });
    return Promise.resolve();
  },
};

export function createProjectionActivities(sink: EventSink) {
  return {
    /**
     * Called by the workflow after every decision batch and before it answers an Update, so an
     * acknowledged decision is already recorded. Must be idempotent per (leadId, seq).
     */
    async recordEvents(input: RecordEventsInput): Promise<void> {
      await sink.append({ ...input, workflowRunId: activityInfo().workflowExecution?.runId ?? 'unknown' });
    },
  };
}
