import type { DataKeyTable } from './tables/data-key.table';
import type { IdempotencyKeyTable } from './tables/idempotency-key.table';
import type { LeadErasureTable } from './tables/lead-erasure.table';
import type { LeadEventTable } from './tables/lead-event.table';
import type { LeadTable } from './tables/lead.table';
import type { PolicyVersionTable } from './tables/policy-version.table';
import type { RoutingAssignmentTable } from './tables/routing-assignment.table';
import type { RoutingPositionTable } from './tables/routing-position.table';
import type { SeenWebhookSignatureTable } from './tables/seen-webhook-signature.table';
import type { WebhookDeliveryTable } from './tables/webhook-delivery.table';
import type { WebhookEndpointTable } from './tables/webhook-endpoint.table';

/** Kysely's view of the schema, in camelCase (CamelCasePlugin maps to the snake_case columns). */
export interface Database {
  leadEvents: LeadEventTable;
  leads: LeadTable;
  idempotencyKeys: IdempotencyKeyTable;
  routingPositions: RoutingPositionTable;
  routingAssignments: RoutingAssignmentTable;
  policyVersions: PolicyVersionTable;
  dataKeys: DataKeyTable;
  leadErasures: LeadErasureTable;
  webhookEndpoints: WebhookEndpointTable;
  webhookDeliveries: WebhookDeliveryTable;
  seenWebhookSignatures: SeenWebhookSignatureTable;
}
