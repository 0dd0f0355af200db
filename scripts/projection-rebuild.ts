import { Client, Connection } from '@temporalio/client';
import { recoverLeadEventsFromTemporal } from '../client/recover-lead-events';
import { createDatabase, describeDatabase } from '../db/connection';
import { databaseConfigFromEnv } from '../db/database-config';
import { restoreLeadEvents } from '../db/lead-events.repository';
import { migrateToLatest } from '../db/migrate';
import { rebuildLeadsFromEvents } from '../db/projection-rebuild';

/**
 * npm run projection:rebuild                    refold `leads` from `lead_events`
 * npm run projection:rebuild -- --from-temporal  first re-derive missing `lead_events` from the Temporal
 *                                               histories of all lead workflows, then refold
 * Both are safe while the system is live: one short transaction per lead, rows never move backwards.
 */
async function main(): Promise<void> {
  const fromTemporal = process.argv.includes('--from-temporal');
  const config = databaseConfigFromEnv(process.env);
  const db = createDatabase(config);
  const started = Date.now();
  const log = (msg: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
  try {
    await migrateToLatest(db);
    log(`database: ${describeDatabase(config)}`);
    if (fromTemporal) {
      const address = process.env.TEMPORAL_ADDRESS ?? 'localhost:7233';
      const connection = await Connection.connect({ address });
      try {
        const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
        let leads = 0;
        let restored = 0;
        for await (const lead of recoverLeadEventsFromTemporal(client)) {
          restored += await restoreLeadEvents(db, lead);
          if (++leads % 100 === 0) log(`read ${leads} lead histories, restored ${restored} missing events`);
        }
        log(`read ${leads} lead histories from ${address}, restored ${restored} missing events`);
      } finally {
        await connection.close();
      }
    }
    const result = await rebuildLeadsFromEvents(db, (p) => log(`refolded ${p.leads}/${p.total} leads`));
    log(`done: ${result.leads} leads refolded from lead_events`);
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
