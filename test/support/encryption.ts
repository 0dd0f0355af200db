import { leadIdForEmail } from '../../client/lead-id';
import type { Client } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { submitForm } from '../../client/lead-intake';
import type { Db } from '../../db/connection';
import type { LeadPolicy } from '../../domain/lead-policy';
import type { FillFormInput, FormAnswer } from '../../workflows/lead.messages';
import { createKeyStore, KeyStore, keyStoreSealer, type PersonalDataSealer } from '../../encryption';
import { memoryDataKeyRepository } from '../../encryption/key-store';
import { parseMasterKeys } from '../../encryption/master-keys';

/** The lead id secret of every test (the API's deps and the tests that compute ids share it). */
export const TEST_LEAD_ID_SECRET = 'test-lead-id-secret-0123456789abcdef';

/** A fixed master key for tests: never used outside them. */
export const TEST_MASTER_KEY_SPEC = `test-mk-1:${Buffer.alloc(32, 7).toString('base64')}`;
export const TEST_MASTER_KEYS = parseMasterKeys(TEST_MASTER_KEY_SPEC);

/** The lead id the API derives for this email in tests. */
export function testLeadId(email: string, generation = 0): string {
  return leadIdForEmail(email, TEST_LEAD_ID_SECRET, generation);
}

/** Data keys in memory: for the time-skipping workflow suites, which have no database. */
export function memoryKeyStore(): KeyStore {
  return new KeyStore(memoryDataKeyRepository(), TEST_MASTER_KEYS);
}

/** Data keys in the suite's own database, as in production. */
export function databaseKeyStore(db: Db): { keys: KeyStore; sealer: PersonalDataSealer } {
  const keys = createKeyStore(db, TEST_MASTER_KEYS);
  return { keys, sealer: keyStoreSealer(keys) };
}

/** A form fill straight to Temporal (update-with-start), under the id the API would derive. */
export function submitTestForm(client: Client, form: FillFormInput, policy: LeadPolicy, taskQueue?: string): Promise<FormAnswer> {
  return submitForm(client, testLeadId(form.profile.email), form, policy, taskQueue);
}

/**
 * Decodes, in place, every encrypted payload in a raw history (inputs, results, failures' encoded
 * attributes): what the Temporal UI shows through the codec server.
 */
export async function decodeHistory<T extends object>(history: T, codec: PayloadCodec): Promise<T> {
  const isPayload = (v: unknown): v is Payload =>
    typeof v === 'object' && v !== null && 'metadata' in v && typeof (v as Payload).metadata === 'object' && (v as Payload).metadata !== null &&
    'encoding' in (v as Payload).metadata!;
  const visit = async (node: unknown): Promise<void> => {
    if (typeof node !== 'object' || node === null || node instanceof Uint8Array) return;
    for (const [key, value] of Object.entries(node)) {
      if (isPayload(value)) (node as Record<string, unknown>)[key] = (await codec.decode([value]))[0];
      else await visit(value);
    }
  };
  await visit(history);
  return history;
}
