import { activityInfo, ApplicationFailure, Context } from '@temporalio/activity';
import { postSignedWebhook } from '../client/standard-webhooks';
import type { Db } from '../db/connection';
import { readOutbox, readOutboxSelection, type OutboxCursor, type OutboxEvent } from '../db/outbox.repository';
import { disableEndpoint, endpointSecret, findEndpoint, recordDeliveryAttempt } from '../db/webhook-endpoints.repository';
import type { KeyStore } from '../encryption/key-store';
import { keyStoreSealer } from '../encryption/personal-data-sealer';

export interface WebhookDeliveryDeps {
  db: Db;
  keys: KeyStore;
  fetch?: typeof fetch;
  /** How often an idle delivery looks for new events (default 250 ms). */
  idlePollMs?: number;
  /** How long one delivery activity keeps looking before it hands back to its workflow (default 5 s: a redelivery or a resume waits at most that long). */
  longPollMs?: number;
}

export interface DeliverInput {
  endpointId: string;
  /** The last event delivered to this endpoint; absent = none yet (the workflow starts from a cursor). */
  cursor?: OutboxCursor;
  /** Failed attempts so far of the first event after the cursor. */
  failures: number;
}

export interface DeliverOutcome {
  /** `caught_up`: nothing more to send now; `failed`: the first undelivered event was refused; `disabled`/`gone`: the endpoint. */
  status: 'caught_up' | 'failed' | 'disabled' | 'gone';
  cursor?: OutboxCursor;
  delivered: number;
  failure?: { eventId: string; statusCode: number | null; error: string };
}

export interface RedeliverInput {
  endpointId: string;
  selection: { eventId: string } | { from: string; to: string };
}

/** Events one redelivery request sends at most. */
const MAX_REDELIVERY = 1000;

/**
 * Delivery of the public events to one endpoint, in outbox order (so per lead in seq order), each
 * attempt logged. Only ids and cursors pass through the dispatcher workflow: events are read and sent
 * here, so no personal data enters a history that the lead's key does not protect.
 */
export function createWebhookDeliveryActivities(deps: WebhookDeliveryDeps | undefined) {
  const need = (): WebhookDeliveryDeps => {
    if (!deps) throw ApplicationFailure.nonRetryable('this worker was created without webhook delivery dependencies', 'NotConfigured');
    return deps;
  };

  async function send(d: WebhookDeliveryDeps, endpoint: { id: string; url: string }, secret: string, e: OutboxEvent, attempt: number, redelivery: boolean) {
    const attemptedAt = new Date().toISOString();
    const result = await postSignedWebhook({ url: endpoint.url, secret, id: e.event.id, body: JSON.stringify(e.event), ...(d.fetch ? { fetch: d.fetch } : {}) });
    await recordDeliveryAttempt(d.db, {
      endpointId: endpoint.id,
      eventId: e.event.id,
      eventType: e.event.type,
      leadId: e.event.leadId,
      seq: e.event.seq,
      attempt,
      attemptedAt,
      statusCode: result.statusCode,
      error: result.delivered ? null : (result.error ?? 'not delivered'),
      durationMs: result.durationMs,
      delivered: result.delivered,
      redelivery,
    });
    return result;
  }

  return {
    /**
     * Sends what came after `cursor`, in order, until it has caught up for `longPollMs` or an event is
     * refused (later events wait behind it: each lead's order is kept). A worker dying in the middle
     * resumes from the heartbeat's cursor: an event may be sent twice, never skipped; its id lets the
     * receiver drop the repeat.
     */
    async deliverPending(input: DeliverInput): Promise<DeliverOutcome> {
      const d = need();
      const endpoint = await findEndpoint(d.db, input.endpointId);
      if (!endpoint) return { status: 'gone', delivered: 0 };
      if (!endpoint.enabled) return { status: 'disabled', ...(input.cursor ? { cursor: input.cursor } : {}), delivered: 0 };
      const secret = await endpointSecret(d.db, d.keys, endpoint.id);
      if (!secret) return { status: 'gone', delivered: 0 };
      const sealer = keyStoreSealer(d.keys);
      const resumed = activityInfo().heartbeatDetails as OutboxCursor | undefined;
      let cursor = resumed ?? input.cursor;
      let delivered = 0;
      const deadline = Date.now() + (d.longPollMs ?? 5_000);
      while (Date.now() < deadline && delivered < 500) {
        const page = await readOutbox(d.db, sealer, { ...(cursor ? { after: cursor } : {}), types: endpoint.eventTypes, limit: 50 });
        if (page.length === 0) {
          Context.current().heartbeat(cursor);
          await Context.current().sleep(d.idlePollMs ?? 250);
          continue;
        }
        for (const e of page) {
          // The first event after the workflow's cursor is the one that failed before, if any did.
          const attempt = delivered === 0 && cursor === input.cursor ? input.failures + 1 : 1;
          const result = await send(d, endpoint, secret, e, attempt, false);
          if (!result.delivered) {
            return {
              status: 'failed',
              ...(cursor ? { cursor } : {}),
              delivered,
              failure: { eventId: e.event.id, statusCode: result.statusCode, error: result.error ?? 'not delivered' },
            };
          }
          cursor = e.cursor;
          delivered++;
          Context.current().heartbeat(cursor);
        }
      }
      return { status: 'caught_up', ...(cursor ? { cursor } : {}), delivered };
    },

    /** An operator's redelivery: each chosen event sent once more (logged as a redelivery), not retried. */
    async redeliverEvents(input: RedeliverInput): Promise<{ sent: number; delivered: number }> {
      const d = need();
      const endpoint = await findEndpoint(d.db, input.endpointId);
      if (!endpoint) return { sent: 0, delivered: 0 };
      const secret = await endpointSecret(d.db, d.keys, endpoint.id);
      if (!secret) return { sent: 0, delivered: 0 };
      const events = await readOutboxSelection(d.db, keyStoreSealer(d.keys), input.selection, endpoint.eventTypes, MAX_REDELIVERY);
      let delivered = 0;
      for (const e of events) {
        const result = await send(d, endpoint, secret, e, 1, true);
        if (result.delivered) delivered++;
        Context.current().heartbeat(delivered);
      }
      return { sent: events.length, delivered };
    },

    /** Stops delivery to an endpoint that kept failing, saying why (GET shows it, /metrics counts it). */
    async disableWebhookEndpoint(input: { endpointId: string; reason: string }): Promise<void> {
      const d = need();
      await disableEndpoint(d.db, input.endpointId, input.reason, new Date().toISOString());
    },
  };
}

export type WebhookDeliveryActivities = ReturnType<typeof createWebhookDeliveryActivities>;
