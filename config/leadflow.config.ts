import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_CODEC_RATE_LIMIT_PER_MINUTE, generateDevKey, loadApiKeysFile, parseApiKeys, type ApiKey, type HashedApiKey } from '../api/auth';
import type { DatabaseConfig } from '../db/connection';
import { databaseConfigFromEnv } from '../db/database-config';
import type { LeadPolicy } from '../domain/lead-policy';
import { builtInPolicy, loadPolicyFile } from './policy-file';
import { privacyConfigFromEnv, type PrivacyConfig } from './privacy.config';
import { LEAD_TASK_QUEUE } from '../workflows/lead.messages';

/** Lead workflows a worker keeps cached when LEADFLOW_WORKER_MAX_CACHED_WORKFLOWS is not set. */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 1000;

/** Where `npm start` serves the worker's Prometheus metrics unless LEADFLOW_WORKER_METRICS_ADDRESS says otherwise. */
export const DEV_WORKER_METRICS_ADDRESS = '127.0.0.1:9464';

/**
 * LEADFLOW_WORKER_METRICS_ADDRESS: `off`, or the `ip:port` the worker's Prometheus exporter binds
 * (`0.0.0.0:9464`, `127.0.0.1:9464`, `[::]:9464`). The SDK's Core parses it as a socket address, so a
 * host name (`localhost:9464`) would only fail later, inside the SDK: refuse it here, naming the variable.
 */
const metricsAddress = z
  .string()
  .trim()
  .refine((value) => value === 'off' || parseSocketAddress(value) !== undefined, {
    message: 'expected off or ip:port with a port from 1 to 65535, e.g. 0.0.0.0:9464, 127.0.0.1:9464 or [::]:9464 (an IP address, not a host name)',
  });

function parseSocketAddress(value: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):(\d{1,5})$/.exec(value);
  if (!match) return undefined;
  const host = match[1] ?? match[2]!;
  const port = Number(match[3]);
  if (isIP(host) !== (match[1] !== undefined ? 6 : 4) || port < 1 || port > 65535) return undefined;
  return { host, port };
}

const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** Base URL of the Temporal Web UI, for links from the API and the start-up banner. */
  TEMPORAL_UI_URL: z.url().default('http://localhost:8233'),
  LEADFLOW_TASK_QUEUE: z.string().min(1).default(LEAD_TASK_QUEUE),
  /** Where notifications are POSTed (JSON, HMAC-signed); unset = structured log lines. */
  LEADFLOW_NOTIFY_WEBHOOK_URL: z.url().optional(),
  LEADFLOW_NOTIFY_WEBHOOK_SECRET: z.string().min(16).optional(),
  /** A webhook endpoint whose deliveries keep failing this long is disabled (and says why). */
  LEADFLOW_WEBHOOK_DISABLE_AFTER_HOURS: z.coerce.number().positive().max(24 * 30).default(24),
  /** Path to a policy file (.json, .yaml or .yml); unset = the built-in default policy. */
  LEADFLOW_POLICY_FILE: z.string().min(1).optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** `id:secret:scope+scope,…` (scopes: intake, sales, read, codec, admin). */
  LEADFLOW_API_KEYS: z.string().min(1).optional(),
  /** JSON file: [{"id": …, "secret": …, "scopes": [...]}] */
  LEADFLOW_API_KEYS_FILE: z.string().min(1).optional(),
  /** Shared secret for signed form-fill webhooks (X-Leadflow-Signature). */
  LEADFLOW_WEBHOOK_SECRET: z.string().min(16).optional(),
  LEADFLOW_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  /** Codec calls (/codec) per key per minute, apart from the API's budget: the Temporal UI sends one per history event. */
  LEADFLOW_CODEC_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(DEFAULT_CODEC_RATE_LIMIT_PER_MINUTE),
  /**
   * Development only, set by `npm start` (scripts/start-all.ts): codec calls from this machine need no API
   * key, because the dev server's Web UI cannot send one. Never behind a proxy on the same host.
   */
  LEADFLOW_DEV_CODEC_LOOPBACK_WITHOUT_KEY: z.stringbool().default(false),
  /** How long a sales decision waits for the lead workflow before the API answers 503. */
  LEADFLOW_DECISION_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /**
   * Lead workflows a worker keeps in memory between tasks. Most leads wait on timers for hours, so a
   * miss (one replay of a short, bounded history) is cheap next to ~1-2 MB each; see bench/README.md.
   * At least 1: a lead's local activities need its run cached while they run (with no cache at all,
   * the SDK's Core can evict a run in the middle of a task and livelock it).
   */
  LEADFLOW_WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(1).max(100_000).default(DEFAULT_MAX_CACHED_WORKFLOWS),
  /**
   * The worker's Prometheus metrics (the SDK's runtime telemetry: task latencies, slots, cache, plus the
   * lead's timers armed and fired), served at http://<address>/metrics. Unset or `off`: none, so that
   * several workers on one host never fight over a port; `npm start` sets DEV_WORKER_METRICS_ADDRESS.
   */
  LEADFLOW_WORKER_METRICS_ADDRESS: metricsAddress.optional(),
  /** Engagement requests for one lead arriving within this many ms share one signal (0 = one each). */
  LEADFLOW_ENGAGEMENT_COALESCE_MS: z.coerce.number().int().min(0).max(1000).default(20),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** production = prebuilt workflow bundle (npm run build); anything else bundles from source at start. */
  NODE_ENV: z.string().default('development'),
});

