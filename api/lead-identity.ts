import { leadIdForEmail } from '../client/lead-id';
import type { Db } from '../db/connection';
import { readModel } from '../db/lead-events.repository';
import type { LeadReadModel } from '../domain/lead-projection';

/**
 * The lead a form fill from `email` belongs to: the person's first lead id whose lead was not erased.
 * An erased lead's id stays its tombstone (410), so the next form fill from that email starts a new
 * lead under the next generation's id, with nothing carried over: no events, no consent, no key.
 * Costs one read-model lookup per erased generation; nearly every person has none.
 */
export async function currentLeadForEmail(db: Db, secret: string, email: string): Promise<{ leadId: string; known: LeadReadModel | null }> {
  for (let generation = 0; ; generation++) {
    const leadId = leadIdForEmail(email, secret, generation);
    const known = await readModel(db, leadId);
    if (!known?.state.erasedAt) return { leadId, known };
  }
}
