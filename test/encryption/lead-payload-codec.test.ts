import { defaultPayloadConverter, DefaultFailureConverter, ApplicationFailure, type Payload } from '@temporalio/common';
import { DataKeyDestroyedError, KeyStore, memoryDataKeyRepository, SYSTEM_KEY_ID } from '../../encryption/key-store';
import { encryptionKeyId, LeadPayloadCodec } from '../../encryption/lead-payload-codec';
import { parseMasterKeys } from '../../encryption/master-keys';
import { failureConverter } from '../../encryption/failure-converter';
import { TEST_MASTER_KEYS, testLeadId } from '../support/encryption';

const leadId = testLeadId('ada@analytical-engines.example');
const profile = { email: 'ada@analytical-engines.example', firstName: 'Ada', lastName: 'Lovelace', phone: '+44 20 7946 0000' };
const text = (p: Payload) => Buffer.from(p.data ?? []).toString('latin1') + JSON.stringify(p.metadata ?? {});

function setup() {
  const repository = memoryDataKeyRepository();
  const keys = new KeyStore(repository, TEST_MASTER_KEYS);
  return { repository, keys, codec: new LeadPayloadCodec(keys) };
}
const leadContext = { type: 'workflow' as const, namespace: 'default', workflowId: leadId };

describe('the payload codec', () => {
  it("encrypts a lead workflow's payloads with that lead's key: nothing of the value stays readable", async () => {
    const { codec, repository } = setup();
    const plain = defaultPayloadConverter.toPayload({ profile });
    const [encoded] = await codec.encode([plain], leadContext);
    expect(encryptionKeyId(encoded!)).toBe(`lead:${leadId}`);
    for (const value of Object.values(profile)) expect(text(encoded!)).not.toContain(value);
    expect(text(encoded!)).not.toContain('json/plain');
    // The data key is stored only wrapped by the master key.
    const record = repository.records.get(`lead:${leadId}`)!;
    expect(record).toMatchObject({ leadId, masterKeyId: 'test-mk-1' });
    expect(record.wrappedKey).toMatch(/^[A-Za-z0-9+/=]+$/);

    const [decoded] = await codec.decode([encoded!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ profile });
  });

  it('uses the same key for activities the lead workflow schedules, and the system key for anything else', async () => {
    const { codec } = setup();
    const plain = defaultPayloadConverter.toPayload('x');
    const [activity] = await codec.encode([plain], { type: 'activity', namespace: 'default', workflowId: leadId, isLocal: false });
    expect(encryptionKeyId(activity!)).toBe(`lead:${leadId}`);
    const [other] = await codec.encode([plain], { type: 'workflow', namespace: 'default', workflowId: `erasure-${leadId}` });
    expect(encryptionKeyId(other!)).toBe(SYSTEM_KEY_ID);
    const [none] = await codec.encode([plain]);
    expect(encryptionKeyId(none!)).toBe(SYSTEM_KEY_ID);
    expect(await codec.decode([other!, none!])).toEqual([plain, plain].map((p) => expect.objectContaining({ data: p.data })));
  });

  it('passes payloads that were never encrypted through (histories recorded before encryption replay)', async () => {
    const { codec } = setup();
    const plain = defaultPayloadConverter.toPayload({ profile });
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('one key per lead, created once even when many payloads of a new lead are encoded at the same time', async () => {
    const { codec, repository } = setup();
    const other = testLeadId('grace@navy.example');
    const encoded = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        codec.encode([defaultPayloadConverter.toPayload(i)], { ...leadContext, workflowId: i % 2 ? leadId : other }),
      ),
    );
    expect([...repository.records.keys()].sort()).toEqual([`lead:${leadId}`, `lead:${other}`].sort());
    const decoded = await codec.decode(encoded.flat());
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('a destroyed key decodes nothing and encodes nothing more for that lead', async () => {
    const { codec, keys } = setup();
    const [encoded] = await codec.encode([defaultPayloadConverter.toPayload({ profile })], leadContext);
    await keys.destroyLeadKey(leadId);
    await expect(codec.decode([encoded!])).rejects.toThrow(DataKeyDestroyedError);
    await expect(codec.decode([encoded!])).rejects.toThrow(/was erased/);
    await expect(codec.encode([defaultPayloadConverter.toPayload(1)], leadContext)).rejects.toThrow(DataKeyDestroyedError);
  });

  it('a payload changed in storage, or moved under another key id, does not decode', async () => {
    const { codec } = setup();
    const [encoded] = await codec.encode([defaultPayloadConverter.toPayload({ profile })], leadContext);
    const tampered = { ...encoded!, data: Buffer.from(encoded!.data!).map((b, i) => (i === 20 ? b ^ 1 : b)) };
    await expect(codec.decode([tampered])).rejects.toThrow();
    const [otherLead] = await codec.encode([defaultPayloadConverter.toPayload(1)], { ...leadContext, workflowId: testLeadId('x@y.example') });
    const moved = { metadata: otherLead!.metadata, data: encoded!.data };
    await expect(codec.decode([moved])).rejects.toThrow();
  });

  it('a key wrapped by a master key that is not configured names that key', async () => {
    const { repository, codec } = setup();
    const [encoded] = await codec.encode([defaultPayloadConverter.toPayload(1)], leadContext);
    const elsewhere = new LeadPayloadCodec(new KeyStore(repository, parseMasterKeys(`other:${Buffer.alloc(32, 9).toString('base64')}`)));
    await expect(elsewhere.decode([encoded!])).rejects.toThrow(/master key test-mk-1, which is not configured/);
  });
});

describe('failure text', () => {
  it('goes into an encoded payload, so the codec encrypts a message that quotes a field', async () => {
    const { codec } = setup();
    const failure = failureConverter.errorToFailure(ApplicationFailure.create({ message: `bad email ${profile.email}` }), defaultPayloadConverter);
    expect(failure.message).not.toContain(profile.email);
    expect(failure.encodedAttributes).toBeDefined();
    const [encoded] = await codec.encode([failure.encodedAttributes!], leadContext);
    expect(text(encoded!)).not.toContain(profile.email);
    // The SDK's default converter (what a client without Leadflow's would use) does not do this.
    expect(new DefaultFailureConverter().errorToFailure(new Error(profile.email), defaultPayloadConverter).message).toContain(profile.email);
  });
});
