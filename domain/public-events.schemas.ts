import { z } from 'zod';
import { bantCriteria, leadStages, recycleReasons, rejectReasons } from './lead-events';
import { PUBLIC_EVENTS_VERSION, publicEventTypes, type PublicEventType } from './public-events';

/**
 * The public events' shapes, one schema per type: the contract receivers code against, published in
 * the OpenAPI document's `webhooks` section and used for GET /v1/events. Kept equal to what
 * `publicEventsOf` builds by test/domain/public-events.test.ts.
 */

const iso = z.iso.datetime({ offset: true });
const text = z.string();
const slaKind = z.enum(['mql', 'sal']);

export const publicLeadViewSchema = z
  .object({
    leadId: text,
    stage: z.enum(leadStages),
    owner: text.nullable(),
    email: text.nullable().meta({ description: 'Null once the person is erased (and for every event read after that).' }),
    fullName: text.nullable(),
    company: text.nullable(),
    country: text.nullable(),
    source: z.strictObject({ channel: text.nullable(), campaign: text.nullable() }),
    fitScore: z.number(),
    engagementScore: z.number(),
    mqlCycle: z.number().int(),
    recycleCount: z.number().int(),
    sla: z.strictObject({ kind: slaKind, owner: text, dueAt: iso }).nullable().meta({ description: 'The follow-up window running now, if any.' }),
    unsubscribed: z.boolean(),
    opportunityId: text.nullable(),
    erased: z.boolean(),
  })
  .meta({ id: 'PublicLeadView', description: "The lead's public view right after the event." });

const empty = z.strictObject({});
export const publicEventDetailSchemas: Record<PublicEventType, z.ZodType> = {
  'lead.captured': empty,
  'lead.mql': z.strictObject({ via: z.enum(['score', 'hand_raiser']), fitScore: z.number(), engagementScore: z.number(), mqlCycle: z.number().int(), policyVersion: text }),
  'lead.assigned': z.strictObject({
    owner: text,
    slaKind,
    slaDueAt: iso,
    assignment: z.number().int().meta({ description: 'The routing round: 1 for the first owner of the stage, 2 after the first SLA breach, …' }),
    by: text.nullable().meta({ description: 'The manager who reassigned the lead by hand (POST /v1/leads/{leadId}/assign); null when routing assigned it.' }),
    previousOwner: text.nullable().meta({ description: 'Who owned the lead before a reassignment by hand; null otherwise.' }),
    reason: text.nullable().meta({ description: "The manager's reason for a reassignment by hand, when given." }),
  }),
  'lead.sla_reminder': z.strictObject({ owner: text, slaKind, slaDueAt: iso, reminder: z.number().int().optional() }),
  'lead.sla_breached': z.strictObject({ owner: text, slaKind, slaDueAt: iso, breach: z.number().int(), escalateTo: text }),
  'lead.accepted': z.strictObject({ rep: text, slaDueAt: iso }),
  'lead.rejected': z.strictObject({ rep: text, reason: z.enum(rejectReasons) }),
  'lead.qualified': z.strictObject({ rep: text, bant: z.record(z.enum(bantCriteria), z.boolean()), opportunityId: text }),
  'lead.won': z.strictObject({ rep: text }),
  'lead.lost': z.strictObject({ rep: text, reason: text }),
  'lead.recycled': z.strictObject({
    reason: z.enum(recycleReasons),
    from: z.enum(leadStages),
    by: text.nullable(),
    needsDataRepair: z.boolean(),
    bantGaps: z.array(z.enum(bantCriteria)),
    coolOffUntil: iso,
    nurtureTrack: text.nullable().meta({ description: "The nurture sequence the policy maps the reason to (policy `nurtureTracks`); null when it maps none." }),
  }),
  'lead.disqualified': z.strictObject({ by: text, reason: text, from: z.enum(leadStages) }),
  'lead.unsubscribed': empty,
  'lead.erased': empty.meta({ description: 'The person was erased: erase your copy too. The lead view carries nothing personal from now on.' }),
};

export function publicEventSchema(type: PublicEventType) {
  return z.strictObject({
    id: text.meta({ description: 'Global and stable: use it as your idempotency key (it is also the `webhook-id` header).' }),
    type: z.literal(type),
    version: z.literal(PUBLIC_EVENTS_VERSION),
    leadId: text,
    seq: z.number().int().meta({ description: "The lead's event sequence number: per lead, events arrive in this order." }),
    occurredAt: iso,
    data: z.strictObject({ lead: publicLeadViewSchema, detail: publicEventDetailSchemas[type] }),
  });
}

export const anyPublicEventSchema = z.discriminatedUnion(
  'type',
  publicEventTypes.map((t) => publicEventSchema(t)) as unknown as [ReturnType<typeof publicEventSchema>, ...ReturnType<typeof publicEventSchema>[]],
);
