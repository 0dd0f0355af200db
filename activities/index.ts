import type { LeadPolicy } from '../domain/lead-policy';
import { createErasureActivities, type ErasureDeps } from './erasure.activities';
import { createNotifyActivities, type NotifyConfig } from './notify.activities';
import { createProjectionActivities, type EventSink } from './projection.activities';
import { createRoutingActivities, type RoutingStore } from './routing.activities';
import { createWebhookDeliveryActivities, type WebhookDeliveryDeps } from './webhook-delivery.activities';

export interface ActivityDeps {
  notify: NotifyConfig;
  eventSink: EventSink;
  /** Round-robin positions and assignments; default: this process's memory (tests, one worker). */
  routingStore?: RoutingStore;
  /** The policy the worker was started with, answered by `activePolicy`. */
  policy?: LeadPolicy;
  /** Database, keys and client for erasures; absent in tests of the lead workflow alone. */
  erasure?: ErasureDeps;
  /** Database and keys for webhook delivery; absent in tests of the lead workflow alone. */
  webhooks?: WebhookDeliveryDeps;
}

/** One factory, dependencies in; the workflow sees only `LeadActivities`, the type of what it returns. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createProjectionActivities(deps.eventSink),
    ...createRoutingActivities(deps.routingStore, deps.policy),
    ...createNotifyActivities(deps.notify),
    ...createErasureActivities(deps.erasure),
    ...createWebhookDeliveryActivities(deps.webhooks),
  };
}

export type LeadActivities = ReturnType<typeof createActivities>;
export type { LeadNotification } from './notify.activities';
export type { ErasureDeps } from './erasure.activities';
export type { WebhookDeliveryDeps } from './webhook-delivery.activities';
export type { AssignOwnerInput, LegacyAssignOwnerInput, RoutingStore } from './routing.activities';
export { memoryRoutingStore } from './routing.activities';
export { databaseEventSink, type RecordEventsInput, type EventSink } from './projection.activities';
