import { randomBytes } from 'node:crypto';
import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { Express } from 'express';
import { z } from 'zod';
import { postSignedWebhook, WEBHOOK_TIMEOUT_MS } from '../../client/standard-webhooks';
import { requestRedelivery } from '../../client/webhook-dispatcher';
import { endpointSecret, listDeliveryAttempts, recordDeliveryAttempt } from '../../db/webhook-endpoints.repository';
import { isStorableText } from '../../domain/lead-command.schemas';
import { PUBLIC_EVENTS_VERSION, publicEventTypes } from '../../domain/public-events';
import type { AppDeps } from '../app-deps';
import { ApiError } from '../errors';
import { LeadId } from '../schemas';
import { guard, parse } from './route-support';
import {
  DEFAULT_WEBHOOK_DISABLE_AFTER_MS,
  existingEndpoint,
  WEBHOOK_ENDPOINTS_OPENAPI_TAG,
  WEBHOOK_ENDPOINTS_PATH,
  webhookEndpointErrors,
  WebhookEndpointId,
  WebhookEndpointPathParams,
} from './webhook-endpoints.routes';

/*
 * An endpoint's deliveries: POST …/{id}/test sends one signed `webhook.test` message now and says what
 * came of it; GET …/{id}/deliveries pages through the attempt log (the dispatcher's attempts and the
 * tests), newest first. The log holds no payloads: ids, status codes, Leadflow's error text, timings.
 */

export const WEBHOOK_TEST_EVENT_TYPE = 'webhook.test';

// ---------------------------------------------------------------------------------------------------------
// The contract

export const WebhookTestEvent = z
  .object({
    id: z.string().openapi({ description: 'The `webhook-id` of this message: `evt_test_` + random hex, new for every test.' }),
    type: z.literal(WEBHOOK_TEST_EVENT_TYPE),
    version: z.literal(PUBLIC_EVENTS_VERSION),
    occurredAt: z.iso.datetime({ offset: true }),
    data: z.object({ endpointId: WebhookEndpointId, message: z.string() }),
  })
  .openapi('WebhookTestEvent', {
    description: 'What POST /v1/webhook-endpoints/{id}/test sends. It belongs to no lead, and goes out whatever the endpoint subscribes to.',
  });

export const WebhookTestResult = z
  .object({
    id: z.string().openapi({ description: 'The `webhook-id` sent.' }),
    delivered: z.boolean().openapi({ description: 'The receiver answered 2xx (redirects are not followed).' }),
    statusCode: z.number().int().nullable().openapi({ description: 'null when no answer came.' }),
    durationMs: z.number().int(),
    error: z.string().optional().openapi({ description: 'Why it was not delivered, e.g. `answered 500`, `no answer within 10000 ms`, `could not connect: ECONNREFUSED`.' }),
  })
  .openapi('WebhookTestResult');

const DeliveryCursor = z
  .string()
  .max(100)
  .regex(/^[A-Za-z0-9_-]+$/)
  .openapi({ description: 'Opaque: the `nextCursor` of the previous page.' });

export const DeliveriesQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ description: 'Attempts per page, 1-200.' }),
    cursor: DeliveryCursor.optional(),
    // A NUL reached PostgreSQL and was a 500 (found next to the description's by npm run fuzz).
    eventId: z
      .string()
      .min(1)
      .max(200)
      .refine(isStorableText, 'must not contain NUL or unpaired surrogate characters')
      .optional()
      .openapi({ description: 'Only the attempts of this event (its `webhook-id`).' }),
  })
  .strict();

export const WebhookDeliveryAttempt = z
  .object({
    id: z.number().int(),
    endpointId: WebhookEndpointId,
    eventId: z.string(),
    eventType: z.enum([...publicEventTypes, WEBHOOK_TEST_EVENT_TYPE]),
    // A union, not LeadId.nullable(): zod-to-openapi renders that as allOf[LeadId, {type: [string, null]}],
    // which no null satisfies (found by npm run fuzz).
    leadId: z.union([LeadId, z.null()]).openapi({ description: 'null for `webhook.test`.' }),
    seq: z.number().int().nullable().openapi({ description: 'The event\'s seq in its lead; null for `webhook.test`.' }),
    attempt: z.number().int().min(1).openapi({ description: '1 for the event\'s first attempt to this endpoint.' }),
    attemptedAt: z.iso.datetime({ offset: true }),
    statusCode: z.number().int().nullable().openapi({ description: 'null when no answer came.' }),
    error: z.string().nullable().openapi({ description: 'Leadflow\'s words for what went wrong, never the receiver\'s answer; null when delivered.' }),
    durationMs: z.number().int(),
    delivered: z.boolean(),
    redelivery: z.boolean().openapi({ description: 'An operator asked for it, rather than the dispatcher\'s own retry.' }),
  })
  .openapi('WebhookDeliveryAttempt');

