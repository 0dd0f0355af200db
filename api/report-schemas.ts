import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type {
  CalibrationReport,
  FunnelReport,
  RecyclingReport,
  RejectionsReport,
  SlaReport,
  VelocityReport,
} from '../db/reports.repository';

/*
 * The report endpoints' shapes (GET /v1/reports/*): query parameters that validate requests, and the
 * response schemas the OpenAPI document shows (api/openapi.ts). The responses are computed by
 * db/reports.repository.ts; the type checks at the bottom keep its types and these schemas the same.
 */

extendZodWithOpenApi(z);

// ---------------------------------------------------------------------------------------------------------
// Query parameters

/** The longest period a report accepts (about ten years), so a typo cannot ask for millennia of cohorts. */
export const MAX_REPORT_DAYS = 3660;
/** The default period: the last 90 days, today (UTC) included. */
export const DEFAULT_REPORT_DAYS = 90;

const isoDate = z.iso.date();

const periodShape = {
  from: isoDate.optional().openapi({
    description: `First day of the period (UTC, inclusive). Default: ${DEFAULT_REPORT_DAYS - 1} days before \`to\`.`,
    example: '2026-09-01',
  }),
  to: isoDate.optional().openapi({
    description: `Last day of the period (UTC, inclusive). Default: today. A period spans at most ${MAX_REPORT_DAYS} days.`,
    example: '2026-11-22',
  }),
  format: z.enum(['json', 'csv']).optional().openapi({
    description: '`csv` answers with the report\'s main table as CSV. Without it, `Accept: text/csv` does the same.',
  }),
};

const bucket = z.enum(['week', 'month']);

export const ReportQuery = z.object(periodShape);
export const FunnelQuery = z.object({
  ...periodShape,
  cohort: bucket.default('week').openapi({ description: 'Cohorts by creation week (starting Monday) or month.' }),
});
export const RejectionsQuery = z.object({
  ...periodShape,
  bucket: bucket.default('week').openapi({ description: '`overTime` by week (starting Monday) or month.' }),
});
export type ReportQuery = z.infer<typeof ReportQuery>;

/** The resolved period: `from` not after `to`, and not too long. */
export const ResolvedPeriod = z
  .object({ from: isoDate, to: isoDate })
  .superRefine((p, ctx) => {
    const days = (Date.parse(p.to) - Date.parse(p.from)) / 86_400_000;
    if (days < 0) ctx.addIssue({ code: 'custom', path: ['from'], message: '`from` is after `to`', input: p.from });
    if (days >= MAX_REPORT_DAYS) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: `the period is longer than ${MAX_REPORT_DAYS} days`, input: p.to });
    }
  });

// ---------------------------------------------------------------------------------------------------------
// Responses

const count = z.number().int().min(0);
const ratio = z.number().min(0).nullable();
/** An hour count, day count or score statistic: null when there was nothing to compute it from. */
const stat = z.number().nullable();

const ReportPeriod = z
  .object({ from: isoDate, to: isoDate })
  .openapi('ReportPeriod', { description: 'The period the report covers: UTC dates, both inclusive.' });

const StageCounts = z
  .object({ inquiry: count, mql: count, sal: count, sql: count, won: count })
  .openapi('FunnelReached', { description: 'Leads that reached each stage (have its first-reached time).' });

const Conversion = z
  .object({ inquiry_to_mql: ratio, mql_to_sal: ratio, sal_to_sql: ratio, sql_to_won: ratio })
  .openapi('FunnelConversion', { description: 'Next stage reached / previous stage reached, 4 decimals; null when the previous is 0.' });

export const FunnelReportSchema = z
  .object({
    period: ReportPeriod,
    stages: z.array(z.enum(['inquiry', 'mql', 'sal', 'sql', 'won'])),
    totals: z.object({
      reached: StageCounts,
      disqualified: count.openapi({ description: 'Leads that were ever disqualified.' }),
      recycled: count.openapi({ description: 'Leads that were ever recycled.' }),
      conversion: Conversion,
    }),
    cohorts: z
      .array(z.object({ cohort: isoDate.openapi({ description: 'First day of the week or month.' }), reached: StageCounts, conversion: Conversion }))
      .openapi({ description: 'Every week or month of the period, in order, empty ones included.' }),
    bySource: z
      .array(z.object({ channel: z.string().nullable(), reached: StageCounts, conversion: Conversion }))
      .openapi({ description: 'Per source channel (null: none given), most leads first.' }),
  })
  .openapi('FunnelReport');

const Percentiles = z.object({ median: stat, p90: stat });

