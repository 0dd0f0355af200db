import { randomUUID } from 'node:crypto';
import { sleep } from '../lib/local-stack';

/** One HTTP exchange: what was asked and every answer (or network error) it got. */
export interface Attempt {
  at: number;
  ms: number;
  status?: number;
  retryAfter?: string;
  /** The error code of a request that got no answer (ECONNREFUSED, ECONNRESET, timeout, …). */
  error?: string;
}

export interface RecordedRequest {
  id: number;
  /** What the workload meant: form_new, form_repeat, engagement, accept, reject, qualify, close, disqualify, unsubscribe, read. */
  op: string;
  method: string;
  /** The path with the lead id replaced by {leadId}, so the record holds no lead ids either. */
  route: string;
  idempotencyKey?: string;
  attempts: Attempt[];
  /** The last answer's status; undefined when every attempt failed on the network or the budget ran out. */
  status?: number;
  leadId?: string;
  /** For decisions answered 2xx: the lead's lastEventSeq in the answer. */
  answerSeq?: number;
  /** Extra facts the invariants need (decision outcome, engagement ids). */
  detail?: Record<string, unknown>;
}

export interface CallOptions {
  op: string;
  leadId?: string;
  body?: unknown;
  /** Writes carry one Idempotency-Key across all their retries. */
  idempotent?: boolean;
  key?: string;
  detail?: Record<string, unknown>;
}

/**
 * The workload's HTTP client, behaving like a careful integration: each write carries an Idempotency-Key
 * (the same on every retry), and network errors, 503 and 429 are retried after Retry-After (or a capped
 * backoff) until the request's time budget is spent. Every request and every answer is recorded.
 */
export class ApiClient {
  readonly requests: RecordedRequest[] = [];
  private next = 1;
  /** Requests still running, so the end of the workload can wait for them. */
  inFlight = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly budgetMs: number,
    private readonly attemptTimeoutMs = 30_000,
  ) {}

  async call(method: string, path: string, key: string, options: CallOptions): Promise<{ status?: number; body?: unknown; record: RecordedRequest }> {
    const record: RecordedRequest = {
      id: this.next++,
      op: options.op,
      method,
      route: options.leadId ? path.replace(options.leadId, '{leadId}') : path,
      attempts: [],
      ...(options.leadId ? { leadId: options.leadId } : {}),
      ...(options.detail ? { detail: options.detail } : {}),
    };
    if (options.idempotent) record.idempotencyKey = options.key ?? randomUUID();
    this.requests.push(record);
    this.inFlight++;
    const started = Date.now();
    try {
      for (let attempt = 0; ; attempt++) {
        const at = Date.now();
        const a: Attempt = { at, ms: 0 };
        record.attempts.push(a);
        let body: unknown;
        try {
          const res = await fetch(`${this.baseUrl}${path}`, {
            method,
            headers: {
              authorization: `Bearer ${key}`,
              ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
              ...(record.idempotencyKey ? { 'idempotency-key': record.idempotencyKey } : {}),
            },
            ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
            signal: AbortSignal.timeout(this.attemptTimeoutMs),
          });
          const text = await res.text();
          a.status = res.status;
          const retryAfter = res.headers.get('retry-after');
          if (retryAfter !== null) a.retryAfter = retryAfter;
          body = text ? safeJson(text) : undefined;
        } catch (err) {
          a.error = errorCode(err);
        }
        a.ms = Date.now() - at;
        record.status = a.status;
        const retryable = a.status === undefined || a.status === 503 || a.status === 429;
        if (!retryable) return { status: a.status, body, record };
        const wait = a.retryAfter !== undefined && Number.isFinite(Number(a.retryAfter)) ? Number(a.retryAfter) * 1000 : Math.min(8000, 250 * 2 ** attempt);
        if (Date.now() - started + wait > this.budgetMs) return { status: a.status, body, record };
        await sleep(wait);
      }
    } finally {
      this.inFlight--;
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorCode(err: unknown): string {
  const e = err as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timeout';
  return e?.cause?.code ?? e?.code ?? e?.cause?.name ?? e?.name ?? 'error';
}
