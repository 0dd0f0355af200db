import { z } from 'zod';
import { loadMasterKeyFile, parseMasterKeys, type MasterKeyRing } from '../encryption/master-keys';

export interface PrivacyConfig {
  /** The master keys wrapping every lead's data key, the active one first. */
  masterKeys: MasterKeyRing;
  /** Where they came from, for start-up banners (never the key itself). */
  masterKeySource: string;
  /** The HMAC secret lead ids are derived with (client/lead-id.ts). */
  leadIdSecret: string;
}

const schema = z.object({
  /** `<id>:<base64 of 32 bytes>`, several comma-separated with the active key first. */
  LEADFLOW_MASTER_KEY: z.string().min(1).optional(),
  /** A file holding the same, one key per line. */
  LEADFLOW_MASTER_KEY_FILE: z.string().min(1).optional(),
  LEADFLOW_LEAD_ID_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters (make one with: openssl rand -base64 32)')
    .optional(),
});

/**
 * The keys of personal data protection, required by every process that reads or writes lead data: a
 * missing or malformed one stops start-up with a message naming the variable. Changing the lead id
 * secret later gives every person a new lead id: set it once.
 */
export function privacyConfigFromEnv(env: NodeJS.ProcessEnv): PrivacyConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid configuration:\n${z.prettifyError(parsed.error)}`);
  const e = parsed.data;
  if (e.LEADFLOW_MASTER_KEY && e.LEADFLOW_MASTER_KEY_FILE) {
    throw new Error('invalid configuration: set LEADFLOW_MASTER_KEY or LEADFLOW_MASTER_KEY_FILE, not both');
  }
  let masterKeys: MasterKeyRing;
  let masterKeySource: string;
  if (e.LEADFLOW_MASTER_KEY) {
    masterKeys = named('LEADFLOW_MASTER_KEY', () => parseMasterKeys(e.LEADFLOW_MASTER_KEY!));
    masterKeySource = 'LEADFLOW_MASTER_KEY';
  } else if (e.LEADFLOW_MASTER_KEY_FILE) {
    masterKeys = named('LEADFLOW_MASTER_KEY_FILE', () => loadMasterKeyFile(e.LEADFLOW_MASTER_KEY_FILE!));
    masterKeySource = e.LEADFLOW_MASTER_KEY_FILE;
  } else {
    throw new Error(
      'invalid configuration: LEADFLOW_MASTER_KEY (or LEADFLOW_MASTER_KEY_FILE) is required: the master key that wraps each lead\'s data key, as <id>:<base64 of 32 bytes> (make one with: echo "mk-1:$(openssl rand -base64 32)")',
    );
  }
  if (!e.LEADFLOW_LEAD_ID_SECRET) {
    throw new Error('invalid configuration: LEADFLOW_LEAD_ID_SECRET is required: the secret lead ids are derived with, at least 32 characters (make one with: openssl rand -base64 32)');
  }
  return { masterKeys, masterKeySource, leadIdSecret: e.LEADFLOW_LEAD_ID_SECRET };
}

function named<T>(variable: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new Error(`invalid configuration: ${variable}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
