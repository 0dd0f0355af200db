import type { Express } from 'express';
import { workflowIdForLead } from '../../client/lead-id';
import type { EngagementInput } from '../../domain/lead-commands';
import { engagementSignal } from '../../workflows/lead.messages';
import type { AppDeps } from '../app-deps';
import { EngagementBody, LeadPathParams } from '../schemas';
import { SignalCoalescer } from '../signal-coalescer';
import { guard, idempotent, parse, signalLead } from './route-support';

/** Engagement events one coalesced signal carries at most (the lead folds at most 500 per decision). */
const MAX_EVENTS_PER_SIGNAL = 500;
/** How long a lead's first engagement request waits for others to join its signal, by default. */
export const DEFAULT_ENGAGEMENT_COALESCE_MS = 20;

/**
 * POST /v1/leads/{leadId}/engagements: one engagement event or a batch. Requests for the same lead that
 * arrive within `engagementCoalesceMs` share one signal (each is answered when that signal is in), so
 * an engagement storm does not starve the lead's continue-as-new. The lead scores them
 * asynchronously; re-delivered event ids are dropped by the lead itself.
 */
export function registerEngagementRoutes(app: Express, deps: AppDeps): void {
  const coalescer = new SignalCoalescer<EngagementInput>(
    (leadId, engagements) => deps.client.workflow.getHandle(workflowIdForLead(leadId)).signal(engagementSignal, { engagements }),
    deps.engagementCoalesceMs ?? DEFAULT_ENGAGEMENT_COALESCE_MS,
    MAX_EVENTS_PER_SIGNAL,
  );
  app.post(
    '/v1/leads/:leadId/engagements',
    ...guard(app, deps, 'intake'),
    idempotent(deps, 'recordEngagement', async (req, res) => {
      const { leadId } = parse(LeadPathParams, req.params);
      const body = parse(EngagementBody, req.body);
      const engagements = 'events' in body ? body.events : [body];
      await signalLead(deps, res, leadId, () => coalescer.add(leadId, engagements));
      return { status: 202, body: { leadId, accepted: engagements.length } };
    }),
  );
}
