import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { scenarioNames, type BenchResults, type ScenarioName, type Sizes } from './bench-results';
import { type BenchContext, type Mode } from './lib/context';
import { BenchEnvironment, machineInfo, repoRoot, temporalCli } from './lib/environment';
import { medianJson, medianMarkdown } from './median';
import { resultsMarkdown } from './report';
import { profileMarkdown, summarizeProfileDir } from './profile-summary';
import { runDecisions } from './scenarios/decision';
import { disableDeliveryEndpoint, measureDelivery, startDeliveryProbe, stopDeliveryProbe, type DeliveryProbe } from './scenarios/delivery';
import { runActionsPerLead } from './scenarios/actions';
import { runFunnel } from './scenarios/funnel';
import { runIntake } from './scenarios/intake';
import { growOpenLeads, projectionLag, sample, type ScaleSample } from './scenarios/scale';
import { runSlaTimers } from './scenarios/sla-timers';
import { runStorm } from './scenarios/storm';

/*
 * npm run bench                 full mode: the issue's sizes where they fit in --budget-min (default 20)
 * npm run bench -- --quick      a 3-5 minute smoke: the ratio table, small SLA and storm runs
 *   --concurrency N   requests in flight for intake, decisions and the storm (default 16)
 *   --reps N          repetitions of intake and decisions (default 3 quick, 5 full)
 *   --budget-min N    wall-clock budget of the whole run; scenarios that cannot fit are skipped, and say so
 *   --only a,b        run only these scenarios: intake, decision, storm, sla, scale, funnel, plaintext, delivery, actions
 *   --skip a,b        run all but these (e.g. --skip plaintext)
 *                     plaintext: intake and decisions also against Leadflow with encryption off, for its cost
 *                     delivery: a webhook endpoint and a verifying receiver during intake, for the delivery lag
 *                     actions: Temporal Cloud Actions per path, from the leads' histories (a handful more leads driven for it)
 *   --profile         run the lead worker and the API under node --cpu-prof (intake only unless --only)
 *   --max-signals-per-run N   the dev server's per-run signal cap (Temporal's default 10,000), to reach it with a small storm
 *   --runs N          whole runs, one after another, each on a new server and database; then their medians
 *   --out DIR         where <date>[-quick].json and .md go (default bench/results)
 */

const SIZES: Record<Mode, Sizes> = {
  quick: {
    intake: 80,
    decision: 50,
    storm: 2_000,
    sla: [{ size: 150, spreadMs: 10_000, drainMs: 45_000 }],
    scaleTargets: [],
    funnelEvents: 100_000,
    funnelCalls: 5,
    funnelReserveMs: 20_000,
  },
  full: {
    intake: 200,
    decision: 100,
    storm: 20_000,
    sla: [
      { size: 10_000, spreadMs: 120_000, drainMs: 120_000 },
      { size: 50_000, spreadMs: 180_000, drainMs: 180_000 },
    ],
    scaleTargets: [10_000, 50_000, 100_000],
    funnelEvents: 1_000_000,
    funnelCalls: 10,
    funnelReserveMs: 150_000,
  },
};

/** How long the delivery measurement waits, after intake, for the last of its events to arrive. */
const DELIVERY_DRAIN_MS: Record<Mode, number> = { quick: 60_000, full: 120_000 };

/** Time the SLA scenario leaves for what follows it (growth and funnel), so each gets a share. */
const SLA_RESERVE_MS: Record<Mode, number> = { quick: 10_000, full: 300_000 };

