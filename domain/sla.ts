import { addBusinessHours, type BusinessCalendar } from './business-calendar';
import type { SlaKind } from './lead-events';
import type { LeadPolicy } from './lead-policy';
import { leadTerritory } from './routing';

const HOUR_MS = 3_600_000;

export function addHours(iso: string, hours: number): string {
  return new Date(Date.parse(iso) + hours * HOUR_MS).toISOString();
}

export function addDays(iso: string, days: number): string {
  return addHours(iso, days * 24);
}

export interface SlaDeadlines {
  /** The first reminder (the due time itself when the window has no reminders). */
  remindAt: string;
  /** Every reminder, earliest first. */
  reminders: string[];
  dueAt: string;
  /** The calendar the window was counted on, when the clock runs in business hours. */
  calendar?: string;
}

/**
 * The calendar an owner's SLA clock runs on: the rep's own, else the calendar of the lead's territory,
 * else the policy's default. Undefined on the elapsed clock.
 */
export function slaCalendarFor(
  policy: LeadPolicy,
  owner: string | undefined,
  country: string | undefined,
): { name: string; calendar: BusinessCalendar } | undefined {
  if (policy.sla.clock !== 'business_hours') return undefined;
  const rep = policy.routing.reps.find((r) => r.id === owner);
  const territory = leadTerritory(policy, country);
  const name = rep?.calendar ?? (territory !== undefined ? policy.routing.territories[territory]?.calendar : undefined) ?? policy.sla.calendar;
  const calendar = name !== undefined ? policy.calendars[name] : undefined;
  return name !== undefined && calendar ? { name, calendar } : undefined;
}

/**
 * When the owner is reminded and when the promise is broken, for a window starting at `startedAt`.
 * On the business-hours clock the window is counted in working time of the owner's calendar, so a
 * Friday-evening assignment is due on a working day at a working minute, correct across DST.
 */
export function slaDeadlines(
  kind: SlaKind,
  startedAt: string,
  policy: LeadPolicy,
  who: { owner?: string; country?: string } = {},
): SlaDeadlines {
  const window = policy.sla[kind];
  const cal = slaCalendarFor(policy, who.owner, who.country);
  const after = (hours: number) => (cal ? addBusinessHours(startedAt, hours, cal.calendar) : addHours(startedAt, hours));
  const dueAt = after(window.windowHours);
  const reminders = window.reminders.map((f) => after(window.windowHours * f));
  return { remindAt: reminders[0] ?? dueAt, reminders, dueAt, ...(cal ? { calendar: cal.name } : {}) };
}

export function isDue(at: string | undefined, now: string): boolean {
  return at !== undefined && Date.parse(now) >= Date.parse(at);
}
