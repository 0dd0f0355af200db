import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { loadConfig } from '../config/leadflow.config';
import { createDatabase, describeDatabase } from '../db/connection';
import { migrateToLatest } from '../db/migrate';
import { createKeyStore, leadflowDataConverter } from '../encryption';
import { startApiServer } from './server';

/** `npm run api`: the HTTP API alone (production; needs DATABASE_URL, since PGlite is one process). */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = pino({ level: config.logLevel });
  if (!config.database.databaseUrl) {
    throw new Error('npm run api needs DATABASE_URL: the embedded PGlite database can only be opened by one process (use npm start to run everything in one process)');
  }
  if (config.api.keys.length + config.api.hashedKeys.length === 0) throw new Error('no API keys: set LEADFLOW_API_KEYS or LEADFLOW_API_KEYS_FILE');
  const db = createDatabase(config.database);
  await migrateToLatest(db);
  const connection = await Connection.connect({ address: config.temporal.address });
  const keys = createKeyStore(db, config.privacy.masterKeys);
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: leadflowDataConverter(keys) });
  const api = await startApiServer(config, db, client, logger, keys);
  logger.info({ url: api.url, database: describeDatabase(config.database), temporal: config.temporal.address }, 'leadflow api listening');
  const stop = async () => {
    logger.info('shutting down');
    await api.close();
    await connection.close();
    await db.destroy();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
