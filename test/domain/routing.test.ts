import { defaultLeadPolicyInput, parseLeadPolicy, type LeadPolicy, type LeadPolicyInput } from '../../domain/lead-policy';
import {
  isOutOfOffice,
  leadSegment,
  leadTerritory,
  nextInRotation,
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

describe('routeLead: round robin is a rotation after the last owner', () => {
  const awayThisWeek = [{ from: '2026-11-23', to: '2026-11-27' }];
  const abc = policyWith({ reps: ['a', 'b', 'c'] });
  const bAway = policyWith({ reps: ['a', { id: 'b', outOfOffice: awayThisWeek }, 'c'] });

  it.each<[string, LeadPolicy, string | undefined, Partial<RouteLeadInput>, string]>([
    ['no last owner: the first rep', abc, undefined, {}, 'a'],
    ['after a: b', abc, 'a', {}, 'b'],
    ['after b: c', abc, 'b', {}, 'c'],
    ['after c: wraps to a', abc, 'c', {}, 'a'],
    ['after a, b out of office: c', bAway, 'a', {}, 'c'],
    ['after c, b out of office: a', bAway, 'c', {}, 'a'],
    ['last owner out of office now: the next one after them', bAway, 'b', {}, 'c'],
    ['last owner no longer in the policy: the first eligible rep', abc, 'gone', {}, 'a'],
    ['last owner gone, first rep away: the first eligible rep', bAway, 'gone', { exclude: ['a'] }, 'c'],
    ['after a, a breached: b', abc, 'a', { exclude: ['a'] }, 'b'],
    ['after a, b breached: c', abc, 'a', { exclude: ['b'] }, 'c'],
    ['after a, b at capacity: c', policyWith({ reps: ['a', { id: 'b', capacity: 1 }, 'c'] }), 'a', { loads: { b: 1 } }, 'c'],
    ['the only eligible rep takes a second turn', abc, 'a', { exclude: ['b', 'c'] }, 'a'],
  ])('%s', (_name, policy, lastOwner, more, owner) => {
    const decision = routeLead({ policy, lead: {}, now: NOW, lastOwner, ...more });
    expect(decision).toMatchObject({ owner, via: 'round_robin' });
  });

  it('walks the policy order, not the pool: reps of other territories are passed over', () => {
    const policy = policyWith({ reps: [{ id: 'de-1', territories: ['emea'] }, { id: 'us-1', territories: ['americas'] }, { id: 'de-2', territories: ['emea'] }] });
    const lead = { country: 'DE' };
    expect(routeLead({ policy, lead, now: NOW, lastOwner: 'de-1' }).owner).toBe('de-2');
    expect(routeLead({ policy, lead, now: NOW, lastOwner: 'de-2' }).owner).toBe('de-1');
    // A last owner from the other territory's pool is still a place in the order.
    expect(routeLead({ policy, lead, now: NOW, lastOwner: 'us-1' }).owner).toBe('de-2');
  });

  it('a, c, a, c while b is out of office; all three once b is back', () => {
    const rotate = (now: string, n: number) => {
      const owners: string[] = [];
      let last: string | undefined;
      for (let i = 0; i < n; i++) owners.push((last = routeLead({ policy: bAway, lead: {}, now, lastOwner: last }).owner));
      return owners;
    };
    expect(rotate(NOW, 4)).toEqual(['a', 'c', 'a', 'c']);
    expect(rotate('2026-11-30T10:00:00.000Z', 6)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('a breach reassignment takes the next turn and skips nobody: a, then b (not c), then c', () => {
    const lead1 = routeLead({ policy: abc, lead: {}, now: NOW });
    expect(lead1.owner).toBe('a');
    const reassigned = routeLead({ policy: abc, lead: {}, now: NOW, lastOwner: lead1.owner, exclude: ['a'] });
    expect(reassigned).toMatchObject({ owner: 'b', via: 'round_robin', eligible: ['b', 'c'] });
    expect(reassigned.skipped).toEqual([{ rep: 'a', reason: 'breached' }]);
    expect(routeLead({ policy: abc, lead: {}, now: NOW, lastOwner: reassigned.owner }).owner).toBe('c');
  });

  it('a reassignment never returns the rep who breached, wherever the rotation stands', () => {
    for (const lastOwner of [undefined, 'a', 'b', 'c']) {
      const decision = routeLead({ policy: bAway, lead: {}, now: NOW, lastOwner, exclude: ['a'] });
      expect(decision).toMatchObject({ owner: 'c', via: 'round_robin', eligible: ['c'] });
      expect(decision.skipped).toContainEqual({ rep: 'a', reason: 'breached' });
    }
  });

  it('falls back to the manager when nobody is eligible, whatever the last owner', () => {
    for (const lastOwner of [undefined, 'a', 'gone']) {
      const decision = routeLead({ policy: abc, lead: {}, now: NOW, lastOwner, exclude: ['a', 'b', 'c'] });
      expect(decision).toMatchObject({ owner: 'manager-margaret', via: 'fallback', eligible: [] });
    }
  });
});

describe('nextInRotation', () => {
  it.each<[string[], string[], string | undefined, string | undefined]>([
    [['x', 'y', 'z'], ['x', 'y', 'z'], undefined, 'x'],
    [['x', 'y', 'z'], ['x', 'y', 'z'], 'z', 'x'],
    [['x', 'y', 'z'], ['x', 'z'], 'x', 'z'],
    [['x', 'y', 'z'], ['y'], 'y', 'y'],
    [['x', 'y', 'z'], ['y', 'z'], 'w', 'y'],
    [['x', 'y', 'z'], [], 'x', undefined],
  ])('order %p, eligible %p, last %p → %p', (order, eligible, last, next) => {
    expect(nextInRotation(order, eligible, last)).toBe(next);
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
    const decision = routeLead({ policy, lead: {}, now: NOW, loads, exclude, lastOwner: 'a' }); // ignored
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
    const decision = routeLead({ policy, lead: {}, now: NOW, lastOwner: 'a', ...more });
    expect(decision).toMatchObject({ owner: 'manager-margaret', via: 'fallback', eligible: [] });
    expect(decision.skipped).toHaveLength(policy.routing.reps.length);
  });
});
