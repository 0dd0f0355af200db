import { defaultLeadPolicyInput, parseLeadPolicy, type LeadPolicy, type LeadPolicyInput } from '../../domain/lead-policy';
import {
  isOutOfOffice,
  leadSegment,
  leadTerritory,
  poolKeyFor,
  routeLead,
  type RouteLeadInput,
  type RoutingLead,
} from '../../domain/routing';

const weekdays = { workingDays: [1, 2, 3, 4, 5], hours: { start: '09:00', end: '17:00' } };

function policyWith(routing: Partial<LeadPolicyInput['routing']>, more: Partial<LeadPolicyInput> = {}): LeadPolicy {
  return parseLeadPolicy({
    ...defaultLeadPolicyInput,
    calendars: {
      berlin: { timeZone: 'Europe/Berlin', ...weekdays },
      losAngeles: { timeZone: 'America/Los_Angeles', ...weekdays },
    },
    ...more,
    routing: {
      territories: {
        emea: { countries: ['DE', 'FR', 'GB'] },
        dach: { countries: ['DE', 'AT', 'CH'] }, // DE is listed twice: the first territory wins
        americas: { countries: ['US', 'CA'] },
      },
      segments: {
        smb: { minEmployees: 1, maxEmployees: 199 },
        mid: { minEmployees: 200, maxEmployees: 999 },
        enterprise: { minEmployees: 1000 },
      },
      manager: 'manager-margaret',
      reps: ['rep-a'],
      ...routing,
    },
  });
}

const base = policyWith({});
const NOW = '2026-11-24T10:00:00.000Z'; // a Tuesday

