import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { LeadEvent } from '../domain/lead-events';
import { LEAD_WORKFLOW_TYPE } from '../workflows/lead.messages';

export interface RecoveredLead {
  leadId: string;
  events: { event: LeadEvent; workflowRunId: string }[];
}

/**
 * Re-derives lead events from Temporal, the source of truth: every completed `recordEvents` in every
 * run of every lead workflow carried a batch of events (as an activity task, its input; as a local
 * activity, its result). Yields one lead at a
 * time with its events from all runs (continue-as-new chains included), sorted by seq.
 *
 * Histories hold encrypted payloads: `codec` (Leadflow's LeadPayloadCodec) decodes the ones read. An
 * erased lead's payloads cannot be decoded any more (its key is destroyed): `onErased` is told, and the
 * lead is skipped; `lead_events` keeps its facts.
 */
export async function* recoverLeadEventsFromTemporal(
  client: Client,
  codec: PayloadCodec,
  onRun: (workflowId: string, runId: string) => void = () => undefined,
  onErased: (workflowId: string) => void = () => undefined,
): AsyncGenerator<RecoveredLead> {
  const runsByLead = new Map<string, string[]>();
  for await (const wf of client.workflow.list({ query: `WorkflowType = '${LEAD_WORKFLOW_TYPE}'` })) {
    const runs = runsByLead.get(wf.workflowId) ?? [];
    runs.push(wf.runId);
    runsByLead.set(wf.workflowId, runs);
  }
  for (const [workflowId, runIds] of runsByLead) {
    const bySeq = new Map<number, { event: LeadEvent; workflowRunId: string }>();
    let leadId = workflowId;
    let erased = false;
    for (const runId of runIds) {
      const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
      try {
        await decodeRecordedPayloads(history, codec);
      } catch (err) {
        if ((err as Error).name !== 'DataKeyDestroyedError') throw err;
        erased = true;
        break;
      }
      for (const batch of recordedBatches(history)) {
        leadId = batch.leadId;
        for (const event of batch.events) bySeq.set(event.seq, { event, workflowRunId: runId });
      }
      onRun(workflowId, runId);
    }
    if (erased) {
      onErased(workflowId);
      continue;
    }
    yield { leadId, events: [...bySeq.values()].sort((a, b) => a.event.seq - b.event.seq) };
  }
}

/** Decodes, in place, the payloads `recordedBatches` reads: recordEvents inputs and local-activity markers. */
export async function decodeRecordedPayloads(history: temporal.api.history.v1.IHistory, codec: PayloadCodec): Promise<void> {
  const decodeAll = async (payloads: Payload[] | null | undefined): Promise<void> => {
    if (!payloads?.length) return;
    const decoded = await codec.decode(payloads);
    decoded.forEach((p, i) => (payloads[i] = p));
  };
  for (const e of history.events ?? []) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s && s.activityType?.name === 'recordEvents') await decodeAll(s.input?.payloads);
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName === LOCAL_ACTIVITY_MARKER && !m.failure) {
      await decodeAll(m.details?.data?.payloads);
      await decodeAll(m.details?.result?.payloads);
    }
  }
}

/** Core's marker of a local activity: `data` is its metadata (type, attempt), `result` what it returned. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/**
 * The batches of the `recordEvents` calls that completed in one run's history: the inputs of
 * activity tasks (runs before the `local-activities` patch) and the results of local activities
 * (runs after it; their input is not in the history, and the activity answers with its batch).
 */
export function recordedBatches(history: temporal.api.history.v1.IHistory): { leadId: string; events: LeadEvent[] }[] {
  const scheduled = new Map<string, { leadId: string; events: LeadEvent[] }>();
  const completed: { leadId: string; events: LeadEvent[] }[] = [];
  for (const e of history.events ?? []) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s && s.activityType?.name === 'recordEvents' && s.input?.payloads?.[0]) {
      scheduled.set(String(e.eventId), defaultPayloadConverter.fromPayload(s.input.payloads[0]));
    }
    const c = e.activityTaskCompletedEventAttributes;
    const batch = c && scheduled.get(String(c.scheduledEventId));
    if (batch) completed.push(batch);
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName === LOCAL_ACTIVITY_MARKER && !m.failure) {
      const meta = m.details?.data?.payloads?.[0];
      const result = m.details?.result?.payloads?.[0];
      if (!meta || !result) continue;
      const { activity_type: type } = defaultPayloadConverter.fromPayload<{ activity_type?: string }>(meta);
      if (type === 'recordEvents') completed.push(defaultPayloadConverter.fromPayload(result));
    }
  }
  return completed;
}
