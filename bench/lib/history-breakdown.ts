import type { Client } from '@temporalio/client';
import { countBillableActions, type HistoryEventLike } from './billable-actions';
import { median, round } from './stats';

interface HistoryEvent {
  eventTime?: { seconds?: unknown; nanos?: number | null } | null;
  workflowExecutionStartedEventAttributes?: unknown;
  workflowTaskScheduledEventAttributes?: unknown;
  workflowTaskStartedEventAttributes?: unknown;
  workflowTaskCompletedEventAttributes?: unknown;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null;
  activityTaskStartedEventAttributes?: unknown;
  activityTaskCompletedEventAttributes?: unknown;
  workflowExecutionUpdateCompletedEventAttributes?: unknown;
  markerRecordedEventAttributes?: { markerName?: string | null; details?: Record<string, { payloads?: { data?: Uint8Array | null }[] | null }> | null } | null;
}

/** A local activity's type from Core's marker (`data` is its metadata as JSON), or undefined. */
function localActivityType(e: HistoryEvent): string | undefined {
  const m = e.markerRecordedEventAttributes;
  if (m?.markerName !== 'core_local_activity') return undefined;
  const data = m.details?.data?.payloads?.[0]?.data;
  if (!data) return 'unknown';
  try {
    return (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export interface Breakdown {
  leads: number;
  /** Medians over the sampled leads, ms, from the workflow start to the Update's completion. */
  serverSpanMs: number;
  workflowTaskQueueMs: number;
  workflowTaskRunMs: number;
  activityQueueMs: number;
  activityRunMs: number;
  workflowTasks: number;
  activities: number;
  /**
   * Whole history once the lead has settled (owner assigned): events, workflow tasks, activities by
   * type (activity tasks by name; local activities as `name (local)`, from their markers).
   */
  settled: {
    historyEvents: number;
    workflowTasks: number;
    activities: Record<string, number>;
    /** Temporal Cloud Actions of the settled history (bench/lib/billable-actions.ts): median, and each lead's. */
    actions?: number;
    actionsPerLead?: number[];
    actionsByType?: Record<string, number>;
  };
}

const ms = (t: HistoryEvent['eventTime']): number => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

/**
 * Where an update-with-start's time goes on the server, read from the lead's history: from
 * WorkflowExecutionStarted to WorkflowExecutionUpdateCompleted, split into waiting in the task queue
 * (scheduled → started) and running on the worker (started → completed), for workflow tasks and
 * activities. Medians over the sampled leads.
 */
export async function intakeBreakdown(client: Client, workflowIds: string[]): Promise<Breakdown> {
  const per: Omit<Breakdown, 'leads' | 'settled'>[] = [];
  const settled: Breakdown['settled'][] = [];
  for (const id of workflowIds) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    const events = (history.events ?? []) as HistoryEvent[];
    const billed = countBillableActions(events as HistoryEventLike[]);
    const whole: Breakdown['settled'] = {
      historyEvents: events.length,
      workflowTasks: 0,
      activities: {},
      actions: billed.total,
      actionsByType: billed.byType,
    };
    for (const e of events) {
      if (e.workflowTaskCompletedEventAttributes) whole.workflowTasks++;
      const task = e.activityTaskScheduledEventAttributes?.activityType?.name;
      const local = localActivityType(e);
      const type = task ?? (local && `${local} (local)`);
      if (type) whole.activities[type] = (whole.activities[type] ?? 0) + 1;
    }
    settled.push(whole);
    const acc = { serverSpanMs: 0, workflowTaskQueueMs: 0, workflowTaskRunMs: 0, activityQueueMs: 0, activityRunMs: 0, workflowTasks: 0, activities: 0 };
    let started: number | undefined;
    let wftScheduled: number | undefined;
    let wftStarted: number | undefined;
    let actScheduled: number | undefined;
    let actStarted: number | undefined;
    for (const e of events) {
      const t = ms(e.eventTime);
      if (e.workflowExecutionStartedEventAttributes) started = t;
      else if (e.workflowTaskScheduledEventAttributes) wftScheduled = t;
      else if (e.workflowTaskStartedEventAttributes) {
        wftStarted = t;
        if (wftScheduled !== undefined) acc.workflowTaskQueueMs += t - wftScheduled;
      } else if (e.workflowTaskCompletedEventAttributes) {
        if (wftStarted !== undefined) acc.workflowTaskRunMs += t - wftStarted;
        acc.workflowTasks++;
      } else if (e.activityTaskScheduledEventAttributes) actScheduled = t;
      else if (e.activityTaskStartedEventAttributes) {
        actStarted = t;
        if (actScheduled !== undefined) acc.activityQueueMs += t - actScheduled;
      } else if (e.activityTaskCompletedEventAttributes) {
        if (actStarted !== undefined) acc.activityRunMs += t - actStarted;
        acc.activities++;
      } else if (e.workflowExecutionUpdateCompletedEventAttributes) {
        acc.serverSpanMs = started !== undefined ? t - started : 0;
        break;
      }
    }
    per.push(acc);
  }
  const med = (k: keyof Omit<Breakdown, 'leads' | 'settled'>) => round(median(per.map((p) => p[k])), 0);
  const activityTypes = [...new Set(settled.flatMap((s) => Object.keys(s.activities)))];
  return {
    leads: per.length,
    serverSpanMs: med('serverSpanMs'),
    workflowTaskQueueMs: med('workflowTaskQueueMs'),
    workflowTaskRunMs: med('workflowTaskRunMs'),
    activityQueueMs: med('activityQueueMs'),
    activityRunMs: med('activityRunMs'),
    workflowTasks: med('workflowTasks'),
    activities: med('activities'),
    settled: {
      historyEvents: median(settled.map((s) => s.historyEvents)),
      workflowTasks: median(settled.map((s) => s.workflowTasks)),
      activities: Object.fromEntries(activityTypes.map((t) => [t, median(settled.map((s) => s.activities[t] ?? 0))])),
      actions: median(settled.map((s) => s.actions ?? 0)),
      actionsPerLead: settled.map((s) => s.actions ?? 0),
      actionsByType: Object.fromEntries(
        [...new Set(settled.flatMap((s) => Object.keys(s.actionsByType ?? {})))].map((t) => [t, median(settled.map((s) => s.actionsByType?.[t] ?? 0))]),
      ),
    },
  };
}
