import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { Express, Response } from 'express';
import { z } from 'zod';
import {
  createEndpoint,
  deleteEndpoint,
  findEndpoint,
  listEndpoints,
  rotateEndpointSecret,
  updateEndpoint,
  type WebhookEndpoint,
} from '../../db/webhook-endpoints.repository';
import { isStorableText } from '../../domain/lead-command.schemas';
import { publicEventTypes } from '../../domain/public-events';
import type { AppDeps } from '../app-deps';
import { ApiError } from '../errors';
import { ErrorResponse } from '../schemas';
import { guard, parse } from './route-support';
import { ensureDispatcher } from '../../client/webhook-dispatcher';

/*
 * /v1/webhook-endpoints (scope `admin`): where Leadflow delivers its public events, managed through the
 * API. Each endpoint subscribes to event types of the catalogue (domain/public-events.ts) and has its
 * own Standard Webhooks signing secret, shown once: in the answer that creates it and in the one that
 * rotates it. Delivery itself (the dispatcher) reads the endpoints from the database; the test message
 * and the attempt log are in webhook-deliveries.routes.ts.
 */

export const WEBHOOK_ENDPOINTS_PATH = '/v1/webhook-endpoints';
export const WEBHOOK_ENDPOINTS_OPENAPI_TAG = {
  name: 'webhook-endpoints',
  description: 'Where the public lead events are delivered, signed the Standard Webhooks way (scope `admin`).',
};

// ---------------------------------------------------------------------------------------------------------
// The contract

export const WebhookEndpointId = z
  .string()
  .regex(/^we_[a-z0-9_]{1,64}$/, 'an endpoint id is "we_" followed by lowercase letters, digits or _')
  .openapi('WebhookEndpointId', {
    description: '`we_` + 24 hex characters; `we_config` for the endpoint made from LEADFLOW_NOTIFY_WEBHOOK_URL.',
    example: 'we_5d0c3b9a1e7f42c68a0b1d2e',
  });

export const WebhookEndpointPathParams = z.object({ id: WebhookEndpointId });

export const WebhookUrl = z
  .string()
  .max(2048)
  .refine(isWebhookUrl, 'expected an absolute http or https URL, without user:password@ or a #fragment')
  .openapi({ format: 'uri', description: 'Where the events are POSTed: http or https.', example: 'https://crm.example.com/hooks/leadflow' });

const EventTypes = z
  .array(
    z.enum(publicEventTypes, {
      error: (issue) => `unknown event type ${JSON.stringify(issue.input)}; the catalogue has ${publicEventTypes.join(', ')}`,
    }),
  )
  .min(1)
  .max(100)
  .openapi({ description: 'The public event types to deliver (see `webhooks`); duplicates count once.', example: ['lead.mql', 'lead.assigned', 'lead.won'] });

// PostgreSQL text cannot hold NUL: such a description was a 500 (found by npm run fuzz).
const Description = z.string().trim().max(500).refine(isStorableText, 'must not contain NUL or unpaired surrogate characters').openapi({ description: 'What the endpoint is for, for the people who run it.', example: 'CRM sync' });

export const CreateWebhookEndpointBody = z
  .object({
    url: WebhookUrl,
    eventTypes: EventTypes,
    description: Description.optional(),
    enabled: z.boolean().default(true).openapi({ description: 'false creates it disabled: nothing is delivered until it is enabled.' }),
  })
  .strict()
  .openapi('CreateWebhookEndpoint');

export const UpdateWebhookEndpointBody = z
  .object({
    url: WebhookUrl.optional(),
    eventTypes: EventTypes.optional(),
    description: Description.nullable().optional().openapi({ description: 'null removes it.' }),
    enabled: z.boolean().optional().openapi({ description: 'true enables it again and clears `disabledReason`; false stops delivery.' }),
  })
  .strict()
  .openapi('UpdateWebhookEndpoint');

export const WebhookEndpointSchema = z
  .object({
    id: WebhookEndpointId,
    url: z.string().openapi({ format: 'uri' }),
    eventTypes: z.array(z.enum(publicEventTypes)),
    description: z.string().nullable(),
    enabled: z.boolean(),
    disabledReason: z.string().nullable().openapi({
      description: 'Why delivery stopped: after 24 h of failed attempts the dispatcher says so here; `disabled through the API` when an operator did it.',
    }),
    disabledAt: z.iso.datetime({ offset: true }).nullable(),
    source: z.enum(['api', 'config']).openapi({ description: '`config`: made at start-up from LEADFLOW_NOTIFY_WEBHOOK_URL (id `we_config`).' }),
    createdAt: z.iso.datetime({ offset: true }),
    updatedAt: z.iso.datetime({ offset: true }),
    links: z.object({ self: z.string(), deliveries: z.string(), test: z.string(), rotateSecret: z.string() }),
  })
  .openapi('WebhookEndpoint');

