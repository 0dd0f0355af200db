import type { Express } from 'express';
import { engagementSignal } from '../../workflows/lead.messages';
import type { AppDeps } from '../app-deps';
import { EngagementBody, LeadPathParams } from '../schemas';
import { guard, idempotent, parse, signalLead } from './route-support';

/**
 * POST /v1/leads/{leadId}/engagements: one engagement event or a batch, delivered as one signal. The
 * lead scores them asynchronously; re-delivered event ids are dropped by the lead itself.
 */
export function registerEngagementRoutes(app: Express, deps: AppDeps): void {
  app.post(
    '/v1/leads/:leadId/engagements',
    ...guard(app, deps, 'intake'),
    idempotent(deps, 'recordEngagement', async (req, res) => {
      const { leadId } = parse(LeadPathParams, req.params);
      const body = parse(EngagementBody, req.body);
      const engagements = 'events' in body ? body.events : [body];
      await signalLead(deps, res, leadId, (lead) => lead.signal(engagementSignal, { engagements }));
      return { status: 202, body: { leadId, accepted: engagements.length } };
    }),
  );
}