export const WebhookDeliveryPage = z
  .object({
    items: z.array(WebhookDeliveryAttempt),
    nextCursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next (older) page; null on the last.' }),
  })
  .openapi('WebhookDeliveryPage');

/** One event again, or every event recorded in a time range (at most 7 days, at most 1,000 events). */
export const RedeliverBody = z
  .union([
    z.strictObject({ eventId: z.string().regex(/^evt_[0-9a-f]{32}_\d+$/, 'an event id: evt_<lead hash>_<seq>') }),
    z
      .strictObject({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) })
      .refine((r) => Date.parse(r.to) > Date.parse(r.from), { message: '`to` must be after `from`', path: ['to'] })
      .refine((r) => Date.parse(r.to) - Date.parse(r.from) <= 7 * 86_400_000, { message: 'at most 7 days at a time', path: ['to'] }),
  ])
  .openapi('RedeliverRequest', { description: '`{eventId}` for one event, or `{from, to}` for the events recorded in that range.' });

// ---------------------------------------------------------------------------------------------------------
// The routes

export function registerWebhookDeliveryRoutes(app: Express, deps: AppDeps): void {
  const admin = guard(app, deps, 'admin');

  app.post(`${WEBHOOK_ENDPOINTS_PATH}/:id/redeliver`, ...admin, async (req, res) => {
    const { id } = parse(WebhookEndpointPathParams, req.params);
    const selection = parse(RedeliverBody, req.body ?? {});
    await existingEndpoint(deps, id);
    await deps.client.withDeadline(Date.now() + deps.decisionTimeoutMs, () =>
      requestRedelivery(
        { client: deps.client, db: deps.db, taskQueue: deps.taskQueue, endpointId: id, disableAfterMs: deps.webhookDisableAfterMs ?? DEFAULT_WEBHOOK_DISABLE_AFTER_MS },
        selection,
      ),
    );
    deps.logger.info({ reqId: req.id, principal: req.principal?.keyId, endpointId: id, selection }, 'webhook redelivery requested');
    res.status(202).json({ endpointId: id, accepted: true });
  });

  app.post(`${WEBHOOK_ENDPOINTS_PATH}/:id/test`, ...admin, async (req, res) => {
    const { id } = parse(WebhookEndpointPathParams, req.params);
    const endpoint = await existingEndpoint(deps, id);
    const secret = await endpointSecret(deps.db, deps.keys, id);
    if (secret === undefined) throw ApiError.notFound(`Webhook endpoint ${id}`);
    const attemptedAt = new Date();
    const message: z.infer<typeof WebhookTestEvent> = {
      id: `evt_test_${randomBytes(12).toString('hex')}`,
      type: WEBHOOK_TEST_EVENT_TYPE,
      version: PUBLIC_EVENTS_VERSION,
      occurredAt: attemptedAt.toISOString(),
      data: { endpointId: id, message: 'A test from Leadflow: verify its signature with this endpoint\'s secret.' },
    };
    const result = await postSignedWebhook({ url: endpoint.url, secret, id: message.id, body: JSON.stringify(message), timestamp: attemptedAt });
    await recordDeliveryAttempt(deps.db, {
      endpointId: id,
      eventId: message.id,
      eventType: WEBHOOK_TEST_EVENT_TYPE,
      leadId: null,
      seq: null,
      attempt: 1,
      attemptedAt: attemptedAt.toISOString(),
      statusCode: result.statusCode,
      error: result.error ?? null,
      durationMs: result.durationMs,
      delivered: result.delivered,
    });
    res.json({ id: message.id, ...result });
  });

  app.get(`${WEBHOOK_ENDPOINTS_PATH}/:id/deliveries`, ...admin, async (req, res) => {
    const { id } = parse(WebhookEndpointPathParams, req.params);
    const query = parse(DeliveriesQuery, req.query);
    const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    await existingEndpoint(deps, id);
    const page = await listDeliveryAttempts(deps.db, id, {
      limit: query.limit,
      ...(before !== undefined ? { before } : {}),
      ...(query.eventId !== undefined ? { eventId: query.eventId } : {}),
    });
    res.json({ items: page.items, nextCursor: page.nextBefore === null ? null : encodeCursor(page.nextBefore) });
  });
}

