import { activityInfo } from '@temporalio/activity';
import type { Db } from '../db/connection';
import { appendLeadEvents } from '../db/lead-events.repository';
import type { LeadEvent } from '../domain/lead-events';
import type { PersonalDataSealer } from '../encryption/personal-data-sealer';

export interface RecordEventsInput {
  leadId: string;
  events: LeadEvent[];
}

/** Where recorded events go: the read model in PostgreSQL (or PGlite). */
export interface EventSink {
  append(input: RecordEventsInput & { workflowRunId: string }): Promise<void>;
}

/**
 * Appends the batch to `lead_events` and moves the `leads` row forward in one transaction. A retried
 * batch is a no-op; a database that is down or a gap in seq throws, and Temporal retries the activity
 * (the workflow waits, so nothing is lost and nothing is half-applied).
 */
export function databaseEventSink(db: Db, sealer: PersonalDataSealer): EventSink {
  return {
    async append(input) {
      await appendLeadEvents(db, sealer, input);
    },
  };
}

export function createProjectionActivities(sink: EventSink) {
  return {
    /**
     * Called by the workflow after every decision batch and before it answers an Update, so an
     * acknowledged decision is already recorded. Must be idempotent per (leadId, seq).
     *
     * As a local activity it answers with the batch it recorded: its input is not in the history, only
     * its result (the marker), so the result is what keeps every event recoverable from Temporal
     * (`client/recover-lead-events.ts`). As an activity task the input is in the history already, and
     * echoing it would double the bytes of every engagement batch in the history.
     */
    async recordEvents(input: RecordEventsInput): Promise<RecordEventsInput | undefined> {
      const info = activityInfo();
      await sink.append({ ...input, workflowRunId: info.workflowExecution?.runId ?? 'unknown' });
      return info.isLocal ? { leadId: input.leadId, events: input.events } : undefined;
    },
  };
}
