import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';
import type { PublicEventType } from '../../domain/public-events';

type NullableTimestamp = ColumnType<Date | null, string | null | undefined, string | null>;

/** Where public events are delivered; the secret only sealed with the system key. */
export interface WebhookEndpointTable {
  /** `we_` + random hex; `we_config` for the endpoint of LEADFLOW_NOTIFY_WEBHOOK_URL. */
  id: string;
  url: string;
  /** The public event types delivered to it (jsonb array). */
  eventTypes: ColumnType<PublicEventType[], string, string>;
  description: string | null;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  /** The data key the secret is sealed with (the system key). */
  secretKeyId: string;
  /** base64 of AES-256-GCM(system key, `whsec_…`), `webhook_endpoints:<id>:secret` as associated data. */
  secretSealed: string;
  disabledReason: string | null;
  disabledAt: NullableTimestamp;
  source: ColumnType<'api' | 'config', 'api' | 'config' | undefined, never>;
  /** The outbox cursor (see db/outbox.repository.ts) its deliveries begin after: the newest event at its creation. */
  startTxId: ColumnType<string | null, string | null | undefined, never>;
  startPosition: ColumnType<string | null, string | null | undefined, never>;
  createdAt: ColumnType<Date, string | undefined, never>;
  updatedAt: ColumnType<Date, string | undefined, string>;
}

export type WebhookEndpointRow = Selectable<WebhookEndpointTable>;
export type NewWebhookEndpointRow = Insertable<WebhookEndpointTable>;
export type WebhookEndpointUpdate = Updateable<WebhookEndpointTable>;
