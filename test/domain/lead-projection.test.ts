import { foldEvents } from '../../domain/lead-decider';
import type { LeadEvent } from '../../domain/lead-events';
import { projectLead, projectLeadEvents, toReadModel, type LeadReadModel } from '../../domain/lead-projection';
import { initialLeadState, type LeadState } from '../../domain/lead-state';
import { addHours } from '../../domain/sla';
import {
  accept,
  ada,
  assign,
  closeLost,
  closeWon,
  disqualify,
  fillForm,
  journeys,
  LeadDriver,
  qualify,
  randomHistory,
  reject,
  T0,
} from '../support/lead-histories';

/*
 * The read model is a pure fold: whatever order and batching the events arrive in, the row is always
 * toReadModel(foldEvents(events)), and every derived column follows from the state.
 */

const drive = (name: string, leadId = `lead-${name}`): LeadDriver => journeys[name]!(new LeadDriver(leadId));

/** What the database does between two batches: the row's state goes through jsonb and back. */
const viaJson = (row: LeadReadModel | null): LeadReadModel | null =>
  row && toReadModel(JSON.parse(JSON.stringify(row.state)) as LeadState);

describe('projecting events one by one', () => {
  it.each(Object.keys(journeys))('equals the fold of the history after every event: %s', (name) => {
    const lead = drive(name);
    let row: LeadReadModel | null = null;
    lead.events.forEach((event, i) => {
      row = projectLead(row, event, lead.leadId);
      expect(row).toEqual(toReadModel(foldEvents(lead.leadId, lead.events.slice(0, i + 1))));
      expect(row.lastEventSeq).toBe(event.seq);
    });
    expect(row).toEqual(toReadModel(lead.state));
  });

  it.each(Object.keys(journeys))('gives the same row batch by batch, through JSON between batches: %s', (name) => {
    const lead = drive(name);
    const row = lead.batches.reduce<LeadReadModel | null>((r, batch) => projectLeadEvents(viaJson(r), batch, lead.leadId), null);
    expect(row).toEqual(toReadModel(foldEvents(lead.leadId, lead.events)));
  });

  it('reaches every end the journeys are named for', () => {
    const stages = Object.fromEntries(Object.keys(journeys).map((name) => [name, drive(name).state.stage]));
    expect(stages).toEqual({
      won: 'won',
      handRaiserWon: 'won',
      'reject-not_ready': 'recycled',
      'reject-no_budget': 'recycled',
      'reject-bad_timing': 'recycled',
      'reject-bad_contact_data': 'recycled',
      'reject-not_a_fit': 'disqualified',
      'reject-competitor': 'disqualified',
      'reject-spam': 'disqualified',
      'reject-duplicate': 'disqualified',
      bantGapRecycle: 'recycled',
      lostNotNow: 'recycled',
      lostToCompetitor: 'disqualified',
      disqualifiedInquiry: 'disqualified',
      disqualifiedSal: 'disqualified',
      unsubscribedThenDisqualified: 'disqualified',
      slaBreachReassigned: 'won',
      mqlSlaExpired: 'recycled',
      salSlaExpired: 'recycled',
      recycledThenReMqlWon: 'won',
      badContactDataRepaired: 'mql',
      recycledTwice: 'disqualified',
    });
  });

  it('equals the fold for random walks through the lifecycle', () => {
    for (let seed = 1; seed <= 150; seed++) {
      const lead = randomHistory(`lead-random-${seed}`, seed);
      const row = projectLeadEvents(null, lead.events, lead.leadId);
      expect(row).toEqual(toReadModel(lead.state));
      expect(row).toEqual(toReadModel(foldEvents(lead.leadId, lead.events)));
    }
  });

  it('returns null for no events, and continues an existing row with none unchanged', () => {
    expect(projectLeadEvents(null, [], 'lead-none')).toBeNull();
    const row = toReadModel(drive('won').state);
    expect(projectLeadEvents(row, [], row.leadId)).toBe(row);
  });
});

describe('re-projecting events already applied', () => {
  const lead = drive('slaBreachReassigned');
  const row = projectLeadEvents(null, lead.events, lead.leadId)!;

  it('returns the row unchanged for the last event, an earlier one, and the whole history again', () => {
    expect(projectLead(row, lead.events.at(-1)!, lead.leadId)).toBe(row);
    expect(projectLead(row, lead.events[2]!, lead.leadId)).toBe(row);
    expect(projectLeadEvents(row, lead.events, lead.leadId)).toBe(row);
  });

  it('ignores an old seq even when its content differs (seq is the idempotency key)', () => {
    const forged = { ...lead.events[0]!, type: 'LeadWon', data: { rep: 'rep-mallory' } } as LeadEvent;
    expect(projectLead(row, forged, lead.leadId)).toBe(row);
  });

  it('applies only the new tail of an overlapping batch', () => {
    const head = projectLeadEvents(null, lead.events.slice(0, 5), lead.leadId);
    const overlapping = projectLeadEvents(head, lead.events.slice(3), lead.leadId);
    expect(overlapping).toEqual(row);
  });
});

