import { z } from 'zod';
import { recycleReasons } from './lead-events';

/**
 * Every number and rule the lifecycle uses lives here, so the MQL threshold, the routing and the SLA
 * windows are an agreement between marketing and sales expressed as data, never constants buried in
 * the workflow. The policy travels inside the workflow's input, so a lead keeps deciding with the
 * policy it started its cycle with; a changed policy reaches a lead at its next cycle (recycle or
 * continue-as-new), never by rewriting its history.
 *
 * Objects are strict: an unknown key (a typo such as `treshold`) is an error naming the field, not a
 * rule silently ignored. Every field added after the first release has a default that changes nothing,
 * so a policy recorded in an older workflow history still parses and still decides the same way.
 */

const points = z.number().int().min(-1000).max(1000);
const hours = z.number().positive().max(24 * 365);
const fraction = z.number().gt(0).lt(1);
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'expected HH:MM (24-hour clock)');
const isoDate = z.iso.date();
const countryCode = z
  .string()
  .length(2)
  .regex(/^[A-Za-z]{2}$/, 'expected an ISO 3166-1 alpha-2 country code')
  .transform((c) => c.toUpperCase());
const lowerText = z
  .string()
  .min(1)
  .transform((s) => s.trim().toLowerCase());
const name = z.string().min(1).max(200);

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const businessCalendarSchema = z
  .strictObject({
    /** IANA time zone, e.g. Europe/Berlin. */
    timeZone: z.string().refine(isTimeZone, 'unknown IANA time zone'),
    /** ISO weekdays that are working days: 1 = Monday … 7 = Sunday. */
    workingDays: z.array(z.number().int().min(1).max(7)).min(1),
    /** Working window of each working day, local wall-clock time. */
    hours: z.strictObject({ start: hhmm, end: hhmm }),
    /** Local dates (YYYY-MM-DD) that are not working days. */
    holidays: z.array(isoDate).default([]),
  })
  .refine((c) => c.hours.end > c.hours.start, { message: 'hours.end must be after hours.start', path: ['hours', 'end'] });

const slaWindowSchema = z
  .strictObject({
    /** Time the owner has to act, counted from assignment (business hours when the clock says so). */
    windowHours: hours,
    /** Reminders to the owner, as fractions of the window (0.75 of 24 h = 18 h). */
    reminders: z.array(fraction).max(5).optional(),
    /** The single reminder of policies written before `reminders` existed. */
    remindAtFraction: fraction.optional(),
    /** Breaches that reassign to another rep; the breach after these hands the lead back to marketing. */
    reassignmentsBeforeHandBack: z.number().int().min(0).max(10),
    /** Who is told of a breach (the escalation); default: routing.manager. */
    escalateTo: name.optional(),
  })
  .transform(({ remindAtFraction, reminders, ...rest }) => ({
    ...rest,
    reminders: [...(reminders ?? [remindAtFraction ?? 0.75])].sort((a, b) => a - b),
  }));

const repObjectSchema = z.strictObject({
    id: name,
    /** Territory names (routing.territories); absent = every territory. */
    territories: z.array(name).optional(),
    /** Segment names (routing.segments); absent = every segment. */
    segments: z.array(name).optional(),
    /** Most open leads (MQL + SAL) the rep owns at once; absent = no limit. */
    capacity: z.number().int().min(0).optional(),
    /** Absences, as local dates in the rep's calendar zone (UTC without one), both ends included. */
    outOfOffice: z
      .array(
        z.strictObject({ from: isoDate, to: isoDate }).refine((r) => r.to >= r.from, {
          message: 'to must not be before from',
          path: ['to'],
        }),
      )
      .optional(),
    /** Name of the calendar (calendars.*) the rep's SLA clock runs on. */
    calendar: name.optional(),
});
const repSchema = z.union([name.transform((id): z.output<typeof repObjectSchema> => ({ id })), repObjectSchema]);