const Secret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/)
  .openapi({
    description:
      'The Standard Webhooks signing secret, `whsec_` + base64 of 32 random bytes. **Shown only in this answer**: keep it ' +
      'in the receiver, which verifies every delivery with it (`new Webhook(secret).verify(body, headers)`).',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw9X4E2nN4yqg=',
  });

export const CreatedWebhookEndpoint = WebhookEndpointSchema.extend({ secret: Secret }).openapi('CreatedWebhookEndpoint');
export const WebhookEndpointList = z.object({ items: z.array(WebhookEndpointSchema) }).openapi('WebhookEndpointList');
export const RotatedWebhookSecret = z.object({ id: WebhookEndpointId, secret: Secret }).openapi('RotatedWebhookSecret');

export type WebhookEndpointView = z.infer<typeof WebhookEndpointSchema>;

export function endpointView(endpoint: WebhookEndpoint): WebhookEndpointView {
  const self = `${WEBHOOK_ENDPOINTS_PATH}/${endpoint.id}`;
  return { ...endpoint, links: { self, deliveries: `${self}/deliveries`, test: `${self}/test`, rotateSecret: `${self}/rotate-secret` } };
}

/** The endpoint, or a 404 that names it. */
export async function existingEndpoint(deps: Pick<AppDeps, 'db'>, id: string): Promise<WebhookEndpoint> {
  const endpoint = await findEndpoint(deps.db, id);
  if (!endpoint) throw ApiError.notFound(`Webhook endpoint ${id}`);
  return endpoint;
}

/** What start-up would overwrite on the config endpoint is refused, so the API never pretends to change it. */
function managedByConfig(what: string): ApiError {
  return new ApiError(
    409,
    'managed_by_config',
    `The endpoint we_config is made from LEADFLOW_NOTIFY_WEBHOOK_URL and LEADFLOW_NOTIFY_WEBHOOK_SECRET at start-up: change its ${what} there`,
  );
}

/** A secret is in the answer: no cache may keep it. */
function noStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
}

// ---------------------------------------------------------------------------------------------------------
// The routes

