/*
 * Temporal Cloud billable Actions, counted from a workflow's Event History (issue 17). Pure functions:
 * history events in, Actions out. No decoding: only which events there are (and, for two rules, a
 * marker's name or the names of the search attributes an upsert sets, which are never encoded).
 *
 * Sources, read on 2026-12-02:
 * - [actions]  Temporal Cloud Actions, https://docs.temporal.io/cloud/actions
 *              (temporalio/documentation, docs/evaluate/cloud/actions.mdx): which operations are Actions,
 *              by category, with the History Event Type of each.
 * - [usage]    Actions and Usage, https://docs.temporal.io/cloud/actions-usage: the Cloud UI annotates each
 *              history event with the Actions it consumed; that estimate leaves out what is not in a
 *              history (Queries, Activity Heartbeats, rejected Updates, Export, Schedules, replication).
 * - [ui]       the Cloud UI's own per-event estimate, temporalio/ui
 *              src/lib/models/event-history/get-event-billable-actions.ts (`getEventBillableActions`),
 *              where the documentation leaves a detail open (which markers are free, workflow retries).
 *
 * What a history cannot show, so these functions never count it (a caller adds it if it knows it):
 * Queries (every one is an Action, [actions] "Query"), Activity Heartbeats that reach the server, Updates
 * rejected by a validator ("never written to history", [actions] "Update"), Workflow Task heartbeats of
 * long local activities, and Schedules.
 *
 * Works on both shapes a history comes in: the client's `fetchHistory()` (protobuf objects, Long event
 * ids, numeric enums) and its JSON export (`temporal workflow show --output json`, string ids). An event's
 * kind is read from which `…EventAttributes` field it has, which both shapes share.
 */

/** The Action types counted here, named after [actions]' "Metric Name" column. */
export const actionTypes = [
  'start_workflow',
  'signal_workflow',
  'accept_workflow_update',
  'reject_workflow_update',
  'schedule_activity',
  'retry_activity',
  'record_activity_markers',
  'retry_activity_local',
  'start_timer',
  'upsert_workflow_search_attributes',
  'update_workflow_options',
  'start_child_workflow',
  'reset_workflow',
  'schedule_nexus_operation',
  'request_nexus_operation_cancellation',
] as const;
export type ActionType = (typeof actionTypes)[number];

type Id = number | string | { toNumber(): number } | null | undefined;

/** The parts of a history event the rules read; everything else is ignored. */
export interface HistoryEventLike {
  eventId?: Id;
  workflowExecutionStartedEventAttributes?: { attempt?: number | null } | null;
  workflowExecutionSignaledEventAttributes?: { signalName?: string | null } | null;
  workflowExecutionUpdateAcceptedEventAttributes?: { acceptedRequest?: { input?: { name?: string | null } | null } | null } | null;
  workflowExecutionUpdateRejectedEventAttributes?: unknown;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null;
  activityTaskStartedEventAttributes?: { attempt?: number | null } | null;
  markerRecordedEventAttributes?: { markerName?: string | null; workflowTaskCompletedEventId?: Id } | null;
  workflowTaskCompletedEventAttributes?: { meteringMetadata?: { nonfirstLocalActivityExecutionAttempts?: number | null } | null } | null;
  timerStartedEventAttributes?: unknown;
  timerFiredEventAttributes?: unknown;
  upsertWorkflowSearchAttributesEventAttributes?: { searchAttributes?: { indexedFields?: Record<string, unknown> | null } | null } | null;
  workflowExecutionOptionsUpdatedEventAttributes?: unknown;
  startChildWorkflowExecutionInitiatedEventAttributes?: unknown;
  workflowTaskFailedEventAttributes?: { cause?: number | string | null } | null;
  nexusOperationScheduledEventAttributes?: unknown;
  nexusOperationCancelRequestedEventAttributes?: unknown;
}

export interface ActionCount {
  total: number;
  byType: Partial<Record<ActionType, number>>;
}

const idOf = (id: Id): number => (id === null || id === undefined ? Number.NaN : typeof id === 'object' ? id.toNumber() : Number(id));

/** `temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW`. */
const RESET_WORKFLOW_CAUSE = 20;

/** Markers that are not Actions: the TypeScript/Core SDKs' patch marker and the Go/Java SDKs' version marker ([ui]). */
const FREE_MARKERS = new Set(['core_patch', 'Version']);

/**
 * The Actions of the events of one run's history, in event order. `events` may be a slice of a history
 * (the Actions of one step): a local activity marker is free when an earlier marker of the same
 * workflow task is in the slice, and a signal is free only when it is event 2 of its run.
 */
