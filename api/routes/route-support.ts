import { createHash } from 'node:crypto';
import type { Express, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { workflowIdForLead } from '../../client/lead-id';
import { deleteExpiredAnswers, findStoredAnswer, storeAnswer } from '../../db/idempotency.repository';
import { databaseSeenSignatures } from '../../db/seen-signatures.repository';
import { allowedCommands } from '../../domain/lead-decider';
import type { LeadState } from '../../domain/lead-state';
import type { AppDeps } from '../app-deps';
import { authenticate, rateLimiter, type AuthConfig, type Scope } from '../auth';
import { ApiError, errorBody } from '../errors';
import { IdempotencyHeaders, type LeadView } from '../schemas';
import { fromTemporalError, isSignalLimitExceeded, isTimeout, leadErased, SIGNAL_LIMIT_RETRY_AFTER_SECONDS } from '../temporal-errors';

/*
 * What the route files share: request validation, authentication + rate limiting, Idempotency-Key
 * handling, and the lead's public view. Each route lives in its own file beside this one.
 */

/** Parses a part of the request with its schema; a mismatch is a 400 with the zod issues. */
export function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw ApiError.validation(result.error.issues);
  return result.data;
}

const limiters = new WeakMap<Express, RequestHandler>();
const seenSignatureStores = new WeakMap<AppDeps, AuthConfig['seenSignatures']>();

/**
 * Authentication for `scope`, then the rate limit. One limiter per app, so a key's budget is shared by
 * every route it calls. Signed webhooks are remembered in the database unless `deps.auth` brings its
 * own store, so a replayed signature is refused by whichever API process it reaches.
 */
export function guard(app: Express, deps: AppDeps, scope: Scope, options: { allowSignedWebhook?: boolean } = {}): RequestHandler[] {
  let limiter = limiters.get(app);
  if (!limiter) {
    limiter = rateLimiter(deps.auth.rateLimitPerMinute);
    limiters.set(app, limiter);
  }
  let seenSignatures = deps.auth.seenSignatures ?? seenSignatureStores.get(deps);
  if (!seenSignatures && options.allowSignedWebhook) {
    seenSignatures = databaseSeenSignatures(deps.db, (err) => deps.logger.warn({ err }, 'expired webhook signatures not purged'));
    seenSignatureStores.set(deps, seenSignatures);
  }
  return [authenticate({ ...deps.auth, seenSignatures }, scope, options), limiter];
}

export interface Answer {
  status: number;
  body: unknown;
}

/** A route body: gets the Temporal update id to use (derived from the Idempotency-Key), if any. */
export type IdempotentHandler = (req: Request, res: Response, updateId: string | undefined) => Promise<Answer>;

/** How often a process deletes expired idempotency answers (on the way of a request, in the background). */
const PURGE_EVERY_MS = 10 * 60 * 1000;
const lastPurge = new WeakMap<AppDeps, number>();

/**
 * Idempotency-Key support for a write route. The first answer below 500 is stored per (API key,
 * Idempotency-Key) and replayed for 24 h; the same key with another method, path or body is a 422.
 * The Temporal update id is derived from the key, so concurrent duplicates that both miss the store
 * still collapse into one change in the lead workflow. 5xx answers are not stored: retrying is the point.
 */
export function idempotent(deps: AppDeps, operation: string, handler: IdempotentHandler): RequestHandler {
  return async (req, res) => {
    const key = parse(IdempotencyHeaders, { 'Idempotency-Key': req.header('idempotency-key') })['Idempotency-Key'];
    if (key === undefined) {
      const answer = await handler(req, res, undefined);
      res.status(answer.status).json(answer.body);
      return;
    }
    purgeExpiredAnswers(deps);
    const keyId = req.principal?.keyId ?? 'anonymous';
    const requestHash = hashRequest(req);
    const stored = await findStoredAnswer(deps.db, { keyId, idempotencyKey: key });
    if (stored) {
      if (stored.requestHash !== requestHash) {
        throw new ApiError(
          422,
          'idempotency_key_reused',
          'This Idempotency-Key was already used with a different request; use a new key for a new request',
        );
      }
      res.setHeader('Idempotent-Replayed', 'true');
      res.status(stored.statusCode).json(stored.body);
      return;
    }
    const remember = async (answer: Answer): Promise<void> => {
      try {
        // The lead the answer is about, so that erasing the lead deletes it (answers quote the profile).
        const leadId = leadIdOf(req, answer.body);
        await storeAnswer(deps.db, { keyId, idempotencyKey: key, requestHash, statusCode: answer.status, body: answer.body, leadId });
      } catch (err) {
        // The change is made; only the replay is lost. A retry still collapses on the Temporal update id.
        deps.logger.warn({ err, reqId: req.id }, 'idempotent answer not stored');
      }
    };
    let answer: Answer;
    try {
      answer = await handler(req, res, `${operation}/${keyId}/${key}`);
    } catch (err) {
      if (err instanceof ApiError && err.status < 500 && err.status !== 429) {
        await remember({ status: err.status, body: errorBody(err) });
      }
      throw err;
    }
    await remember(answer);
    res.status(answer.status).json(answer.body);
  };
}

