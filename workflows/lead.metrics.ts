import type { MetricCounter, MetricHistogram } from '@temporalio/common';
import { metricMeter } from '@temporalio/workflow';
import type { TimerCommand } from '../domain/lead-decider';
import type { LeadStage } from '../domain/lead-events';

/** The worker's Prometheus names of the lead's timer metrics (README, "Worker metrics"). */
export const SLA_TIMERS_ARMED = 'leadflow_sla_timers_armed_total';
export const SLA_TIMERS_FIRED = 'leadflow_sla_timers_fired_total';
export const SLA_TIMER_FIRE_DELAY = 'leadflow_sla_timer_fire_delay_ms';

/** The `kind` label of each timer the lead waits for. */
export const TIMER_KIND: Record<TimerCommand, string> = {
  SendSlaReminder: 'reminder',
  BreachSla: 'breach',
  Reevaluate: 'cool_off',
  DecayEngagement: 'decay',
};

export interface LeadTimer {
  at: string;
  command: TimerCommand;
}

/**
 * Counts the lead's timers as they are armed and as they fire, through the SDK's workflow metric meter:
 * it emits nothing while the workflow replays (a cache miss, a worker restart), so a replayed lead does
 * not count its timers again, and it adds nothing to the history (no command, no marker), so it needs no
 * `patched`. It never decides anything: the workflow behaves the same with metrics on or off.
 *
 * Labels are `kind` (reminder, breach, cool_off, decay) and `stage` (the lead's stage when the timer was
 * armed or fired), plus the namespace, task queue and workflow type the SDK adds: never a lead id, an
 * owner or anything about the person.
 */
export class LeadTimerMetrics {
  private readonly armedCounter: MetricCounter;
  private readonly firedCounter: MetricCounter;
  private readonly fireDelay: MetricHistogram;
  /** The timer last counted as armed (`command@at`): the loop waits on it again after every message. */
  private armedKey: string | undefined;

  /** `alreadyArmed`: the timer a continued run inherits, counted by the run that armed it. */
  constructor(alreadyArmed?: LeadTimer) {
    this.armedCounter = metricMeter.createCounter(SLA_TIMERS_ARMED, 'timers', "Lead timers armed (each deadline once), by kind and stage");
    this.firedCounter = metricMeter.createCounter(SLA_TIMERS_FIRED, 'timers', 'Lead timers that fell due and were acted on, by kind and stage');
    this.fireDelay = metricMeter.createHistogram(
      SLA_TIMER_FIRE_DELAY,
      'int',
      'ms',
      'How long after its deadline a lead timer was acted on (workflow task start minus deadline)',
    );
    this.armedKey = alreadyArmed && keyOf(alreadyArmed);
  }

  /** The lead now waits for `timer`: counted once per deadline, however often the wait is re-armed. */
  armed(timer: LeadTimer | undefined, stage: LeadStage): void {
    if (!timer) return;
    const key = keyOf(timer);
    if (key === this.armedKey) return;
    this.armedKey = key;
    this.armedCounter.add(1, { kind: TIMER_KIND[timer.command], stage });
  }

  /** `timer` fell due and its command is applied now (`nowMs`: workflow time). */
  fired(timer: LeadTimer, stage: LeadStage, nowMs: number): void {
    // A deadline already past when it was set (a policy reminder at 0 %) is armed and fired at once.
    this.armed(timer, stage);
    const tags = { kind: TIMER_KIND[timer.command], stage };
    this.firedCounter.add(1, tags);
    this.fireDelay.record(Math.max(0, Math.round(nowMs - Date.parse(timer.at))), tags);
  }
}

function keyOf(timer: LeadTimer): string {
  return `${timer.command}@${timer.at}`;
}
