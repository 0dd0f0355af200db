import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { generateWebhookSecret, webhookSecretFromConfig } from '../client/standard-webhooks';
import { publicEventTypes, type PublicEventType } from '../domain/public-events';
import { open, seal } from '../encryption/aes-gcm';
import type { KeyStore } from '../encryption/key-store';
import type { Db } from './connection';
import type { WebhookDeliveryRow } from './tables/webhook-delivery.table';
import type { WebhookEndpointRow } from './tables/webhook-endpoint.table';
import { outboxEnd, type OutboxCursor } from './outbox.repository';

/*
 * Webhook endpoints and their delivery log: what /v1/webhook-endpoints manages and what the dispatcher
 * reads and writes. A signing secret is stored only sealed with the system data key, its endpoint id as
 * associated data, so a sealed secret copied onto another row does not open; it is shown once, when it
 * is made (create, rotate), and opened again only to sign (endpointSecret).
 */

/** The endpoint LEADFLOW_NOTIFY_WEBHOOK_URL makes and keeps up to date at start-up. */
export const CONFIG_ENDPOINT_ID = 'we_config';
/** Why the config endpoint is disabled when LEADFLOW_NOTIFY_WEBHOOK_URL is no longer set. */
export const CONFIG_UNSET_REASON = 'LEADFLOW_NOTIFY_WEBHOOK_URL is not set';
/** Why an endpoint is disabled when an operator turned it off (PATCH enabled: false). */
export const DISABLED_THROUGH_API_REASON = 'disabled through the API';

export type EndpointSource = 'api' | 'config';

/** An endpoint as the API shows it and the dispatcher reads it: never its secret. */
export interface WebhookEndpoint {
  id: string;
  url: string;
  eventTypes: PublicEventType[];
  description: string | null;
  enabled: boolean;
  /** Why delivery stopped (set with `enabled: false`); null while enabled. */
  disabledReason: string | null;
  disabledAt: string | null;
  source: EndpointSource;
  createdAt: string;
  updatedAt: string;
}

export interface NewEndpoint {
  url: string;
  eventTypes: readonly PublicEventType[];
  description?: string | null;
  enabled?: boolean;
}

export interface EndpointPatch {
  url?: string;
  eventTypes?: readonly PublicEventType[];
  description?: string | null;
  enabled?: boolean;
}

export function newEndpointId(): string {
  return `we_${randomBytes(12).toString('hex')}`;
}

