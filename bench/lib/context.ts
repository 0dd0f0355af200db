import type { FillFormInput } from '../../workflows/lead.messages';
import type { BenchEnvironment } from './environment';

export type Mode = 'quick' | 'full';

/** What every scenario gets: the running system, the run's settings and a way to report progress. */
export interface BenchContext {
  env: BenchEnvironment;
  mode: Mode;
  /** Requests in flight for the closed-loop scenarios (intake, decisions, storm). */
  concurrency: number;
  /** Repetitions of the intake and decision scenarios (their figures are medians over these). */
  reps: number;
  /** Unique per run; part of every e-mail address and workflow id the run creates. */
  runTag: string;
  /** Wall-clock time (ms since epoch) by which the whole run should be over. */
  deadline: number;
  /** Leads/s the intake scenario measured (used to size the SLA scenario's deadlines). */
  measuredIntakeRate?: number;
  /** Bare signalWithStart/s the intake floor measured (used to size the floors that start many workflows). */
  measuredFloorRate?: number;
  say: (message: string) => void;
  /** CLOCK_MONOTONIC windows (µs) of the measured Leadflow phases, to cut profiles down to them. */
  profileWindows: [number, number][];
}

/** Now on CLOCK_MONOTONIC in µs: the clock V8's CPU profiles use on Linux. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export function remainingMs(ctx: BenchContext): number {
  return ctx.deadline - Date.now();
}

/** A form fill that makes an MQL at once (hand-raiser with a good fit and complete handoff data). */
export function mqlForm(email: string, campaign: string): Record<string, unknown> {
  return {
    email,
    firstName: 'Ada',
    lastName: 'Lovelace',
    phone: '+44 20 7946 0000',
    company: 'Analytical Engines Ltd',
    country: 'GB',
    productInterest: 'lead routing',
    seniority: 'vp',
    employeeCount: 1200,
    industry: 'software',
    formType: 'demo_request',
    source: { channel: 'bench', campaign },
  };
}

/** A newsletter sign-up that stays an inquiry whatever it does (student on free mail: fit below the bar). */
export function inquiryForm(email: string, campaign: string): Record<string, unknown> {
  return { email, seniority: 'student', formType: 'newsletter', source: { channel: 'bench', campaign } };
}

/** The form as the workflow's submitForm Update takes it (what the API builds from the body). */
export function asFillForm(body: Record<string, unknown>): FillFormInput {
  const { formType, source, ...profile } = body as unknown as { formType: string; source?: FillFormInput['source'] } & FillFormInput['profile'];
  return { formType, profile, ...(source ? { source } : {}) };
}
