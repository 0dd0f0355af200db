import type { BenchResults } from './bench-results';

const fmt = (n: number | undefined, digits = 1): string =>
  n === undefined || !Number.isFinite(n) ? 'n/a' : n.toLocaleString('en-US', { maximumFractionDigits: digits });
const x = (n: number | undefined, digits = 2): string => (n === undefined || !Number.isFinite(n) ? 'n/a' : `${fmt(n, digits)}×`);

/** Leadflow beside the Temporal floor: the two ratios the issue asks for, medians over the repetitions. */
export function ratioTable(r: BenchResults): string {
  const lines = [
    `Leadflow vs the Temporal floor (${r.mode}; intake and decisions medians of ${r.settings.reps} repetitions, SLA and storm one run each; concurrency ${r.settings.concurrency}; ` +
      `${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, load ${r.machine.loadAverage.atStart.join(' ')} at start)`,
    '',
    '| scenario | metric | Leadflow | floor | ratio (Leadflow ÷ floor) |',
    '| --- | --- | ---: | ---: | ---: |',
  ];
  if (r.intake) {
    const { leadflow: l, floor: f, ratio } = r.intake;
    lines.push(
      `| 1. intake: POST /v1/leads vs signalWithStart (${r.intake.count}/rep) | throughput /s | ${fmt(l.perSecond)} | ${fmt(f.perSecond)} | ${x(ratio.perSecond)} |`,
      `| | p50 latency ms | ${fmt(l.p50Ms)} | ${fmt(f.p50Ms)} | ${x(ratio.p50)} |`,
      `| | p99 latency ms | ${fmt(l.p99Ms)} | ${fmt(f.p99Ms)} | ${x(ratio.p99)} |`,
    );
  }
  if (r.decision) {
    const { leadflow: l, floor: f, ratio } = r.decision;
    lines.push(
      `| 2. decision: accept/reject via HTTP vs executeUpdate no-op (${r.decision.count}/rep) | p50 latency ms | ${fmt(l.p50Ms)} | ${fmt(f.p50Ms)} | ${x(ratio.p50)} |`,
      `| | p99 latency ms | ${fmt(l.p99Ms)} | ${fmt(f.p99Ms)} | ${x(ratio.p99)} |`,
      `| | throughput /s | ${fmt(l.perSecond)} | ${fmt(f.perSecond)} | ${x(ratio.perSecond)} |`,
    );
  }
  for (const s of r.sla ?? []) {
    if (!s.floor || !s.firedLatenessMs) continue;
    lines.push(
      `| 3. SLA breach vs bare timer (${fmt(s.size, 0)} deadlines over ${fmt(s.dueSpreadSeconds, 0)} s) | fired − due p50 ms | ${fmt(s.firedLatenessMs.p50, 0)} | ${fmt(s.floor.firedLatenessMs.p50, 0)} | ${x(s.ratio?.p50)} |`,
      `| | fired − due p99 ms | ${fmt(s.firedLatenessMs.p99, 0)} | ${fmt(s.floor.firedLatenessMs.p99, 0)} | ${x(s.ratio?.p99)} |`,
    );
  }
  if (r.storm?.floor) {
    const s = r.storm;
    const f = s.floor!;
    lines.push(
      `| 4. storm: POST engagement vs bare signal (${fmt(s.events, 0)} to one lead) | accepted /s | ${fmt(s.acceptedPerSecond)} | ${fmt(f.perSecond)} | ${x(s.ratio?.perSecond)} |`,
      `| | p50 latency ms | ${fmt(s.sendP50Ms)} | ${fmt(f.p50Ms)} | ${x(s.ratio?.p50)} |`,
    );
  }
  if (!r.intake && !r.decision && !r.sla?.length && !r.storm) lines.push('| (no scenario with a floor was run) | | | | |');
  return lines.join('\n');
}

/**
 * What encryption costs: Leadflow as production runs it (payloads encrypted) and with encryption off
 * (the bench's plaintext pair), each beside the same floor in the same repetitions. Empty without it.
 */
