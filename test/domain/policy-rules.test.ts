import type { LeadCommand } from '../../domain/lead-commands';
import { decide, evolve, foldEvents, mqlReadiness, nextTimer, type Decision } from '../../domain/lead-decider';
import type { LeadEvent } from '../../domain/lead-events';
import {
  defaultLeadPolicy,
  defaultLeadPolicyInput,
  parseLeadPolicy,
  policyProblems,
  type LeadPolicy,
  type LeadPolicyInput,
} from '../../domain/lead-policy';
import { initialLeadState, type LeadState } from '../../domain/lead-state';
import { explainEngagement, explainFit, fitFlags, suspectReasons } from '../../domain/scoring';
import { slaDeadlines } from '../../domain/sla';

/*
 * Table tests for the policy-driven rules of issue 5: negative fit rules, suspect flags, decay,
 * consent, contact attempts, multiple reminders and the business-hours SLA clock. Plain functions,
 * no Temporal.
 */

const T0 = '2026-11-20T09:00:00.000Z';
const T1 = '2026-11-20T10:00:00.000Z';
const T2 = '2026-11-22T09:00:00.000Z';

function policyWith(change: (p: LeadPolicyInput) => void): LeadPolicy {
  const input = structuredClone(defaultLeadPolicyInput);
  change(input);
  return parseLeadPolicy(input);
}

const negativeRules = policyWith((p) => {
  p.fit.competitorDomains = ['rivalflow.example'];
  p.fit.competitorPoints = -100;
  p.fit.roleAccountLocalParts = ['info', 'sales'];
  p.fit.roleAccountPoints = -15;
  p.fit.titleRules = [
    { keywords: ['student', 'intern'], points: -40, flag: 'student' },
    { keywords: ['job seeker', 'open to work'], points: -40, flag: 'job_seeker' },
  ];
  p.fit.annualRevenueBands = [
    { min: 100_000_000, points: 10 },
    { min: 10_000_000, points: 5 },
  ];
  p.suspect = { minEngagement: 30, maxFit: 20 };
});

describe('fit: negative rules and revenue bands', () => {
  it.each([
    [{ email: 'pat@rivalflow.example' }, [{ rule: 'competitor:rivalflow.example', points: -100, flag: 'competitor' }]],
    [{ email: 'pat@eu.rivalflow.example' }, [{ rule: 'competitor:eu.rivalflow.example', points: -100, flag: 'competitor' }]],
    [
      { email: 'pat@gmail.com', companyDomain: 'rivalflow.example' },
      [
        { rule: 'free_mail:gmail.com', points: -20 },
        { rule: 'competitor:rivalflow.example', points: -100, flag: 'competitor' },
      ],
    ],
    [{ email: 'Info@acme.example' }, [{ rule: 'role_account:info@', points: -15, flag: 'role_account' }]],
    [{ email: 'information@acme.example' }, []],
    [{ email: 'a@acme.example', jobTitle: 'Marketing Student' }, [{ rule: 'title:student', points: -40, flag: 'student' }]],
    [{ email: 'a@acme.example', jobTitle: 'Internal Audit Lead' }, []],
    [{ email: 'a@acme.example', jobTitle: 'Engineer, open to work' }, [{ rule: 'title:open to work', points: -40, flag: 'job_seeker' }]],
    [{ email: 'a@acme.example', annualRevenue: 250_000_000 }, [{ rule: 'revenue>=100000000', points: 10 }]],
    [{ email: 'a@acme.example', annualRevenue: 10_000_000 }, [{ rule: 'revenue>=10000000', points: 5 }]],
    [{ email: 'a@acme.example', annualRevenue: 9_999_999 }, []],
  ])('%o scores %o', (profile, reasons) => {
    expect(explainFit(profile, negativeRules)).toEqual(reasons);
  });

  it('the built-in policy has no negative rules beyond free mail, so older leads score as before', () => {
    expect(explainFit({ email: 'info@rivalflow.example', jobTitle: 'student' }, defaultLeadPolicy)).toEqual([]);
  });
});

