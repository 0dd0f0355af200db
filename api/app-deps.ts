import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Db } from '../db/connection';
import type { LeadPolicy } from '../domain/lead-policy';
import type { KeyStore } from '../encryption';
import type { AuthConfig } from './auth';
import type { ApiMetrics } from './metrics';

/** Everything the HTTP layer needs, passed in (createApp(deps)), so tests build it from real servers. */
export interface AppDeps {
  /** A Temporal client with Leadflow's data converter (payloads encrypted per lead with `keys`). */
  client: Client;
  db: Db;
  /** Data keys: sealed event fields, the codec server, erasure. */
  keys: KeyStore;
  /** The HMAC secret lead ids are derived with (client/lead-id.ts). */
  leadIdSecret: string;
  policy: LeadPolicy;
  /** Where the policy came from: the policy file's path, or `built-in` (GET /v1/policy). */
  policySource: string;
  taskQueue: string;
  auth: AuthConfig;
  logger: Logger;
  metrics: ApiMetrics;
  /** How long a sales decision waits for the lead workflow before answering 503. */
  decisionTimeoutMs: number;
  /**
   * Engagement requests for one lead arriving within this many ms share one signal (0 = one signal
   * each); default DEFAULT_ENGAGEMENT_COALESCE_MS.
   */
  engagementCoalesceMs?: number;
  /** A webhook endpoint whose deliveries keep failing this long is disabled; default 24 h. */
  webhookDisableAfterMs?: number;
  /** Base URL of the Temporal Web UI, for links to a lead's workflow. */
  temporalUiUrl?: string;
}
