import { z } from 'zod';
import { contactChannels, contactOutcomes, rejectReasons } from './lead-events';

/**
 * Shapes of the commands people send, checked at the edge of the workflow (Update validators) so a
 * malformed or unknown command is refused before anything is written to the lead's history.
 */

/**
 * Text PostgreSQL can store: jsonb refuses NUL and unpaired UTF-16 surrogates, and a lead whose event
 * cannot be recorded would wait for the projection forever. Refuse such text at the edge instead.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export function isStorableText(s: string): boolean {
  return !s.includes('\u0000') && !LONE_SURROGATE.test(s);
}
const text = () => z.string().refine(isStorableText, 'must not contain NUL or unpaired surrogate characters');

const actor = text().trim().min(1).max(200);
const isoTimestamp = z.iso.datetime({ offset: true });
const note = text().max(2000);

export const leadProfileSchema = z.object({
  email: text().trim().max(320).pipe(z.email()),
  firstName: text().max(200).optional(),
  lastName: text().max(200).optional(),
  phone: text().max(50).optional(),
  company: text().max(200).optional(),
  companyDomain: text().max(253).optional(),
  jobTitle: text().max(200).optional(),
  seniority: text().max(50).optional(),
  industry: text().max(100).optional(),
  employeeCount: z.number().int().min(0).optional(),
  annualRevenue: z.number().min(0).optional(),
  country: text().length(2).toUpperCase().optional(),
  productInterest: text().max(200).optional(),
});

export const fillFormSchema = z.object({
  type: z.literal('FillForm'),
  formType: text().trim().min(1).max(100),
  profile: leadProfileSchema,
  source: z.object({ channel: text().max(100).optional(), campaign: text().max(200).optional() }).optional(),
  consent: z
    .object({
      lawfulBasis: text().trim().min(1).max(50),
      capturedAt: isoTimestamp,
      text: text().max(5000).optional(),
    })
    .optional(),
});

export const engagementInputSchema = z.object({
  type: text().trim().min(1).max(100),
  occurredAt: isoTimestamp,
  id: text().min(1).max(200).optional(),
});

/** The rep a rep-bound API key acts as (see `ActingRep` in lead-commands.ts). */
const actingRep = actor.optional();

export const acceptLeadSchema = z.object({ type: z.literal('AcceptLead'), rep: actor, actingRep });
export const rejectLeadSchema = z.object({
  type: z.literal('RejectLead'),
  rep: actor,
  reason: z.enum(rejectReasons),
  note: note.optional(),
  actingRep,
});
export const qualifyLeadSchema = z.object({
  type: z.literal('QualifyLead'),
  rep: actor,
  budget: z.boolean(),
  authority: z.boolean(),
  need: z.boolean(),
  timeline: z.boolean(),
  note: note.optional(),
  actingRep,
});
export const closeLeadSchema = z
  .object({
    type: z.literal('CloseLead'),
    rep: actor,
    outcome: z.enum(['won', 'lost']),
    reason: text().trim().min(1).max(100).optional(),
    actingRep,
  })
  .refine((c) => c.outcome === 'won' || c.reason !== undefined, {
    message: 'a lost deal needs a reason (not_now recycles the lead)',
    path: ['reason'],
  });
export const disqualifyLeadSchema = z.object({
  type: z.literal('DisqualifyLead'),
  by: actor,
  reason: text().trim().min(1).max(200),
  actingRep,
});

/** Who asked for the person's erasure (the privacy officer's id, not the person's). */
export const eraseLeadSchema = z.object({
  type: z.literal('EraseLead'),
  requestedBy: actor,
});

export const contactAttemptSchema = z.object({
  type: z.literal('RecordContactAttempt'),
  rep: actor,
  channel: z.enum(contactChannels),
  outcome: z.enum(contactOutcomes).optional(),
  note: note.optional(),
  actingRep,
});

/** A manager gives an MQL or a SAL to another rep (`owner`) by hand; `by` is the manager. */
export const reassignLeadSchema = z.object({
  type: z.literal('ReassignLead'),
  owner: actor,
  by: actor,
  reason: text().trim().min(1).max(200).optional(),
});

export const salesCommandSchema = z.union([
  acceptLeadSchema,
  rejectLeadSchema,
  qualifyLeadSchema,
  closeLeadSchema,
  disqualifyLeadSchema,
]);
