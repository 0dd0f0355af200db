import { z } from 'zod';

/**
 * Every number the lifecycle uses lives here, so the MQL threshold and the SLA windows are an agreement
 * between marketing and sales expressed as data, never constants buried in the workflow. The policy
 * travels inside the workflow's input, so a lead keeps deciding with the policy it started its cycle with.
 */

const points = z.number().int().min(-1000).max(1000);
const hours = z.number().positive().max(24 * 365);
const fraction = z.number().gt(0).lt(1);

const slaWindowSchema = z.object({
  /** Time the owner has to act, counted from assignment. */
  windowHours: hours,
  /** A reminder goes to the owner at this fraction of the window (0.75 of 24 h = 18 h). */
  remindAtFraction: fraction,
  /** Breaches that reassign to another rep; the breach after these hands the lead back to marketing. */
  reassignmentsBeforeHandBack: z.number().int().min(0).max(10),
});

export const leadPolicySchema = z.object({
  version: z.string().min(1),
  fit: z.object({
    threshold: z.number().int(),
    seniority: z.record(z.string(), points),
    employeeCountBands: z.array(z.object({ min: z.number().int().min(0), points })),
    targetIndustries: z.array(z.string()),
    targetIndustryPoints: points,
    targetCountries: z.array(z.string().length(2)),
    targetCountryPoints: points,
    /** Personal mailboxes say little about a company: points added (usually negative). */
    freeMailDomains: z.array(z.string()),
    freeMailPoints: points,
  }),
  engagement: z.object({
    threshold: z.number().int(),
    /** Points per engagement event type; unknown types score `defaultPoints`. */
    points: z.record(z.string(), points),
    defaultPoints: points,
    /** Most points one event type can contribute, so 500 page views do not make an MQL. */
    capPerType: z.record(z.string(), z.number().int().min(0)),
  }),
  /** Form types that are an explicit request to talk to sales: MQL at once when fit clears. */
  handRaiserFormTypes: z.array(z.string()).min(1),
  /** Contact data sales needs; a lead missing any of these is never handed over. */
  handoffFields: z.array(
    z.enum(['fullName', 'email', 'phone', 'company', 'country', 'productInterest']),
  ),
  sla: z.object({ mql: slaWindowSchema, sal: slaWindowSchema }),
  /** A recycled lead cannot become an MQL again before this many days have passed. */
  recycleCoolOffDays: z.number().min(0).max(3650),
  routing: z.object({
    reps: z.array(z.string().min(1)).min(1),
    manager: z.string().min(1),
  }),
  /** Continue-as-new below the server's own suggestion, so histories stay small and replay stays fast. */
  maxHistoryEvents: z.number().int().min(200).max(40_000),
});

export type LeadPolicy = z.infer<typeof leadPolicySchema>;
export type SlaWindowPolicy = LeadPolicy['sla']['mql'];

export const defaultLeadPolicy: LeadPolicy = deepFreeze<LeadPolicy>({
  version: 'default-1',
  fit: {
    threshold: 40,
    seniority: { c_level: 30, vp: 25, director: 20, manager: 10, individual_contributor: 5, student: -40 },
    employeeCountBands: [
      { min: 1000, points: 25 },
      { min: 200, points: 20 },
      { min: 50, points: 10 },
      { min: 1, points: 0 },
    ],
    targetIndustries: ['software', 'financial_services', 'manufacturing', 'healthcare'],
    targetIndustryPoints: 15,
    targetCountries: ['DE', 'FR', 'GB', 'NL', 'US', 'CA'],
    targetCountryPoints: 10,
    freeMailDomains: ['gmail.com', 'yahoo.com', 'hotmail.com', 'outlook.com', 'gmx.de', 'web.de', 'icloud.com'],
    freeMailPoints: -20,
  },
  engagement: {
    threshold: 30,
    points: {
      pricing_page_view: 10,
      content_download: 8,
      webinar_attended: 12,
      webinar: 5,
      email_click: 3,
      email_open: 1,
      page_view: 1,
      newsletter: 2,
      demo_request: 30,
      contact_sales: 30,
    },
    defaultPoints: 0,
    capPerType: { page_view: 10, email_open: 5, email_click: 15, pricing_page_view: 30, content_download: 24 },
  },
  handRaiserFormTypes: ['demo_request', 'contact_sales'],
  handoffFields: ['fullName', 'email', 'phone', 'company', 'country', 'productInterest'],
  sla: {
    mql: { windowHours: 24, remindAtFraction: 0.75, reassignmentsBeforeHandBack: 1 },
    sal: { windowHours: 5 * 24, remindAtFraction: 0.75, reassignmentsBeforeHandBack: 1 },
  },
  recycleCoolOffDays: 30,
  routing: { reps: ['rep-ada', 'rep-grace', 'rep-linus'], manager: 'manager-margaret' },
  maxHistoryEvents: 2000,
});

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Parses a candidate policy; the error lists every field that is wrong, by path. */
export function parseLeadPolicy(input: unknown): LeadPolicy {
  return leadPolicySchema.parse(input);
}