function encodeCursor(before: number): string {
  return Buffer.from(`d1:${before}`, 'utf8').toString('base64url');
}

function decodeCursor(raw: string): number {
  const match = /^d1:(\d{1,15})$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  if (match) return Number(match[1]);
  throw new ApiError(400, 'invalid_request', 'The cursor is not one this API returned', [{ code: 'custom', path: ['cursor'], message: 'invalid cursor' }]);
}

// ---------------------------------------------------------------------------------------------------------
// OpenAPI

export function registerWebhookDeliveryOpenApi(registry: OpenAPIRegistry): void {
  const security = [{ bearerAuth: ['admin'] }];
  const tags = [WEBHOOK_ENDPOINTS_OPENAPI_TAG.name];
  const json = (schema: z.ZodType, description: string): ResponseConfig => ({ description, content: { 'application/json': { schema } } });
  registry.register('WebhookTestEvent', WebhookTestEvent);

  registry.registerPath({
    method: 'post',
    path: `${WEBHOOK_ENDPOINTS_PATH}/{id}/test`,
    operationId: 'testWebhookEndpoint',
    tags,
    summary: 'Send a signed test message to an endpoint now',
    description:
      'POSTs one `webhook.test` message (schema `WebhookTestEvent`) to the endpoint\'s URL, signed like every delivery, ' +
      `and answers with what came of it, after at most ${WEBHOOK_TIMEOUT_MS / 1000} s. Sent also to a disabled endpoint, ` +
      'so a receiver can be checked before delivery resumes. Not retried; recorded in the delivery log.',
    security,
    request: { params: WebhookEndpointPathParams },
    responses: {
      200: json(WebhookTestResult, 'Sent, delivered or not: `delivered` says which.'),
      ...webhookEndpointErrors({
        400: '`invalid_request`: the id does not match the schema.',
        404: '`not_found`: no endpoint with this id.',
        413: '`payload_too_large`: the body is larger than 1 MB.',
        415: '`unsupported_media_type`: send `Content-Type: application/json` (or no body).',
      }),
    },
  });
  registry.registerPath({
    method: 'post',
    path: `${WEBHOOK_ENDPOINTS_PATH}/{id}/redeliver`,
    operationId: 'redeliverWebhookEvents',
    tags,
    summary: 'Send one event, or a time range of events, to an endpoint once more',
    description:
      'The endpoint\'s dispatcher sends the chosen events again (with their own `webhook-id`s, so receivers drop what they ' +
      'already have), each once, logged with `redelivery: true`; events of types the endpoint does not take are left out.',
    security,
    request: { params: WebhookEndpointPathParams, body: { required: true, content: { 'application/json': { schema: RedeliverBody } } } },
    responses: {
      202: json(z.object({ endpointId: WebhookEndpointId, accepted: z.literal(true) }), 'Queued with the endpoint\'s dispatcher.'),
      ...webhookEndpointErrors({
        400: '`invalid_request`: neither one event id nor a valid time range.',
        404: '`not_found`: no endpoint with this id.',
        413: '`payload_too_large`: the body is larger than 1 MB.',
        415: '`unsupported_media_type`: send `Content-Type: application/json`.',
        503: '`unavailable`: Temporal did not answer; nothing was queued, retry.',
      }),
    },
  });
  registry.registerPath({
    method: 'get',
    path: `${WEBHOOK_ENDPOINTS_PATH}/{id}/deliveries`,
    operationId: 'listWebhookDeliveries',
    tags,
    summary: 'An endpoint\'s delivery attempts, newest first',
    description:
      'Every attempt to deliver an event to this endpoint (the first and each retry, all with the event\'s `eventId`) and every test, ' +
      'newest first; pass `nextCursor` back as `cursor` for older ones. Nothing personal is kept: no payloads, no answer bodies.',
    security,
    request: { params: WebhookEndpointPathParams, query: DeliveriesQuery },
    responses: {
      200: json(WebhookDeliveryPage, 'A page of attempts.'),
      ...webhookEndpointErrors({
        400: '`invalid_request`: the id, limit or cursor does not match the schema.',
        404: '`not_found`: no endpoint with this id.',
      }),
    },
  });
}
