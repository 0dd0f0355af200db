import type { RoutingStore } from '../activities/routing.activities';
import type { Db } from './connection';

/** Stages in which a lead counts against its owner's capacity. */
const OPEN_STAGES = ['mql', 'sal'];

/**
 * The routing store on the database, shared by every worker: a restart or a second worker continues
 * each pool's rotation (`routing_positions.last_owner`), and an assignment decided once is answered the
 * same way forever after.
 */
export function databaseRoutingStore(db: Db): RoutingStore {
  return {
    async rotate(poolKey, choose) {
      // Read, choose and write as one transaction on the locked pool row: a concurrent rotation of the
      // same pool waits for this one to commit and then reads its owner, so the two take turns. The
      // insert makes sure there is a row to lock (a racing insert of the same pool waits, then does
      // nothing). On PGlite the dialect hands the session to one transaction at a time, which gives the
      // same serialisation; `choose` is synchronous, so nothing else needs the session meanwhile.
      return db.transaction().execute(async (trx) => {
        await trx
          .insertInto('routingPositions')
          .values({ poolKey })
          .onConflict((oc) => oc.column('poolKey').doNothing())
          .execute();
        const row = await trx
          .selectFrom('routingPositions')
          .select('lastOwner')
          .where('poolKey', '=', poolKey)
          .forUpdate()
          .executeTakeFirstOrThrow();
        const decision = choose(row.lastOwner ?? undefined);
        // A fallback to the manager is no turn of any rep: the rotation stays where it was.
        if (decision.via === 'round_robin') {
          await trx.updateTable('routingPositions').set({ lastOwner: decision.owner }).where('poolKey', '=', poolKey).execute();
        }
        return decision;
      });
    },

    async recall(assignmentKey) {
      const row = await db
        .selectFrom('routingAssignments')
        .select('owner')
        .where('assignmentKey', '=', assignmentKey)
        .executeTakeFirst();
      return row?.owner;
    },

    async remember(assignmentKey, owner) {
      // A racing attempt that inserted first wins; reading back after the insert gives both its owner.
      await db
        .insertInto('routingAssignments')
        .values({ assignmentKey, owner })
        .onConflict((oc) => oc.column('assignmentKey').doNothing())
        .execute();
      const row = await db
        .selectFrom('routingAssignments')
        .select('owner')
        .where('assignmentKey', '=', assignmentKey)
        .executeTakeFirstOrThrow();
      return row.owner;
    },

    async openLoads(reps) {
      const loads: Record<string, number> = Object.fromEntries(reps.map((rep) => [rep, 0]));
      if (reps.length === 0) return loads;
      const rows = await db
        .selectFrom('leads')
        .select(['owner', (eb) => eb.fn.countAll().as('open')])
        .where('owner', 'in', [...reps])
        .where('stage', 'in', OPEN_STAGES)
        .groupBy('owner')
        .execute();
      for (const row of rows) if (row.owner !== null) loads[row.owner] = Number(row.open);
      return loads;
    },
  };
}
