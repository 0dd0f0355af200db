import { sql } from 'kysely';
import { workflowIdForLead } from '../../client/lead-id';
import { cpuDelta, cpuSnapshot, perOperation, type CpuByProcess } from '../lib/cpu';
import type { Encryption } from '../lib/environment';
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

/** The sides of a repetition: Leadflow as production runs it (encrypted), Leadflow with encryption off, the floor. */
export type Side = 'leadflow' | 'plaintext' | 'floor';

export interface PairRep {
  rep: number;
  /** Leadflow as production runs it: every payload encrypted with its lead's key. */
  leadflow: LoadFigures;
  floor: LoadFigures;
  /** The same Leadflow with encryption off (bench/plaintext-*.ts), in the same repetition. */
  plaintext?: LoadFigures;
  /** CPU ms per operation of each process, from /proc (Linux), per side. */
  cpuPerOp?: { leadflow: CpuByProcess; floor: CpuByProcess; plaintext?: CpuByProcess };
  /** Time after the last answer until Leadflow's background work (owner assignment) was done. */
  settleMs?: number;
  plaintextSettleMs?: number;
  /** The order the sides ran in. */
  order?: Side[];
  /** Leadflow ÷ Leadflow with encryption off in this repetition (the two ran back to back or one side apart). */
  encryptionCost?: Ratios;
}

