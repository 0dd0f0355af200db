import fc from 'fast-check';
import type { z } from 'zod';
import * as guards from '../../domain/lead-command.guards';
import * as schemas from '../../domain/lead-command.schemas';

/*
 * The workflow validates commands with the zod-free guards (zod stays out of the workflow bundle);
 * the API and the docs use the zod schemas. Both must accept the same payloads and produce the same
 * command: checked here on generated payloads, valid and invalid.
 */

const pairs: [string, guards.Guard<unknown>, z.ZodType][] = [
  ['FillForm', guards.fillFormGuard, schemas.fillFormSchema],
  ['engagement', guards.engagementInputGuard, schemas.engagementInputSchema],
  ['AcceptLead', guards.acceptLeadGuard, schemas.acceptLeadSchema],
  ['RejectLead', guards.rejectLeadGuard, schemas.rejectLeadSchema],
  ['QualifyLead', guards.qualifyLeadGuard, schemas.qualifyLeadSchema],
  ['CloseLead', guards.closeLeadGuard, schemas.closeLeadSchema],
  ['DisqualifyLead', guards.disqualifyLeadGuard, schemas.disqualifyLeadSchema],
  ['RecordContactAttempt', guards.contactAttemptGuard, schemas.contactAttemptSchema],
  ['EraseLead', guards.eraseLeadGuard, schemas.eraseLeadSchema],
  ['ReassignLead', guards.reassignLeadGuard, schemas.reassignLeadSchema],
];

const edgyString = fc.oneof(
  { weight: 8, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 3 }) },
  { weight: 2, arbitrary: fc.constantFrom('', ' ', '  rep-ada  ', 'de', 'DE', 'd', 'deu', 'a\u0000b', 'x\uD800y', '\uD83D\uDE00', 'x'.repeat(201), 'y'.repeat(2001)) },
);
const email = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), fc.constantFrom('acme.example', 'b.co')).map(([l, d]) => `${l}@${d}`) },
  { weight: 1, arbitrary: fc.emailAddress() },
  { weight: 1, arbitrary: fc.constantFrom(' Ada@Example.COM ', 'no-at.example', 'a@b', 'a@b.c', 'a.b@c-d.example', 'a..b@c.example', '.a@b.example') },
);
const iso = fc.oneof(
  { weight: 4, arbitrary: fc.date({ min: new Date('1990-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()) },
  { weight: 2, arbitrary: fc.constantFrom('2026-11-22T10:00:00Z', '2026-11-22T10:00:00+01:00', '2026-11-22T10:00', '2026-02-30T10:00:00Z', '2024-02-29T00:00:00.5Z', 'yesterday') },
);
const anyValue = fc.oneof(edgyString, fc.integer({ min: -5, max: 5000 }), fc.double({ noNaN: false }), fc.boolean(), fc.constant(null), fc.constant(undefined));
/** Mostly a plausible value, sometimes anything, sometimes absent. */
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 12, arbitrary: arb }, { weight: 1, arbitrary: anyValue }, { weight: 1, arbitrary: fc.constant(undefined) });

const payload = (type: string) => fc.record(
  {
    type: fc.oneof({ weight: 12, arbitrary: fc.constant(type) }, { weight: 1, arbitrary: fc.constantFrom('AcceptLead', 'Other') }),
    formType: maybe(edgyString),
    profile: maybe(
      fc.record(
        {
          email: maybe(email),
          firstName: maybe(edgyString),
          country: maybe(fc.constantFrom('de', 'GB', 'fr', 'NL', 'usa', ' f')),
          employeeCount: maybe(fc.oneof({ weight: 4, arbitrary: fc.integer({ min: -2, max: 10_000 }) }, { weight: 1, arbitrary: fc.double({ min: 0, max: 10 }) })),
          annualRevenue: maybe(fc.oneof({ weight: 4, arbitrary: fc.double({ min: 0, max: 1e9, noNaN: true }) }, { weight: 1, arbitrary: fc.double({ min: -1, max: 0, noNaN: true }) })),
          jobTitle: maybe(edgyString),
        },
        { requiredKeys: [] },
      ),
    ),
    source: maybe(fc.record({ channel: maybe(edgyString), campaign: maybe(edgyString) }, { requiredKeys: [] })),
    consent: maybe(fc.record({ lawfulBasis: maybe(fc.constantFrom('consent', ' contract ', 'legitimate_interests', '')), capturedAt: maybe(iso), text: maybe(edgyString) }, { requiredKeys: [] })),
    occurredAt: maybe(iso),
    id: maybe(edgyString),
    rep: maybe(edgyString),
    by: maybe(edgyString),
    owner: maybe(edgyString),
    actingRep: maybe(fc.oneof(edgyString, fc.constantFrom('rep-ada', ' rep-ada '))),
    requestedBy: maybe(edgyString),
    reason: maybe(fc.oneof(fc.constantFrom('not_ready', 'competitor', 'not_now', 'nope'), edgyString)),
    note: maybe(edgyString),
    outcome: maybe(fc.constantFrom('won', 'lost', 'no_answer', 'voicemail', 'tie')),
    channel: maybe(fc.constantFrom('phone', 'email', 'fax')),
    budget: maybe(fc.boolean()),
    authority: maybe(fc.boolean()),
    need: maybe(fc.boolean()),
    timeline: maybe(fc.boolean()),
  },
  { requiredKeys: [] },
);

describe.each(pairs)('%s: guard and zod schema agree', (name, guard, schema) => {
  it('on generated payloads: same verdict, same command', () => {
    let accepted = 0;
    fc.assert(
      fc.property(payload(name), (value) => {
        const g = guard.safeParse(value);
        const z = schema.safeParse(value);
        if (z.success) accepted++;
        expect({ success: g.success, data: g.success ? g.data : undefined }).toEqual({ success: z.success, data: z.success ? z.data : undefined });
        if (!g.success && !z.success) {
          // The first problem is reported at the same field.
          expect(g.error.issues.map((i) => i.path.join('.'))).toContain(z.error.issues[0]!.path.join('.'));
        }
      }),
      { numRuns: 2000 },
    );
    // Enough valid payloads to compare outputs, not only refusals.
    expect(accepted).toBeGreaterThan(20);
  });
});
