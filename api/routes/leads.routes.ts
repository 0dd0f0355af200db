import type { Express } from 'express';
import type { AppDeps } from '../app-deps';
import { registerAssignRoutes } from './assign.routes';
import { registerContactAttemptRoutes } from './contact-attempts.routes';
import { registerDecisionRoutes } from './decisions.routes';
import { registerEngagementRoutes } from './engagements.routes';
import { registerErasureRoutes } from './erasure.routes';
import { registerEventRoutes } from './events.routes';
import { registerIntakeRoutes } from './intake.routes';
import { registerLeadReadRoutes } from './lead-reads.routes';
import { registerLeadScoreRoutes } from './lead-score.routes';
import { registerPersonalDataRoutes } from './personal-data.routes';
import { registerReportRoutes } from './reports.routes';
import { registerUnsubscribeRoutes } from './unsubscribe.routes';

/** Every /v1/leads route, and the /v1/reports routes; each group lives in its own file. */
export function registerLeadRoutes(app: Express, deps: AppDeps): void {
  registerIntakeRoutes(app, deps);
  registerEngagementRoutes(app, deps);
  registerUnsubscribeRoutes(app, deps);
  registerDecisionRoutes(app, deps);
  registerContactAttemptRoutes(app, deps);
  registerAssignRoutes(app, deps);
  registerLeadReadRoutes(app, deps);
  registerLeadScoreRoutes(app, deps);
  registerErasureRoutes(app, deps);
  registerEventRoutes(app, deps);
  registerPersonalDataRoutes(app, deps);
  registerReportRoutes(app, deps);
}
