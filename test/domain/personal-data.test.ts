import { evolve, foldEvents } from '../../domain/lead-decider';
import type { LeadEvent } from '../../domain/lead-events';
import { impersonalProfile, personalDataReport, personalProfileFields, withoutPersonalData, withPersonalData } from '../../domain/personal-data';
import { toReadModel } from '../../domain/lead-projection';
import { journeys, LeadDriver } from '../support/lead-histories';

const everyJourney = Object.entries(journeys).map(([name, drive]) => [name, drive(new LeadDriver(`lead-${name}`))] as const);
const personalValues = (events: readonly LeadEvent[]): string[] =>
  events.flatMap((e) => {
    const p = (e.data as { profile?: Record<string, unknown>; note?: unknown }).profile ?? {};
    const fields = personalProfileFields.map((f) => p[f]).filter((v): v is string => typeof v === 'string' && v !== '');
    const note = (e.data as { note?: unknown }).note;
    return typeof note === 'string' ? [...fields, note] : fields;
  });

describe('personal data in events', () => {
  it.each(everyJourney)('%s: split and put back gives every event exactly', (_name, lead) => {
    for (const event of lead.events) {
      const { event: impersonal, personal } = withoutPersonalData(event);
      expect(withPersonalData(impersonal, personal)).toEqual(event);
      expect(personalValues([impersonal])).toEqual([]);
    }
  });

  it('the journeys carry personal data to split (the check above is not empty)', () => {
    expect(personalValues(everyJourney.flatMap(([, lead]) => lead.events)).length).toBeGreaterThan(10);
  });

  it('an impersonal profile keeps what scoring and routing read, and nothing that identifies the person', () => {
    expect(
      impersonalProfile({
        email: 'ada@analytical.example',
        firstName: 'Ada',
        lastName: 'Lovelace',
        phone: '+44',
        company: 'Analytical',
        companyDomain: 'analytical.example',
        jobTitle: 'CTO',
        seniority: 'c_level',
        industry: 'software',
        employeeCount: 1200,
        annualRevenue: 5,
        country: 'GB',
        productInterest: 'routing',
      }),
    ).toEqual({ email: '', seniority: 'c_level', industry: 'software', employeeCount: 1200, annualRevenue: 5, country: 'GB', productInterest: 'routing' });
  });

  it.each(everyJourney)('%s: once erased, a refold of the impersonal events keeps every fact a report reads', (_name, lead) => {
    const erasedAt = '2030-01-01T00:00:00.000Z';
    const erase = (events: readonly LeadEvent[]): LeadEvent => ({
      type: 'LeadErased',
      seq: events.length + 1,
      occurredAt: erasedAt,
      data: { requestedBy: 'privacy-officer', from: foldEvents(lead.leadId, events).stage },
    });
    const live = evolve(foldEvents(lead.leadId, lead.events), erase(lead.events));
    const impersonal = lead.events.map((e) => withoutPersonalData(e).event);
    const refolded = evolve(foldEvents(lead.leadId, impersonal), erase(impersonal));
    expect(toReadModel(refolded)).toEqual(toReadModel(live));
    expect(toReadModel(live)).toMatchObject({ email: '', fullName: null, company: null, erasedAt, slaDueAt: null });
  });
});

describe('the access report (art. 15)', () => {
  it('lists the profile, every consent record, form fill, engagement and decision of the lead', () => {
    const lead = journeys.recycledThenReMqlWon!(new LeadDriver('lead-access'));
    const state = foldEvents(lead.leadId, lead.events);
    const report = personalDataReport(state, lead.events);
    expect(report.profile).toEqual(state.profile);
    expect(report.formFills).toHaveLength(lead.events.filter((e) => e.type === 'FormFilled').length);
    expect(report.engagement).toHaveLength(lead.events.filter((e) => e.type === 'EngagementRecorded').length);
    expect(report.consent).toHaveLength(lead.events.filter((e) => e.type === 'FormFilled' && e.data.consent).length);
    expect(report.decisions.map((d) => d.type)).toEqual(
      lead.events.map((e) => e.type).filter((t) => !['LeadCaptured', 'FormFilled', 'EngagementRecorded', 'LeadBecameMql', 'SlaReminderSent', 'EngagementDecayed'].includes(t)),
    );
  });
});
