import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { Payload } from '@temporalio/common';
import express, { type Express, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { DataKeyDestroyedError, LeadPayloadCodec, UnknownDataKeyError, leadIdOfKeyId } from '../../encryption';
import { encryptionKeyId } from '../../encryption/lead-payload-codec';
import type { AppDeps } from '../app-deps';
import { authenticate, DEFAULT_CODEC_RATE_LIMIT_PER_MINUTE, rateLimiter } from '../auth';
import { ApiError, isUnavailable } from '../errors';
import { ErrorResponse } from '../schemas';
import { parse } from './route-support';

/*
 * The codec server: the Temporal Web UI and CLI send it the encrypted payloads of a history and show
 * what it answers, so an engineer can read a lead's inputs without the keys ever leaving Leadflow.
 * Protocol (temporalio/samples-go codec-server/protocol.md, samples-typescript encryption/): POST
 * `<endpoint>/decode` and `<endpoint>/encode` with `{payloads: [{metadata: {k: base64}, data: base64}]}`,
 * the proto3 JSON of `temporal.api.common.v1.Payloads`, answered in the same shape and order.
 *
 * What the Web UI sends (temporalio/ui src/lib/services/data-encoder.ts, 2.53.3 and later):
 * `Content-Type: application/json` and `X-Namespace`, from the UI's origin (so CORS, with a preflight);
 * `Authorization: Bearer <OIDC access token>` (+ `Authorization-Extras: <id token>`) only when the UI has
 * its own OIDC login, TEMPORAL_CODEC_PASS_ACCESS_TOKEN is set and the endpoint is https; cookies only
 * with "include cross-origin credentials". The CLI sends `Authorization: <--codec-auth>` and X-Namespace.
 */

export const CODEC_PATH = '/codec';
/** A payload may be 2 MB (Temporal's limit) before base64 (x 4/3) and the JSON around it. */
export const CODEC_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

const CORS_ALLOWED_HEADERS = 'content-type, x-namespace, authorization, authorization-extras';
const CORS_MAX_AGE_SECONDS = 600;

// ---------------------------------------------------------------------------------------------------------
// The contract

/** proto3 JSON writes bytes as base64, standard or URL-safe, with or without padding. */
const Base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'expected base64 (proto3 JSON bytes)');

export const CodecPayload = z
  .object({
    metadata: z
      .record(z.string(), Base64)
      .nullish()
      .openapi({ description: 'Metadata values, each base64. `encoding` and `encryption-key-id` say how `data` is encoded.' }),
    data: Base64.nullish().openapi({ description: 'The payload bytes, base64.' }),
  })
  // Fields this server does not read (e.g. `externalPayloads`) travel back unchanged with a payload it
  // does not decode.
  .loose()
  .openapi('CodecPayload', { description: 'One `temporal.api.common.v1.Payload` in proto3 JSON.' });

export const CodecPayloads = z
  .object({
    // proto3 JSON leaves out an empty repeated field, so `{}` is an empty list.
    payloads: z.array(CodecPayload).default([]),
  })
  .openapi('CodecPayloads', {
    description: 'A `temporal.api.common.v1.Payloads` in proto3 JSON, the body of every codec call and answer.',
  });

type JsonPayload = z.output<typeof CodecPayload>;

/** What a payload of an erased lead decodes to: readable, unlike the ciphertext, and saying why. */
export interface ErasedMarker {
  erased: true;
  leadId: string | null;
  erasedAt: string | null;
  message: string;
}

/** What a payload decodes to when this Leadflow cannot decode it for another reason. */
export interface UndecodableMarker {
  undecodable: true;
  reason: 'unknown_key' | 'decryption_failed';
  keyId: string | null;
  message: string;
}

// ---------------------------------------------------------------------------------------------------------
// CORS for the Temporal Web UI

/**
 * The Web UI calls the codec from the browser, from its own origin (TEMPORAL_UI_URL). That origin alone
 * gets CORS answers, credentials allowed (the UI's "include cross-origin credentials"). Preflights are
 * answered here, before authentication: a browser never sends credentials with them. Registered before
 * the body parsers, so a 401, 413 or 415 still reaches the UI as such instead of as a CORS failure.
 */
export function registerCodecCors(app: Express, deps: Pick<AppDeps, 'temporalUiUrl'>): void {
  const uiOrigin = deps.temporalUiUrl ? new URL(deps.temporalUiUrl).origin : undefined;
  app.use(CODEC_PATH, (req, res, next) => {
    res.vary('Origin');
    const origin = req.headers.origin;
    const allowed = origin !== undefined && origin === uiOrigin;
    if (allowed) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Expose-Headers', 'retry-after, x-request-id');
    }
    if (req.method !== 'OPTIONS') return next();
    if (origin !== undefined && !allowed) {
      return next(new ApiError(403, 'forbidden', `Origin ${origin} may not call the codec from a browser; only the Temporal UI's origin may`));
    }
    res.setHeader('Allow', 'POST, OPTIONS');
    if (allowed) {
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', CORS_ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', String(CORS_MAX_AGE_SECONDS));
    }
    res.status(204).end();
  });
}

