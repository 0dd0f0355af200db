import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { isLeadWorkflowId } from '../client/lead-id';
import { open, seal } from './aes-gcm';
import { DataKeyDestroyedError, UnknownDataKeyError, type DataKey, type KeyStore } from './key-store';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const ENCODING_METADATA = 'encoding';

const utf8 = new TextEncoder();
const text = new TextDecoder();

export interface LeadPayloadCodecOptions {
  /**
   * How long `encode` waits for a key the store cannot read right now (the database is away) before it
   * fails; default 0, fail at once. A worker waits: the SDK encodes a failed task's failure with this codec,
   * and when that encoding throws it fails the whole worker (found by npm run chaos: a 30 s database outage
   * ended both workers). The wait only holds that one task, which Temporal times out and retries anyway.
   */
  keyWaitMs?: number;
}

/**
 * Encrypts every payload Leadflow hands to Temporal with the key of the lead it belongs to.
 *
 * Which lead: the SDK passes a serialization context with each payload, naming the workflow it is sent
 * to or comes from (for an activity, the workflow that scheduled it). Lead workflows' ids are their
 * lead ids, so a payload of a lead workflow, of its activities, updates, signals, queries, results and
 * failures is encrypted with that lead's key. Anything else (no context, or another workflow) uses the
 * system key. The key id travels in clear in the payload's metadata, so decoding needs no context: the
 * codec server, which only gets payloads, decodes with the same store.
 *
 * Payloads that are not encrypted pass through decode unchanged: histories recorded before encryption
 * still replay.
 */
export class LeadPayloadCodec implements PayloadCodec {
  constructor(
    private readonly keys: KeyStore,
    private readonly options: LeadPayloadCodecOptions = {},
  ) {}

  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    if (payloads.length === 0) return payloads;
    const leadId = context?.workflowId !== undefined && isLeadWorkflowId(context.workflowId) ? context.workflowId : undefined;
    const key = await this.waitForKey(() => (leadId ? this.keys.leadKey(leadId) : this.keys.systemKey()));
    return payloads.map((payload) => encryptPayload(payload, key));
  }

  /** The key, asked again with a backoff while the store cannot read it, for up to `keyWaitMs`. */
  private async waitForKey(get: () => Promise<DataKey>): Promise<DataKey> {
    const deadline = Date.now() + (this.options.keyWaitMs ?? 0);
    for (let attempt = 0; ; attempt++) {
      try {
        return await get();
      } catch (err) {
        if (err instanceof DataKeyDestroyedError || err instanceof UnknownDataKeyError || Date.now() >= deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 250 * 2 ** attempt)));
      }
    }
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((payload) => this.decodeOne(payload)));
  }

  /** Decodes one payload; `fresh` re-reads its key's row, so a key destroyed elsewhere is seen at once. */
  async decodeOne(payload: Payload, options: { fresh?: boolean } = {}): Promise<Payload> {
    const keyId = encryptionKeyId(payload);
    if (keyId === undefined) return payload;
    const key = await this.keys.keyById(keyId, options);
    return temporal.api.common.v1.Payload.decode(open(key.key, payload.data ?? new Uint8Array(), keyId));
  }
}

export function encryptPayload(payload: Payload, key: DataKey): Payload {
  return {
    metadata: {
      [ENCODING_METADATA]: utf8.encode(ENCRYPTED_ENCODING),
      [KEY_ID_METADATA]: utf8.encode(key.keyId),
    },
    // The whole payload, its own metadata (encoding) included: nothing of the value stays readable.
    data: seal(key.key, temporal.api.common.v1.Payload.encode(payload).finish(), key.keyId),
  };
}

/** The data key id of an encrypted payload, or undefined when the payload is not encrypted. */
export function encryptionKeyId(payload: Payload): string | undefined {
  const encoding = payload.metadata?.[ENCODING_METADATA];
  if (!encoding || text.decode(encoding) !== ENCRYPTED_ENCODING) return undefined;
  const keyId = payload.metadata?.[KEY_ID_METADATA];
  if (!keyId) throw new Error('encrypted payload without an encryption-key-id');
  return text.decode(keyId);
}

export { DataKeyDestroyedError };