export function encryptionTable(r: BenchResults): string {
  type Result = NonNullable<BenchResults['intake'] | BenchResults['decision']>;
  type Metric = { label: string; side: 'perSecond' | 'p50Ms' | 'p99Ms'; ratio: 'perSecond' | 'p50' | 'p99' };
  const perSecond: Metric = { label: 'throughput /s', side: 'perSecond', ratio: 'perSecond' };
  const p50: Metric = { label: 'p50 latency ms', side: 'p50Ms', ratio: 'p50' };
  const p99: Metric = { label: 'p99 latency ms', side: 'p99Ms', ratio: 'p99' };
  const rowsOf = (name: string, result: Result | undefined, metrics: Metric[]): string[] => {
    const off = result?.plaintext;
    if (!result || !off || !result.encryptionCost) return [];
    return metrics.map(
      (m, k) =>
        `| ${k === 0 ? `${name} (${result.count}/rep)` : ''} | ${m.label} | ${fmt(result.leadflow[m.side])} | ${fmt(off[m.side])} | ${fmt(result.floor[m.side])} | ` +
        `${x(result.ratio[m.ratio])} | ${x(off.ratio[m.ratio])} | ${x(result.encryptionCost![m.ratio])} | ${x(result.encryptionCostPaired?.[m.ratio])} ` +
        `(${result.reps.map((p) => x(p.encryptionCost?.[m.ratio])).join(', ')}) |`,
    );
  };
  const i = r.intake;
  const d = r.decision;
  const rows = [...rowsOf('1. intake', i, [perSecond, p50, p99]), ...rowsOf('2. decision', d, [p50, p99, perSecond])];
  if (rows.length === 0) return '';
  const cpu = (label: string, k: 'worker' | 'api' | 'temporal' | 'postgres'): string | undefined => {
    const parts = [
      i?.cpuPerOp?.plaintext ? `per form fill ${fmt(i.cpuPerOp.leadflow[k], 1)} on, ${fmt(i.cpuPerOp.plaintext[k], 1)} off` : undefined,
      d?.cpuPerOp?.plaintext ? `per decision ${fmt(d.cpuPerOp.leadflow[k], 1)} on, ${fmt(d.cpuPerOp.plaintext[k], 1)} off` : undefined,
    ].filter((p) => p !== undefined);
    return parts.length ? `${label} ${parts.join('; ')}` : undefined;
  };
  const cpuLines = [cpu('lead worker', 'worker'), cpu('API', 'api'), cpu('Temporal dev server', 'temporal'), cpu('PostgreSQL backends', 'postgres')].filter((l) => l !== undefined);
  const perRep = (result: Result, pick: (f: { perSecond: number; p50Ms: number }) => number): string =>
    result.reps.map((p) => (p.plaintext ? `${fmt(pick(p.leadflow))} / ${fmt(pick(p.plaintext))}` : 'n/a')).join(', ');
  return [
    `Encryption cost (medians of ${r.settings.reps} repetitions): "on" is Leadflow as production runs it, every Temporal payload AES-256-GCM encrypted with its lead's key and failure text encoded; ` +
      '"off" is the same worker and API factories with Temporal\'s default data converter (bench/plaintext-worker.ts, bench/plaintext-api.ts: no payload codec, failure text in clear). ' +
      'Both seal the personal fields of lead_events, so each lead gets its data key either way. The three sides take turns in each repetition, on the same server and database. ' +
      '"on ÷ off" divides the medians; "paired" is the median of each repetition\'s own on ÷ off (each in brackets), which load changing between repetitions moves less.',
    '',
    '| scenario | metric | encryption on | encryption off | floor | on ÷ floor | off ÷ floor | on ÷ off | on ÷ off paired (each repetition) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    ...(cpuLines.length
      ? [
          `CPU ms (medians over the repetitions): ${cpuLines.join('. ')}.` +
            (r.delivery ? ' With the webhook endpoint of "Webhook delivery" on, the lead worker "on" also runs its dispatcher: see there for what that adds.' : ''),
          '',
        ]
      : []),
    ...(i?.plaintext ? [`Intake per repetition (on / off, leads/s): ${perRep(i, (f) => f.perSecond)}.`] : []),
    ...(d?.plaintext ? [`Decisions per repetition (on / off, p50 ms): ${perRep(d, (f) => f.p50Ms)}.`] : []),
  ].join('\n');
}

