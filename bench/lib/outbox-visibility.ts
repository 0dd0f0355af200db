import { sql } from 'kysely';
import type { Db } from '../../db/connection';
import type { OutboxCursor } from '../../db/outbox.repository';
import { sleep } from './load';

/**
 * Watches when each `lead_events` row becomes readable by the outbox: the dispatcher only takes rows whose
 * transaction is older than every transaction still running anywhere on the PostgreSQL server
 * (`tx_id < pg_snapshot_xmin(pg_current_snapshot())`, db/outbox.repository.ts). Polls that rule every
 * `everyMs` past its own cursor, so "first seen visible" is at most one period late. Each poll also asks
 * which database holds the oldest running transaction, the one that holds visibility back: on a shared
 * server that can be another database's.
 */
export class OutboxVisibilityWatcher {
  /** `${leadId}#${seq}` → when a poll first saw the row visible (ms since epoch, the poll's start). */
  readonly visibleAt = new Map<string, number>();
  polls = 0;
  /** Polls at which the oldest running transaction on the server belonged to another database. */
  heldByOtherDatabase = 0;
  /** The longest-running such transaction seen, ms. */
  longestOtherDatabaseXactMs = 0;
  private cursor?: OutboxCursor;
  private running = false;
  private loop?: Promise<void>;

  constructor(
    private readonly db: Db,
    private readonly everyMs = 100,
  ) {}

  async start(): Promise<void> {
    const end = await sql<OutboxCursor>`
      select tx_id::text as tx_id, global_position::text as position from lead_events
      order by tx_id desc, global_position desc limit 1`.execute(this.db);
    this.cursor = end.rows[0];
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const t = Date.now();
      try {
        await this.poll(t);
      } catch {
        /* a failed poll only makes the next one see more; the bench's own errors are reported elsewhere */
      }
      await sleep(Math.max(0, this.everyMs - (Date.now() - t)));
    }
  }

  private async poll(t: number): Promise<void> {
    const after = this.cursor;
    const rows = await sql<{ leadId: string; seq: number; txId: string; position: string }>`
      select lead_id, seq, tx_id::text as tx_id, global_position::text as position
      from lead_events
      where tx_id < pg_snapshot_xmin(pg_current_snapshot())
        ${after ? sql`and (tx_id, global_position) > (${after.txId}::xid8, ${after.position}::bigint)` : sql``}
      order by tx_id, global_position
      limit 5000`.execute(this.db);
    for (const r of rows.rows) {
      const key = `${r.leadId}#${r.seq}`;
      if (!this.visibleAt.has(key)) this.visibleAt.set(key, t);
    }
    const last = rows.rows[rows.rows.length - 1];
    if (last) this.cursor = { txId: last.txId, position: last.position };
    const holder = await sql<{ other: boolean; ageMs: number }>`
      select datname is distinct from current_database() as other,
             extract(epoch from clock_timestamp() - xact_start) * 1000 as age_ms
      from pg_stat_activity
      where backend_xid = xid(pg_snapshot_xmin(pg_current_snapshot()))
      limit 1`.execute(this.db);
    this.polls++;
    const h = holder.rows[0];
    if (h?.other) {
      this.heldByOtherDatabase++;
      this.longestOtherDatabaseXactMs = Math.max(this.longestOtherDatabaseXactMs, Number(h.ageMs));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
