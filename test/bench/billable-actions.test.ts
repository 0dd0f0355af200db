import { readFileSync } from 'node:fs';
import path from 'node:path';
import { countBillableActions, splitIntoSteps, type HistoryEventLike } from '../../bench/lib/billable-actions';

/*
 * The Temporal Cloud Action rules of bench/lib/billable-actions.ts, one hand-made history each (issue 17).
 * Plain functions: no server.
 */

/** Numbers events from 1, like a history; `e` builds one event from its attributes field. */
const history = (...events: HistoryEventLike[]): HistoryEventLike[] => events.map((ev, i) => ({ ...ev, eventId: String(i + 1) }));
const started = (attempt = 1): HistoryEventLike => ({ workflowExecutionStartedEventAttributes: { attempt } });
const wft = (): HistoryEventLike[] => [
  { workflowTaskScheduledEventAttributes: {} } as HistoryEventLike,
  { workflowTaskStartedEventAttributes: {} } as HistoryEventLike,
  { workflowTaskCompletedEventAttributes: {} },
];
const signaled = (signalName = 'recordEngagement'): HistoryEventLike => ({ workflowExecutionSignaledEventAttributes: { signalName } });
const accepted = (name: string): HistoryEventLike => ({ workflowExecutionUpdateAcceptedEventAttributes: { acceptedRequest: { input: { name } } } });
const activity = (name = 'recordEvents', attempt = 1): HistoryEventLike[] => [
  { activityTaskScheduledEventAttributes: { activityType: { name } } },
  { activityTaskStartedEventAttributes: { attempt } },
  { activityTaskCompletedEventAttributes: {} } as HistoryEventLike,
];
const upsert = (...names: string[]): HistoryEventLike => ({
  upsertWorkflowSearchAttributesEventAttributes: { searchAttributes: { indexedFields: Object.fromEntries(names.map((n) => [n, {}])) } },
});
const timerStarted = (): HistoryEventLike => ({ timerStartedEventAttributes: {} });
const timerFired = (): HistoryEventLike => ({ timerFiredEventAttributes: {} });

