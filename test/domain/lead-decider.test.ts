import type { EngagementInput, FillForm, LeadCommand, LeadCommandType } from '../../domain/lead-commands';
import {
  allowedCommands,
  decide,
  type Decision,
  evolve,
  foldEvents,
  mqlReadiness,
  needsOwner,
  nextTimer,
  type RefusalCode,
} from '../../domain/lead-decider';
import {
  type BantCriterion,
  type LeadEvent,
  type LeadEventType,
  type LeadStage,
  rejectReasons,
  type RejectReason,
} from '../../domain/lead-events';
import { defaultLeadPolicy, type LeadPolicy } from '../../domain/lead-policy';
import { initialLeadState, type LeadState } from '../../domain/lead-state';

/*
 * Given/when/then tests of the lifecycle rules as plain functions: `given` decides and folds a list of
 * commands (or replays events) from a fresh lead, `when` decides one more command at a fixed instant, and
 * the `then…` assertions read the events, the resulting state or the refusal.
 */

// --- fixed instants (UTC) ------------------------------------------------------------------------------

const MON_0900 = '2025-03-03T09:00:00.000Z'; // capture, MQL, first assignment
const MON_1000 = '2025-03-03T10:00:00.000Z'; // sales accepts / rejects
const MON_1100 = '2025-03-03T11:00:00.000Z'; // sales qualifies
const MON_1200 = '2025-03-03T12:00:00.000Z';
const TUE_0259 = '2025-03-04T02:59:59.999Z'; // 1 ms before the MQL reminder (assigned MON_0900 + 18 h)
const TUE_0300 = '2025-03-04T03:00:00.000Z'; // MQL reminder
const TUE_0859 = '2025-03-04T08:59:59.999Z'; // 1 ms before the MQL SLA is due
const TUE_0900 = '2025-03-04T09:00:00.000Z'; // MQL SLA due (MON_0900 + 24 h)
const WED_0300 = '2025-03-05T03:00:00.000Z'; // reminder for an MQL reassigned at TUE_0900
const WED_0900 = '2025-03-05T09:00:00.000Z'; // due for an MQL reassigned at TUE_0900
const FRI_0359 = '2025-03-07T03:59:59.999Z'; // 1 ms before the SAL reminder (accepted MON_1000 + 90 h)
const FRI_0400 = '2025-03-07T04:00:00.000Z'; // SAL reminder
const SAT_0959 = '2025-03-08T09:59:59.999Z'; // 1 ms before the SAL SLA is due
const SAT_1000 = '2025-03-08T10:00:00.000Z'; // SAL SLA due (MON_1000 + 5 days)
const WED12_0400 = '2025-03-12T04:00:00.000Z'; // reminder for a SAL reassigned at SAT_1000
const THU13_1000 = '2025-03-13T10:00:00.000Z'; // due for a SAL reassigned at SAT_1000
const MID_COOL_OFF = '2025-03-20T09:00:00.000Z';
const COOL_OFF_END_0959 = '2025-04-02T09:59:59.999Z'; // 1 ms before a cool-off that started MON_1000 ends
const COOL_OFF_END = '2025-04-02T10:00:00.000Z'; // MON_1000 + 30 days
const APR_10 = '2025-04-10T09:00:00.000Z';
const APR_11 = '2025-04-11T09:00:00.000Z';
const APR_12 = '2025-04-12T09:00:00.000Z';
const MAY_20 = '2025-05-20T09:00:00.000Z';

const policy = defaultLeadPolicy;

function withPolicy(change: (p: LeadPolicy) => void): LeadPolicy {
  const copy = structuredClone(defaultLeadPolicy);
  change(copy);
  return copy;
}

// --- the lead and the commands -------------------------------------------------------------------------

