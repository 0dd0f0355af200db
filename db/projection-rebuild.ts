import type { Db } from './connection';
import type { PersonalDataSealer } from '../encryption/personal-data-sealer';
import { lockLead, refoldLead } from './lead-events.repository';

export interface RebuildProgress {
  leads: number;
  total: number;
}

/**
 * Refolds every lead's row from `lead_events`. One short transaction per lead (holding that lead's
 * lock), so it is safe while the live projection writes; a row is never moved backwards.
 */
export async function rebuildLeadsFromEvents(
  db: Db,
  sealer: PersonalDataSealer,
  onProgress: (p: RebuildProgress) => void = () => undefined,
  pageSize = 500,
): Promise<RebuildProgress> {
  const { total } = await db
    .selectFrom('leadEvents')
    .select((eb) => eb.fn.count<number>('leadId').distinct().as('total'))
    .executeTakeFirstOrThrow();
  let after = '';
  let leads = 0;
  for (;;) {
    const page = await db
      .selectFrom('leadEvents')
      .select('leadId')
      .distinct()
      .where('leadId', '>', after)
      .orderBy('leadId')
      .limit(pageSize)
      .execute();
    if (page.length === 0) break;
    for (const { leadId } of page) {
      await db.transaction().execute(async (trx) => {
        await lockLead(trx, leadId);
        await refoldLead(trx, sealer, leadId);
      });
      leads++;
    }
    after = page[page.length - 1]!.leadId;
    onProgress({ leads, total: Number(total) });
  }
  return { leads, total: Number(total) };
}
