import { contactChannels, contactOutcomes, rejectReasons } from './lead-events';
import type { LeadCommand } from './lead-commands';

/*
 * Zod-free twins of lead-command.schemas.ts for the workflow bundle. The SDK's reusable V8 context gives
 * every workflow run its own module cache, so a zod import there is evaluated again for every lead (and
 * every replay): ~30 % of the workflow thread in the bench profile. Same rules, same output (trimmed,
 * upper-cased country), issues in zod's {path, message} shape.
 */

export interface GuardIssue {
  path: (string | number)[];
  message: string;
}
export type GuardResult<T> = { success: true; data: T } | { success: false; error: { issues: GuardIssue[] } };
export interface Guard<T> {
  safeParse(value: unknown): GuardResult<T>;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const EMAIL = /^(?:[A-Za-z0-9_'+-]+\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;
const ISO_OFFSET =
  /^(?:(?:\d\d[2468][048]|\d\d[13579][26]|\d\d0[48]|[02468][048]00|[13579][26]00)-02-29|\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|(?:02)-(?:0[1-9]|1\d|2[0-8])))T(?:(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|([+-](?:[01]\d|2[0-3]):[0-5]\d)))$/;

type Check = (value: unknown, path: (string | number)[], issues: GuardIssue[]) => unknown;
interface TextRules {
  trim?: boolean;
  min?: number;
  max?: number;
  length?: number;
  upper?: boolean;
  email?: boolean;
  iso?: boolean;
}

function text(rules: TextRules = {}): Check {
  return (value, path, issues) => {
    if (typeof value !== 'string') return void issues.push({ path, message: 'Invalid input: expected string' });
    if (value.includes('\u0000') || LONE_SURROGATE.test(value)) {
      issues.push({ path, message: 'must not contain NUL or unpaired surrogate characters' });
    }
    let s = rules.trim ? value.trim() : value;
    if (rules.min !== undefined && s.length < rules.min) issues.push({ path, message: `Too small: expected string to have >=${rules.min} characters` });
    if (rules.max !== undefined && s.length > rules.max) issues.push({ path, message: `Too big: expected string to have <=${rules.max} characters` });
    if (rules.length !== undefined && s.length !== rules.length) issues.push({ path, message: `Invalid length: expected ${rules.length} characters` });
    if (rules.email && !EMAIL.test(s)) issues.push({ path, message: 'Invalid email address' });
    if (rules.iso && !ISO_OFFSET.test(s)) issues.push({ path, message: 'Invalid ISO datetime' });
    if (rules.upper) s = s.toUpperCase();
    return s;
  };
}
const num = (opts: { int?: boolean; min?: number }): Check => (value, path, issues) => {
  if (typeof value !== 'number' || !Number.isFinite(value)) return void issues.push({ path, message: 'Invalid input: expected number' });
  if (opts.int && !Number.isSafeInteger(value)) issues.push({ path, message: 'Invalid input: expected int' });
  if (opts.min !== undefined && value < opts.min) issues.push({ path, message: `Too small: expected number to be >=${opts.min}` });
  return value;
};
const bool: Check = (value, path, issues) => (typeof value === 'boolean' ? value : void issues.push({ path, message: 'Invalid input: expected boolean' }));
const literal = (v: string): Check => (value, path, issues) => (value === v ? value : void issues.push({ path, message: `Invalid input: expected "${v}"` }));
const oneOf = (values: readonly string[]): Check => (value, path, issues) =>
  typeof value === 'string' && values.includes(value) ? value : void issues.push({ path, message: `Invalid option: expected one of ${values.map((v) => `"${v}"`).join('|')}` });
const optional = (check: Check): Check & { optional: true } =>
  Object.assign((value: unknown, path: (string | number)[], issues: GuardIssue[]) => (value === undefined ? undefined : check(value, path, issues)), { optional: true as const });

function object(shape: Record<string, Check>): Check {
  return (value, path, issues) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return void issues.push({ path, message: 'Invalid input: expected object' });
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(shape)) {
      const v = check((value as Record<string, unknown>)[key], [...path, key], issues);
      if (v !== undefined) out[key] = v;
    }
    return out;
  };
}