/** Creates an endpoint with a fresh secret; the answer holds the secret, which is never shown again. */
export async function createEndpoint(db: Db, keys: KeyStore, input: NewEndpoint): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const id = newEndpointId();
  const secret = generateWebhookSecret();
  const row = await db
    .insertInto('webhookEndpoints')
    .values({
      id,
      url: input.url,
      eventTypes: JSON.stringify(inCatalogueOrder(input.eventTypes)),
      description: input.description ?? null,
      enabled: input.enabled ?? true,
      ...(input.enabled === false ? { disabledReason: DISABLED_THROUGH_API_REASON, disabledAt: new Date().toISOString() } : {}),
      ...(await sealSecret(keys, id, secret)),
      ...(await startCursorColumns(db)),
      source: 'api',
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { endpoint: toEndpoint(row), secret };
}

/** Every endpoint, oldest first; `enabled` and `eventType` narrow it (the dispatcher's view). */
export async function listEndpoints(db: Db, filter: { enabled?: boolean; eventType?: PublicEventType } = {}): Promise<WebhookEndpoint[]> {
  let select = db.selectFrom('webhookEndpoints').selectAll();
  if (filter.enabled !== undefined) select = select.where('enabled', '=', filter.enabled);
  if (filter.eventType !== undefined) select = select.where(sql<boolean>`event_types @> ${JSON.stringify([filter.eventType])}::jsonb`);
  const rows = await select.orderBy('createdAt').orderBy('id').execute();
  return rows.map(toEndpoint);
}

export async function findEndpoint(db: Db, id: string): Promise<WebhookEndpoint | undefined> {
  const row = await db.selectFrom('webhookEndpoints').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toEndpoint(row);
}

/**
 * Changes what is given. Enabling a disabled endpoint clears why it was disabled; disabling an enabled
 * one records that an operator did it. Undefined when there is no such endpoint.
 */
export async function updateEndpoint(db: Db, id: string, patch: EndpointPatch): Promise<WebhookEndpoint | undefined> {
  return db.transaction().execute(async (trx) => {
    const current = await trx.selectFrom('webhookEndpoints').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!current) return undefined;
    const now = new Date().toISOString();
    const enabling = patch.enabled === true && !current.enabled;
    const disabling = patch.enabled === false && current.enabled;
    const row = await trx
      .updateTable('webhookEndpoints')
      .set({
        ...(patch.url !== undefined ? { url: patch.url } : {}),
        ...(patch.eventTypes !== undefined ? { eventTypes: JSON.stringify(inCatalogueOrder(patch.eventTypes)) } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(enabling ? { enabled: true, disabledReason: null, disabledAt: null } : {}),
        ...(disabling ? { enabled: false, disabledReason: DISABLED_THROUGH_API_REASON, disabledAt: now } : {}),
        updatedAt: now,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toEndpoint(row);
  });
}

/** Deletes the endpoint and its delivery log; false when there was none. */
export async function deleteEndpoint(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('webhookEndpoints').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** A new secret replaces the old one at once (the old one signs nothing more); undefined for no endpoint. */
export async function rotateEndpointSecret(db: Db, keys: KeyStore, id: string): Promise<string | undefined> {
  const secret = generateWebhookSecret();
  const result = await db
    .updateTable('webhookEndpoints')
    .set({ ...(await sealSecret(keys, id, secret)), updatedAt: new Date().toISOString() })
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1 ? secret : undefined;
}

/** The endpoint's signing secret (`whsec_…`), opened to sign a delivery; undefined for no endpoint. */
export async function endpointSecret(db: Db, keys: KeyStore, id: string): Promise<string | undefined> {
  const row = await db.selectFrom('webhookEndpoints').select(['id', 'secretKeyId', 'secretSealed']).where('id', '=', id).executeTakeFirst();
  return row && openSecret(keys, row);
}

/**
 * Stops delivery to an endpoint and says why (the dispatcher, after 24 h of failures). Only an enabled
 * endpoint is disabled, so the first reason stands; true when this call disabled it.
 */
export async function disableEndpoint(db: Db, id: string, reason: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable('webhookEndpoints')
    .set({ enabled: false, disabledReason: reason, disabledAt: at, updatedAt: new Date().toISOString() })
    .where('id', '=', id)
    .where('enabled', '=', true)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export interface ConfiguredEndpointResult {
  /** What start-up did to `we_config`. */
  action: 'created' | 'updated' | 'unchanged' | 'disabled' | 'none';
  endpoint?: WebhookEndpoint;
  /** `plain`: an older non-`whsec_` secret, whose UTF-8 bytes are the signing key. */
  secretFormat?: 'whsec' | 'plain';
}

/**
 * LEADFLOW_NOTIFY_WEBHOOK_URL as an endpoint, run at start-up: `we_config` (source `config`) gets the
 * URL, every event type of the catalogue and the configured secret. A changed URL or secret enables it
 * again; otherwise its enabled state stands (the dispatcher or an operator may have disabled it). With
 * no URL configured, an enabled `we_config` is disabled (CONFIG_UNSET_REASON), its log kept. Safe to
 * run from several processes at once.
 */
export async function ensureConfiguredEndpoint(db: Db, keys: KeyStore, config: { url?: string; secret?: string }): Promise<ConfiguredEndpointResult> {
  if (config.url === undefined) {
    const disabled = await disableEndpoint(db, CONFIG_ENDPOINT_ID, CONFIG_UNSET_REASON, new Date().toISOString());
    const endpoint = await findEndpoint(db, CONFIG_ENDPOINT_ID);
    return endpoint ? { action: disabled ? 'disabled' : 'unchanged', endpoint } : { action: 'none' };
  }
  if (config.secret === undefined) throw new Error('invalid configuration: LEADFLOW_NOTIFY_WEBHOOK_SECRET is required with LEADFLOW_NOTIFY_WEBHOOK_URL');
  let configured: ReturnType<typeof webhookSecretFromConfig>;
  try {
    configured = webhookSecretFromConfig(config.secret);
  } catch (err) {
    throw new Error(`invalid configuration: LEADFLOW_NOTIFY_WEBHOOK_SECRET: ${(err as Error).message}`);
  }
  const url = config.url;
  const eventTypes = JSON.stringify(publicEventTypes);
  const sealed = await sealSecret(keys, CONFIG_ENDPOINT_ID, configured.secret);
  const inserted = await db
    .insertInto('webhookEndpoints')
    .values({ id: CONFIG_ENDPOINT_ID, url, eventTypes, description: 'From LEADFLOW_NOTIFY_WEBHOOK_URL', enabled: true, ...sealed, ...(await startCursorColumns(db)), source: 'config' })
    .onConflict((oc) => oc.column('id').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { action: 'created', endpoint: toEndpoint(inserted), secretFormat: configured.format };
  // No transaction: processes starting together compute the same change, and the secret is opened with
  // the key store, which must not wait behind a transaction on PGlite's one session.
  const current = await db.selectFrom('webhookEndpoints').selectAll().where('id', '=', CONFIG_ENDPOINT_ID).executeTakeFirstOrThrow();
  const sameSecret = await openSecret(keys, current).then(
    (secret) => secret === configured.secret,
    () => false, // a secret that no longer opens is replaced
  );
  const sameTypes = JSON.stringify(current.eventTypes) === eventTypes;
  const wasUnset = !current.enabled && current.disabledReason === CONFIG_UNSET_REASON;
  if (current.url === url && sameSecret && sameTypes && !wasUnset) {
    return { action: 'unchanged', endpoint: toEndpoint(current), secretFormat: configured.format };
  }
  const enable = current.url !== url || !sameSecret || wasUnset;
  const row = await db
    .updateTable('webhookEndpoints')
    .set({
      url,
      eventTypes,
      ...(sameSecret ? {} : sealed),
      ...(enable ? { enabled: true, disabledReason: null, disabledAt: null } : {}),
      updatedAt: new Date().toISOString(),
    })
    .where('id', '=', CONFIG_ENDPOINT_ID)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { action: 'updated', endpoint: toEndpoint(row), secretFormat: configured.format };
}

// ---------------------------------------------------------------------------------------------------------
// The delivery log

/** One attempt, as the dispatcher (or the test route) records it. */
export interface DeliveryAttempt {
  endpointId: string;
  /** The public event id (`webhook-id`). */
  eventId: string;
  eventType: string;
  /** null for a `webhook.test` message. */
  leadId: string | null;
  seq: number | null;
  /** 1 for the event's first attempt to this endpoint. */
  attempt: number;
  attemptedAt: string;
  /** null when no answer came. */
  statusCode: number | null;
  /** Leadflow's words for what went wrong (never the receiver's body); null when delivered. */
  error: string | null;
  durationMs: number;
  delivered: boolean;
  /** An operator asked for it (redelivery), not the dispatcher's own retry. */
  redelivery?: boolean;
}

export interface RecordedDeliveryAttempt extends Required<DeliveryAttempt> {
  id: number;
}

const MAX_ERROR_CHARS = 1000;

/** Appends one attempt to the endpoint's log; false when the endpoint no longer exists (deleted meanwhile). */
export async function recordDeliveryAttempt(db: Db, attempt: DeliveryAttempt): Promise<boolean> {
  try {
    await db
      .insertInto('webhookDeliveries')
      .values({
        endpointId: attempt.endpointId,
        eventId: attempt.eventId,
        eventType: attempt.eventType,
        leadId: attempt.leadId,
        seq: attempt.seq,
        attempt: attempt.attempt,
        attemptedAt: attempt.attemptedAt,
        statusCode: attempt.statusCode,
        error: attempt.error === null ? null : attempt.error.slice(0, MAX_ERROR_CHARS),
        durationMs: Math.max(0, Math.round(attempt.durationMs)),
        delivered: attempt.delivered,
        redelivery: attempt.redelivery ?? false,
      })
      .execute();
    return true;
  } catch (err) {
    if ((err as { code?: unknown }).code === '23503') return false; // foreign_key_violation: no such endpoint
    throw err;
  }
}

/**
 * A page of an endpoint's log, newest first (keyset on the attempt's id): pass `nextBefore` back as
 * `before` until it is null. `eventId` narrows it to one event's attempts.
 */
export async function listDeliveryAttempts(
  db: Db,
  endpointId: string,
  page: { limit: number; before?: number; eventId?: string },
): Promise<{ items: RecordedDeliveryAttempt[]; nextBefore: number | null }> {
  let select = db.selectFrom('webhookDeliveries').selectAll().where('endpointId', '=', endpointId);
  if (page.before !== undefined) select = select.where('id', '<', page.before);
  if (page.eventId !== undefined) select = select.where('eventId', '=', page.eventId);
  const rows = await select
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .execute();
  const items = rows.slice(0, page.limit).map(toAttempt);
  return { items, nextBefore: rows.length > page.limit ? (items[items.length - 1]?.id ?? null) : null };
}

// ---------------------------------------------------------------------------------------------------------

function secretAssociatedData(id: string): string {
  return `webhook_endpoints:${id}:secret`;
}

async function sealSecret(keys: KeyStore, id: string, secret: string): Promise<{ secretKeyId: string; secretSealed: string }> {
  const { keyId, key } = await keys.systemKey();
  return { secretKeyId: keyId, secretSealed: seal(key, Buffer.from(secret, 'utf8'), secretAssociatedData(id)).toString('base64') };
}

async function openSecret(keys: KeyStore, row: Pick<WebhookEndpointRow, 'id' | 'secretKeyId' | 'secretSealed'>): Promise<string> {
  const { key } = await keys.keyById(row.secretKeyId);
  return open(key, Buffer.from(row.secretSealed, 'base64'), secretAssociatedData(row.id)).toString('utf8');
}

/** Catalogue order, each type once: the same subscription always reads the same. */
function inCatalogueOrder(types: readonly PublicEventType[]): PublicEventType[] {
  const wanted = new Set(types);
  return publicEventTypes.filter((t) => wanted.has(t));
}

/** The outbox cursor an endpoint's deliveries begin after (the newest event at its creation), if any. */
export async function endpointStartCursor(db: Db, id: string): Promise<OutboxCursor | undefined> {
  const row = await db.selectFrom('webhookEndpoints').select(['startTxId', 'startPosition']).where('id', '=', id).executeTakeFirst();
  return row?.startTxId && row.startPosition ? { txId: row.startTxId, position: row.startPosition } : undefined;
}

async function startCursorColumns(db: Db): Promise<{ startTxId: string | null; startPosition: string | null }> {
  const end = await outboxEnd(db);
  return { startTxId: end?.txId ?? null, startPosition: end?.position ?? null };
}

function toEndpoint(row: WebhookEndpointRow): WebhookEndpoint {
  return {
    id: row.id,
    url: row.url,
    eventTypes: row.eventTypes,
    description: row.description,
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    disabledAt: row.disabledAt ? row.disabledAt.toISOString() : null,
    source: row.source,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function toAttempt(row: WebhookDeliveryRow): RecordedDeliveryAttempt {
  return {
    id: Number(row.id),
    endpointId: row.endpointId,
    eventId: row.eventId,
    eventType: row.eventType,
    leadId: row.leadId,
    seq: row.seq,
    attempt: row.attempt,
    attemptedAt: row.attemptedAt.toISOString(),
    statusCode: row.statusCode,
    error: row.error,
    durationMs: row.durationMs,
    delivered: row.delivered,
    redelivery: row.redelivery,
  };
}
