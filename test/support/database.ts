import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createDatabase, type Db } from '../../db/connection';
import { migrateToLatest } from '../../db/migrate';

/** The machine's PostgreSQL; each suite gets its own throwaway database on it. */
export const POSTGRES_ADMIN_URL = process.env.LEADFLOW_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type Backend = 'postgres' | 'pglite';

export interface TestDatabase {
  db: Db;
  url?: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(backend: Backend): Promise<TestDatabase> {
  if (backend === 'pglite') {
    const db = createDatabase({ dataDir: 'memory://' });
    await migrateToLatest(db);
    return { db, drop: () => db.destroy() };
  }
  const name = `leadflow_test_${randomBytes(6).toString('hex')}`;
  await admin(`create database ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const db = createDatabase({ databaseUrl: url.toString(), dataDir: '' });
  await migrateToLatest(db);
  return {
    db,
    url: url.toString(),
    async drop() {
      await db.destroy();
      await admin(`drop database if exists ${name} with (force)`);
    },
  };
}

async function admin(statement: string): Promise<void> {
  const client = new Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
