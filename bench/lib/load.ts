import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface LoadResult {
  /** Operations that finished without error. */
  completed: number;
  errors: number;
  /** The first few error messages, for the report. */
  errorSamples: string[];
  /** Latency of each successful operation, ms. */
  latenciesMs: number[];
  elapsedMs: number;
  /** True when the time bound stopped the run before `count` operations were issued. */
  timedOut: boolean;
  /** Successful operations per second over the whole run. */
  perSecond: number;
}

/**
 * Runs `op(0..count-1)` with exactly `concurrency` operations in flight (a closed loop, like autocannon's
 * connections), bounded in count and in time: no new operation starts after `maxMs`.
 */
export async function runClosedLoop(options: {
  count: number;
  concurrency: number;
  maxMs: number;
  op: (i: number) => Promise<unknown>;
}): Promise<LoadResult> {
  const { count, concurrency, maxMs, op } = options;
  const latenciesMs: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  let next = 0;
  let timedOut = false;
  const started = performance.now();
  const lane = async (): Promise<void> => {
    for (;;) {
      if (next >= count) return;
      if (performance.now() - started > maxMs) {
        timedOut = true;
        return;
      }
      const i = next++;
      const t0 = performance.now();
      try {
        await op(i);
        latenciesMs.push(performance.now() - t0);
      } catch (err) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(err instanceof Error ? err.message : String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, lane));
  const elapsedMs = performance.now() - started;
  return { completed: latenciesMs.length, errors, errorSamples, latenciesMs, elapsedMs, timedOut, perSecond: latenciesMs.length / (elapsedMs / 1000) };
}

export interface HttpAnswer {
  status: number;
  body: unknown;
  headers?: http.IncomingHttpHeaders;
}

/** A small keep-alive JSON client over node:http (one socket per concurrent request, reused). */
export class JsonHttpClient {
  private readonly agent: http.Agent;
  constructor(
    private readonly baseUrl: string,
    private readonly headers: Record<string, string>,
    maxSockets: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /**
   * One request. A kept-alive socket the server closed while it sat idle (between the two sides of a
   * repetition, longer than the API's keep-alive timeout) fails at once with ECONNRESET before the
   * request reached the server: that one is sent again on a new socket, as Node's docs advise
   * (`request.reusedSocket`), and is not counted as an error of the system under test.
   */
  async request(method: string, path: string, body?: unknown, timeoutMs = 30_000): Promise<HttpAnswer> {
    try {
      return await this.send(method, path, body, timeoutMs);
    } catch (err) {
      if ((err as { staleSocket?: boolean }).staleSocket) return this.send(method, path, body, timeoutMs);
      throw err;
    }
  }

  private send(method: string, path: string, body: unknown, timeoutMs: number): Promise<HttpAnswer> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const url = new URL(path, this.baseUrl);
    return new Promise<HttpAnswer>((resolve, reject) => {
      const req = http.request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            ...this.headers,
            ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              /* not JSON: keep the text */
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (req.reusedSocket && err.code === 'ECONNRESET') Object.assign(err, { staleSocket: true });
        reject(err);
      });
      req.end(payload);
    });
  }

  /** Like request, but a status outside 2xx is an error naming the status and the error code. */
  async expectOk(method: string, path: string, body?: unknown): Promise<HttpAnswer> {
    const answer = await this.request(method, path, body);
    if (answer.status < 200 || answer.status > 299) {
      const err = (answer.body as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new Error(`${method} ${path.replace(/lead-[0-9a-f]+/, '{leadId}')}: ${answer.status} ${err?.code ?? ''} ${err?.message ?? ''}`.trim());
    }
    return answer;
  }

  close(): void {
    this.agent.destroy();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every `everyMs` until it returns true or `maxMs` passes; returns whether it held. */
export async function waitFor(check: () => Promise<boolean>, maxMs: number, everyMs = 500): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}
