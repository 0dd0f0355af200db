import { foldEvents } from '../../domain/lead-decider';
import type { LeadEvent } from '../../domain/lead-events';
import { withoutPersonalData } from '../../domain/personal-data';
import { publicEventId, publicEventsOf, publicEventTypes } from '../../domain/public-events';
import { anyPublicEventSchema } from '../../domain/public-events.schemas';
import { journeys, LeadDriver } from '../support/lead-histories';

const everyJourney = Object.entries(journeys).map(([name, drive]) => [name, drive(new LeadDriver(`lead-${name}`))] as const);

describe('the public event catalogue', () => {
  it.each(everyJourney)('%s: every public event matches its published schema', (_name, lead) => {
    for (const event of publicEventsOf(lead.leadId, lead.events)) expect(anyPublicEventSchema.parse(event)).toEqual(event);
  });

  it('every type is published by some journey', () => {
    const seen = new Set(everyJourney.flatMap(([, lead]) => publicEventsOf(lead.leadId, lead.events).map((e) => e.type)));
    const erased = everyJourney[0]![1];
    const erasure: LeadEvent = { type: 'LeadErased', seq: erased.events.length + 1, occurredAt: '2030-01-01T00:00:00.000Z', data: { requestedBy: 'privacy-officer', from: 'won' } };
    for (const e of publicEventsOf(erased.leadId, [...erased.events, erasure])) seen.add(e.type);
    expect([...seen].sort()).toEqual([...publicEventTypes].sort());
  });

  it('a journey to won: the expected types in order, each once, with the view right after each event', () => {
    const lead = journeys.handRaiserWon!(new LeadDriver('lead-won'));
    const events = publicEventsOf(lead.leadId, lead.events);
    expect(events.map((e) => e.type)).toEqual(['lead.captured', 'lead.mql', 'lead.assigned', 'lead.accepted', 'lead.qualified', 'lead.won']);
    expect(events.map((e) => e.id)).toEqual(events.map((e) => publicEventId(lead.leadId, e.seq)));
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(events.map((e) => e.data.lead.stage)).toEqual(['inquiry', 'mql', 'mql', 'sal', 'sql', 'won']);
    expect(events[2]!.data).toMatchObject({ lead: { owner: 'rep-grace', email: 'ada@analytical.example', fullName: 'Ada Lovelace' }, detail: { owner: 'rep-grace', slaKind: 'mql' } });
    expect(events[4]!.data.detail).toMatchObject({ opportunityId: expect.any(String) });
  });

  it('a reassignment by hand is lead.assigned naming the manager, the previous owner and the reason', () => {
    const lead = new LeadDriver('lead-reassigned')
      .assigned('rep-ada')
      .wait(2)
      .run({ type: 'ReassignLead', owner: 'rep-grace', by: 'manager-margaret', reason: 'rep-ada is on leave' });
    const [routed, manual] = publicEventsOf(lead.leadId, lead.events).filter((e) => e.type === 'lead.assigned');
    for (const e of [routed!, manual!]) expect(anyPublicEventSchema.parse(e)).toEqual(e);
    expect(routed!.data.detail).toMatchObject({ owner: 'rep-ada', by: null, previousOwner: null, reason: null });
    expect(manual!.data.detail).toEqual({
      owner: 'rep-grace',
      slaKind: 'mql',
      slaDueAt: lead.state.sla!.dueAt,
      assignment: 1,
      by: 'manager-margaret',
      previousOwner: 'rep-ada',
      reason: 'rep-ada is on leave',
    });
    expect(manual!.data.lead).toMatchObject({ owner: 'rep-grace', sla: { kind: 'mql', owner: 'rep-grace' } });
  });

  it("reps' notes are never published", () => {
    const lead = journeys.bantGapRecycle!(new LeadDriver('lead-notes'));
    const withNotes = lead.events.map((e) => (e.type === 'LeadRejected' || e.type === 'LeadQualified' ? { ...e, data: { ...e.data, note: 'called Ada' } } : e)) as LeadEvent[];
    const rejected: LeadEvent = { type: 'LeadRejected', seq: withNotes.length + 1, occurredAt: '2030-01-01T00:00:00.000Z', data: { rep: 'rep-ada', reason: 'not_ready', note: 'called Ada' } };
    const text = JSON.stringify(publicEventsOf(lead.leadId, [...withNotes, rejected]));
    expect(text).toContain('lead.rejected');
    expect(text).not.toContain('called Ada');
  });

  it('read again after the erasure (personal fields gone), the same events carry nothing personal', () => {
    const lead = journeys.handRaiserWon!(new LeadDriver('lead-erased'));
    const erasure: LeadEvent = { type: 'LeadErased', seq: lead.events.length + 1, occurredAt: '2030-01-01T00:00:00.000Z', data: { requestedBy: 'privacy-officer', from: 'won' } };
    const stored = [...lead.events, erasure].map((e) => withoutPersonalData(e).event);
    const events = publicEventsOf(lead.leadId, stored);
    expect(JSON.stringify(events)).not.toContain('ada@analytical.example');
    expect(events.every((e) => e.data.lead.email === null && e.data.lead.fullName === null)).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'lead.erased', data: { lead: { erased: true } } });
  });

  it('continues from a state: the same events as folding from the start', () => {
    const lead = journeys.recycledThenReMqlWon!(new LeadDriver('lead-resume'));
    const cut = 5;
    const before = foldEvents(lead.leadId, lead.events.slice(0, cut));
    expect(publicEventsOf(lead.leadId, lead.events.slice(cut), before)).toEqual(publicEventsOf(lead.leadId, lead.events).filter((e) => e.seq > cut));
  });
});
