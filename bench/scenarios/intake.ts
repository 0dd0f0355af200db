import { sql } from 'kysely';
import { workflowIdForLead } from '../../client/lead-id';
import { cpuDelta, cpuSnapshot, perOperation, type CpuByProcess } from '../lib/cpu';
import { intakeBreakdown, type Breakdown } from '../lib/history-breakdown';
import { runClosedLoop, waitFor, type LoadResult } from '../lib/load';
import { median, round, summarize } from '../lib/stats';
import { monotonicUs, mqlForm, type BenchContext } from '../lib/context';
import { FLOOR_TASK_QUEUE, floorSignal } from '../workflows/floor.workflows';

export interface LoadFigures {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  completed: number;
  errors: number;
  errorSamples: string[];
  timedOut: boolean;
}

export interface PairRep {
  rep: number;
  leadflow: LoadFigures;
  floor: LoadFigures;
  /** CPU ms per operation of each process, from /proc (Linux), Leadflow side and floor side. */
  cpuPerOp?: { leadflow: CpuByProcess; floor: CpuByProcess };
  /** Time after the last answer until Leadflow's background work (owner assignment) was done. */
  settleMs?: number;
}

export interface PairResult {
  count: number;
  concurrency: number;
  reps: PairRep[];
  /** Median CPU ms per operation of each process over the repetitions. */
  cpuPerOp?: { leadflow: CpuByProcess; floor: CpuByProcess };
  /** Medians over the repetitions. */
  leadflow: { perSecond: number; p50Ms: number; p99Ms: number };
  floor: { perSecond: number; p50Ms: number; p99Ms: number };
  /** Leadflow ÷ floor: throughput (below 1 = slower) and latency (above 1 = slower). */
  ratio: { perSecond: number; p50: number; p99: number };
}

export function figures(r: LoadResult): LoadFigures {
  const s = summarize(r.latenciesMs);
  return {
    perSecond: round(r.perSecond, 1),
    p50Ms: round(s.p50, 1),
    p99Ms: round(s.p99, 1),
    completed: r.completed,
    errors: r.errors,
    errorSamples: r.errorSamples,
    timedOut: r.timedOut,
  };
}

export function pairSummary(count: number, concurrency: number, reps: PairRep[]): PairResult {
  const med = (side: 'leadflow' | 'floor') => ({
    perSecond: round(median(reps.map((r) => r[side].perSecond)), 1),
    p50Ms: round(median(reps.map((r) => r[side].p50Ms)), 1),
    p99Ms: round(median(reps.map((r) => r[side].p99Ms)), 1),
  });
  const leadflow = med('leadflow');
  const floor = med('floor');
  const cpuMed = (side: 'leadflow' | 'floor'): CpuByProcess | undefined => {
    const all = reps.map((r) => r.cpuPerOp?.[side]).filter((c): c is CpuByProcess => c !== undefined);
    if (all.length === 0) return undefined;
    const keys = Object.keys(all[0]!) as (keyof CpuByProcess)[];
    return Object.fromEntries(keys.map((k) => [k, round(median(all.map((c) => c[k])), 2)])) as CpuByProcess;
  };
  const cpuL = cpuMed('leadflow');
  const cpuF = cpuMed('floor');
  return {
    count,
    concurrency,
    reps,
    ...(cpuL && cpuF ? { cpuPerOp: { leadflow: cpuL, floor: cpuF } } : {}),
    leadflow,
    floor,
    ratio: {
      perSecond: round(leadflow.perSecond / floor.perSecond, 3),
      p50: round(leadflow.p50Ms / floor.p50Ms, 2),
      p99: round(leadflow.p99Ms / floor.p99Ms, 2),
    },
  };
}

export interface IntakeResult extends PairResult {
  /** MQL lead ids created through the API, for the decision scenario. */
  leadIds: string[];
  campaign: string;
  /** Where the server-side time of a form fill goes (a sample of the last repetition's leads). */
  breakdown?: Breakdown;
}

/** Runs `side` and measures the CPU each process spent on it, per operation. */
export async function measured(ctx: BenchContext, side: () => Promise<LoadResult>): Promise<{ result: LoadResult; cpu: CpuByProcess }> {
  const before = await cpuSnapshot(ctx.env);
  const result = await side();
  const after = await cpuSnapshot(ctx.env);
  return { result, cpu: perOperation(cpuDelta(before, after), result.completed) };
}

