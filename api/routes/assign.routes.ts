import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { Express } from 'express';
import { z } from 'zod';
import { reassignLeadSchema } from '../../domain/lead-command.schemas';
import { reassignUpdate } from '../../workflows/lead.messages';
import type { AppDeps } from '../app-deps';
import { ErrorResponse, IdempotencyHeaders, LeadPathParams, LeadResponse } from '../schemas';
import { registerLeadUpdateRoute } from './decisions.routes';

/*
 * POST /v1/leads/{leadId}/assign: a manager gives an MQL or a SAL to another rep by hand. One Update of
 * the lead workflow (`reassign`), recorded as LeadAssigned with `by` (the manager), `previousOwner` and
 * `reason`, and published as `lead.assigned`; the new owner gets a fresh SLA window of the stage, as the
 * policy counts it. Scope `manager` (or `admin`).
 */

export const AssignBody = z
  .strictObject({
    owner: reassignLeadSchema.shape.owner.meta({ description: "The rep who takes the lead: one of the lead policy's reps, or its manager.", example: 'rep-grace' }),
    by: reassignLeadSchema.shape.by.meta({ description: 'The manager reassigning the lead (recorded and published as `by`).', example: 'manager-margaret' }),
    reason: reassignLeadSchema.shape.reason.meta({
      description: 'A short reason for the record, published with `lead.assigned`: put nothing personal here.',
      example: 'rep-ada is on leave',
    }),
  })
  .openapi('AssignLead');

export function registerAssignRoutes(app: Express, deps: AppDeps): void {
  registerLeadUpdateRoute(app, deps, { segment: 'assign', operation: 'reassign', scope: 'manager' }, AssignBody, reassignUpdate);
}

export function registerAssignOpenApi(registry: OpenAPIRegistry): void {
  const error = (description: string, headers?: ResponseConfig['headers']): ResponseConfig => ({
    description,
    ...(headers ? { headers } : {}),
    content: { 'application/json': { schema: ErrorResponse } },
  });
  const retryAfter = { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' as const } } };
  registry.registerPath({
    method: 'post',
    path: '/v1/leads/{leadId}/assign',
    operationId: 'assignLead',
    tags: ['decisions'],
    summary: 'Reassign an MQL or a SAL to another rep (managers)',
    description:
      'Gives the lead to `owner` with a fresh SLA window of its stage for the new owner (counted as the policy counts it), ' +
      'recorded as `LeadAssigned` with `by`, `previousOwner` and `reason` and published as `lead.assigned`. Breaches ' +
      'so far stay counted. Allowed in MQL and SAL. From then on only the new owner\'s rep-bound key may decide on the lead.\n\n' +
      'One Temporal Update of the lead workflow, refused before anything is recorded when the stage does not allow it. ' +
      'Answers with the lead as it is afterwards. See 503 for what a timeout means.',
    security: [{ bearerAuth: ['manager'] }],
    request: { params: LeadPathParams, headers: IdempotencyHeaders, body: { required: true, content: { 'application/json': { schema: AssignBody } } } },
    responses: {
      200: { description: 'Reassigned; the lead as it is now.', content: { 'application/json': { schema: LeadResponse } } },
      400: error('`invalid_request`: the body, path or query does not match the schema (`details` lists the issues), or `invalid_json`.'),
      401: error('`unauthorized`: no or an unknown API key.'),
      403: error('`forbidden`: the key lacks the `manager` scope (`admin` implies it).'),
      404: error('`not_found`: no lead with this id.'),
      409: error(
        '`transition_not_allowed`: `details.reason` `STAGE_DOES_NOT_ALLOW` (only an MQL or a SAL can be reassigned; ' +
          '`details.stage` says where the lead is), `ALREADY_OWNER` (the lead is `owner`\'s already) or `UNKNOWN_OWNER` ' +
          "(`owner` is neither a rep nor the manager of the lead's policy). `lead_closed`: the lead is won or disqualified.",
      ),
      410: error('`lead_erased`: the person behind the lead was erased; `details` is the tombstone `{leadId, erasedAt}`.'),
      413: error('`payload_too_large`: the body is larger than 1 MB.'),
      415: error('`unsupported_media_type`: send `Content-Type: application/json`.'),
      422: error('`idempotency_key_reused`: this Idempotency-Key was used for a different request (method, path or body).'),
      429: error('`rate_limited`: too many requests for this API key.', retryAfter),
      503: error(
        '`unavailable`: the lead did not answer within the deadline. The reassignment **may still be applied** when the worker is ' +
          'back; retrying with the same Idempotency-Key is safe.',
        retryAfter,
      ),
    },
  });
}