function options() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      quick: { type: 'boolean', default: false },
      concurrency: { type: 'string' },
      reps: { type: 'string' },
      'budget-min': { type: 'string' },
      only: { type: 'string' },
      skip: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'temporal-db': { type: 'string' },
      'max-signals-per-run': { type: 'string' },
      out: { type: 'string' },
      runs: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(
      'usage: npm run bench -- [--quick] [--concurrency N] [--reps N] [--budget-min N] [--only|--skip intake,decision,storm,sla,scale,funnel,plaintext,delivery,actions] [--profile] [--max-signals-per-run N] [--runs N] [--out DIR]',
    );
    process.exit(0);
  }
  const int = (name: string, raw: string | undefined, fallback: number, min: number, max: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
  const mode: Mode = values.quick ? 'quick' : 'full';
  const list = (name: string, raw: string): string[] => {
    const names = raw.split(',').map((s) => s.trim());
    for (const s of names) if (!(scenarioNames as readonly string[]).includes(s)) throw new Error(`--${name}: unknown scenario ${s}`);
    return names;
  };
  const skip = values.skip ? list('skip', values.skip) : [];
  const only = (values.only ? list('only', values.only) : values.profile ? ['intake'] : [...scenarioNames]).filter((s) => !skip.includes(s));
  if (only.includes('plaintext') && !only.includes('intake') && !only.includes('decision')) {
    throw new Error('plaintext measures intake and decisions with encryption off: add intake or decision');
  }
  if (only.includes('delivery') && !only.includes('intake')) {
    if (values.only?.split(',').some((s) => s.trim() === 'delivery')) throw new Error('delivery measures the webhook delivery lag of the intake scenario: add intake');
    only.splice(only.indexOf('delivery'), 1);
  }
  return {
    mode,
    concurrency: int('concurrency', values.concurrency, 16, 1, 256),
    reps: int('reps', values.reps, mode === 'quick' ? 3 : 5, 1, 20),
    budgetMinutes: int('budget-min', values['budget-min'], mode === 'quick' ? 5 : 20, 1, 600),
    scenarios: only as ScenarioName[],
    profile: values.profile ?? false,
    temporalDb: temporalDbOption(values['temporal-db']),
    maxSignalsPerRun: values['max-signals-per-run'] === undefined ? undefined : int('max-signals-per-run', values['max-signals-per-run'], 10_000, 10, 1_000_000),
    runs: int('runs', values.runs, 1, 1, 20),
    out: path.resolve(values.out ?? path.join(repoRoot(), 'bench/results')),
  };
}

type Options = ReturnType<typeof options>;

async function main(): Promise<void> {
  const opts = options();
  const runs: BenchResults[] = [];
  const files: string[] = [];
  let base = '';
  for (let k = 1; k <= opts.runs; k++) {
    if (opts.runs > 1) console.log(`\n[bench] whole run ${k} of ${opts.runs}`);
    const done = await runOnce(opts, opts.runs > 1 ? `-run${k}` : '');
    if (!done) return; // interrupted
    runs.push(done.results);
    files.push(`${done.base}.json`);
    base = done.base.replace(/-run\d+$/, '');
  }
  if (runs.length > 1) {
    // Whole-run medians: each figure's median over the runs (the issue's "medians over several repetitions").
    const markdown = medianMarkdown(runs, files);
    writeFileSync(path.join(opts.out, `${base}-median.md`), markdown);
    writeFileSync(path.join(opts.out, `${base}-median.json`), `${JSON.stringify({ files, figures: medianJson(runs) }, null, 2)}\n`);
    console.log('');
    console.log(markdown);
    console.log(`[bench] medians of ${runs.length} runs: ${path.relative(process.cwd(), path.join(opts.out, base))}-median.json and .md`);
  }
}

function temporalDbOption(raw: string | undefined): 'file' | 'memory' {
  if (raw === undefined || raw === 'file' || raw === 'memory') return raw ?? 'file';
  throw new Error('--temporal-db must be file or memory');
}