function guard<T>(check: Check, refine?: (data: T) => GuardIssue | undefined): Guard<T> {
  return {
    safeParse(value) {
      const issues: GuardIssue[] = [];
      const data = check(value, [], issues) as T;
      if (issues.length === 0 && refine) {
        const issue = refine(data);
        if (issue) issues.push(issue);
      }
      return issues.length === 0 ? { success: true, data } : { success: false, error: { issues } };
    },
  };
}

const actor = text({ trim: true, min: 1, max: 200 });
const note = text({ max: 2000 });

const leadProfile = object({
  email: text({ trim: true, max: 320, email: true }),
  firstName: optional(text({ max: 200 })),
  lastName: optional(text({ max: 200 })),
  phone: optional(text({ max: 50 })),
  company: optional(text({ max: 200 })),
  companyDomain: optional(text({ max: 253 })),
  jobTitle: optional(text({ max: 200 })),
  seniority: optional(text({ max: 50 })),
  industry: optional(text({ max: 100 })),
  employeeCount: optional(num({ int: true, min: 0 })),
  annualRevenue: optional(num({ min: 0 })),
  country: optional(text({ length: 2, upper: true })),
  productInterest: optional(text({ max: 200 })),
});

export const fillFormGuard = guard<LeadCommand>(
  object({
    type: literal('FillForm'),
    formType: text({ trim: true, min: 1, max: 100 }),
    profile: leadProfile,
    source: optional(object({ channel: optional(text({ max: 100 })), campaign: optional(text({ max: 200 })) })),
    consent: optional(
      object({
        lawfulBasis: text({ trim: true, min: 1, max: 50 }),
        capturedAt: text({ iso: true }),
        text: optional(text({ max: 5000 })),
      }),
    ),
  }),
);
export const engagementInputGuard = guard<{ type: string; occurredAt: string; id?: string }>(
  object({ type: text({ trim: true, min: 1, max: 100 }), occurredAt: text({ iso: true }), id: optional(text({ min: 1, max: 200 })) }),
);
/** The rep a rep-bound API key acts as (see `ActingRep` in lead-commands.ts). */
const actingRep = optional(actor);

export const acceptLeadGuard = guard<LeadCommand>(object({ type: literal('AcceptLead'), rep: actor, actingRep }));
export const rejectLeadGuard = guard<LeadCommand>(
  object({ type: literal('RejectLead'), rep: actor, reason: oneOf(rejectReasons), note: optional(note), actingRep }),
);
export const qualifyLeadGuard = guard<LeadCommand>(
  object({ type: literal('QualifyLead'), rep: actor, budget: bool, authority: bool, need: bool, timeline: bool, note: optional(note), actingRep }),
);
export const closeLeadGuard = guard<LeadCommand & { outcome?: string; reason?: string }>(
  object({ type: literal('CloseLead'), rep: actor, outcome: oneOf(['won', 'lost']), reason: optional(text({ trim: true, min: 1, max: 100 })), actingRep }),
  (c) => (c.outcome === 'won' || c.reason !== undefined ? undefined : { path: ['reason'], message: 'a lost deal needs a reason (not_now recycles the lead)' }),
);
export const disqualifyLeadGuard = guard<LeadCommand>(
  object({ type: literal('DisqualifyLead'), by: actor, reason: text({ trim: true, min: 1, max: 200 }), actingRep }),
);
export const eraseLeadGuard = guard<LeadCommand>(object({ type: literal('EraseLead'), requestedBy: actor }));
export const contactAttemptGuard = guard<LeadCommand>(
  object({ type: literal('RecordContactAttempt'), rep: actor, channel: oneOf(contactChannels), outcome: optional(oneOf(contactOutcomes)), note: optional(note), actingRep }),
);
export const reassignLeadGuard = guard<LeadCommand>(
  object({ type: literal('ReassignLead'), owner: actor, by: actor, reason: optional(text({ trim: true, min: 1, max: 200 })) }),
);