export function countBillableActions(events: readonly HistoryEventLike[]): ActionCount {
  const byType: Partial<Record<ActionType, number>> = {};
  let total = 0;
  const add = (type: ActionType, n = 1): void => {
    if (n <= 0) return;
    byType[type] = (byType[type] ?? 0) + n;
    total += n;
  };
  // Workflow tasks whose local activity markers have been billed once already.
  const markerTasks = new Set<number>();
  for (const e of events) {
    if (e.workflowExecutionStartedEventAttributes) {
      // [actions] Workflow: "Workflow started … via client start, Continue-As-New, Child Workflow start";
      // update-with-start's start too ("Workflow started via Multi-Operation": the start is one Action).
      // Continue-As-New is billed here, on the new run's Started event, not on the old run's
      // ContinuedAsNew event ([actions], Continue As New Workflow: "The UI shows a billable action only
      // for the EVENT_TYPE_WORKFLOW_EXECUTION_STARTED event of the newly started Workflow"), so the runs
      // of one workflow add up without counting it twice. A retry of the workflow (attempt > 1) is not
      // billed again ([ui]). A start de-duplicated onto a running workflow writes no Started event and is
      // not billed ([actions]). Schedules (which add 2) are not used by Leadflow and not counted.
      if ((e.workflowExecutionStartedEventAttributes.attempt ?? 1) <= 1) add('start_workflow');
    } else if (e.workflowExecutionSignaledEventAttributes) {
      // [actions] Signal: "An Action occurs for every Signal … one total action occurs for any
      // Signal-With-Start, regardless of whether the Workflow starts". A Signal-With-Start that starts the
      // workflow writes Started then Signaled, so the Signaled event 2 is that same one Action ([ui]:
      // `event.id !== '2'`); on a running workflow it is an ordinary Signaled event, one Action.
      // A signal from another workflow is billed here too, on the signaled side ([actions], Signal
      // External Workflow: "The UI shows a billable action only in the signaled Event history").
      if (idOf(e.eventId) !== 2) add('signal_workflow');
    } else if (e.workflowExecutionUpdateAcceptedEventAttributes) {
      // [actions] Update: "Occurs for every successful Update and every rejected Update … includes
      // Update-With-Start, and is in addition to the start Action". De-duplicated Updates (same Update ID)
      // write no second Accepted event and are not billed.
      add('accept_workflow_update');
    } else if (e.workflowExecutionUpdateRejectedEventAttributes) {
      // [actions] Update: a rejected Update is an Action, but "this event is never written to history":
      // kept for completeness. Rejections by a validator must be counted by the caller.
      add('reject_workflow_update');
    } else if (e.activityTaskScheduledEventAttributes) {
      // [actions] Activity: "Activity started or retried … each time". The first attempt is the
      // Scheduled event (Schedule Activity).
      add('schedule_activity');
    } else if (e.activityTaskStartedEventAttributes) {
      // [actions] Activity, Retry Activity: "Intermediate retry attempts do not produce separate history
      // events. Total attempt count is recorded in ActivityTaskStartedEventAttributes.attempt … subtract
      // 1, because the first attempt is not a retry."
      add('retry_activity', (e.activityTaskStartedEventAttributes.attempt ?? 1) - 1);
    } else if (e.markerRecordedEventAttributes) {
      // [actions] Activity: "Local Activity started. All Local Activities associated with one Workflow
      // Task count as a single Action. Temporal Cloud counts all RecordMarkers from each Workflow Task as
      // one action". Patch/version markers (`patched()`) are free ([ui]: `nonBillable = ['core_patch',
      // 'Version']`).
      const m = e.markerRecordedEventAttributes;
      if (FREE_MARKERS.has(m.markerName ?? '')) continue;
      const task = idOf(m.workflowTaskCompletedEventId);
      if (Number.isNaN(task)) {
        add('record_activity_markers');
      } else if (!markerTasks.has(task)) {
        markerTasks.add(task);
        add('record_activity_markers');
      }
    } else if (e.workflowTaskCompletedEventAttributes) {
      // [actions] Activity, Retry Local Activity: "the retry count is recorded in
      // WorkflowTaskCompletedEventAttributes.metering_metadata.nonfirst_local_activity_execution_attempts";
      // capped at 100 Actions ("Local Activities retried following a Workflow Task Heartbeat count as one
      // Action (capped at 100 Actions)", [ui]: Math.min(…, 100)).
      add('retry_activity_local', Math.min(e.workflowTaskCompletedEventAttributes.meteringMetadata?.nonfirstLocalActivityExecutionAttempts ?? 0, 100));
    } else if (e.timerStartedEventAttributes) {
      // [actions] Timer: "Timer started. Includes implicit Timers that are started by a Temporal SDK when
      // timeouts are set, such as … `condition` in TypeScript". Firing or cancelling a timer is free.
      add('start_timer');
    } else if (e.upsertWorkflowSearchAttributesEventAttributes) {
      // [actions] Workflow: "Search Attribute upsert requested. Occurs for each invocation of
      // UpsertSearchAttributes … Multiple Search Attributes updated in a single command count as one
      // Action … The TemporalChangeVersion Search Attribute, used for Workflow versioning, is also
      // exempt" (an upsert of TemporalChangeVersion alone is free, [ui]). Attributes given at start are free.
      const names = Object.keys(e.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields ?? {});
      if (!(names.length === 1 && names[0] === 'TemporalChangeVersion')) add('upsert_workflow_search_attributes');
    } else if (e.workflowExecutionOptionsUpdatedEventAttributes) {
      // [actions] Workflow: "Workflow Execution Options updated. Occurs for every … event".
      add('update_workflow_options');
    } else if (e.startChildWorkflowExecutionInitiatedEventAttributes) {
      // [actions] Workflow: "Start Child Workflow Execution initiated … Results in two Actions, one for
      // durably storing the intent … and one for the attempt to start it" ([ui] returns 2). Not used by Leadflow.
      add('start_child_workflow', 2);
    } else if (e.workflowTaskFailedEventAttributes) {
      // [actions] Workflow, Reset Workflow: EVENT_TYPE_WORKFLOW_TASK_FAILED "when cause ==
      // WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW". Any other failed workflow task is free.
      const cause = e.workflowTaskFailedEventAttributes.cause;
      if (cause === RESET_WORKFLOW_CAUSE || cause === 'WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW') add('reset_workflow');
    } else if (e.nexusOperationScheduledEventAttributes) {
      // [actions] Temporal Nexus: "the caller Workflow starting a Nexus Operation results in one Action".
      add('schedule_nexus_operation');
    } else if (e.nexusOperationCancelRequestedEventAttributes) {
      // [actions] Temporal Nexus: "canceling a Nexus Operation results in one Action".
      add('request_nexus_operation_cancellation');
    }
    // Everything else is free: workflow tasks scheduled/started/completed, activity completed/failed,
    // timers fired/cancelled, Update completed, ContinuedAsNew (billed on the next run), completion.
  }
  return { total, byType };
}