/** Codec calls carry their own (larger) body limit: the API's 1 MB JSON parser leaves them alone. */
export function isCodecRequest(req: Pick<Request, 'path'>): boolean {
  return req.path.toLowerCase().startsWith(`${CODEC_PATH}/`);
}

// ---------------------------------------------------------------------------------------------------------
// The routes

/**
 * POST /codec/decode and /codec/encode, scope `codec` (or `admin`). With
 * LEADFLOW_DEV_CODEC_LOOPBACK_WITHOUT_KEY (npm start only), a request without a key from this machine,
 * and from no other web origin than the UI's, is let in: the dev server's UI has no way to send one.
 */
export function registerCodecRoutes(app: Express, deps: AppDeps): void {
  const uiOrigin = deps.temporalUiUrl ? new URL(deps.temporalUiUrl).origin : undefined;
  const access: RequestHandler[] = [
    authenticate(deps.auth, 'codec', deps.auth.devCodecLoopbackWithoutKey ? { loopbackWithoutKey: { allowedOrigin: uiOrigin } } : {}),
    // Its own budget, not the API's: see DEFAULT_CODEC_RATE_LIMIT_PER_MINUTE.
    rateLimiter(deps.auth.codecRateLimitPerMinute ?? DEFAULT_CODEC_RATE_LIMIT_PER_MINUTE),
    express.json({ limit: CODEC_BODY_LIMIT_BYTES, type: 'application/json' }),
  ];
  const codec = new LeadPayloadCodec(deps.keys);

  app.post(`${CODEC_PATH}/decode`, ...access, async (req, res) => {
    const { payloads } = parse(CodecPayloads, req.body);
    // Each key is read from its row once per call (`fresh`), so a key another process destroyed a moment
    // ago is seen now, not after the key cache's TTL.
    const readKeys = new Set<string>();
    const leads = new Set<string>();
    const decoded: JsonPayload[] = [];
    for (const json of payloads) {
      const payload = fromJson(json);
      let keyId: string | undefined;
      try {
        keyId = encryptionKeyId(payload);
      } catch {
        decoded.push(markerPayload(undecodable('decryption_failed', null, 'This payload says it is encrypted but names no key.')));
        continue;
      }
      if (keyId === undefined) {
        decoded.push(json); // not encrypted: the UI shows it as it is
        continue;
      }
      const fresh = !readKeys.has(keyId);
      readKeys.add(keyId);
      const leadId = leadIdOfKeyId(keyId);
      if (leadId) leads.add(leadId);
      decoded.push(await decodeOrMark(codec, payload, keyId, fresh, deps, req));
    }
    // Who read whose personal data: lead ids are keyed hashes, never the person.
    deps.logger.info({ reqId: req.id, principal: req.principal?.keyId, namespace: req.header('x-namespace'), leads: [...leads] }, 'codec decode');
    res.json({ payloads: decoded });
  });

  app.post(`${CODEC_PATH}/encode`, ...access, async (req, res) => {
    const { payloads } = parse(CodecPayloads, req.body);
    // No serialization context reaches a codec server, so this is the system key: what the UI or the
    // CLI encodes (a signal typed into the UI) is not erased with a lead.
    const encoded = await codec.encode(payloads.map(fromJson));
    res.json({ payloads: encoded.map(toJson) });
  });
}

/**
 * One encrypted payload, or the marker that says why it cannot be read. The key is read first, on its
 * own, so a destroyed or unknown key is told apart from bytes that do not decrypt with a good key.
 */
async function decodeOrMark(codec: LeadPayloadCodec, payload: Payload, keyId: string, fresh: boolean, deps: AppDeps, req: Request): Promise<JsonPayload> {
  try {
    await deps.keys.keyById(keyId, { fresh });
  } catch (err) {
    const marker = keyMarker(err, keyId);
    if (marker) return markerPayload(marker);
    throw err; // the database is down (503), or the master key does not unwrap this key (500)
  }
  try {
    return toJson(await codec.decodeOne(payload));
  } catch (err) {
    const marker = keyMarker(err, keyId); // destroyed in between
    if (marker) return markerPayload(marker);
    if (isUnavailable(err)) throw err;
    deps.logger.warn({ reqId: req.id, keyId }, 'codec: a payload does not decrypt with its key (changed or damaged bytes)');
    return markerPayload(undecodable('decryption_failed', keyId, `This payload does not decrypt with key ${keyId}: its bytes were changed or damaged.`));
  }
}

function keyMarker(err: unknown, keyId: string): ErasedMarker | UndecodableMarker | undefined {
  if (err instanceof DataKeyDestroyedError) {
    const when = err.destroyedAt ? ` at ${err.destroyedAt}` : '';
    return {
      erased: true,
      leadId: err.leadId,
      erasedAt: err.destroyedAt,
      message: `${err.leadId ? `Lead ${err.leadId}` : 'This data'} was erased${when}: its key is destroyed, so this payload can never be read again.`,
    };
  }
  if (err instanceof UnknownDataKeyError) {
    return undecodable('unknown_key', keyId, `Key ${keyId} is not in this Leadflow's key store: another installation (or database) encrypted this payload.`);
  }
  return undefined;
}

