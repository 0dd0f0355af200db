import { sql } from 'kysely';
import { defaultLeadPolicy } from '../../domain/lead-policy';
import { asFillForm, inquiryForm, remainingMs, type BenchContext } from '../lib/context';
import { rssMiB } from '../lib/environment';
import { runClosedLoop } from '../lib/load';
import { round } from '../lib/stats';

export interface ScaleSample {
  /** Leads whose workflow is still open (every stage but won and disqualified), from the read model. */
  openLeads: number;
  leadEvents: number;
  workerRssMiB: number;
  apiRssMiB: number;
  temporalServerRssMiB: number;
  /** The Temporal dev server's SQLite file (with WAL). */
  temporalDbMiB: number;
  /** pg_database_size of the run's PostgreSQL database (the read model). */
  postgresDbMiB: number;
  at: string;
}

export async function sample(ctx: BenchContext): Promise<ScaleSample> {
  const { env } = ctx;
  const counts = (
    await sql<{ open: number; events: number; bytes: number }>`
      select (select count(*)::int from leads where stage not in ('won', 'disqualified')) as open,
             (select count(*)::int from lead_events) as events,
             pg_database_size(current_database())::bigint as bytes`.execute(env.db!)
  ).rows[0]!;
  return {
    openLeads: counts.open,
    leadEvents: counts.events,
    workerRssMiB: round(rssMiB(env.worker?.pid), 0),
    apiRssMiB: round(rssMiB(env.api?.pid), 0),
    temporalServerRssMiB: round(rssMiB(env.temporal?.pid), 0),
    temporalDbMiB: round(env.temporalDbBytes() / 2 ** 20, 1),
    postgresDbMiB: round(Number(counts.bytes) / 2 ** 20, 1),
    at: new Date().toISOString(),
  };
}

/** recorded_at − occurred_at of the events of one campaign's leads: how far the read model trails. */
export async function projectionLag(ctx: BenchContext, campaign: string): Promise<{ events: number; p50Ms: number; p99Ms: number; maxMs: number }> {
  const row = (
    await sql<{ n: number; p50: number; p99: number; max: number }>`
      select count(*)::int as n,
             percentile_cont(0.5) within group (order by extract(epoch from e.recorded_at - e.occurred_at)) * 1000 as p50,
             percentile_cont(0.99) within group (order by extract(epoch from e.recorded_at - e.occurred_at)) * 1000 as p99,
             max(extract(epoch from e.recorded_at - e.occurred_at)) * 1000 as max
      from lead_events e join leads l on l.lead_id = e.lead_id where l.source_campaign = ${campaign}`.execute(ctx.env.db!)
  ).rows[0];
  return { events: row?.n ?? 0, p50Ms: round(Number(row?.p50), 0), p99Ms: round(Number(row?.p99), 0), maxMs: round(Number(row?.max), 0) };
}

export interface GrowthResult {
  targets: number[];
  /** One sample per target reached, plus the last one. */
  checkpoints: (ScaleSample & { target: number | 'end' })[];
  reached: number[];
  notReached: { target: number; reason: string }[];
  created: number;
  errors: number;
  createRate: number;
  /** Projection lag of the events of the leads created while growing (sustained intake). */
  projectionLag: { events: number; p50Ms: number; p99Ms: number; maxMs: number };
}

/**
 * Scenario 5 (growth). Sustained intake of inquiry leads (update-with-start through the client, one
 * `recordEvents` each) until the open-lead count reaches each target, sampling worker RSS and the two
 * database sizes at each; stops when the run's time budget runs out and says which targets it missed.
 */
export async function growOpenLeads(ctx: BenchContext, targets: number[], reserveMs: number): Promise<GrowthResult> {
  const { env, concurrency, runTag } = ctx;
  const campaign = `bench-scale-${runTag}`;
  const checkpoints: GrowthResult['checkpoints'] = [];
  const reached: number[] = [];
  const notReached: GrowthResult['notReached'] = [];
  let created = 0;
  let errors = 0;
  let seconds = 0;
  let index = 0;
  for (const target of targets) {
    const current = (await sample(ctx)).openLeads;
    const missing = target - current;
    const budget = remainingMs(ctx) - reserveMs;
    if (missing > 0) {
      if (budget < 10_000) {
        notReached.push({ target, reason: `time budget exhausted at ${current} open leads` });
        continue;
      }
      ctx.say(`scale: ${current} open leads, creating ${missing} more to reach ${target} (budget ${Math.round(budget / 1000)} s)`);
      const t0 = Date.now();
      const start = index;
      const run = await runClosedLoop({
        count: missing,
        concurrency,
        maxMs: budget,
        op: (i) => env.submit(asFillForm(inquiryForm(`scale-${runTag}-${start + i}@gmail.com`, campaign)), defaultLeadPolicy),
      });
      index += missing;
      created += run.completed;
      errors += run.errors;
      seconds += (Date.now() - t0) / 1000;
      if (run.errors) ctx.say(`scale: ${run.errors} errors, e.g. ${run.errorSamples[0]}`);
    }
    const s = await sample(ctx);
    if (s.openLeads >= target) {
      reached.push(target);
      checkpoints.push({ ...s, target });
      ctx.say(`scale: ${s.openLeads} open leads: worker RSS ${s.workerRssMiB} MiB, Temporal DB ${s.temporalDbMiB} MiB, PostgreSQL ${s.postgresDbMiB} MiB`);
    } else {
      notReached.push({ target, reason: `time budget ran out at ${s.openLeads} open leads` });
      checkpoints.push({ ...s, target: 'end' });
      ctx.say(`scale: stopped at ${s.openLeads} open leads (target ${target}): out of time`);
    }
  }
  if (checkpoints.length === 0) checkpoints.push({ ...(await sample(ctx)), target: 'end' });
  return {
    targets,
    checkpoints,
    reached,
    notReached,
    created,
    errors,
    createRate: seconds > 0 ? round(created / seconds, 1) : 0,
    projectionLag: await projectionLag(ctx, campaign),
  };
}