describe('suspect: high engagement with low fit', () => {
  it.each([
    // fit, engagement, profile, reasons
    [0, 40, { email: 'kid@uni.example', jobTitle: 'Student' }, ['student']],
    [-100, 30, { email: 'pat@rivalflow.example' }, ['competitor']],
    [10, 45, { email: 'x@acme.example' }, ['low_fit']],
    [19, 30, { email: 'x@acme.example' }, ['low_fit']],
    [20, 90, { email: 'x@acme.example' }, []], // fit not low
    [0, 29, { email: 'kid@uni.example', jobTitle: 'Student' }, []], // engagement not high
  ])('fit %i, engagement %i → %o', (fitScore, engagementScore, profile, reasons) => {
    expect(suspectReasons({ fitScore, engagementScore, profile }, negativeRules)).toEqual(reasons);
  });

  it('no suspect section, no suspect check', () => {
    expect(suspectReasons({ fitScore: -100, engagementScore: 500, profile: { email: 'a@b.example' } }, defaultLeadPolicy)).toEqual([]);
  });

  it('a student who downloads everything is flagged once, never becomes an MQL, and is cleared by a better fit', () => {
    const student = { email: 'kid@uni.example', jobTitle: 'Student', firstName: 'K', lastName: 'Id', phone: '1', company: 'Uni', country: 'DE', productInterest: 'x' };
    let state = run(initialLeadState('lead-s'), { type: 'FillForm', formType: 'demo_request', profile: student }, negativeRules, T0);
    expect(state.suspect).toEqual({ reasons: ['student'], at: T0 });
    expect(state.stage).toBe('inquiry');
    const flags = eventsOf(decide(engage(3), state, T0, negativeRules)).filter((e) => e.type === 'LeadFlaggedSuspect');
    expect(flags).toEqual([]);
    // Graduated: a new title with a real job raises the fit above maxFit and clears the flag.
    state = run(state, { type: 'FillForm', formType: 'profile_update', profile: { email: student.email, jobTitle: 'VP Sales', seniority: 'vp', employeeCount: 500, industry: 'software' } }, negativeRules, T1);
    expect(state.suspect).toBeUndefined();
    expect(state.stage).toBe('mql');
  });
});

