import { sql, type RawBuilder } from 'kysely';
import type { Db } from './connection';

/*
 * The reports behind GET /v1/reports/*, computed in PostgreSQL (or PGlite) from `leads` and `lead_events`:
 * every count, ratio and percentile is aggregated by the database; the functions here only rename the
 * aggregated rows into the API's shapes. All times are UTC. Hours, days and score quartiles are rounded to 2 decimals,
 * ratios and shares to 4; a ratio over nothing is null, and so is a percentile of nothing.
 *
 * The period is a pair of inclusive UTC dates. Unless a report says otherwise it selects the leads
 * *created* in it (a cohort): the funnel, and the SLA, calibration and recycling reports, which then look at
 * every event of those leads, whenever it happened. Velocity selects stays that *ended* in the period and
 * the rejection report LeadRejected events that *happened* in it.
 *
 * Text is sorted with `collate "C"` (byte order), so lists come in the same order whatever the database's
 * locale, on PostgreSQL and PGlite alike.
 */

export interface ReportPeriod {
  /** First day, `YYYY-MM-DD` (UTC), inclusive. */
  from: string;
  /** Last day, `YYYY-MM-DD` (UTC), inclusive. */
  to: string;
}

export type Bucket = 'week' | 'month';

/** Half-open instants [start, end) of a period of whole UTC days. */
function bounds(period: ReportPeriod): { start: string; end: string } {
  const end = new Date(`${period.to}T00:00:00.000Z`);
  end.setUTCDate(end.getUTCDate() + 1);
  return { start: `${period.from}T00:00:00.000Z`, end: end.toISOString() };
}

/** An instant as the API writes it (`2026-11-16T09:00:00.000Z`, like Date#toISOString). */
const isoUtc = (column: RawBuilder<unknown>) => sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const ref = (name: string): RawBuilder<unknown> => sql.ref(name);
/** round(a / b, 4) with null for b = 0, in exact numeric arithmetic. */
const ratio = (a: RawBuilder<unknown>, b: RawBuilder<unknown>) => sql<number | null>`round((${a})::numeric / nullif(${b}, 0), 4)::float8`;
/** A continuous percentile of a double precision expression, rounded to 2 decimals (null without rows). */
const percentile = (fraction: number, expression: RawBuilder<unknown>) =>
  sql<number | null>`round((percentile_cont(${sql.lit(fraction)}) within group (order by ${expression}))::numeric, 2)::float8`;
const hoursBetween = (from: string, to: string) => sql`(extract(epoch from (${ref(to)} - ${ref(from)})) / 3600)::float8`;

// ---------------------------------------------------------------------------------------------------------
// Funnel

export const funnelStages = ['inquiry', 'mql', 'sal', 'sql', 'won'] as const;
export type FunnelStage = (typeof funnelStages)[number];
export type StageCounts = Record<FunnelStage, number>;
export interface Conversion {
  inquiry_to_mql: number | null;
  mql_to_sal: number | null;
  sal_to_sql: number | null;
  sql_to_won: number | null;
}

export interface FunnelReport {
  period: ReportPeriod;
  stages: FunnelStage[];
  totals: { reached: StageCounts; disqualified: number; recycled: number; conversion: Conversion };
  cohorts: { cohort: string; reached: StageCounts; conversion: Conversion }[];
  bySource: { channel: string | null; reached: StageCounts; conversion: Conversion }[];
}

type ReachedRow = StageCounts & {
  inquiryToMql: number | null;
  mqlToSal: number | null;
  salToSql: number | null;
  sqlToWon: number | null;
};

/** How many of the selected leads reached each stage (have its first_<stage>_at), as columns. */
const reachedColumns = sql`
  count(*) filter (where first_inquiry_at is not null)::int as inquiry,
  count(*) filter (where first_mql_at is not null)::int as mql,
  count(*) filter (where first_sal_at is not null)::int as sal,
  count(*) filter (where first_sql_at is not null)::int as sql,
  count(*) filter (where first_won_at is not null)::int as won`;

/** The step conversions of a row that has the reached columns. */
const conversionColumns = sql`
  ${ratio(ref('mql'), ref('inquiry'))} as inquiry_to_mql,
  ${ratio(ref('sal'), ref('mql'))} as mql_to_sal,
  ${ratio(ref('sql'), ref('sal'))} as sal_to_sql,
  ${ratio(ref('won'), ref('sql'))} as sql_to_won`;