/** One whole run: its own dev server, database and processes, stopped at the end; writes its files. */
async function runOnce(opts: Options, suffix: string): Promise<{ results: BenchResults; base: string } | undefined> {
  const started = Date.now();
  const say = (m: string): void => console.log(`[bench +${Math.round((Date.now() - started) / 1000)}s] ${m}`);
  const sizes = SIZES[opts.mode];
  const stamp = new Date().toISOString();
  const profileDir = opts.profile ? path.join(repoRoot(), '.data/bench', `profile-${stamp.replace(/[:.]/g, '-')}`) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const results: BenchResults = {
    mode: opts.mode,
    command: `npm run bench --${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`.replace(/ --$/, ''),
    startedAt: stamp,
    machine: await machineInfo(temporalCli()),
    settings: {
      concurrency: opts.concurrency,
      reps: opts.reps,
      budgetMinutes: opts.budgetMinutes,
      temporalDb: opts.temporalDb,
      ...(opts.maxSignalsPerRun ? { maxSignalsPerRun: opts.maxSignalsPerRun } : {}),
      sizes,
      scenarios: opts.scenarios,
    },
    notes: [],
  };
  say(
    `${opts.mode} mode: ${results.machine.cores} cores, ${results.machine.memoryGiB} GiB, load average ${results.machine.loadAverage.atStart.join(' ')}; ` +
      `scenarios ${opts.scenarios.join(', ')}; concurrency ${opts.concurrency}; ${opts.reps} repetitions; budget ${opts.budgetMinutes} min`,
  );
  if (results.machine.loadAverage.atStart[0]! > results.machine.cores) {
    results.notes.push(`The machine was busy when the run started (load average ${results.machine.loadAverage.atStart[0]} on ${results.machine.cores} cores): absolute figures are pessimistic; ratios are fairer, both sides ran under the same load.`);
  }

  if (opts.maxSignalsPerRun) {
    results.notes.push(`The dev server ran with history.maximumSignalsPerExecution=${opts.maxSignalsPerRun} (--max-signals-per-run; Temporal's default is 10,000).`);
  }
  const env = new BenchEnvironment({
    say,
    temporalDb: opts.temporalDb,
    ...(profileDir ? { profileDir } : {}),
    ...(opts.maxSignalsPerRun ? { maxSignalsPerRun: opts.maxSignalsPerRun } : {}),
    plaintext: opts.scenarios.includes('plaintext'),
  });
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) return;
    interrupted = true;
    say('interrupted: stopping everything the bench started');
    void env.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const forget = (): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };

  const has = (s: ScenarioName): boolean => opts.scenarios.includes(s);
  const profileWindows: [number, number][] = [];
  let probe: DeliveryProbe | undefined;
  try {
    await env.start(opts.concurrency);
    const ctx: BenchContext = {
      env,
      mode: opts.mode,
      concurrency: opts.concurrency,
      reps: opts.reps,
      runTag: randomBytes(3).toString('hex'),
      deadline: started + opts.budgetMinutes * 60_000,
      say,
      profileWindows,
    };
    const samples: ScaleSample[] = [];
    const perSide = opts.mode === 'quick' ? 30_000 : 120_000;

    /**
     * Runs one scenario: a failure is recorded and the run goes on, unless a process the bench started
     * has died, which ends the run (what follows would measure nothing) and keeps the logs.
     */
    const scenario = async <T>(name: string, run: () => Promise<T>): Promise<T | undefined> => {
      let value: T | undefined;
      try {
        value = await run();
      } catch (err) {
        env.keepTmp = true;
        const message = err instanceof Error ? err.message : String(err);
        results.notes.push(`${name} failed: ${message}`);
        say(`${name} failed: ${err instanceof Error ? (err.stack ?? message) : message}`);
        process.exitCode = 1;
      }
      const dead = env.deadProcesses();
      if (dead.length > 0) {
        env.keepTmp = true;
        for (const d of dead) results.notes.push(`during ${name}: ${d.split('\n')[0]}`);
        results.deaths = dead.map((d) => `during ${name}: ${d}`);
        throw new Error(`during ${name}: ${dead.map((d) => d.split(';')[0]).join(', ')}; the run stops here`);
      }
      return value;
    };

    let mqls: string[] = [];
    let plaintextMqls: string[] = [];
    if (has('delivery')) probe = await scenario('delivery', () => startDeliveryProbe(ctx));
    if (has('intake') || has('decision')) {
      const intake = await scenario('intake', () => runIntake(ctx, has('intake') ? sizes.intake : Math.min(50, sizes.intake), perSide, opts.mode === 'quick' ? 20 : 50));
      if (intake) {
        ctx.measuredIntakeRate = intake.leadflow.perSecond;
        ctx.measuredFloorRate = intake.floor.perSecond;
        mqls = intake.leadIds;
        plaintextMqls = intake.plaintextLeadIds ?? [];
        if (has('intake')) {
          const { plaintextLeadIds: _ids, ...kept } = intake;
          results.intake = { ...kept, leadIds: [], projectionLag: await projectionLag(ctx, intake.campaign) };
        }
        const started = probe;
        if (started) {
          const campaigns = { leadflow: intake.campaign, ...(intake.plaintextCampaign ? { plaintext: intake.plaintextCampaign } : {}) };
          results.delivery = await scenario('delivery', () => measureDelivery(ctx, started, campaigns, DELIVERY_DRAIN_MS[opts.mode]));
        }
      }
    }
    const unmeasured = probe;
    if (unmeasured && !results.delivery) await scenario('delivery', () => disableDeliveryEndpoint(ctx, unmeasured));
    if (has('decision')) results.decision = await scenario('decision', () => runDecisions(ctx, sizes.decision, perSide, mqls, plaintextMqls));
    if (has('scale')) samples.push(await sample(ctx));
    if (has('storm')) results.storm = await scenario('storm', () => runStorm(ctx, sizes.storm, opts.mode === 'quick' ? 45_000 : 240_000));
    if (has('sla')) {
      results.sla = [];
      for (const s of sizes.sla) {
        // The first size may shrink to what fits (and says so); a later one runs whole or not at all.
        const fallback = results.sla.length === 0;
        const r = await scenario(`SLA ${s.size}`, () =>
          runSlaTimers(ctx, s.size, s.spreadMs, s.drainMs, { reserveMs: SLA_RESERVE_MS[opts.mode], fallbackToLargestThatFits: fallback }),
        );
        if (r) results.sla.push(r);
        if (has('scale')) samples.push(await sample(ctx));
      }
    }
    if (has('scale')) {
      const growth = sizes.scaleTargets.length
        ? await scenario('scale', () => growOpenLeads(ctx, sizes.scaleTargets, has('funnel') ? sizes.funnelReserveMs : 0))
        : undefined;
      if (growth || samples.length === 0) samples.push(await sample(ctx));
      results.scale = {
        samples,
        ...(growth ? { growth } : {}),
        ...(growth ? {} : { note: 'quick mode: no growth phase; the samples are at the open-lead counts the other scenarios left behind' }),
      };
    }
    if (has('funnel')) results.funnel = await scenario('funnel', () => runFunnel(ctx, sizes.funnelEvents, sizes.funnelCalls));
    if (has('actions')) {
      // Last, and outside the budget (bounded: about a minute): it reads the leads the scenarios above left.
      const storm = results.storm;
      results.actions = await scenario('actions', () =>
        runActionsPerLead(ctx, {
          intakeLeadIds: mqls,
          ...(results.decision?.decided ? { decided: results.decision.decided } : {}),
          ...(storm ? { storm: { runs: storm.runDetails, delivered: storm.delivered, events: storm.events } } : {}),
        }),
      );
    }
  } catch (err) {
    env.keepTmp = true;
    results.notes.push(`run failed: ${err instanceof Error ? err.message : String(err)}`);
    say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  } finally {
    if (probe) await stopDeliveryProbe(probe);
    say('stopping the dev server, the worker, the API and dropping the database');
    await env.stop();
  }
  if (interrupted) return undefined;
  forget();

  results.machine.loadAverage.atEnd = os.loadavg().map((l) => Math.round(l * 100) / 100);
  results.finishedAt = new Date().toISOString();
  results.durationSeconds = Math.round((Date.now() - started) / 1000);
  if (profileDir) {
    results.profiles = summarizeProfileDir(profileDir, 20, profileWindows);
    for (const p of results.profiles) console.log(profileMarkdown(p, path.relative(profileDir, p.file)));
    say(`profiles in ${profileDir}`);
  }

  mkdirSync(opts.out, { recursive: true });
  const base = `${stamp.slice(0, 10)}${opts.mode === 'quick' ? '-quick' : ''}${opts.profile ? '-profile' : ''}${suffix}`;
  const markdown = resultsMarkdown(results);
  writeFileSync(path.join(opts.out, `${base}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(opts.out, `${base}.md`), markdown);
  console.log('');
  console.log(markdown);
  say(`results: ${path.relative(process.cwd(), path.join(opts.out, base))}.json and .md (${results.durationSeconds} s)`);
  return { results, base };
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