export const SlaReportSchema = z
  .object({
    period: ReportPeriod,
    mql: z
      .object({
        decided: count.openapi({ description: 'MQL cycles with a decision (accept or reject).' }),
        withinSla: count.openapi({ description: 'Decided before any MQL SLA breach of their cycle.' }),
        withinSlaShare: ratio,
        breaches: count.openapi({ description: 'MQL SLA breaches (SlaBreached with slaKind mql).' }),
        reassignments: count.openapi({ description: 'MQL assignments by routing after a breach (LeadAssigned with assignment > 1 and no `by`; a manager\'s reassignment by hand is not counted).' }),
        handedBack: count.openapi({ description: 'MQLs recycled with reason sla_expired.' }),
        timeToFirstDecisionHours: Percentiles.openapi({ description: 'Hours from LeadBecameMql to the decision.' }),
      })
      .openapi({ description: 'The MQL follow-up SLA of the leads created in the period (SAL SLA events are not counted).' }),
    byRep: z
      .array(
        z.object({
          rep: z.string(),
          assigned: count,
          accepted: count,
          rejected: count,
          breaches: count,
          withinSlaShare: ratio.openapi({ description: "Share of the rep's decisions made within the rep's own SLA window." }),
          medianHoursToDecision: stat.openapi({
            description: "Hours from the rep's assignment (or the MQL, when the lead was not assigned to them) to the decision.",
          }),
        }),
      )
      .openapi({ description: 'Per rep, by rep name.' }),
    openPastDue: z
      .array(
        z.object({
          leadId: z.string(),
          stage: z.string(),
          owner: z.string().nullable(),
          slaDueAt: z.iso.datetime({ offset: true }),
          overdueHours: z.number(),
        }),
      )
      .openapi({ description: 'Open MQLs and SALs (any creation time) whose SLA is past due now, most overdue first; at most 100.' }),
    openBySla: z
      .array(
        z.object({
          leadId: z.string(),
          stage: z.string(),
          owner: z.string().nullable(),
          slaDueAt: z.iso.datetime({ offset: true }),
          hoursLeft: z.number(),
        }),
      )
      .openapi({ description: 'Open MQLs and SALs (any creation time) whose SLA is still running, nearest due first; at most 100.' }),
  })
  .openapi('SlaReport');

export const VelocityReportSchema = z
  .object({
    period: ReportPeriod,
    stages: z.array(
      z.object({
        stage: z.enum(['inquiry', 'mql', 'sal', 'sql']),
        leads: count.openapi({ description: 'Stays in the stage that ended in the period.' }),
        medianHours: stat,
        p90Hours: stat,
      }),
    ),
  })
  .openapi('VelocityReport');

export const RejectionsReportSchema = z
  .object({
    period: ReportPeriod,
    reasons: z
      .array(z.object({ reason: z.string(), count, share: z.number().min(0).max(1) }))
      .openapi({ description: 'Most frequent first; share of all rejections in the period, 4 decimals.' }),
    overTime: z.array(z.object({ bucket: isoDate, reason: z.string(), count })).openapi({ description: 'By bucket, then reason.' }),
    bySource: z.array(z.object({ channel: z.string().nullable(), reason: z.string(), count })),
    byRep: z.array(z.object({ rep: z.string(), reason: z.string(), count })),
  })
  .openapi('RejectionsReport');

const Quartiles = z.object({ p25: stat, median: stat, p75: stat });

export const CalibrationReportSchema = z
  .object({
    period: ReportPeriod,
    fitBands: z.array(z.string()),
    engagementBands: z.array(z.string()),
    cells: z
      .array(
        z.object({
          fitBand: z.string(),
          engagementBand: z.string(),
          mqls: count,
          accepted: count,
          won: count,
          acceptanceRate: ratio,
          wonRate: ratio,
        }),
      )
      .openapi({ description: 'All fit × engagement cells, by fit band then engagement band.' }),
    accepted: z
      .object({ fit: Quartiles, engagement: Quartiles })
      .openapi({ description: 'Quartiles of the scores (at the MQL) of the MQLs that were accepted.' }),
    thresholds: z.object({ fit: z.number(), engagement: z.number() }).openapi({ description: "The current policy's MQL thresholds." }),
  })
  .openapi('CalibrationReport');

export const RecyclingReportSchema = z
  .object({
    period: ReportPeriod,
    recycled: count,
    requalified: count,
    requalifiedShare: ratio,
    daysToRequalify: Percentiles,
    byReason: z.array(z.object({ reason: z.string(), recycled: count, requalified: count })),
    leads: z
      .array(
        z.object({
          leadId: z.string(),
          reason: z.string(),
          recycledAt: z.iso.datetime({ offset: true }),
          requalifiedAt: z.iso.datetime({ offset: true }).nullable(),
          days: z.number().nullable(),
        }),
      )
      .openapi({ description: 'One row per recycle, newest first; at most 200.' }),
  })
  .openapi('RecyclingReport');

// ---------------------------------------------------------------------------------------------------------
// The repository's types and these schemas describe the same JSON (checked by the compiler).

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same = <_T extends true>() => undefined;
same<Same<z.infer<typeof FunnelReportSchema>, FunnelReport>>();
same<Same<z.infer<typeof SlaReportSchema>, SlaReport>>();
same<Same<z.infer<typeof VelocityReportSchema>, VelocityReport>>();
same<Same<z.infer<typeof RejectionsReportSchema>, RejectionsReport>>();
same<Same<z.infer<typeof CalibrationReportSchema>, CalibrationReport>>();
same<Same<z.infer<typeof RecyclingReportSchema>, RecyclingReport>>();