/**
 * Scenario 1. N form fills through POST /v1/leads (update-with-start, answered once the events are in
 * PostgreSQL) against N bare signalWithStart calls of an empty workflow, same concurrency, same server.
 * The two sides alternate which goes first in each repetition.
 */
export async function runIntake(ctx: BenchContext, count: number, maxMsPerSide: number, warmUp: number): Promise<IntakeResult> {
  const { env, concurrency, runTag } = ctx;
  const http = env.http!;
  const floorClient = env.floorClient!;
  const campaign = `bench-intake-${runTag}`;
  const leadIds: string[] = [];
  let lastSide: string[] = [];

  const leadflowSide = async (label: string, n: number): Promise<LoadResult> => {
    lastSide = [];
    return runClosedLoop({
      count: n,
      concurrency,
      maxMs: maxMsPerSide,
      op: async (i) => {
        const answer = await http.expectOk('POST', '/v1/leads', mqlForm(`intake-${runTag}-${label}-${i}@analytical-engines.example`, campaign));
        const body = answer.body as { leadId: string; created: boolean; stage: string };
        if (!body.created || body.stage !== 'mql') throw new Error(`unexpected answer ${JSON.stringify(body)}`);
        leadIds.push(body.leadId);
        lastSide.push(body.leadId);
      },
    });
  };
  const floorSide = async (label: string, n: number): Promise<LoadResult> =>
    runClosedLoop({
      count: n,
      concurrency,
      maxMs: maxMsPerSide,
      op: async (i) => {
        await floorClient.workflow.signalWithStart('floorEmptyWorkflow', {
          workflowId: `floor-intake-${runTag}-${label}-${i}`,
          taskQueue: FLOOR_TASK_QUEUE,
          signal: floorSignal,
          signalArgs: [mqlForm(`floor-${runTag}-${label}-${i}@analytical-engines.example`, campaign)],
        });
      },
    });
  /** Leadflow keeps working after it answers (owner assignment, notifications): let it finish. */
  const settle = async (): Promise<number> => {
    const t0 = Date.now();
    await waitFor(async () => {
      const row = await sql<{ n: number }>`select count(*)::int as n from leads where source_campaign = ${campaign} and owner is null`.execute(env.db!);
      return (row.rows[0]?.n ?? 0) === 0;
    }, 60_000, 250);
    return Date.now() - t0;
  };

  ctx.say(`intake: warm-up (${warmUp} each side)`);
  await floorSide('warm', warmUp);
  await leadflowSide('warm', warmUp);
  await settle();

  const reps: PairRep[] = [];
  for (let rep = 0; rep < ctx.reps; rep++) {
    let leadflow: Awaited<ReturnType<typeof measured>>;
    let floor: Awaited<ReturnType<typeof measured>>;
    let settleMs: number;
    // The Leadflow side's CPU includes its background work after the last answer (settle).
    const leadflowMeasured = () =>
      measured(ctx, async () => {
        const from = monotonicUs();
        const result = await leadflowSide(`r${rep}`, count);
        settleMs = await settle();
        ctx.profileWindows.push([from, monotonicUs()]);
        return result;
      });
    if (rep % 2 === 0) {
      floor = await measured(ctx, () => floorSide(`r${rep}`, count));
      leadflow = await leadflowMeasured();
    } else {
      leadflow = await leadflowMeasured();
      floor = await measured(ctx, () => floorSide(`r${rep}`, count));
    }
    const r: PairRep = {
      rep,
      leadflow: figures(leadflow.result),
      floor: figures(floor.result),
      cpuPerOp: { leadflow: leadflow.cpu, floor: floor.cpu },
      settleMs: settleMs!,
    };
    reps.push(r);
    ctx.say(
      `intake rep ${rep + 1}/${ctx.reps}: Leadflow ${r.leadflow.perSecond} leads/s p50 ${r.leadflow.p50Ms} ms p99 ${r.leadflow.p99Ms} ms` +
        ` (${r.leadflow.errors} errors) | floor ${r.floor.perSecond}/s p50 ${r.floor.p50Ms} ms p99 ${r.floor.p99Ms} ms (${r.floor.errors} errors)`,
    );
  }
  const sample = lastSide.filter((_, i) => i % Math.max(1, Math.floor(lastSide.length / 20)) === 0).slice(0, 20);
  const breakdown = await intakeBreakdown(env.client!, sample.map(workflowIdForLead)).catch(() => undefined);
  return { ...pairSummary(count, concurrency, reps), leadIds, campaign, ...(breakdown ? { breakdown } : {}) };
}