export function registerWebhookEndpointRoutes(app: Express, deps: AppDeps): void {
  const admin = guard(app, deps, 'admin');

  app.post(WEBHOOK_ENDPOINTS_PATH, ...admin, async (req, res) => {
    const body = parse(CreateWebhookEndpointBody, req.body ?? {});
    const { endpoint, secret } = await createEndpoint(deps.db, deps.keys, {
      url: normaliseUrl(body.url),
      eventTypes: body.eventTypes,
      description: body.description ?? null,
      enabled: body.enabled,
    });
    deps.logger.info({ reqId: req.id, principal: req.principal?.keyId, endpointId: endpoint.id }, 'webhook endpoint created');
    await startDelivery(deps, endpoint.id);
    noStore(res);
    res.status(201).location(`${WEBHOOK_ENDPOINTS_PATH}/${endpoint.id}`).json({ ...endpointView(endpoint), secret });
  });

  app.get(WEBHOOK_ENDPOINTS_PATH, ...admin, async (_req, res) => {
    const endpoints = await listEndpoints(deps.db);
    res.json({ items: endpoints.map(endpointView) });
  });

  app.get(`${WEBHOOK_ENDPOINTS_PATH}/:id`, ...admin, async (req, res) => {
    const { id } = parse(WebhookEndpointPathParams, req.params);
    res.json(endpointView(await existingEndpoint(deps, id)));
  });

  app.patch(`${WEBHOOK_ENDPOINTS_PATH}/:id`, ...admin, async (req, res) => {
    const { id } = parse(WebhookEndpointPathParams, req.params);
    const body = parse(UpdateWebhookEndpointBody, req.body ?? {});
    const current = await existingEndpoint(deps, id);
    if (current.source === 'config' && (body.url !== undefined || body.eventTypes !== undefined)) throw managedByConfig('URL and event types');
    const updated = await updateEndpoint(deps.db, id, {
      ...(body.url !== undefined ? { url: normaliseUrl(body.url) } : {}),
      ...(body.eventTypes !== undefined ? { eventTypes: body.eventTypes } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
    });
    if (!updated) throw ApiError.notFound(`Webhook endpoint ${id}`);
    deps.logger.info({ reqId: req.id, principal: req.principal?.keyId, endpointId: id, changed: Object.keys(body) }, 'webhook endpoint updated');
    // Its dispatcher reads the endpoint afresh at each pass; waking it applies a change (or a
    // re-enable) at once instead of at its next pass.
    await startDelivery(deps, id);
    res.json(endpointView(updated));
  });

  app.delete(`${WEBHOOK_ENDPOINTS_PATH}/:id`, ...admin, async (req, res) => {
    const { id } = parse(WebhookEndpointPathParams, req.params);
    if (!(await deleteEndpoint(deps.db, id))) throw ApiError.notFound(`Webhook endpoint ${id}`);
    deps.logger.info({ reqId: req.id, principal: req.principal?.keyId, endpointId: id }, 'webhook endpoint deleted');
    res.status(204).end();
  });

  app.post(`${WEBHOOK_ENDPOINTS_PATH}/:id/rotate-secret`, ...admin, async (req, res) => {
    const { id } = parse(WebhookEndpointPathParams, req.params);
    const current = await existingEndpoint(deps, id);
    if (current.source === 'config') throw managedByConfig('secret');
    const secret = await rotateEndpointSecret(deps.db, deps.keys, id);
    if (secret === undefined) throw ApiError.notFound(`Webhook endpoint ${id}`);
    deps.logger.info({ reqId: req.id, principal: req.principal?.keyId, endpointId: id }, 'webhook endpoint secret rotated');
    noStore(res);
    res.json({ id, secret });
  });
}

/** The default of `webhookDisableAfterMs`: an endpoint failing for a day is disabled. */
export const DEFAULT_WEBHOOK_DISABLE_AFTER_MS = 24 * 3_600_000;

/**
 * Starts (or wakes) the endpoint's dispatcher workflow. The endpoint is already stored: if Temporal
 * does not answer now, its deliveries begin when the worker next starts (it starts every enabled
 * endpoint's dispatcher) or at the endpoint's next change, from the endpoint's own start cursor, so no
 * event is missed either way.
 */
export async function startDelivery(deps: AppDeps, endpointId: string): Promise<void> {
  try {
    await deps.client.withDeadline(Date.now() + deps.decisionTimeoutMs, () =>
      ensureDispatcher({
        client: deps.client,
        db: deps.db,
        taskQueue: deps.taskQueue,
        endpointId,
        disableAfterMs: deps.webhookDisableAfterMs ?? DEFAULT_WEBHOOK_DISABLE_AFTER_MS,
      }),
    );
  } catch (err) {
    deps.logger.warn({ err, endpointId }, 'webhook dispatcher not started now: it starts with the worker or at the next change');
  }
}

/** http(s), absolute, no credentials (the URL is shown on every read), no fragment (never sent). */
export function isWebhookUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '' && url.hash === '' && !value.endsWith('#');
}

function normaliseUrl(value: string): string {
  return new URL(value).href;
}

// ---------------------------------------------------------------------------------------------------------
// OpenAPI

export function webhookEndpointErrors(extra: Record<number, string> = {}): Record<number, ResponseConfig> {
  const error = (description: string): ResponseConfig => ({ description, content: { 'application/json': { schema: ErrorResponse } } });
  return {
    401: error('`unauthorized`: no or an unknown API key.'),
    403: error('`forbidden`: the key lacks the `admin` scope.'),
    429: error('`rate_limited`: too many requests for this API key.'),
    ...Object.fromEntries(Object.entries(extra).map(([status, description]) => [status, error(description)])),
  };
}

const NOT_FOUND = '`not_found`: no endpoint with this id.';
const BAD_ID = '`invalid_request`: the id does not match the schema.';
const BODY_ERRORS = {
  413: '`payload_too_large`: the body is larger than 1 MB.',
  415: '`unsupported_media_type`: send `Content-Type: application/json`.',
};

