import type { Express } from 'express';
import { workflowIdForLead } from '../../client/lead-id';
import { contactAttemptUpdate } from '../../workflows/lead.messages';
import type { AppDeps } from '../app-deps';
import { ContactAttemptBody, LeadPathParams } from '../schemas';
import { fromTemporalError, isTimeout } from '../temporal-errors';
import { guard, idempotent, leadView, parse, projectedStage, workflowDeadline } from './route-support';

/**
 * POST /v1/leads/{leadId}/contact-attempts: the owner of an accepted lead (SAL) records an attempt to reach
 * it. One Update of the lead workflow, like the decisions: refused (409) when the stage does not allow it,
 * answered with the lead as it is afterwards (`contactAttempts` counts them).
 */
export function registerContactAttemptRoutes(app: Express, deps: AppDeps): void {
  app.post(
    '/v1/leads/:leadId/contact-attempts',
    ...guard(app, deps, 'sales'),
    idempotent(deps, 'recordContactAttempt', async (req, res, updateId) => {
      const { leadId } = parse(LeadPathParams, req.params);
      const input = parse(ContactAttemptBody, req.body);
      const handle = deps.client.workflow.getHandle(workflowIdForLead(leadId));
      try {
        const state = await deps.client.withDeadline(workflowDeadline(deps), () =>
          handle.executeUpdate(contactAttemptUpdate, { args: [input], ...(updateId !== undefined ? { updateId } : {}) }),
        );
        return { status: 200, body: { lead: leadView(state, deps) } };
      } catch (err) {
        if (isTimeout(err)) res.setHeader('Retry-After', '5');
        throw await fromTemporalError(err, { leadId, projectedStage: projectedStage(deps, leadId), mayApplyLater: true });
      }
    }),
  );
}
