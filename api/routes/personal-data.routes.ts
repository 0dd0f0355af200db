import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { Express } from 'express';
import { z } from 'zod';
import { loadEvents } from '../../db/lead-events.repository';
import { personalDataReport } from '../../domain/personal-data';
import { keyStoreSealer } from '../../encryption';
import type { AppDeps } from '../app-deps';
import { ErrorResponse, LeadId, LeadPathParams } from '../schemas';
import { existingLead, guard, parse } from './route-support';

/*
 * GET /v1/leads/{leadId}/personal-data: everything Leadflow holds about the person behind a lead
 * (GDPR art. 15), for the privacy officer answering an access request: the profile, consent records,
 * form fills, engagement and the decisions sales made about them, from the read model and the lead's
 * events (their sealed personal fields opened with the lead's key).
 */

const Entry = z.record(z.string(), z.unknown());
export const PersonalData = z
  .object({
    leadId: LeadId,
    generatedAt: z.iso.datetime({ offset: true }),
    profile: Entry.openapi({ description: 'What the person told us: email, names, phone, company, job title, firmographics.' }),
    source: Entry.nullable(),
    lifecycle: Entry.openapi({ description: 'Stage, owner, scores, the date each stage was reached, recycles, unsubscribed.' }),
    consent: z.array(Entry).openapi({ description: 'Each lawful basis a form recorded, with its wording, when and on which form.' }),
    formFills: z.array(Entry),
    engagement: z.array(Entry),
    decisions: z.array(Entry).openapi({ description: 'Assignments, SLA breaches, accept/reject/qualify/close/disqualify with reasons, reps and notes, recycles, unsubscribe.' }),
  })
  .openapi('PersonalData');

export function registerPersonalDataRoutes(app: Express, deps: AppDeps): void {
  app.get('/v1/leads/:leadId/personal-data', ...guard(app, deps, 'admin'), async (req, res) => {
    const { leadId } = parse(LeadPathParams, req.params);
    const state = await existingLead(deps, leadId);
    const events = await loadEvents(deps.db, keyStoreSealer(deps.keys), leadId);
    res.json({ ...personalDataReport(state, events), generatedAt: new Date().toISOString() });
  });
}

export function registerPersonalDataOpenApi(registry: OpenAPIRegistry): void {
  const error = (description: string): ResponseConfig => ({ description, content: { 'application/json': { schema: ErrorResponse } } });
  registry.registerPath({
    method: 'get',
    path: '/v1/leads/{leadId}/personal-data',
    operationId: 'getPersonalData',
    tags: ['privacy'],
    summary: 'Everything held about the person behind a lead (GDPR art. 15)',
    description: 'Profile, consent records, form fills, engagement and decisions, as JSON. An erased lead answers 410.',
    security: [{ bearerAuth: ['admin'] }],
    request: { params: LeadPathParams },
    responses: {
      200: { description: 'All that Leadflow holds about the person.', content: { 'application/json': { schema: PersonalData } } },
      400: error('`invalid_request`: the lead id does not match the schema.'),
      401: error('`unauthorized`: no or an unknown API key.'),
      403: error('`forbidden`: the key lacks the `admin` scope.'),
      404: error('`not_found`: no lead with this id.'),
      410: error('`lead_erased`: the person was erased; `details` is the tombstone `{leadId, erasedAt}`.'),
      429: error('`rate_limited`: too many requests for this API key.'),
    },
  });
}
