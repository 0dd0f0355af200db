import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { DatabaseConfig } from '../db/connection';
import { databaseConfigFromEnv } from '../db/database-config';
import { defaultLeadPolicy, leadPolicySchema, type LeadPolicy } from '../domain/lead-policy';
import { LEAD_TASK_QUEUE } from '../workflows/lead.messages';

const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  LEADFLOW_TASK_QUEUE: z.string().min(1).default(LEAD_TASK_QUEUE),
  /** Where notifications are POSTed (JSON, HMAC-signed); unset = structured log lines. */
  LEADFLOW_NOTIFY_WEBHOOK_URL: z.url().optional(),
  LEADFLOW_NOTIFY_WEBHOOK_SECRET: z.string().min(16).optional(),
  /** Path to a JSON policy file; unset = the built-in default policy. */
  LEADFLOW_POLICY_FILE: z.string().min(1).optional(),
  /** production = prebuilt workflow bundle (npm run build); anything else bundles from source at start. */
  NODE_ENV: z.string().default('development'),
});

export interface WorkerConfig {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  notify: { webhookUrl?: string; webhookSecret?: string };
  policy: LeadPolicy;
  database: DatabaseConfig;
  production: boolean;
}

/** Parsed once at start-up; a bad value stops the process with a message that names the variable. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): Readonly<WorkerConfig> {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid worker configuration:\n${z.prettifyError(parsed.error)}`);
  const e = parsed.data;
  if (e.LEADFLOW_NOTIFY_WEBHOOK_URL && !e.LEADFLOW_NOTIFY_WEBHOOK_SECRET) {
    throw new Error('invalid worker configuration: LEADFLOW_NOTIFY_WEBHOOK_SECRET is required with LEADFLOW_NOTIFY_WEBHOOK_URL');
  }
  return Object.freeze({
    temporalAddress: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.LEADFLOW_TASK_QUEUE,
    notify: { webhookUrl: e.LEADFLOW_NOTIFY_WEBHOOK_URL, webhookSecret: e.LEADFLOW_NOTIFY_WEBHOOK_SECRET },
    policy: e.LEADFLOW_POLICY_FILE ? loadPolicyFile(e.LEADFLOW_POLICY_FILE) : defaultLeadPolicy,
    database: databaseConfigFromEnv(env),
    production: e.NODE_ENV === 'production',
  });
}

function loadPolicyFile(file: string): LeadPolicy {
  const parsed = leadPolicySchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`invalid policy in ${file}:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
