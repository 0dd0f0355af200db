import type { BenchResults } from './bench-results';
import { median, round } from './lib/stats';

/** One figure of a run, read from its results (undefined when that run did not measure it). */
interface Figure {
  label: string;
  unit: string;
  get: (r: BenchResults) => number | undefined;
}

const sla = (r: BenchResults) => r.sla?.find((s) => s.status !== 'skipped');
const lastSample = (r: BenchResults) => {
  const samples = r.scale ? [...r.scale.samples, ...(r.scale.growth?.checkpoints ?? [])] : [];
  return samples.reduce<(typeof samples)[number] | undefined>((best, s) => (!best || s.openLeads > best.openLeads ? s : best), undefined);
};

const actionsOf = (r: BenchResults, path: string): number | undefined => r.actions?.paths.find((p) => p.path.startsWith(path))?.leadflow;

/** The figures the issue asks for, in the order of its scenarios. */
export const FIGURES: Figure[] = [
  { label: '1. intake throughput, Leadflow', unit: 'leads/s', get: (r) => r.intake?.leadflow.perSecond },
  { label: '1. intake throughput, floor', unit: '/s', get: (r) => r.intake?.floor.perSecond },
  { label: '1. intake throughput ratio', unit: '×', get: (r) => r.intake?.ratio.perSecond },
  { label: '1. intake p50 ratio', unit: '×', get: (r) => r.intake?.ratio.p50 },
  { label: '1. intake p99 ratio', unit: '×', get: (r) => r.intake?.ratio.p99 },
  { label: '1. intake p50, Leadflow', unit: 'ms', get: (r) => r.intake?.leadflow.p50Ms },
  { label: '1. dev server CPU per form fill', unit: 'ms', get: (r) => r.intake?.cpuPerOp?.leadflow.temporal },
  { label: '1. lead worker CPU per form fill', unit: 'ms', get: (r) => r.intake?.cpuPerOp?.leadflow.worker },
  { label: '1. intake throughput ratio, encryption off', unit: '×', get: (r) => r.intake?.plaintext?.ratio.perSecond },
  { label: '1. intake p50 ratio, encryption off', unit: '×', get: (r) => r.intake?.plaintext?.ratio.p50 },
  { label: '1. intake p99 ratio, encryption off', unit: '×', get: (r) => r.intake?.plaintext?.ratio.p99 },
  { label: '1. encryption cost, intake throughput (on ÷ off)', unit: '×', get: (r) => r.intake?.encryptionCost?.perSecond },
  { label: '1. encryption cost, intake p50 (on ÷ off)', unit: '×', get: (r) => r.intake?.encryptionCost?.p50 },
  { label: '1. encryption cost, intake p99 (on ÷ off)', unit: '×', get: (r) => r.intake?.encryptionCost?.p99 },
  { label: '1. encryption cost, intake throughput, paired', unit: '×', get: (r) => r.intake?.encryptionCostPaired?.perSecond },
  { label: '1. encryption cost, intake p50, paired', unit: '×', get: (r) => r.intake?.encryptionCostPaired?.p50 },
  { label: '1. encryption cost, intake p99, paired', unit: '×', get: (r) => r.intake?.encryptionCostPaired?.p99 },
  { label: '1. lead worker CPU per form fill, encryption off', unit: 'ms', get: (r) => r.intake?.cpuPerOp?.plaintext?.worker },
  { label: '1. API CPU per form fill, encryption on', unit: 'ms', get: (r) => (r.intake?.cpuPerOp?.plaintext ? r.intake.cpuPerOp.leadflow.api : undefined) },
  { label: '1. API CPU per form fill, encryption off', unit: 'ms', get: (r) => r.intake?.cpuPerOp?.plaintext?.api },
  { label: '1. webhook delivery lag p50 (recorded → receiver answered)', unit: 'ms', get: (r) => r.delivery?.all.lag.p50Ms },
  { label: '1. webhook delivery lag p99', unit: 'ms', get: (r) => r.delivery?.all.lag.p99Ms },
  { label: '1. webhook delivery lag max', unit: 'ms', get: (r) => r.delivery?.all.lag.maxMs },
  { label: '1. webhook events delivered ÷ recorded', unit: '', get: (r) => (r.delivery ? r.delivery.all.delivered / Math.max(1, r.delivery.all.recorded) : undefined) },
  { label: '1. webhook signature failures', unit: '', get: (r) => r.delivery?.signatureFailures },
  { label: '1. webhook delivery CPU, production worker per plaintext form fill', unit: 'ms', get: (r) => (r.delivery ? r.intake?.cpuPerOp?.plaintext?.otherWorker : undefined) },
  { label: '2. decision p50 ratio', unit: '×', get: (r) => r.decision?.ratio.p50 },
  { label: '2. decision p99 ratio', unit: '×', get: (r) => r.decision?.ratio.p99 },
  { label: '2. decision p50, Leadflow', unit: 'ms', get: (r) => r.decision?.leadflow.p50Ms },
  { label: '2. decision p50 ratio, encryption off', unit: '×', get: (r) => r.decision?.plaintext?.ratio.p50 },
  { label: '2. decision p99 ratio, encryption off', unit: '×', get: (r) => r.decision?.plaintext?.ratio.p99 },
  { label: '2. encryption cost, decision p50 (on ÷ off)', unit: '×', get: (r) => r.decision?.encryptionCost?.p50 },
  { label: '2. encryption cost, decision p99 (on ÷ off)', unit: '×', get: (r) => r.decision?.encryptionCost?.p99 },
  { label: '2. encryption cost, decision p50, paired', unit: '×', get: (r) => r.decision?.encryptionCostPaired?.p50 },
  { label: '2. encryption cost, decision p99, paired', unit: '×', get: (r) => r.decision?.encryptionCostPaired?.p99 },
  { label: '3. SLA open MQLs', unit: 'leads', get: (r) => sla(r)?.size },
  { label: '3. SLA fired − due p50, Leadflow', unit: 'ms', get: (r) => sla(r)?.firedLatenessMs?.p50 },
  { label: '3. SLA fired − due p99, Leadflow', unit: 'ms', get: (r) => sla(r)?.firedLatenessMs?.p99 },
  { label: '3. SLA fired − due max, Leadflow', unit: 'ms', get: (r) => sla(r)?.firedLatenessMs?.max },
  { label: '3. SLA fired − due p50, floor', unit: 'ms', get: (r) => sla(r)?.floor?.firedLatenessMs.p50 },
  { label: '3. SLA fired − due p99, floor', unit: 'ms', get: (r) => sla(r)?.floor?.firedLatenessMs.p99 },
  { label: '3. SLA breaches early', unit: '', get: (r) => sla(r)?.early },
  { label: '4. storm accepted, Leadflow', unit: '/s', get: (r) => r.storm?.acceptedPerSecond },
  { label: '4. storm accepted, floor', unit: '/s', get: (r) => r.storm?.floor?.perSecond },
  { label: '4. storm throughput ratio', unit: '×', get: (r) => r.storm?.ratio?.perSecond },
  { label: '4. storm events projected', unit: '/s', get: (r) => r.storm?.eventsPerSecond },
  { label: '4. storm longest history', unit: 'events', get: (r) => r.storm?.maxHistoryLength },
  { label: '4. storm final state correct', unit: '1 = yes', get: (r) => (r.storm ? Number(r.storm.finalState.correct) : undefined) },
  { label: '5. open leads at the last sample', unit: 'leads', get: (r) => lastSample(r)?.openLeads },
  { label: '5. worker RSS at the last sample', unit: 'MiB', get: (r) => lastSample(r)?.workerRssMiB },
  { label: '5. Temporal DB at the last sample', unit: 'MiB', get: (r) => lastSample(r)?.temporalDbMiB },
  { label: '5. projection lag p99 during intake', unit: 'ms', get: (r) => r.scale?.growth?.projectionLag.p99Ms ?? r.intake?.projectionLag.p99Ms },
  { label: '5. funnel report p50', unit: 'ms', get: (r) => (r.funnel?.status === 'measured' ? r.funnel.p50Ms : undefined) },
  { label: '6. Temporal Cloud Actions per new MQL', unit: 'Actions', get: (r) => actionsOf(r, 'new MQL') },
  { label: '6. Temporal Cloud Actions per journey to won', unit: 'Actions', get: (r) => actionsOf(r, 'full journey to won') },
];

