import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Request, RequestHandler } from 'express';
import { ApiError } from './errors';

/*
 * API authentication and rate limiting.
 *
 * Callers present `Authorization: Bearer <secret>`; keys come from LEADFLOW_API_KEYS
 * (`id:secret:scope+scope[:rep],…`) or a JSON file (where a secret may be stored as its SHA-256). Form/webhook
 * senders that cannot hold a bearer key may instead sign the body like Leadflow's own notifications:
 *   x-leadflow-timestamp: <unix seconds>
 *   x-leadflow-signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 * and each signature is taken once (a seen-signature store shared by every API process).
 */

/**
 * `manager` may take every sales decision on any lead in any rep's name, and reassign leads by hand;
 * `admin` implies every scope.
 */
export type Scope = 'intake' | 'sales' | 'read' | 'codec' | 'manager' | 'admin';

/** A key with its secret in clear (LEADFLOW_API_KEYS, the development key, a `secret` in the keys file). */
export interface ApiKey {
  id: string;
  secret: string;
  scopes: Scope[];
  /**
   * The rep this key belongs to: it may take sales decisions only on leads that rep owns, and only in
   * that rep's name (the lead workflow checks it; see `ActingRep` in domain/lead-commands.ts).
   */
  rep?: string;
}

/** A key from the keys file whose secret is stored only as its SHA-256 (hex), so the file holds no secret. */
export interface HashedApiKey {
  id: string;
  secretSha256: string;
  scopes: Scope[];
  rep?: string;
}

export type ConfiguredApiKey = ApiKey | HashedApiKey;

/**
 * Remembers the signatures of signed webhooks already taken, until they could no longer pass the
 * timestamp check anyway. Shared by every API process (db/seen-signatures.repository.ts).
 */
export interface SeenSignatures {
  /** True the first time a signature is offered, false every later time before `expiresAt`. */
  firstUse(signature: string, expiresAt: Date): Promise<boolean>;
}

export interface AuthConfig {
  keys: ConfiguredApiKey[];
  /** HMAC key for signed intake webhooks; unset disables them. */
  webhookSecret?: string;
  /**
   * Where signed webhooks' signatures are remembered, so a replay within the 5-minute window is refused;
   * route-support's `guard` gives it the database's store when unset here.
   */
  seenSignatures?: SeenSignatures;
  rateLimitPerMinute: number;
  /** Codec calls per principal per minute, a budget apart from `rateLimitPerMinute` (api/routes/codec.routes.ts). */
  codecRateLimitPerMinute?: number;
  /**
   * Development only (`npm start`): codec calls from this machine need no key, because the dev server's
   * Web UI cannot send one. LEADFLOW_DEV_CODEC_LOOPBACK_WITHOUT_KEY.
   */
  devCodecLoopbackWithoutKey?: boolean;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Who is calling, set by `authenticate`; `rep` when the key is bound to a rep. */
    principal?: { keyId: string; via: 'bearer' | 'webhook' | 'loopback'; scopes: Scope[]; rep?: string };
  }
}

const allScopes: readonly Scope[] = ['intake', 'sales', 'read', 'codec', 'manager', 'admin'];
/** What each scope lets a key do besides itself. */
const impliedScopes: Partial<Record<Scope, readonly Scope[]>> = {
  admin: allScopes,
  manager: ['sales'],
};
const minSecretLength = 16;
const idPattern = /^[A-Za-z0-9_.-]{1,64}$/;
/** A rep id as a key names it: no '+', ':' or ',' (so it never reads as scopes in LEADFLOW_API_KEYS). */
const repPattern = /^[A-Za-z0-9_.@-]{1,200}$/;
const sha256HexPattern = /^[0-9a-f]{64}$/i;
const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
/** The principal id of signed webhooks; a key may not take it (it would share their rate limit). */
const webhookKeyId = 'webhook';
/** The principal id of keyless development calls from this machine; reserved likewise. */
const loopbackKeyId = 'dev-loopback';
/** How far a webhook timestamp may be from the server's clock, either direction. */
const webhookToleranceSeconds = 5 * 60;

