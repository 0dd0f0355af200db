import { sql } from 'kysely';
import type { BenchContext } from '../lib/context';
import { round, summarize } from '../lib/stats';

export interface FunnelResult {
  status: 'measured' | 'skipped' | 'failed';
  note?: string;
  targetEvents: number;
  leadEvents?: number;
  syntheticLeads?: number;
  insertSeconds?: number;
  query?: string;
  calls?: number;
  httpStatus?: number;
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
}

export const FUNNEL_PATH = '/v1/reports/funnel';

/**
 * Scenario 5 (reports). GET /v1/reports/funnel over `targetEvents` rows of lead_events: synthetic leads
 * (10 events each, created over the last 90 days, walking the funnel as far as their number says) are
 * inserted with SQL until the table holds that many, then the report is called `calls` times.
 * When the route does not exist in this build, the scenario says so and measures nothing.
 */
export async function runFunnel(ctx: BenchContext, targetEvents: number, calls: number): Promise<FunnelResult> {
  const { env } = ctx;
  const http = env.http!;
  const probe = await http.request('GET', FUNNEL_PATH);
  if (probe.status === 404) {
    const note = `skipped: GET ${FUNNEL_PATH} does not exist in this build (404); nothing measured`;
    ctx.say(`funnel: ${note}`);
    return { status: 'skipped', note, targetEvents };
  }

  const existing = (await sql<{ n: number }>`select count(*)::int as n from lead_events`.execute(env.db!)).rows[0]?.n ?? 0;
  const leads = Math.max(0, Math.ceil((targetEvents - existing) / 10));
  const t0 = Date.now();
  if (leads > 0) {
    ctx.say(`funnel: inserting ${leads} synthetic leads (${leads * 10} events)`);
    for (let from = 1; from <= leads; from += 50_000) {
      const to = Math.min(leads, from + 49_999);
      await insertSynthetic(ctx, from, to);
    }
    await sql`analyze leads`.execute(env.db!);
    await sql`analyze lead_events`.execute(env.db!);
  }
  const insertSeconds = (Date.now() - t0) / 1000;
  const total = (await sql<{ n: number }>`select count(*)::int as n from lead_events`.execute(env.db!)).rows[0]?.n ?? 0;

  // The whole synthetic range (21 to 111 days ago) and today's real leads: 120 days to today.
  const today = new Date();
  const from = new Date(today.getTime() - 119 * 86_400_000).toISOString().slice(0, 10);
  const url = `${FUNNEL_PATH}?from=${from}&to=${today.toISOString().slice(0, 10)}`;
  const latencies: number[] = [];
  let status = 0;
  let failure: string | undefined;
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    const answer = await http.request('GET', url, undefined, 120_000);
    status = answer.status;
    if (answer.status !== 200) {
      failure = `GET ${url} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`;
      break;
    }
    latencies.push(performance.now() - started);
  }
  const s = summarize(latencies);
  return {
    status: failure ? 'failed' : 'measured',
    ...(failure ? { note: failure } : {}),
    targetEvents,
    leadEvents: total,
    syntheticLeads: leads,
    insertSeconds: round(insertSeconds, 1),
    query: url,
    calls: latencies.length,
    httpStatus: status,
    p50Ms: round(s.p50, 1),
    p99Ms: round(s.p99, 1),
    maxMs: round(s.max, 1),
  };
}

/**
 * Synthetic leads `from..to`: lead g is created 21 days + (g*7919 mod 90 days) ago and walks the funnel
 * inquiry → mql → sal → sql → won as far as g mod 10 says (recycled or disqualified at some exits);
 * its 10 events are the steps it took plus engagement. Shaped like the live projection's rows.
 */
async function insertSynthetic(ctx: BenchContext, from: number, to: number): Promise<void> {
  const db = ctx.env.db!;
  await sql`
    insert into leads (lead_id, stage, owner, email, full_name, company, country, source_channel, source_campaign,
      fit_score, engagement_score, sla_kind, sla_due_at, sla_breaches, mql_cycle, recycle_count, recycle_reason,
      needs_data_repair, unsubscribed, closed_reason, first_inquiry_at, first_mql_at, first_sal_at, first_sql_at,
      first_won_at, first_disqualified_at, first_recycled_at, created_at, updated_at, last_event_seq, state)
    select 'lead-synth-' || g,
      case when g % 10 < 3 then 'inquiry' when g % 10 = 3 then 'mql' when g % 10 = 4 then 'recycled'
           when g % 10 = 5 then 'sal' when g % 10 = 6 then 'disqualified' when g % 10 = 7 then 'sql' else 'won' end,
      case when g % 10 >= 3 then 'rep-' || (g % 3) end,
      'synth-' || g || '@example.com', 'Synthetic Lead', 'Synthetic Co', 'GB', 'synthetic', 'synth-' || (g % 20),
      50, 40, null, null, 0, case when g % 10 >= 3 then 1 else 0 end, case when g % 10 = 4 then 1 else 0 end,
      case when g % 10 = 4 then 'not_ready' end, false, false,
      case when g % 10 = 6 then 'not_a_fit' end,
      c, case when g % 10 >= 3 then c + interval '1 day' end, case when g % 10 >= 5 then c + interval '2 days' end,
      case when g % 10 >= 7 then c + interval '5 days' end, case when g % 10 >= 8 then c + interval '20 days' end,
      case when g % 10 = 6 then c + interval '3 days' end, case when g % 10 = 4 then c + interval '2 days' end,
      c, c + interval '20 days', 10, '{"synthetic": true}'::jsonb
    from generate_series(${from}::int, ${to}::int) g, lateral (select now() - interval '21 days' - ((g * 7919) % 7776000) * interval '1 second' as c) t`.execute(db);
  await sql`
    insert into lead_events (lead_id, seq, type, data, occurred_at, recorded_at, workflow_run_id)
    select 'lead-synth-' || g, s,
      case when s = 1 then 'LeadCaptured' when s = 2 then 'FormFilled'
           when s = 3 and g % 10 >= 3 then 'LeadBecameMql' when s = 4 and g % 10 >= 3 then 'LeadAssigned'
           when s = 5 and g % 10 = 4 then 'LeadRecycled' when s = 5 and g % 10 >= 5 then 'LeadAccepted'
           when s = 6 and g % 10 = 6 then 'LeadDisqualified' when s = 6 and g % 10 >= 7 then 'LeadQualified'
           when s = 7 and g % 10 >= 8 then 'LeadWon' else 'EngagementRecorded' end,
      jsonb_build_object('engagementType', 'page_view', 'points', 1, 'engagementScore', s, 'owner', 'rep-' || (g % 3),
        'reason', case when g % 10 = 4 then 'not_ready' else 'not_a_fit' end, 'mqlCycle', 1, 'via', 'score'),
      c + o.d, c + o.d, 'synthetic'
    from generate_series(${from}::int, ${to}::int) g, generate_series(1, 10) s,
      lateral (select case when s <= 2 then interval '0' when s <= 4 then interval '1 day' when s = 5 then interval '2 days'
                           when s = 6 then interval '4 days' when s = 7 then interval '20 days' else interval '20 days 1 hour' end as d) o,
      lateral (select now() - interval '21 days' - ((g * 7919) % 7776000) * interval '1 second' as c) t`.execute(db);
}