export function registerWebhookEndpointOpenApi(registry: OpenAPIRegistry): void {
  const security = [{ bearerAuth: ['admin'] }];
  const tags = [WEBHOOK_ENDPOINTS_OPENAPI_TAG.name];
  const json = (schema: z.ZodType, description: string): ResponseConfig => ({ description, content: { 'application/json': { schema } } });
  const params = WebhookEndpointPathParams;

  registry.registerPath({
    method: 'post',
    path: WEBHOOK_ENDPOINTS_PATH,
    operationId: 'createWebhookEndpoint',
    tags,
    summary: 'Create a webhook endpoint',
    description:
      'Subscribes a URL to public event types. Every event of those types is POSTed to it as JSON, signed with the ' +
      'Standard Webhooks headers `webhook-id` (the event id, the same on every retry: the receiver\'s idempotency key), ' +
      '`webhook-timestamp` and `webhook-signature`. The answer holds the signing secret (`whsec_…`): **it is shown only ' +
      'here** (and by rotate-secret), never by a read.',
    security,
    request: { body: { required: true, content: { 'application/json': { schema: CreateWebhookEndpointBody } } } },
    responses: {
      201: {
        ...json(CreatedWebhookEndpoint, 'Created; the secret is in this answer only.'),
        headers: { Location: { description: 'The endpoint\'s URL in this API.', schema: { type: 'string' } } },
      },
      ...webhookEndpointErrors({ 400: '`invalid_request`: not an http(s) URL, an unknown event type (named in `details`), or an unknown field.', ...BODY_ERRORS }),
    },
  });
  registry.registerPath({
    method: 'get',
    path: WEBHOOK_ENDPOINTS_PATH,
    operationId: 'listWebhookEndpoints',
    tags,
    summary: 'Every webhook endpoint',
    description: 'Oldest first, without their secrets.',
    security,
    responses: { 200: json(WebhookEndpointList, 'The endpoints.'), ...webhookEndpointErrors() },
  });
  registry.registerPath({
    method: 'get',
    path: `${WEBHOOK_ENDPOINTS_PATH}/{id}`,
    operationId: 'getWebhookEndpoint',
    tags,
    summary: 'One webhook endpoint',
    description: 'Without its secret. `enabled`, `disabledReason` and `disabledAt` say whether events go out, and if not, why.',
    security,
    request: { params },
    responses: { 200: json(WebhookEndpointSchema, 'The endpoint.'), ...webhookEndpointErrors({ 400: BAD_ID, 404: NOT_FOUND }) },
  });
  registry.registerPath({
    method: 'patch',
    path: `${WEBHOOK_ENDPOINTS_PATH}/{id}`,
    operationId: 'updateWebhookEndpoint',
    tags,
    summary: 'Change a webhook endpoint',
    description:
      'Changes the fields given. `enabled: true` resumes delivery of a disabled endpoint and clears `disabledReason`; ' +
      '`enabled: false` stops it. The URL and event types of `we_config` come from the configuration (409).',
    security,
    request: { params, body: { required: true, content: { 'application/json': { schema: UpdateWebhookEndpointBody } } } },
    responses: {
      200: json(WebhookEndpointSchema, 'The endpoint as it is now.'),
      ...webhookEndpointErrors({
        400: '`invalid_request`: the id or the body does not match the schema (an unknown event type is named in `details`).',
        404: NOT_FOUND,
        409: '`managed_by_config`: the URL and event types of `we_config` are set by LEADFLOW_NOTIFY_WEBHOOK_URL.',
        ...BODY_ERRORS,
      }),
    },
  });
  registry.registerPath({
    method: 'delete',
    path: `${WEBHOOK_ENDPOINTS_PATH}/{id}`,
    operationId: 'deleteWebhookEndpoint',
    tags,
    summary: 'Delete a webhook endpoint',
    description:
      'Nothing more is delivered to it; its delivery log goes with it. `we_config` comes back at the next start-up while ' +
      'LEADFLOW_NOTIFY_WEBHOOK_URL is set.',
    security,
    request: { params },
    responses: { 204: { description: 'Deleted.' }, ...webhookEndpointErrors({ 400: BAD_ID, 404: NOT_FOUND }) },
  });
  registry.registerPath({
    method: 'post',
    path: `${WEBHOOK_ENDPOINTS_PATH}/{id}/rotate-secret`,
    operationId: 'rotateWebhookEndpointSecret',
    tags,
    summary: 'Replace an endpoint\'s signing secret',
    description:
      'A new secret signs every delivery from now on; the old one verifies nothing sent after this answer. The new ' +
      'secret is **shown only in this answer**. A delivery signed a moment before the rotation may still arrive with ' +
      'the old signature, so a receiver that accepts either secret for a few minutes misses nothing. `we_config`\'s secret is LEADFLOW_NOTIFY_WEBHOOK_SECRET (409).',
    security,
    request: { params },
    responses: {
      200: json(RotatedWebhookSecret, 'The new secret, shown once.'),
      ...webhookEndpointErrors({
        400: BAD_ID,
        404: NOT_FOUND,
        409: '`managed_by_config`: the secret of `we_config` is LEADFLOW_NOTIFY_WEBHOOK_SECRET.',
        ...BODY_ERRORS,
      }),
    },
  });
}
