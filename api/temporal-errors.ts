import {
  ApplicationFailure,
  isGrpcCancelledError,
  isGrpcDeadlineError,
  isGrpcServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { authorityRefusalCodes, type CommandRefusal } from '../domain/lead-decider';
import type { LeadStage } from '../domain/lead-events';
import type { LeadState } from '../domain/lead-state';
import { COMMAND_REFUSED, INVALID_COMMAND } from '../workflows/lead.messages';
import { ApiError, isUnavailable } from './errors';

/*
 * What the lead workflow's answers and Temporal's failures mean for an HTTP caller. One mapping, used by
 * every route that talks to a lead workflow.
 */

export interface TemporalErrorContext {
  leadId: string;
  /** The lead in the read model, or undefined when it is unknown there. */
  projected: () => Promise<LeadState | undefined>;
  /** Whether the request may have reached the workflow (an Update or Signal) before it timed out. */
  mayApplyLater: boolean;
}

/** The refusal a COMMAND_REFUSED failure carries (details[0]). */
export function commandRefusal(err: unknown): CommandRefusal | undefined {
  const failure = applicationFailure(err);
  if (failure?.type !== COMMAND_REFUSED) return undefined;
  return failure.details?.[0] as CommandRefusal | undefined;
}

function applicationFailure(err: unknown): ApplicationFailure | undefined {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) return err.cause;
  if (err instanceof ApplicationFailure) return err;
  return undefined;
}

function refusedAsErased(err: unknown): boolean {
  return commandRefusal(err)?.code === 'LEAD_ERASED';
}

/** The codec refused to encode for a lead whose key is destroyed (the lead was erased). */
function isKeyDestroyed(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if ((e as { name?: string }).name === 'DataKeyDestroyedError') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export function isTimeout(err: unknown): boolean {
  return (
    err instanceof WorkflowUpdateRPCTimeoutOrCancelledError ||
    isGrpcDeadlineError(err) ||
    isGrpcCancelledError(err) ||
    isUnavailable(err)
  );
}

/**
 * The server refused a signal because the lead's current run already holds the most signals a run may take
 * (`history.maximumSignalsPerExecution`, 10,000 by default; gRPC INVALID_ARGUMENT "exceeded workflow execution
 * limit for signal events"). It happens only during a sustained engagement storm: while signals keep arriving
 * the run cannot continue-as-new, and once the server refuses them it does, and the next run takes signals
 * again. So it is a transient refusal of this one request, nothing was applied, and the caller should retry.
 */
export function isSignalLimitExceeded(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (isGrpcServiceError(e)) {
      const code: number = e.code; // gRPC status; 3 = INVALID_ARGUMENT
      if (code === 3 && /exceeded workflow execution limit for signal events/i.test(e.details)) return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Seconds a caller should wait before retrying after a signal the lead's run could not take. */
export const SIGNAL_LIMIT_RETRY_AFTER_SECONDS = 2;

/** The 503 of a signal refused by the server's per-run signal limit (see isSignalLimitExceeded). */
export function signalLimitReached(leadId: string): ApiError {
  return new ApiError(
    503,
    'unavailable',
    `Lead ${leadId} is taking in more events than it can record right now (its workflow run reached Temporal's ` +
      'limit of signals per run and is rolling over to a new one). Nothing was applied; retry after Retry-After ' +
      'seconds, with the same Idempotency-Key if you sent one.',
    { reason: 'signal_limit' },
  );
}

/** 410 with the tombstone of an erased lead: its id and when, nothing about the person. */
export function leadErased(leadId: string, erasedAt: string): ApiError {
  return new ApiError(410, 'lead_erased', `Lead ${leadId} was erased at ${erasedAt}; nothing about the person is kept`, { leadId, erasedAt });
}

export function leadClosed(leadId: string, stage: LeadStage | 'unknown'): ApiError {
  return new ApiError(409, 'lead_closed', `Lead ${leadId} is closed (${stage}); it takes no more changes`, { stage });
}

/** The 503 of a call to a lead workflow that did not answer in time. */
export function workflowUnavailable(mayApplyLater: boolean): ApiError {
  return mayApplyLater
    ? new ApiError(
        503,
        'unavailable',
        'The lead did not answer in time (Temporal or its worker is unavailable). The request may still be applied ' +
          'when the worker is back; retrying with the same Idempotency-Key is safe.',
      )
    : new ApiError(503, 'unavailable', 'Temporal did not answer in time; nothing was applied, the request can be retried');
}

/**
 * Maps a failure of an Update, Signal or Query sent to a lead workflow to the API's error, or returns the
 * error unchanged when it means nothing here (the error handler answers 500).
 */
export async function fromTemporalError(err: unknown, ctx: TemporalErrorContext): Promise<unknown> {
  const refusal = commandRefusal(err);
  if (refusal && authorityRefusalCodes.includes(refusal.code)) {
    // Who may decide, decided by the lead itself (its owner when the command applied): nothing about
    // the lead's stage is told to a caller who may not act on it.
    return new ApiError(403, 'forbidden', refusal.message, { reason: refusal.code.toLowerCase(), command: refusal.command });
  }
  if (refusal && refusal.code !== 'LEAD_ERASED') {
    if (refusal.code === 'LEAD_NOT_FOUND') return ApiError.notFound(`Lead ${ctx.leadId}`);
    return new ApiError(409, 'transition_not_allowed', refusal.message, {
      stage: refusal.stage,
      command: refusal.command,
      allowed: refusal.allowed,
      reason: refusal.code,
    });
  }
  const failure = applicationFailure(err);
  if (failure?.type === INVALID_COMMAND) {
    return new ApiError(400, 'invalid_request', failure.message, failure.details?.[0]);
  }
  if (refusedAsErased(err) || err instanceof WorkflowNotFoundError || err instanceof WorkflowExecutionAlreadyStartedError || isKeyDestroyed(err)) {
    // A completed workflow answers "not found" too (update-with-start with REJECT_DUPLICATE: "already
    // started"): the lead exists in the read model but is closed, or erased.
    const lead = await ctx.projected().catch(() => undefined);
    if (lead?.erasedAt !== undefined) return leadErased(ctx.leadId, lead.erasedAt);
    if (err instanceof WorkflowNotFoundError) return lead === undefined ? ApiError.notFound(`Lead ${ctx.leadId}`) : leadClosed(ctx.leadId, lead.stage);
    if (err instanceof WorkflowExecutionAlreadyStartedError) return leadClosed(ctx.leadId, lead?.stage ?? 'unknown');
  }
  if (isTimeout(err)) return workflowUnavailable(ctx.mayApplyLater);
  if (isSignalLimitExceeded(err)) return signalLimitReached(ctx.leadId);
  if (isWorkflowTaskFailing(err)) return workflowUnavailable(false);
  return err;
}

/**
 * The server refused an Update because the lead's current workflow task keeps failing (gRPC
 * FAILED_PRECONDITION "… due to Workflow Task in failed state"): its worker cannot run it right now (the
 * database is away, say), and it is retried. Nothing was applied; the caller may retry, which is a 503,
 * not the 500 it was (found by npm run chaos).
 */
function isWorkflowTaskFailing(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (isGrpcServiceError(e)) {
      const code: number = e.code; // gRPC status; 9 = FAILED_PRECONDITION
      if (code === 9 && /workflow task in failed state/i.test(e.details)) return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
