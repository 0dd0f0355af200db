import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely';
import { Pool, types } from 'pg';
import type { Database } from './database';
import { PGliteDialect } from './pglite-dialect';

// timestamptz as ISO strings would be nicer for JSON, but Date is what Kysely's types promise; keep
// the driver default. int8 (count(*)) as number: counts here never approach 2^53.
types.setTypeParser(types.builtins.INT8, (v) => Number(v));

export interface DatabaseConfig {
  /** postgres://… ; when absent, the embedded PGlite database in `dataDir` is used. */
  databaseUrl?: string;
  /** Folder for the embedded database (git-ignored `.data/pglite` by default). */
  dataDir: string;
  /** Pool size for PostgreSQL. */
  maxConnections?: number;
}

export type Db = Kysely<Database>;

export function createDatabase(config: DatabaseConfig): Db {
  // Nested keys untouched: jsonb columns hold domain objects whose keys (event types…) are data.
  const plugins = [new CamelCasePlugin({ maintainNestedObjectKeys: true })];
  if (config.databaseUrl) {
    const pool = new Pool({ connectionString: config.databaseUrl, max: config.maxConnections ?? 10 });
    // An idle client losing its connection (database restart) must not crash the process.
    pool.on('error', () => undefined);
    // Nor one that is checked out: the pool takes its own listener off while a client is in use, and a
    // client emitting 'error' with no listener ends the process (found by npm run chaos: a 30 s database
    // outage ended both workers mid-transaction). Its queries fail on their own; the pool drops it.
    pool.on('connect', (client) => client.on('error', () => undefined));
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins });
  }
  return new Kysely<Database>({
    dialect: new PGliteDialect(async () => {
      if (config.dataDir !== 'memory://') mkdirSync(config.dataDir, { recursive: true });
      const pglite = new PGlite(config.dataDir);
      await pglite.waitReady;
      return pglite;
    }),
    plugins,
  });
}

/** Where the database lives, for start-up logs (never prints credentials). */
export function describeDatabase(config: DatabaseConfig): string {
  if (!config.databaseUrl) return `PGlite (embedded) in ${config.dataDir}`;
  const url = new URL(config.databaseUrl);
  return `PostgreSQL at ${url.hostname}:${url.port || 5432}${url.pathname}`;
}
