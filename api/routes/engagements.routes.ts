import type { Express } from 'express';
import { workflowIdForLead } from '../../client/lead-id';
import { engagementSignal } from '../../workflows/lead.messages';
import type { AppDeps } from '../app-deps';
import { EngagementBody, LeadPathParams } from '../schemas';
import { fromTemporalError, isSignalLimitExceeded, isTimeout, SIGNAL_LIMIT_RETRY_AFTER_SECONDS } from '../temporal-errors';
import { guard, idempotent, parse, projectedStage, workflowDeadline } from './route-support';

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
      try {
        await deps.client.withDeadline(workflowDeadline(deps), () =>
          deps.client.workflow.getHandle(workflowIdForLead(leadId)).signal(engagementSignal, { engagements }),
        );
        return { status: 202, body: { leadId, accepted: engagements.length } };
      } catch (err) {
        if (isTimeout(err)) res.setHeader('Retry-After', '5');
        else if (isSignalLimitExceeded(err)) res.setHeader('Retry-After', String(SIGNAL_LIMIT_RETRY_AFTER_SECONDS));
        throw await fromTemporalError(err, { leadId, projectedStage: projectedStage(deps, leadId), mayApplyLater: true });
      }
    }),
  );
}