/** What made a workflow run: its start, a Signal, an accepted Update, or a timer firing. */
export interface Trigger {
  kind: 'start' | 'signal' | 'update' | 'timer';
  /** The signal's or the Update's name; empty for a start or a timer. */
  name: string;
  eventId: number;
}

export interface Step {
  trigger: Trigger;
  /** The Actions of the trigger and of every event after it, up to the next trigger. */
  actions: ActionCount;
  /** The number of history events in the step. */
  events: number;
}

/**
 * One run's history cut into steps, one per trigger (Started, Signaled, Update accepted, Timer fired):
 * each step holds the trigger's own Action and those of what the workflow did in answer to it (its
 * activities, timers re-armed, search attribute upserts), up to the next trigger. The commands of a
 * workflow task that answers an Update follow its Accepted event, so they fall in the Update's step.
 * When several triggers reach one workflow task (a signal while an Update runs), what the task does
 * falls in the last trigger's step: measure one step at a time, on a lead with nothing else going on.
 */
export function splitIntoSteps(events: readonly HistoryEventLike[]): Step[] {
  const steps: Step[] = [];
  let current: { trigger: Trigger; events: HistoryEventLike[] } | undefined;
  const close = (): void => {
    if (current) steps.push({ trigger: current.trigger, actions: countBillableActions(current.events), events: current.events.length });
  };
  for (const e of events) {
    const trigger = triggerOf(e);
    // The Signaled event 2 of a Signal-With-Start belongs to its start.
    if (trigger && !(trigger.kind === 'signal' && trigger.eventId === 2 && current?.trigger.kind === 'start')) {
      close();
      current = { trigger, events: [] };
    }
    // Events before the first trigger (none in a whole history, which starts with Started) go nowhere.
    current?.events.push(e);
  }
  close();
  return steps;
}

function triggerOf(e: HistoryEventLike): Trigger | undefined {
  const eventId = idOf(e.eventId);
  if (e.workflowExecutionStartedEventAttributes) return { kind: 'start', name: '', eventId };
  if (e.workflowExecutionSignaledEventAttributes) return { kind: 'signal', name: e.workflowExecutionSignaledEventAttributes.signalName ?? '', eventId };
  if (e.workflowExecutionUpdateAcceptedEventAttributes) {
    return { kind: 'update', name: e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest?.input?.name ?? '', eventId };
  }
  if (e.timerFiredEventAttributes) return { kind: 'timer', name: '', eventId };
  return undefined;
}
