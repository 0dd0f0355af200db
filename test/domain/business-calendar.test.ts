import fc from 'fast-check';
import {
  addBusinessHours,
  businessHoursBetween,
  isWithinBusinessHours,
  type BusinessCalendar,
} from '../../domain/business-calendar';

const berlin: BusinessCalendar = {
  timeZone: 'Europe/Berlin',
  workingDays: [1, 2, 3, 4, 5],
  hours: { start: '09:00', end: '17:00' },
  holidays: ['2026-12-24', '2026-12-25', '2026-12-26', '2027-01-01'],
};
const newYork: BusinessCalendar = {
  timeZone: 'America/New_York',
  workingDays: [1, 2, 3, 4, 5],
  hours: { start: '08:30', end: '18:00' },
  holidays: ['2026-11-26', '2026-12-25'],
};
/** Works through the night of the DST switch, so the switch falls inside working windows. */
const nightShift = (timeZone: string): BusinessCalendar => ({
  timeZone,
  workingDays: [1, 2, 3, 4, 5, 6, 7],
  hours: { start: '00:30', end: '05:30' },
  holidays: [],
});

describe('addBusinessHours: worked examples', () => {
  it('24 business hours from Friday 16:00 in Berlin (09-17) end Wednesday 16:00', () => {
    // Fri 16-17 = 1 h, Mon 8 h, Tue 8 h, Wed 7 h → Wed 16:00 CET (15:00Z)
    expect(addBusinessHours('2026-11-20T15:00:00.000Z', 24, berlin)).toBe('2026-11-25T15:00:00.000Z');
  });

  it('with 08:00-20:00 hours the same SLA ends Tuesday 16:00', () => {
    const long = { ...berlin, hours: { start: '08:00', end: '20:00' } };
    expect(addBusinessHours('2026-11-20T15:00:00.000Z', 24, long)).toBe('2026-11-24T15:00:00.000Z');
  });

  it('an MQL arriving Saturday starts its clock Monday 09:00', () => {
    expect(addBusinessHours('2026-11-21T10:00:00.000Z', 1, berlin)).toBe('2026-11-23T09:00:00.000Z');
  });

  it('skips holidays: Dec 24-26 are not working days', () => {
    // Wed 23 Dec 16:00 CET + 2 h: 1 h on the 23rd, then 24/25 (Thu, Fri) are holidays, 26/27 weekend → Mon 28th 10:00
    expect(addBusinessHours('2026-12-23T15:00:00.000Z', 2, berlin)).toBe('2026-12-28T09:00:00.000Z');
  });

  it('keeps local working hours across the autumn DST change (Berlin, 25 Oct 2026)', () => {
    // Fri 23 Oct 16:00 CEST (14:00Z) + 2 h → Mon 26 Oct 10:00 CET (09:00Z)
    expect(addBusinessHours('2026-10-23T14:00:00.000Z', 2, berlin)).toBe('2026-10-26T09:00:00.000Z');
  });

  it('keeps local working hours across the spring DST change (New York, 8 Mar 2026)', () => {
    // Fri 6 Mar 17:00 EST (22:00Z) + 2 h → Mon 9 Mar 09:30 EDT (13:30Z)
    expect(addBusinessHours('2026-03-06T22:00:00.000Z', 2, newYork)).toBe('2026-03-09T13:30:00.000Z');
  });

  it('counts the real length of a DST night: 5 h window is 4 h in spring, 6 h in autumn (Berlin)', () => {
    const night = nightShift('Europe/Berlin');
    // 29 Mar 2026: clocks jump 02:00 → 03:00, so 00:30-05:30 local lasts 4 h
    expect(businessHoursBetween('2026-03-28T23:00:00.000Z', '2026-03-29T05:00:00.000Z', night)).toBe(4);
    // 25 Oct 2026: clocks fall back 03:00 → 02:00, so the window lasts 6 h
    expect(businessHoursBetween('2026-10-24T22:00:00.000Z', '2026-10-25T06:00:00.000Z', night)).toBe(6);
  });

  it('is zero-cost inside a window and rejects negative durations', () => {
    expect(addBusinessHours('2026-11-23T10:00:00.000Z', 0, berlin)).toBe('2026-11-23T10:00:00.000Z');
    expect(() => addBusinessHours('2026-11-23T10:00:00.000Z', -1, berlin)).toThrow(RangeError);
  });

  it('refuses a calendar with no working time at all', () => {
    expect(() => addBusinessHours('2026-11-23T10:00:00.000Z', 1, { ...berlin, workingDays: [] })).toThrow(/no working time/);
  });
});

// Instants from 2025 to 2028, minute precision; durations up to three working weeks.
const instant = fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2028, 0, 1) }).map((ms) => new Date(Math.floor(ms / 60_000) * 60_000).toISOString());
const duration = fc.integer({ min: 1, max: 120 * 60 }).map((minutes) => minutes / 60);
const calendars = fc.constantFrom(berlin, newYork, nightShift('Europe/Berlin'), nightShift('America/New_York'));

describe('addBusinessHours: properties', () => {
  it('a deadline never falls outside working hours or on a holiday', () => {
    fc.assert(
      fc.property(instant, duration, calendars, (start, hours, cal) => {
        const due = addBusinessHours(start, hours, cal);
        expect(isWithinBusinessHours(due, cal)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('is monotonic in the duration and in the start', () => {
    fc.assert(
      fc.property(instant, instant, duration, duration, calendars, (a, b, h1, h2, cal) => {
        const [s1, s2] = a <= b ? [a, b] : [b, a];
        const [d1, d2] = h1 <= h2 ? [h1, h2] : [h2, h1];
        expect(Date.parse(addBusinessHours(s1, d1, cal))).toBeLessThanOrEqual(Date.parse(addBusinessHours(s1, d2, cal)));
        expect(Date.parse(addBusinessHours(s1, d1, cal))).toBeLessThanOrEqual(Date.parse(addBusinessHours(s2, d1, cal)));
      }),
      { numRuns: 150 },
    );
  });

  it('the working time between start and deadline is exactly the duration asked for', () => {
    fc.assert(
      fc.property(instant, duration, calendars, (start, hours, cal) => {
        const due = addBusinessHours(start, hours, cal);
        expect(businessHoursBetween(start, due, cal)).toBeCloseTo(hours, 6);
      }),
      { numRuns: 150 },
    );
  });

  it('never lands on a holiday or a day off, in either zone', () => {
    fc.assert(
      fc.property(instant, duration, fc.constantFrom(berlin, newYork), (start, hours, cal) => {
        const due = new Date(addBusinessHours(start, hours, cal));
        const local = new Intl.DateTimeFormat('en-CA', { timeZone: cal.timeZone, dateStyle: 'short' }).format(due);
        const weekday = new Intl.DateTimeFormat('en-US', { timeZone: cal.timeZone, weekday: 'short' }).format(due);
        expect(cal.holidays).not.toContain(local);
        expect(['Sat', 'Sun']).not.toContain(weekday);
      }),
      { numRuns: 150 },
    );
  });
});