/** The webhook delivery lag of the intake scenario's events, beside the intake figures. Empty without it. */
export function deliveryMarkdown(r: BenchResults): string {
  const d = r.delivery;
  if (!d) return '';
  type Figures = NonNullable<BenchResults['delivery']>['all'];
  const l = (v: Figures['lag']): string => `${fmt(v.p50Ms, 0)} / ${fmt(v.p99Ms, 0)} / ${fmt(v.maxMs, 0)}`;
  const row = (label: string, f: Figures): string =>
    `| ${label} | ${fmt(f.delivered, 0)} / ${fmt(f.recorded, 0)} | ${l(f.lag)} | ${l(f.untilVisible)} | ${l(f.visibleToAttempt)} | ${l(f.attempt)} |`;
  const cpu = r.intake?.cpuPerOp;
  const deliveryCpu = cpu?.plaintext?.otherWorker;
  const h = d.handBacks;
  const v = d.visibility;
  const lines = [
    `Webhook delivery during intake: one endpoint (${d.eventTypes.join(', ')}) created through the API before the intake scenario, its dispatcher on the production worker's ` +
      'task queue; a receiver in the bench process (node:http on 127.0.0.1) verifies every signature with `standardwebhooks` and answers 204. ' +
      'Lag = the receiver answered − `lead_events.recorded_at` (the recording transaction\'s start), per event, nearest rank, every event of the scenario\'s leads (warm-up included). ' +
      `"Visible" is when the bench, polling the outbox's rule every ${v.pollMs} ms, first saw the row (at most one poll late). ` +
      'The plaintext pair writes to the same outbox, so the same dispatcher delivers its events too.',
    '',
    '| leads | delivered / recorded | lag p50 / p99 / max ms | recorded → visible | visible → attempt began | attempt → answered |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    row('encryption on (production\'s API and worker)', d.leadflow),
    ...(d.plaintext ? [row('encryption off (the plaintext pair)', d.plaintext)] : []),
    ...(d.plaintext ? [row('all', d.all)] : []),
    '',
    `Signature failures: ${d.signatureFailures}${d.signatureFailureSamples.length ? ` (${d.signatureFailureSamples.join('; ')})` : ''}. ` +
      `Repeated deliveries: ${d.duplicates}. Out of seq order: ${d.outOfOrder}. Failed attempts: ${d.failedAttempts}. ` +
      `${d.drained ? 'Every recorded event arrived' : `**Not every event arrived** (gave up after ${fmt(d.drainWaitMs / 1000)} s)`}; the last one ${fmt(d.lastRecordedToLastDeliveredMs, 0)} ms after the last was recorded` +
      ` (waited ${fmt(d.drainWaitMs / 1000)} s after the intake scenario). The endpoint was then disabled, so later scenarios deliver nothing.`,
    '',
    `Bursts: the dispatcher sent in ${fmt(d.queueing.bursts, 0)} bursts (attempts less than 100 ms apart) of ${l(d.queueing.burstSize)} events, one at a time, ` +
      `${l(d.queueing.perEventMs)} ms apart (reading and folding the page, the POST, logging the attempt). Of "visible → attempt began": visible → its burst's first attempt ` +
      `${l(d.queueing.untilBurst)} ms (waiting for the dispatcher to read again: its 250 ms idle poll, a page still being sent, a hand-back; a lower bound), ` +
      `then behind the events before it in the burst ${l(d.queueing.withinBurst)} ms.`,
    '',
    (h
      ? `Hand-backs: the dispatcher ran ${h.activities} \`deliverPending\` activities (each ${l(h.runMs)} ms); between two, while it handed back to its workflow, nothing was sent for ` +
        `${l(h.gapMs)} ms (p50 / p99 / max; ${fmt(h.share * 100, 1)} % of the time). ${h.waitedThroughGap.events} events waited through such a gap: lag ${l(h.waitedThroughGap.lag)} ms; ` +
        `the ${h.withinActivity.events} others: ${l(h.withinActivity.lag)} ms. `
      : 'Hand-backs: the dispatcher\'s history could not be read. ') +
      `Visibility: at ${fmt(v.heldByOtherDatabase, 0)} of ${fmt(v.polls, 0)} polls the oldest running transaction on the PostgreSQL server, which holds every newer event back, was another database's` +
      `${v.heldByOtherDatabase ? ` (the longest had run ${fmt(v.longestOtherDatabaseXactMs, 0)} ms)` : ''}.`,
  ];
  if (deliveryCpu !== undefined && cpu) {
    lines.push(
      '',
      `Delivery CPU: while the plaintext side ran, production's lead worker (idle for leads then, its dispatcher delivering that side's events) spent ${fmt(deliveryCpu, 1)} ms ` +
        `per form fill (the plaintext worker, idle while production's side ran: ${fmt(cpu.leadflow.otherWorker, 1)} ms). Production's worker does the same for its own leads inside its ` +
        `${fmt(cpu.leadflow.worker, 1)} ms per form fill, probably for a little less (their data keys are in its cache; the plaintext pair's it reads from \`data_keys\`), ` +
        `so the worker's on − off above (${fmt(cpu.leadflow.worker - cpu.plaintext!.worker, 1)} ms) is encryption plus most of that: \`--skip delivery\` measures encryption alone.`,
    );
  }
  return lines.join('\n');
}