export interface SideFigures {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** A ÷ B: throughput (below 1 = A is slower) and latency (above 1 = A is slower). */
export interface Ratios {
  perSecond: number;
  p50: number;
  p99: number;
}

export interface PairResult {
  count: number;
  concurrency: number;
  reps: PairRep[];
  /** Median CPU ms per operation of each process over the repetitions. */
  cpuPerOp?: { leadflow: CpuByProcess; floor: CpuByProcess; plaintext?: CpuByProcess };
  /** Medians over the repetitions. */
  leadflow: SideFigures;
  floor: SideFigures;
  /** Leadflow ÷ floor. */
  ratio: Ratios;
  /** Leadflow with encryption off: its medians, and its ratios to the same floor. */
  plaintext?: SideFigures & { ratio: Ratios };
  /** What encryption costs: Leadflow (on) ÷ Leadflow with encryption off, medians over the same repetitions. */
  encryptionCost?: Ratios;
  /**
   * The same, paired: the median of each repetition's on ÷ off. Less moved by load that changes between
   * repetitions (the two sides of a pair run minutes apart at most); the spread is in `reps`.
   */
  encryptionCostPaired?: Ratios;
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

export function ratios(a: SideFigures, b: SideFigures): Ratios {
  return { perSecond: round(a.perSecond / b.perSecond, 3), p50: round(a.p50Ms / b.p50Ms, 2), p99: round(a.p99Ms / b.p99Ms, 2) };
}

export function pairSummary(count: number, concurrency: number, reps: PairRep[]): PairResult {
  const med = (side: Side): SideFigures => {
    const all = reps.map((r) => r[side]).filter((f): f is LoadFigures => f !== undefined);
    return {
      perSecond: round(median(all.map((f) => f.perSecond)), 1),
      p50Ms: round(median(all.map((f) => f.p50Ms)), 1),
      p99Ms: round(median(all.map((f) => f.p99Ms)), 1),
    };
  };
  const cpuMed = (side: Side): CpuByProcess | undefined => {
    const all = reps.map((r) => r.cpuPerOp?.[side]).filter((c): c is CpuByProcess => c !== undefined);
    if (all.length === 0) return undefined;
    const keys = Object.keys(all[0]!) as (keyof CpuByProcess)[];
    return Object.fromEntries(keys.map((k) => [k, round(median(all.map((c) => c[k])), 2)])) as CpuByProcess;
  };
  const leadflow = med('leadflow');
  const floor = med('floor');
  const plaintext = reps.some((r) => r.plaintext) ? med('plaintext') : undefined;
  const [cpuL, cpuF, cpuP] = [cpuMed('leadflow'), cpuMed('floor'), cpuMed('plaintext')];
  const paired = reps.map((r) => r.encryptionCost).filter((c): c is Ratios => c !== undefined);
  const pairedMedian = (k: keyof Ratios): number => round(median(paired.map((c) => c[k])), k === 'perSecond' ? 3 : 2);
  return {
    count,
    concurrency,
    reps,
    ...(cpuL && cpuF ? { cpuPerOp: { leadflow: cpuL, floor: cpuF, ...(cpuP ? { plaintext: cpuP } : {}) } } : {}),
    leadflow,
    floor,
    ratio: ratios(leadflow, floor),
    ...(plaintext ? { plaintext: { ...plaintext, ratio: ratios(plaintext, floor) }, encryptionCost: ratios(leadflow, plaintext) } : {}),
    ...(paired.length ? { encryptionCostPaired: { perSecond: pairedMedian('perSecond'), p50: pairedMedian('p50'), p99: pairedMedian('p99') } } : {}),
  };
}

/**
 * The order of the sides in repetition `rep`. Two sides alternate; with the plaintext pair, the six
 * orders of three cycle so that over three repetitions each side runs once first, once second and once
 * last (and over six, each runs before each other as often as after).
 */
export function sideOrder(rep: number, withPlaintext: boolean): Side[] {
  const orders: Side[][] = withPlaintext
    ? [
        ['floor', 'leadflow', 'plaintext'],
        ['leadflow', 'plaintext', 'floor'],
        ['plaintext', 'floor', 'leadflow'],
        ['floor', 'plaintext', 'leadflow'],
        ['plaintext', 'leadflow', 'floor'],
        ['leadflow', 'floor', 'plaintext'],
      ]
    : [
        ['floor', 'leadflow'],
        ['leadflow', 'floor'],
      ];
  return orders[rep % orders.length]!;
}

export const encryptionOf = (side: 'leadflow' | 'plaintext'): Encryption => (side === 'leadflow' ? 'on' : 'off');

export interface IntakeResult extends PairResult {
  /** MQL lead ids created through the API, for the decision scenario. */
  leadIds: string[];
  /** The same, created through the plaintext API (encryption off). */
  plaintextLeadIds?: string[];
  campaign: string;
  /** The source campaign of the plaintext pair's leads. */
  plaintextCampaign?: string;
  /** Where the server-side time of a form fill goes (a sample of the last repetition's leads). */
  breakdown?: Breakdown;
}

/** Runs `side` and measures the CPU each process spent on it, per operation (`worker` and `api` of the pair with `encryption`). */
export async function measured(ctx: BenchContext, side: () => Promise<LoadResult>, encryption: Encryption = 'on'): Promise<{ result: LoadResult; cpu: CpuByProcess }> {
  const before = await cpuSnapshot(ctx.env, encryption);
  const result = await side();
  const after = await cpuSnapshot(ctx.env, encryption);
  return { result, cpu: perOperation(cpuDelta(before, after), result.completed) };
}

/**
 * Scenario 1. N form fills through POST /v1/leads (update-with-start, answered once the events are in
 * PostgreSQL) against N bare signalWithStart calls of an empty workflow, same concurrency, same server.
 * With the plaintext pair running, the same N form fills through its API (encryption off) too, in the
 * same repetitions. The sides take turns going first (`sideOrder`).
 */
export async function runIntake(ctx: BenchContext, count: number, maxMsPerSide: number, warmUp: number): Promise<IntakeResult> {
  const { env, concurrency, runTag } = ctx;
  const withPlaintext = env.plaintext !== undefined;
  const floorClient = env.floorClient!;
  const campaign = `bench-intake-${runTag}`;
  const campaigns = { leadflow: campaign, plaintext: `${campaign}-plaintext` };
  const leadIds = { leadflow: [] as string[], plaintext: [] as string[] };
  let lastSide: string[] = [];

  const leadflowSide = async (side: 'leadflow' | 'plaintext', label: string, n: number): Promise<LoadResult> => {
    const http = env.httpFor(encryptionOf(side));
    const ids: string[] = [];
    if (side === 'leadflow') lastSide = ids;
    const prefix = side === 'leadflow' ? 'intake' : 'intake-plain';
    return runClosedLoop({
      count: n,
      concurrency,
      maxMs: maxMsPerSide,
      op: async (i) => {
        const answer = await http.expectOk('POST', '/v1/leads', mqlForm(`${prefix}-${runTag}-${label}-${i}@analytical-engines.example`, campaigns[side]));
        const body = answer.body as { leadId: string; created: boolean; stage: string };
        if (!body.created || body.stage !== 'mql') throw new Error(`unexpected answer ${JSON.stringify(body)}`);
        leadIds[side].push(body.leadId);
        ids.push(body.leadId);
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
  const settle = async (side: 'leadflow' | 'plaintext'): Promise<number> => {
    const t0 = Date.now();
    await waitFor(async () => {
      const row = await sql<{ n: number }>`select count(*)::int as n from leads where source_campaign = ${campaigns[side]} and owner is null`.execute(env.db!);
      return (row.rows[0]?.n ?? 0) === 0;
    }, 60_000, 250);
    return Date.now() - t0;
  };

  ctx.say(`intake: warm-up (${warmUp} each side${withPlaintext ? ', encryption on and off' : ''})`);
  await floorSide('warm', warmUp);
  await leadflowSide('leadflow', 'warm', warmUp);
  await settle('leadflow');
  if (withPlaintext) {
    await leadflowSide('plaintext', 'warm', warmUp);
    await settle('plaintext');
  }

  const reps: PairRep[] = [];
  for (let rep = 0; rep < ctx.reps; rep++) {
    const order = sideOrder(rep, withPlaintext);
    const loads: Partial<Record<Side, Awaited<ReturnType<typeof measured>>>> = {};
    const settleMs: Partial<Record<'leadflow' | 'plaintext', number>> = {};
    for (const side of order) {
      if (side === 'floor') {
        loads.floor = await measured(ctx, () => floorSide(`r${rep}`, count));
        continue;
      }
      // A Leadflow side's CPU includes its background work after the last answer (settle).
      loads[side] = await measured(
        ctx,
        async () => {
          const from = monotonicUs();
          const result = await leadflowSide(side, `r${rep}`, count);
          settleMs[side] = await settle(side);
          if (side === 'leadflow') ctx.profileWindows.push([from, monotonicUs()]);
          return result;
        },
        encryptionOf(side),
      );
    }
    const { leadflow, floor, plaintext } = loads as Record<Side, Awaited<ReturnType<typeof measured>>>;
    const r: PairRep = {
      rep,
      leadflow: figures(leadflow.result),
      floor: figures(floor.result),
      ...(plaintext ? { plaintext: figures(plaintext.result) } : {}),
      cpuPerOp: { leadflow: leadflow.cpu, floor: floor.cpu, ...(plaintext ? { plaintext: plaintext.cpu } : {}) },
      settleMs: settleMs.leadflow!,
      ...(settleMs.plaintext !== undefined ? { plaintextSettleMs: settleMs.plaintext } : {}),
      order,
    };
    if (r.plaintext) r.encryptionCost = ratios(r.leadflow, r.plaintext);
    reps.push(r);
    ctx.say(
      `intake rep ${rep + 1}/${ctx.reps}: Leadflow ${r.leadflow.perSecond} leads/s p50 ${r.leadflow.p50Ms} ms p99 ${r.leadflow.p99Ms} ms (${r.leadflow.errors} errors)` +
        (r.plaintext
          ? ` | encryption off ${r.plaintext.perSecond} leads/s p50 ${r.plaintext.p50Ms} ms p99 ${r.plaintext.p99Ms} ms (${r.plaintext.errors} errors)`
          : '') +
        ` | floor ${r.floor.perSecond}/s p50 ${r.floor.p50Ms} ms p99 ${r.floor.p99Ms} ms (${r.floor.errors} errors)`,
    );
  }
  const sample = lastSide.filter((_, i) => i % Math.max(1, Math.floor(lastSide.length / 20)) === 0).slice(0, 20);
  const breakdown = await intakeBreakdown(env.client!, sample.map(workflowIdForLead)).catch(() => undefined);
  return {
    ...pairSummary(count, concurrency, reps),
    leadIds: leadIds.leadflow,
    ...(withPlaintext ? { plaintextLeadIds: leadIds.plaintext } : {}),
    campaign,
    ...(withPlaintext ? { plaintextCampaign: campaigns.plaintext } : {}),
    ...(breakdown ? { breakdown } : {}),
  };
}
