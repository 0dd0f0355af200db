import { sql, type Transaction } from 'kysely';
import type { LeadEvent } from '../domain/lead-events';
import { withoutPersonalData, withPersonalData } from '../domain/personal-data';
import type { PersonalDataSealer } from '../encryption/personal-data-sealer';
import { projectLeadEvents, toReadModel, type LeadReadModel } from '../domain/lead-projection';
import type { LeadState } from '../domain/lead-state';
import type { Db } from './connection';
import type { Database } from './database';
import type { NewLeadRow } from './tables/lead.table';

/** A batch whose first event does not follow the last recorded one: retried until the gap is filled. */
export class SequenceGapError extends Error {
  constructor(
    readonly leadId: string,
    readonly expectedSeq: number,
    readonly gotSeq: number,
  ) {
    super(`lead ${leadId}: expected event seq ${expectedSeq}, got ${gotSeq} (a batch is missing)`);
    this.name = 'SequenceGapError';
  }
}

export interface AppendResult {
  inserted: number;
  lastEventSeq: number;
}

/**
 * Appends one decision batch and moves the lead's row forward, in one transaction. Idempotent: events
 * already stored are skipped (a retried or duplicated batch changes nothing), and a batch that would
 * leave a hole in the sequence is refused so the caller retries instead of silently skipping events.
 * Personal fields are sealed with the lead's key (`sealer`) before they reach the table.
 */
export async function appendLeadEvents(
  db: Db,
  sealer: PersonalDataSealer,
  input: { leadId: string; events: readonly LeadEvent[]; workflowRunId: string },
): Promise<AppendResult> {
  const { leadId, workflowRunId } = input;
  const events = [...input.events].sort((a, b) => a.seq - b.seq);
  // Sealed outside the transaction: the key may be read or created first, and the lock held short.
  const rows = await Promise.all(events.map((e) => eventRow(sealer, leadId, e, workflowRunId)));
  return db.transaction().execute(async (trx) => {
    await lockLead(trx, leadId);
    const lastSeq = await lastStoredSeq(trx, leadId);
    const fresh = events.filter((e) => e.seq > lastSeq);
    if (fresh.length === 0) return { inserted: 0, lastEventSeq: lastSeq };
    fresh.forEach((e, i) => {
      if (e.seq !== lastSeq + 1 + i) throw new SequenceGapError(leadId, lastSeq + 1 + i, e.seq);
    });
    await trx
      .insertInto('leadEvents')
      .values(rows.filter((r) => r.seq > lastSeq))
      .onConflict((oc) => oc.columns(['leadId', 'seq']).doNothing())
      .execute();
    const current = await readModel(trx, leadId);
    const next =
      current && current.lastEventSeq === lastSeq
        ? projectLeadEvents(current, fresh, leadId)
        : projectLeadEvents(null, await loadEvents(trx, sealer, leadId), leadId); // row drifted: refold it all
    if (next) await upsertLead(trx, next);
    return { inserted: fresh.length, lastEventSeq: fresh[fresh.length - 1]!.seq };
  });
}

/**
 * Stores events recovered from elsewhere (Temporal histories) without the gap check, then refolds the
 * lead from everything stored. Used by the rebuild; safe while the live projection is writing.
 */
export async function restoreLeadEvents(
  db: Db,
  sealer: PersonalDataSealer,
  input: { leadId: string; events: readonly { event: LeadEvent; workflowRunId: string }[] },
): Promise<number> {
  const rows = await Promise.all(input.events.map(({ event, workflowRunId }) => eventRow(sealer, input.leadId, event, workflowRunId)));
  return db.transaction().execute(async (trx) => {
    await lockLead(trx, input.leadId);
    let inserted = 0;
    for (let i = 0; i < rows.length; i += 500) {
      const result = await trx
        .insertInto('leadEvents')
        .values(rows.slice(i, i + 500))
        .onConflict((oc) => oc.columns(['leadId', 'seq']).doNothing())
        .executeTakeFirst();
      inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    await refoldLead(trx, sealer, input.leadId);
    return inserted;
  });
}

/** Recomputes one lead's row from its stored events; never moves a row backwards. */
export async function refoldLead(trx: Transaction<Database>, sealer: PersonalDataSealer, leadId: string): Promise<LeadReadModel | null> {
  const folded = projectLeadEvents(null, await loadEvents(trx, sealer, leadId), leadId);
  if (!folded) return null;
  // The column, not the state blob: a damaged row must be repaired, not trusted.
  const current = await trx.selectFrom('leads').select('lastEventSeq').where('leadId', '=', leadId).executeTakeFirst();
  if (current && current.lastEventSeq > folded.lastEventSeq) return readModel(trx, leadId);
  await upsertLead(trx, folded);
  return folded;
}

export async function lockLead(trx: Transaction<Database>, leadId: string): Promise<void> {
  // Serialises writers of one lead (a retried activity may overlap a slow first attempt).
  await sql`select pg_advisory_xact_lock(hashtext(${leadId}))`.execute(trx);
}

/**
 * A lead's events in order, their personal fields opened with the lead's key. Once the lead is erased
 * (its key destroyed, its sealed fields cleared) the events come back without them.
 */
export async function loadEvents(db: Db | Transaction<Database>, sealer: PersonalDataSealer, leadId: string): Promise<LeadEvent[]> {
  const rows = await db
    .selectFrom('leadEvents')
    .select(['seq', 'type', 'data', 'personal', 'occurredAt'])
    .where('leadId', '=', leadId)
    .orderBy('seq')
    .execute();
  return Promise.all(rows.map((r) => storedEvent(sealer, leadId, r)));
}

/** One stored row as the event it records, personal fields opened when they are still there. */
export async function storedEvent(
  sealer: PersonalDataSealer,
  leadId: string,
  row: { seq: number; type: string; data: unknown; personal: string | null; occurredAt: Date },
): Promise<LeadEvent> {
  const event = { seq: row.seq, type: row.type, data: row.data, occurredAt: row.occurredAt.toISOString() } as LeadEvent;
  return row.personal === null ? event : withPersonalData(event, await sealer.open(leadId, row.personal));
}

export async function readModel(db: Db | Transaction<Database>, leadId: string): Promise<LeadReadModel | null> {
  const row = await db.selectFrom('leads').select('state').where('leadId', '=', leadId).executeTakeFirst();
  return row ? toReadModel(row.state as LeadState) : null;
}

async function lastStoredSeq(trx: Transaction<Database>, leadId: string): Promise<number> {
  const row = await trx
    .selectFrom('leadEvents')
    .select((eb) => eb.fn.max('seq').as('maxSeq'))
    .where('leadId', '=', leadId)
    .executeTakeFirst();
  return Number(row?.maxSeq ?? 0);
}

async function eventRow(sealer: PersonalDataSealer, leadId: string, e: LeadEvent, workflowRunId: string) {
  const { event, personal } = withoutPersonalData(e);
  return {
    leadId,
    seq: e.seq,
    type: e.type,
    data: JSON.stringify(event.data),
    personal: personal ? await sealer.seal(leadId, personal) : null,
    occurredAt: e.occurredAt,
    workflowRunId,
  };
}

export async function upsertLead(trx: Transaction<Database>, m: LeadReadModel): Promise<void> {
  const row: NewLeadRow = { ...m, state: JSON.stringify(m.state) };
  const { leadId: _id, ...changes } = row;
  await trx
    .insertInto('leads')
    .values(row)
    .onConflict((oc) => oc.column('leadId').doUpdateSet(changes))
    .execute();
}
