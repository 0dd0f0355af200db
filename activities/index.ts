import { createNotifyActivities, type NotifyConfig } from './notify.activities';
import { createProjectionActivities, type EventSink } from './projection.activities';
import { createRoutingActivities } from './routing.activities';

export interface ActivityDeps {
  notify: NotifyConfig;
  eventSink: EventSink;
}

/** One factory, dependencies in; the workflow sees only `LeadActivities`, the type of what it returns. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createProjectionActivities(deps.eventSink),
    ...createRoutingActivities(),
    ...createNotifyActivities(deps.notify),
  };
}

export type LeadActivities = ReturnType<typeof createActivities>;
export type { LeadNotification } from './notify.activities';
export type { AssignOwnerInput } from './routing.activities';
export { databaseEventSink, type RecordEventsInput, type EventSink } from './projection.activities';
