import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/*
 * How Leadflow signs and sends a webhook, in one place: the dispatcher's delivery activities and the
 * test route (POST /v1/webhook-endpoints/{id}/test) both send through here. The format is the Standard
 * Webhooks spec (https://www.standardwebhooks.com), signed with its reference library, so a receiver
 * verifies with a stock `Webhook.verify` in any language:
 *   webhook-id         the message id, stable across retries: the receiver's idempotency key
 *   webhook-timestamp  unix seconds of this attempt (receivers refuse one more than 5 minutes off)
 *   webhook-signature  `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`
 * Secrets are `whsec_<base64 key>`.
 */

export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** The spec asks for keys of 24 to 64 bytes; generated ones have 32. */
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;
const GENERATED_KEY_BYTES = 32;

/** Default bound of one delivery attempt, connection to the last byte of the answer's headers. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

export interface StandardWebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** A fresh signing secret, `whsec_` + 32 random bytes in base64. */
export function generateWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(GENERATED_KEY_BYTES).toString('base64')}`;
}

/** The three Standard Webhooks headers for one attempt to deliver `body` (the exact bytes sent). */
export function signDelivery(secret: string, id: string, timestamp: Date, body: string): StandardWebhookHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, timestamp, body),
  };
}

/**
 * A configured secret (LEADFLOW_NOTIFY_WEBHOOK_SECRET) as a `whsec_` secret. A `whsec_` secret is taken
 * as it is, once its key checks out (base64, 24 to 64 bytes). Any other string is an older plain secret
 * (the `X-Leadflow-Signature` HMAC key): its UTF-8 bytes become the key, so the receiver keeps the secret
 * it has and verifies with `new Webhook(secret, { format: 'raw' })` (or with the `whsec_` form
 * returned here).
 */
export function webhookSecretFromConfig(configured: string): { secret: string; format: 'whsec' | 'plain' } {
  if (!configured.startsWith(WEBHOOK_SECRET_PREFIX)) {
    return { secret: `${WEBHOOK_SECRET_PREFIX}${Buffer.from(configured, 'utf8').toString('base64')}`, format: 'plain' };
  }
  const base64 = configured.slice(WEBHOOK_SECRET_PREFIX.length);
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(base64) ? Buffer.from(base64, 'base64') : Buffer.alloc(0);
  if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) {
    throw new Error(`a whsec_ secret must be base64 of ${MIN_KEY_BYTES} to ${MAX_KEY_BYTES} bytes (this one decodes to ${key.length})`);
  }
  return { secret: configured, format: 'whsec' };
}

export interface WebhookAttempt {
  /** A 2xx answer. Redirects are not followed: a 3xx is not a delivery. */
  delivered: boolean;
  /** null when no answer came (refused, reset, timed out). */
  statusCode: number | null;
  durationMs: number;
  /** Why it was not delivered, in Leadflow's words: never the receiver's answer body. */
  error?: string;
}

export interface SignedWebhook {
  url: string;
  secret: string;
  /** `webhook-id`: the event id, the same on every attempt of that event. */
  id: string;
  /** The JSON body, exactly as signed and sent. */
  body: string;
  /** Default: now (each attempt is signed afresh, so a retry is never stale). */
  timestamp?: Date;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** POSTs one signed message and says what came of it. Never throws for what the receiver does. */
export async function postSignedWebhook(message: SignedWebhook): Promise<WebhookAttempt> {
  const doFetch = message.fetch ?? fetch;
  const timeoutMs = message.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const headers = signDelivery(message.secret, message.id, message.timestamp ?? new Date(), message.body);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const res = await doFetch(message.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Leadflow-Webhooks/1', ...headers },
      body: message.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const durationMs = elapsed();
    // The answer's body is not read: nothing of it is kept, and a slow one must not hold the attempt.
    await res.body?.cancel().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return { delivered: true, statusCode: res.status, durationMs };
    return { delivered: false, statusCode: res.status, durationMs, error: `answered ${res.status}` };
  } catch (err) {
    return { delivered: false, statusCode: null, durationMs: elapsed(), error: failureText(err, timeoutMs) };
  }
}

function failureText(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const code = e?.cause?.code;
  if (code) return `could not connect: ${code}`;
  return `request failed: ${e?.cause?.message ?? e?.message ?? String(err)}`.slice(0, 300);
}
