import type { PersonalEventData } from '../domain/personal-data';
import { open, seal } from './aes-gcm';
import { DataKeyDestroyedError, type KeyStore } from './key-store';

/**
 * Seals the personal part of a lead's events for the append-only `lead_events` table, with the same
 * per-lead data key as the lead's Temporal payloads: destroying the key erases both, in every backup.
 */
export interface PersonalDataSealer {
  seal(leadId: string, personal: PersonalEventData): Promise<string>;
  /** The personal part, or undefined once the lead's key is destroyed (the lead was erased). */
  open(leadId: string, sealed: string): Promise<PersonalEventData | undefined>;
}

export function keyStoreSealer(keys: KeyStore): PersonalDataSealer {
  return {
    async seal(leadId, personal) {
      const key = await keys.leadKey(leadId);
      return seal(key.key, Buffer.from(JSON.stringify(personal), 'utf8'), associatedData(key.keyId)).toString('base64');
    },
    async open(leadId, sealed) {
      try {
        const key = await keys.leadKey(leadId);
        return JSON.parse(open(key.key, Buffer.from(sealed, 'base64'), associatedData(key.keyId)).toString('utf8')) as PersonalEventData;
      } catch (err) {
        if (err instanceof DataKeyDestroyedError) return undefined;
        throw err;
      }
    },
  };
}

/** Bound into each sealed value, so a sealed event field cannot pass for a payload or another lead's. */
function associatedData(keyId: string): string {
  return `${keyId}#lead_events.personal`;
}
