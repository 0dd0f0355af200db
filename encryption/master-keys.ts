import { readFileSync } from 'node:fs';
import { KEY_BYTES, open, randomKey, seal } from './aes-gcm';

/**
 * The master keys that wrap the per-lead data keys (envelope encryption). Only wrapped data keys are
 * stored; the master keys stay in the environment or a key file. Several may be configured so the
 * active one can change: data keys wrapped by an older key still open, and `npm run keys:rotate`
 * rewraps them under the active one.
 *
 * Format (variable or file): `<id>:<base64 of 32 bytes>`, several separated by commas or new lines,
 * the active key first. Ids name keys in the `data_keys` table, so keep retired ids until rotated.
 */
export interface MasterKeyRing {
  readonly active: MasterKey;
  readonly keys: ReadonlyMap<string, MasterKey>;
}

export interface MasterKey {
  readonly id: string;
  readonly key: Buffer;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function parseMasterKeys(spec: string): MasterKeyRing {
  const entries = spec
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '' && !s.startsWith('#'));
  if (entries.length === 0) throw new Error('no master key given (expected <id>:<base64 of 32 bytes>)');
  const keys = new Map<string, MasterKey>();
  for (const entry of entries) {
    const sep = entry.indexOf(':');
    const id = sep > 0 ? entry.slice(0, sep) : '';
    if (!KEY_ID.test(id)) throw new Error('each master key must look like <id>:<base64 of 32 bytes>, with an id of letters, digits, ".", "_" or "-"');
    const key = Buffer.from(entry.slice(sep + 1), 'base64');
    if (key.length !== KEY_BYTES) throw new Error(`master key ${id} must be ${KEY_BYTES} bytes of base64 (got ${key.length}); make one with: openssl rand -base64 32`);
    if (keys.has(id)) throw new Error(`master key id ${id} is given twice`);
    keys.set(id, { id, key });
  }
  return { active: keys.values().next().value!, keys };
}

export function loadMasterKeyFile(file: string): MasterKeyRing {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseMasterKeys(text);
}

/** A fresh master key in the configuration format, e.g. for `npm start`'s development key. */
export function generateMasterKeySpec(id: string): string {
  return `${id}:${randomKey().toString('base64')}`;
}

/** Wraps a data key under the active master key; the key id is bound in as associated data. */
export function wrapDataKey(ring: MasterKeyRing, keyId: string, dataKey: Uint8Array): { masterKeyId: string; wrapped: string } {
  return { masterKeyId: ring.active.id, wrapped: seal(ring.active.key, dataKey, keyId).toString('base64') };
}

export function unwrapDataKey(ring: MasterKeyRing, keyId: string, masterKeyId: string, wrapped: string): Buffer {
  const master = ring.keys.get(masterKeyId);
  if (!master) {
    throw new Error(`data key ${keyId} is wrapped by master key ${masterKeyId}, which is not configured (LEADFLOW_MASTER_KEY or LEADFLOW_MASTER_KEY_FILE)`);
  }
  return open(master.key, Buffer.from(wrapped, 'base64'), keyId);
}
