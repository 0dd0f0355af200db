import { sql } from 'kysely';
import { runClosedLoop, waitFor, type LoadResult } from '../lib/load';
import { mqlForm, type BenchContext } from '../lib/context';
import { FLOOR_TASK_QUEUE, floorNoopUpdate } from '../workflows/floor.workflows';
import { encryptionOf, figures, measured, pairSummary, ratios, sideOrder, type PairRep, type PairResult, type Side } from './intake';

export interface DecisionResult extends PairResult {
  /** Decided leads whose `leads` row showed the new stage when read right after the answer. */
  projectedBeforeAnswer: { checked: number; ok: number };
  /** A few leads of the last repetition by decision, whose histories give the Actions of a decision (scenario "actions"). */
  decided?: { accept: string[]; reject: string[] };
}

/**
 * Scenario 2. Sales decisions through HTTP (accept and reject alternately, each an Update that records
 * the events in PostgreSQL before it answers) against bare executeUpdate of a no-op Update on an open
 * workflow, one workflow per call on both sides, same concurrency, same server. With the plaintext
 * pair running, the same decisions through its API (encryption off) on its own MQLs, in the same
 * repetitions.
 */
export async function runDecisions(
  ctx: BenchContext,
  count: number,
  maxMsPerSide: number,
  mqlLeadIds: string[],
  plaintextMqlLeadIds: string[] = [],
): Promise<DecisionResult> {
  const { env, concurrency, runTag } = ctx;
  const withPlaintext = env.plaintext !== undefined;
  const floorClient = env.floorClient!;
  // Each Leadflow decides on the MQLs it created: the plaintext worker cannot read an encrypted lead.
  const pools = { leadflow: [...mqlLeadIds], plaintext: [...plaintextMqlLeadIds] };
  const projected = { checked: 0, ok: 0 };
  const decided = { accept: [] as string[], reject: [] as string[] };

  const need = (ctx.reps + 1) * count;
  for (const side of withPlaintext ? (['leadflow', 'plaintext'] as const) : (['leadflow'] as const)) {
    const pool = pools[side];
    if (pool.length >= need) continue;
    const http = env.httpFor(encryptionOf(side));
    ctx.say(`decisions: creating ${need - pool.length} more MQLs (untimed${side === 'plaintext' ? ', encryption off' : ''})`);
    const extra = await runClosedLoop({
      count: need - pool.length,
      concurrency,
      maxMs: 300_000,
      op: async (i) => {
        const a = await http.expectOk('POST', '/v1/leads', mqlForm(`decide-${side}-${runTag}-${i}@analytical-engines.example`, `bench-decide-${runTag}`));
        pool.push((a.body as { leadId: string }).leadId);
      },
    });
    if (extra.errors) ctx.say(`decisions: ${extra.errors} extra MQLs failed: ${extra.errorSamples[0]}`);
  }

  const checks: Promise<{ expected: string; stage: string | undefined }>[] = [];
  const stageInReadModel = async (leadId: string): Promise<string | undefined> =>
    (await sql<{ stage: string }>`select stage from leads where lead_id = ${leadId}`.execute(env.db!)).rows[0]?.stage;

  const leadflowSide = async (side: 'leadflow' | 'plaintext', n: number): Promise<LoadResult> => {
    const http = env.httpFor(encryptionOf(side));
    const leads = pools[side].splice(0, n);
    return runClosedLoop({
      count: leads.length,
      concurrency,
      maxMs: maxMsPerSide,
      op: async (i) => {
        const leadId = leads[i]!;
        const accept = i % 2 === 0;
        const answer = accept
          ? await http.expectOk('POST', `/v1/leads/${leadId}/accept`, { rep: 'rep-ada' })
          : await http.expectOk('POST', `/v1/leads/${leadId}/reject`, { rep: 'rep-ada', reason: 'not_ready' });
        const expected = accept ? 'sal' : 'recycled';
        const stage = (answer.body as { lead?: { stage?: string } }).lead?.stage;
        if (stage !== expected) throw new Error(`expected ${expected}, got ${stage}`);
        if (side === 'leadflow') {
          const sample = decided[accept ? 'accept' : 'reject'];
          sample.push(leadId);
          if (sample.length > 5) sample.shift();
        }
        // The contract under test: the read model has the decision by the time the caller hears back.
        // One in 10 is read right after its answer, without holding up the timed request.
        if (i % 10 === 0) checks.push(
            stageInReadModel(leadId).then(
              (s) => ({ expected, stage: s }),
              () => ({ expected, stage: undefined }),
            ),
          );
      },
    });
  };

  const startFloorWorkflows = async (label: string, n: number): Promise<string[]> => {
    const ids = Array.from({ length: n }, (_, i) => `floor-update-${runTag}-${label}-${i}`);
    const started = await runClosedLoop({
      count: n,
      concurrency,
      maxMs: 300_000,
      op: (i) => floorClient.workflow.start('floorUpdateWorkflow', { workflowId: ids[i]!, taskQueue: FLOOR_TASK_QUEUE }),
    });
    if (started.errors) throw new Error(`could not start the floor workflows: ${started.errorSamples[0]}`);
    // Like the leads, which settled long ago, the floor workflows must have run their first task.
    await waitFor(async () => {
      const last = await floorClient.workflow.getHandle(ids[ids.length - 1]!).describe();
      return last.historyLength >= 4;
    }, 15_000, 200);
    return ids;
  };
  const floorSide = async (ids: string[]): Promise<LoadResult> =>
    runClosedLoop({
      count: ids.length,
      concurrency,
      maxMs: maxMsPerSide,
      op: async (i) => {
        const answer = await floorClient.workflow.getHandle(ids[i]!).executeUpdate(floorNoopUpdate, { args: [{ rep: 'rep-ada' }] });
        if (answer !== 'ok') throw new Error(`floor update answered ${answer}`);
      },
    });

  ctx.say(`decisions: warm-up (${Math.min(20, count)} each side${withPlaintext ? ', encryption on and off' : ''})`);
  await floorSide(await startFloorWorkflows('warm', Math.min(20, count)));
  await leadflowSide('leadflow', Math.min(20, count));
  if (withPlaintext) await leadflowSide('plaintext', Math.min(20, count));

  const reps: PairRep[] = [];
  for (let rep = 0; rep < ctx.reps; rep++) {
    const floorIds = await startFloorWorkflows(`r${rep}`, count);
    const order = sideOrder(rep, withPlaintext);
    const loads: Partial<Record<Side, Awaited<ReturnType<typeof measured>>>> = {};
    for (const side of order) {
      loads[side] = side === 'floor' ? await measured(ctx, () => floorSide(floorIds)) : await measured(ctx, () => leadflowSide(side, count), encryptionOf(side));
    }
    const { leadflow, floor, plaintext } = loads as Record<Side, Awaited<ReturnType<typeof measured>>>;
    const r: PairRep = {
      rep,
      leadflow: figures(leadflow.result),
      floor: figures(floor.result),
      ...(plaintext ? { plaintext: figures(plaintext.result) } : {}),
      cpuPerOp: { leadflow: leadflow.cpu, floor: floor.cpu, ...(plaintext ? { plaintext: plaintext.cpu } : {}) },
      order,
    };
    if (r.plaintext) r.encryptionCost = ratios(r.leadflow, r.plaintext);
    reps.push(r);
    ctx.say(
      `decisions rep ${rep + 1}/${ctx.reps}: Leadflow p50 ${r.leadflow.p50Ms} ms p99 ${r.leadflow.p99Ms} ms (${r.leadflow.errors} errors)` +
        (r.plaintext ? ` | encryption off p50 ${r.plaintext.p50Ms} ms p99 ${r.plaintext.p99Ms} ms (${r.plaintext.errors} errors)` : '') +
        ` | floor p50 ${r.floor.p50Ms} ms p99 ${r.floor.p99Ms} ms (${r.floor.errors} errors)`,
    );
  }
  for (const c of await Promise.all(checks)) {
    projected.checked++;
    if (c.stage === c.expected) projected.ok++;
  }
  return { ...pairSummary(count, concurrency, reps), projectedBeforeAnswer: projected, decided };
}
