import { defaultPayloadConverter } from '@temporalio/common';
import { KeyStore, memoryDataKeyRepository, type DataKeyRepository } from '../../encryption/key-store';
import { encryptionKeyId, LeadPayloadCodec } from '../../encryption/lead-payload-codec';
import { TEST_MASTER_KEYS, testLeadId } from '../support/encryption';

// What the key store and the codec do while the database is away (found by npm run chaos, issue 16: the
// SDK encodes a failed task's failure with the codec, and an encoding that threw failed the whole worker).

const leadId = testLeadId('grace@cobol.example');
const context = { type: 'workflow' as const, namespace: 'default', workflowId: leadId };

/** The memory repository, with a switch that makes every read fail as a dropped connection does. */
function flakyRepository(): { repository: DataKeyRepository; setAway: (away: boolean) => void } {
  const inner = memoryDataKeyRepository();
  let away = false;
  const check = (): void => {
    if (away) throw new Error('Connection terminated unexpectedly');
  };
  return {
    setAway: (value) => (away = value),
    repository: {
      find: async (keyId) => (check(), inner.find(keyId)),
      insertIfAbsent: async (record) => (check(), inner.insertIfAbsent(record)),
      listWrappedByOther: (...args) => inner.listWrappedByOther(...args),
      rewrap: (...args) => inner.rewrap(...args),
      destroy: (...args) => inner.destroy(...args),
    },
  };
}

test('a key this process holds is still served after its cache time when the database cannot be read', async () => {
  let now = 0;
  const { repository, setAway } = flakyRepository();
  const keys = new KeyStore(repository, TEST_MASTER_KEYS, { cacheTtlMs: 1000, now: () => now });
  const first = await keys.leadKey(leadId);
  now = 5000;
  setAway(true);
  await expect(keys.leadKey(leadId)).resolves.toEqual(first);
  // A key it never held cannot be made up.
  await expect(keys.leadKey(testLeadId('someone@else.example'))).rejects.toThrow('Connection terminated');
  // The codec server's fresh reads still fail rather than trust memory.
  await expect(keys.keyById(first.keyId, { fresh: true })).rejects.toThrow('Connection terminated');
});

test("the worker's codec waits for a key the database cannot give yet; the API's fails at once", async () => {
  const { repository, setAway } = flakyRepository();
  const keys = new KeyStore(repository, TEST_MASTER_KEYS);
  const payload = defaultPayloadConverter.toPayload({ failure: 'text' });
  setAway(true);
  await expect(new LeadPayloadCodec(keys).encode([payload], context)).rejects.toThrow('Connection terminated');
  const waiting = new LeadPayloadCodec(keys, { keyWaitMs: 30_000 }).encode([payload], context);
  setTimeout(() => setAway(false), 600);
  const [encoded] = await waiting;
  expect(encryptionKeyId(encoded!)).toBe(`lead:${leadId}`);
});

test('the wait is bounded', async () => {
  const { repository, setAway } = flakyRepository();
  setAway(true);
  const started = Date.now();
  await expect(new LeadPayloadCodec(new KeyStore(repository, TEST_MASTER_KEYS), { keyWaitMs: 500 }).encode([defaultPayloadConverter.toPayload(1)], context)).rejects.toThrow(
    'Connection terminated',
  );
  expect(Date.now() - started).toBeGreaterThanOrEqual(500);
});
