import { z } from 'zod';
import { rejectReasons } from './lead-events';

/**
 * Shapes of the commands people send, checked at the edge of the workflow (Update validators) so a
 * malformed or unknown command is refused before anything is written to the lead's history.
 */

const actor = z.string().trim().min(1).max(200);
const isoTimestamp = z.iso.datetime({ offset: true });
const note = z.string().max(2000);

export const leadProfileSchema = z.object({
  email: z.string().trim().max(320).pipe(z.email()),
  firstName: z.string().max(200).optional(),
  lastName: z.string().max(200).optional(),
  phone: z.string().max(50).optional(),
  company: z.string().max(200).optional(),
  companyDomain: z.string().max(253).optional(),
  jobTitle: z.string().max(200).optional(),
  seniority: z.string().max(50).optional(),
  industry: z.string().max(100).optional(),
  employeeCount: z.number().int().min(0).optional(),
  annualRevenue: z.number().min(0).optional(),
  country: z.string().length(2).toUpperCase().optional(),
  productInterest: z.string().max(200).optional(),
});

export const fillFormSchema = z.object({
  type: z.literal('FillForm'),
  formType: z.string().trim().min(1).max(100),
  profile: leadProfileSchema,
  source: z.object({ channel: z.string().max(100).optional(), campaign: z.string().max(200).optional() }).optional(),
});

export const engagementInputSchema = z.object({
  type: z.string().trim().min(1).max(100),
  occurredAt: isoTimestamp,
  id: z.string().min(1).max(200).optional(),
});

export const acceptLeadSchema = z.object({ type: z.literal('AcceptLead'), rep: actor });
export const rejectLeadSchema = z.object({
  type: z.literal('RejectLead'),
  rep: actor,
  reason: z.enum(rejectReasons),
  note: note.optional(),
});
export const qualifyLeadSchema = z.object({
  type: z.literal('QualifyLead'),
  rep: actor,
  budget: z.boolean(),
  authority: z.boolean(),
  need: z.boolean(),
  timeline: z.boolean(),
  note: note.optional(),
});
export const closeLeadSchema = z
  .object({
    type: z.literal('CloseLead'),
    rep: actor,
    outcome: z.enum(['won', 'lost']),
    reason: z.string().trim().min(1).max(100).optional(),
  })
  .refine((c) => c.outcome === 'won' || c.reason !== undefined, {
    message: 'a lost deal needs a reason (not_now recycles the lead)',
    path: ['reason'],
  });
export const disqualifyLeadSchema = z.object({
  type: z.literal('DisqualifyLead'),
  by: actor,
  reason: z.string().trim().min(1).max(200),
});

export const salesCommandSchema = z.union([
  acceptLeadSchema,
  rejectLeadSchema,
  qualifyLeadSchema,
  closeLeadSchema,
  disqualifyLeadSchema,
]);
