import type { Migration } from 'kysely';
import * as m20261122T1900 from './20261122T1900-create-lead-events-and-leads';
import * as m20261122T2000 from './20261122T2000-create-idempotency-keys';
import * as m20261123T0900 from './20261123T0900-index-leads-created-at';
import * as m20261123T1000 from './20261123T1000-create-routing-state';
import * as m20261125T0900 from './20261125T0900-create-policy-versions';
import * as m20261126T0900 from './20261126T0900-add-routing-last-owner';
import * as m20261202T0900 from './20261202T0900-protect-personal-data';
import * as m20261202T1200 from './20261202T1200-add-lead-event-global-position';
import * as m20261202T1300 from './20261202T1300-create-webhook-endpoints';
import * as m20261202T1400 from './20261202T1400-add-webhook-endpoint-start-cursor';
import * as m20261203T0900 from './20261203T0900-create-seen-webhook-signatures';

/**
 * Every migration, listed explicitly (no directory scanning) so a compiled build or a bundle finds
 * them. Names sort in the order they run.
 */
export const migrations: Record<string, Migration> = {
  '20261122T1900-create-lead-events-and-leads': m20261122T1900,
  '20261122T2000-create-idempotency-keys': m20261122T2000,
  '20261123T0900-index-leads-created-at': m20261123T0900,
  '20261123T1000-create-routing-state': m20261123T1000,
  '20261125T0900-create-policy-versions': m20261125T0900,
  '20261126T0900-add-routing-last-owner': m20261126T0900,
  '20261202T0900-protect-personal-data': m20261202T0900,
  '20261202T1200-add-lead-event-global-position': m20261202T1200,
  '20261202T1300-create-webhook-endpoints': m20261202T1300,
  '20261202T1400-add-webhook-endpoint-start-cursor': m20261202T1400,
  '20261203T0900-create-seen-webhook-signatures': m20261203T0900,
};