function leadIdOf(req: Request, body: unknown): string | null {
  const fromPath = (req.params as Record<string, string | undefined>).leadId;
  if (fromPath) return fromPath;
  const fromBody = (body as { leadId?: unknown } | null)?.leadId;
  return typeof fromBody === 'string' ? fromBody : null;
}

function purgeExpiredAnswers(deps: AppDeps): void {
  const now = Date.now();
  if (now - (lastPurge.get(deps) ?? 0) < PURGE_EVERY_MS) return;
  lastPurge.set(deps, now);
  deleteExpiredAnswers(deps.db).catch((err: unknown) => deps.logger.warn({ err }, 'expired idempotency answers not purged'));
}

function hashRequest(req: Request): string {
  return createHash('sha256')
    .update(`${req.method} ${req.path}\n`)
    .update(canonicalJson(req.body))
    .digest('hex');
}

/** JSON with object keys sorted, so the same body sent with another key order hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The lead as the API shows it: the read model's columns and the parts of the state a client needs. */
export function leadView(state: LeadState, deps: Pick<AppDeps, 'client' | 'temporalUiUrl'>): LeadView {
  const { profile } = state;
  const fullName = [profile.firstName, profile.lastName].filter((p) => p && p.trim() !== '').join(' ');
  const recycled = state.stage === 'recycled' ? state.recycle : undefined;
  const namespace = deps.client.options.namespace;
  return {
    leadId: state.leadId,
    stage: state.stage,
    owner: state.owner ?? null,
    email: profile.email,
    fullName: fullName === '' ? null : fullName,
    company: profile.company ?? null,
    country: profile.country ?? null,
    profile: { ...profile },
    source: { channel: state.source?.channel ?? null, campaign: state.source?.campaign ?? null },
    fitScore: state.fitScore,
    engagementScore: state.engagementScore,
    sla: state.sla ? { ...state.sla } : null,
    slaBreaches: state.slaBreaches,
    mqlCycle: state.mqlCycle,
    recycleCount: state.recycleCount,
    recycleReason: recycled?.reason ?? null,
    bantGaps: recycled?.bantGaps ?? null,
    needsDataRepair: state.recycle?.needsDataRepair ?? false,
    unsubscribed: state.unsubscribed,
    contactAttempts: state.contactAttempts ?? 0,
    opportunityId: state.opportunityId ?? null,
    closed: state.closed ? { ...state.closed, reason: state.closed.reason ?? null } : null,
    stageReachedAt: { ...state.firstReachedAt },
    allowedCommands: allowedCommands(state) as LeadView['allowedCommands'],
    createdAt: state.createdAt ?? null,
    updatedAt: state.updatedAt ?? null,
    lastEventSeq: state.seq,
    links: {
      self: `/v1/leads/${state.leadId}`,
      history: `/v1/leads/${state.leadId}/history`,
      ...(deps.temporalUiUrl
        ? { temporal: `${deps.temporalUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${state.leadId}` }
        : {}),
    },
  };
}

/** The lead's state in the read model (`leads`), or undefined when it is not there. */
export async function projectedState(deps: Pick<AppDeps, 'db'>, leadId: string): Promise<LeadState | undefined> {
  const row = await deps.db.selectFrom('leads').select('state').where('leadId', '=', leadId).executeTakeFirst();
  return row ? (row.state as LeadState) : undefined;
}

/** The lead in the read model, asked for only when a Temporal failure needs explaining. */
export function projected(deps: Pick<AppDeps, 'db'>, leadId: string): () => Promise<LeadState | undefined> {
  return () => projectedState(deps, leadId);
}

/** The lead as the read model has it, for a read: 404 when unknown, 410 once erased. */
export async function existingLead(deps: Pick<AppDeps, 'db'>, leadId: string): Promise<LeadState> {
  const state = await projectedState(deps, leadId);
  if (!state || state.seq === 0) throw ApiError.notFound(`Lead ${leadId}`);
  if (state.erasedAt !== undefined) throw leadErased(leadId, state.erasedAt);
  return state;
}

/** Deadline for calls that wait on the lead workflow (form fills, signals, decisions, queries). */
export function workflowDeadline(deps: Pick<AppDeps, 'decisionTimeoutMs'>): number {
  return Date.now() + deps.decisionTimeoutMs;
}

/**
 * Sends a Signal to the lead within the decision deadline. A timeout (the signal may still arrive) and
 * Temporal's per-run signal cap (nothing was applied) both become 503 with Retry-After.
 */
export async function signalLead(
  deps: Pick<AppDeps, 'db' | 'decisionTimeoutMs' | 'client'>,
  res: Response,
  leadId: string,
  send: (handle: ReturnType<AppDeps['client']['workflow']['getHandle']>) => Promise<void>,
): Promise<void> {
  try {
    await deps.client.withDeadline(workflowDeadline(deps), () => send(deps.client.workflow.getHandle(workflowIdForLead(leadId))));
  } catch (err) {
    if (isTimeout(err)) res.setHeader('Retry-After', '5');
    else if (isSignalLimitExceeded(err)) res.setHeader('Retry-After', String(SIGNAL_LIMIT_RETRY_AFTER_SECONDS));
    throw await fromTemporalError(err, { leadId, projected: projected(deps, leadId), mayApplyLater: true });
  }
}