const reachedOf = (r: ReachedRow): StageCounts => ({ inquiry: r.inquiry, mql: r.mql, sal: r.sal, sql: r.sql, won: r.won });
const conversionOf = (r: ReachedRow): Conversion => ({
  inquiry_to_mql: r.inquiryToMql,
  mql_to_sal: r.mqlToSal,
  sal_to_sql: r.salToSql,
  sql_to_won: r.sqlToWon,
});

/**
 * The leads created in the period and the stages they reached (at any time), in total, per creation
 * cohort (every week or month of the period, empty ones included, labelled by their first day) and per
 * source channel. A lead counts for every stage whose first-reached time it has, so a recycled lead that
 * came back counts once per stage.
 */
export async function funnelReport(db: Db, period: ReportPeriod, cohort: Bucket): Promise<FunnelReport> {
  const { start, end } = bounds(period);
  const created = sql`created_at >= ${start}::timestamptz and created_at < ${end}::timestamptz`;
  const step = cohort === 'week' ? '1 week' : '1 month';

  const [totals, cohorts, bySource] = await Promise.all([
    sql<ReachedRow & { disqualified: number; recycled: number }>`
      select t.*, ${conversionColumns}
      from (
        select ${reachedColumns},
          count(*) filter (where first_disqualified_at is not null)::int as disqualified,
          count(*) filter (where first_recycled_at is not null)::int as recycled
        from leads where ${created}
      ) t`.execute(db),
    sql<ReachedRow & { cohort: string }>`
      with counts as (
        select date_trunc(${cohort}::text, created_at at time zone 'UTC') as bucket, ${reachedColumns}
        from leads where ${created}
        group by 1
      ), buckets as (
        select generate_series(
          date_trunc(${cohort}::text, ${period.from}::date::timestamp),
          date_trunc(${cohort}::text, ${period.to}::date::timestamp),
          ${step}::interval) as bucket
      )
      select t.*, ${conversionColumns}
      from (
        select to_char(b.bucket, 'YYYY-MM-DD') as cohort,
          coalesce(c.inquiry, 0) as inquiry, coalesce(c.mql, 0) as mql, coalesce(c.sal, 0) as sal,
          coalesce(c.sql, 0) as sql, coalesce(c.won, 0) as won
        from buckets b left join counts c on c.bucket = b.bucket
      ) t
      order by t.cohort`.execute(db),
    sql<ReachedRow & { channel: string | null }>`
      select t.*, ${conversionColumns}
      from (
        select source_channel as channel, ${reachedColumns}
        from leads where ${created}
        group by source_channel
      ) t
      order by t.inquiry desc, t.channel collate "C" asc nulls last`.execute(db),
  ]);

  const total = totals.rows[0]!;
  return {
    period,
    stages: [...funnelStages],
    totals: { reached: reachedOf(total), disqualified: total.disqualified, recycled: total.recycled, conversion: conversionOf(total) },
    cohorts: cohorts.rows.map((r) => ({ cohort: r.cohort, reached: reachedOf(r), conversion: conversionOf(r) })),
    bySource: bySource.rows.map((r) => ({ channel: r.channel, reached: reachedOf(r), conversion: conversionOf(r) })),
  };
}

// ---------------------------------------------------------------------------------------------------------
// SLA

export interface SlaReport {
  period: ReportPeriod;
  mql: {
    decided: number;
    withinSla: number;
    withinSlaShare: number | null;
    breaches: number;
    reassignments: number;
    handedBack: number;
    timeToFirstDecisionHours: { median: number | null; p90: number | null };
  };
  byRep: {
    rep: string;
    assigned: number;
    accepted: number;
    rejected: number;
    breaches: number;
    withinSlaShare: number | null;
    medianHoursToDecision: number | null;
  }[];
  openPastDue: { leadId: string; stage: string; owner: string | null; slaDueAt: string; overdueHours: number }[];
  openBySla: { leadId: string; stage: string; owner: string | null; slaDueAt: string; hoursLeft: number }[];
}

