import path from 'node:path';
import { z } from 'zod';
import type { DatabaseConfig } from './connection';

const schema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  LEADFLOW_DATA_DIR: z.string().min(1).optional(),
});

/** `DATABASE_URL` selects PostgreSQL; without it the embedded PGlite database lives in the data folder. */
export function databaseConfigFromEnv(env: NodeJS.ProcessEnv, root = process.cwd()): DatabaseConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid database configuration:\n${z.prettifyError(parsed.error)}`);
  const dataDir = path.resolve(root, parsed.data.LEADFLOW_DATA_DIR ?? '.data', 'pglite');
  return { databaseUrl: parsed.data.DATABASE_URL, dataDir };
}