export const leadPolicySchema = z
  .strictObject({
    /** Set by the loader to a content hash ("sha256:…"); a file may leave it out. */
    version: z.string().min(1).default('unversioned'),
    /** A human label for the policy (shown beside the version). */
    name: name.optional(),
    fit: z.strictObject({
      threshold: z.number().int(),
      seniority: z.record(z.string(), points),
      employeeCountBands: z.array(z.strictObject({ min: z.number().int().min(0), points })),
      annualRevenueBands: z.array(z.strictObject({ min: z.number().min(0), points })).default([]),
      targetIndustries: z.array(lowerText),
      targetIndustryPoints: points,
      targetCountries: z.array(countryCode),
      targetCountryPoints: points,
      /** Personal mailboxes say little about a company: points added (usually negative). */
      freeMailDomains: z.array(lowerText),
      freeMailPoints: points,
      /** Competitors researching us: points added (strongly negative) and a `competitor` flag. */
      competitorDomains: z.array(lowerText).default([]),
      competitorPoints: points.default(0),
      /** Shared mailboxes (info@, sales@…): nobody in particular to talk to. */
      roleAccountLocalParts: z.array(lowerText).default([]),
      roleAccountPoints: points.default(0),
      /**
       * Job-title keywords (case-insensitive, whole words): the first matching rule's points count and
       * its flag (student, job_seeker…) marks the lead for the suspect check.
       */
      titleRules: z
        .array(z.strictObject({ keywords: z.array(lowerText).min(1), points, flag: name.optional() }))
        .default([]),
    }),
    engagement: z.strictObject({
      threshold: z.number().int(),
      /** Points per engagement event type; unknown types score `defaultPoints`. */
      points: z.record(z.string(), points),
      defaultPoints: points,
      /** Most points one event type can contribute, so 500 page views do not make an MQL. */
      capPerType: z.record(z.string(), z.number().int().min(0)),
      /**
       * Engagement fades: the score halves once per `halfLifeDays` (continuously: 30 days of a 30-day
       * half-life halve it, whatever the tick), applied by the lead's own timer every `everyHours`
       * while marketing holds the lead (inquiry, recycled). The shown score is the exact one to the nearest
       * point.
       */
      decay: z
        .strictObject({
          halfLifeDays: z.number().positive().max(3650),
          everyHours: z.number().min(1).max(24 * 90).default(24),
        })
        .optional(),
    }),
    /**
     * High engagement with low fit is usually a student, a competitor or a job seeker: such a lead is
     * flagged `suspect` for review and never routed while flagged. Absent = no suspect check.
     */
    suspect: z
      .strictObject({
        /** Engagement at or above this counts as high (default: the engagement threshold). */
        minEngagement: z.number().int().optional(),
        /** Fit below this counts as low (default: the fit threshold). */
        maxFit: z.number().int().optional(),
      })
      .optional(),
    /** Form types that are an explicit request to talk to sales: MQL at once when fit clears. */
    handRaiserFormTypes: z.array(z.string()).min(1),
    /** Contact data sales needs; a lead missing any of these is never handed over. */
    handoffFields: z.array(z.enum(['fullName', 'email', 'phone', 'company', 'country', 'productInterest'])),
    /** No lawful basis, no routing: when required, a lead without consent data stays an inquiry. */
    consent: z
      .strictObject({
        required: z.boolean(),
        /** Lawful bases (GDPR art. 6) accepted for contacting the lead. */
        lawfulBases: z
          .array(z.enum(['consent', 'contract', 'legal_obligation', 'vital_interests', 'public_task', 'legitimate_interests']))
          .min(1)
          .default(['consent', 'contract', 'legitimate_interests']),
      })
      .default({ required: false, lawfulBases: ['consent', 'contract', 'legitimate_interests'] }),
    sla: z.strictObject({
      /** `elapsed`: plain hours. `business_hours`: hours of the owner's (or territory's) calendar. */
      clock: z.enum(['elapsed', 'business_hours']).default('elapsed'),
      /** Calendar (calendars.*) for owners and territories without one of their own. */
      calendar: name.optional(),
      mql: slaWindowSchema,
      sal: slaWindowSchema,
      /** Contact attempts a rep must record before rejecting a lead as `not_ready` (0 = none). */
      contactAttemptsBeforeNotReady: z.number().int().min(0).max(20).default(0),
    }),
    /** A recycled lead cannot become an MQL again before this many days have passed. */
    recycleCoolOffDays: z.number().min(0).max(3650),
    /**
     * The nurture track (marketing automation's sequence) each recycle reason sends the person to; it is
     * recorded on LeadRecycled and published with `lead.recycled`. A reason without one has no track.
     */
    nurtureTracks: z.partialRecord(z.enum(recycleReasons), name).default({}),
    calendars: z.record(name, businessCalendarSchema).default({}),
    routing: z.strictObject({
      /** `round_robin` (durable position per pool) or `least_loaded` (fewest open MQL + SAL). */
      strategy: z.enum(['round_robin', 'least_loaded']).default('round_robin'),
      reps: z.array(repSchema).min(1),
      /** Territories by country; a lead's territory is the first listing its country. */
      territories: z
        .record(name, z.strictObject({ countries: z.array(countryCode).min(1), calendar: name.optional() }))
        .default({}),
      /** Company-size segments; a lead's segment is the first whose band holds its employee count. */
      segments: z
        .record(
          name,
          z.strictObject({ minEmployees: z.number().int().min(0), maxEmployees: z.number().int().min(0).optional() }),
        )
        .default({}),
      /** Gets the lead when no rep matches, all are away or full: a lead never lands nowhere. */
      manager: name,
    }),
    /** Continue-as-new below the server's own suggestion, so histories stay small and replay stays fast. */
    maxHistoryEvents: z.number().int().min(200).max(40_000),
  })
  .superRefine((p, ctx) => {
    const calendars = new Set(Object.keys(p.calendars));
    const territories = new Set(Object.keys(p.routing.territories));
    const segments = new Set(Object.keys(p.routing.segments));
    const unknown = (kind: string, value: string, path: (string | number)[]) =>
      ctx.addIssue({ code: 'custom', message: `unknown ${kind} '${value}'`, path });
    if (p.sla.calendar !== undefined && !calendars.has(p.sla.calendar)) unknown('calendar', p.sla.calendar, ['sla', 'calendar']);
    for (const [t, def] of Object.entries(p.routing.territories)) {
      if (def.calendar !== undefined && !calendars.has(def.calendar)) {
        unknown('calendar', def.calendar, ['routing', 'territories', t, 'calendar']);
      }
    }
    const ids = new Set<string>();
    p.routing.reps.forEach((rep, i) => {
      if (ids.has(rep.id)) ctx.addIssue({ code: 'custom', message: `duplicate rep id '${rep.id}'`, path: ['routing', 'reps', i, 'id'] });
      ids.add(rep.id);
      rep.territories?.forEach((t, j) => territories.has(t) || unknown('territory', t, ['routing', 'reps', i, 'territories', j]));
      rep.segments?.forEach((s, j) => segments.has(s) || unknown('segment', s, ['routing', 'reps', i, 'segments', j]));
      if (rep.calendar !== undefined && !calendars.has(rep.calendar)) unknown('calendar', rep.calendar, ['routing', 'reps', i, 'calendar']);
    });
    for (const kind of ['mql', 'sal'] as const) {
      const w = p.sla[kind];
      if (new Set(w.reminders).size !== w.reminders.length) {
        ctx.addIssue({ code: 'custom', message: 'reminder fractions must differ', path: ['sla', kind, 'reminders'] });
      }
    }
    if (p.sla.clock === 'business_hours' && p.sla.calendar === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: "the business_hours clock needs a default calendar (sla.calendar) for owners without one",
        path: ['sla', 'calendar'],
      });
    }
  });

