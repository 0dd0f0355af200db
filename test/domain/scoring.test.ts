import { defaultLeadPolicy, type LeadPolicy } from '../../domain/lead-policy';
import { emailDomain, engagementPoints, explainFit, fitScore, normaliseEmail } from '../../domain/scoring';

const policy = defaultLeadPolicy;

function withPolicy(change: (p: LeadPolicy) => void): LeadPolicy {
  const copy = structuredClone(defaultLeadPolicy);
  change(copy);
  return copy;
}

describe('fit scoring', () => {
  it('scores nothing for a profile that matches no rule', () => {
    expect(explainFit({ email: 'someone@acme.example' }, policy)).toEqual([]);
    expect(fitScore({ email: 'someone@acme.example' }, policy)).toBe(0);
  });

  it('explains every matching rule with its points, and the score is their sum', () => {
    const profile = {
      email: 'ada@analytical.example',
      seniority: 'vp',
      employeeCount: 250,
      industry: 'software',
      country: 'GB',
    };
    expect(explainFit(profile, policy)).toEqual([
      { rule: 'seniority:vp', points: 25 },
      { rule: 'employees>=200', points: 20 },
      { rule: 'industry:software', points: 15 },
      { rule: 'country:GB', points: 10 },
    ]);
    expect(fitScore(profile, policy)).toBe(70);
  });

  it.each([
    ['c_level', 30],
    ['vp', 25],
    ['director', 20],
    ['manager', 10],
    ['individual_contributor', 5],
    ['student', -40],
  ])('scores seniority %s as %i', (seniority, points) => {
    expect(explainFit({ seniority }, policy)).toEqual([{ rule: `seniority:${seniority}`, points }]);
  });

  it('matches seniority, industry and country regardless of case and surrounding spaces', () => {
    expect(explainFit({ seniority: '  VP ', industry: ' Software', country: 'gb ' }, policy)).toEqual([
      { rule: 'seniority:vp', points: 25 },
      { rule: 'industry:software', points: 15 },
      { rule: 'country:GB', points: 10 },
    ]);
  });

  it('ignores an unknown seniority, a non-target industry and a non-target country', () => {
    expect(fitScore({ seniority: 'intern', industry: 'retail', country: 'JP' }, policy)).toBe(0);
  });

  it.each([
    [5000, 'employees>=1000', 25],
    [1000, 'employees>=1000', 25],
    [999, 'employees>=200', 20],
    [200, 'employees>=200', 20],
    [50, 'employees>=50', 10],
    [49, 'employees>=1', 0],
    [1, 'employees>=1', 0],
  ])('puts %i employees in the highest band they reach (%s)', (employeeCount, rule, points) => {
    expect(explainFit({ employeeCount }, policy)).toEqual([{ rule, points }]);
  });

  it('gives no band to a company below every band minimum', () => {
    expect(explainFit({ employeeCount: 0 }, policy)).toEqual([]);
  });

  it('picks the highest band even when the policy lists bands in no particular order', () => {
    const unsorted = withPolicy((p) => {
      p.fit.employeeCountBands = [
        { min: 1, points: 0 },
        { min: 1000, points: 25 },
        { min: 50, points: 10 },
        { min: 200, points: 20 },
      ];
    });
    expect(explainFit({ employeeCount: 300 }, unsorted)).toEqual([{ rule: 'employees>=200', points: 20 }]);
  });

  it('does not reorder the policy bands while choosing one', () => {
    const bands = [
      { min: 1, points: 0 },
      { min: 1000, points: 25 },
    ];
    const p = withPolicy((x) => {
      x.fit.employeeCountBands = bands;
    });
    fitScore({ employeeCount: 5 }, p);
    expect(p.fit.employeeCountBands.map((b) => b.min)).toEqual([1, 1000]);
  });

  it.each(['gmail.com', 'GMAIL.com', 'web.de'])('penalises a free mailbox at %s', (domain) => {
    expect(explainFit({ email: `someone@${domain}` }, policy)).toEqual([
      { rule: `free_mail:${domain.toLowerCase()}`, points: -20 },
    ]);
  });

  it('does not penalise a company mailbox whose name merely contains a free-mail domain', () => {
    expect(fitScore({ email: 'gmail.com@acme.example' }, policy)).toBe(0);
  });

  it('can go negative: a student on a free mailbox', () => {
    expect(fitScore({ email: 'kid@gmail.com', seniority: 'student' }, policy)).toBe(-60);
  });
});

describe('engagement points', () => {
  it('scores a known type by the policy table', () => {
    expect(engagementPoints('webinar_attended', 0, policy)).toBe(12);
    expect(engagementPoints('demo_request', 0, policy)).toBe(30);
  });

  it("scores an unknown type with the policy's default points", () => {
    expect(engagementPoints('tiktok_like', 0, policy)).toBe(0);
    const generous = withPolicy((p) => {
      p.engagement.defaultPoints = 2;
    });
    expect(engagementPoints('tiktok_like', 0, generous)).toBe(2);
  });

  it.each([
    ['page_view', 1, 10],
    ['email_open', 1, 5],
    ['email_click', 3, 15],
    ['pricing_page_view', 10, 30],
    ['content_download', 8, 24],
  ])('caps %s (%i points each) at %i points in total', (type, each, cap) => {
    let total = 0;
    const awarded: number[] = [];
    for (let i = 0; i < 40; i++) {
      const points = engagementPoints(type, total, policy);
      awarded.push(points);
      total += points;
    }
    expect(total).toBe(cap);
    expect(awarded[0]).toBe(each);
    expect(awarded.at(-1)).toBe(0);
  });

  it('awards only the remainder of a cap when one event would overshoot it', () => {
    const p = withPolicy((x) => {
      x.engagement.capPerType.content_download = 20;
    });
    expect(engagementPoints('content_download', 0, p)).toBe(8);
    expect(engagementPoints('content_download', 16, p)).toBe(4);
    expect(engagementPoints('content_download', 20, p)).toBe(0);
  });

  it('never awards negative points because a type is already past its cap', () => {
    expect(engagementPoints('page_view', 25, policy)).toBe(0);
  });

  it('does not cap a type without a cap', () => {
    expect(engagementPoints('webinar_attended', 1200, policy)).toBe(12);
  });

  it('applies negative points in full: a cap limits gains, not penalties', () => {
    const p = withPolicy((x) => {
      x.engagement.points.unsubscribe_click = -10;
      x.engagement.capPerType.unsubscribe_click = 5;
    });
    expect(engagementPoints('unsubscribe_click', 0, p)).toBe(-10);
    expect(engagementPoints('unsubscribe_click', -30, p)).toBe(-10);
  });
});

describe('email normalisation', () => {
  it('lowercases and trims, so one person is one lead', () => {
    expect(normaliseEmail('  Ada.Lovelace@Analytical.EXAMPLE \n')).toBe('ada.lovelace@analytical.example');
  });

  it('leaves an already normal address unchanged', () => {
    expect(normaliseEmail('ada@analytical.example')).toBe('ada@analytical.example');
  });

  it('finds the domain after the last @, lowercased', () => {
    expect(emailDomain('"odd@name"@Acme.Example')).toBe('acme.example');
  });

  it.each([[undefined], [''], ['no-at-sign'], ['@acme.example']])('finds no domain in %p', (email) => {
    expect(emailDomain(email)).toBeUndefined();
  });
});
