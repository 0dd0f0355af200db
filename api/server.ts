import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { LeadflowConfig } from '../config/leadflow.config';
import type { Db } from '../db/connection';
import { savePolicyVersion } from '../db/policy-versions.repository';
import type { KeyStore } from '../encryption';
import { createApp } from './app';
import { createApiMetrics } from './metrics';

export interface RunningApi {
  server: Server;
  url: string;
  /** Stops accepting connections and lets in-flight requests finish (up to 10 s). */
  close(): Promise<void>;
}

export async function startApiServer(config: LeadflowConfig, db: Db, client: Client, logger: Logger, keys: KeyStore): Promise<RunningApi> {
  // New leads start with this policy: keep it, so their scores stay explainable after it changes.
  await savePolicyVersion(db, config.policy);
  const app = createApp({
    client,
    db,
    keys,
    leadIdSecret: config.privacy.leadIdSecret,
    policy: config.policy,
    policySource: config.policySource,
    taskQueue: config.temporal.taskQueue,
    auth: {
      keys: [...config.api.keys, ...config.api.hashedKeys],
      webhookSecret: config.api.webhookSecret,
      rateLimitPerMinute: config.api.rateLimitPerMinute,
      codecRateLimitPerMinute: config.api.codecRateLimitPerMinute,
      devCodecLoopbackWithoutKey: config.api.devCodecLoopbackWithoutKey,
    },
    logger,
    metrics: createApiMetrics(db),
    decisionTimeoutMs: config.api.decisionTimeoutMs,
    engagementCoalesceMs: config.api.engagementCoalesceMs,
    temporalUiUrl: config.temporal.uiUrl,
    webhookDisableAfterMs: config.webhooks.disableAfterMs,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.api.port, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  return {
    server,
    url: `http://localhost:${config.api.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), 10_000);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
