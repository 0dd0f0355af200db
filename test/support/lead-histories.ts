import type { FillForm, LeadCommand } from '../../domain/lead-commands';
import { allowedCommands, decide, evolve, needsOwner, nextTimer } from '../../domain/lead-decider';
import { type BantCriterion, type LeadEvent, type RejectReason, rejectReasons } from '../../domain/lead-events';
import { defaultLeadPolicy, type LeadPolicy } from '../../domain/lead-policy';
import { initialLeadState, isClosed, type LeadState } from '../../domain/lead-state';
import { addHours } from '../../domain/sla';

/*
 * Realistic event histories without a workflow: a `LeadDriver` decides commands against the lead's state
 * with the real `decide`, folds the events with `evolve`, and keeps every decision's events as one batch
 * (what the workflow hands to the recordEvents activity). `journeys` drive a lead down each lifecycle path;
 * `randomHistory` walks a lead through whatever its stage allows, timers included.
 */

export const T0 = '2025-03-03T09:00:00.000Z';

/** Clears every rule of the default policy: vp 25 + 250 employees 20 + software 15 + GB 10 = fit 70. */
export const ada = {
  email: 'ada@analytical.example',
  firstName: 'Ada',
  lastName: 'Lovelace',
  phone: '+44 20 7946 0000',
  company: 'Analytical Engines Ltd',
  country: 'GB',
  productInterest: 'lead-routing',
  seniority: 'vp',
  employeeCount: 250,
  industry: 'software',
} satisfies FillForm['profile'];

export const fillForm = (profile: FillForm['profile'], formType = 'profile_update', source?: FillForm['source']): LeadCommand => ({
  type: 'FillForm',
  formType,
  profile,
  ...(source ? { source } : {}),
});
export const engage = (now: string, ...types: string[]): LeadCommand => ({
  type: 'RecordEngagement',
  engagements: types.map((type) => ({ type, occurredAt: now })),
});
export const accept = (rep = 'rep-ada'): LeadCommand => ({ type: 'AcceptLead', rep });
export const reject = (reason: RejectReason, rep = 'rep-ada'): LeadCommand => ({ type: 'RejectLead', rep, reason });
export const qualify = (bant: Partial<Record<BantCriterion, boolean>> = {}, rep = 'rep-ada'): LeadCommand => ({
  type: 'QualifyLead',
  rep,
  budget: true,
  authority: true,
  need: true,
  timeline: true,
  ...bant,
});
export const closeWon = (rep = 'rep-ada'): LeadCommand => ({ type: 'CloseLead', rep, outcome: 'won' });
export const closeLost = (reason: string, rep = 'rep-ada'): LeadCommand => ({ type: 'CloseLead', rep, outcome: 'lost', reason });
export const disqualify = (reason = 'fake_company', by = 'ops-olga'): LeadCommand => ({ type: 'DisqualifyLead', by, reason });
export const unsubscribe: LeadCommand = { type: 'Unsubscribe' };
export const assign = (owner: string): LeadCommand => ({ type: 'AssignOwner', owner });
export const remind: LeadCommand = { type: 'SendSlaReminder' };
export const breach: LeadCommand = { type: 'BreachSla' };
export const reevaluate: LeadCommand = { type: 'Reevaluate' };

export class LeadDriver {
  state: LeadState;
  readonly events: LeadEvent[] = [];
  readonly batches: LeadEvent[][] = [];
  /** The instant the next command is decided at; `wait` moves it forward. */
  now = T0;

  constructor(
    readonly leadId: string,
    readonly policy: LeadPolicy = defaultLeadPolicy,
  ) {
    this.state = initialLeadState(leadId);
  }

  wait(hours: number): this {
    this.now = addHours(this.now, hours);
    return this;
  }

  /** Decides the command now; throws when it is refused (a journey must only take allowed steps). */
  run(command: LeadCommand): this {
    if (!this.tryRun(command)) throw new Error(`${this.leadId}: ${command.type} refused in stage ${this.state.stage}`);
    return this;
  }

  tryRun(command: LeadCommand): boolean {
    const decision = decide(command, this.state, this.now, this.policy);
    if (!decision.ok) return false;
    for (const e of decision.events) this.state = evolve(this.state, e);
    this.events.push(...decision.events);
    if (decision.events.length > 0) this.batches.push(decision.events);
    return true;
  }

