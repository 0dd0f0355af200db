import type { UpdateDefinition } from '@temporalio/client';
import type { Express } from 'express';
import type { z } from 'zod';
import { workflowIdForLead } from '../../client/lead-id';
import type { LeadState } from '../../domain/lead-state';
import { acceptUpdate, closeUpdate, disqualifyUpdate, qualifyUpdate, rejectUpdate } from '../../workflows/lead.messages';
import type { AppDeps } from '../app-deps';
import { AcceptBody, CloseBody, DisqualifyBody, LeadPathParams, QualifyBody, RejectBody } from '../schemas';
import { fromTemporalError, isTimeout } from '../temporal-errors';
import { guard, idempotent, leadView, parse, projected, workflowDeadline } from './route-support';

/** The sales decisions, by path segment: POST /v1/leads/{leadId}/{decision}. */
export const decisionNames = ['accept', 'reject', 'qualify', 'close', 'disqualify'] as const;
export type DecisionName = (typeof decisionNames)[number];

/**
 * The sales decisions: each is one Update of the lead workflow, refused by its validator (409) when the
 * stage does not allow it, and answered with the lead as it is after the decision.
 */
export function registerDecisionRoutes(app: Express, deps: AppDeps): void {
  registerDecision(app, deps, 'accept', AcceptBody, acceptUpdate);
  registerDecision(app, deps, 'reject', RejectBody, rejectUpdate);
  registerDecision(app, deps, 'qualify', QualifyBody, qualifyUpdate);
  registerDecision(app, deps, 'close', CloseBody, closeUpdate);
  registerDecision(app, deps, 'disqualify', DisqualifyBody, disqualifyUpdate);
}

function registerDecision<S extends z.ZodType>(
  app: Express,
  deps: AppDeps,
  name: DecisionName,
  schema: S,
  update: UpdateDefinition<LeadState, [z.output<S>]>,
): void {
  registerLeadUpdateRoute(app, deps, { segment: name, operation: name }, schema, update);
}

/**
 * POST /v1/leads/{leadId}/{segment} as one Update of the lead workflow (scope sales): refused (409) by
 * its validator when the stage does not allow it, answered with the lead as it is afterwards. The
 * decisions and the contact attempts share it. `operation` scopes the Idempotency-Key.
 */
export function registerLeadUpdateRoute<S extends z.ZodType>(
  app: Express,
  deps: AppDeps,
  route: { segment: string; operation: string },
  schema: S,
  update: UpdateDefinition<LeadState, [z.output<S>]>,
): void {
  app.post(
    `/v1/leads/:leadId/${route.segment}`,
    ...guard(app, deps, 'sales'),
    idempotent(deps, route.operation, async (req, res, updateId) => {
      const { leadId } = parse(LeadPathParams, req.params);
      const input = parse(schema, req.body);
      const handle = deps.client.workflow.getHandle(workflowIdForLead(leadId));
      try {
        const state = await deps.client.withDeadline(workflowDeadline(deps), () =>
          handle.executeUpdate(update, { args: [input], ...(updateId !== undefined ? { updateId } : {}) }),
        );
        return { status: 200, body: { lead: leadView(state, deps) } };
      } catch (err) {
        if (isTimeout(err)) res.setHeader('Retry-After', '5');
        throw await fromTemporalError(err, { leadId, projected: projected(deps, leadId), mayApplyLater: true });
      }
    }),
  );
}
