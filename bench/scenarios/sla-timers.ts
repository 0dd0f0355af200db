import { sql } from 'kysely';
import { defaultLeadPolicy, type LeadPolicy } from '../../domain/lead-policy';
import { asFillForm, mqlForm, remainingMs, type BenchContext } from '../lib/context';
import { runClosedLoop, sleep, waitFor } from '../lib/load';
import { round, summarize } from '../lib/stats';
import { FLOOR_TASK_QUEUE } from '../workflows/floor.workflows';

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
  /** The bare engine on the same server: as many one-timer workflows, deadlines over the same spread. */
  floor?: SlaFloorResult;
  /** Leadflow ÷ floor of fired − due. */
  ratio?: { p50: number; p99: number; max: number };
}

export interface SlaFloorResult {
  status: 'complete' | 'incomplete';
  started: number;
  startErrors: number;
  /** Workflows started per second (plain start, no signal). */
  startRate: number;
  clampedWindows: number;
  dueSpreadSeconds: number;
  fired: number;
  /** fired − due by the workflow's clock when its timer fired, ms. */
  firedLatenessMs: { p50: number; p99: number; max: number };
  early: number;
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
  const campaign = `bench-sla-${requested}-${runTag}`;
  // Calibrate: how fast MQLs can be created right now (their 24 h windows never fire during the run).
  const calibration = await runClosedLoop({
    count: Math.min(200, Math.max(50, Math.round(size / 20))),
    concurrency,
    maxMs: 60_000,
    op: (i) => env.submit(asFillForm(mqlForm(`sla-cal-${size}-${runTag}-${i}@analytical-engines.example`, `${campaign}-calibration`)), defaultLeadPolicy),
  });
  const rate = calibration.perSecond > 0 ? calibration.perSecond : (ctx.measuredIntakeRate ?? 10);
  ctx.say(`SLA ${size}: calibration ${calibration.completed} MQLs at ${round(rate, 1)} leads/s`);
  const budgetFor = (n: number): number => Math.ceil((n / rate) * 1.3 * 1000) + 5_000;
  // The floor that follows starts as many timers (plain starts, about as fast as the intake floor) and
  // waits out the same spread.
  const floorRate = Math.max(rate, ctx.measuredFloorRate ?? rate * 4);
  const floorBudgetFor = (n: number): number => Math.ceil((n / floorRate) * 1.3 * 1000) + MIN_WINDOW_MS + spreadMs + 15_000;
  const available = remainingMs(ctx) - options.reserveMs - spreadMs - 15_000;
  let note: string | undefined;
  if (budgetFor(size) + floorBudgetFor(size) > available) {
    const perLeadMs = (1.3 * 1000) / rate + (1.3 * 1000) / floorRate;
    const fits = Math.floor((available - 35_000 - spreadMs) / perLeadMs / 100) * 100;
    const why = `${requested.toLocaleString('en-US')} needs about ${Math.round((budgetFor(requested) + spreadMs + floorBudgetFor(requested)) / 60_000)} min (with its floor) at the measured ${round(rate, 1)} leads/s; ${Math.max(0, Math.round(available / 60_000))} min were left for it`;
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
      const answer = await env.submit(asFillForm(mqlForm(`sla-${size}-${runTag}-${i}@analytical-engines.example`, campaign)), policy);
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
  const floor = created.completed > 0 ? await runSlaFloor(ctx, created.completed, spreadMs, drainMs, floorRate) : undefined;
  const firedLateness = pick(fired);
  const ratioOf = (a: number, b: number): number => round(a / Math.max(1, b), 2);
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
    firedLatenessMs: firedLateness,
    recordedLatenessMs: pick(recorded),
    early: rows.filter((r) => Number(r.fired) < 0).length,
    ...(floor && {
      floor,
      ratio: {
        p50: ratioOf(firedLateness.p50, floor.firedLatenessMs.p50),
        p99: ratioOf(firedLateness.p99, floor.firedLatenessMs.p99),
        max: ratioOf(firedLateness.max, floor.firedLatenessMs.max),
      },
    }),
  };
}

/**
 * The floor of scenario 3: `size` bare workflows that each sleep until their deadline, started from the
 * same client at the same concurrency, deadlines over the same spread after all are started. The
 * workflow returns fired − due by its own clock, as Leadflow's breach records it. Ratios divide by at
 * least 1 ms.
 */
export async function runSlaFloor(ctx: BenchContext, size: number, spreadMs: number, drainMs: number, expectedRate: number): Promise<SlaFloorResult> {
  const { concurrency, runTag } = ctx;
  const client = ctx.env.floorClient!;
  const t0 = Date.now();
  // After the estimated start phase, plus the same minimum window the Leadflow side has.
  const firstDue = t0 + Math.ceil((size / expectedRate) * 1.3 * 1000) + MIN_WINDOW_MS;
  let clamped = 0;
  const dues: number[] = [];
  ctx.say(`SLA ${size} floor: starting ${size} one-timer workflows (deadlines from +${Math.round((firstDue - t0) / 1000)} s over ${Math.round(spreadMs / 1000)} s)`);
  const ids: string[] = [];
  const started = await runClosedLoop({
    count: size,
    concurrency,
    maxMs: firstDue - t0 + spreadMs,
    op: async (i) => {
      let due = firstDue + (spreadMs * i) / size;
      if (due - Date.now() < MIN_WINDOW_MS) {
        due = Date.now() + MIN_WINDOW_MS;
        clamped++;
      }
      const workflowId = `floor-sla-${size}-${runTag}-${i}`;
      await client.workflow.start('floorTimerWorkflow', { workflowId, taskQueue: FLOOR_TASK_QUEUE, args: [Math.round(due)] });
      ids.push(workflowId);
      dues.push(due);
    },
  });
  const lastDue = dues.reduce((a, b) => Math.max(a, b), firstDue + spreadMs);
  await sleep(Math.max(0, lastDue - Date.now()));
  const lateness: number[] = [];
  const collected = await runClosedLoop({
    count: ids.length,
    concurrency,
    maxMs: drainMs,
    op: async (i) => {
      lateness.push(Number(await client.workflow.getHandle(ids[i]!).result()));
    },
  });
  const s = summarize(lateness);
  ctx.say(`SLA ${size} floor: ${lateness.length}/${started.completed} timers fired, fired − due p50 ${round(s.p50, 0)} ms p99 ${round(s.p99, 0)} ms`);
  return {
    status: collected.completed === started.completed && started.completed === size ? 'complete' : 'incomplete',
    started: started.completed,
    startErrors: started.errors,
    startRate: round(started.completed / (started.elapsedMs / 1000), 1),
    clampedWindows: clamped,
    dueSpreadSeconds: dues.length ? round((dues.reduce((a, b) => Math.max(a, b)) - dues.reduce((a, b) => Math.min(a, b))) / 1000, 0) : 0,
    fired: lateness.length,
    firedLatenessMs: { p50: round(s.p50, 0), p99: round(s.p99, 0), max: round(s.max, 0) },
    early: lateness.filter((l) => l < 0).length,
  };
}
