import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/*
 * AES-256-GCM, the one cipher Leadflow uses: for payloads (a lead's data key), for sealed personal
 * fields in `lead_events` (the same key) and for wrapping data keys (a master key). Node's synchronous
 * cipher, not WebCrypto: payloads are small and many, and the promise per call costs more than the AES.
 * Output: 12-byte random IV, ciphertext, 16-byte tag. The associated data binds a ciphertext to where
 * it belongs (a key id), so one lead's blob cannot be passed off as another's.
 */

const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export function seal(key: Uint8Array, plaintext: Uint8Array, associatedData: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

/** Throws when the key is wrong or the bytes were changed (GCM's tag does not verify). */
export function open(key: Uint8Array, sealed: Uint8Array, associatedData: string): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error('sealed data is too short');
  const iv = sealed.subarray(0, IV_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
}

export function randomKey(): Buffer {
  return randomBytes(KEY_BYTES);
}
