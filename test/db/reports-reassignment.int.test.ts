import { appendLeadEvents } from '../../db/lead-events.repository';
import { slaReport } from '../../db/reports.repository';
import type { LeadCommand } from '../../domain/lead-commands';
import { createTestDatabase, type Backend, type TestDatabase } from '../support/database';
import { databaseKeyStore, testLeadId } from '../support/encryption';
import { accept, assign, LeadDriver } from '../support/lead-histories';

/*
 * A manager's reassignment by hand in the SLA report: it is an assignment of the rep who gets the lead
 * (their window starts there), but not one of routing's reassignments after a breach, which the
 * report's `reassignments` counts (a LeadAssigned after a breach carries the breach round's
 * `assignment` either way; only routing's have no `by`).
 */

const reassign = (owner: string): LeadCommand => ({ type: 'ReassignLead', owner, by: 'manager-margaret', reason: 'load balancing' });

describe.each<Backend>(['postgres', 'pglite'])('the SLA report with reassignments by hand, on %s', (backend) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(backend);
  });
  afterAll(async () => {
    await t?.drop();
  });

  test('counts routing\'s reassignment after the breach, not the manager\'s, and times the decision from the manager\'s', async () => {
    const lead = new LeadDriver(testLeadId('reassigned@reports.example'))
      .assigned('rep-ada')
      .fireTimer() // reminder at 18 h
      .fireTimer() // breach at 24 h
      .run(assign('rep-grace')) // routing, assignment 2
      .wait(2)
      .run(reassign('rep-linus')) // by hand, in the same round
      .wait(3)
      .run(accept('rep-linus'));
    const assigned = lead.events.filter((e) => e.type === 'LeadAssigned');
    expect(assigned.map((e) => [e.data.owner, e.data.assignment, e.data.by ?? null])).toEqual([
      ['rep-ada', 1, null],
      ['rep-grace', 2, null],
      ['rep-linus', 2, 'manager-margaret'],
    ]);
    const { sealer } = databaseKeyStore(t.db);
    for (const events of lead.batches) await appendLeadEvents(t.db, sealer, { leadId: lead.leadId, events, workflowRunId: 'run-1' });

    const report = await slaReport(t.db, { from: '2025-03-03', to: '2025-03-09' }, new Date('2025-03-10T00:00:00Z'));
    expect(report.mql).toMatchObject({ decided: 1, withinSla: 0, breaches: 1, reassignments: 1, handedBack: 0 });
    const linus = report.byRep.find((r) => r.rep === 'rep-linus')!;
    // rep-linus's window began with the manager's reassignment, after the breach: within SLA, 3 h to decide.
    expect(linus).toMatchObject({ assigned: 1, accepted: 1, withinSlaShare: 1, medianHoursToDecision: 3 });
  });
});