export interface LeadflowConfig {
  temporal: { address: string; namespace: string; taskQueue: string; uiUrl: string };
  notify: { webhookUrl?: string; webhookSecret?: string };
  /** Webhook delivery: how long an endpoint may keep failing before it is disabled. */
  webhooks: { disableAfterMs: number };
  policy: LeadPolicy;
  /** Where the policy came from: the file's path, or `built-in`. */
  policySource: string;
  database: DatabaseConfig;
  /** Master keys and the lead id secret (config/privacy.config.ts). */
  privacy: PrivacyConfig;
  api: {
    port: number;
    /** Keys whose secret is known here (LEADFLOW_API_KEYS, `secret` in the keys file, the development key). */
    keys: ApiKey[];
    /** Keys of the keys file stored only as the SHA-256 of their secret (`secretSha256`). */
    hashedKeys: HashedApiKey[];
    webhookSecret?: string;
    rateLimitPerMinute: number;
    codecRateLimitPerMinute: number;
    /** LEADFLOW_DEV_CODEC_LOOPBACK_WITHOUT_KEY: keyless codec calls from loopback (npm start only). */
    devCodecLoopbackWithoutKey: boolean;
    decisionTimeoutMs: number;
    engagementCoalesceMs: number;
  };
  /**
   * Lead worker tuning; absent = the defaults of `loadConfig`. `metricsAddress`: where the worker's
   * Prometheus exporter binds (`ip:port`); absent = no worker metrics.
   */
  worker?: { maxCachedWorkflows: number; metricsAddress?: string };
  logLevel: string;
  production: boolean;
}

/**
 * Parsed once at start-up and frozen; a bad value stops the process with a message naming the
 * variable. `devKey: true` (npm start) adds a generated key with every scope when none is configured.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: { devKey?: boolean } = {}): Readonly<LeadflowConfig> {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid configuration:\n${z.prettifyError(parsed.error)}`);
  const e = parsed.data;
  if (e.LEADFLOW_NOTIFY_WEBHOOK_URL && !e.LEADFLOW_NOTIFY_WEBHOOK_SECRET) {
    throw new Error('invalid configuration: LEADFLOW_NOTIFY_WEBHOOK_SECRET is required with LEADFLOW_NOTIFY_WEBHOOK_URL');
  }
  const fileKeys = e.LEADFLOW_API_KEYS_FILE ? withName('LEADFLOW_API_KEYS_FILE', () => loadApiKeysFile(e.LEADFLOW_API_KEYS_FILE!)) : [];
  const keys: ApiKey[] = [
    ...(e.LEADFLOW_API_KEYS ? withName('LEADFLOW_API_KEYS', () => parseApiKeys(e.LEADFLOW_API_KEYS!)) : []),
    ...fileKeys.filter((k): k is ApiKey => 'secret' in k),
  ];
  const hashedKeys = fileKeys.filter((k): k is HashedApiKey => !('secret' in k));
  if (keys.length === 0 && hashedKeys.length === 0 && options.devKey) keys.push(generateDevKey());
  return Object.freeze({
    temporal: { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, taskQueue: e.LEADFLOW_TASK_QUEUE, uiUrl: e.TEMPORAL_UI_URL },
    notify: { webhookUrl: e.LEADFLOW_NOTIFY_WEBHOOK_URL, webhookSecret: e.LEADFLOW_NOTIFY_WEBHOOK_SECRET },
    webhooks: { disableAfterMs: Math.round(e.LEADFLOW_WEBHOOK_DISABLE_AFTER_HOURS * 3_600_000) },
    policy: e.LEADFLOW_POLICY_FILE ? loadPolicyFile(e.LEADFLOW_POLICY_FILE) : builtInPolicy(),
    policySource: e.LEADFLOW_POLICY_FILE ?? 'built-in',
    database: databaseConfigFromEnv(env),
    privacy: privacyConfigFromEnv(env),
    api: {
      port: e.PORT,
      keys,
      hashedKeys,
      webhookSecret: e.LEADFLOW_WEBHOOK_SECRET,
      rateLimitPerMinute: e.LEADFLOW_RATE_LIMIT_PER_MINUTE,
      codecRateLimitPerMinute: e.LEADFLOW_CODEC_RATE_LIMIT_PER_MINUTE,
      devCodecLoopbackWithoutKey: e.LEADFLOW_DEV_CODEC_LOOPBACK_WITHOUT_KEY,
      decisionTimeoutMs: e.LEADFLOW_DECISION_TIMEOUT_MS,
      engagementCoalesceMs: e.LEADFLOW_ENGAGEMENT_COALESCE_MS,
    },
    worker: {
      maxCachedWorkflows: e.LEADFLOW_WORKER_MAX_CACHED_WORKFLOWS,
      ...(e.LEADFLOW_WORKER_METRICS_ADDRESS && e.LEADFLOW_WORKER_METRICS_ADDRESS !== 'off' ? { metricsAddress: e.LEADFLOW_WORKER_METRICS_ADDRESS } : {}),
    },
    logLevel: e.LOG_LEVEL,
    production: e.NODE_ENV === 'production',
  });
}

function withName<T>(variable: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new Error(`invalid configuration: ${variable}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