// ---------------------------------------------------------------------------------------------------------
// Key configuration

/** Whether a key with `scopes` may call a route that needs `scope`. */
export function grants(scopes: readonly Scope[], scope: Scope): boolean {
  return scopes.some((s) => s === scope || (impliedScopes[s]?.includes(scope) ?? false));
}

/**
 * Parses `id:secret:scope+scope,id2:secret2:read,id3:secret3:sales:rep-ada`. The id is before the first
 * colon and the scopes after the last one, so a secret may itself contain colons; a key bound to a rep
 * ends with `:<rep>` after its scopes. The last part is read as the rep only when it is not a scope list
 * and the part before it is one, so every entry that was valid before means what it meant. Errors name
 * the entry by position and id, never by its secret.
 */
export function parseApiKeys(spec: string): ApiKey[] {
  const entries = spec
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  const keys = entries.map((entry, i): ApiKey => {
    const first = entry.indexOf(':');
    const last = entry.lastIndexOf(':');
    const where = `LEADFLOW_API_KEYS entry ${i + 1}`;
    if (first <= 0 || last === first) {
      // Without a colon the entry may be a bare secret: do not echo it.
      const id = first > 0 ? entry.slice(0, first) : '';
      throw new Error(`${where}${id && idPattern.test(id) ? ` ("${id}")` : ''}: expected id:secret:scope+scope`);
    }
    const id = entry.slice(0, first);
    const tail = entry.slice(last + 1).trim();
    const beforeTail = entry.lastIndexOf(':', last - 1);
    const boundToRep = !isScopeList(tail) && beforeTail > first && isScopeList(entry.slice(beforeTail + 1, last));
    const scopesEnd = boundToRep ? beforeTail : last;
    const secret = entry.slice(first + 1, scopesEnd);
    const scopes = entry
      .slice(scopesEnd + 1, boundToRep ? last : undefined)
      .split('+')
      .map((s) => s.trim());
    return checkKey({ id, secret, scopes, ...(boundToRep ? { rep: tail } : {}) }, where) as ApiKey;
  });
  checkUnique(keys, 'LEADFLOW_API_KEYS');
  return keys;
}

function isScopeList(part: string): boolean {
  const scopes = part.split('+').map((s) => s.trim());
  return scopes.every((s) => (allScopes as readonly string[]).includes(s));
}

/**
 * Reads a JSON array of `{id, secret | secretSha256, scopes, rep?}` (same rules as `parseApiKeys`).
 * `secretSha256` is the hex SHA-256 of the secret's UTF-8 bytes, so the file need not hold the secret.
 */
