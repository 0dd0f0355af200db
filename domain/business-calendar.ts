/**
 * Business-hours arithmetic for SLA clocks: "24 business hours from Friday 16:00 in Berlin". Pure and
 * deterministic (Intl's time-zone data only), so the workflow can compute deadlines itself. Working
 * windows are wall-clock times in the calendar's zone, so a deadline moves correctly across DST.
 */

export interface BusinessCalendar {
  /** IANA zone, e.g. Europe/Berlin. */
  timeZone: string;
  /** ISO weekdays that are working days: 1 = Monday … 7 = Sunday. */
  workingDays: number[];
  /** Working window each working day, local wall-clock "HH:MM"; end after start. */
  hours: { start: string; end: string };
  /** Local dates (YYYY-MM-DD) that are not working days. */
  holidays: string[];
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** A calendar must have a working minute within this many days of any instant (guards bad input). */
const MAX_DAYS_SCANNED = 3 * 366;

interface LocalDate {
  year: number;
  month: number; // 1-12
  day: number;
}

/** The instant `hours` of working time after `startIso` (the start itself may lie outside hours). */
export function addBusinessHours(startIso: string, hours: number, calendar: BusinessCalendar): string {
  if (!(hours >= 0)) throw new RangeError(`business hours must be >= 0, got ${hours}`);
  let remaining = Math.round(hours * HOUR_MS);
  let t = Date.parse(startIso);
  let date = localDate(t, calendar.timeZone);
  for (let i = 0; i < MAX_DAYS_SCANNED; i++) {
    const window = workingWindow(date, calendar);
    if (window) {
      const from = Math.max(t, window.start);
      if (from < window.end) {
        const available = window.end - from;
        if (remaining <= available) return new Date(from + remaining).toISOString();
        remaining -= available;
      }
    }
    date = nextDay(date);
    t = Math.max(t, localToInstant(date, 0, calendar.timeZone));
  }
  throw new RangeError(`calendar ${calendar.timeZone} has no working time within ${MAX_DAYS_SCANNED} days`);
}

/** Working time between two instants (0 when `toIso` is not after `fromIso`). */
export function businessHoursBetween(fromIso: string, toIso: string, calendar: BusinessCalendar): number {
  let t = Date.parse(fromIso);
  const until = Date.parse(toIso);
  let total = 0;
  let date = localDate(t, calendar.timeZone);
  for (let i = 0; i < MAX_DAYS_SCANNED * 10 && t < until; i++) {
    const window = workingWindow(date, calendar);
    if (window) {
      const from = Math.max(t, window.start);
      const to = Math.min(until, window.end);
      if (to > from) total += to - from;
    }
    date = nextDay(date);
    t = Math.max(t, localToInstant(date, 0, calendar.timeZone));
  }
  return total / HOUR_MS;
}

/** The local date (YYYY-MM-DD) of an instant in a zone. */
export function localDateOf(iso: string, timeZone: string): string {
  return formatDate(localDate(Date.parse(iso), timeZone));
}

/** Whether the instant lies in a working window (start and end both count as inside). */
export function isWithinBusinessHours(iso: string, calendar: BusinessCalendar): boolean {
  const t = Date.parse(iso);
  const window = workingWindow(localDate(t, calendar.timeZone), calendar);
  return window !== undefined && t >= window.start && t <= window.end;
}

/** The working window of one local date, as instants, or undefined on a day off. */
function workingWindow(date: LocalDate, calendar: BusinessCalendar): { start: number; end: number } | undefined {
  if (!calendar.workingDays.includes(isoWeekday(date))) return undefined;
  if (calendar.holidays.includes(formatDate(date))) return undefined;
  return {
    start: localToInstant(date, minutesOf(calendar.hours.start), calendar.timeZone),
    end: localToInstant(date, minutesOf(calendar.hours.end), calendar.timeZone),
  };
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Wall-clock fields of an instant in a zone. */
function wallClock(t: number, timeZone: string) {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(t))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return parts as { year: number; month: number; day: number; hour: number; minute: number; second: number };
}

function localDate(t: number, timeZone: string): LocalDate {
  const { year, month, day } = wallClock(t, timeZone);
  return { year, month, day };
}

/** Offset of the zone at an instant, in ms (local − UTC). */
function offsetAt(t: number, timeZone: string): number {
  const w = wallClock(t, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(t / 1000) * 1000;
}

/**
 * The instant a local wall-clock time occurs. In a DST gap (a time that does not exist) it gives the
 * instant just after the gap; in an overlap (a time that occurs twice) the first occurrence.
 */
function localToInstant(date: LocalDate, minuteOfDay: number, timeZone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day) + minuteOfDay * MINUTE_MS;
  const before = wall - offsetAt(wall - offsetAt(wall, timeZone), timeZone);
  const candidates = [wall - offsetAt(wall - 12 * HOUR_MS, timeZone), wall - offsetAt(wall + 12 * HOUR_MS, timeZone), before];
  const exact = candidates.filter((c) => c + offsetAt(c, timeZone) === wall).sort((a, b) => a - b);
  if (exact.length > 0) return exact[0]!;
  // A gap: the wall time is skipped; use the later offset (clocks jumped forward).
  return wall - offsetAt(wall + 12 * HOUR_MS, timeZone);
}

function nextDay(d: LocalDate): LocalDate {
  const next = new Date(Date.UTC(d.year, d.month - 1, d.day + 1));
  return { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() };
}

function isoWeekday(d: LocalDate): number {
  const w = new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay();
  return w === 0 ? 7 : w;
}

function formatDate(d: LocalDate): string {
  return `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

function minutesOf(hhmm: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m) throw new RangeError(`expected HH:MM, got '${hhmm}'`);
  return Number(m[1]) * 60 + Number(m[2]);
}