/** Clears every rule of the default policy: vp 25 + 250 employees 20 + software 15 + GB 10 = fit 70. */
const ada = {
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
const ADA_FIT = 70;

/** A form type the engagement table does not know: it scores 0, so tests control engagement exactly. */
const PROFILE_FORM = 'profile_update';

const fillForm = (
  profile: FillForm['profile'],
  formType: string = PROFILE_FORM,
  source?: FillForm['source'],
): LeadCommand => ({ type: 'FillForm', formType, profile, ...(source ? { source } : {}) });
const engageWith = (...engagements: EngagementInput[]): LeadCommand => ({
  type: 'RecordEngagement',
  engagements,
});
const engage = (...types: string[]): LeadCommand => engageWith(...types.map((type) => ({ type, occurredAt: MON_0900 })));
/** Exactly the engagement threshold (3 x 10 = 30). */
const threePricingViews = engage('pricing_page_view', 'pricing_page_view', 'pricing_page_view');
const accept = (rep = 'rep-ada'): LeadCommand => ({ type: 'AcceptLead', rep });
const reject = (reason: RejectReason, rep = 'rep-ada'): LeadCommand => ({ type: 'RejectLead', rep, reason });
const qualify = (bant: Partial<Record<BantCriterion, boolean>> = {}, rep = 'rep-ada'): LeadCommand => ({
  type: 'QualifyLead',
  rep,
  budget: true,
  authority: true,
  need: true,
  timeline: true,
  ...bant,
});
const closeWon = (rep = 'rep-ada'): LeadCommand => ({ type: 'CloseLead', rep, outcome: 'won' });
const closeLost = (reason?: string, rep = 'rep-ada'): LeadCommand => ({
  type: 'CloseLead',
  rep,
  outcome: 'lost',
  ...(reason !== undefined ? { reason } : {}),
});
const disqualify = (reason = 'fake_company', by = 'ops-olga'): LeadCommand => ({ type: 'DisqualifyLead', by, reason });
const unsubscribe: LeadCommand = { type: 'Unsubscribe' };
const assign = (owner: string): LeadCommand => ({ type: 'AssignOwner', owner });
const remind: LeadCommand = { type: 'SendSlaReminder' };
const breach: LeadCommand = { type: 'BreachSla' };
const reevaluate: LeadCommand = { type: 'Reevaluate' };

// --- given / when / then -------------------------------------------------------------------------------

type Timed = { at: string; command: LeadCommand };
type Step = LeadCommand | Timed | LeadEvent;

/** A command decided at a given instant (bare commands in `given` are decided at MON_0900). */
const at = (time: string, command: LeadCommand): Timed => ({ at: time, command });

type EventOf<T extends LeadEventType> = Extract<LeadEvent, { type: T }>;

class Outcome {
  readonly events: LeadEvent[];
  readonly after: LeadState;
  constructor(
    readonly before: LeadState,
    readonly decision: Decision,
    readonly now: string,
  ) {
    this.events = decision.ok ? decision.events : [];
    this.after = this.events.reduce(evolve, before);
  }

  thenEmits(...types: LeadEventType[]): this {
    if (!this.decision.ok) throw new Error(`expected events, got refusal ${JSON.stringify(this.decision.refusal)}`);
    expect(this.events.map((e) => e.type)).toEqual(types);
    for (const e of this.events) expect(e.occurredAt).toBe(this.now);
    return this;
  }

  thenNothingHappens(): this {
    return this.thenEmits();
  }

  thenStage(stage: LeadStage): this {
    expect(this.after.stage).toBe(stage);
    return this;
  }

  thenRefused(code: RefusalCode, allowed?: LeadCommandType[]): this {
    expect(this.decision.ok).toBe(false);
    if (this.decision.ok) return this;
    const { refusal } = this.decision;
    expect(refusal.code).toBe(code);
    expect(refusal.stage).toBe(this.before.stage);
    expect(typeof refusal.message).toBe('string');
    expect(refusal.message.length).toBeGreaterThan(0);
    if (allowed) expect([...refusal.allowed].sort()).toEqual([...allowed].sort());
    expect(this.decision).not.toHaveProperty('events');
    return this;
  }

  /** The one event of this type the decision emitted. */
  event<T extends LeadEventType>(type: T): EventOf<T> {
    const found = this.events.filter((e): e is EventOf<T> => e.type === type);
    expect(found).toHaveLength(1);
    return found[0]!;
  }
}

class Scenario {
  constructor(
    readonly state: LeadState,
    readonly history: LeadEvent[],
    readonly policy: LeadPolicy,
  ) {}

  when(command: LeadCommand, now: string = MON_0900): Outcome {
    return new Outcome(this.state, decide(command, this.state, now, this.policy), now);
  }

  readiness(now: string): ReturnType<typeof mqlReadiness> {
    return mqlReadiness(this.state, this.policy, now);
  }
}

function isEvent(step: Step): step is LeadEvent {
  return 'seq' in step;
}

function givenWith(p: LeadPolicy, ...steps: Step[]): Scenario {
  let state = initialLeadState('lead-1');
  const history: LeadEvent[] = [];
  for (const step of steps) {
    if (isEvent(step)) {
      state = evolve(state, step);
      history.push(step);
      continue;
    }
    const { command, at: now } = 'command' in step ? step : { command: step, at: MON_0900 };
    const decision = decide(command, state, now, p);
    if (!decision.ok) throw new Error(`given: ${command.type} was refused: ${decision.refusal.message}`);
    for (const e of decision.events) state = evolve(state, e);
    history.push(...decision.events);
  }
  return new Scenario(state, history, p);
}

const given = (...steps: Step[]): Scenario => givenWith(policy, ...steps);

// --- leads in each stage -------------------------------------------------------------------------------

const anInquiry: Step[] = [fillForm(ada)];
const anMql: Step[] = [fillForm(ada), threePricingViews]; // MQL by score at MON_0900, no owner yet
const anAssignedMql: Step[] = [...anMql, at(MON_0900, assign('rep-ada'))];
const aSal: Step[] = [...anAssignedMql, at(MON_1000, accept('rep-ada'))];
const anSql: Step[] = [...aSal, at(MON_1100, qualify())];
const aRecycled: Step[] = [...anAssignedMql, at(MON_1000, reject('not_ready'))]; // cool-off until COOL_OFF_END
const aWon: Step[] = [...anSql, at(MON_1200, closeWon())];
const aDisqualified: Step[] = [...anInquiry, at(MON_1000, disqualify())];

const stageSetups: Record<LeadStage, Step[]> = {
  inquiry: anInquiry,
  mql: anMql,
  sal: aSal,
  sql: anSql,
  recycled: aRecycled,
  won: aWon,
  disqualified: aDisqualified,
};

const openStageNames = ['inquiry', 'mql', 'sal', 'sql', 'recycled'] as const;

/** What people may send in each stage: the lifecycle's contract with the API. */
const expectedAllowed: Record<LeadStage, LeadCommandType[]> = {
  inquiry: ['FillForm', 'RecordEngagement', 'Unsubscribe', 'DisqualifyLead'],
  mql: ['FillForm', 'RecordEngagement', 'Unsubscribe', 'AcceptLead', 'RejectLead', 'DisqualifyLead', 'ReassignLead'],
  sal: ['FillForm', 'RecordEngagement', 'Unsubscribe', 'RecordContactAttempt', 'QualifyLead', 'RejectLead', 'DisqualifyLead', 'ReassignLead'],
  sql: ['FillForm', 'RecordEngagement', 'Unsubscribe', 'CloseLead', 'DisqualifyLead'],
  recycled: ['FillForm', 'RecordEngagement', 'Unsubscribe', 'DisqualifyLead'],
  won: [],
  disqualified: [],
};

/** One well-formed example of every command. */
const sampleCommands: Record<LeadCommandType, LeadCommand> = {
  FillForm: fillForm({ email: 'ada@analytical.example', jobTitle: 'CTO' }),
  RecordEngagement: engage('webinar_attended'),
  AcceptLead: accept('rep-grace'),
  RejectLead: reject('not_ready', 'rep-grace'),
  QualifyLead: qualify({}, 'rep-grace'),
  CloseLead: closeWon('rep-grace'),
  DisqualifyLead: disqualify(),
  Unsubscribe: unsubscribe,
  AssignOwner: assign('rep-grace'),
  SendSlaReminder: remind,
  BreachSla: breach,
  Reevaluate: reevaluate,
  RecordContactAttempt: { type: 'RecordContactAttempt', rep: 'rep-grace', channel: 'phone', outcome: 'no_answer' },
  DecayEngagement: { type: 'DecayEngagement' },
  EraseLead: { type: 'EraseLead', requestedBy: 'privacy-officer' },
  ReassignLead: { type: 'ReassignLead', owner: 'rep-linus', by: 'manager-margaret' },
};
const peopleCommandTypes: LeadCommandType[] = [
  'FillForm',
  'RecordEngagement',
  'Unsubscribe',
  'AcceptLead',
  'RejectLead',
  'QualifyLead',
  'CloseLead',
  'DisqualifyLead',
  'RecordContactAttempt',
  'ReassignLead',
];

// =======================================================================================================

describe('capturing a lead', () => {
  it('creates the lead on its first form fill: LeadCaptured then FormFilled', () => {
    const source = { channel: 'paid_search', campaign: 'spring-2025' };
    const outcome = given()
      .when(fillForm(ada, 'content_download', source), MON_0900)
      .thenEmits('LeadCaptured', 'FormFilled')
      .thenStage('inquiry');

    expect(outcome.event('LeadCaptured').data).toEqual({ leadId: 'lead-1', profile: ada, source });
    expect(outcome.event('FormFilled').data).toEqual({
      formType: 'content_download',
      profile: ada,
      source,
      fitScore: ADA_FIT,
      engagementScore: 8,
      handRaise: false,
    });
    expect(outcome.after).toMatchObject({
      seq: 2,
      profile: ada,
      source,
      fitScore: ADA_FIT,
      engagementScore: 8,
      engagementByType: { content_download: 8 },
      createdAt: MON_0900,
      updatedAt: MON_0900,
      firstReachedAt: { inquiry: MON_0900 },
    });
    expect(outcome.after.handRaisedAt).toBeUndefined();
  });

  it('leaves the source out of the events when the form had none', () => {
    const outcome = given().when(fillForm(ada)).thenEmits('LeadCaptured', 'FormFilled');
    expect(outcome.event('LeadCaptured').data).not.toHaveProperty('source');
    expect(outcome.event('FormFilled').data).not.toHaveProperty('source');
  });

  it('normalises the email address (trimmed, lower case) in every event and in state', () => {
    const outcome = given()
      .when(fillForm({ ...ada, email: '  Ada@Analytical.EXAMPLE ' }))
      .thenEmits('LeadCaptured', 'FormFilled');
    expect(outcome.event('LeadCaptured').data.profile.email).toBe('ada@analytical.example');
    expect(outcome.event('FormFilled').data.profile.email).toBe('ada@analytical.example');
    expect(outcome.after.profile.email).toBe('ada@analytical.example');
  });

  it('does not capture the lead twice: a later form fill only records FormFilled', () => {
    const outcome = given(fillForm(ada)).when(fillForm({ email: 'ADA@analytical.example' }), MON_1000);
    outcome.thenEmits('FormFilled');
    expect(outcome.after.createdAt).toBe(MON_0900);
    expect(outcome.after.profile.email).toBe('ada@analytical.example');
  });

  it('merges a later form into the profile: new values win, omitted and blank fields never erase', () => {
    const outcome = given(fillForm(ada)).when(
      fillForm({
        email: 'ada@analytical.example',
        firstName: '',
        phone: undefined,
        company: null as unknown as string,
        jobTitle: 'CTO',
        country: 'FR',
      }),
      MON_1000,
    );
    outcome.thenEmits('FormFilled');
    expect(outcome.event('FormFilled').data.profile).toEqual({ ...ada, jobTitle: 'CTO', country: 'FR' });
    expect(outcome.after.profile).toEqual({ ...ada, jobTitle: 'CTO', country: 'FR' });
  });

  it('never erases a known value with a whitespace-only field, email included', () => {
    const outcome = given(fillForm(ada)).when(
      fillForm({ email: '   ', firstName: '  ', phone: '\t', productInterest: ' ' }),
      MON_1000,
    );
    outcome.thenEmits('FormFilled');
    expect(outcome.after.profile).toEqual(ada);
  });

  it('rescores fit from the merged profile', () => {
    const outcome = given(fillForm({ email: 'ada@analytical.example', country: 'GB' })).when(
      fillForm({ email: 'ada@analytical.example', seniority: 'c_level' }),
      MON_1000,
    );
    expect(outcome.event('FormFilled').data.fitScore).toBe(30 + 10);
    expect(outcome.after.fitScore).toBe(40);
  });

  it('keeps the first source when a later form has none, and takes a later source when given', () => {
    const first = { channel: 'webinar' };
    const lead = given(fillForm(ada, PROFILE_FORM, first));
    expect(lead.when(fillForm(ada), MON_1000).after.source).toEqual(first);
    expect(lead.when(fillForm(ada, PROFILE_FORM, { channel: 'event' }), MON_1000).after.source).toEqual({
      channel: 'event',
    });
  });

  it('scores the form type as engagement, within its cap', () => {
    const lead = given(fillForm(ada, 'content_download'), fillForm(ada, 'content_download'), fillForm(ada, 'content_download'));
    expect(lead.state.engagementScore).toBe(24);
    const outcome = lead.when(fillForm(ada, 'content_download'), MON_1000).thenEmits('FormFilled');
    expect(outcome.event('FormFilled').data.engagementScore).toBe(24);
    expect(outcome.after.engagementByType).toEqual({ content_download: 24 });
  });

  it.each(Object.keys(sampleCommands).filter((t) => t !== 'FillForm') as LeadCommandType[])(
    'refuses %s before the lead is captured with LEAD_NOT_FOUND',
    (type) => {
      const outcome = given().when(sampleCommands[type], MAY_20).thenRefused('LEAD_NOT_FOUND', ['FillForm']);
      expect(outcome.decision).toMatchObject({
        ok: false,
        refusal: { code: 'LEAD_NOT_FOUND', command: type, stage: 'inquiry', allowed: ['FillForm'] },
      });
    },
  );

  it('allows only FillForm before capture', () => {
    expect(allowedCommands(initialLeadState('lead-1'))).toEqual(['FillForm']);
  });
});

describe('inquiry -> mql by score', () => {
  it('becomes an MQL when fit, engagement and handoff data all clear', () => {
    const outcome = given(fillForm(ada))
      .when(threePricingViews, MON_0900)
      .thenEmits('EngagementRecorded', 'EngagementRecorded', 'EngagementRecorded', 'LeadBecameMql')
      .thenStage('mql');
    expect(outcome.event('LeadBecameMql').data).toEqual({
      via: 'score',
      fitScore: ADA_FIT,
      engagementScore: 30,
      mqlCycle: 1,
      policyVersion: 'default-1',
    });
    expect(outcome.after).toMatchObject({
      mqlCycle: 1,
      policyVersion: 'default-1',
      firstReachedAt: { inquiry: MON_0900, mql: MON_0900 },
    });
    expect(needsOwner(outcome.after)).toBe(true);
    expect(nextTimer(outcome.after)).toBeUndefined();
  });

  it('becomes an MQL on the form fill itself when engagement already clears', () => {
    given(fillForm({ email: 'ada@analytical.example' }), threePricingViews)
      .when(fillForm(ada), MON_1000)
      .thenEmits('FormFilled', 'LeadBecameMql')
      .thenStage('mql');
  });

  it('is explained as ready by mqlReadiness once everything clears (before deciding)', () => {
    const lead = given(fillForm(ada), engage('pricing_page_view', 'pricing_page_view'));
    const ready = { ...lead.state, engagementScore: 30 };
    expect(mqlReadiness(ready, policy, MON_1000)).toEqual({ via: 'score' });
  });

  it('qualifies at exactly the engagement threshold, not one point below', () => {
    const lead = given(fillForm(ada), engage('pricing_page_view', 'pricing_page_view', 'content_download', 'email_open'));
    expect(lead.state.engagementScore).toBe(29);
    expect(lead.state.stage).toBe('inquiry');
    expect(lead.readiness(MON_0900)).toEqual({ via: null, blockedBy: ['engagement_below_threshold'] });
    lead.when(engage('email_open')).thenEmits('EngagementRecorded', 'LeadBecameMql').thenStage('mql');
  });

  it('qualifies at exactly the fit threshold, not one point below', () => {
    const atThreshold = withPolicy((p) => {
      p.fit.threshold = ADA_FIT;
    });
    const aboveAda = withPolicy((p) => {
      p.fit.threshold = ADA_FIT + 1;
    });
    givenWith(atThreshold, fillForm(ada)).when(threePricingViews).thenStage('mql');
    givenWith(aboveAda, fillForm(ada))
      .when(threePricingViews)
      .thenEmits('EngagementRecorded', 'EngagementRecorded', 'EngagementRecorded')
      .thenStage('inquiry');
  });

  it('stays an inquiry while fit is below the threshold', () => {
    const lowFit = { ...ada, seniority: 'individual_contributor', employeeCount: 20, industry: 'retail' }; // 5 + 0 + 0 + 10
    const outcome = given(fillForm(lowFit))
      .when(threePricingViews)
      .thenEmits('EngagementRecorded', 'EngagementRecorded', 'EngagementRecorded')
      .thenStage('inquiry');
    expect(outcome.after.fitScore).toBe(15);
    expect(mqlReadiness(outcome.after, policy, MON_0900)).toEqual({ via: null, blockedBy: ['fit_below_threshold'] });
  });

  it('stays an inquiry while engagement is below the threshold', () => {
    const lead = given(fillForm(ada), engage('pricing_page_view', 'pricing_page_view'));
    expect(lead.state.stage).toBe('inquiry');
    expect(lead.readiness(MON_0900)).toEqual({ via: null, blockedBy: ['engagement_below_threshold'] });
  });

  it.each([
    ['firstName', 'missing:fullName'],
    ['lastName', 'missing:fullName'],
    ['email', 'missing:email'],
    ['phone', 'missing:phone'],
    ['company', 'missing:company'],
    ['country', 'missing:country'],
    ['productInterest', 'missing:productInterest'],
  ])('stays an inquiry without %s, and mqlReadiness says %s', (field, blocker) => {
    const outcome = given(fillForm({ ...ada, [field]: '' }))
      .when(threePricingViews)
      .thenEmits('EngagementRecorded', 'EngagementRecorded', 'EngagementRecorded')
      .thenStage('inquiry');
    expect(mqlReadiness(outcome.after, policy, MON_0900)).toEqual({ via: null, blockedBy: [blocker] });
  });

  it('treats a whitespace-only handoff field as missing', () => {
    const lead = given(fillForm({ ...ada, phone: '   ' }), threePricingViews);
    expect(lead.state.stage).toBe('inquiry');
    expect(lead.readiness(MON_0900)).toEqual({ via: null, blockedBy: ['missing:phone'] });
  });

  it('lists every blocker at once', () => {
    const lead = given(fillForm({ email: 'kid@gmail.com', firstName: 'Kim' }));
    expect(lead.readiness(MON_0900)).toEqual({
      via: null,
      blockedBy: [
        'missing:fullName',
        'missing:phone',
        'missing:company',
        'missing:country',
        'missing:productInterest',
        'fit_below_threshold',
        'engagement_below_threshold',
      ],
    });
  });

  it('becomes an MQL when a later form supplies the last missing field', () => {
    const { phone: _phone, ...withoutPhone } = ada;
    const lead = given(fillForm(withoutPhone), threePricingViews);
    expect(lead.state.stage).toBe('inquiry');
    expect(lead.readiness(MON_0900)).toEqual({ via: null, blockedBy: ['missing:phone'] });
    const outcome = lead
      .when(fillForm({ email: 'ada@analytical.example', phone: '+44 20 7946 0000' }), MON_1000)
      .thenEmits('FormFilled', 'LeadBecameMql')
      .thenStage('mql');
    expect(outcome.event('LeadBecameMql').data.via).toBe('score');
  });

  it('records a whole batch of engagement before becoming an MQL, once', () => {
    const outcome = given(fillForm(ada))
      .when(engage('pricing_page_view', 'pricing_page_view', 'pricing_page_view', 'webinar_attended'))
      .thenEmits('EngagementRecorded', 'EngagementRecorded', 'EngagementRecorded', 'EngagementRecorded', 'LeadBecameMql');
    expect(outcome.event('LeadBecameMql').data.engagementScore).toBe(42);
  });

  it('says an MQL is past the point of qualifying', () => {
    const lead = given(...anMql);
    expect(lead.readiness(MON_0900)).toEqual({ via: null, blockedBy: ['stage:mql'] });
  });

  it('qualifies an inquiry on Reevaluate when a newer policy lets it through', () => {
    const strict = withPolicy((p) => {
      p.version = 'strict-1';
      p.engagement.threshold = 1000;
    });
    const lead = givenWith(strict, fillForm(ada), threePricingViews);
    expect(lead.state.stage).toBe('inquiry');
    lead.when(reevaluate).thenNothingHappens();
    const outcome = new Scenario(lead.state, lead.history, policy)
      .when(reevaluate, MON_1000)
      .thenEmits('LeadBecameMql')
      .thenStage('mql');
    expect(outcome.event('LeadBecameMql').data.policyVersion).toBe('default-1');
  });
});

describe('hand-raisers', () => {
  it.each(['demo_request', 'contact_sales'])('a %s form with fit clearing is an MQL at once', (formType) => {
    const outcome = given()
      .when(fillForm(ada, formType))
      .thenEmits('LeadCaptured', 'FormFilled', 'LeadBecameMql')
      .thenStage('mql');
    expect(outcome.event('FormFilled').data.handRaise).toBe(true);
    expect(outcome.event('LeadBecameMql').data).toMatchObject({ via: 'hand_raiser', mqlCycle: 1 });
    expect(outcome.after.handRaisedAt).toBeUndefined();
  });

  it('does not need engagement to clear', () => {
    const noNurture = withPolicy((p) => {
      p.engagement.threshold = 1000;
    });
    const outcome = givenWith(noNurture)
      .when(fillForm(ada, 'demo_request'))
      .thenEmits('LeadCaptured', 'FormFilled', 'LeadBecameMql');
    expect(outcome.event('LeadBecameMql').data.via).toBe('hand_raiser');
  });

  it('is not a hand-raise when the form type is not a hand-raiser form', () => {
    const outcome = given().when(fillForm(ada, 'content_download')).thenEmits('LeadCaptured', 'FormFilled');
    expect(outcome.event('FormFilled').data.handRaise).toBe(false);
    expect(outcome.after.handRaisedAt).toBeUndefined();
  });

  it('waits with missing data, then becomes an MQL via hand_raiser when a later form supplies it', () => {
    const { phone: _phone, ...withoutPhone } = ada;
    const pending = given().when(fillForm(withoutPhone, 'demo_request'), MON_0900);
    pending.thenEmits('LeadCaptured', 'FormFilled').thenStage('inquiry');
    expect(pending.after.handRaisedAt).toBe(MON_0900);
    expect(mqlReadiness(pending.after, policy, MON_0900)).toEqual({ via: null, blockedBy: ['missing:phone'] });

    const outcome = given(fillForm(withoutPhone, 'demo_request'))
      .when(fillForm({ email: 'ada@analytical.example', phone: '+44 20 7946 0000' }), MON_1200)
      .thenEmits('FormFilled', 'LeadBecameMql')
      .thenStage('mql');
    expect(outcome.event('LeadBecameMql').data).toMatchObject({ via: 'hand_raiser', mqlCycle: 1 });
    expect(outcome.after.handRaisedAt).toBeUndefined();
    expect(outcome.after.firstReachedAt.mql).toBe(MON_1200);
  });

  it('waits while fit is below the threshold and qualifies when better data raises it', () => {
    const lowFit = { ...ada, seniority: 'individual_contributor', employeeCount: 20, industry: 'retail' };
    const lead = given(fillForm(lowFit, 'contact_sales'));
    expect(lead.state.stage).toBe('inquiry');
    expect(lead.readiness(MON_0900)).toEqual({ via: null, blockedBy: ['fit_below_threshold'] });
    const outcome = lead
      .when(fillForm({ email: 'ada@analytical.example', seniority: 'c_level', employeeCount: 5000 }), MON_1000)
      .thenEmits('FormFilled', 'LeadBecameMql');
    expect(outcome.event('LeadBecameMql').data.via).toBe('hand_raiser');
  });

  it('keeps the date of the first pending hand-raise', () => {
    const { phone: _phone, ...withoutPhone } = ada;
    const lead = given(at(MON_0900, fillForm(withoutPhone, 'demo_request')), at(MON_1000, fillForm(withoutPhone, 'contact_sales')));
    expect(lead.state.handRaisedAt).toBe(MON_0900);
  });
});

describe('engagement', () => {
  it('records what happened, when it happened, its points and the running score', () => {
    const outcome = given(fillForm(ada))
      .when(engageWith({ type: 'webinar_attended', occurredAt: '2025-03-02T15:00:00.000Z', id: 'hs-1' }), MON_1000)
      .thenEmits('EngagementRecorded');
    expect(outcome.event('EngagementRecorded').data).toEqual({
      engagementType: 'webinar_attended',
      engagementId: 'hs-1',
      at: '2025-03-02T15:00:00.000Z',
      points: 12,
      engagementScore: 12,
    });
    expect(outcome.after.recentEngagementIds).toEqual(['hs-1']);
  });

  it('ignores an engagement whose id was already recorded', () => {
    const webinar = engageWith({ type: 'webinar_attended', occurredAt: MON_0900, id: 'hs-1' });
    const outcome = given(fillForm(ada), webinar).when(webinar, MON_1000).thenNothingHappens();
    expect(outcome.after.engagementScore).toBe(12);
  });

  it('ignores a repeated id inside one batch', () => {
    const outcome = given(fillForm(ada))
      .when(
        engageWith(
          { type: 'webinar_attended', occurredAt: MON_0900, id: 'hs-1' },
          { type: 'webinar_attended', occurredAt: MON_0900, id: 'hs-1' },
          { type: 'webinar_attended', occurredAt: MON_0900, id: 'hs-2' },
        ),
      )
      .thenEmits('EngagementRecorded', 'EngagementRecorded');
    expect(outcome.after.engagementScore).toBe(24);
    expect(outcome.after.recentEngagementIds).toEqual(['hs-1', 'hs-2']);
  });

  it('counts engagements without an id every time', () => {
    const outcome = given(fillForm(ada), engage('webinar_attended')).when(engage('webinar_attended'), MON_1000);
    outcome.thenEmits('EngagementRecorded');
    expect(outcome.after.engagementScore).toBe(24);
    expect(outcome.event('EngagementRecorded').data).not.toHaveProperty('engagementId');
  });

  it('remembers only the most recent ids (bounded dedup window)', () => {
    const many = Array.from({ length: 501 }, (_, i) => ({ type: 'tiktok_like', occurredAt: MON_0900, id: `e${i}` }));
    const lead = given(fillForm(ada), engageWith(...many));
    expect(lead.state.recentEngagementIds).toHaveLength(500);
    expect(lead.state.recentEngagementIds[0]).toBe('e1');
    lead.when(engageWith({ type: 'tiktok_like', occurredAt: MON_0900, id: 'e0' })).thenEmits('EngagementRecorded');
    lead.when(engageWith({ type: 'tiktok_like', occurredAt: MON_0900, id: 'e1' })).thenNothingHappens();
  });

  it.each([
    ['page_view', 10],
    ['email_open', 5],
    ['email_click', 15],
    ['pricing_page_view', 30],
    ['content_download', 24],
  ])('caps %s at %i points; events past the cap are recorded with 0 points', (type, cap) => {
    const lead = given(fillForm(withInquiryOnlyFit()), engage(...Array<string>(20).fill(type)));
    expect(lead.state.engagementScore).toBe(cap);
    expect(lead.state.engagementByType[type]).toBe(cap);
    const outcome = lead.when(engage(type), MON_1000).thenEmits('EngagementRecorded');
    expect(outcome.event('EngagementRecorded').data).toMatchObject({ points: 0, engagementScore: cap });
  });

  it('caps each type separately, so different kinds of interest add up', () => {
    const lead = given(
      fillForm(withInquiryOnlyFit()),
      engage(...Array<string>(20).fill('page_view'), ...Array<string>(20).fill('email_open')),
    );
    expect(lead.state.engagementScore).toBe(15);
    expect(lead.state.engagementByType).toEqual({ page_view: 10, email_open: 5 });
  });

  it('counts a form fill of a capped type against the same cap as recorded engagement', () => {
    const outcome = given(fillForm(ada, 'content_download'), fillForm(ada, 'content_download'))
      .when(engage('content_download', 'content_download'), MON_1000)
      .thenEmits('EngagementRecorded', 'EngagementRecorded');
    expect(outcome.events.map((e) => (e.type === 'EngagementRecorded' ? e.data.points : null))).toEqual([8, 0]);
  });

  it('does not cap a type without a cap', () => {
    const lead = given(fillForm(withInquiryOnlyFit()), engage(...Array<string>(10).fill('webinar_attended')));
    expect(lead.state.engagementScore).toBe(120);
  });

  it.each(['mql', 'sal', 'sql'] as const)('is recorded in %s without a second MQL', (stage) => {
    const outcome = given(...stageSetups[stage]).when(threePricingViews, MON_1200);
    outcome.thenEmits('EngagementRecorded', 'EngagementRecorded', 'EngagementRecorded').thenStage(stage);
  });

  /** Ada's profile with fit below the threshold, so engagement never turns into an MQL. */
  function withInquiryOnlyFit(): FillForm['profile'] {
    return { ...ada, seniority: 'student' };
  }
});

describe('unsubscribing', () => {
  it('records LeadUnsubscribed once', () => {
    const outcome = given(...anInquiry).when(unsubscribe, MON_1000).thenEmits('LeadUnsubscribed').thenStage('inquiry');
    expect(outcome.event('LeadUnsubscribed').data).toEqual({});
    expect(outcome.after.unsubscribed).toBe(true);
  });

  it('is a no-op the second time: accepted, zero events', () => {
    const outcome = given(...anInquiry, unsubscribe).when(unsubscribe, MON_1000).thenNothingHappens();
    expect(outcome.decision).toEqual({ ok: true, events: [] });
    expect(outcome.after.unsubscribed).toBe(true);
  });

  it.each(openStageNames)('is allowed in %s and does not move the stage', (stage) => {
    given(...stageSetups[stage]).when(unsubscribe, MON_1200).thenEmits('LeadUnsubscribed').thenStage(stage);
  });

  it('stops an unsubscribed lead becoming an MQL by score', () => {
    const outcome = given(fillForm(ada), unsubscribe)
      .when(threePricingViews, MON_1000)
      .thenEmits('EngagementRecorded', 'EngagementRecorded', 'EngagementRecorded')
      .thenStage('inquiry');
    expect(mqlReadiness(outcome.after, policy, MON_1000)).toEqual({ via: null, blockedBy: ['unsubscribed'] });
    given(fillForm(ada), unsubscribe, threePricingViews).when(reevaluate, MON_1200).thenNothingHappens();
  });

  it('still lets an unsubscribed lead hand-raise its way to MQL', () => {
    const outcome = given(fillForm(ada), unsubscribe, threePricingViews)
      .when(fillForm(ada, 'demo_request'), MON_1200)
      .thenEmits('FormFilled', 'LeadBecameMql')
      .thenStage('mql');
    expect(outcome.event('LeadBecameMql').data.via).toBe('hand_raiser');
  });
});

describe('mql -> sal: sales accepts', () => {
  it('moves to sal, hands ownership to the accepting rep and starts the 5-day SAL SLA (reminder at 75%)', () => {
    const outcome = given(...anAssignedMql)
      .when(accept('rep-ada'), MON_1000)
      .thenEmits('LeadAccepted')
      .thenStage('sal');
    expect(outcome.event('LeadAccepted').data).toEqual({ rep: 'rep-ada', slaDueAt: SAT_1000, remindAt: FRI_0400 });
    expect(outcome.after.owner).toBe('rep-ada');
    expect(outcome.after.sla).toEqual({
      kind: 'sal',
      owner: 'rep-ada',
      startedAt: MON_1000,
      remindAt: FRI_0400,
      dueAt: SAT_1000,
      reminded: false,
    });
    expect(outcome.after.firstReachedAt).toEqual({ inquiry: MON_0900, mql: MON_0900, sal: MON_1000 });
    expect(needsOwner(outcome.after)).toBe(false);
    expect(nextTimer(outcome.after)).toEqual({ at: FRI_0400, command: 'SendSlaReminder' });
  });

  it('may be accepted before anyone was assigned, by any rep', () => {
    const outcome = given(...anMql).when(accept('rep-linus'), MON_1000).thenEmits('LeadAccepted').thenStage('sal');
    expect(outcome.after.owner).toBe('rep-linus');
  });
});

describe('mql rejected by sales', () => {
  const recycling: RejectReason[] = ['not_ready', 'no_budget', 'bad_timing', 'bad_contact_data'];
  const disqualifying: RejectReason[] = ['not_a_fit', 'competitor', 'spam', 'duplicate'];

  it('covers all eight reasons', () => {
    expect([...recycling, ...disqualifying].sort()).toEqual([...rejectReasons].sort());
  });

  it.each(recycling)('%s sends the lead back to nurture (recycled)', (reason) => {
    const outcome = given(...anAssignedMql)
      .when(reject(reason, 'rep-ada'), MON_1000)
      .thenEmits('LeadRejected', 'LeadRecycled')
      .thenStage('recycled');
    expect(outcome.event('LeadRejected').data).toEqual({ rep: 'rep-ada', reason });
    expect(outcome.event('LeadRecycled').data).toEqual({
      reason,
      from: 'mql',
      by: 'rep-ada',
      needsDataRepair: reason === 'bad_contact_data',
      coolOffUntil: COOL_OFF_END,
    });
    expect(outcome.after.recycle).toEqual({
      reason,
      at: MON_1000,
      coolOffUntil: COOL_OFF_END,
      needsDataRepair: reason === 'bad_contact_data',
    });
    expect(outcome.after.owner).toBeUndefined();
    expect(outcome.after.sla).toBeUndefined();
  });

  it('bad_contact_data flags the lead for data repair', () => {
    const outcome = given(...anMql).when(reject('bad_contact_data'), MON_1000);
    expect(outcome.after.recycle?.needsDataRepair).toBe(true);
  });

  it('bad_contact_data keeps the same data from being handed over again after the cool-off', () => {
    const bounced = given(...anAssignedMql, at(MON_1000, reject('bad_contact_data')));
    const outcome = bounced.when(fillForm(ada, 'demo_request'), APR_10).thenEmits('FormFilled').thenStage('recycled');
    expect(mqlReadiness(outcome.after, policy, APR_10)).toEqual({ via: null, blockedBy: ['needs_data_repair'] });
  });

  it('bad_contact_data is cleared by new contact data, and the lead can qualify again', () => {
    const bounced = given(...anAssignedMql, at(MON_1000, reject('bad_contact_data')));
    const outcome = bounced
      .when(fillForm({ ...ada, phone: '+44 20 7946 0999' }, 'demo_request'), APR_10)
      .thenEmits('FormFilled', 'LeadBecameMql')
      .thenStage('mql');
    expect(outcome.after.recycle?.needsDataRepair).toBe(false);
  });

  it.each(disqualifying)('%s takes the lead out of the funnel (disqualified)', (reason) => {
    const outcome = given(...anAssignedMql)
      .when(reject(reason, 'rep-ada'), MON_1000)
      .thenEmits('LeadRejected', 'LeadDisqualified')
      .thenStage('disqualified');
    expect(outcome.event('LeadDisqualified').data).toEqual({ by: 'rep-ada', reason, from: 'mql' });
    expect(outcome.after.closed).toEqual({ outcome: 'disqualified', reason, by: 'rep-ada', at: MON_1000 });
    expect(outcome.after.sla).toBeUndefined();
    expect(allowedCommands(outcome.after)).toEqual([]);
  });

  it('keeps the rep note on the rejection', () => {
    const outcome = given(...anMql).when({ type: 'RejectLead', rep: 'rep-ada', reason: 'spam', note: 'bot' }, MON_1000);
    expect(outcome.event('LeadRejected').data).toEqual({ rep: 'rep-ada', reason: 'spam', note: 'bot' });
  });
});

describe('sal -> sql: sales qualifies', () => {
  it('moves to sql with an opportunity when all of BANT holds', () => {
    const outcome = given(...aSal)
      .when({ ...qualify({}, 'rep-ada'), note: 'budget approved' } as LeadCommand, MON_1100)
      .thenEmits('LeadQualified')
      .thenStage('sql');
    expect(outcome.event('LeadQualified').data).toEqual({
      rep: 'rep-ada',
      bant: { budget: true, authority: true, need: true, timeline: true },
      note: 'budget approved',
      opportunityId: 'lead-1-opp-1',
    });
    expect(outcome.after.opportunityId).toBe('lead-1-opp-1');
    expect(outcome.after.sla).toBeUndefined();
    expect(outcome.after.firstReachedAt.sql).toBe(MON_1100);
    expect(nextTimer(outcome.after)).toBeUndefined();
    expect(needsOwner(outcome.after)).toBe(false);
  });

  it.each<[BantCriterion[]]>([
    [['budget']],
    [['authority']],
    [['need']],
    [['timeline']],
    [['budget', 'timeline']],
    [['authority', 'need', 'timeline']],
    [['budget', 'authority', 'need', 'timeline']],
  ])('recycles with bantGaps listing exactly %j', (gaps) => {
    const bant = Object.fromEntries(gaps.map((g) => [g, false]));
    const outcome = given(...aSal)
      .when(qualify(bant, 'rep-ada'), MON_1100)
      .thenEmits('LeadRecycled')
      .thenStage('recycled');
    expect(outcome.event('LeadRecycled').data).toEqual({
      reason: 'bant_gaps',
      from: 'sal',
      by: 'rep-ada',
      needsDataRepair: false,
      bantGaps: gaps,
      coolOffUntil: '2025-04-02T11:00:00.000Z',
    });
    expect(outcome.after.recycle?.bantGaps).toEqual(gaps);
    expect(outcome.after.opportunityId).toBeUndefined();
    expect(outcome.after.sla).toBeUndefined();
  });
});

describe('sql closed', () => {
  it('won closes the lead as won', () => {
    const outcome = given(...anSql).when(closeWon('rep-ada'), MON_1200).thenEmits('LeadWon').thenStage('won');
    expect(outcome.event('LeadWon').data).toEqual({ rep: 'rep-ada' });
    expect(outcome.after.closed).toEqual({ outcome: 'won', by: 'rep-ada', at: MON_1200 });
    expect(outcome.after.firstReachedAt.won).toBe(MON_1200);
    expect(allowedCommands(outcome.after)).toEqual([]);
    expect(nextTimer(outcome.after)).toBeUndefined();
  });

  it('lost with not_now goes back to nurture', () => {
    const outcome = given(...anSql)
      .when(closeLost('not_now'), MON_1200)
      .thenEmits('LeadLost', 'LeadRecycled')
      .thenStage('recycled');
    expect(outcome.event('LeadLost').data).toEqual({ rep: 'rep-ada', reason: 'not_now' });
    expect(outcome.event('LeadRecycled').data).toEqual({
      reason: 'not_now',
      from: 'sql',
      by: 'rep-ada',
      needsDataRepair: false,
      coolOffUntil: '2025-04-02T12:00:00.000Z',
    });
  });

  it.each(['chose_competitor', 'no_decision'])('lost for %s disqualifies the lead', (reason) => {
    const outcome = given(...anSql)
      .when(closeLost(reason), MON_1200)
      .thenEmits('LeadLost', 'LeadDisqualified')
      .thenStage('disqualified');
    expect(outcome.event('LeadDisqualified').data).toEqual({ by: 'rep-ada', reason, from: 'sql' });
    expect(outcome.after.closed).toMatchObject({ outcome: 'disqualified', reason });
  });

  it('lost without a reason is recorded as unspecified and disqualifies', () => {
    const outcome = given(...anSql).when(closeLost(), MON_1200).thenEmits('LeadLost', 'LeadDisqualified');
    expect(outcome.event('LeadLost').data.reason).toBe('unspecified');
  });
});

describe('disqualifying', () => {
  it.each(openStageNames)('is possible from %s', (stage) => {
    const outcome = given(...stageSetups[stage])
      .when(disqualify('fake_company', 'ops-olga'), MON_1200)
      .thenEmits('LeadDisqualified')
      .thenStage('disqualified');
    expect(outcome.event('LeadDisqualified').data).toEqual({ by: 'ops-olga', reason: 'fake_company', from: stage });
    expect(outcome.after.closed).toEqual({
      outcome: 'disqualified',
      reason: 'fake_company',
      by: 'ops-olga',
      at: MON_1200,
    });
    expect(outcome.after.sla).toBeUndefined();
    expect(outcome.after.handRaisedAt).toBeUndefined();
    expect(nextTimer(outcome.after)).toBeUndefined();
    expect(needsOwner(outcome.after)).toBe(false);
  });

  it.each(['won', 'disqualified'] as const)('is refused once the lead is %s', (stage) => {
    given(...stageSetups[stage]).when(disqualify(), MAY_20).thenRefused('STAGE_DOES_NOT_ALLOW', []);
  });
});

describe('recycled leads', () => {
  const recycled = () => given(...aRecycled);

  it('start over: engagement reset to 0, recycleCount incremented, owner and SLA cleared', () => {
    const before = given(...anAssignedMql).state;
    expect(before.engagementScore).toBe(30);
    const { state } = recycled();
    expect(state).toMatchObject({
      stage: 'recycled',
      engagementScore: 0,
      engagementByType: {},
      recycleCount: 1,
      mqlCycle: 1,
      slaBreaches: 0,
      breachedOwners: [],
      fitScore: ADA_FIT,
      profile: ada,
    });
    expect(state.owner).toBeUndefined();
    expect(state.sla).toBeUndefined();
    expect(state.firstReachedAt).toEqual({ inquiry: MON_0900, mql: MON_0900, recycled: MON_1000 });
    expect(needsOwner(state)).toBe(false);
  });

  it('are not an MQL during the 30-day cool-off, whatever their engagement', () => {
    const outcome = recycled()
      .when(threePricingViews, MID_COOL_OFF)
      .thenEmits('EngagementRecorded', 'EngagementRecorded', 'EngagementRecorded')
      .thenStage('recycled');
    expect(outcome.after.engagementScore).toBe(30);
    expect(mqlReadiness(outcome.after, policy, MID_COOL_OFF)).toEqual({
      via: null,
      blockedBy: [`cool_off_until:${COOL_OFF_END}`],
    });
  });

  it('are re-evaluated when the cool-off ends: fresh engagement makes an MQL of cycle 2', () => {
    const warm = given(...aRecycled, at(MID_COOL_OFF, threePricingViews));
    warm.when(reevaluate, COOL_OFF_END_0959).thenNothingHappens().thenStage('recycled');
    const outcome = warm.when(reevaluate, COOL_OFF_END).thenEmits('LeadBecameMql').thenStage('mql');
    expect(outcome.event('LeadBecameMql').data).toEqual({
      via: 'score',
      fitScore: ADA_FIT,
      engagementScore: 30,
      mqlCycle: 2,
      policyVersion: 'default-1',
    });
    expect(outcome.after.firstReachedAt).toEqual({
      inquiry: MON_0900,
      mql: MON_0900,
      recycled: MON_1000,
    });
    expect(needsOwner(outcome.after)).toBe(true);
  });

  it('become an MQL of cycle 2 from engagement after the cool-off', () => {
    const outcome = recycled()
      .when(threePricingViews, APR_10)
      .thenEmits('EngagementRecorded', 'EngagementRecorded', 'EngagementRecorded', 'LeadBecameMql')
      .thenStage('mql');
    expect(outcome.event('LeadBecameMql').data).toMatchObject({ via: 'score', mqlCycle: 2 });
    expect(outcome.after.firstReachedAt.mql).toBe(MON_0900);
  });

  it('need fresh engagement: Reevaluate after the cool-off alone does nothing', () => {
    const outcome = recycled().when(reevaluate, APR_10).thenNothingHappens().thenStage('recycled');
    expect(mqlReadiness(outcome.after, policy, APR_10)).toEqual({
      via: null,
      blockedBy: ['engagement_below_threshold'],
    });
  });

  it('keep a hand-raise made during the cool-off and qualify it when the cool-off ends', () => {
    const lead = given(...aRecycled, at(MID_COOL_OFF, fillForm(ada, 'demo_request')));
    expect(lead.state.stage).toBe('recycled');
    expect(lead.state.handRaisedAt).toBe(MID_COOL_OFF);
    const outcome = lead.when(reevaluate, COOL_OFF_END).thenEmits('LeadBecameMql');
    expect(outcome.event('LeadBecameMql').data).toMatchObject({ via: 'hand_raiser', mqlCycle: 2 });
  });

  it('become an MQL at once on a hand-raise after the cool-off', () => {
    const outcome = recycled()
      .when(fillForm(ada, 'contact_sales'), APR_10)
      .thenEmits('FormFilled', 'LeadBecameMql')
      .thenStage('mql');
    expect(outcome.event('LeadBecameMql').data).toMatchObject({ via: 'hand_raiser', mqlCycle: 2 });
  });

  it('keep the FIRST date of each stage across a second cycle, and count the second recycle', () => {
    const twice = given(
      ...aSal,
      at(MON_1100, qualify({ budget: false })), // recycled MON_1100, cool-off until 2025-04-02T11:00Z
      at(APR_10, threePricingViews), // MQL cycle 2
      at(APR_11, accept('rep-grace')),
      at(APR_12, qualify({}, 'rep-grace')),
      at(MAY_20, closeLost('not_now')),
    );
    expect(twice.state.stage).toBe('recycled');
    expect(twice.state.recycleCount).toBe(2);
    expect(twice.state.mqlCycle).toBe(2);
    expect(twice.state.opportunityId).toBe('lead-1-opp-2');
    expect(twice.state.firstReachedAt).toEqual({
      inquiry: MON_0900,
      mql: MON_0900,
      sal: MON_1000,
      recycled: MON_1100,
      sql: APR_12,
    });
    expect(twice.state.recycle).toMatchObject({ reason: 'not_now', at: MAY_20 });
  });

  it('schedule the cool-off Reevaluate as their next timer', () => {
    expect(nextTimer(recycled().state)).toEqual({ at: COOL_OFF_END, command: 'Reevaluate' });
  });
});

describe('MQL follow-up SLA', () => {
  it('starts when an owner is assigned: due in 24 h, reminder at 18 h', () => {
    const outcome = given(...anMql).when(assign('rep-ada'), MON_0900).thenEmits('LeadAssigned').thenStage('mql');
    expect(outcome.event('LeadAssigned').data).toEqual({
      owner: 'rep-ada',
      slaKind: 'mql',
      slaDueAt: TUE_0900,
      remindAt: TUE_0300,
      assignment: 1,
      policyVersion: 'default-1',
    });
    expect(outcome.after.owner).toBe('rep-ada');
    expect(outcome.after.sla).toEqual({
      kind: 'mql',
      owner: 'rep-ada',
      startedAt: MON_0900,
      remindAt: TUE_0300,
      dueAt: TUE_0900,
      reminded: false,
    });
    expect(needsOwner(outcome.after)).toBe(false);
  });

  it('refuses a second assignment while the lead has an owner', () => {
    given(...anAssignedMql).when(assign('rep-grace'), MON_1000).thenRefused('STAGE_DOES_NOT_ALLOW', expectedAllowed.mql);
  });

  it('refuses the reminder before 18 h with NOT_DUE and sends it at 18 h, once', () => {
    const lead = given(...anAssignedMql);
    const early = lead.when(remind, TUE_0259).thenRefused('NOT_DUE', expectedAllowed.mql);
    expect(early.decision).toMatchObject({ ok: false, refusal: { command: 'SendSlaReminder', stage: 'mql' } });

    const outcome = lead.when(remind, TUE_0300).thenEmits('SlaReminderSent');
    expect(outcome.event('SlaReminderSent').data).toEqual({ owner: 'rep-ada', slaKind: 'mql', slaDueAt: TUE_0900 });
    expect(outcome.after.sla?.reminded).toBe(true);

    given(...anAssignedMql, at(TUE_0300, remind)).when(remind, TUE_0859).thenRefused('STAGE_DOES_NOT_ALLOW');
  });

  it('refuses the breach before 24 h with NOT_DUE', () => {
    given(...anAssignedMql, at(TUE_0300, remind)).when(breach, TUE_0859).thenRefused('NOT_DUE', expectedAllowed.mql);
  });

  it('first breach escalates and frees the lead for another rep', () => {
    const outcome = given(...anAssignedMql, at(TUE_0300, remind))
      .when(breach, TUE_0900)
      .thenEmits('SlaBreached')
      .thenStage('mql');
    expect(outcome.event('SlaBreached').data).toEqual({
      owner: 'rep-ada',
      slaKind: 'mql',
      slaDueAt: TUE_0900,
      breach: 1,
      escalateTo: 'manager-margaret',
    });
    expect(outcome.after.owner).toBeUndefined();
    expect(outcome.after.sla).toBeUndefined();
    expect(outcome.after.slaBreaches).toBe(1);
    expect(outcome.after.breachedOwners).toEqual(['rep-ada']);
    expect(needsOwner(outcome.after)).toBe(true);
    expect(nextTimer(outcome.after)).toBeUndefined();
  });

  it('breaches even when no reminder went out', () => {
    given(...anAssignedMql).when(breach, TUE_0900).thenEmits('SlaBreached');
  });

  it('restarts the 24 h clock for the next owner, counting the assignment', () => {
    const outcome = given(...anAssignedMql, at(TUE_0900, breach))
      .when(assign('rep-grace'), TUE_0900)
      .thenEmits('LeadAssigned');
    expect(outcome.event('LeadAssigned').data).toEqual({
      owner: 'rep-grace',
      slaKind: 'mql',
      slaDueAt: WED_0900,
      remindAt: WED_0300,
      assignment: 2,
      policyVersion: 'default-1',
    });
  });

  it('second breach escalates again and hands the lead back to marketing (sla_expired)', () => {
    const outcome = given(...anAssignedMql, at(TUE_0900, breach), at(TUE_0900, assign('rep-grace')))
      .when(breach, WED_0900)
      .thenEmits('SlaBreached', 'LeadRecycled')
      .thenStage('recycled');
    expect(outcome.event('SlaBreached').data).toEqual({
      owner: 'rep-grace',
      slaKind: 'mql',
      slaDueAt: WED_0900,
      breach: 2,
      escalateTo: 'manager-margaret',
    });
    expect(outcome.event('LeadRecycled').data).toEqual({
      reason: 'sla_expired',
      from: 'mql',
      needsDataRepair: false,
      coolOffUntil: '2025-04-04T09:00:00.000Z',
    });
    expect(outcome.after).toMatchObject({ recycleCount: 1, slaBreaches: 0, breachedOwners: [], engagementScore: 0 });
    expect(outcome.after.owner).toBeUndefined();
    expect(needsOwner(outcome.after)).toBe(false);
  });

  it('hands back after as many reassignments as the policy allows', () => {
    const noSecondChance = withPolicy((p) => {
      p.sla.mql.reassignmentsBeforeHandBack = 0;
    });
    givenWith(noSecondChance, ...anAssignedMql)
      .when(breach, TUE_0900)
      .thenEmits('SlaBreached', 'LeadRecycled')
      .thenStage('recycled');

    const twoSecondChances = withPolicy((p) => {
      p.sla.mql.reassignmentsBeforeHandBack = 2;
    });
    const outcome = givenWith(
      twoSecondChances,
      ...anAssignedMql,
      at(TUE_0900, breach),
      at(TUE_0900, assign('rep-grace')),
      at(WED_0900, breach),
    )
      .when(assign('rep-linus'), WED_0900)
      .thenEmits('LeadAssigned')
      .thenStage('mql');
    expect(outcome.event('LeadAssigned').data.assignment).toBe(3);
    expect(outcome.after.breachedOwners).toEqual(['rep-ada', 'rep-grace']);
  });

  it('counts breaches per stage: an accepted lead starts the SAL with a clean slate', () => {
    const outcome = given(...anAssignedMql, at(TUE_0900, breach), at(TUE_0900, assign('rep-grace')))
      .when(accept('rep-grace'), WED_0300)
      .thenEmits('LeadAccepted');
    expect(outcome.after).toMatchObject({ slaBreaches: 0, breachedOwners: [], owner: 'rep-grace' });
  });
});

describe('SAL follow-up SLA', () => {
  it('refuses the reminder before 90 h (75% of 5 days) with NOT_DUE and sends it at 90 h', () => {
    given(...aSal).when(remind, FRI_0359).thenRefused('NOT_DUE', expectedAllowed.sal);
    const outcome = given(...aSal).when(remind, FRI_0400).thenEmits('SlaReminderSent').thenStage('sal');
    expect(outcome.event('SlaReminderSent').data).toEqual({ owner: 'rep-ada', slaKind: 'sal', slaDueAt: SAT_1000 });
  });

  it('refuses the breach before 5 days with NOT_DUE', () => {
    given(...aSal, at(FRI_0400, remind)).when(breach, SAT_0959).thenRefused('NOT_DUE', expectedAllowed.sal);
  });

  it('first breach escalates and frees the lead for another rep', () => {
    const outcome = given(...aSal, at(FRI_0400, remind)).when(breach, SAT_1000).thenEmits('SlaBreached').thenStage('sal');
    expect(outcome.event('SlaBreached').data).toEqual({
      owner: 'rep-ada',
      slaKind: 'sal',
      slaDueAt: SAT_1000,
      breach: 1,
      escalateTo: 'manager-margaret',
    });
    expect(outcome.after.owner).toBeUndefined();
    expect(outcome.after.breachedOwners).toEqual(['rep-ada']);
    expect(needsOwner(outcome.after)).toBe(true);
  });

  it('reassignment restarts the 5-day clock as a SAL SLA', () => {
    const outcome = given(...aSal, at(SAT_1000, breach)).when(assign('rep-grace'), SAT_1000).thenEmits('LeadAssigned');
    expect(outcome.event('LeadAssigned').data).toEqual({
      owner: 'rep-grace',
      slaKind: 'sal',
      slaDueAt: THU13_1000,
      remindAt: WED12_0400,
      assignment: 2,
      policyVersion: 'default-1',
    });
    expect(outcome.after.stage).toBe('sal');
  });

  it('second breach hands the lead back to marketing (sla_expired)', () => {
    const outcome = given(...aSal, at(SAT_1000, breach), at(SAT_1000, assign('rep-grace')))
      .when(breach, THU13_1000)
      .thenEmits('SlaBreached', 'LeadRecycled')
      .thenStage('recycled');
    expect(outcome.event('SlaBreached').data).toMatchObject({ owner: 'rep-grace', slaKind: 'sal', breach: 2 });
    expect(outcome.event('LeadRecycled').data).toEqual({
      reason: 'sla_expired',
      from: 'sal',
      needsDataRepair: false,
      coolOffUntil: '2025-04-12T10:00:00.000Z',
    });
  });

  it('the reassigned rep may still qualify the lead', () => {
    given(...aSal, at(SAT_1000, breach), at(SAT_1000, assign('rep-grace')))
      .when(qualify({}, 'rep-grace'), WED12_0400)
      .thenEmits('LeadQualified')
      .thenStage('sql');
  });
});

describe('nextTimer', () => {
  it('walks reminder, breach, then the cool-off Reevaluate', () => {
    let lead = given(...anMql);
    expect(nextTimer(lead.state)).toBeUndefined(); // waiting for an owner, not for a timer

    lead = given(...anAssignedMql);
    expect(nextTimer(lead.state)).toEqual({ at: TUE_0300, command: 'SendSlaReminder' });

    lead = given(...anAssignedMql, at(TUE_0300, remind));
    expect(nextTimer(lead.state)).toEqual({ at: TUE_0900, command: 'BreachSla' });

    lead = given(...anAssignedMql, at(TUE_0300, remind), at(TUE_0900, breach), at(TUE_0900, assign('rep-grace')));
    expect(nextTimer(lead.state)).toEqual({ at: WED_0300, command: 'SendSlaReminder' });

    lead = given(
      ...anAssignedMql,
      at(TUE_0300, remind),
      at(TUE_0900, breach),
      at(TUE_0900, assign('rep-grace')),
      at(WED_0300, remind),
    );
    expect(nextTimer(lead.state)).toEqual({ at: WED_0900, command: 'BreachSla' });

    lead = given(
      ...anAssignedMql,
      at(TUE_0300, remind),
      at(TUE_0900, breach),
      at(TUE_0900, assign('rep-grace')),
      at(WED_0300, remind),
      at(WED_0900, breach),
    );
    expect(nextTimer(lead.state)).toEqual({ at: '2025-04-04T09:00:00.000Z', command: 'Reevaluate' });
  });

  it('has nothing scheduled for an inquiry or a closed lead', () => {
    expect(nextTimer(given(...anInquiry).state)).toBeUndefined();
    expect(nextTimer(given(...aWon).state)).toBeUndefined();
    expect(nextTimer(given(...aDisqualified).state)).toBeUndefined();
  });

  it('follows the timer it names: each scheduled command is accepted at its instant', () => {
    let lead = given(...anAssignedMql);
    const fired: string[] = [];
    for (let i = 0; i < 10; i++) {
      const timer = nextTimer(lead.state);
      if (!timer) {
        if (!needsOwner(lead.state)) break;
        lead = given(...lead.history, at(lead.state.updatedAt!, assign('rep-grace')));
        continue;
      }
      fired.push(timer.command);
      const outcome = lead.when({ type: timer.command }, timer.at);
      expect(outcome.decision.ok).toBe(true);
      lead = given(...lead.history, ...outcome.events);
      if (timer.command === 'Reevaluate') break;
    }
    expect(fired).toEqual(['SendSlaReminder', 'BreachSla', 'SendSlaReminder', 'BreachSla', 'Reevaluate']);
  });
});

describe('commands in the wrong stage', () => {
  describe.each(Object.keys(stageSetups) as LeadStage[])('in %s', (stage) => {
    const lead = () => given(...stageSetups[stage]);

    it('lists what people may send', () => {
      expect([...allowedCommands(lead().state)].sort()).toEqual([...expectedAllowed[stage]].sort());
    });

    const refused = peopleCommandTypes.filter((t) => !expectedAllowed[stage].includes(t));
    const accepted = peopleCommandTypes.filter((t) => expectedAllowed[stage].includes(t));

    if (refused.length > 0) {
      it.each(refused)('refuses %s with STAGE_DOES_NOT_ALLOW and no events', (type) => {
        const outcome = lead().when(sampleCommands[type], MAY_20).thenRefused('STAGE_DOES_NOT_ALLOW');
        expect(outcome.decision).toEqual({
          ok: false,
          refusal: {
            code: 'STAGE_DOES_NOT_ALLOW',
            command: type,
            stage,
            allowed: expectedAllowed[stage],
            message: expect.stringContaining(type),
          },
        });
        expect(outcome.after).toBe(outcome.before);
      });
    }

    if (accepted.length > 0) {
      it.each(accepted)('accepts %s', (type) => {
        expect(lead().when(sampleCommands[type], MAY_20).decision.ok).toBe(true);
      });
    }
  });

  const timerRefusals: [string, Step[], LeadCommandType][] = [
    ['inquiry', anInquiry, 'AssignOwner'],
    ['sal with its owner', aSal, 'AssignOwner'],
    ['sql', anSql, 'AssignOwner'],
    ['recycled', aRecycled, 'AssignOwner'],
    ['won', aWon, 'AssignOwner'],
    ['disqualified', aDisqualified, 'AssignOwner'],
    ['inquiry', anInquiry, 'SendSlaReminder'],
    ['mql without an owner', anMql, 'SendSlaReminder'],
    ['sql', anSql, 'SendSlaReminder'],
    ['recycled', aRecycled, 'SendSlaReminder'],
    ['won', aWon, 'SendSlaReminder'],
    ['disqualified', aDisqualified, 'SendSlaReminder'],
    ['inquiry', anInquiry, 'BreachSla'],
    ['mql without an owner', anMql, 'BreachSla'],
    ['sql', anSql, 'BreachSla'],
    ['recycled', aRecycled, 'BreachSla'],
    ['won', aWon, 'BreachSla'],
    ['disqualified', aDisqualified, 'BreachSla'],
    ['mql', anAssignedMql, 'Reevaluate'],
    ['sal', aSal, 'Reevaluate'],
    ['sql', anSql, 'Reevaluate'],
    ['won', aWon, 'Reevaluate'],
    ['disqualified', aDisqualified, 'Reevaluate'],
  ];

  it.each(timerRefusals)('refuses the timer command in %s: %s', (_label, steps, type) => {
    const lead = given(...steps);
    const outcome = lead.when(sampleCommands[type], MAY_20).thenRefused('STAGE_DOES_NOT_ALLOW');
    expect(outcome.decision).toEqual({
      ok: false,
      refusal: {
        code: 'STAGE_DOES_NOT_ALLOW',
        command: type,
        stage: lead.state.stage,
        allowed: expectedAllowed[lead.state.stage],
        message: expect.any(String),
      },
    });
  });
});

describe('event sequence numbers', () => {
  it('number the whole history 1, 2, 3, … without gaps', () => {
    const lead = given(
      ...anAssignedMql,
      at(TUE_0900, breach),
      at(TUE_0900, assign('rep-grace')),
      at(WED_0300, accept('rep-grace')),
      at(WED_0900, qualify({ need: false })),
    );
    expect(lead.history.map((e) => e.seq)).toEqual(lead.history.map((_, i) => i + 1));
    expect(lead.state.seq).toBe(lead.history.length);
  });

  it.each<[string, Step[], LeadCommand]>([
    ['a first form fill', [], fillForm(ada, 'demo_request')],
    ['a batch of engagement', anInquiry, threePricingViews],
    ['a rejection', anAssignedMql, reject('no_budget')],
    ['a final SLA breach', [...anAssignedMql, at(TUE_0900, breach), at(TUE_0900, assign('rep-grace'))], breach],
    ['a lost deal', anSql, closeLost('not_now')],
  ])('continue from state.seq + 1 in %s', (_label, steps, command) => {
    const lead = given(...steps);
    const outcome = lead.when(command, MAY_20);
    expect(outcome.events.length).toBeGreaterThan(1);
    expect(outcome.events.map((e) => e.seq)).toEqual(outcome.events.map((_, i) => lead.state.seq + 1 + i));
    expect(outcome.after.seq).toBe(lead.state.seq + outcome.events.length);
  });

  it('continue from a seq carried over by continue-as-new', () => {
    const carried = { ...given(...anInquiry).state, seq: 4711 };
    const outcome = new Scenario(carried, [], policy).when(threePricingViews, MON_1000);
    expect(outcome.events.map((e) => e.seq)).toEqual([4712, 4713, 4714, 4715]);
  });
});

describe('decide and evolve as plain functions', () => {
  it('folding the recorded history rebuilds the same state', () => {
    const lead = given(
      ...aSal,
      at(MON_1100, qualify({ budget: false })),
      at(APR_10, threePricingViews),
      at(APR_11, accept('rep-grace')),
      at(APR_12, qualify({}, 'rep-grace')),
      at(MAY_20, closeWon('rep-grace')),
    );
    expect(foldEvents('lead-1', lead.history)).toEqual(lead.state);
    expect(given(...lead.history).state).toEqual(lead.state);
  });

  it('continues a fold from a given state', () => {
    const lead = given(...aSal);
    const head = lead.history.slice(0, 3);
    const tail = lead.history.slice(3);
    expect(foldEvents('lead-1', tail, foldEvents('lead-1', head))).toEqual(lead.state);
  });

  it('decide never mutates the state it is given', () => {
    const lead = given(...anAssignedMql);
    const snapshot = structuredClone(lead.state);
    for (const command of [threePricingViews, reject('not_ready'), accept(), breach, remind, fillForm(ada, 'demo_request')]) {
      decide(command, lead.state, TUE_0900, policy);
    }
    expect(lead.state).toEqual(snapshot);
  });

  it('decide is deterministic for the same command, state and instant', () => {
    const lead = given(...anInquiry);
    expect(decide(threePricingViews, lead.state, MON_1000, policy)).toEqual(
      decide(threePricingViews, lead.state, MON_1000, policy),
    );
  });
});

// =======================================================================================================

describe('erasing a lead (GDPR art. 17)', () => {
  const erase: LeadCommand = { type: 'EraseLead', requestedBy: 'privacy-officer' };
  const stages: [LeadStage, Step[]][] = [
    ['inquiry', anInquiry],
    ['mql', anAssignedMql],
    ['sal', aSal],
    ['sql', anSql],
    ['recycled', aRecycled],
    ['won', aWon],
    ['disqualified', aDisqualified],
  ];

  it.each(stages)('erases a lead in %s: LeadErased, nothing personal left, its stage and facts kept', (stage, steps) => {
    const lead = given(...steps);
    const outcome = lead.when(erase, MAY_20).thenEmits('LeadErased').thenStage(stage);
    expect(outcome.event('LeadErased').data).toEqual({ requestedBy: 'privacy-officer', from: stage });
    const after = outcome.after;
    expect(after.erasedAt).toBe(MAY_20);
    expect(after.profile).toEqual({ email: '', seniority: ada.seniority, industry: ada.industry, employeeCount: ada.employeeCount, country: ada.country, productInterest: ada.productInterest });
    expect(after.consent).toBeUndefined();
    // Facts every report reads stay as they were.
    expect({ ...after, profile: undefined, erasedAt: undefined, sla: undefined, consent: undefined, handRaisedAt: undefined, seq: undefined, updatedAt: undefined }).toEqual({
      ...lead.state,
      profile: undefined,
      sla: undefined,
      consent: undefined,
      handRaisedAt: undefined,
      seq: undefined,
      updatedAt: undefined,
    });
    // Every timer stops and nobody is assigned any more.
    expect(after.sla).toBeUndefined();
    expect(nextTimer(after, policy)).toBeUndefined();
    expect(needsOwner(after)).toBe(false);
    expect(allowedCommands(after)).toEqual([]);
  });

  it.each(Object.keys(sampleCommands) as LeadCommandType[])('refuses %s once erased (LEAD_ERASED), erasing again included', (type) => {
    const erased = given(...aSal, at(MAY_20, erase));
    erased.when(sampleCommands[type], MAY_20).thenRefused('LEAD_ERASED', []);
  });

  it('an erased MQL without an owner is not routed, and a recycled one does not wait for its cool-off', () => {
    expect(needsOwner(given(...anMql, erase).state)).toBe(false);
    expect(nextTimer(given(...aRecycled, at(MON_1200, erase)).state, policy)).toBeUndefined();
  });

  it('records whether a form repaired bad contact data, so an erased lead folds the same without it', () => {
    const bounced = given(...anAssignedMql, at(MON_1000, reject('bad_contact_data')));
    const repaired = bounced.when(fillForm({ ...ada, phone: '+44 20 7946 0001' }), MID_COOL_OFF).thenEmits('FormFilled');
    expect(repaired.event('FormFilled').data.repairedContactData).toBe(true);
    expect(repaired.after.recycle?.needsDataRepair).toBe(false);
    const same = bounced.when(fillForm(ada), MID_COOL_OFF).thenEmits('FormFilled');
    expect(same.event('FormFilled').data).not.toHaveProperty('repairedContactData');
    expect(same.after.recycle?.needsDataRepair).toBe(true);
  });
});

/** The command as a key bound to `actingRep` sends it. */
const as = <C extends LeadCommand>(actingRep: string, command: C): C => ({ ...command, actingRep });

describe('who may decide: commands from a key bound to a rep', () => {
  it('decides on a lead the rep owns, in the rep\'s own name', () => {
    const outcome = given(...anAssignedMql).when(as('rep-ada', accept('rep-ada')), MON_1000).thenEmits('LeadAccepted').thenStage('sal');
    expect(outcome.event('LeadAccepted').data.rep).toBe('rep-ada');
  });

  it('refuses a lead another rep owns (NOT_OWNER), and records nothing', () => {
    const outcome = given(...anAssignedMql).when(as('rep-grace', accept('rep-grace')), MON_1000).thenRefused('NOT_OWNER');
    expect(outcome.after).toBe(outcome.before);
    if (!outcome.decision.ok) expect(outcome.decision.refusal.message).not.toContain('rep-ada');
  });

  it('refuses a decision in another rep\'s name (ACTING_AS_SOMEONE_ELSE), even on its own lead', () => {
    given(...anAssignedMql).when(as('rep-ada', accept('rep-grace')), MON_1000).thenRefused('ACTING_AS_SOMEONE_ELSE');
    given(...aSal).when(as('rep-ada', disqualify('fake_company', 'ops-olga')), MON_1100).thenRefused('ACTING_AS_SOMEONE_ELSE');
  });

  it.each<[string, Step[], (rep: string) => LeadCommand]>([
    ['reject an MQL', anAssignedMql, (rep) => reject('no_budget', rep)],
    ['record a contact attempt on a SAL', aSal, (rep) => ({ type: 'RecordContactAttempt', rep, channel: 'phone' })],
    ['qualify a SAL', aSal, (rep) => qualify({}, rep)],
    ['close an SQL', anSql, (rep) => closeWon(rep)],
    ['disqualify a SAL', aSal, (rep) => disqualify('fake_company', rep)],
  ])('applies to every sales command: %s', (_what, steps, command) => {
    const lead = given(...steps);
    expect(lead.state.owner).toBe('rep-ada');
    lead.when(as('rep-grace', command('rep-grace')), MON_1200).thenRefused('NOT_OWNER');
    expect(lead.when(as('rep-ada', command('rep-ada')), MON_1200).decision.ok).toBe(true);
  });

  it('refuses a lead nobody owns: an inquiry, an MQL waiting for its owner, a recycled lead', () => {
    given(...anInquiry).when(as('rep-ada', disqualify('spam', 'rep-ada')), MON_1000).thenRefused('NOT_OWNER');
    given(...anMql).when(as('rep-ada', accept('rep-ada')), MON_1000).thenRefused('NOT_OWNER');
    given(...aRecycled).when(as('rep-ada', disqualify('spam', 'rep-ada')), MON_1200).thenRefused('NOT_OWNER');
  });

  it('checks who may decide before the stage, so a caller who may not act learns nothing about the lead', () => {
    // An MQL cannot be qualified, but a rep who does not own it hears only that it is not theirs.
    given(...anAssignedMql).when(as('rep-grace', qualify({}, 'rep-grace')), MON_1000).thenRefused('NOT_OWNER');
    given(...anAssignedMql).when(as('rep-ada', qualify({}, 'rep-ada')), MON_1000).thenRefused('STAGE_DOES_NOT_ALLOW');
  });

  it('reads the owner the lead has when the command is decided: after a breach reassigns it, the former owner is refused', () => {
    const reassigned = given(...anAssignedMql, at(TUE_0300, remind), at(TUE_0900, breach), at(TUE_0900, assign('rep-grace')));
    reassigned.when(as('rep-ada', accept('rep-ada')), TUE_0900).thenRefused('NOT_OWNER');
    reassigned.when(as('rep-grace', accept('rep-grace')), TUE_0900).thenEmits('LeadAccepted');
  });

  it('leaves commands without a bound rep as they were: any rep, any lead', () => {
    given(...anAssignedMql).when(accept('rep-grace'), MON_1000).thenEmits('LeadAccepted');
    given(...anInquiry).when(disqualify('spam', 'ops-olga'), MON_1000).thenEmits('LeadDisqualified');
  });
});

describe('reassignment by a manager', () => {
  const reassign = (owner: string, reason?: string): LeadCommand => ({
    type: 'ReassignLead',
    owner,
    by: 'manager-margaret',
    ...(reason !== undefined ? { reason } : {}),
  });
  const plusHours = (iso: string, hours: number) => new Date(Date.parse(iso) + hours * 3_600_000).toISOString();

  it('gives an MQL to another rep with a fresh 24 h window: LeadAssigned with by, previousOwner and reason', () => {
    const outcome = given(...anAssignedMql)
      .when(reassign('rep-grace', 'ada is on leave'), MON_1200)
      .thenEmits('LeadAssigned')
      .thenStage('mql');
    expect(outcome.event('LeadAssigned').data).toEqual({
      owner: 'rep-grace',
      slaKind: 'mql',
      slaDueAt: plusHours(MON_1200, 24),
      remindAt: plusHours(MON_1200, 18),
      assignment: 1,
      policyVersion: policy.version,
      by: 'manager-margaret',
      previousOwner: 'rep-ada',
      reason: 'ada is on leave',
    });
    expect(outcome.after.owner).toBe('rep-grace');
    expect(outcome.after.sla).toEqual({
      kind: 'mql',
      owner: 'rep-grace',
      startedAt: MON_1200,
      remindAt: plusHours(MON_1200, 18),
      dueAt: plusHours(MON_1200, 24),
      reminded: false,
    });
    expect(nextTimer(outcome.after)).toEqual({ at: plusHours(MON_1200, 18), command: 'SendSlaReminder' });
  });

  it('gives a SAL to another rep with a fresh 5-day SAL window, keeping its contact attempts', () => {
    const sal = given(...aSal, at(MON_1100, { type: 'RecordContactAttempt', rep: 'rep-ada', channel: 'phone' }));
    const outcome = sal.when(reassign('rep-linus'), MON_1200).thenEmits('LeadAssigned').thenStage('sal');
    expect(outcome.event('LeadAssigned').data).toMatchObject({
      owner: 'rep-linus',
      slaKind: 'sal',
      slaDueAt: plusHours(MON_1200, 5 * 24),
      remindAt: plusHours(MON_1200, 90),
      by: 'manager-margaret',
      previousOwner: 'rep-ada',
    });
    expect(outcome.event('LeadAssigned').data).not.toHaveProperty('reason');
    expect(outcome.after).toMatchObject({ owner: 'rep-linus', sla: { kind: 'sal', owner: 'rep-linus', startedAt: MON_1200 }, contactAttempts: 1 });
  });

  it('the new owner decides from then on; the former owner\'s bound key is refused', () => {
    const lead = given(...anAssignedMql, at(MON_1000, reassign('rep-grace')));
    lead.when(as('rep-ada', accept('rep-ada')), MON_1100).thenRefused('NOT_OWNER');
    lead.when(as('rep-grace', accept('rep-grace')), MON_1100).thenEmits('LeadAccepted');
  });

  it('gives an MQL waiting for its owner one, without a previous owner; the manager may take it', () => {
    const outcome = given(...anMql).when(reassign(policy.routing.manager), MON_1000).thenEmits('LeadAssigned');
    expect(outcome.event('LeadAssigned').data).not.toHaveProperty('previousOwner');
    expect(outcome.after.owner).toBe(policy.routing.manager);
    expect(needsOwner(outcome.after)).toBe(false);
  });

  it('keeps the breaches counted: after one breach, the next owner\'s breach hands the lead back', () => {
    const afterBreach = given(...anAssignedMql, at(TUE_0300, remind), at(TUE_0900, breach), at(TUE_0900, assign('rep-grace')));
    const reassigned = afterBreach.when(reassign('rep-linus'), WED_0300).thenEmits('LeadAssigned');
    expect(reassigned.event('LeadAssigned').data).toMatchObject({ assignment: 2, previousOwner: 'rep-grace' });
    const lead = given(...afterBreach.history, ...reassigned.events);
    expect(lead.state.slaBreaches).toBe(1);
    const due = lead.state.sla!.dueAt;
    given(...lead.history, at(plusHours(WED_0300, 18), remind))
      .when(breach, due)
      .thenEmits('SlaBreached', 'LeadRecycled')
      .thenStage('recycled');
  });

  it('refuses to give the lead to its owner again (ALREADY_OWNER): that would only restart the window', () => {
    given(...anAssignedMql).when(reassign('rep-ada'), MON_1200).thenRefused('ALREADY_OWNER');
  });

  it('refuses someone who is neither a rep nor the manager of the lead\'s policy (UNKNOWN_OWNER)', () => {
    given(...anAssignedMql).when(reassign('rep-nobody'), MON_1200).thenRefused('UNKNOWN_OWNER');
  });

  it.each(['inquiry', 'sql', 'recycled', 'won', 'disqualified'] as const)('is refused in %s (STAGE_DOES_NOT_ALLOW)', (stage) => {
    given(...stageSetups[stage]).when(reassign('rep-grace'), MAY_20).thenRefused('STAGE_DOES_NOT_ALLOW', expectedAllowed[stage]);
  });
});