function undecodable(reason: UndecodableMarker['reason'], keyId: string | null, message: string): UndecodableMarker {
  return { undecodable: true, reason, keyId, message };
}

const utf8 = new TextEncoder();

/** A `json/plain` payload: the UI and the CLI show its data as JSON. */
function markerPayload(marker: ErasedMarker | UndecodableMarker): JsonPayload {
  return toJson({ metadata: { encoding: utf8.encode('json/plain') }, data: utf8.encode(JSON.stringify(marker)) });
}

function fromJson({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(data ?? '', 'base64'),
  };
}

function toJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}

// ---------------------------------------------------------------------------------------------------------
// OpenAPI

export const CODEC_OPENAPI_TAG = {
  name: 'codec',
  description:
    'The codec server of the Temporal Web UI and CLI: decodes the encrypted payloads of lead histories (scope `codec`).',
};

const error = (description: string, headers?: ResponseConfig['headers']): ResponseConfig => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/json': { schema: ErrorResponse } },
});

export function registerCodecOpenApi(registry: OpenAPIRegistry): void {
  const responses = (ok: string) => ({
    200: { description: ok, content: { 'application/json': { schema: CodecPayloads } } },
    400: error('`invalid_request`: the body is not Payloads in proto3 JSON (`details` lists the zod issues), or `invalid_json`.'),
    401: error('`unauthorized`: no or an unknown API key (and not a development request from this machine, see above).'),
    403: error('`forbidden`: the key lacks the `codec` scope, or a preflight came from another origin than the Temporal UI.'),
    413: error(`\`payload_too_large\`: the body is larger than ${CODEC_BODY_LIMIT_BYTES / 1024 / 1024} MB.`),
    415: error('`unsupported_media_type`: send `Content-Type: application/json`.'),
    429: error('`rate_limited`: too many codec calls for this key (a budget apart from the rest of the API).', {
      'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } },
    }),
    503: error('`unavailable`: the key store (database) did not answer.'),
  });
  const common =
    'The Temporal Web UI (`--ui-codec-endpoint`, TEMPORAL_CODEC_ENDPOINT) and CLI (`--codec-endpoint`) call this ' +
    `with the endpoint \`<API>${CODEC_PATH}\`. Authenticate with \`Authorization: Bearer <key>\` (scope \`codec\`); ` +
    'with LEADFLOW_DEV_CODEC_LOOPBACK_WITHOUT_KEY (set by `npm start` only) a request from this machine needs no key. ' +
    'CORS answers only the Temporal UI\'s origin (TEMPORAL_UI_URL), credentials allowed. `X-Namespace` is accepted ' +
    'and logged; the key id in each payload decides how it is decoded.';

  registry.registerPath({
    method: 'post',
    path: `${CODEC_PATH}/decode`,
    operationId: 'codecDecode',
    tags: [CODEC_OPENAPI_TAG.name],
    summary: 'Decode payloads for the Temporal UI and CLI',
    description:
      `${common}\n\nAnswers the payloads in the same order. An encrypted payload (\`encoding: binary/encrypted\`) comes ` +
      'back as it was before encryption; any other passes through unchanged. Each key is read from the key store ' +
      'at every call, so an erasure is seen at once: a payload whose key is destroyed comes back as a `json/plain` ' +
      'marker `{"erased": true, "leadId", "erasedAt", "message"}`, and one this Leadflow cannot decode (a key it does ' +
      'not know, bytes that do not decrypt) as `{"undecodable": true, "reason": "unknown_key" | "decryption_failed", ' +
      '"keyId", "message"}`, both with 200, so the rest of a history stays readable.',
    security: [{ bearerAuth: ['codec'] }],
    request: {
      headers: z.object({ 'X-Namespace': z.string().optional().openapi({ description: 'The namespace of the payloads (sent by the UI and the CLI).' }) }),
      body: { required: true, content: { 'application/json': { schema: CodecPayloads } } },
    },
    responses: responses('The payloads, decoded.'),
  });
  registry.registerPath({
    method: 'post',
    path: `${CODEC_PATH}/encode`,
    operationId: 'codecEncode',
    tags: [CODEC_OPENAPI_TAG.name],
    summary: 'Encode payloads for the Temporal UI and CLI',
    description:
      `${common}\n\nEncrypts each payload with Leadflow's **system key**: the codec protocol does not say which ` +
      'workflow a payload goes to, so what is typed into the UI or the CLI (a signal, an update) is not encrypted ' +
      'with a lead\'s key and is not erased with the lead. Keep personal data out of it.',
    security: [{ bearerAuth: ['codec'] }],
    request: {
      headers: z.object({ 'X-Namespace': z.string().optional().openapi({ description: 'The namespace of the payloads (sent by the UI and the CLI).' }) }),
      body: { required: true, content: { 'application/json': { schema: CodecPayloads } } },
    },
    responses: responses('The payloads, encrypted.'),
  });
}
