import { Client, Connection } from '@temporalio/client';
import { recoverLeadEventsFromTemporal } from '../client/recover-lead-events';
import { withDevSecrets } from '../config/dev-secrets';
import { privacyConfigFromEnv } from '../config/privacy.config';
import { createDatabase, describeDatabase } from '../db/connection';
import { databaseConfigFromEnv } from '../db/database-config';
import { restoreLeadEvents } from '../db/lead-events.repository';
import { migrateToLatest } from '../db/migrate';
import { rebuildLeadsFromEvents } from '../db/projection-rebuild';
import { createKeyStore, keyStoreSealer, leadflowDataConverter, LeadPayloadCodec } from '../encryption';

/**
 * npm run projection:rebuild                    refold `leads` from `lead_events`
 * npm run projection:rebuild -- --from-temporal  first re-derive missing `lead_events` from the Temporal
 *                                               histories of all lead workflows, then refold
 * Both are safe while the system is live: one short transaction per lead, rows never move backwards.
 * Both need the master key (personal fields are sealed with each lead's key); beside `npm start`, its
 * development key in the data folder is used.
 */
async function main(): Promise<void> {
  const fromTemporal = process.argv.includes('--from-temporal');
  const config = databaseConfigFromEnv(process.env);
  const privacy = privacyConfigFromEnv(withDevSecrets(process.env, dataDir(), { create: false }).env);
  const db = createDatabase(config);
  const keys = createKeyStore(db, privacy.masterKeys);
  const sealer = keyStoreSealer(keys);
  const started = Date.now();
  const log = (msg: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
  try {
    await migrateToLatest(db);
    log(`database: ${describeDatabase(config)}`);
    if (fromTemporal) {
      const address = process.env.TEMPORAL_ADDRESS ?? 'localhost:7233';
      const connection = await Connection.connect({ address });
      try {
        const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default', dataConverter: leadflowDataConverter(keys) });
        let leads = 0;
        let restored = 0;
        let erased = 0;
        for await (const lead of recoverLeadEventsFromTemporal(client, new LeadPayloadCodec(keys), undefined, () => erased++)) {
          restored += await restoreLeadEvents(db, sealer, lead);
          if (++leads % 100 === 0) log(`read ${leads} lead histories, restored ${restored} missing events`);
        }
        log(`read ${leads} lead histories from ${address}, restored ${restored} missing events; skipped ${erased} erased leads`);
      } finally {
        await connection.close();
      }
    }
    const result = await rebuildLeadsFromEvents(db, sealer, (p) => log(`refolded ${p.leads}/${p.total} leads`));
    log(`done: ${result.leads} leads refolded from lead_events`);
  } finally {
    await db.destroy();
  }
}

/** The data folder of `npm start` (its development secrets live there). */
function dataDir(): string {
  return process.env.LEADFLOW_DATA_DIR ?? '.data';
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
