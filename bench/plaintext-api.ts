import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { loadConfig } from '../config/leadflow.config';
import { createDatabase } from '../db/connection';
import { createKeyStore } from '../encryption';
import { startApiServer } from '../api/server';
import { assertBenchOnly, plaintextDataConverter } from './lib/plaintext';

/**
 * The HTTP API with encryption off (bench only; see lib/plaintext.ts): production's server, its Temporal
 * client with Temporal's default data converter. Talks to the plaintext worker's task queue.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  assertBenchOnly(config, 'dist/bench/plaintext-api.js');
  const logger = pino({ level: config.logLevel });
  const db = createDatabase(config.database);
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: plaintextDataConverter() });
  const api = await startApiServer(config, db, client, logger, createKeyStore(db, config.privacy.masterKeys));
  logger.info({ url: api.url, taskQueue: config.temporal.taskQueue }, 'leadflow plaintext api listening');
  const stop = async () => {
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
