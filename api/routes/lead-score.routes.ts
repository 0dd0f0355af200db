import type { Express } from 'express';
import { loadEvents } from '../../db/lead-events.repository';
import { findPolicyVersion } from '../../db/policy-versions.repository';
import { mqlReadiness } from '../../domain/lead-decider';
import { explainEngagement, explainFit } from '../../domain/scoring';
import { keyStoreSealer } from '../../encryption';
import type { AppDeps } from '../app-deps';
import { LeadPathParams, type LeadScore } from '../schemas';
import { existingLead, guard, parse } from './route-support';

/**
 * GET /v1/leads/{leadId}/score: why the lead scores what it does and what keeps it from becoming an MQL,
 * from the read model and the event log (no call to the lead workflow). Fit reasons and MQL readiness use
 * the policy version the lead was scored under when this deployment kept it (policy_versions), so they
 * still add up after marketing ops change the policy; else the active one. Engagement reasons are the
 * recorded scoring events, so they add up to the score either way.
 */
export function registerLeadScoreRoutes(app: Express, deps: AppDeps): void {
  app.get('/v1/leads/:leadId/score', ...guard(app, deps, 'read'), async (req, res) => {
    const { leadId } = parse(LeadPathParams, req.params);
    const state = await existingLead(deps, leadId);
    const events = await loadEvents(deps.db, keyStoreSealer(deps.keys), leadId);
    const own = state.policyVersion !== undefined && state.policyVersion !== deps.policy.version
      ? await findPolicyVersion(deps.db, state.policyVersion)
      : undefined;
    const policy = own ?? deps.policy;
    const body: LeadScore = {
      leadId,
      stage: state.stage,
      policyVersion: state.policyVersion ?? null,
      activePolicyVersion: deps.policy.version,
      explainedWithPolicyVersion: policy.version,
      fit: { score: state.fitScore, threshold: policy.fit.threshold, reasons: explainFit(state.profile, policy) },
      engagement: {
        score: state.engagementScore,
        threshold: policy.engagement.threshold,
        reasons: explainEngagement(events, policy),
      },
      mql: mqlReadiness(state, policy, new Date().toISOString()),
      ...(state.suspect ? { suspect: state.suspect } : {}),
      ...(state.consent ? { consent: state.consent } : {}),
    };
    res.json(body);
  });
}
