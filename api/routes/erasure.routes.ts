import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { Express } from 'express';
import { z } from 'zod';
import { erasureWorkflowIdForLead } from '../../client/lead-id';
import { findErasureReceipt } from '../../db/erasure.repository';
import { eraseLeadSchema, isStorableText } from '../../domain/lead-command.schemas';
import { erasedParts, type ErasureReceipt, type ErasureRequest } from '../../domain/personal-data';
import { leadErasureWorkflow } from '../../workflows/lead-erasure.workflow';
import type { AppDeps } from '../app-deps';
import { ApiError } from '../errors';
import { ErrorResponse, LeadId, LeadPathParams } from '../schemas';
import { isTimeout } from '../temporal-errors';
import { guard, parse, projectedState, workflowDeadline } from './route-support';

/*
 * POST /v1/leads/{leadId}/erasure: erase the person behind a lead (GDPR art. 17), for the privacy
 * officer. The erasure runs as its own workflow (workflows/lead-erasure.workflow.ts), so once asked for
 * it completes even if this request times out; asking again answers the same receipt.
 */

export const ErasureBody = z
  .object({
    // The erasure workflow checks requestedBy with the domain's schema: text it refuses (NUL, a lone surrogate)
    // must be a 400 here, or the erasure would start, retry forever and answer 503 (found by npm run fuzz).
    requestedBy: eraseLeadSchema.shape.requestedBy.meta({ description: 'Who asked for the erasure (the privacy officer, a ticket queue): not the person.', example: 'privacy-officer' }),
    reason: z.string().trim().min(1).max(500).refine(isStorableText, 'must not contain NUL or unpaired surrogate characters').optional().openapi({ description: 'A reference for the record, such as the request ticket. Put nothing personal here.', example: 'DSR-2026-0142' }),
  })
  .strict()
  .openapi('ErasureRequest');

export const ErasureReceiptSchema = z
  .object({
    leadId: LeadId,
    erasedAt: z.iso.datetime({ offset: true }),
    requestedBy: z.string(),
    reason: z.string().optional(),
    erased: z.array(z.enum(erasedParts)).openapi({
      description:
        '`data_key`: the lead\'s data key is destroyed, so every payload of the lead in Temporal histories, backups and archives, ' +
        'and every sealed field in `lead_events`, can no longer be read. `lead_events.personal`: the sealed personal fields are ' +
        'removed. `leads.profile`: name, email, phone, company, job title and consent are removed from the read model. ' +
        '`idempotency_keys`: stored API answers about the lead are deleted. `lead_workflow`: its timers stopped, queued engagement ' +
        'and undelivered notifications dropped, its workflow ended.',
    }),
  })
  .openapi('ErasureReceipt');

export function registerErasureRoutes(app: Express, deps: AppDeps): void {
  app.post('/v1/leads/:leadId/erasure', ...guard(app, deps, 'admin'), async (req, res) => {
    const { leadId } = parse(LeadPathParams, req.params);
    const body = parse(ErasureBody, req.body ?? {});
    const done = await findErasureReceipt(deps.db, leadId);
    if (done) {
      res.status(200).json(done);
      return;
    }
    if (!(await projectedState(deps, leadId))) throw ApiError.notFound(`Lead ${leadId}`);
    const request: ErasureRequest = { leadId, requestedBy: body.requestedBy, ...(body.reason !== undefined ? { reason: body.reason } : {}), requestedAt: new Date().toISOString() };
    let receipt: ErasureReceipt;
    try {
      receipt = await deps.client.withDeadline(workflowDeadline(deps), () =>
        deps.client.workflow.execute(leadErasureWorkflow, {
          workflowId: erasureWorkflowIdForLead(leadId),
          taskQueue: deps.taskQueue,
          args: [request],
          // A request while an erasure of this lead runs joins it; the receipt check above answers later ones.
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        }),
      );
    } catch (err) {
      if (!isTimeout(err)) throw err;
      res.setHeader('Retry-After', '5');
      throw new ApiError(
        503,
        'unavailable',
        'The erasure has started but did not finish in time (Temporal or the worker is slow or down). It will finish ' +
          'on its own; repeat this request for its receipt.',
      );
    }
    res.status(200).json(receipt);
  });
}

export function registerErasureOpenApi(registry: OpenAPIRegistry): void {
  const error = (description: string): ResponseConfig => ({ description, content: { 'application/json': { schema: ErrorResponse } } });
  registry.registerPath({
    method: 'post',
    path: '/v1/leads/{leadId}/erasure',
    operationId: 'eraseLead',
    tags: ['privacy'],
    summary: 'Erase the person behind a lead (GDPR art. 17)',
    description:
      'The lead records `LeadErased` (nothing personal in it), stops every timer and its workflow ends; its data key is ' +
      'destroyed, which makes every copy of its data in Temporal unreadable; every personal field is removed from the ' +
      'database. The facts stay (stages and dates, scores, reasons, owner, source, policy version), so reports give the ' +
      'same numbers. Works for open and closed leads. Idempotent: asking again answers the same receipt. Afterwards ' +
      '`GET /v1/leads/{leadId}` answers 410, and a new form fill from the same email starts a new lead.',
    security: [{ bearerAuth: ['admin'] }],
    request: { params: LeadPathParams, body: { required: true, content: { 'application/json': { schema: ErasureBody } } } },
    responses: {
      200: { description: 'Erased (now or before): the receipt.', content: { 'application/json': { schema: ErasureReceiptSchema } } },
      400: error('`invalid_request`: the body or the lead id does not match the schema.'),
      401: error('`unauthorized`: no or an unknown API key.'),
      403: error('`forbidden`: the key lacks the `admin` scope.'),
      404: error('`not_found`: no lead with this id.'),
      413: error('`payload_too_large`: the body is larger than 1 MB.'),
      415: error('`unsupported_media_type`: send `Content-Type: application/json`.'),
      429: error('`rate_limited`: too many requests for this API key.'),
      503: error('`unavailable`: the erasure started but did not finish in time; it finishes on its own, repeat the request for the receipt.'),
    },
  });
}