describe('engagement decay (half-life) by the lead\'s own timer', () => {
  const decaying = policyWith((p) => {
    p.engagement.decay = { halfLifeDays: 1, everyHours: 24 };
  });

  it.each([
    // half-life days, elapsed hours, score before, score after
    [1, 24, 40, 20],
    [1, 48, 40, 10],
    [30, 24, 40, 39],
    [30, 30 * 24, 40, 20],
    [7, 7 * 24, 25, 12],
    [1, 24, 1, 0],
  ])('half-life %i d, %i h later: %i → %i', (halfLifeDays, hours, before, after) => {
    const policy = policyWith((p) => {
      p.engagement.decay = { halfLifeDays, everyHours: 24 };
    });
    const state: LeadState = { ...captured(), engagementScore: before, decayFrom: T0 };
    const at = new Date(Date.parse(T0) + hours * 3_600_000).toISOString();
    const [event] = eventsOf(decide({ type: 'DecayEngagement' }, state, at, policy));
    expect(event).toMatchObject({ type: 'EngagementDecayed', data: { from: before, to: after, since: T0 } });
  });

  /** Runs the lead's decay ticks from T0, `everyHours` apart, for `days` days; returns the last state. */
  function tickFor(days: number, halfLifeDays: number, everyHours: number, score: number, options = {}): LeadState {
    const policy = policyWith((p) => {
      p.engagement.decay = { halfLifeDays, everyHours };
    });
    let state: LeadState = { ...captured(), engagementScore: score, decayFrom: T0 };
    for (let h = everyHours; h <= days * 24 && state.decayFrom !== undefined; h += everyHours) {
      const at = new Date(Date.parse(T0) + h * 3_600_000).toISOString();
      state = foldEvents(state.leadId, eventsOf(decide({ type: 'DecayEngagement' }, state, at, policy, options)), state);
    }
    return state;
  }

  it.each([
    // half-life days, tick hours, days, score before, score after: halves once per half-life, whatever the tick
    [30, 24, 30, 40, 20],
    [30, 24, 60, 40, 10],
    [30, 1, 30, 40, 20],
    [7, 24, 7, 26, 13],
    [7, 6, 14, 100, 25],
    [3650, 1, 365, 1000, 933],
  ])('half-life %i d, ticks every %i h, after %i days: %i → %i', (halfLifeDays, everyHours, days, before, after) => {
    const state = tickFor(days, halfLifeDays, everyHours, before);
    expect(state.engagementScore).toBe(after);
    expect(state.engagementExact).toBeCloseTo(before * Math.pow(0.5, days / halfLifeDays), 6);
  });

  it('keeps the compounding rounding of histories recorded before exact decay (legacyDecay)', () => {
    // The first release floored at every tick: 40 with a 30-day half-life lost a point a day.
    expect(tickFor(30, 30, 24, 40, { legacyDecay: true }).engagementScore).toBe(10);
    expect(tickFor(30, 30, 24, 40, { legacyDecay: true }).engagementExact).toBeUndefined();
  });

  it('points gained between ticks are added to the exact score', () => {
    const policy = policyWith((p) => {
      p.engagement.decay = { halfLifeDays: 1, everyHours: 24 };
    });
    const at = (hours: number) => new Date(Date.parse(T0) + hours * 3_600_000).toISOString();
    const tick = (s: LeadState, hours: number) =>
      foldEvents(s.leadId, eventsOf(decide({ type: 'DecayEngagement' }, s, at(hours), policy)), s);
    let state: LeadState = { ...captured(), engagementScore: 9, decayFrom: T0 };
    state = tick(state, 24);
    expect([state.engagementScore, state.engagementExact]).toEqual([4, 4.5]);
    state = run(state, engage(1, 'pricing_page_view'), policy, at(25));
    const gained = state.engagementScore - 4;
    expect(gained).toBeGreaterThan(0);
    expect(state.engagementExact).toBe(4.5 + gained);
    state = tick(state, 48);
    expect(state.engagementExact).toBe((4.5 + gained) / 2);
    expect(state.engagementScore).toBe(Math.floor((4.5 + gained) / 2));
  });

  it('is refused before it is due and armed only while marketing holds the lead', () => {
    const state: LeadState = { ...captured(), engagementScore: 40, decayFrom: T0 };
    expect(decide({ type: 'DecayEngagement' }, state, T1, decaying)).toMatchObject({ ok: false, refusal: { code: 'NOT_DUE' } });
    expect(nextTimer(state, decaying)).toEqual({ at: '2026-11-21T09:00:00.000Z', command: 'DecayEngagement' });
    expect(nextTimer(state, defaultLeadPolicy)).toBeUndefined();
    expect(nextTimer({ ...state, stage: 'sal' }, decaying)).toBeUndefined();
    expect(nextTimer({ ...state, unsubscribed: true }, decaying)).toBeUndefined();
  });

  it('a lead that stops engaging drops below the threshold by itself, and the reasons add up', () => {
    const profile = { email: 'cold@acme.example', seniority: 'vp', employeeCount: 500 };
    let state = run(initialLeadState('lead-d'), { type: 'FillForm', formType: 'webinar_attended', profile }, decaying, T0);
    state = run(state, engage(2, 'pricing_page_view'), decaying, T0);
    expect(state.engagementScore).toBe(32);
    const events: LeadEvent[] = [];
    for (let day = 1; day <= 2; day++) {
      const at = new Date(Date.parse(T0) + day * 86_400_000).toISOString();
      const d = decide({ type: 'DecayEngagement' }, state, at, decaying);
      events.push(...eventsOf(d));
      state = foldEvents(state.leadId, eventsOf(d), state);
    }
    expect(state.engagementScore).toBe(8);
    expect(mqlReadiness(state, decaying, T2)).toMatchObject({ via: null, blockedBy: expect.arrayContaining(['engagement_below_threshold']) });
    expect(events.map((e) => e.type === 'EngagementDecayed' && [e.data.from, e.data.to])).toEqual([
      [32, 16],
      [16, 8],
    ]);
  });

  it('explainEngagement lists forms, events and decay; the points sum to the score', () => {
    const events: LeadEvent[] = [
      ev(1, 'FormFilled', { formType: 'content_download', profile: { email: 'a@b.example' }, fitScore: 0, engagementScore: 8, handRaise: false }),
      ev(2, 'EngagementRecorded', { engagementType: 'page_view', at: T0, points: 1, engagementScore: 9 }),
      ev(3, 'EngagementRecorded', { engagementType: 'page_view', at: T0, points: 0, engagementScore: 9 }),
      ev(4, 'EngagementDecayed', { from: 9, to: 4, factor: 0.5, halfLifeDays: 1, since: T0 }),
    ];
    const reasons = explainEngagement(events, defaultLeadPolicy);
    expect(reasons.map((r) => [r.rule, r.points])).toEqual([
      ['form:content_download', 8],
      ['engagement:page_view', 1],
      ['engagement:page_view', 0],
      ['decay', -5],
    ]);
    expect(reasons[2]!.note).toMatch(/cap/);
    expect(reasons.reduce((s, r) => s + r.points, 0)).toBe(4);
  });
});