/**
 * Temporal Cloud billable Actions per path of a lead, the bare engine's beside each (issue 17): counted
 * from the leads' own histories with bench/lib/billable-actions.ts. Empty without the scenario.
 */
export function actionsTable(r: BenchResults): string {
  const a = r.actions;
  if (!a) return '';
  const types = (byType: Record<string, number>): string =>
    Object.entries(byType)
      .filter(([, n]) => n > 0)
      .map(([t, n]) => `${t} ${fmt(n, 1)}`)
      .join(', ');
  return [
    'Temporal Cloud Actions per path (as Temporal Cloud bills them, counted from the histories of this run\'s leads by bench/lib/billable-actions.ts; ' +
      'medians; a Query, an activity heartbeat or a rejected Update is an Action too but is in no history, and none is on these paths):',
    '',
    '| path | Leadflow | floor | ratio | Leadflow by type | from | floor is |',
    '| --- | ---: | ---: | ---: | --- | --- | --- |',
    ...a.paths.map(
      (p) =>
        `| ${p.path} | ${fmt(p.leadflow, 2)} | ${fmt(p.floor, 0)} | ${p.leadflow !== undefined && p.floor ? x(p.leadflow / p.floor, 1) : 'n/a'} | ${types(p.byType)} | ` +
        `${p.source}${p.samples.length > 1 ? ` (each: ${p.samples.join(', ')})` : ''} | ${p.floorSource} |`,
    ),
    '',
    ...(a.notes.length ? [`Notes: ${a.notes.join('; ')}.`, ''] : []),
    `(${fmt(a.seconds, 0)} s, bounded: the paths the other scenarios do not run were driven here on a few leads each.)`,
  ].join('\n');
}

