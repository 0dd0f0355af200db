import { sql } from 'kysely';
import { decide } from '../domain/lead-decider';
import type { LeadEvent } from '../domain/lead-events';
import { defaultLeadPolicy } from '../domain/lead-policy';
import { projectLeadEvents } from '../domain/lead-projection';
import { erasedParts, withoutPersonalData, type ErasureReceipt, type ErasureRequest } from '../domain/personal-data';
import { keyIdForLead } from '../encryption/key-store';
import type { Db } from './connection';
import { destroyDataKey } from './data-keys.repository';
import { lockLead, readModel, upsertLead } from './lead-events.repository';

/** Erasure of a lead that the read model does not know. */
export class LeadNotFoundError extends Error {
  override readonly name = 'LeadNotFoundError';
  constructor(readonly leadId: string) {
    super(`lead ${leadId} not found`);
  }
}

/** Event types whose rows may hold personal fields (see domain/personal-data.ts). */
const personalEventTypes: readonly LeadEvent['type'][] = ['LeadCaptured', 'FormFilled', 'LeadRejected', 'LeadQualified', 'ContactAttemptRecorded'];

/**
 * Removes every personal field of a lead from the database and destroys its data key, in one
 * transaction, and keeps the receipt. Idempotent: an erased lead answers its stored receipt.
 *
 * The lead's workflow must have ended first (the erasure workflow sees to it): after the key is gone
 * nothing of the lead can be decoded any more, so no task of its workflow could run again. An open lead
 * recorded LeadErased itself; a closed one (its workflow completed long ago) has it recorded here.
 * What stays: the facts every report reads (stages and dates, scores, reasons, owner, source, policy).
 */
export async function eraseLeadData(db: Db, request: ErasureRequest, now = new Date().toISOString()): Promise<ErasureReceipt> {
  const { leadId } = request;
  return db.transaction().execute(async (trx) => {
    await lockLead(trx, leadId);
    const stored = await trx.selectFrom('leadErasures').select('receipt').where('leadId', '=', leadId).executeTakeFirst();
    if (stored) return stored.receipt as ErasureReceipt;
    const row = await readModel(trx, leadId);
    if (!row) throw new LeadNotFoundError(leadId);

    let state = row.state;
    if (state.erasedAt === undefined) {
      // The policy plays no part in an erasure decision.
      const decision = decide({ type: 'EraseLead', requestedBy: request.requestedBy }, state, now, defaultLeadPolicy);
      if (!decision.ok) throw new Error(`lead ${leadId}: ${decision.refusal.message}`);
      await trx
        .insertInto('leadEvents')
        .values(decision.events.map((e) => ({ leadId, seq: e.seq, type: e.type, data: JSON.stringify(e.data), occurredAt: e.occurredAt, workflowRunId: 'erasure' })))
        .execute();
      const next = projectLeadEvents(row, decision.events, leadId)!;
      state = next.state;
      await upsertLead(trx, next);
    }

    // Sealed fields: gone with the key already, removed here too so no copy of the ciphertext is kept.
    await trx.updateTable('leadEvents').set({ personal: null }).where('leadId', '=', leadId).where('personal', 'is not', null).execute();
    // Rows written before personal fields were sealed kept them in `data`.
    const legacy = await trx
      .selectFrom('leadEvents')
      .select(['seq', 'type', 'data', 'occurredAt'])
      .where('leadId', '=', leadId)
      .where('type', 'in', personalEventTypes)
      .execute();
    for (const r of legacy) {
      const event = { seq: r.seq, type: r.type, data: r.data, occurredAt: r.occurredAt.toISOString() } as LeadEvent;
      const cleared = JSON.stringify(withoutPersonalData(event).event.data);
      if (cleared === JSON.stringify(r.data)) continue;
      // `data` is append-only everywhere else (its column type forbids updates): erasure is the exception.
      await sql`update lead_events set data = ${cleared}::jsonb where lead_id = ${leadId} and seq = ${r.seq}`.execute(trx);
    }
    // Stored answers quote the lead (its profile in a form fill's or a decision's answer). Rows stored
    // before answers carried their lead id are found by the id in their body.
    await trx
      .deleteFrom('idempotencyKeys')
      .where((eb) => eb.or([eb('leadId', '=', leadId), eb.and([eb('leadId', 'is', null), sql<boolean>`position(${leadId} in response_body::text) > 0`])]))
      .execute();
    // Destroyed "at" the erasure's instant, so the codec server's marker and the receipt agree.
    await destroyDataKey(trx, { keyId: keyIdForLead(leadId), leadId, at: state.erasedAt ?? now });

    const receipt: ErasureReceipt = {
      leadId,
      erasedAt: state.erasedAt ?? now,
      requestedBy: request.requestedBy,
      ...(request.reason !== undefined ? { reason: request.reason } : {}),
      erased: [...erasedParts],
    };
    await trx
      .insertInto('leadErasures')
      .values({ leadId, erasedAt: receipt.erasedAt, requestedBy: request.requestedBy, receipt: JSON.stringify(receipt) })
      .execute();
    return receipt;
  });
}

/** The receipt of a lead's erasure, if it was erased. */
export async function findErasureReceipt(db: Db, leadId: string): Promise<ErasureReceipt | undefined> {
  const row = await db.selectFrom('leadErasures').select('receipt').where('leadId', '=', leadId).executeTakeFirst();
  return row?.receipt as ErasureReceipt | undefined;
}