describe('consent: no lawful basis, no routing', () => {
  const consentRequired = policyWith((p) => {
    p.consent = { required: true, lawfulBases: ['consent', 'legitimate_interests'] };
  });
  const ready = { email: 'vp@acme.example', firstName: 'V', lastName: 'P', phone: '1', company: 'Acme', country: 'DE', productInterest: 'x', seniority: 'vp', employeeCount: 500, industry: 'software' };

  it.each([
    [undefined, 'inquiry'],
    [{ lawfulBasis: 'contract', capturedAt: T0 }, 'inquiry'],
    [{ lawfulBasis: 'consent', capturedAt: T0, text: 'Yes, call me.' }, 'mql'],
  ])('a demo request with consent %o stays %s', (consent, stage) => {
    const state = run(initialLeadState('lead-c'), { type: 'FillForm', formType: 'demo_request', profile: ready, ...(consent ? { consent } : {}) }, consentRequired, T0);
    expect(state.stage).toBe(stage);
    if (stage === 'inquiry') expect(mqlReadiness(state, consentRequired, T0)).toMatchObject({ blockedBy: ['no_lawful_basis'] });
  });

  it('an unsubscribed recycled lead has no nurture timer; older histories kept its cool-off timer', () => {
    const state: LeadState = {
      ...captured(),
      stage: 'recycled',
      unsubscribed: true,
      recycle: { reason: 'not_ready', at: T0, coolOffUntil: T2, needsDataRepair: false },
    };
    expect(nextTimer(state, defaultLeadPolicy)).toBeUndefined();
    expect(nextTimer(state, defaultLeadPolicy, { legacyUnsubscribedNurture: true })).toEqual({ at: T2, command: 'Reevaluate' });
  });
});

describe('contact attempts before a not_ready recycle', () => {
  const attempts = policyWith((p) => {
    p.sla.contactAttemptsBeforeNotReady = 2;
  });
  const sal: LeadState = { ...captured(), stage: 'sal', owner: 'rep-ada', mqlCycle: 1 };
  const attempt: LeadCommand = { type: 'RecordContactAttempt', rep: 'rep-ada', channel: 'phone', outcome: 'no_answer' };
  const notReady: LeadCommand = { type: 'RejectLead', rep: 'rep-ada', reason: 'not_ready' };

  it('refuses not_ready until the attempts are recorded, then recycles', () => {
    expect(decide(notReady, sal, T1, attempts)).toMatchObject({ ok: false, refusal: { code: 'CONTACT_ATTEMPTS_REQUIRED' } });
    let state = run(sal, attempt, attempts, T1);
    expect(state.contactAttempts).toBe(1);
    expect(decide(notReady, state, T1, attempts)).toMatchObject({ ok: false, refusal: { code: 'CONTACT_ATTEMPTS_REQUIRED', message: expect.stringContaining('1 so far') } });
    state = run(state, attempt, attempts, T1);
    state = run(state, notReady, attempts, T2);
    expect(state).toMatchObject({ stage: 'recycled', recycle: { reason: 'not_ready' } });
    expect(state.contactAttempts).toBeUndefined();
  });

  it('other reasons need no attempts, and the built-in policy requires none', () => {
    expect(decide({ ...notReady, reason: 'not_a_fit' }, sal, T1, attempts).ok).toBe(true);
    expect(decide(notReady, sal, T1, defaultLeadPolicy).ok).toBe(true);
  });

  it('attempts are only recorded once sales accepted the lead', () => {
    expect(decide(attempt, { ...sal, stage: 'mql' }, T1, attempts)).toMatchObject({ ok: false, refusal: { code: 'STAGE_DOES_NOT_ALLOW' } });
  });
});

