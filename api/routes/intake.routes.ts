import type { Express } from 'express';
import { submitForm } from '../../client/lead-intake';
import type { FillFormInput } from '../../workflows/lead.messages';
import type { AppDeps } from '../app-deps';
import { currentLeadForEmail } from '../lead-identity';
import { FormFill } from '../schemas';
import { fromTemporalError, isTimeout } from '../temporal-errors';
import { guard, idempotent, parse, projected, workflowDeadline } from './route-support';

/**
 * POST /v1/leads: a form fill from a website, marketing automation or a signed webhook. Creates the lead
 * or updates the person's existing one (update-with-start), and answers once its events are recorded.
 */
export function registerIntakeRoutes(app: Express, deps: AppDeps): void {
  app.post(
    '/v1/leads',
    ...guard(app, deps, 'intake', { allowSignedWebhook: true }),
    idempotent(deps, 'submitForm', async (req, res, updateId) => {
      const body = parse(FormFill, req.body);
      const { formType, source, consent, ...profile } = body;
      const form: FillFormInput & { consent?: typeof consent } = {
        formType,
        profile,
        ...(source ? { source } : {}),
        // Not part of FillForm yet: the workflow ignores it, but the update's input (and so the
        // lead's Temporal history) keeps it as the audit record of the consent.
        ...(consent ? { consent } : {}),
      };
      const { leadId, known } = await currentLeadForEmail(deps.db, deps.leadIdSecret, body.email);
      try {
        const answer = await deps.client.withDeadline(workflowDeadline(deps), () =>
          submitForm(deps.client, leadId, form, deps.policy, deps.taskQueue, { updateId, ...(known ? { snapshot: known.state } : {}) }),
        );
        return { status: 202, body: answer };
      } catch (err) {
        if (isTimeout(err)) res.setHeader('Retry-After', '5');
        throw await fromTemporalError(err, { leadId, projected: projected(deps, leadId), mayApplyLater: true });
      }
    }),
  );
}
