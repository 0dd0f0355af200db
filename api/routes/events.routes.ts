import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { Express } from 'express';
import { z } from 'zod';
import { decodeOutboxCursor, encodeOutboxCursor, readOutbox } from '../../db/outbox.repository';
import { PUBLIC_EVENTS_VERSION, publicEventTypes, type PublicEventType } from '../../domain/public-events';
import { anyPublicEventSchema, publicEventSchema } from '../../domain/public-events.schemas';
import { keyStoreSealer } from '../../encryption';
import type { AppDeps } from '../app-deps';
import { ApiError } from '../errors';
import { ErrorResponse, LeadId } from '../schemas';
import { guard, parse } from './route-support';

/*
 * GET /v1/events: the public events in order, for a consumer that reconciles (or was down): it keeps
 * the cursor of the last page and asks for what came after. The same events the webhooks deliver.
 */

const typeList = z
  .string()
  .transform((s) => s.split(',').map((t) => t.trim()).filter((t) => t !== ''))
  .pipe(z.array(z.enum(publicEventTypes)).min(1));

export const EventsQuery = z
  .object({
    after: z.string().max(200).optional().openapi({ description: 'The `nextCursor` of the previous page; absent = from the first event.' }),
    types: typeList.optional().openapi({ description: 'Comma-separated public event types; absent = every type.', example: 'lead.mql,lead.won', type: 'string' }),
    leadId: LeadId.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

export const EventsPage = z
  .object({
    events: z.array(anyPublicEventSchema),
    nextCursor: z.string().nullable().openapi({ description: 'Ask with `after=` this to continue; null only when there are no events at all yet.' }),
    hasMore: z.boolean().openapi({ description: 'True when the page is full: ask again at once.' }),
  })
  .openapi('EventsPage');

export function registerEventRoutes(app: Express, deps: AppDeps): void {
  app.get('/v1/events', ...guard(app, deps, 'read'), async (req, res) => {
    const query = parse(EventsQuery, req.query);
    const after = query.after === undefined ? undefined : decodeOutboxCursor(query.after);
    if (query.after !== undefined && !after) {
      throw new ApiError(400, 'invalid_request', 'The cursor is not one this API returned', [{ code: 'custom', path: ['after'], message: 'invalid cursor' }]);
    }
    const page = await readOutbox(deps.db, keyStoreSealer(deps.keys), {
      ...(after ? { after } : {}),
      ...(query.types ? { types: query.types } : {}),
      ...(query.leadId !== undefined ? { leadId: query.leadId } : {}),
      limit: query.limit,
    });
    const last = page.at(-1);
    res.json({
      events: page.map((e) => e.event),
      nextCursor: last ? encodeOutboxCursor(last.cursor) : (query.after ?? null),
      hasMore: page.length === query.limit,
    });
  });
}

const typeName = (type: PublicEventType) => `${type.replace('lead.', 'Lead_').replace(/(^|_)(\w)/g, (_m, _s: string, c: string) => c.toUpperCase())}Event`;

export function registerEventsOpenApi(registry: OpenAPIRegistry): void {
  const error = (description: string): ResponseConfig => ({ description, content: { 'application/json': { schema: ErrorResponse } } });
  registry.registerPath({
    method: 'get',
    path: '/v1/events',
    operationId: 'listEvents',
    tags: ['events'],
    summary: 'The public events in order, to reconcile or catch up',
    description:
      `The events the webhooks deliver (catalogue version ${PUBLIC_EVENTS_VERSION}, see \`webhooks\`), in one global order ` +
      'that keeps each lead\'s events in seq order. Keep `nextCursor` and ask with `after=` for what came next: every ' +
      'event is returned exactly once across pages, also while new ones arrive. An erased lead\'s events carry nothing personal.',
    security: [{ bearerAuth: ['read'] }],
    request: { query: EventsQuery },
    responses: {
      200: { description: 'A page of events, oldest first.', content: { 'application/json': { schema: EventsPage } } },
      400: error('`invalid_request`: an unknown type, a bad cursor or limit.'),
      401: error('`unauthorized`: no or an unknown API key.'),
      403: error('`forbidden`: the key lacks the `read` scope.'),
      429: error('`rate_limited`: too many requests for this API key.'),
    },
  });
  for (const type of publicEventTypes) {
    registry.registerWebhook({
      method: 'post',
      path: type,
      operationId: `webhook_${type.replace('.', '_')}`,
      tags: ['events'],
      summary: `${type}: delivered to the endpoints subscribed to it`,
      description:
        'POSTed as JSON with the Standard Webhooks headers `webhook-id` (the event id: your idempotency key), ' +
        '`webhook-timestamp` and `webhook-signature` (verify with the `standardwebhooks` library and the endpoint\'s ' +
        'secret). At least once, per lead in seq order; any 2xx acknowledges.',
      request: { body: { content: { 'application/json': { schema: publicEventSchema(type).openapi(typeName(type)) } } } },
      responses: { 200: { description: 'Any 2xx acknowledges the event; anything else (or no answer in 10 s) is retried.' } },
    });
  }
}