describe('SLA windows: reminders, escalation and the business-hours clock', () => {
  const berlinPolicy = policyWith((p) => {
    p.calendars = {
      berlin: { timeZone: 'Europe/Berlin', workingDays: [1, 2, 3, 4, 5], hours: { start: '09:00', end: '17:00' }, holidays: ['2026-12-24', '2026-12-25'] },
      'new-york': { timeZone: 'America/New_York', workingDays: [1, 2, 3, 4, 5], hours: { start: '09:00', end: '17:00' } },
    };
    p.sla = {
      clock: 'business_hours',
      calendar: 'berlin',
      mql: { windowHours: 8, reminders: [0.75, 0.5], reassignmentsBeforeHandBack: 1, escalateTo: 'vp-sales' },
      sal: { windowHours: 24, reminders: [0.75], reassignmentsBeforeHandBack: 1 },
    };
    p.routing = {
      reps: [{ id: 'rep-ada', calendar: 'berlin' }, { id: 'rep-katherine', calendar: 'new-york' }, 'rep-linus'],
      territories: { 'north-america': { countries: ['US'], calendar: 'new-york' } },
      manager: 'manager-margaret',
    };
  });

  it.each([
    // start, kind, owner, country, due, reminders
    ['Friday 18:00 Berlin → due Monday 17:00', '2026-11-27T17:00:00.000Z', 'mql', 'rep-ada', 'DE', '2026-11-30T16:00:00.000Z', ['2026-11-30T12:00:00.000Z', '2026-11-30T14:00:00.000Z']],
    ['Friday 16:00 Berlin → due Monday 16:00', '2026-11-27T15:00:00.000Z', 'mql', 'rep-ada', 'DE', '2026-11-30T15:00:00.000Z', ['2026-11-30T11:00:00.000Z', '2026-11-30T13:00:00.000Z']],
    ['24 business hours from Friday 16:00 Berlin → Wednesday 16:00', '2026-11-27T15:00:00.000Z', 'sal', 'rep-ada', 'DE', '2026-12-02T15:00:00.000Z', ['2026-12-02T09:00:00.000Z']],
    ['across the end of DST: Friday 16:00 CEST → Monday 16:00 CET', '2026-10-23T14:00:00.000Z', 'mql', 'rep-ada', 'DE', '2026-10-26T15:00:00.000Z', ['2026-10-26T11:00:00.000Z', '2026-10-26T13:00:00.000Z']],
    ['over Christmas Eve and Day', '2026-12-23T15:00:00.000Z', 'mql', 'rep-ada', 'DE', '2026-12-28T15:00:00.000Z', ['2026-12-28T11:00:00.000Z', '2026-12-28T13:00:00.000Z']],
    ['a New York rep runs on New York hours', '2026-11-27T22:00:00.000Z', 'mql', 'rep-katherine', 'US', '2026-11-30T22:00:00.000Z', ['2026-11-30T18:00:00.000Z', '2026-11-30T20:00:00.000Z']],
    ['a rep without a calendar takes the territory calendar', '2026-11-27T22:00:00.000Z', 'mql', 'rep-linus', 'US', '2026-11-30T22:00:00.000Z', ['2026-11-30T18:00:00.000Z', '2026-11-30T20:00:00.000Z']],
  ])('%s', (_label, start, kind, owner, country, due, reminders) => {
    const d = slaDeadlines(kind as 'mql' | 'sal', start, berlinPolicy, { owner, country });
    expect(d.dueAt).toBe(due);
    expect(d.reminders).toEqual(reminders);
  });

  it('the elapsed clock of the built-in policy is unchanged: 18 h reminder, 24 h due', () => {
    expect(slaDeadlines('mql', T0, defaultLeadPolicy)).toEqual({
      remindAt: '2026-11-21T03:00:00.000Z',
      reminders: ['2026-11-21T03:00:00.000Z'],
      dueAt: '2026-11-21T09:00:00.000Z',
    });
  });

  it('sends each reminder in turn, then breaches and escalates to the configured manager', () => {
    const mql: LeadState = { ...captured(), stage: 'mql', mqlCycle: 1 };
    const friday = '2026-11-27T17:00:00.000Z';
    let state = run(mql, { type: 'AssignOwner', owner: 'rep-ada' }, berlinPolicy, friday);
    expect(state.sla).toMatchObject({ remindAt: '2026-11-30T12:00:00.000Z', reminded: false, remindersSent: 0 });
    state = run(state, { type: 'SendSlaReminder' }, berlinPolicy, '2026-11-30T12:00:00.000Z');
    expect(state.sla).toMatchObject({ remindAt: '2026-11-30T14:00:00.000Z', reminded: false, remindersSent: 1 });
    expect(nextTimer(state, berlinPolicy)).toEqual({ at: '2026-11-30T14:00:00.000Z', command: 'SendSlaReminder' });
    state = run(state, { type: 'SendSlaReminder' }, berlinPolicy, '2026-11-30T14:00:00.000Z');
    expect(state.sla).toMatchObject({ reminded: true, remindersSent: 2 });
    const breach = eventsOf(decide({ type: 'BreachSla' }, state, '2026-11-30T16:00:00.000Z', berlinPolicy));
    expect(breach[0]).toMatchObject({ type: 'SlaBreached', data: { owner: 'rep-ada', escalateTo: 'vp-sales' } });
  });

  it('a window without reminders goes straight to its breach timer', () => {
    const none = policyWith((p) => {
      p.sla.mql = { windowHours: 24, reminders: [], reassignmentsBeforeHandBack: 0 };
    });
    const state = run({ ...captured(), stage: 'mql', mqlCycle: 1 }, { type: 'AssignOwner', owner: 'rep-ada' }, none, T0);
    expect(nextTimer(state, none)).toEqual({ at: '2026-11-21T09:00:00.000Z', command: 'BreachSla' });
  });
});