describe('leadTerritory', () => {
  it.each<[string | undefined, string | undefined]>([
    ['DE', 'emea'],
    ['de', 'emea'],
    [' fr ', 'emea'],
    ['AT', 'dach'],
    ['us', 'americas'],
    ['JP', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('country %p → %p', (country, territory) => {
    expect(leadTerritory(base, country)).toBe(territory);
  });
});

describe('leadSegment', () => {
  it.each<[number | undefined, string | undefined]>([
    [1, 'smb'],
    [199, 'smb'],
    [200, 'mid'],
    [999, 'mid'],
    [1000, 'enterprise'],
    [250_000, 'enterprise'],
    [0, undefined],
    [undefined, undefined],
    [Number.NaN, undefined],
  ])('%p employees → %p', (employeeCount, segment) => {
    expect(leadSegment(base, employeeCount)).toBe(segment);
  });
});

describe('poolKeyFor', () => {
  it.each<[RoutingLead, string]>([
    [{ country: 'de', employeeCount: 5000 }, 'territory:emea|segment:enterprise'],
    [{ country: 'US' }, 'territory:americas|segment:*'],
    [{ employeeCount: 20 }, 'territory:*|segment:smb'],
    [{ country: 'JP', employeeCount: 0 }, 'territory:*|segment:*'],
    [{}, 'territory:*|segment:*'],
  ])('%p → %s', (lead, key) => {
    expect(poolKeyFor(base, lead)).toBe(key);
  });
});

describe('isOutOfOffice: dates are local to the rep calendar', () => {
  const christmas = [{ from: '2026-12-24', to: '2026-12-26' }];
  const policy = policyWith({
    reps: [
      { id: 'berlin', calendar: 'berlin', outOfOffice: christmas },
      { id: 'la', calendar: 'losAngeles', outOfOffice: christmas },
      { id: 'utc', outOfOffice: christmas },
      { id: 'present' },
    ],
  });
  const rep = (id: string) => policy.routing.reps.find((r) => r.id === id)!;

  it.each<[string, string, boolean]>([
    // 23:30Z on the 23rd is already 00:30 on the 24th in Berlin, still the 23rd in UTC and LA.
    ['berlin', '2026-12-23T23:30:00.000Z', true],
    ['utc', '2026-12-23T23:30:00.000Z', false],
    ['la', '2026-12-23T23:30:00.000Z', false],
    ['berlin', '2026-12-23T22:59:00.000Z', false],
    // 05:00Z on the 27th is the 26th 21:00 in LA: still away there, back in Berlin and UTC.
    ['la', '2026-12-27T05:00:00.000Z', true],
    ['berlin', '2026-12-27T05:00:00.000Z', false],
    ['utc', '2026-12-27T05:00:00.000Z', false],
    ['la', '2026-12-27T08:00:00.000Z', false],
    // both ends of the range are included
    ['utc', '2026-12-24T00:00:00.000Z', true],
    ['utc', '2026-12-26T23:59:59.999Z', true],
    ['present', '2026-12-25T12:00:00.000Z', false],
  ])('%s at %s → %p', (id, now, away) => {
    expect(isOutOfOffice(rep(id), policy, now)).toBe(away);
  });

  it('a rep whose calendar is absent from the policy falls back to UTC', () => {
    expect(isOutOfOffice({ id: 'x', calendar: 'nowhere', outOfOffice: christmas }, policy, '2026-12-23T23:30:00.000Z')).toBe(false);
    expect(isOutOfOffice({ id: 'x', calendar: 'nowhere', outOfOffice: christmas }, policy, '2026-12-24T00:30:00.000Z')).toBe(true);
  });
});

describe('routeLead: who may take the lead', () => {
  const policy = policyWith({
    reps: [
      { id: 'emea-any', territories: ['emea'] },
      { id: 'emea-ent', territories: ['emea'], segments: ['enterprise'] },
      { id: 'americas-smb', territories: ['americas'], segments: ['smb'] },
      { id: 'generalist' },
      { id: 'smb-anywhere', segments: ['smb'] },
      { id: 'emea-or-americas', territories: ['emea', 'americas'], segments: [] },
    ],
  });

  it.each<[string, RoutingLead, string[]]>([
    ['German enterprise', { country: 'DE', employeeCount: 5000 }, ['emea-any', 'emea-ent', 'generalist', 'emea-or-americas']],
    ['German small business', { country: 'de', employeeCount: 20 }, ['emea-any', 'generalist', 'smb-anywhere', 'emea-or-americas']],
    ['US small business', { country: 'US', employeeCount: 20 }, ['americas-smb', 'generalist', 'smb-anywhere', 'emea-or-americas']],
    ['US, size unknown', { country: 'US' }, ['generalist', 'emea-or-americas']],
    ['country in no territory', { country: 'JP', employeeCount: 20 }, ['generalist', 'smb-anywhere']],
    ['nothing known', {}, ['generalist']],
  ])('%s', (_name, lead, eligible) => {
    const decision = routeLead({ policy, lead, now: NOW });
    expect(decision.eligible).toEqual(eligible);
    expect(decision.owner).toBe(eligible[0]);
    expect(decision.via).toBe('round_robin');
    expect(decision.poolKey).toBe(poolKeyFor(policy, lead));
    expect([...decision.eligible, ...decision.skipped.map((s) => s.rep)].sort()).toEqual(policy.routing.reps.map((r) => r.id).sort());
  });

  it('names why each rep was skipped, the pool reason first', () => {
    const p = policyWith({
      reps: [
        { id: 'wrong-territory', territories: ['americas'], capacity: 0 },
        { id: 'wrong-segment', segments: ['smb'] },
        { id: 'breached', outOfOffice: [{ from: '2026-11-24', to: '2026-11-24' }] },
        { id: 'away', outOfOffice: [{ from: '2026-11-20', to: '2026-11-30' }], capacity: 0 },
        { id: 'full', capacity: 3 },
        { id: 'room', capacity: 3 },
        { id: 'unlimited' },
      ],
    });
    const decision = routeLead({
      policy: p,
      lead: { country: 'FR', employeeCount: 2000 },
      now: NOW,
      exclude: ['breached'],
      loads: { full: 3, room: 2, unlimited: 99 },
    });
    expect(decision.skipped).toEqual([
      { rep: 'wrong-territory', reason: 'territory' },
      { rep: 'wrong-segment', reason: 'segment' },
      { rep: 'breached', reason: 'breached' },
      { rep: 'away', reason: 'out_of_office' },
      { rep: 'full', reason: 'at_capacity' },
    ]);
    expect(decision.eligible).toEqual(['room', 'unlimited']);
  });
});

describe('routeLead: capacity', () => {
  const policy = policyWith({ reps: [{ id: 'a', capacity: 2 }, { id: 'b', capacity: 0 }, { id: 'c' }] });
  it.each<[Record<string, number>, string[]]>([
    [{}, ['a', 'c']],
    [{ a: 1 }, ['a', 'c']],
    [{ a: 2 }, ['c']],
    [{ a: 7, c: 1000 }, ['c']],
  ])('loads %p → eligible %p', (loads, eligible) => {
    expect(routeLead({ policy, lead: {}, now: NOW, loads }).eligible).toEqual(eligible);
  });
});

describe('routeLead: round robin', () => {
  const policy = policyWith({
    reps: ['a', { id: 'b', outOfOffice: [{ from: '2026-11-23', to: '2026-11-27' }] }, 'c'],
  });
  const pick = (position: number, more: Partial<RouteLeadInput> = {}) =>
    routeLead({ policy, lead: {}, now: NOW, position, ...more }).owner;

  it('skips the rep who is out of office: a, c, a, c', () => {
    expect([0, 1, 2, 3].map((p) => pick(p))).toEqual(['a', 'c', 'a', 'c']);
  });

  it('all three once b is back', () => {
    const later = '2026-11-30T10:00:00.000Z';
    expect([0, 1, 2, 3, 4, 5].map((p) => pick(p, { now: later }))).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('a reassignment after a breach never returns the rep who breached', () => {
    for (const position of [0, 1, 2, 3]) {
      const decision = routeLead({ policy, lead: {}, now: NOW, position, exclude: ['a'] });
      expect(decision).toMatchObject({ owner: 'c', via: 'round_robin', eligible: ['c'] });
      expect(decision.skipped).toContainEqual({ rep: 'a', reason: 'breached' });
    }
  });

  it('takes any position, huge or missing', () => {
    expect(pick(Number.MAX_SAFE_INTEGER)).toBe('c');
    expect(routeLead({ policy, lead: {}, now: NOW }).owner).toBe('a');
  });
});

describe('routeLead: least loaded', () => {
  const policy = policyWith({ strategy: 'least_loaded', reps: ['a', 'b', { id: 'c', capacity: 1 }, 'd'] });
  it.each<[Record<string, number>, string[], string]>([
    [{}, [], 'a'], // all tied at zero: policy order
    [{ a: 3, b: 1, c: 0, d: 1 }, [], 'c'],
    [{ a: 3, b: 1, c: 1, d: 1 }, [], 'b'], // c is full, b and d tie
    [{ a: 3, b: 1, c: 0, d: 0 }, ['c'], 'd'],
    [{ a: 0, b: 0, c: 0, d: 0 }, ['a', 'b', 'c'], 'd'],
  ])('loads %p, excluding %p → %s', (loads, exclude, owner) => {
    const decision = routeLead({ policy, lead: {}, now: NOW, loads, exclude, position: 1 });
    expect(decision).toMatchObject({ owner, via: 'least_loaded' });
  });
});

describe('routeLead: the fallback manager', () => {
  it.each<[string, LeadPolicy, Partial<RouteLeadInput>]>([
    ['no rep serves the territory', policyWith({ reps: [{ id: 'us', territories: ['americas'] }] }), { lead: { country: 'DE' } }],
    ['no rep serves a lead without territory', policyWith({ reps: [{ id: 'us', territories: ['americas'] }] }), { lead: {} }],
    ['everyone breached', policyWith({ reps: ['a', 'b'] }), { exclude: ['a', 'b'] }],
    ['everyone away', policyWith({ reps: [{ id: 'a', outOfOffice: [{ from: '2026-11-01', to: '2026-12-01' }] }] }), {}],
    ['everyone full', policyWith({ reps: [{ id: 'a', capacity: 1 }] }), { loads: { a: 1 } }],
    ['least loaded, everyone full', policyWith({ strategy: 'least_loaded', reps: [{ id: 'a', capacity: 1 }] }), { loads: { a: 1 } }],
    ['the manager breached too', policyWith({ reps: ['a'] }), { exclude: ['a', 'manager-margaret'] }],
  ])('%s', (_name, policy, more) => {
    const decision = routeLead({ policy, lead: {}, now: NOW, position: 5, ...more });
    expect(decision).toMatchObject({ owner: 'manager-margaret', via: 'fallback', eligible: [] });
    expect(decision.skipped).toHaveLength(policy.routing.reps.length);
  });
});