export function loadApiKeysFile(path: string): ConfiguredApiKey[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`API keys file ${path}: cannot read it as JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(parsed)) throw new Error(`API keys file ${path}: expected a JSON array of {id, secret, scopes}`);
  const shape = '{id: string, secret: string (or secretSha256: hex SHA-256 of it), scopes: string[], rep?: string}';
  const keys = parsed.map((entry: unknown, i) => {
    const where = `API keys file ${path}, entry ${i + 1}`;
    if (typeof entry !== 'object' || entry === null) throw new Error(`${where}: expected an object ${shape}`);
    const { id, secret, secretSha256, scopes, rep } = entry as Record<string, unknown>;
    const named = typeof id === 'string' && idPattern.test(id) ? ` ("${id}")` : '';
    const oneSecret = (typeof secret === 'string' && secretSha256 === undefined) || (secret === undefined && typeof secretSha256 === 'string');
    if (typeof id !== 'string' || !oneSecret || !Array.isArray(scopes) || (rep !== undefined && typeof rep !== 'string')) {
      throw new Error(`${where}${named}: expected ${shape}, with exactly one of secret and secretSha256`);
    }
    return checkKey(
      {
        id,
        ...(typeof secret === 'string' ? { secret } : { secretSha256: secretSha256 as string }),
        scopes: scopes.map((s) => String(s)),
        ...(rep !== undefined ? { rep } : {}),
      },
      where,
    );
  });
  checkUnique(keys, `API keys file ${path}`);
  return keys;
}

type RawKey = { id: string; scopes: string[]; rep?: string } & ({ secret: string } | { secretSha256: string });

function checkKey(raw: RawKey, where: string): ConfiguredApiKey {
  const id = raw.id.trim();
  if (!idPattern.test(id)) throw new Error(`${where}: the id must be 1-64 letters, digits, '_', '.' or '-'`);
  const at = `${where} ("${id}")`;
  if (id === webhookKeyId) throw new Error(`${at}: the id "${webhookKeyId}" is reserved for signed webhooks`);
  if (id === loopbackKeyId) throw new Error(`${at}: the id "${loopbackKeyId}" is reserved for development calls from this machine`);
  if ('secret' in raw) {
    if (raw.secret.length < minSecretLength) throw new Error(`${at}: the secret must be at least ${minSecretLength} characters`);
    if (/\s/.test(raw.secret)) throw new Error(`${at}: the secret must not contain whitespace`);
  } else if (!sha256HexPattern.test(raw.secretSha256)) {
    throw new Error(`${at}: secretSha256 must be the 64 hex characters of the secret's SHA-256`);
  }
  if (raw.scopes.length === 0 || raw.scopes.some((s) => s === '')) throw new Error(`${at}: missing scopes`);
  const unknown = raw.scopes.filter((s) => !(allScopes as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new Error(`${at}: unknown scope ${unknown.map((s) => `"${s}"`).join(', ')} (use ${allScopes.join(', ')})`);
  }
  const scopes = [...new Set(raw.scopes as Scope[])];
  if (raw.rep !== undefined) {
    if (!repPattern.test(raw.rep)) throw new Error(`${at}: the rep must be 1-200 letters, digits, '_', '.', '@' or '-'`);
    // A rep-bound key decides only as its rep; a manager decides as anyone: one key cannot be both.
    const broad = scopes.filter((s) => s === 'manager' || s === 'admin');
    if (broad.length > 0) throw new Error(`${at}: a key bound to a rep cannot have the "${broad[0]}" scope`);
  }
  const secret = 'secret' in raw ? { secret: raw.secret } : { secretSha256: raw.secretSha256.toLowerCase() };
  return { id, ...secret, scopes, ...(raw.rep !== undefined ? { rep: raw.rep } : {}) };
}

function checkUnique(keys: readonly ConfiguredApiKey[], where: string): void {
  const ids = new Set<string>();
  const digests = new Set<string>();
  keys.forEach((k, i) => {
    const digest = secretDigest(k).toString('hex');
    if (ids.has(k.id)) throw new Error(`${where} entry ${i + 1} ("${k.id}"): duplicate id`);
    if (digests.has(digest)) throw new Error(`${where} entry ${i + 1} ("${k.id}"): same secret as another key`);
    ids.add(k.id);
    digests.add(digest);
  });
}

/** The SHA-256 of a key's secret: what a presented token is compared with. */
function secretDigest(key: ConfiguredApiKey): Buffer {
  return 'secret' in key ? sha256(key.secret) : Buffer.from(key.secretSha256, 'hex');
}

/** The value of `secretSha256` for a secret (for writing a keys file that holds no secret). */
export function hashSecret(secret: string): string {
  return sha256(secret).toString('hex');
}

/** A throwaway all-scopes key for local development. */
export function generateDevKey(): ApiKey {
  return { id: 'dev', secret: randomBytes(32).toString('hex'), scopes: ['intake', 'sales', 'read', 'admin'] };
}

// ---------------------------------------------------------------------------------------------------------
// Authentication