describe('policy validation', () => {
  it('names a typo by its own path', () => {
    const input = structuredClone(defaultLeadPolicyInput);
    const fit = input.fit as Partial<LeadPolicyInput['fit']> & { treshold?: number };
    fit.treshold = fit.threshold;
    delete fit.threshold;
    expect(policyProblems(input)).toEqual([
      { path: 'fit.treshold', message: 'unknown field' },
      { path: 'fit.threshold', message: 'required field is missing (number)' },
    ]);
  });

  it.each([
    ['an unknown territory', (p: LeadPolicyInput) => (p.routing = { reps: [{ id: 'a', territories: ['mars'] }], manager: 'm' }), 'routing.reps.0.territories.0', "unknown territory 'mars'"],
    ['an unknown time zone', (p: LeadPolicyInput) => (p.calendars = { x: { timeZone: 'Europe/Atlantis', workingDays: [1], hours: { start: '09:00', end: '17:00' } } }), 'calendars.x.timeZone', 'unknown IANA time zone'],
    ['hours that end before they start', (p: LeadPolicyInput) => (p.calendars = { x: { timeZone: 'UTC', workingDays: [1], hours: { start: '17:00', end: '09:00' } } }), 'calendars.x.hours.end', 'hours.end must be after hours.start'],
    ['a business clock without a calendar', (p: LeadPolicyInput) => (p.sla.clock = 'business_hours'), 'sla.calendar', expect.stringContaining('default calendar')],
    ['a duplicate rep', (p: LeadPolicyInput) => (p.routing.reps = ['a', 'a']), 'routing.reps.1.id', "duplicate rep id 'a'"],
  ])('refuses %s', (_label, change, path, message) => {
    const input = structuredClone(defaultLeadPolicyInput);
    change(input);
    expect(policyProblems(input)).toContainEqual({ path, message });
  });

  it('a policy recorded by an older release parses to the same rules, and parsing is idempotent', () => {
    const parsed = parseLeadPolicy(defaultLeadPolicyInput);
    expect(parsed.sla.mql.reminders).toEqual([0.75]);
    expect(parsed.routing.reps).toEqual([{ id: 'rep-ada' }, { id: 'rep-grace' }, { id: 'rep-linus' }]);
    expect(parseLeadPolicy(parsed)).toEqual(parsed);
    expect(parseLeadPolicy(JSON.parse(JSON.stringify(parsed)))).toEqual(parsed);
  });

  it('fit flags come from the rules that carry them', () => {
    expect(fitFlags({ email: 'info@rivalflow.example', jobTitle: 'intern' }, negativeRules).sort()).toEqual(['competitor', 'role_account', 'student']);
  });
});

// --- helpers -----------------------------------------------------------------------------------------


function captured(): LeadState {
  return { ...initialLeadState('lead-x'), seq: 2, profile: { email: 'x@acme.example' } };
}

function eventsOf(d: Decision): LeadEvent[] {
  if (!d.ok) throw new Error(`refused: ${d.refusal.message}`);
  return d.events;
}

function run(state: LeadState, command: LeadCommand, policy: LeadPolicy, at: string): LeadState {
  return eventsOf(decide(command, state, at, policy)).reduce(evolve, state);
}

function engage(n: number, type = 'page_view'): LeadCommand {
  return { type: 'RecordEngagement', engagements: Array.from({ length: n }, () => ({ type, occurredAt: T0 })) };
}

function ev<T extends LeadEvent['type']>(seq: number, type: T, data: Extract<LeadEvent, { type: T }>['data']): LeadEvent {
  return { type, seq, occurredAt: T0, data } as LeadEvent;
}
