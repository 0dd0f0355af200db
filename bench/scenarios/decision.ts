import { sql } from 'kysely';
import { runClosedLoop, waitFor, type LoadResult } from '../lib/load';
import { mqlForm, type BenchContext } from '../lib/context';
import { FLOOR_TASK_QUEUE, floorNoopUpdate } from '../workflows/floor.workflows';
import { figures, measured, pairSummary, type PairRep, type PairResult } from './intake';

export interface DecisionResult extends PairResult {
  /** Decided leads whose `leads` row showed the new stage when read right after the answer. */
  projectedBeforeAnswer: { checked: number; ok: number };
}

/**
 * Scenario 2. Sales decisions through HTTP (accept and reject alternately, each an Update that records
 * the events in PostgreSQL before it answers) against bare executeUpdate of a no-op Update on an open
 * workflow, one workflow per call on both sides, same concurrency, same server.
 */
export async function runDecisions(ctx: BenchContext, count: number, maxMsPerSide: number, mqlLeadIds: string[]): Promise<DecisionResult> {
  const { env, concurrency, runTag } = ctx;
  const http = env.http!;
  const floorClient = env.floorClient!;
  const pool = [...mqlLeadIds];
  const projected = { checked: 0, ok: 0 };

  const need = (ctx.reps + 1) * count;
  if (pool.length < need) {
    ctx.say(`decisions: creating ${need - pool.length} more MQLs (untimed)`);
    const extra = await runClosedLoop({
      count: need - pool.length,
      concurrency,
      maxMs: 300_000,
      op: async (i) => {
        const a = await http.expectOk('POST', '/v1/leads', mqlForm(`decide-${runTag}-${i}@analytical-engines.example`, `bench-decide-${runTag}`));
        pool.push((a.body as { leadId: string }).leadId);
      },
    });
    if (extra.errors) ctx.say(`decisions: ${extra.errors} extra MQLs failed: ${extra.errorSamples[0]}`);
  }

  const checks: Promise<{ expected: string; stage: string | undefined }>[] = [];
  const stageInReadModel = async (leadId: string): Promise<string | undefined> =>
    (await sql<{ stage: string }>`select stage from leads where lead_id = ${leadId}`.execute(env.db!)).rows[0]?.stage;

  const leadflowSide = async (n: number): Promise<LoadResult> => {
    const leads = pool.splice(0, n);
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

  ctx.say(`decisions: warm-up (${Math.min(20, count)} each side)`);
  await floorSide(await startFloorWorkflows('warm', Math.min(20, count)));
  await leadflowSide(Math.min(20, count));

  const reps: PairRep[] = [];
  for (let rep = 0; rep < ctx.reps; rep++) {
    const floorIds = await startFloorWorkflows(`r${rep}`, count);
    let leadflow: Awaited<ReturnType<typeof measured>>;
    let floor: Awaited<ReturnType<typeof measured>>;
    if (rep % 2 === 0) {
      floor = await measured(ctx, () => floorSide(floorIds));
      leadflow = await measured(ctx, () => leadflowSide(count));
    } else {
      leadflow = await measured(ctx, () => leadflowSide(count));
      floor = await measured(ctx, () => floorSide(floorIds));
    }
    const r: PairRep = {
      rep,
      leadflow: figures(leadflow.result),
      floor: figures(floor.result),
      cpuPerOp: { leadflow: leadflow.cpu, floor: floor.cpu },
    };
    reps.push(r);
    ctx.say(
      `decisions rep ${rep + 1}/${ctx.reps}: Leadflow p50 ${r.leadflow.p50Ms} ms p99 ${r.leadflow.p99Ms} ms (${r.leadflow.errors} errors)` +
        ` | floor p50 ${r.floor.p50Ms} ms p99 ${r.floor.p99Ms} ms (${r.floor.errors} errors)`,
    );
  }
  for (const c of await Promise.all(checks)) {
    projected.checked++;
    if (c.stage === c.expected) projected.ok++;
  }
  return { ...pairSummary(count, concurrency, reps), projectedBeforeAnswer: projected };
}
