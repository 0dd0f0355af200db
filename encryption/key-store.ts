import { randomKey } from './aes-gcm';
import { unwrapDataKey, wrapDataKey, type MasterKeyRing } from './master-keys';

/**
 * One AES-256 data key per lead, created the first time anything of that lead is encrypted, stored only
 * wrapped by a master key, and destroyed when the person is erased (crypto-shredding: every copy of
 * every payload encrypted with it, in Temporal histories, backups and archives, becomes unreadable).
 * Payloads that belong to no lead use the one system key.
 */

export interface DataKey {
  keyId: string;
  /** The lead the key belongs to; null for the system key. */
  leadId: string | null;
  key: Buffer;
}

/** A stored data key; `wrappedKey` is null once the key has been destroyed. */
export interface DataKeyRecord {
  keyId: string;
  leadId: string | null;
  masterKeyId: string | null;
  wrappedKey: string | null;
  destroyedAt: string | null;
}

/** Where wrapped data keys live: PostgreSQL or PGlite (db/data-keys.repository.ts), or memory in tests. */
export interface DataKeyRepository {
  find(keyId: string): Promise<DataKeyRecord | undefined>;
  /** Stores the record unless its key id exists; answers with whichever record is stored now. */
  insertIfAbsent(record: DataKeyRecord): Promise<DataKeyRecord>;
  /** Live keys wrapped by another master key than `masterKeyId`, after `afterKeyId`, in key id order. */
  listWrappedByOther(masterKeyId: string, afterKeyId: string, limit: number): Promise<DataKeyRecord[]>;
  /** Replaces the wrapping if the row is still wrapped by `expectedMasterKeyId`; false if it moved on. */
  rewrap(keyId: string, expectedMasterKeyId: string, next: { masterKeyId: string; wrappedKey: string }): Promise<boolean>;
  /** Forgets the wrapped key for good, keeping the row (and when) as the record that it was destroyed. */
  destroy(keyId: string, at: string): Promise<void>;
}

export const SYSTEM_KEY_ID = 'system:1';

/** Data key ids name their lead: the id is in every payload's metadata, which the codec server reads. */
export function keyIdForLead(leadId: string): string {
  return `${LEAD_KEY_PREFIX}${leadId}`;
}

/** The lead a data key id names, or null for the system key (and any key not made for a lead). */
export function leadIdOfKeyId(keyId: string): string | null {
  return keyId.startsWith(LEAD_KEY_PREFIX) ? keyId.slice(LEAD_KEY_PREFIX.length) : null;
}

const LEAD_KEY_PREFIX = 'lead:';

/** Thrown for a key that has been destroyed: the lead it belonged to was erased. */
export class DataKeyDestroyedError extends Error {
  override readonly name = 'DataKeyDestroyedError';
  constructor(
    readonly keyId: string,
    readonly leadId: string | null,
    readonly destroyedAt: string | null,
  ) {
    super(`data key ${keyId} was destroyed${destroyedAt ? ` at ${destroyedAt}` : ''}: ${leadId ? `lead ${leadId} was erased` : 'it can no longer decrypt'}`);
  }
}

export class UnknownDataKeyError extends Error {
  override readonly name = 'UnknownDataKeyError';
  constructor(readonly keyId: string) {
    super(`data key ${keyId} is not in this Leadflow's key store`);
  }
}

export interface KeyStoreOptions {
  /** Unwrapped keys kept in memory (least recently used go first). */
  cacheSize?: number;
  /**
   * How long a cached key is used before its row is read again. Bounds how long another process may go
   * on using a key after it was destroyed (the process that destroys it forgets it at once).
   */
  cacheTtlMs?: number;
  now?: () => number;
}

