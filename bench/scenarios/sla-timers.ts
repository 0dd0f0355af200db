import { sql } from 'kysely';
import { submitForm } from '../../client/lead-intake';
import { defaultLeadPolicy, type LeadPolicy } from '../../domain/lead-policy';
import { asFillForm, mqlForm, remainingMs, type BenchContext } from '../lib/context';
import { runClosedLoop, waitFor } from '../lib/load';
import { round, summarize } from '../lib/stats';

export interface SlaResult {
  size: number;
  /** The size asked for; `size` is smaller when only that fitted in the run's time budget. */
  requested?: number;
  status: 'complete' | 'incomplete' | 'skipped';
  note?: string;
  created?: number;
  createErrors?: number;
  createSeconds?: number;
  createRate?: number;
  /** Leads whose window had to be raised to the minimum because creation ran late. */
  clampedWindows?: number;
  /** Leads/s measured just before, used to place the deadlines after the creation phase. */
  calibratedRate?: number;
  /** Seconds from the first to the last due time actually recorded. */
  dueSpreadSeconds?: number;
  breaches?: number;
  /** fired − due (the workflow's clock when the breach was decided), ms. */
  firedLatenessMs?: { p50: number; p99: number; max: number };
  /** recorded − due (when the breach reached PostgreSQL), ms. */
  recordedLatenessMs?: { p50: number; p99: number; max: number };
  /** Breaches that came before their due time (must be 0). */
  early?: number;
}

const MIN_WINDOW_MS = 15_000;

/**
 * Scenario 3. `size` open MQLs whose SLA deadlines fall over `spreadMs`, after all of them are created;
 * each gets its own tiny policy window (windowHours = time to its deadline) and no reassignment, so each
 * lead breaches exactly once (then goes back to marketing). Lateness = fired − due of each breach.
 */