/** Whole-run medians: each figure's median over the runs that measured it, beside every run's value. */
export function medianMarkdown(runs: BenchResults[], files: string[]): string {
  const fmt = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '–' : round(n, 2).toLocaleString('en-US'));
  const lines = [
    `# Leadflow bench: medians of ${runs.length} whole runs`,
    '',
    `Runs: ${runs.map((r, i) => `${files[i] ?? `run ${i + 1}`} (${r.mode}, ${r.startedAt}, load ${r.machine.loadAverage.atStart[0]} at start, ${r.durationSeconds ?? 'n/a'} s)`).join('; ')}.`,
    `Machine: ${runs[0]?.machine.cores} cores (${runs[0]?.machine.cpuModel}), ${runs[0]?.machine.memoryGiB} GiB, Node ${runs[0]?.machine.node}.`,
    '',
    `| figure | unit | median | ${runs.map((_, i) => `run ${i + 1}`).join(' | ')} |`,
    `| --- | --- | ---: | ${runs.map(() => '---:').join(' | ')} |`,
  ];
  for (const f of FIGURES) {
    const values = runs.map(f.get);
    const present = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (present.length === 0) continue;
    lines.push(`| ${f.label} | ${f.unit} | **${fmt(median(present))}** | ${values.map(fmt).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

export function medianJson(runs: BenchResults[]): Record<string, { unit: string; median: number; values: (number | null)[] }> {
  const out: Record<string, { unit: string; median: number; values: (number | null)[] }> = {};
  for (const f of FIGURES) {
    const values = runs.map(f.get);
    const present = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (present.length > 0) out[f.label] = { unit: f.unit, median: median(present), values: values.map((v) => v ?? null) };
  }
  return out;
}
