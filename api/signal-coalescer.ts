/**
 * Joins what arrives for the same key (a lead) within `windowMs` into one send: a storm of engagement
 * requests to one lead becomes a few signals carrying batches instead of one signal each. Each caller
 * waits for the send that carries its items and gets its outcome (resolved, or the same error), so a
 * request is still answered only once the server has its events: nothing is acknowledged early and
 * nothing is lost. A lead flooded with one signal per event cannot continue-as-new (every attempt
 * meets a newer signal), its run grows to the server's 10,000-signal cap and replaying it takes
 * longer than the SDK allows a workflow task (bench/README.md, "Engagement storm").
 */
export class SignalCoalescer<T> {
  private readonly open = new Map<string, Batch<T>>();

  constructor(
    private readonly send: (key: string, items: T[]) => Promise<void>,
    /** How long the first item of a batch waits for others; 0 sends every call on its own. */
    private readonly windowMs: number,
    /** A batch is sent at once when the next call would take it past this many items. */
    private readonly maxItems: number,
  ) {}

  add(key: string, items: readonly T[]): Promise<void> {
    if (this.windowMs <= 0) return this.send(key, [...items]);
    let batch = this.open.get(key);
    if (batch && batch.items.length + items.length > this.maxItems) {
      this.flush(key);
      batch = undefined;
    }
    if (!batch) {
      const opened: Batch<T> = { items: [], waiters: [], timer: setTimeout(() => this.flush(key), this.windowMs) };
      this.open.set(key, opened);
      batch = opened;
    }
    batch.items.push(...items);
    const joined = batch;
    return new Promise<void>((resolve, reject) => joined.waiters.push({ resolve, reject }));
  }

  /** Batches waiting for their window to end (for tests and metrics). */
  get pending(): number {
    return this.open.size;
  }

  private flush(key: string): void {
    const batch = this.open.get(key);
    if (!batch) return;
    this.open.delete(key);
    clearTimeout(batch.timer);
    this.send(key, batch.items).then(
      () => batch.waiters.forEach((w) => w.resolve()),
      (err: unknown) => batch.waiters.forEach((w) => w.reject(err)),
    );
  }
}

interface Batch<T> {
  items: T[];
  waiters: { resolve: () => void; reject: (err: unknown) => void }[];
  timer: NodeJS.Timeout;
}