describe('Temporal Cloud billable Actions from a history', () => {
  test('a start is one Action; a retry of the workflow (attempt 2) is not billed again', () => {
    expect(countBillableActions(history(started(), ...wft()))).toEqual({ total: 1, byType: { start_workflow: 1 } });
    expect(countBillableActions(history(started(2), ...wft())).total).toBe(0);
  });

  test('signal-with-start that starts the workflow is one Action in all (Started, then Signaled as event 2)', () => {
    const h = history(started(), signaled('floorSignal'), ...wft());
    expect(countBillableActions(h)).toEqual({ total: 1, byType: { start_workflow: 1 } });
    // The steps agree: the signal belongs to the start.
    expect(splitIntoSteps(h).map((s) => [s.trigger.kind, s.actions.total])).toEqual([['start', 1]]);
  });

  test('a signal to a running workflow is one Action, wherever it lands', () => {
    const h = history(started(), ...wft(), signaled(), ...wft(), signaled());
    expect(countBillableActions(h).byType.signal_workflow).toBe(2);
  });

  test('update-with-start: the start and the accepted Update are one Action each; Update completed is free', () => {
    const h = history(started(), ...wft(), ...wft(), accepted('submitForm'), { workflowExecutionUpdateCompletedEventAttributes: {} } as HistoryEventLike);
    expect(countBillableActions(h)).toEqual({ total: 2, byType: { start_workflow: 1, accept_workflow_update: 1 } });
  });

  test('an activity is one Action, plus one per retry (Started.attempt − 1)', () => {
    const h = history(started(), ...wft(), ...activity('recordEvents', 1), ...wft(), ...activity('assignOwner', 3));
    expect(countBillableActions(h).byType).toEqual({ start_workflow: 1, schedule_activity: 2, retry_activity: 2 });
  });

  test('local activities: every marker of one workflow task together is one Action; patch markers are free; retries counted from metering metadata', () => {
    const marker = (markerName: string, task: number): HistoryEventLike => ({ markerRecordedEventAttributes: { markerName, workflowTaskCompletedEventId: task } });
    const h = history(
      started(), // 1
      { workflowTaskScheduledEventAttributes: {} } as HistoryEventLike, // 2
      { workflowTaskStartedEventAttributes: {} } as HistoryEventLike, // 3
      { workflowTaskCompletedEventAttributes: { meteringMetadata: { nonfirstLocalActivityExecutionAttempts: 2 } } }, // 4
      marker('core_local_activity', 4),
      marker('core_local_activity', 4),
      marker('core_patch', 4),
      { workflowTaskScheduledEventAttributes: {} } as HistoryEventLike, // 8
      { workflowTaskStartedEventAttributes: {} } as HistoryEventLike, // 9
      { workflowTaskCompletedEventAttributes: { meteringMetadata: { nonfirstLocalActivityExecutionAttempts: 500 } } }, // 10
      marker('core_local_activity', 10),
    );
    expect(countBillableActions(h).byType).toEqual({ start_workflow: 1, record_activity_markers: 2, retry_activity_local: 2 + 100 });
  });

  test('timers: started is one Action (condition with a timeout too); fired and cancelled are free', () => {
    const h = history(started(), ...wft(), timerStarted(), timerFired(), ...wft(), timerStarted(), { timerCanceledEventAttributes: {} } as HistoryEventLike);
    expect(countBillableActions(h).byType).toEqual({ start_workflow: 1, start_timer: 2 });
  });

  test('search attributes: one Action per upsert whatever it sets; TemporalChangeVersion alone (patched) is free', () => {
    const h = history(started(), ...wft(), upsert('LeadStage', 'LeadOwner', 'SlaDueAt'), upsert('TemporalChangeVersion'), upsert('TemporalChangeVersion', 'LeadStage'));
    expect(countBillableActions(h).byType).toEqual({ start_workflow: 1, upsert_workflow_search_attributes: 2 });
  });

  test('continue-as-new is billed on the new run\'s Started, not on the old run\'s ContinuedAsNew', () => {
    const oldRun = history(started(), ...wft(), { workflowExecutionContinuedAsNewEventAttributes: {} } as HistoryEventLike);
    const newRun = history(started(), ...wft());
    expect(countBillableActions(oldRun).total + countBillableActions(newRun).total).toBe(2);
  });

  test('child workflow initiated is two Actions; reset is one; an ordinary failed workflow task is free; Nexus schedule and cancel one each', () => {
    const h = history(
      started(),
      ...wft(),
      { startChildWorkflowExecutionInitiatedEventAttributes: {} },
      { workflowTaskFailedEventAttributes: { cause: 20 } },
      { workflowTaskFailedEventAttributes: { cause: 'WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW' } },
      { workflowTaskFailedEventAttributes: { cause: 6 } },
      { nexusOperationScheduledEventAttributes: {} },
      { nexusOperationCancelRequestedEventAttributes: {} },
      { workflowExecutionOptionsUpdatedEventAttributes: {} },
    );
    expect(countBillableActions(h).byType).toEqual({
      start_workflow: 1,
      start_child_workflow: 2,
      reset_workflow: 2,
      schedule_nexus_operation: 1,
      request_nexus_operation_cancellation: 1,
      update_workflow_options: 1,
    });
  });

  test('reads the client\'s protobuf shape too (Long event ids)', () => {
    const long = (n: number) => ({ toNumber: () => n });
    const h: HistoryEventLike[] = [
      { eventId: long(1), workflowExecutionStartedEventAttributes: { attempt: 1 } },
      { eventId: long(2), workflowExecutionSignaledEventAttributes: { signalName: 's' } },
      { eventId: long(3), markerRecordedEventAttributes: { markerName: 'core_local_activity', workflowTaskCompletedEventId: long(9) } },
      { eventId: long(4), markerRecordedEventAttributes: { markerName: 'core_local_activity', workflowTaskCompletedEventId: long(9) } },
    ];
    expect(countBillableActions(h).total).toBe(2);
  });

  test('steps: each trigger with what the workflow did in answer, up to the next trigger', () => {
    const h = history(
      started(),
      ...wft(),
      ...wft(),
      accepted('submitForm'),
      ...activity(),
      ...wft(),
      upsert('LeadStage'),
      timerStarted(),
      timerFired(),
      ...wft(),
      ...activity(),
      ...wft(),
      timerStarted(),
      ...wft(),
      accepted('accept'),
      { timerCanceledEventAttributes: {} } as HistoryEventLike,
      ...activity(),
      ...wft(),
      upsert('LeadStage'),
      timerStarted(),
    );
    expect(splitIntoSteps(h).map((s) => [s.trigger.kind, s.trigger.name, s.actions.total])).toEqual([
      ['start', '', 1],
      ['update', 'submitForm', 4],
      ['timer', '', 2],
      ['update', 'accept', 4],
    ]);
    // The steps add up to the whole.
    expect(splitIntoSteps(h).reduce((n, s) => n + s.actions.total, 0)).toBe(countBillableActions(h).total);
  });

  test('a recorded journey to won (test/replay/histories/journey-won.json, the JSON export of a real run)', () => {
    const file = path.resolve(__dirname, '../replay/histories/journey-won.json');
    const { events } = JSON.parse(readFileSync(file, 'utf8')) as { events: HistoryEventLike[] };
    const steps = splitIntoSteps(events);
    expect(steps.map((s) => [s.trigger.kind, s.trigger.name])).toEqual([
      ['start', ''],
      ['update', 'submitForm'],
      ['signal', 'recordEngagement'],
      ['update', 'accept'],
      ['update', 'qualify'],
      ['update', 'close'],
    ]);
    expect(countBillableActions(events).total).toBe(steps.reduce((n, s) => n + s.actions.total, 0));
    // Its patch upserts (TemporalChangeVersion) and patch markers are in the history and billed nothing.
    expect(countBillableActions(events).byType.record_activity_markers).toBeUndefined();
  });
});
