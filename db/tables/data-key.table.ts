import type { ColumnType, Insertable, Selectable } from 'kysely';

type NullableTimestamp = ColumnType<Date | null, string | null | undefined, string | null>;

/** A data key, wrapped by a master key; `wrapped_key` is null once destroyed (the lead was erased). */
export interface DataKeyTable {
  keyId: string;
  /** The lead whose data the key encrypts; null for the system key. */
  leadId: string | null;
  masterKeyId: string | null;
  /** base64 of AES-256-GCM(master key, data key), the key id as associated data. */
  wrappedKey: string | null;
  createdAt: ColumnType<Date, string | undefined, never>;
  rotatedAt: NullableTimestamp;
  destroyedAt: NullableTimestamp;
}

export type DataKeyRow = Selectable<DataKeyTable>;
export type NewDataKeyRow = Insertable<DataKeyTable>;
