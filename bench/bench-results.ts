import type { Mode } from './lib/context';
import type { MachineInfo } from './lib/environment';
import type { ProfileSummary } from './profile-summary';
import type { ActionsResult } from './scenarios/actions';
import type { DecisionResult } from './scenarios/decision';
import type { DeliveryResult } from './scenarios/delivery';
import type { FunnelResult } from './scenarios/funnel';
import type { IntakeResult } from './scenarios/intake';
import type { GrowthResult, projectionLag, ScaleSample } from './scenarios/scale';
import type { SlaResult } from './scenarios/sla-timers';
import type { StormResult } from './scenarios/storm';

/*
 * What a run writes to bench/results/<date>[-quick].json, shared by the runner (run.ts) and the reports
 * (report.ts, median.ts), so none of them imports another.
 */

/**
 * `plaintext` is not a scenario of its own: intake and decisions also run against Leadflow with encryption off.
 * Nor is `delivery`: a webhook endpoint and its receiver during intake, for the delivery lag.
 * `actions` reads the other scenarios' leads and drives a handful more, for the Actions per path.
 */
export const scenarioNames = ['intake', 'decision', 'storm', 'sla', 'scale', 'funnel', 'plaintext', 'delivery', 'actions'] as const;
export type ScenarioName = (typeof scenarioNames)[number];

export interface Sizes {
  intake: number;
  decision: number;
  storm: number;
  sla: { size: number; spreadMs: number; drainMs: number }[];
  scaleTargets: number[];
  funnelEvents: number;
  funnelCalls: number;
  /** Time kept for the funnel scenario when the growth phase decides how long it may run. */
  funnelReserveMs: number;
}

export interface BenchResults {
  mode: Mode;
  command: string;
  startedAt: string;
  finishedAt?: string;
  durationSeconds?: number;
  machine: MachineInfo;
  settings: {
    concurrency: number;
    reps: number;
    budgetMinutes: number;
    temporalDb: 'file' | 'memory';
    /** The dev server's per-run signal cap when lowered with --max-signals-per-run. */
    maxSignalsPerRun?: number;
    sizes: Sizes;
    scenarios: ScenarioName[];
  };
  intake?: IntakeResult & { projectionLag: Awaited<ReturnType<typeof projectionLag>> };
  /** Webhook delivery lag of the intake scenario's events (recorded → the bench's receiver answered). */
  delivery?: DeliveryResult;
  decision?: DecisionResult;
  storm?: StormResult;
  sla?: SlaResult[];
  scale?: { samples: ScaleSample[]; growth?: GrowthResult; note?: string };
  funnel?: FunnelResult;
  /** Temporal Cloud billable Actions per path of a lead, beside the bare engine's (issue 17). */
  actions?: ActionsResult;
  profiles?: ProfileSummary[];
  /** Processes the bench started that died during the run, with the last lines of their logs. */
  deaths?: string[];
  notes: string[];
}