export interface AuthenticateOptions {
  allowSignedWebhook?: boolean;
  /**
   * Development only: a request without an Authorization header is let in when it comes from a loopback
   * address, straight (no proxy headers), and from no web origin other than `allowedOrigin` (a page on
   * another site in the same browser cannot use it). Anything else needs a key as usual.
   */
  loopbackWithoutKey?: { allowedOrigin?: string };
}

/**
 * Requires a key with `scope` (`admin` implies every scope), or, with `allowSignedWebhook` and a configured
 * webhook secret, a signed body in place of the Authorization header. Sets `req.principal`.
 */
export function authenticate(config: AuthConfig, scope: Scope, options: AuthenticateOptions = {}): RequestHandler {
  const digests = config.keys.map((key) => ({ key, digest: secretDigest(key) }));
  const webhookSecret = options.allowSignedWebhook ? config.webhookSecret : undefined;

  return (req, res, next) => {
    const authorization = req.headers.authorization;
    const signed = req.headers['x-leadflow-signature'] !== undefined || req.headers['x-leadflow-timestamp'] !== undefined;

    if (authorization === undefined && webhookSecret && signed) {
      const checked = checkWebhookSignature(webhookSecret, req.header('x-leadflow-timestamp'), req.header('x-leadflow-signature'), req);
      if (typeof checked === 'string') return next(new ApiError(401, 'invalid_signature', checked));
      req.principal = { keyId: webhookKeyId, via: 'webhook', scopes: ['intake'] };
      if (scope !== 'intake') return next(forbidden(scope));
      if (!config.seenSignatures) return next();
      // Taken once: a captured request sent again within the window is refused. Genuine retries sign
      // again with a new timestamp. An unreachable store is a 503 (the error handler), never a pass.
      config.seenSignatures.firstUse(checked.signature, checked.expiresAt).then(
        (first) => next(first ? undefined : new ApiError(401, 'replayed_signature', 'This signature was already used; sign every request, retries included, with a new x-leadflow-timestamp')),
        (err: unknown) => next(err),
      );
      return;
    }

    if (authorization === undefined && options.loopbackWithoutKey && isKeylessLoopbackCall(req, options.loopbackWithoutKey.allowedOrigin)) {
      req.principal = { keyId: loopbackKeyId, via: 'loopback', scopes: [scope] };
      return next();
    }

    if (authorization === undefined) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="leadflow"');
      return next(new ApiError(401, 'unauthorized', 'Send an API key as "Authorization: Bearer <key>"'));
    }
    const token = /^Bearer +(\S+) *$/i.exec(authorization)?.[1];
    // Compare against every key, whatever matched, so the time taken does not tell which key (if any) did.
    const presented = sha256(token ?? '');
    let match: ConfiguredApiKey | undefined;
    for (const { key, digest } of digests) {
      if (timingSafeEqual(presented, digest) && token !== undefined) match ??= key;
    }
    if (!match) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="leadflow", error="invalid_token"');
      return next(new ApiError(401, 'unauthorized', 'The API key is missing, malformed or not valid'));
    }
    req.principal = { keyId: match.id, via: 'bearer', scopes: [...match.scopes], ...(match.rep !== undefined ? { rep: match.rep } : {}) };
    if (!grants(match.scopes, scope)) return next(forbidden(scope));
    next();
  };
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 addresses. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return address === '::1' || /^127(?:\.\d{1,3}){3}$/.test(v4);
}

function isKeylessLoopbackCall(req: Request, allowedOrigin: string | undefined): boolean {
  // Behind a reverse proxy on the same host every request comes from loopback: a forwarded one is not ours.
  if (req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined) return false;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== allowedOrigin) return false;
  return isLoopbackAddress(req.socket.remoteAddress);
}

function forbidden(scope: Scope): ApiError {
  return new ApiError(403, 'forbidden', `This API key lacks the "${scope}" scope needed here`);
}

