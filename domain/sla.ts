import type { SlaKind } from './lead-events';
import type { LeadPolicy } from './lead-policy';

const HOUR_MS = 3_600_000;

export function addHours(iso: string, hours: number): string {
  return new Date(Date.parse(iso) + hours * HOUR_MS).toISOString();
}

export function addDays(iso: string, days: number): string {
  return addHours(iso, days * 24);
}

/**
 * When the owner is reminded and when the promise is broken, for a window starting at `startedAt`.
 * Plain elapsed hours for now; business calendars replace this function, not its callers.
 */
export function slaDeadlines(
  kind: SlaKind,
  startedAt: string,
  policy: LeadPolicy,
): { remindAt: string; dueAt: string } {
  const window = policy.sla[kind];
  return {
    remindAt: addHours(startedAt, window.windowHours * window.remindAtFraction),
    dueAt: addHours(startedAt, window.windowHours),
  };
}

export function isDue(at: string | undefined, now: string): boolean {
  return at !== undefined && Date.parse(now) >= Date.parse(at);
}