export class KeyStore {
  private readonly cache = new Map<string, { key: DataKey; loadedAt: number }>();
  private readonly loading = new Map<string, Promise<DataKey>>();
  private readonly cacheSize: number;
  private readonly cacheTtlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly repository: DataKeyRepository,
    private readonly masterKeys: MasterKeyRing,
    options: KeyStoreOptions = {},
  ) {
    this.cacheSize = options.cacheSize ?? 10_000;
    this.cacheTtlMs = options.cacheTtlMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** The lead's key, created on first use. Throws DataKeyDestroyedError once the lead is erased. */
  leadKey(leadId: string): Promise<DataKey> {
    return this.get(keyIdForLead(leadId), { createFor: leadId });
  }

  systemKey(): Promise<DataKey> {
    return this.get(SYSTEM_KEY_ID, { createFor: null });
  }

  /**
   * A key named in a payload's metadata. `fresh` reads the row even when the key is cached, so a key
   * destroyed by another process is seen at once (the codec server asks for this).
   */
  keyById(keyId: string, options: { fresh?: boolean } = {}): Promise<DataKey> {
    return this.get(keyId, { fresh: options.fresh ?? false });
  }

  /** Drops a key from this process's memory (after destroying it). */
  forget(keyId: string): void {
    this.cache.delete(keyId);
  }

  /** Destroys a lead's key through the repository (outside a database transaction) and forgets it. */
  async destroyLeadKey(leadId: string, at = new Date(this.now()).toISOString()): Promise<void> {
    await this.repository.destroy(keyIdForLead(leadId), at);
    this.forget(keyIdForLead(leadId));
  }

  /**
   * Rewraps every live data key that another master key wraps under the active one. Histories and
   * sealed rows are untouched: the data keys themselves do not change.
   */
  async rotateMasterKey(onProgress: (rewrapped: number) => void = () => undefined): Promise<{ rewrapped: number; alreadyActive: boolean }> {
    const active = this.masterKeys.active;
    let rewrapped = 0;
    let after = '';
    for (;;) {
      const page = await this.repository.listWrappedByOther(active.id, after, 500);
      if (page.length === 0) break;
      for (const record of page) {
        after = record.keyId;
        if (!record.wrappedKey || !record.masterKeyId) continue;
        const key = unwrapDataKey(this.masterKeys, record.keyId, record.masterKeyId, record.wrappedKey);
        const next = wrapDataKey(this.masterKeys, record.keyId, key);
        if (await this.repository.rewrap(record.keyId, record.masterKeyId, { masterKeyId: next.masterKeyId, wrappedKey: next.wrapped })) rewrapped++;
      }
      onProgress(rewrapped);
    }
    return { rewrapped, alreadyActive: rewrapped === 0 };
  }

  private async get(keyId: string, options: { createFor?: string | null; fresh?: boolean }): Promise<DataKey> {
    const cached = this.cache.get(keyId);
    if (cached && !options.fresh && this.now() - cached.loadedAt < this.cacheTtlMs) {
      // Re-insert: Map order is the eviction order, oldest use first.
      this.cache.delete(keyId);
      this.cache.set(keyId, cached);
      return cached.key;
    }
    const inFlight = this.loading.get(keyId);
    if (inFlight && !options.fresh) return inFlight;
    const load = this.load(keyId, options.createFor)
      .catch((err: unknown) => {
        // The row could not be read (the database is away): a key this process already holds is still the
        // key. Only the store's own verdicts (destroyed, unknown) take a cached key away.
        if (cached && !options.fresh && !(err instanceof DataKeyDestroyedError) && !(err instanceof UnknownDataKeyError)) return cached.key;
        throw err;
      })
      .finally(() => this.loading.delete(keyId));
    if (!options.fresh) this.loading.set(keyId, load);
    return load;
  }

  private async load(keyId: string, createFor: string | null | undefined): Promise<DataKey> {
    let record = await this.repository.find(keyId);
    if (!record && createFor !== undefined) {
      const { masterKeyId, wrapped } = wrapDataKey(this.masterKeys, keyId, randomKey());
      // Two processes may create the same lead's key at once: the first insert wins, both use it.
      record = await this.repository.insertIfAbsent({ keyId, leadId: createFor, masterKeyId, wrappedKey: wrapped, destroyedAt: null });
    }
    if (!record) {
      this.cache.delete(keyId);
      throw new UnknownDataKeyError(keyId);
    }
    if (!record.wrappedKey || !record.masterKeyId) {
      this.cache.delete(keyId);
      throw new DataKeyDestroyedError(keyId, record.leadId, record.destroyedAt);
    }
    const key: DataKey = { keyId, leadId: record.leadId, key: unwrapDataKey(this.masterKeys, keyId, record.masterKeyId, record.wrappedKey) };
    this.cache.delete(keyId);
    this.cache.set(keyId, { key, loadedAt: this.now() });
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return key;
  }
}

/** Data keys in this process's memory: for tests of workflow behaviour that have no database. */
export function memoryDataKeyRepository(): DataKeyRepository & { records: Map<string, DataKeyRecord> } {
  const records = new Map<string, DataKeyRecord>();
  return {
    records,
    find(keyId) {
      const r = records.get(keyId);
      return Promise.resolve(r && { ...r });
    },
    insertIfAbsent(record) {
      if (!records.has(record.keyId)) records.set(record.keyId, { ...record });
      return Promise.resolve({ ...records.get(record.keyId)! });
    },
    listWrappedByOther(masterKeyId, afterKeyId, limit) {
      const page = [...records.values()]
        .filter((r) => r.wrappedKey && r.masterKeyId !== masterKeyId && r.keyId > afterKeyId)
        .sort((a, b) => (a.keyId < b.keyId ? -1 : 1))
        .slice(0, limit);
      return Promise.resolve(page.map((r) => ({ ...r })));
    },
    rewrap(keyId, expected, next) {
      const r = records.get(keyId);
      if (!r || r.masterKeyId !== expected || !r.wrappedKey) return Promise.resolve(false);
      records.set(keyId, { ...r, ...next });
      return Promise.resolve(true);
    },
    destroy(keyId, at) {
      const r = records.get(keyId);
      records.set(keyId, { keyId, leadId: leadIdOfKeyId(keyId), masterKeyId: null, wrappedKey: null, destroyedAt: r?.destroyedAt ?? at });
      return Promise.resolve();
    },
  };
}
