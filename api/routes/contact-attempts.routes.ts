import type { Express } from 'express';
import { contactAttemptUpdate } from '../../workflows/lead.messages';
import type { AppDeps } from '../app-deps';
import { ContactAttemptBody } from '../schemas';
import { registerLeadUpdateRoute } from './decisions.routes';

/**
 * POST /v1/leads/{leadId}/contact-attempts: the owner of an accepted lead (SAL) records an attempt to reach
 * it. One Update of the lead workflow, like the decisions: refused (409) when the stage does not allow it,
 * answered with the lead as it is afterwards (`contactAttempts` counts them).
 */
export function registerContactAttemptRoutes(app: Express, deps: AppDeps): void {
  registerLeadUpdateRoute(app, deps, { segment: 'contact-attempts', operation: 'recordContactAttempt', actor: 'rep' }, ContactAttemptBody, contactAttemptUpdate);
}
