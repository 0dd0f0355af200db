import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateMasterKeySpec } from '../encryption/master-keys';

/**
 * Development secrets for `npm start`, kept in the data folder (git-ignored, mode 0600) so they stay the
 * same across restarts: a master key (`dev-master-key`) and a lead id secret (`dev-lead-id-secret`).
 * They protect nothing beyond this machine's data folder: production sets LEADFLOW_MASTER_KEY(_FILE)
 * and LEADFLOW_LEAD_ID_SECRET. Configured values always win.
 *
 * `create: false` (scripts run beside npm start: rebuild, key rotation) only reuses files that exist.
 */
export function withDevSecrets(env: NodeJS.ProcessEnv, dataDir: string, options: { create: boolean }): { env: NodeJS.ProcessEnv; used: string[] } {
  const out: NodeJS.ProcessEnv = { ...env };
  const used: string[] = [];
  if (!env.LEADFLOW_MASTER_KEY && !env.LEADFLOW_MASTER_KEY_FILE) {
    const file = path.join(dataDir, 'dev-master-key');
    if (ensureFile(file, () => `${generateMasterKeySpec(`dev-${new Date().toISOString().slice(0, 10)}`)}\n`, options.create)) {
      out.LEADFLOW_MASTER_KEY_FILE = file;
      used.push(file);
    }
  }
  if (!env.LEADFLOW_LEAD_ID_SECRET) {
    const file = path.join(dataDir, 'dev-lead-id-secret');
    if (ensureFile(file, () => `${randomBytes(32).toString('base64')}\n`, options.create)) {
      out.LEADFLOW_LEAD_ID_SECRET = readFileSync(file, 'utf8').trim();
      used.push(file);
    }
  }
  return { env: out, used };
}

function ensureFile(file: string, make: () => string, create: boolean): boolean {
  if (existsSync(file)) return true;
  if (!create) return false;
  mkdirSync(path.dirname(file), { recursive: true });
  try {
    // 'wx': never overwrite a secret another process wrote in the meantime.
    writeFileSync(file, make(), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return true;
}

/** The data folder rule of db/database-config.ts: LEADFLOW_DATA_DIR, else `.data` in the repository. */
export function dataDirFromEnv(env: NodeJS.ProcessEnv, root: string): string {
  return env.LEADFLOW_DATA_DIR ? path.resolve(env.LEADFLOW_DATA_DIR) : path.join(root, '.data');
}