/** Every scenario's figures as markdown: what `bench/results/<date>.md` holds and the run prints. */
export function resultsMarkdown(r: BenchResults): string {
  const out: string[] = [
    `# Leadflow bench, ${r.mode} mode, ${r.startedAt}`,
    '',
    `Command: \`${r.command}\`. Machine: ${r.machine.cores} cores (${r.machine.cpuModel}), ${r.machine.memoryGiB} GiB, ` +
      `${r.machine.platform}, Node ${r.machine.node}, PostgreSQL ${r.machine.postgres}, ${r.machine.temporalCli.split('\n')[0]}. ` +
      `Load average at start ${r.machine.loadAverage.atStart.join(' ')}, at end ${r.machine.loadAverage.atEnd?.join(' ') ?? 'n/a'}. ` +
      `Run time ${r.durationSeconds ?? 'n/a'} s.`,
    '',
    ratioTable(r),
    '',
  ];
  const actions = actionsTable(r);
  if (actions) out.push(actions, '');
  const encryption = encryptionTable(r);
  if (encryption) out.push(encryption, '');
  const cpuRows = (['temporal', 'worker', 'api', 'postgres', 'floorWorker', 'bench'] as const).map((k) => {
    const label = { temporal: 'Temporal dev server', worker: 'lead worker', api: 'API', postgres: 'PostgreSQL backends', floorWorker: 'floor worker', bench: 'bench client' }[k];
    return `| ${label} | ${fmt(r.intake?.cpuPerOp?.leadflow[k], 2)} | ${fmt(r.intake?.cpuPerOp?.floor[k], 2)} | ${fmt(r.decision?.cpuPerOp?.leadflow[k], 2)} | ${fmt(r.decision?.cpuPerOp?.floor[k], 2)} |`;
  });
  if (r.intake?.cpuPerOp || r.decision?.cpuPerOp) {
    out.push(
      'CPU ms per operation by process (from /proc; medians over the repetitions; the Leadflow intake side includes the background work that follows each form fill):',
      '',
      '| process | intake Leadflow | intake floor | decision Leadflow | decision floor |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...cpuRows,
      '',
    );
  }
  const b = r.intake?.breakdown;
  if (b) {
    out.push(
      `Server-side span of one form fill (median of ${b.leads} leads' histories, WorkflowExecutionStarted → UpdateCompleted): ${fmt(b.serverSpanMs, 0)} ms = ` +
        `workflow tasks waiting in the task queue ${fmt(b.workflowTaskQueueMs, 0)} ms + running ${fmt(b.workflowTaskRunMs, 0)} ms (${b.workflowTasks} tasks), ` +
        `activities waiting ${fmt(b.activityQueueMs, 0)} ms + running ${fmt(b.activityRunMs, 0)} ms (${b.activities} activities), plus the gaps between them. ` +
        `Once settled, a new MQL's history holds ${fmt(b.settled.historyEvents, 0)} events: ${fmt(b.settled.workflowTasks, 0)} workflow tasks and activities ` +
        `${Object.entries(b.settled.activities).map(([t, n]) => `${t} ×${n}`).join(', ')} (the floor's empty workflow: one workflow task, no activity)` +
        `${b.settled.actions !== undefined ? `, and ${fmt(b.settled.actions, 0)} Temporal Cloud Actions (the floor's signalWithStart: 1)` : ''}.`,
      '',
    );
  }
  if (r.intake) {
    out.push(
      `Intake per repetition (Leadflow / floor, leads/s; errors): ${r.intake.reps
        .map((p) => `${fmt(p.leadflow.perSecond)} / ${fmt(p.floor.perSecond)} (${p.leadflow.errors}; ${p.floor.errors})`)
        .join(', ')}. Leadflow finished its background work (owner assignment) ${r.intake.reps.map((p) => `${fmt((p.settleMs ?? 0) / 1000)} s`).join(', ')} after the last answer. ` +
        `Projection lag of the intake leads' events (recorded_at − occurred_at): p50 ${fmt(r.intake.projectionLag.p50Ms, 0)} ms, p99 ${fmt(r.intake.projectionLag.p99Ms, 0)} ms over ${r.intake.projectionLag.events} events.`,
      '',
    );
  }
  const delivery = deliveryMarkdown(r);
  if (delivery) out.push(delivery, '');
  if (r.decision) {
    out.push(
      `Decisions per repetition (Leadflow / floor, p50 ms): ${r.decision.reps.map((p) => `${fmt(p.leadflow.p50Ms)} / ${fmt(p.floor.p50Ms)}`).join(', ')}. ` +
        `Read model already showing the decision right after its answer: ${r.decision.projectedBeforeAnswer.ok} of ${r.decision.projectedBeforeAnswer.checked} sampled.`,
      '',
    );
  }
  if (r.sla) {
    out.push(
      '## 3. SLA timers at scale',
      '',
      '| open MQLs | status | created (leads/s) | due spread s | breaches | fired − due p50 / p99 / max ms | recorded − due p50 / p99 / max ms | early | floor: fired − due p50 / p99 / max ms | ratio p50 / p99 / max |',
      '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const s of r.sla) {
      if (s.status === 'skipped') {
        out.push(`| ${fmt(s.size, 0)} | ${s.note ?? 'skipped'} | | | | | | | | |`);
        continue;
      }
      const l = (v?: { p50: number; p99: number; max: number }) => (v ? `${fmt(v.p50, 0)} / ${fmt(v.p99, 0)} / ${fmt(v.max, 0)}` : 'n/a');
      out.push(
        `| ${fmt(s.size, 0)} | ${s.status}${s.note ? ` (${s.note})` : ''}${s.clampedWindows ? `; ${s.clampedWindows} windows raised to 15 s` : ''} | ${fmt(s.created, 0)} (${fmt(s.createRate)}) | ${fmt(s.dueSpreadSeconds, 0)} | ${fmt(s.breaches, 0)} | ${l(s.firedLatenessMs)} | ${l(s.recordedLatenessMs)} | ${s.early ?? 'n/a'} | ${l(s.floor?.firedLatenessMs)} | ${s.ratio ? `${x(s.ratio.p50)} / ${x(s.ratio.p99)} / ${x(s.ratio.max)}` : 'n/a'} |`,
      );
    }
    out.push('');
    const floors = r.sla.filter((s) => s.floor);
    if (floors.length > 0) {
      out.push(
        `Floor: as many bare workflows that only sleep until their deadline, started from the same client after the Leadflow side had drained, deadlines over the same spread; ` +
          floors
            .map((s) => `${fmt(s.floor!.fired, 0)} of ${fmt(s.floor!.started, 0)} fired (${s.floor!.status}; started at ${fmt(s.floor!.startRate)}/s, spread ${fmt(s.floor!.dueSpreadSeconds, 0)} s, ${s.floor!.early} early${s.floor!.clampedWindows ? `, ${s.floor!.clampedWindows} windows raised to 15 s` : ''})`)
            .join('; ') +
          '. Ratios divide by at least 1 ms.',
        '',
      );
    }
  }
  if (r.storm) {
    const s = r.storm;
    out.push(
      '## 4. Engagement storm (one lead)',
      '',
      '| events | status | sent /s (p50 / p99 ms) | projected events/s | runs | max history length | final state |',
      '| ---: | --- | ---: | ---: | ---: | ---: | --- |',
      `| ${fmt(s.events, 0)} | ${s.status}${s.sendErrors ? ` (${s.sendErrors} requests failed: ${s.sendErrorSamples[0] ?? ''})` : ''} | ${fmt(s.acceptedPerSecond)} (${fmt(s.sendP50Ms)} / ${fmt(s.sendP99Ms)}) | ${fmt(s.eventsPerSecond)} | ${s.runs} | ${fmt(s.maxHistoryLength, 0)} | ${s.finalState.correct ? `correct (all ${fmt(s.delivered, 0)} accepted events, once each)` : `WRONG: ${JSON.stringify(s.finalState.checks)}`} |`,
      '',
      `Runs: ${s.runDetails.map((d) => `${d.status} ${fmt(d.historyLength, 0)} events (${fmt(d.signals, 0)} signals${d.workflowTasksFailed ? `, ${d.workflowTasksFailed} workflow tasks failed` : ''}${d.firstFailure ? `: ${d.firstFailure}` : ''}${d.workflowTasksTimedOut ? `, ${d.workflowTasksTimedOut} timed out` : ''})`).join('; ')}.`,
      '',
    );
    if (s.floor) {
      const f = s.floor;
      out.push(
        `Floor: ${fmt(f.signals, 0)} bare signals from the client to one workflow that counts them (continue-as-new at the same history bound): ` +
          `${fmt(f.accepted, 0)} accepted at ${fmt(f.perSecond)}/s (p50 ${fmt(f.p50Ms)} ms, p99 ${fmt(f.p99Ms)} ms)${f.errors ? `, ${fmt(f.errors, 0)} refused (${f.errorSamples[0] ?? ''})` : ''}; ` +
          `${f.runs} runs, longest history ${fmt(f.maxHistoryLength, 0)} events; count ${f.countCorrect ? 'correct' : `WRONG (${f.counted ?? 'n/a'} counted)`}. ` +
          `${f.workerDied ? `**The floor worker died:** ${f.workerDied} (started again for the rest of the run). ` : ''}` +
          `Ratio Leadflow ÷ floor: throughput ${x(s.ratio?.perSecond)}, p50 ${x(s.ratio?.p50)}, p99 ${x(s.ratio?.p99)}.`,
        '',
      );
    }
    const refused = Object.entries(s.refusedBy ?? {});
    if (refused.length > 0) {
      out.push(
        `Refused requests by answer: ${refused.map(([k, n]) => `${fmt(n, 0)} × ${k}`).join('; ')}` +
          `${s.maybeApplied ? ` (${fmt(s.maybeApplied, 0)} answered "may still be applied": the checks accept their event once or not at all)` : ''}.`,
        '',
      );
    }
  }
  if (r.scale) {
    out.push(
      '## 5. Scale',
      '',
      '| open leads | lead events | worker RSS MiB | API RSS MiB | Temporal server RSS MiB | Temporal DB MiB | PostgreSQL DB MiB |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    const rows = r.scale.growth ? [...r.scale.samples.slice(0, -1), ...r.scale.growth.checkpoints] : r.scale.samples;
    for (const s of rows) {
      out.push(`| ${fmt(s.openLeads, 0)} | ${fmt(s.leadEvents, 0)} | ${fmt(s.workerRssMiB, 0)} | ${fmt(s.apiRssMiB, 0)} | ${fmt(s.temporalServerRssMiB, 0)} | ${fmt(s.temporalDbMiB)} | ${fmt(s.postgresDbMiB)} |`);
    }
    out.push('');
    if (r.scale.note) out.push(`${r.scale.note}.`, '');
    const g = r.scale.growth;
    if (g) {
      out.push(
        `Growth: ${fmt(g.created, 0)} inquiry leads at ${fmt(g.createRate)} leads/s (${g.errors} errors); targets reached: ${g.reached.map((t) => fmt(t, 0)).join(', ') || 'none'}` +
          `${g.notReached.length ? `; NOT reached: ${g.notReached.map((n) => `${fmt(n.target, 0)} (${n.reason})`).join(', ')}` : ''}. ` +
          `Projection lag during this sustained intake: p50 ${fmt(g.projectionLag.p50Ms, 0)} ms, p99 ${fmt(g.projectionLag.p99Ms, 0)} ms, max ${fmt(g.projectionLag.maxMs, 0)} ms over ${fmt(g.projectionLag.events, 0)} events.`,
        '',
      );
    }
  }
  if (r.funnel) {
    const f = r.funnel;
    out.push(
      '## 5. Funnel report',
      '',
      f.status === 'measured'
        ? `GET /v1/reports/funnel over ${fmt(f.leadEvents, 0)} lead events (${fmt(f.syntheticLeads, 0)} synthetic leads inserted in ${fmt(f.insertSeconds)} s): ` +
            `p50 ${fmt(f.p50Ms)} ms, p99 ${fmt(f.p99Ms)} ms, max ${fmt(f.maxMs)} ms over ${f.calls} calls.`
        : `GET /v1/reports/funnel (target ${fmt(f.targetEvents, 0)} events): ${f.status}: ${f.note ?? ''}`,
      '',
    );
  }
  if (r.profiles?.length) out.push(`Profiles: ${r.profiles.map((p) => p.file).join(', ')}.`, '');
  if (r.notes.length) out.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  if (r.deaths?.length) out.push('## Processes that died', '', ...r.deaths.map((d) => ['```', d, '```', ''].join('\n')), '');
  return out.join('\n');
}