describe('first-reached columns', () => {
  it('keep the first time a stage was reached across recycling and a second MQL cycle', () => {
    const lead = drive('recycledThenReMqlWon');
    const row = toReadModel(lead.state);
    const at = (type: LeadEvent['type']) => lead.events.filter((e) => e.type === type).map((e) => e.occurredAt);
    const mqls = at('LeadBecameMql');
    expect(mqls).toHaveLength(2);
    expect(mqls[0]).not.toBe(mqls[1]);
    expect(row).toMatchObject({
      stage: 'won',
      mqlCycle: 2,
      recycleCount: 1,
      firstInquiryAt: T0,
      firstMqlAt: mqls[0],
      firstSalAt: at('LeadAccepted')[0],
      firstSqlAt: at('LeadQualified')[0],
      firstWonAt: at('LeadWon')[0],
      firstRecycledAt: at('LeadRecycled')[0],
      firstDisqualifiedAt: null,
      createdAt: T0,
      updatedAt: lead.events.at(-1)!.occurredAt,
    });
  });

  it('keep the first recycle when a lead is recycled twice', () => {
    const lead = drive('recycledTwice');
    const recycles = lead.events.filter((e) => e.type === 'LeadRecycled').map((e) => e.occurredAt);
    expect(recycles).toHaveLength(2);
    expect(toReadModel(lead.state)).toMatchObject({ firstRecycledAt: recycles[0], recycleCount: 2, mqlCycle: 2 });
  });

  it('are null for stages never reached', () => {
    expect(toReadModel(drive('disqualifiedInquiry').state)).toMatchObject({
      firstInquiryAt: T0,
      firstMqlAt: null,
      firstSalAt: null,
      firstSqlAt: null,
      firstWonAt: null,
      firstRecycledAt: null,
      firstDisqualifiedAt: addHours(T0, 1),
    });
  });
});