export async function runSlaTimers(
  ctx: BenchContext,
  requested: number,
  spreadMs: number,
  drainMs: number,
  options: { reserveMs: number; fallbackToLargestThatFits: boolean },
): Promise<SlaResult> {
  const { env, concurrency, runTag } = ctx;
  let size = requested;
  const client = env.client!;
  const campaign = `bench-sla-${requested}-${runTag}`;
  // Calibrate: how fast MQLs can be created right now (their 24 h windows never fire during the run).
  const calibration = await runClosedLoop({
    count: Math.min(200, Math.max(50, Math.round(size / 20))),
    concurrency,
    maxMs: 60_000,
    op: (i) => submitForm(client, asFillForm(mqlForm(`sla-cal-${size}-${runTag}-${i}@analytical-engines.example`, `${campaign}-calibration`)), defaultLeadPolicy),
  });
  const rate = calibration.perSecond > 0 ? calibration.perSecond : (ctx.measuredIntakeRate ?? 10);
  ctx.say(`SLA ${size}: calibration ${calibration.completed} MQLs at ${round(rate, 1)} leads/s`);
  const budgetFor = (n: number): number => Math.ceil((n / rate) * 1.3 * 1000) + 5_000;
  const available = remainingMs(ctx) - options.reserveMs - spreadMs - 15_000;
  let note: string | undefined;
  if (budgetFor(size) > available) {
    const fits = Math.floor(((available - 5_000) / 1000 / 1.3) * rate / 100) * 100;
    const why = `${requested.toLocaleString('en-US')} needs about ${Math.round((budgetFor(requested) + spreadMs) / 60_000)} min at the measured ${round(rate, 1)} leads/s; ${Math.max(0, Math.round(available / 60_000))} min were left for it`;
    if (!options.fallbackToLargestThatFits || fits < 200) {
      ctx.say(`SLA ${requested}: skipped: ${why}`);
      return { size: requested, status: 'skipped', note: `skipped: ${why}`, calibratedRate: round(rate, 1) };
    }
    size = fits;
    note = `${why}: ran ${size.toLocaleString('en-US')} instead, the largest that fit`;
    ctx.say(`SLA ${requested}: ${note}`);
  }
  const createBudgetMs = budgetFor(size);

  const t0 = Date.now();
  const firstDue = t0 + createBudgetMs;
  let clamped = 0;
  ctx.say(`SLA ${size}: creating ${size} MQLs (deadlines from +${Math.round(createBudgetMs / 1000)} s over ${Math.round(spreadMs / 1000)} s)`);
  const created = await runClosedLoop({
    count: size,
    concurrency,
    maxMs: createBudgetMs + spreadMs,
    op: async (i) => {
      const due = firstDue + (spreadMs * i) / size;
      let windowMs = due - Date.now();
      if (windowMs < MIN_WINDOW_MS) {
        windowMs = MIN_WINDOW_MS;
        clamped++;
      }
      const policy: LeadPolicy = {
        ...defaultLeadPolicy,
        version: 'bench-sla',
        sla: {
          ...defaultLeadPolicy.sla,
          mql: { windowHours: windowMs / 3_600_000, reminders: [0.75], reassignmentsBeforeHandBack: 0 },
        },
      };
      const answer = await submitForm(client, asFillForm(mqlForm(`sla-${size}-${runTag}-${i}@analytical-engines.example`, campaign)), policy);
      if (answer.stage !== 'mql') throw new Error(`expected an MQL, got ${answer.stage}`);
    },
  });
  const createSeconds = (Date.now() - t0) / 1000;
  ctx.say(`SLA ${size}: ${created.completed} created in ${round(createSeconds, 0)} s (${created.errors} errors, ${clamped} windows raised to ${MIN_WINDOW_MS / 1000} s)`);

  const breachCount = async (): Promise<number> =>
    (
      await sql<{ n: number }>`select count(*)::int as n from lead_events e join leads l on l.lead_id = e.lead_id
        where l.source_campaign = ${campaign} and e.type = 'SlaBreached'`.execute(env.db!)
    ).rows[0]?.n ?? 0;
  const lastDue = firstDue + spreadMs;
  let lastSeen = 0;
  const all = await waitFor(async () => {
    const n = await breachCount();
    if (n !== lastSeen && Date.now() > lastDue) ctx.say(`SLA ${size}: ${n}/${created.completed} breaches recorded`);
    lastSeen = n;
    return n >= created.completed;
  }, Math.max(0, lastDue - Date.now()) + drainMs, 2_000);

  const rows = (
    await sql<{ fired: number; recorded: number; due: Date }>`
      select extract(epoch from (e.occurred_at - (e.data->>'slaDueAt')::timestamptz)) * 1000 as fired,
             extract(epoch from (e.recorded_at - (e.data->>'slaDueAt')::timestamptz)) * 1000 as recorded,
             (e.data->>'slaDueAt')::timestamptz as due
      from lead_events e join leads l on l.lead_id = e.lead_id
      where l.source_campaign = ${campaign} and e.type = 'SlaBreached'`.execute(env.db!)
  ).rows;
  const fired = summarize(rows.map((r) => Number(r.fired)));
  const recorded = summarize(rows.map((r) => Number(r.recorded)));
  const dues = rows.map((r) => new Date(r.due).getTime());
  const pick = (s: ReturnType<typeof summarize>) => ({ p50: round(s.p50, 0), p99: round(s.p99, 0), max: round(s.max, 0) });
  const notes = [note, all ? undefined : `only ${rows.length} of ${created.completed} breaches recorded within the drain time`].filter(Boolean);
  return {
    size,
    requested,
    status: all ? 'complete' : 'incomplete',
    ...(notes.length ? { note: notes.join('; ') } : {}),
    created: created.completed,
    createErrors: created.errors,
    createSeconds: round(createSeconds, 1),
    createRate: round(created.completed / createSeconds, 1),
    clampedWindows: clamped,
    calibratedRate: round(rate, 1),
    dueSpreadSeconds: dues.length ? round((dues.reduce((a, b) => Math.max(a, b)) - dues.reduce((a, b) => Math.min(a, b))) / 1000, 0) : 0,
    breaches: rows.length,
    firedLatenessMs: pick(fired),
    recordedLatenessMs: pick(recorded),
    early: rows.filter((r) => Number(r.fired) < 0).length,
  };
}
