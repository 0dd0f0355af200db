import { sql } from 'kysely';
import { domainEventOf, publicEventsOf, type PublicEvent, type PublicEventType } from '../domain/public-events';
import type { PersonalDataSealer } from '../encryption/personal-data-sealer';
import type { Db } from './connection';
import { storedEvent } from './lead-events.repository';

/**
 * The outbox of the public events: `lead_events` read in commit-safe global order (see the migration
 * 20261202T1200), turned into public events with the lead's view at each point.
 */

/** Where a reader stands: the (transaction, position) of the last event it has. */
export interface OutboxCursor {
  txId: string;
  position: string;
}

export interface OutboxEvent {
  cursor: OutboxCursor;
  event: PublicEvent;
}

export interface OutboxQuery {
  after?: OutboxCursor;
  /** Only these public types (default: every type). */
  types?: readonly PublicEventType[];
  leadId?: string;
  limit: number;
}

/**
 * Public events after `after`, oldest first. Only rows written by transactions older than every one
 * still running are read, so a later call never finds an event before a cursor it already returned.
 */
export async function readOutbox(db: Db, sealer: PersonalDataSealer, query: OutboxQuery): Promise<OutboxEvent[]> {
  const types = (query.types ?? (Object.keys(domainEventOf) as PublicEventType[])).map((t) => domainEventOf[t]);
  const rows = await sql<{ leadId: string; seq: number; txId: string; position: string }>`
    select lead_id, seq, tx_id::text as tx_id, global_position::text as position
    from lead_events
    where type in (${sql.join(types)})
      and tx_id < pg_snapshot_xmin(pg_current_snapshot())
      ${query.after ? sql`and (tx_id, global_position) > (${query.after.txId}::xid8, ${query.after.position}::bigint)` : sql``}
      ${query.leadId !== undefined ? sql`and lead_id = ${query.leadId}` : sql``}
    order by tx_id, global_position
    limit ${query.limit}`.execute(db);
  return withPublicEvents(db, sealer, rows.rows);
}

/** Each row as its public event, with the lead's view at that point (its events up to it, folded). */
async function withPublicEvents(
  db: Db,
  sealer: PersonalDataSealer,
  rows: readonly { leadId: string; seq: number; txId: string; position: string }[],
): Promise<OutboxEvent[]> {
  if (rows.length === 0) return [];
  const lastSeq = new Map<string, number>();
  for (const r of rows) lastSeq.set(r.leadId, Math.max(lastSeq.get(r.leadId) ?? 0, r.seq));
  const byKey = new Map<string, PublicEvent>();
  await Promise.all(
    [...lastSeq].map(async ([leadId, upTo]) => {
      const stored = await db
        .selectFrom('leadEvents')
        .select(['seq', 'type', 'data', 'personal', 'occurredAt'])
        .where('leadId', '=', leadId)
        .where('seq', '<=', upTo)
        .orderBy('seq')
        .execute();
      const events = await Promise.all(stored.map((r) => storedEvent(sealer, leadId, r)));
      for (const e of publicEventsOf(leadId, events)) byKey.set(`${leadId}#${e.seq}`, e);
    }),
  );
  return rows.flatMap((r) => {
    const event = byKey.get(`${r.leadId}#${r.seq}`);
    return event ? [{ cursor: { txId: r.txId, position: r.position }, event }] : [];
  });
}

/** The cursor as an opaque string for clients. */
export function encodeOutboxCursor(c: OutboxCursor): string {
  return Buffer.from(`${c.txId}.${c.position}`, 'utf8').toString('base64url');
}

export function decodeOutboxCursor(raw: string): OutboxCursor | undefined {
  const m = /^(\d{1,20})\.(\d{1,19})$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  return m ? { txId: m[1]!, position: m[2]! } : undefined;
}

/** The cursor of the newest event a reader can see now: where an endpoint created now starts. */
export async function outboxEnd(db: Db): Promise<OutboxCursor | undefined> {
  const row = await sql<{ txId: string; position: string }>`
    select tx_id::text as tx_id, global_position::text as position
    from lead_events
    where tx_id < pg_snapshot_xmin(pg_current_snapshot())
    order by tx_id desc, global_position desc
    limit 1`.execute(db);
  return row.rows[0];
}

/**
 * Published events chosen by an operator for redelivery: one event by id, or every event recorded in a
 * time range (oldest first, at most `limit`), of the given types.
 */
export async function readOutboxSelection(
  db: Db,
  sealer: PersonalDataSealer,
  selection: { eventId: string } | { from: string; to: string },
  types: readonly PublicEventType[],
  limit: number,
): Promise<OutboxEvent[]> {
  const domainTypes = types.map((t) => domainEventOf[t]);
  let where;
  if ('eventId' in selection) {
    const m = /^evt_([0-9a-f]{32})_(\d+)$/.exec(selection.eventId);
    if (!m) return [];
    where = sql`lead_id = ${`lead-${m[1]!}`} and seq = ${Number(m[2])}`;
  } else {
    where = sql`recorded_at >= ${selection.from}::timestamptz and recorded_at < ${selection.to}::timestamptz`;
  }
  const rows = await sql<{ leadId: string; seq: number; txId: string; position: string }>`
    select lead_id, seq, tx_id::text as tx_id, global_position::text as position
    from lead_events
    where type in (${sql.join(domainTypes)}) and tx_id < pg_snapshot_xmin(pg_current_snapshot()) and ${where}
    order by tx_id, global_position
    limit ${limit}`.execute(db);
  return withPublicEvents(db, sealer, rows.rows);
}
