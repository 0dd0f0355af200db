import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/**
 * One delivery attempt of one message to one endpoint. Nothing personal: ids, the answer's status,
 * Leadflow's own error text and timings, never a payload or the receiver's answer body.
 */
export interface WebhookDeliveryTable {
  id: Generated<number>;
  endpointId: string;
  /** The public event id (the `webhook-id`), or the id of a `webhook.test` message. */
  eventId: string;
  eventType: string;
  /** null for a `webhook.test` message. */
  leadId: string | null;
  seq: number | null;
  /** 1 for the first attempt of the event to this endpoint. */
  attempt: number;
  attemptedAt: ColumnType<Date, string, never>;
  /** null when no answer came (refused, reset, timed out). */
  statusCode: number | null;
  /** null when delivered. */
  error: string | null;
  durationMs: number;
  delivered: boolean;
  /** Asked for by an operator (redelivery of an event or a time range), not the dispatcher's own retry. */
  redelivery: ColumnType<boolean, boolean | undefined, never>;
}

export type WebhookDeliveryRow = Selectable<WebhookDeliveryTable>;
export type NewWebhookDeliveryRow = Insertable<WebhookDeliveryTable>;