/** A policy as written (file, API); `LeadPolicy` is the parsed form with every default filled in. */
export type LeadPolicyInput = z.input<typeof leadPolicySchema>;
export type LeadPolicy = z.output<typeof leadPolicySchema>;
export type SlaWindowPolicy = LeadPolicy['sla']['mql'];
export type RepPolicy = LeadPolicy['routing']['reps'][number];
export type BusinessCalendarPolicy = LeadPolicy['calendars'][string];

/** The built-in policy, as written: the same thresholds and windows since the first release. */
export const defaultLeadPolicyInput: LeadPolicyInput = {
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
};

export const defaultLeadPolicy: LeadPolicy = deepFreeze(parseLeadPolicy(defaultLeadPolicyInput));

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

/** Field-named problems of a candidate policy, one line each ("fit.treshold: unknown field"), typos first. */
export function policyProblems(input: unknown): { path: string; message: string }[] {
  const parsed = leadPolicySchema.safeParse(input);
  if (parsed.success) return [];
  const problems = parsed.error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      // An unknown key is named by its own path, so a typo points at itself.
      return issue.keys.map((key) => ({ path: path ? `${path}.${key}` : key, message: 'unknown field', typo: true }));
    }
    const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
    return [{ path: path || '(policy)', message: missing ? `required field is missing (${issue.expected})` : issue.message, typo: false }];
  });
  return [...problems.filter((p) => p.typo), ...problems.filter((p) => !p.typo)].map(({ path, message }) => ({ path, message }));
}
