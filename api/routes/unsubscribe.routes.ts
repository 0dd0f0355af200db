import type { Express } from 'express';
import { unsubscribeSignal } from '../../workflows/lead.messages';
import type { AppDeps } from '../app-deps';
import { LeadPathParams, type UnsubscribeAccepted } from '../schemas';
import { guard, idempotent, parse, signalLead } from './route-support';

/**
 * POST /v1/leads/{leadId}/unsubscribe: the person opted out of marketing (an email preference centre, a
 * list-unsubscribe webhook). Delivered as the lead's `unsubscribe` Signal, so it is accepted at once and
 * applied asynchronously; sending it again changes nothing. No body.
 */
export function registerUnsubscribeRoutes(app: Express, deps: AppDeps): void {
  app.post(
    '/v1/leads/:leadId/unsubscribe',
    ...guard(app, deps, 'intake'),
    idempotent(deps, 'unsubscribe', async (req, res) => {
      const { leadId } = parse(LeadPathParams, req.params);
      await signalLead(deps, res, leadId, (lead) => lead.signal(unsubscribeSignal));
      const body: UnsubscribeAccepted = { leadId };
      return { status: 202, body };
    }),
  );
}
