import type { RoutingStore } from '../activities/routing.activities';
import type { Db } from './connection';

/** Stages in which a lead counts against its owner's capacity. */
const OPEN_STAGES = ['mql', 'sal'];

/**
 * The routing store on the database, shared by every worker: a restart or a second worker continues
 * each pool's rotation, and an assignment decided once is answered the same way forever after.
 */
export function databaseRoutingStore(db: Db): RoutingStore {
  return {
    async nextPosition(poolKey) {
      // One statement: the row lock serialises concurrent callers, each gets its own position.
      const row = await db
        .insertInto('routingPositions')
        .values({ poolKey, position: 0 })
        .onConflict((oc) => oc.column('poolKey').doUpdateSet((eb) => ({ position: eb('routingPositions.position', '+', 1) })))
        .returning('position')
        .executeTakeFirstOrThrow();
      return Number(row.position);
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