describe('derived columns', () => {
  it('fullName joins the names that are present, and is null without any', () => {
    const base = foldEvents('lead-n', new LeadDriver('lead-n').run(fillForm(ada)).events);
    expect(toReadModel(base).fullName).toBe('Ada Lovelace');
    expect(toReadModel({ ...base, profile: { email: 'x@y.example', firstName: 'Ada' } }).fullName).toBe('Ada');
    expect(toReadModel({ ...base, profile: { email: 'x@y.example', lastName: 'Lovelace' } }).fullName).toBe('Lovelace');
    expect(toReadModel({ ...base, profile: { email: 'x@y.example', firstName: ' ', lastName: '' } }).fullName).toBeNull();
    expect(toReadModel({ ...base, profile: { email: 'x@y.example' } }).fullName).toBeNull();
  });

  it('copies profile and source columns, null when unknown', () => {
    const won = toReadModel(drive('handRaiserWon').state);
    expect(won).toMatchObject({
      email: ada.email,
      company: ada.company,
      country: 'GB',
      sourceChannel: 'paid_search',
      sourceCampaign: 'spring',
      fitScore: 70,
    });
    expect(toReadModel(drive('disqualifiedInquiry').state)).toMatchObject({
      fullName: null,
      company: null,
      country: null,
      sourceChannel: null,
      sourceCampaign: null,
    });
  });

  it('slaKind/slaDueAt follow the running SLA: MQL at assignment, SAL at acceptance, none once qualified', () => {
    const d = new LeadDriver('lead-sla').mql().run(assign('rep-ada'));
    const assignedAt = d.now;
    expect(toReadModel(d.state)).toMatchObject({ owner: 'rep-ada', slaKind: 'mql', slaDueAt: addHours(assignedAt, 24) });
    d.wait(1).run(accept('rep-ada'));
    expect(toReadModel(d.state)).toMatchObject({ owner: 'rep-ada', slaKind: 'sal', slaDueAt: addHours(d.now, 5 * 24), stage: 'sal' });
    d.wait(1).run(qualify());
    expect(toReadModel(d.state)).toMatchObject({ owner: 'rep-ada', slaKind: null, slaDueAt: null, stage: 'sql' });
  });

  it('owner and SLA are null after a breach and move to the next rep on reassignment', () => {
    const d = new LeadDriver('lead-breach').assigned('rep-ada').fireTimer().fireTimer();
    expect(toReadModel(d.state)).toMatchObject({ stage: 'mql', owner: null, slaKind: null, slaDueAt: null, slaBreaches: 1 });
    d.run(assign('rep-grace'));
    expect(toReadModel(d.state)).toMatchObject({
      owner: 'rep-grace',
      slaKind: 'mql',
      slaDueAt: addHours(d.now, 24),
      slaBreaches: 1,
    });
    d.fireTimer().fireTimer(); // second breach: handed back to marketing
    expect(toReadModel(d.state)).toMatchObject({
      stage: 'recycled',
      owner: null,
      slaKind: null,
      slaDueAt: null,
      slaBreaches: 0,
      recycleReason: 'sla_expired',
      recycleCount: 1,
    });
  });

  it('recycleReason is set only while the lead is recycled', () => {
    const d = new LeadDriver('lead-rr').assigned().wait(1).run(reject('no_budget'));
    expect(toReadModel(d.state)).toMatchObject({ stage: 'recycled', recycleReason: 'no_budget', owner: null });
    d.reMql();
    expect(d.state.recycle?.reason).toBe('no_budget'); // still in state …
    expect(toReadModel(d.state)).toMatchObject({ stage: 'mql', recycleReason: null, recycleCount: 1 }); // … not in the row
    expect(toReadModel(drive('bantGapRecycle').state).recycleReason).toBe('bant_gaps');
    expect(toReadModel(drive('lostNotNow').state).recycleReason).toBe('not_now');
    expect(toReadModel(drive('salSlaExpired').state).recycleReason).toBe('sla_expired');
    expect(toReadModel(drive('recycledTwice').state)).toMatchObject({ stage: 'disqualified', recycleReason: null });
  });

  it('needsDataRepair is set by a bad_contact_data rejection and cleared when contact data changes', () => {
    const d = new LeadDriver('lead-repair').assigned().wait(1).run(reject('bad_contact_data'));
    expect(toReadModel(d.state)).toMatchObject({ needsDataRepair: true, recycleReason: 'bad_contact_data' });
    d.wait(1).run(fillForm({ email: ada.email, jobTitle: 'CTO' })); // not contact data
    expect(toReadModel(d.state).needsDataRepair).toBe(true);
    d.wait(1).run(fillForm({ email: ada.email, phone: '+44 20 7946 1234' }));
    expect(toReadModel(d.state)).toMatchObject({ needsDataRepair: false, stage: 'recycled' });
    for (const name of ['reject-not_ready', 'bantGapRecycle', 'won']) expect(toReadModel(drive(name).state).needsDataRepair).toBe(false);
  });

  it('closedReason is the disqualification reason, null when won or still open', () => {
    expect(toReadModel(drive('won').state)).toMatchObject({ stage: 'won', closedReason: null });
    expect(toReadModel(drive('reject-spam').state)).toMatchObject({ stage: 'disqualified', closedReason: 'spam' });
    expect(toReadModel(drive('lostToCompetitor').state)).toMatchObject({ stage: 'disqualified', closedReason: 'chose_competitor' });
    expect(toReadModel(drive('disqualifiedSal').state)).toMatchObject({ closedReason: 'fake_company', owner: 'rep-ada' });
    expect(toReadModel(drive('lostNotNow').state)).toMatchObject({ stage: 'recycled', closedReason: null });
    const d = new LeadDriver('lead-cl').sql().run(closeLost('no_decision'));
    expect(toReadModel(d.state)).toMatchObject({ stage: 'disqualified', closedReason: 'no_decision', firstDisqualifiedAt: d.now });
    const w = new LeadDriver('lead-cw').sql().run(closeWon());
    expect(toReadModel(w.state)).toMatchObject({ closedReason: null, firstWonAt: w.now });
    expect(toReadModel(new LeadDriver('lead-dq').run(fillForm(ada)).run(disqualify('duplicate')).state).closedReason).toBe('duplicate');
  });

  it('unsubscribed, scores, cycles and counters come straight from the state', () => {
    const lead = drive('unsubscribedThenDisqualified');
    expect(toReadModel(lead.state)).toMatchObject({ unsubscribed: true, fitScore: 70, engagementScore: 2, mqlCycle: 0 });
    const row = toReadModel(drive('recycledTwice').state);
    expect(row).toMatchObject({ mqlCycle: 2, recycleCount: 2, engagementScore: 0 });
  });

  it('keeps the whole state in the row, and lastEventSeq is its seq', () => {
    const lead = drive('salSlaExpired');
    const row = toReadModel(lead.state);
    expect(row.state).toBe(lead.state);
    expect(row.lastEventSeq).toBe(lead.events.length);
    expect(row.leadId).toBe(lead.leadId);
  });

  it('never has an uncaptured lead in the table (the empty state has no timestamps)', () => {
    expect(toReadModel(initialLeadState('lead-empty'))).toMatchObject({ lastEventSeq: 0, createdAt: '', updatedAt: '' });
  });
});
