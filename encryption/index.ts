import { databaseDataKeyRepository } from '../db/data-keys.repository';
import type { Db } from '../db/connection';
import { KeyStore, type KeyStoreOptions } from './key-store';
import type { MasterKeyRing } from './master-keys';

/*
 * Personal data protection: one data key per lead (key-store.ts), wrapped by master keys
 * (master-keys.ts), used by the payload codec of every Temporal client and worker (data-converter.ts,
 * lead-payload-codec.ts) and by the sealed personal fields of `lead_events` (personal-data-sealer.ts).
 * A lead's key is destroyed by its erasure (activities/erasure.activities.ts).
 */

/** The key store of a process, over the database's `data_keys` table. */
export function createKeyStore(db: Db, masterKeys: MasterKeyRing, options: KeyStoreOptions = {}): KeyStore {
  return new KeyStore(databaseDataKeyRepository(db), masterKeys, options);
}

export { KeyStore, DataKeyDestroyedError, UnknownDataKeyError, keyIdForLead, leadIdOfKeyId } from './key-store';
export { leadflowDataConverter, FAILURE_CONVERTER_PATH } from './data-converter';
export { keyStoreSealer, type PersonalDataSealer } from './personal-data-sealer';
export { LeadPayloadCodec } from './lead-payload-codec';