/** How many leads the open-SLA lists return at most. */
export const OPEN_SLA_LIMIT = 100;

/**
 * The SLA events of the leads created in the period, each MQL cycle numbered (`cycle` counts the
 * LeadBecameMql events so far: 0 before the first MQL), and each cycle's first decision (LeadAccepted or
 * LeadRejected) with what the SLA report needs to know about it:
 *   - `hours_from_mql`, `within_sla`: the lead's view. Time from LeadBecameMql to the decision, and
 *     whether no MQL SLA breach happened in the cycle before it.
 *   - `rep_hours`, `rep_within`: the deciding rep's view. The rep's window starts at their latest MQL
 *     assignment in the cycle before the decision (or at the MQL when they decided a lead not assigned to
 *     them); within SLA when no MQL SLA breach happened between that start and the decision.
 */
function slaCycles(start: string, end: string) {
  return sql`
    scoped as (
      select lead_id from leads where created_at >= ${start}::timestamptz and created_at < ${end}::timestamptz
    ),
    ev as (
      select e.lead_id, e.seq, e.type, e.occurred_at, e.data,
        e.data->>'slaKind' = 'mql' as mql_sla,
        case when e.type in ('LeadAccepted', 'LeadRejected') then e.data->>'rep'
             when e.type in ('LeadAssigned', 'SlaBreached') then e.data->>'owner' end as actor,
        count(*) filter (where e.type = 'LeadBecameMql') over (partition by e.lead_id order by e.seq) as cycle
      from lead_events e join scoped s on s.lead_id = e.lead_id
      where e.type in ('LeadBecameMql', 'LeadAssigned', 'SlaBreached', 'LeadAccepted', 'LeadRejected', 'LeadRecycled')
    ),
    marked as (
      select ev.*,
        first_value(occurred_at) over (partition by lead_id, cycle order by seq) as mql_at,
        max(seq) filter (where type = 'SlaBreached' and mql_sla)
          over (partition by lead_id, cycle order by seq rows between unbounded preceding and 1 preceding) as breach_seq,
        max(seq) filter (where type = 'LeadAssigned' and mql_sla)
          over (partition by lead_id, cycle, actor order by seq rows between unbounded preceding and 1 preceding) as assigned_seq,
        max(occurred_at) filter (where type = 'LeadAssigned' and mql_sla)
          over (partition by lead_id, cycle, actor order by seq rows between unbounded preceding and 1 preceding) as assigned_at,
        row_number() over (partition by lead_id, cycle, type in ('LeadAccepted', 'LeadRejected') order by seq) as nth
      from ev where cycle > 0
    ),
    decisions as (
      select lead_id, cycle, type, actor as rep,
        ${hoursBetween('mql_at', 'occurred_at')} as hours_from_mql,
        breach_seq is null as within_sla,
        (extract(epoch from (occurred_at - coalesce(assigned_at, mql_at))) / 3600)::float8 as rep_hours,
        case when breach_seq is null then true when assigned_seq is null then false else breach_seq < assigned_seq end as rep_within
      from marked
      where type in ('LeadAccepted', 'LeadRejected') and nth = 1
    )`;
}

/**
 * The MQL follow-up SLA for the leads created in the period: decisions and how fast they came, breaches,
 * reassignments and hand-backs of the MQL SLA (SAL SLA events are not counted), per rep; and, as of
 * `now` and for every lead regardless of the period, the running SLAs past due and the ones due next.
 */