  /** Fires the lead's own next timer (reminder, breach, cool-off Reevaluate) at its instant. */
  fireTimer(): this {
    const timer = nextTimer(this.state);
    if (!timer) throw new Error(`${this.leadId}: no timer pending in stage ${this.state.stage}`);
    if (Date.parse(timer.at) > Date.parse(this.now)) this.now = timer.at;
    return this.run({ type: timer.command });
  }

  // The usual steps of a journey.
  mql(profile: FillForm['profile'] = ada): this {
    return this.run(fillForm(profile)).wait(1).run(engage(this.now, 'pricing_page_view', 'pricing_page_view', 'pricing_page_view'));
  }
  assigned(rep = 'rep-ada'): this {
    return this.mql().run(assign(rep));
  }
  sal(rep = 'rep-ada'): this {
    return this.assigned(rep).wait(1).run(accept(rep));
  }
  sql(rep = 'rep-ada'): this {
    return this.sal(rep).wait(2).run(qualify({}, rep));
  }
  /** After a recycle: wait out the cool-off, show fresh interest, become an MQL again. */
  reMql(): this {
    return this.wait(24 * (this.policy.recycleCoolOffDays + 1)).run(
      engage(this.now, 'pricing_page_view', 'pricing_page_view', 'pricing_page_view'),
    );
  }
}

export type Journey = (d: LeadDriver) => LeadDriver;

/** Every lifecycle path, by name. */
export const journeys: Record<string, Journey> = {
  won: (d) => d.sql().wait(24).run(closeWon()),
  handRaiserWon: (d) =>
    d
      .run(fillForm(ada, 'demo_request', { channel: 'paid_search', campaign: 'spring' }))
      .run(assign('rep-grace'))
      .wait(2)
      .run(accept('rep-grace'))
      .wait(2)
      .run(qualify({}, 'rep-grace'))
      .wait(48)
      .run(closeWon('rep-grace')),
  ...Object.fromEntries(
    rejectReasons.map((reason): [string, Journey] => [`reject-${reason}`, (d) => d.assigned().wait(1).run(reject(reason))]),
  ),
  bantGapRecycle: (d) => d.sal().wait(3).run(qualify({ budget: false, timeline: false })),
  lostNotNow: (d) => d.sql().wait(72).run(closeLost('not_now')),
  lostToCompetitor: (d) => d.sql().wait(72).run(closeLost('chose_competitor')),
  disqualifiedInquiry: (d) => d.run(fillForm({ email: 'spam@bots.example' }, 'newsletter')).wait(1).run(disqualify('spam')),
  disqualifiedSal: (d) => d.sal().wait(5).run(disqualify('fake_company', 'rep-ada')),
  unsubscribedThenDisqualified: (d) => d.run(fillForm(ada, 'newsletter')).wait(1).run(unsubscribe).wait(1).run(disqualify()),
  /** MQL SLA breached once, reassigned, accepted by the second rep and won. */
  slaBreachReassigned: (d) =>
    d
      .assigned('rep-ada')
      .fireTimer() // reminder
      .fireTimer() // breach 1: owner freed
      .run(assign('rep-grace'))
      .wait(2)
      .run(accept('rep-grace'))
      .wait(2)
      .run(qualify({}, 'rep-grace'))
      .wait(24)
      .run(closeWon('rep-grace')),
  /** MQL SLA breached by two reps: handed back to marketing (sla_expired). */
  mqlSlaExpired: (d) => d.assigned('rep-ada').fireTimer().fireTimer().run(assign('rep-grace')).fireTimer().fireTimer(),
  /** SAL SLA breached by two reps: handed back to marketing (sla_expired). */
  salSlaExpired: (d) => d.sal('rep-ada').fireTimer().fireTimer().run(assign('rep-linus')).fireTimer().fireTimer(),
  /** Recycled (not_ready), cool-off ends, fresh interest: MQL again (cycle 2), then won. */
  recycledThenReMqlWon: (d) =>
    d
      .assigned()
      .wait(1)
      .run(reject('not_ready'))
      .fireTimer() // Reevaluate at the end of the cool-off: engagement was reset, stays recycled
      .reMql()
      .run(assign('rep-grace'))
      .wait(1)
      .run(accept('rep-grace'))
      .wait(1)
      .run(qualify({}, 'rep-grace'))
      .wait(1)
      .run(closeWon('rep-grace')),
  /** Bounced for bad contact data, repaired by a later form, MQL again after the cool-off. */
  badContactDataRepaired: (d) =>
    d
      .assigned()
      .wait(1)
      .run(reject('bad_contact_data'))
      .wait(24)
      .run(fillForm({ email: ada.email, phone: '+44 20 7946 9999' }))
      .reMql(),
  /** Recycled twice (BANT gaps, then lost not_now after a second cycle), then disqualified. */
  recycledTwice: (d) =>
    d
      .sal()
      .wait(1)
      .run(qualify({ need: false }))
      .reMql()
      .run(assign('rep-grace'))
      .run(accept('rep-grace'))
      .run(qualify({}, 'rep-grace'))
      .wait(24)
      .run(closeLost('not_now', 'rep-grace'))
      .wait(24)
      .run(disqualify('no_longer_exists')),
};

