import type { UpdateDefinition } from '@temporalio/client';
import type { Express, Request } from 'express';
import type { z } from 'zod';
import { workflowIdForLead } from '../../client/lead-id';
import type { LeadState } from '../../domain/lead-state';
import { acceptUpdate, closeUpdate, disqualifyUpdate, qualifyUpdate, rejectUpdate } from '../../workflows/lead.messages';
import type { AppDeps } from '../app-deps';
import type { Scope } from '../auth';
import { ApiError } from '../errors';
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
  registerDecision(app, deps, 'disqualify', DisqualifyBody, disqualifyUpdate, 'by');
}

function registerDecision<I>(
  app: Express,
  deps: AppDeps,
  name: DecisionName,
  schema: z.ZodType,
  update: UpdateDefinition<LeadState, [I]>,
  actor: 'rep' | 'by' = 'rep',
): void {
  registerLeadUpdateRoute(app, deps, { segment: name, operation: name, actor }, schema, update);
}

export interface LeadUpdateRoute {
  /** The path segment after /v1/leads/{leadId}/. */
  segment: string;
  /** Scopes the Idempotency-Key. */
  operation: string;
  /** Default `sales` (a `manager` key has it too). */
  scope?: Scope;
  /**
   * The body field naming who decides (`rep`, or `by` for a disqualification). With it, a key bound to
   * a rep may leave the field out (it is filled in) and the command carries the key's rep as
   * `actingRep`, for the lead workflow to check.
   */
  actor?: 'rep' | 'by';
}

/**
 * POST /v1/leads/{leadId}/{segment} as one Update of the lead workflow: refused (409) by its validator
 * when the stage does not allow it, answered with the lead as it is afterwards. The decisions, the
 * contact attempts and the manager's reassignment share it.
 *
 * Who may decide is checked in the lead workflow, not here: the API only says who is asking (the key's
 * rep, as `actingRep`), and the decider compares it with the owner the lead has when the Update is
 * applied. The API's own view of the owner (the read model) may be behind an SLA breach or a manager's
 * reassignment that the lead has already made; a check against it would let the former owner decide.
 */
export function registerLeadUpdateRoute<I>(
  app: Express,
  deps: AppDeps,
  route: LeadUpdateRoute,
  schema: z.ZodType,
  update: UpdateDefinition<LeadState, [I]>,
): void {
  app.post(
    `/v1/leads/:leadId/${route.segment}`,
    ...guard(app, deps, route.scope ?? 'sales'),
    idempotent(deps, route.operation, async (req, res, updateId) => {
      const { leadId } = parse(LeadPathParams, req.params);
      const body = parse(schema, req.body) as Record<string, unknown>;
      const input = (route.actor ? asCaller(body, route.actor, req) : body) as I;
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

/**
 * The command as the caller may send it: a key bound to a rep decides as that rep (the actor field is
 * filled in when left out, and `actingRep` tells the lead who is asking); any other key must name the
 * actor itself.
 */
function asCaller(body: Record<string, unknown>, actor: 'rep' | 'by', req: Request): Record<string, unknown> {
  const bound = req.principal?.rep;
  if (bound !== undefined) return { ...body, [actor]: body[actor] ?? bound, actingRep: bound };
  if (body[actor] === undefined) {
    throw new ApiError(400, 'invalid_request', 'The request does not match the schema', [
      { code: 'invalid_type', expected: 'string', path: [actor], message: `${actor} is required (only a key bound to a rep may leave it out)` },
    ]);
  }
  return body;
}