export async function slaReport(db: Db, period: ReportPeriod, now: Date): Promise<SlaReport> {
  const { start, end } = bounds(period);
  const at = now.toISOString();
  const cycles = slaCycles(start, end);

  const [summary, byRep, pastDue, upcoming] = await Promise.all([
    sql<{
      decided: number;
      withinSla: number;
      withinSlaShare: number | null;
      median: number | null;
      p90: number | null;
      breaches: number;
      reassignments: number;
      handedBack: number;
    }>`
      with ${cycles},
      d as (
        select count(*)::int as decided, count(*) filter (where within_sla)::int as within_sla,
          ${percentile(0.5, ref('hours_from_mql'))} as median,
          ${percentile(0.9, ref('hours_from_mql'))} as p90
        from decisions
      ),
      e as (
        select count(*) filter (where type = 'SlaBreached' and mql_sla)::int as breaches,
          -- Reassignments by routing after a breach; a manager reassigning by hand (data.by set) is not one.
          count(*) filter (where type = 'LeadAssigned' and mql_sla and (data->>'assignment')::int > 1 and data->>'by' is null)::int as reassignments,
          count(*) filter (where type = 'LeadRecycled' and data->>'reason' = 'sla_expired' and data->>'from' = 'mql')::int as handed_back
        from ev
      )
      select d.*, ${ratio(ref('d.within_sla'), ref('d.decided'))} as within_sla_share, e.*
      from d cross join e`.execute(db),
    sql<SlaReport['byRep'][number]>`
      with ${cycles},
      rep_rows as (
        select actor as rep, 1 as assigned, 0 as accepted, 0 as rejected, 0 as breaches, null::boolean as within, null::float8 as hours
        from ev where type = 'LeadAssigned' and mql_sla
        union all
        select actor, 0, 0, 0, 1, null, null
        from ev where type = 'SlaBreached' and mql_sla
        union all
        select rep, 0, (type = 'LeadAccepted')::int, (type = 'LeadRejected')::int, 0, rep_within, rep_hours
        from decisions
      )
      select rep, sum(assigned)::int as assigned, sum(accepted)::int as accepted, sum(rejected)::int as rejected,
        sum(breaches)::int as breaches,
        ${ratio(sql`count(*) filter (where within)`, sql`count(within)`)} as within_sla_share,
        ${percentile(0.5, ref('hours'))} as median_hours_to_decision
      from rep_rows
      group by rep
      order by rep collate "C"`.execute(db),
    sql<SlaReport['openPastDue'][number]>`
      select lead_id, stage, owner, ${isoUtc(ref('sla_due_at'))} as sla_due_at,
        round((extract(epoch from (${at}::timestamptz - sla_due_at)) / 3600)::numeric, 2)::float8 as overdue_hours
      from leads
      where stage in ('mql', 'sal') and sla_due_at is not null and sla_due_at <= ${at}::timestamptz
      order by sla_due_at asc, lead_id collate "C" asc
      limit ${OPEN_SLA_LIMIT}`.execute(db),
    sql<SlaReport['openBySla'][number]>`
      select lead_id, stage, owner, ${isoUtc(ref('sla_due_at'))} as sla_due_at,
        round((extract(epoch from (sla_due_at - ${at}::timestamptz)) / 3600)::numeric, 2)::float8 as hours_left
      from leads
      where stage in ('mql', 'sal') and sla_due_at > ${at}::timestamptz
      order by sla_due_at asc, lead_id collate "C" asc
      limit ${OPEN_SLA_LIMIT}`.execute(db),
  ]);

  const s = summary.rows[0]!;
  return {
    period,
    mql: {
      decided: s.decided,
      withinSla: s.withinSla,
      withinSlaShare: s.withinSlaShare,
      breaches: s.breaches,
      reassignments: s.reassignments,
      handedBack: s.handedBack,
      timeToFirstDecisionHours: { median: s.median, p90: s.p90 },
    },
    byRep: byRep.rows,
    openPastDue: pastDue.rows,
    openBySla: upcoming.rows,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Velocity

export const velocityStages = ['inquiry', 'mql', 'sal', 'sql'] as const;

export interface VelocityReport {
  period: ReportPeriod;
  stages: { stage: (typeof velocityStages)[number]; leads: number; medianHours: number | null; p90Hours: number | null }[];
}

/**
 * Time spent in each stage, for the stays that ended in the period: a stay starts with the event that
 * entered the stage and ends with the lead's next stage-changing event (by seq). `leads` counts stays
 * (a lead that entered a stage twice, after recycling, has two). Entering and leaving in one decision
 * (a hand-raiser is captured and becomes an MQL at once) is a stay of 0 hours.
 */
export async function velocityReport(db: Db, period: ReportPeriod): Promise<VelocityReport> {
  const { start, end } = bounds(period);
  const result = await sql<VelocityReport['stages'][number]>`
    with stage_of(type, stage) as (
      values ('LeadCaptured', 'inquiry'), ('LeadBecameMql', 'mql'), ('LeadAccepted', 'sal'), ('LeadQualified', 'sql'),
             ('LeadWon', 'won'), ('LeadDisqualified', 'disqualified'), ('LeadRecycled', 'recycled')
    ),
    -- Leads that left a stage in the period (found through the (type, occurred_at) index).
    moved as (
      select distinct e.lead_id
      from lead_events e
      where e.type in ('LeadBecameMql', 'LeadAccepted', 'LeadQualified', 'LeadWon', 'LeadDisqualified', 'LeadRecycled')
        and e.occurred_at >= ${start}::timestamptz and e.occurred_at < ${end}::timestamptz
    ),
    changes as (
      select s.stage, e.occurred_at as entered_at,
        lead(e.occurred_at) over (partition by e.lead_id order by e.seq) as left_at
      from lead_events e
      join moved m on m.lead_id = e.lead_id
      join stage_of s on s.type = e.type
    ),
    stays as (
      select stage, ${hoursBetween('entered_at', 'left_at')} as hours
      from changes
      where left_at >= ${start}::timestamptz and left_at < ${end}::timestamptz
    )
    select st.stage, count(h.hours)::int as leads,
      ${percentile(0.5, ref('h.hours'))} as median_hours,
      ${percentile(0.9, ref('h.hours'))} as p90_hours
    from (values ('inquiry', 1), ('mql', 2), ('sal', 3), ('sql', 4)) st(stage, ord)
    left join stays h on h.stage = st.stage
    group by st.stage, st.ord
    order by st.ord`.execute(db);
  return { period, stages: result.rows };
}

// ---------------------------------------------------------------------------------------------------------
// Rejections

export interface RejectionsReport {
  period: ReportPeriod;
  reasons: { reason: string; count: number; share: number }[];
  overTime: { bucket: string; reason: string; count: number }[];
  bySource: { channel: string | null; reason: string; count: number }[];
  byRep: { rep: string; reason: string; count: number }[];
}

/**
 * The LeadRejected events that happened in the period, by reason (with its share of all of them), by
 * week or month (labelled by its first day), by the lead's source channel and by the rejecting rep. Only
 * combinations that occurred are listed. One scan: the four breakdowns are grouping sets.
 */
export async function rejectionsReport(db: Db, period: ReportPeriod, bucket: Bucket): Promise<RejectionsReport> {
  const { start, end } = bounds(period);
  const result = await sql<{
    grouping: number;
    bucket: string | null;
    channel: string | null;
    rep: string | null;
    reason: string;
    count: number;
    share: number;
  }>`
    with rejected as (
      select to_char(date_trunc(${bucket}::text, e.occurred_at at time zone 'UTC'), 'YYYY-MM-DD') as bucket,
        l.source_channel as channel, e.data->>'rep' as rep, e.data->>'reason' as reason
      from lead_events e
      left join leads l on l.lead_id = e.lead_id
      where e.type = 'LeadRejected' and e.occurred_at >= ${start}::timestamptz and e.occurred_at < ${end}::timestamptz
    )
    select grouping(bucket, channel, rep)::int as grouping, bucket, channel, rep, reason, count(*)::int as count,
      round(count(*)::numeric / sum(count(*)) over (partition by grouping(bucket, channel, rep)), 4)::float8 as share
    from rejected
    group by grouping sets ((reason), (bucket, reason), (channel, reason), (rep, reason))
    order by grouping(bucket, channel, rep),
      case when grouping(bucket, channel, rep) = 7 then count(*) end desc nulls last,
      bucket, channel collate "C" nulls last, rep collate "C", reason collate "C"`.execute(db);

  // grouping() has a bit set for each of (bucket, channel, rep) that is not part of the row's grouping set.
  const rows = (set: number) => result.rows.filter((r) => r.grouping === set);
  return {
    period,
    reasons: rows(0b111).map((r) => ({ reason: r.reason, count: r.count, share: r.share })),
    overTime: rows(0b011).map((r) => ({ bucket: r.bucket!, reason: r.reason, count: r.count })),
    bySource: rows(0b101).map((r) => ({ channel: r.channel, reason: r.reason, count: r.count })),
    byRep: rows(0b110).map((r) => ({ rep: r.rep!, reason: r.reason, count: r.count })),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Calibration

export const fitBands = ['<20', '20-39', '40-59', '60-79', '80+'] as const;
export const engagementBands = ['<15', '15-29', '30-44', '45-59', '60+'] as const;

export interface Quartiles {
  p25: number | null;
  median: number | null;
  p75: number | null;
}

export interface CalibrationReport {
  period: ReportPeriod;
  fitBands: string[];
  engagementBands: string[];
  cells: {
    fitBand: string;
    engagementBand: string;
    mqls: number;
    accepted: number;
    won: number;
    acceptanceRate: number | null;
    wonRate: number | null;
  }[];
  accepted: { fit: Quartiles; engagement: Quartiles };
  thresholds: { fit: number; engagement: number };
}

/** `case` over the lower bounds of the bands: '<20' below 20, '20-39' from 20, …, '80+' from 80. */
function band(expression: RawBuilder<unknown>, bands: readonly string[], lowerBounds: readonly number[]) {
  const whens = lowerBounds.map((bound, i) => sql`when ${expression} < ${sql.lit(bound)} then ${sql.lit(bands[i])}`);
  return sql<string>`case ${sql.join(whens, sql` `)} else ${sql.lit(bands[bands.length - 1])} end`;
}

const bandValues = (bands: readonly string[]) => sql.join(bands.map((b, i) => sql`(${sql.lit(b)}, ${sql.lit(i)})`));

/**
 * Every MQL (LeadBecameMql) of the leads created in the period, by its fit and engagement scores at that
 * moment: how many were accepted in that cycle (a LeadAccepted before the lead's next LeadBecameMql) and
 * how many belong to a lead that was won. All 25 cells are listed, fit band by fit band. `accepted` gives
 * the quartiles of the scores of the accepted MQLs; `thresholds` are the policy's.
 */
export async function calibrationReport(
  db: Db,
  period: ReportPeriod,
  thresholds: { fit: number; engagement: number },
): Promise<CalibrationReport> {
  const { start, end } = bounds(period);
  const mqls = sql`
    scoped as (
      select lead_id, first_won_at is not null as won
      from leads where created_at >= ${start}::timestamptz and created_at < ${end}::timestamptz
    ),
    ev as (
      select e.lead_id, e.type, e.data,
        count(*) filter (where e.type = 'LeadBecameMql') over (partition by e.lead_id order by e.seq) as cycle
      from lead_events e join scoped s on s.lead_id = e.lead_id
      where e.type in ('LeadBecameMql', 'LeadAccepted')
    ),
    mqls as (
      select ev.lead_id,
        max((data->>'fitScore')::float8) filter (where type = 'LeadBecameMql') as fit,
        max((data->>'engagementScore')::float8) filter (where type = 'LeadBecameMql') as engagement,
        bool_or(type = 'LeadAccepted') as accepted
      from ev where cycle > 0
      group by ev.lead_id, ev.cycle
    ),
    banded as (
      select m.*, s.won,
        ${band(ref('m.fit'), fitBands, [20, 40, 60, 80])} as fit_band,
        ${band(ref('m.engagement'), engagementBands, [15, 30, 45, 60])} as engagement_band
      from mqls m join scoped s on s.lead_id = m.lead_id
    )`;

  const [cells, quartiles] = await Promise.all([
    sql<CalibrationReport['cells'][number]>`
      with ${mqls}
      select f.band as fit_band, g.band as engagement_band,
        count(b.lead_id)::int as mqls,
        count(b.lead_id) filter (where b.accepted)::int as accepted,
        count(b.lead_id) filter (where b.won)::int as won,
        ${ratio(sql`count(b.lead_id) filter (where b.accepted)`, sql`count(b.lead_id)`)} as acceptance_rate,
        ${ratio(sql`count(b.lead_id) filter (where b.won)`, sql`count(b.lead_id)`)} as won_rate
      from (values ${bandValues(fitBands)}) f(band, ord)
      cross join (values ${bandValues(engagementBands)}) g(band, ord)
      left join banded b on b.fit_band = f.band and b.engagement_band = g.band
      group by f.band, f.ord, g.band, g.ord
      order by f.ord, g.ord`.execute(db),
    sql<{ fitP25: number | null; fitMedian: number | null; fitP75: number | null; engagementP25: number | null; engagementMedian: number | null; engagementP75: number | null }>`
      with ${mqls}
      select ${percentile(0.25, ref('fit'))} as fit_p25, ${percentile(0.5, ref('fit'))} as fit_median,
        ${percentile(0.75, ref('fit'))} as fit_p75,
        ${percentile(0.25, ref('engagement'))} as engagement_p25, ${percentile(0.5, ref('engagement'))} as engagement_median,
        ${percentile(0.75, ref('engagement'))} as engagement_p75
      from mqls where accepted`.execute(db),
  ]);

  const q = quartiles.rows[0]!;
  return {
    period,
    fitBands: [...fitBands],
    engagementBands: [...engagementBands],
    cells: cells.rows,
    accepted: {
      fit: { p25: q.fitP25, median: q.fitMedian, p75: q.fitP75 },
      engagement: { p25: q.engagementP25, median: q.engagementMedian, p75: q.engagementP75 },
    },
    thresholds,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Recycling

/** How many recycles the report lists at most. */
export const RECYCLED_LEADS_LIMIT = 200;

export interface RecyclingReport {
  period: ReportPeriod;
  recycled: number;
  requalified: number;
  requalifiedShare: number | null;
  daysToRequalify: { median: number | null; p90: number | null };
  byReason: { reason: string; recycled: number; requalified: number }[];
  leads: { leadId: string; reason: string; recycledAt: string; requalifiedAt: string | null; days: number | null }[];
}

/**
 * The recycles (LeadRecycled) of the leads created in the period, and which of them re-qualified: a later
 * LeadBecameMql of the same lead, whose time gives the days to re-qualify. A lead recycled twice counts
 * twice. `leads` lists the recycles themselves, newest first.
 */
export async function recyclingReport(db: Db, period: ReportPeriod): Promise<RecyclingReport> {
  const { start, end } = bounds(period);
  const recycles = sql`
    scoped as (
      select lead_id from leads where created_at >= ${start}::timestamptz and created_at < ${end}::timestamptz
    ),
    ev as (
      select e.lead_id, e.seq, e.type, e.occurred_at, e.data->>'reason' as reason,
        min(e.occurred_at) filter (where e.type = 'LeadBecameMql')
          over (partition by e.lead_id order by e.seq rows between 1 following and unbounded following) as next_mql_at
      from lead_events e join scoped s on s.lead_id = e.lead_id
      where e.type in ('LeadRecycled', 'LeadBecameMql')
    ),
    recycles as (
      select lead_id, seq, reason, occurred_at as recycled_at, next_mql_at as requalified_at,
        (extract(epoch from (next_mql_at - occurred_at)) / 86400)::float8 as days
      from ev where type = 'LeadRecycled'
    )`;

  const [summary, byReason, leads] = await Promise.all([
    sql<{ recycled: number; requalified: number; requalifiedShare: number | null; median: number | null; p90: number | null }>`
      with ${recycles}
      select count(*)::int as recycled, count(requalified_at)::int as requalified,
        ${ratio(sql`count(requalified_at)`, sql`count(*)`)} as requalified_share,
        ${percentile(0.5, ref('days'))} as median, ${percentile(0.9, ref('days'))} as p90
      from recycles`.execute(db),
    sql<RecyclingReport['byReason'][number]>`
      with ${recycles}
      select reason, count(*)::int as recycled, count(requalified_at)::int as requalified
      from recycles group by reason
      order by count(*) desc, reason collate "C"`.execute(db),
    sql<RecyclingReport['leads'][number]>`
      with ${recycles}
      select lead_id, reason, ${isoUtc(ref('recycled_at'))} as recycled_at, ${isoUtc(ref('requalified_at'))} as requalified_at,
        round(days::numeric, 2)::float8 as days
      from recycles
      order by recycles.recycled_at desc, lead_id collate "C" asc, seq desc
      limit ${RECYCLED_LEADS_LIMIT}`.execute(db),
  ]);

  const s = summary.rows[0]!;
  return {
    period,
    recycled: s.recycled,
    requalified: s.requalified,
    requalifiedShare: s.requalifiedShare,
    daysToRequalify: { median: s.median, p90: s.p90 },
    byReason: byReason.rows,
    leads: leads.rows,
  };
}