// --- random walks -------------------------------------------------------------------------------------

/** Small deterministic PRNG (mulberry32), so a failing random history can be reproduced by its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const reps = defaultLeadPolicy.routing.reps.map((r) => r.id);
const engagementTypes = ['pricing_page_view', 'content_download', 'webinar_attended', 'email_click', 'email_open', 'page_view'];

/**
 * A lead walked through up to `maxSteps` commands its stage allows, chosen at random (weighted towards
 * progress), with its timers firing when they come due.
 */
export function randomHistory(leadId: string, seed: number, maxSteps = 20): LeadDriver {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const chance = (p: number) => r() < p;
  const d = new LeadDriver(leadId);
  const email = `${leadId}@example.com`;
  const profile: FillForm['profile'] = chance(0.8)
    ? { ...ada, email, ...(chance(0.2) ? { phone: undefined } : {}), ...(chance(0.3) ? { firstName: pick(['Grace', 'Linus']) } : {}) }
    : { email, company: pick(['Solo', 'Tiny Co']), seniority: pick(['student', 'manager']) };
  d.run(fillForm(profile, pick(['newsletter', 'content_download', 'demo_request', 'profile_update']), { channel: pick(['web', 'paid_search', 'event']) }));
  let engagementId = 0;
  for (let step = 0; step < maxSteps && !isClosed(d.state); step++) {
    d.wait(Math.floor(r() * 30));
    const s = d.state;
    if (needsOwner(s)) {
      d.run(assign(pick(reps.filter((rep) => !s.breachedOwners.includes(rep)).concat(reps[0]!))));
      continue;
    }
    const timer = nextTimer(s);
    if (timer && (s.stage === 'recycled' ? chance(0.3) : chance(0.35))) {
      d.fireTimer();
      continue;
    }
    const allowed = allowedCommands(s);
    const rep = s.owner ?? pick(reps);
    const options: [number, LeadCommand][] = [];
    const add = (weight: number, command: LeadCommand) => options.push([weight, command]);
    if (allowed.includes('RecordEngagement')) {
      const engagements = Array.from({ length: 1 + Math.floor(r() * 4) }, () => ({
        type: pick(engagementTypes),
        occurredAt: d.now,
        ...(chance(0.5) ? { id: `e-${chance(0.2) ? engagementId : ++engagementId}` } : {}),
      }));
      add(20, { type: 'RecordEngagement', engagements });
    }
    if (allowed.includes('FillForm')) {
      const update = chance(0.5) ? { phone: `+44 20 7946 ${1000 + step}` } : { jobTitle: 'Head of Ops' };
      add(10, fillForm({ email, ...update }, pick(['content_download', 'demo_request', 'webinar'])));
    }
    if (allowed.includes('Unsubscribe')) add(2, unsubscribe);
    if (allowed.includes('AcceptLead')) add(50, accept(rep));
    if (allowed.includes('RejectLead')) add(30, reject(pick(rejectReasons), rep));
    if (allowed.includes('QualifyLead')) add(50, qualify({ budget: chance(0.8), need: chance(0.8) }, rep));
    if (allowed.includes('CloseLead')) {
      add(50, chance(0.5) ? closeWon(rep) : closeLost(pick(['not_now', 'chose_competitor', 'no_decision']), rep));
    }
    if (allowed.includes('DisqualifyLead')) add(2, disqualify(pick(['spam', 'fake_company', 'student'])));
    let x = r() * options.reduce((sum, [w]) => sum + w, 0);
    const [, command] = options.find(([w]) => (x -= w) < 0) ?? options[0]!;
    d.tryRun(command);
  }
  return d;
}
