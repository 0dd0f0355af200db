import type { Express, Request, Response } from 'express';
import {
  calibrationReport,
  funnelReport,
  recyclingReport,
  rejectionsReport,
  slaReport,
  velocityReport,
  type CalibrationReport,
  type FunnelReport,
  type RecyclingReport,
  type RejectionsReport,
  type ReportPeriod,
  type SlaReport,
  type VelocityReport,
} from '../../db/reports.repository';
import type { AppDeps } from '../app-deps';
import { sendCsv, toCsv, wantsCsv, type CsvColumn } from '../csv';
import { DEFAULT_REPORT_DAYS, FunnelQuery, RejectionsQuery, ReportQuery, ResolvedPeriod } from '../report-schemas';
import { guard, parse } from './route-support';

/**
 * The reports (scope `read`), computed in the database from the read model and the event log
 * (db/reports.repository.ts). Each answers JSON, or its main table as CSV with `?format=csv` or
 * `Accept: text/csv`.
 */
export function registerReportRoutes(app: Express, deps: AppDeps): void {
  app.get('/v1/reports/funnel', ...guard(app, deps, 'read'), async (req, res) => {
    const query = parse(FunnelQuery, req.query);
    const report = await funnelReport(deps.db, resolvePeriod(query), query.cohort);
    answer(req, res, query.format, 'funnel', report, report.cohorts, funnelColumns);
  });

  app.get('/v1/reports/sla', ...guard(app, deps, 'read'), async (req, res) => {
    const query = parse(ReportQuery, req.query);
    const report = await slaReport(deps.db, resolvePeriod(query), new Date());
    answer(req, res, query.format, 'sla', report, report.byRep, slaColumns);
  });

  app.get('/v1/reports/velocity', ...guard(app, deps, 'read'), async (req, res) => {
    const query = parse(ReportQuery, req.query);
    const report = await velocityReport(deps.db, resolvePeriod(query));
    answer(req, res, query.format, 'velocity', report, report.stages, velocityColumns);
  });

  app.get('/v1/reports/rejections', ...guard(app, deps, 'read'), async (req, res) => {
    const query = parse(RejectionsQuery, req.query);
    const report = await rejectionsReport(deps.db, resolvePeriod(query), query.bucket);
    answer(req, res, query.format, 'rejections', report, report.reasons, rejectionColumns);
  });

  app.get('/v1/reports/calibration', ...guard(app, deps, 'read'), async (req, res) => {
    const query = parse(ReportQuery, req.query);
    const thresholds = { fit: deps.policy.fit.threshold, engagement: deps.policy.engagement.threshold };
    const report = await calibrationReport(deps.db, resolvePeriod(query), thresholds);
    answer(req, res, query.format, 'calibration', report, report.cells, calibrationColumns);
  });

  app.get('/v1/reports/recycling', ...guard(app, deps, 'read'), async (req, res) => {
    const query = parse(ReportQuery, req.query);
    const report = await recyclingReport(deps.db, resolvePeriod(query));
    answer(req, res, query.format, 'recycling', report, report.leads, recyclingColumns);
  });
}

/** The period asked for, with the defaults: `to` today (UTC), `from` 89 days before `to` (90 days). */
export function resolvePeriod(query: { from?: string; to?: string }, today = new Date()): ReportPeriod {
  const to = query.to ?? today.toISOString().slice(0, 10);
  const from = query.from ?? shiftDays(to, -(DEFAULT_REPORT_DAYS - 1));
  return parse(ResolvedPeriod, { from, to });
}

function shiftDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00.000Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function answer<Row>(
  req: Request,
  res: Response,
  format: 'json' | 'csv' | undefined,
  name: string,
  report: { period: ReportPeriod },
  table: readonly Row[],
  columns: readonly CsvColumn<Row>[],
): void {
  res.setHeader('Vary', 'Accept');
  if (wantsCsv(req, format)) {
    sendCsv(res, `${name}-${report.period.from}-${report.period.to}`, toCsv(columns, table));
    return;
  }
  res.json(report);
}

// The CSV tables: column names as in the JSON, nested objects flattened.

const funnelColumns: CsvColumn<FunnelReport['cohorts'][number]>[] = [
  { header: 'cohort', value: (r) => r.cohort },
  ...(['inquiry', 'mql', 'sal', 'sql', 'won'] as const).map((s) => ({ header: s, value: (r: FunnelReport['cohorts'][number]) => r.reached[s] })),
  ...(['inquiry_to_mql', 'mql_to_sal', 'sal_to_sql', 'sql_to_won'] as const).map((c) => ({
    header: c,
    value: (r: FunnelReport['cohorts'][number]) => r.conversion[c],
  })),
];

const slaColumns: CsvColumn<SlaReport['byRep'][number]>[] = (
  ['rep', 'assigned', 'accepted', 'rejected', 'breaches', 'withinSlaShare', 'medianHoursToDecision'] as const
).map((k) => ({ header: k, value: (r) => r[k] }));

const velocityColumns: CsvColumn<VelocityReport['stages'][number]>[] = (['stage', 'leads', 'medianHours', 'p90Hours'] as const).map(
  (k) => ({ header: k, value: (r) => r[k] }),
);

const rejectionColumns: CsvColumn<RejectionsReport['reasons'][number]>[] = (['reason', 'count', 'share'] as const).map((k) => ({
  header: k,
  value: (r) => r[k],
}));

const calibrationColumns: CsvColumn<CalibrationReport['cells'][number]>[] = (
  ['fitBand', 'engagementBand', 'mqls', 'accepted', 'won', 'acceptanceRate', 'wonRate'] as const
).map((k) => ({ header: k, value: (r) => r[k] }));

const recyclingColumns: CsvColumn<RecyclingReport['leads'][number]>[] = (
  ['leadId', 'reason', 'recycledAt', 'requalifiedAt', 'days'] as const
).map((k) => ({ header: k, value: (r) => r[k] }));