/**
 * Why a signed webhook is refused, or, when it is genuine and fresh, its signature (lower-case hex) and
 * when it stops passing the timestamp check, which is how long it must be remembered.
 */
function checkWebhookSignature(
  secret: string,
  timestamp: string | undefined,
  signature: string | undefined,
  req: unknown,
): string | { signature: string; expiresAt: Date } {
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp.trim())) {
    return 'Send x-leadflow-timestamp as unix seconds with the signature';
  }
  const hex = /^sha256=([0-9a-f]{64})$/i.exec(signature?.trim() ?? '')?.[1];
  if (!hex) return 'Send x-leadflow-signature as sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">';
  const ts = Number(timestamp.trim());
  if (Math.abs(Date.now() / 1000 - ts) > webhookToleranceSeconds) {
    return 'The x-leadflow-timestamp is more than 5 minutes from the server clock';
  }
  const rawBody = (req as { rawBody?: unknown }).rawBody;
  const body = Buffer.isBuffer(rawBody) ? rawBody : Buffer.alloc(0);
  const expected = hmac(secret, timestamp.trim(), body);
  if (!timingSafeEqual(expected, Buffer.from(hex, 'hex'))) return 'The signature does not match the body';
  return { signature: hex.toLowerCase(), expiresAt: new Date((ts + webhookToleranceSeconds + 1) * 1000) };
}

function hmac(secret: string, timestamp: string, rawBody: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
}

/** The `x-leadflow-signature` value for a body sent at `timestamp` (unix seconds). */
export function signWebhookBody(secret: string, timestamp: number | string, rawBody: Buffer | string): string {
  return `sha256=${hmac(secret, String(timestamp), rawBody).toString('hex')}`;
}

// ---------------------------------------------------------------------------------------------------------
// Rate limiting

/**
 * Codec calls (/codec) per principal per minute, a budget apart from the API's: the Temporal Web UI sends
 * one decode call per history event, so opening one lead run (up to its policy's maxHistoryEvents, 2,000
 * by default) is a burst of up to that many calls, which the API's 600 a minute would cut off mid-history.
 */
export const DEFAULT_CODEC_RATE_LIMIT_PER_MINUTE = 6000;

/** Buckets kept at most; the least recently used goes first (a forgotten bucket comes back full). */
const maxBuckets = 10_000;

/**
 * A token bucket per principal: `perMinute` requests in a burst, refilled at `perMinute / 60` per second.
 * In memory, so per process. Must run after `authenticate`.
 */
export function rateLimiter(perMinute: number, now: () => number = () => Date.now()): RequestHandler {
  if (!Number.isFinite(perMinute) || perMinute < 1) throw new RangeError(`rate limit must be at least 1 request per minute, got ${perMinute}`);
  const capacity = perMinute;
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();

  return (req, res, next) => {
    const keyId = req.principal?.keyId;
    if (keyId === undefined) return next(new Error('rateLimiter must run after authenticate (no req.principal)'));
    const t = now();
    const previous = buckets.get(keyId);
    const bucket = previous
      ? { tokens: Math.min(capacity, previous.tokens + Math.max(0, t - previous.at) * perMs), at: Math.max(t, previous.at) }
      : { tokens: capacity, at: t };
    // Re-inserting keeps the Map in least-recently-used order for eviction.
    buckets.delete(keyId);
    res.setHeader('RateLimit-Limit', String(perMinute));
    if (bucket.tokens < 1) {
      buckets.set(keyId, bucket);
      const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
      res.setHeader('RateLimit-Remaining', '0');
      res.setHeader('Retry-After', String(retryAfter));
      return next(new ApiError(429, 'rate_limited', `Too many requests for this API key; retry in ${retryAfter} s`));
    }
    bucket.tokens -= 1;
    buckets.set(keyId, bucket);
    if (buckets.size > maxBuckets) buckets.delete(buckets.keys().next().value!);
    res.setHeader('RateLimit-Remaining', String(Math.floor(bucket.tokens)));
    next();
  };
}
