import { sql } from 'kysely';
import type { Db } from '../../db/connection';
import { appendLeadEvents, loadEvents, restoreLeadEvents, SequenceGapError } from '../../db/lead-events.repository';
import { migrateToLatest } from '../../db/migrate';
import { migrations } from '../../db/migrations';
import { rebuildLeadsFromEvents, type RebuildProgress } from '../../db/projection-rebuild';
import { foldEvents } from '../../domain/lead-decider';
import type { LeadEvent } from '../../domain/lead-events';
import { toReadModel, type LeadReadModel } from '../../domain/lead-projection';
import type { PersonalDataSealer } from '../../encryption';
import { createTestDatabase, type Backend, type TestDatabase } from '../support/database';
import { databaseKeyStore } from '../support/encryption';
import { ada, journeys, LeadDriver, prng, randomHistory } from '../support/lead-histories';

/*
 * The event store and the `leads` read model on the real databases: PostgreSQL (the production server)
 * and PGlite (the embedded default). Whatever the delivery (retries, duplicates, overlaps, concurrency),
 * each (lead, seq) is stored once and the row is the pure fold of the stored events.
 */

const timestampColumns = [
  'slaDueAt',
  'firstInquiryAt',
  'firstMqlAt',
  'firstSalAt',
  'firstSqlAt',
  'firstWonAt',
  'firstDisqualifiedAt',
  'firstRecycledAt',
  'createdAt',
  'updatedAt',
] as const;

/** The row the database should hold for a read model: timestamps as Date, state as stored JSON. */
function asRow(m: LeadReadModel): Record<string, unknown> {
  const row: Record<string, unknown> = { ...m, state: JSON.parse(JSON.stringify(m.state)) };
  for (const c of timestampColumns) row[c] = m[c] === null ? null : new Date(m[c]);
  return row;
}

const foldedRow = (leadId: string, events: readonly LeadEvent[]) => asRow(toReadModel(foldEvents(leadId, events)));

/**
 * The two many-leads tests write thousands of events one batch at a time; embedded PGlite on a loaded
 * 2-core machine took more than jest's 120 s for them once. The bound only caps a hang: nothing here
 * measures speed.
 */
const MANY_LEADS_TIMEOUT_MS = 600_000;

/** A lead driven down a named journey. */
const drive = (name: string, leadId: string): LeadDriver => journeys[name]!(new LeadDriver(leadId));

describe.each<Backend>(['postgres', 'pglite'])('lead event store on %s', (backend) => {
  let tdb: TestDatabase;
  let db: Db;
  let sealer: PersonalDataSealer;

  beforeAll(async () => {
    tdb = await createTestDatabase(backend);
    db = tdb.db;
    sealer = databaseKeyStore(db).sealer;
  }, 60_000);
  afterAll(async () => {
    await tdb?.drop();
  });

  const id = (name: string) => `${backend}-${name}`;
  const runId = 'run-1';

  async function eventCount(leadId?: string): Promise<number> {
    let q = db.selectFrom('leadEvents').select((eb) => eb.fn.countAll().as('n'));
    if (leadId !== undefined) q = q.where('leadId', '=', leadId);
    const { n } = await q.executeTakeFirstOrThrow();
    return Number(n);
  }
  const leadRow = (leadId: string) => db.selectFrom('leads').selectAll().where('leadId', '=', leadId).executeTakeFirst();
  const allLeadRows = () => db.selectFrom('leads').selectAll().orderBy('leadId').execute();
  const storedSeqs = async (leadId: string) =>
    (await db.selectFrom('leadEvents').select('seq').where('leadId', '=', leadId).orderBy('seq').execute()).map((r) => r.seq);
  const append = (leadId: string, events: readonly LeadEvent[]) => appendLeadEvents(db, sealer, { leadId, events, workflowRunId: runId });
  const seqs = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  /** Appends a lead's decision batches one after the other, as its workflow would. */
  async function appendBatches(lead: LeadDriver): Promise<void> {
    for (const batch of lead.batches) await append(lead.leadId, batch);
  }

  describe('migrations', () => {
    it('create lead_events and leads, and running them again changes nothing', async () => {
      const tables = await sql<{ tableName: string }>`
        select table_name from information_schema.tables where table_schema = 'public' order by table_name`.execute(db);
      expect(tables.rows.map((r) => r.tableName)).toEqual(
        expect.arrayContaining(['lead_events', 'leads', 'leadflow_migrations', 'leadflow_migrations_lock']),
      );
      const columns = await sql<{ tableName: string; n: number }>`
        select table_name, count(*)::int as n from information_schema.columns
        where table_schema = 'public' and table_name in ('lead_events', 'leads') group by table_name order by table_name`.execute(db);
      expect(columns.rows).toEqual([
        { tableName: 'lead_events', n: 10 },
        { tableName: 'leads', n: 32 },
      ]);

      const again = await migrateToLatest(db);
      expect(again.error).toBeUndefined();
      expect(again.results).toEqual([]);
      const third = await migrateToLatest(db);
      expect(third.results).toEqual([]);
      const applied = await sql<{ name: string }>`select name from leadflow_migrations order by name`.execute(db);
      expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(migrations));
      expect(Object.keys(migrations)).toContain('20261122T1900-create-lead-events-and-leads');
    });
  });

  describe('appendLeadEvents', () => {
    it("keeps personal fields out of lead_events in clear: sealed with the lead's key, opened on load", async () => {
      const lead = drive('won', id('sealed'));
      await append(lead.leadId, lead.events);
      const dump = JSON.stringify(await db.selectFrom('leadEvents').selectAll().where('leadId', '=', lead.leadId).execute());
      for (const value of [ada.email, ada.firstName, ada.lastName, ada.phone, ada.company]) expect(dump).not.toContain(value);
      const captured = await db.selectFrom('leadEvents').select(['data', 'personal']).where('leadId', '=', lead.leadId).where('seq', '=', 1).executeTakeFirstOrThrow();
      expect(captured.data).toMatchObject({ profile: { email: '', country: ada.country, seniority: ada.seniority } });
      expect(captured.personal).toMatch(/^[A-Za-z0-9+/=]{40,}$/);
      expect(await loadEvents(db, sealer, lead.leadId)).toEqual(lead.events);
    });

    it('stores each event of a batch once and moves the row to the fold', async () => {
      const lead = drive('won', id('append'));
      const result = await append(lead.leadId, lead.events);
      expect(result).toEqual({ inserted: lead.events.length, lastEventSeq: lead.events.length });
      expect(await eventCount(lead.leadId)).toBe(lead.events.length);
      expect(await loadEvents(db, sealer, lead.leadId)).toEqual(lead.events);
      expect(await leadRow(lead.leadId)).toEqual(foldedRow(lead.leadId, lead.events));

      const stored = await db.selectFrom('leadEvents').selectAll().where('leadId', '=', lead.leadId).orderBy('seq').execute();
      expect(stored.map((r) => [r.seq, r.type, r.workflowRunId])).toEqual(lead.events.map((e) => [e.seq, e.type, runId]));
      for (const r of stored) expect(r.recordedAt).toBeInstanceOf(Date);
    });

    it('a retried batch and an overlapping duplicate leave one copy of each seq', async () => {
      const lead = drive('slaBreachReassigned', id('retry'));
      const events = lead.events;
      expect(events.length).toBeGreaterThanOrEqual(7);
      const first = events.slice(0, 5);
      expect(await append(lead.leadId, first)).toEqual({ inserted: 5, lastEventSeq: 5 });
      expect(await append(lead.leadId, first)).toEqual({ inserted: 0, lastEventSeq: 5 }); // retry
      expect(await eventCount(lead.leadId)).toBe(5);
      expect(await leadRow(lead.leadId)).toEqual(foldedRow(lead.leadId, first));

      expect(await append(lead.leadId, events.slice(2, 7))).toEqual({ inserted: 2, lastEventSeq: 7 }); // 3..7
      expect(await append(lead.leadId, [...events.slice(2, 7)].reverse())).toEqual({ inserted: 0, lastEventSeq: 7 });
      expect(await storedSeqs(lead.leadId)).toEqual(seqs(1, 7));
      expect(await leadRow(lead.leadId)).toEqual(foldedRow(lead.leadId, events.slice(0, 7)));

      expect(await append(lead.leadId, events)).toEqual({ inserted: events.length - 7, lastEventSeq: events.length });
      expect(await append(lead.leadId, events)).toEqual({ inserted: 0, lastEventSeq: events.length });
      expect(await storedSeqs(lead.leadId)).toEqual(seqs(1, events.length));
      expect(await eventCount(lead.leadId)).toBe(events.length);
      expect(await loadEvents(db, sealer, lead.leadId)).toEqual(events);
      expect(await leadRow(lead.leadId)).toEqual(foldedRow(lead.leadId, events));
    });

    it('refuses a batch that starts after a gap and writes nothing', async () => {
      const lead = drive('won', id('gap'));
      await append(lead.leadId, lead.events.slice(0, 3));
      const before = await leadRow(lead.leadId);
      expect(before).toEqual(foldedRow(lead.leadId, lead.events.slice(0, 3)));

      const refused = append(lead.leadId, lead.events.slice(4, 6)); // seq 5..6, 4 missing
      await expect(refused).rejects.toBeInstanceOf(SequenceGapError);
      await expect(refused).rejects.toMatchObject({ leadId: lead.leadId, expectedSeq: 4, gotSeq: 5 });
      // A hole inside the batch is refused as well, even though it starts right after the last event.
      await expect(append(lead.leadId, [lead.events[3]!, lead.events[5]!])).rejects.toMatchObject({
        name: 'SequenceGapError',
        expectedSeq: 5,
        gotSeq: 6,
      });
      expect(await eventCount(lead.leadId)).toBe(3);
      expect(await leadRow(lead.leadId)).toEqual(before);

      // The retry once the missing batch arrived goes through.
      await append(lead.leadId, lead.events.slice(3, 4));
      await append(lead.leadId, lead.events.slice(4, 6));
      expect(await storedSeqs(lead.leadId)).toEqual(seqs(1, 6));
      expect(await leadRow(lead.leadId)).toEqual(foldedRow(lead.leadId, lead.events.slice(0, 6)));
    });

    it('refuses a first batch that does not start at seq 1', async () => {
      const lead = drive('won', id('gap-first'));
      await expect(append(lead.leadId, lead.events.slice(1, 3))).rejects.toMatchObject({ expectedSeq: 1, gotSeq: 2 });
      expect(await eventCount(lead.leadId)).toBe(0);
      expect(await leadRow(lead.leadId)).toBeUndefined();
    });

    it('concurrent appends of the same batch store it once', async () => {
      const lead = drive('mqlSlaExpired', id('concurrent'));
      const head = lead.events.slice(0, 2);
      await append(lead.leadId, head);
      const results = await Promise.all(Array.from({ length: 5 }, () => append(lead.leadId, lead.events.slice(2))));
      expect(results.map((r) => r.inserted).sort((a, b) => a - b)).toEqual([0, 0, 0, 0, lead.events.length - 2]);
      for (const r of results) expect(r.lastEventSeq).toBe(lead.events.length);
      expect(await storedSeqs(lead.leadId)).toEqual(seqs(1, lead.events.length));
      expect(await leadRow(lead.leadId)).toEqual(foldedRow(lead.leadId, lead.events));

      // And a brand-new lead whose very first batch arrives five times at once.
      const fresh = drive('reject-spam', id('concurrent-new'));
      await Promise.all(Array.from({ length: 5 }, () => append(fresh.leadId, fresh.events)));
      expect(await eventCount(fresh.leadId)).toBe(fresh.events.length);
      expect(await leadRow(fresh.leadId)).toEqual(foldedRow(fresh.leadId, fresh.events));
    });

    it('refolds a drifted row (deleted or behind) from all stored events on the next batch', async () => {
      const lead = drive('recycledThenReMqlWon', id('drift'));
      const [b1, b2, ...rest] = lead.batches;
      await append(lead.leadId, b1!);
      await db.deleteFrom('leads').where('leadId', '=', lead.leadId).execute();
      await append(lead.leadId, b2!);
      expect(await leadRow(lead.leadId)).toEqual(foldedRow(lead.leadId, [...b1!, ...b2!]));
      await db.updateTable('leads').set({ lastEventSeq: 1, stage: 'won' }).where('leadId', '=', lead.leadId).execute();
      for (const b of rest) await append(lead.leadId, b);
      expect(await leadRow(lead.leadId)).toEqual(foldedRow(lead.leadId, lead.events));
    });
  });

  describe('rebuildLeadsFromEvents', () => {
    const names = Object.keys(journeys);
    const leadIdOf = (name: string) => id(`rebuild-${name}`);

    beforeAll(async () => {
      for (const name of names) await appendBatches(drive(name, leadIdOf(name)));
    });

    it('restores every row after all rows of leads were deleted', async () => {
      const live = await allLeadRows();
      expect(live.length).toBeGreaterThanOrEqual(names.length);
      for (const name of names) {
        const lead = drive(name, leadIdOf(name));
        expect(live.find((r) => r.leadId === lead.leadId)).toEqual(foldedRow(lead.leadId, lead.events));
      }

      await db.deleteFrom('leads').execute();
      const progress: RebuildProgress[] = [];
      const done = await rebuildLeadsFromEvents(db, sealer, (p) => progress.push(p), 7);
      const distinctLeads = await db.selectFrom('leadEvents').select('leadId').distinct().execute();
      expect(done).toEqual({ leads: distinctLeads.length, total: distinctLeads.length });
      expect(progress.at(-1)).toEqual(done);
      expect(progress.length).toBe(Math.ceil(distinctLeads.length / 7));
      expect(await allLeadRows()).toStrictEqual(live);
    });

    it('repairs a corrupted row and leaves the others as they were', async () => {
      const live = await allLeadRows();
      const victim = leadIdOf('salSlaExpired');
      await db
        .updateTable('leads')
        .set({ stage: 'won', owner: 'rep-mallory', slaBreaches: 99, lastEventSeq: 1, firstWonAt: '2030-01-01T00:00:00.000Z' })
        .where('leadId', '=', victim)
        .execute();
      expect((await leadRow(victim))?.stage).toBe('won');
      await rebuildLeadsFromEvents(db, sealer);
      expect(await allLeadRows()).toStrictEqual(live);
    });

    it('never moves a row backwards when it is ahead of the stored events', async () => {
      const lead = drive('won', id('rebuild-ahead'));
      await appendBatches(lead);
      const ahead = await leadRow(lead.leadId);
      await db.deleteFrom('leadEvents').where('leadId', '=', lead.leadId).where('seq', '>', 3).execute();
      await rebuildLeadsFromEvents(db, sealer);
      expect(await leadRow(lead.leadId)).toStrictEqual(ahead);
      await restoreLeadEvents(db, sealer, { leadId: lead.leadId, events: lead.events.map((event) => ({ event, workflowRunId: runId })) });
    });
  });

  describe('restoreLeadEvents', () => {
    const recovered = (lead: LeadDriver, workflowRunId = 'run-recovered') =>
      lead.events.map((event) => ({ event, workflowRunId }));

    it('re-inserts the events of a lead whose events were deleted, then is a no-op', async () => {
      const lead = drive('recycledTwice', id('restore'));
      await appendBatches(lead);
      const row = await leadRow(lead.leadId);
      await db.deleteFrom('leadEvents').where('leadId', '=', lead.leadId).execute();
      expect(await eventCount(lead.leadId)).toBe(0);

      expect(await restoreLeadEvents(db, sealer, { leadId: lead.leadId, events: recovered(lead) })).toBe(lead.events.length);
      expect(await loadEvents(db, sealer, lead.leadId)).toEqual(lead.events);
      expect(await leadRow(lead.leadId)).toStrictEqual(row);

      expect(await restoreLeadEvents(db, sealer, { leadId: lead.leadId, events: recovered(lead) })).toBe(0);
      expect(await eventCount(lead.leadId)).toBe(lead.events.length);
      expect(await leadRow(lead.leadId)).toStrictEqual(row);
    });

    it('fills only the missing events, and recreates a missing row', async () => {
      const lead = drive('badContactDataRepaired', id('restore-partial'));
      await appendBatches(lead);
      const row = await leadRow(lead.leadId);
      await db.deleteFrom('leadEvents').where('leadId', '=', lead.leadId).where('seq', 'in', [2, 5, lead.events.length]).execute();
      await db.deleteFrom('leads').where('leadId', '=', lead.leadId).execute();

      expect(await restoreLeadEvents(db, sealer, { leadId: lead.leadId, events: recovered(lead) })).toBe(3);
      expect(await storedSeqs(lead.leadId)).toEqual(seqs(1, lead.events.length));
      expect(await leadRow(lead.leadId)).toStrictEqual(row);
      const runs = await db.selectFrom('leadEvents').select(['seq', 'workflowRunId']).where('leadId', '=', lead.leadId).orderBy('seq').execute();
      expect(runs.filter((r) => r.workflowRunId === 'run-recovered').map((r) => r.seq)).toEqual([2, 5, lead.events.length]);
    });

    it('restores a lead never seen before, in chunks, and accepts unsorted input', async () => {
      const lead = new LeadDriver(id('restore-long')).run({
        type: 'FillForm',
        formType: 'newsletter',
        profile: { email: 'long@history.example' },
      });
      for (let i = 0; i < 130; i++) {
        lead.wait(1).run({ type: 'RecordEngagement', engagements: Array.from({ length: 5 }, () => ({ type: 'email_open', occurredAt: lead.now })) });
      }
      expect(lead.events.length).toBeGreaterThan(500);
      const shuffled = [...recovered(lead)].reverse();
      expect(await restoreLeadEvents(db, sealer, { leadId: lead.leadId, events: shuffled })).toBe(lead.events.length);
      expect(await leadRow(lead.leadId)).toEqual(foldedRow(lead.leadId, lead.events));
      expect(await restoreLeadEvents(db, sealer, { leadId: lead.leadId, events: shuffled })).toBe(0);
    });
  });

  describe('many leads through varied paths', () => {
    it('keeps the live table equal to a rebuild and stores every generated event once', async () => {
      const leads = Array.from({ length: 200 }, (_, i) => randomHistory(id(`many-${String(i).padStart(3, '0')}`), 1000 + i));
      const generated = leads.reduce((n, l) => n + l.events.length, 0);
      const stages = new Set(leads.map((l) => l.state.stage));
      expect(stages.size).toBeGreaterThanOrEqual(5); // the walks really do reach varied ends
      const before = await eventCount();

      // Batch by batch per lead, several leads at a time; now and then a batch arrives with the tail of
      // the previous one (overlap), or is delivered twice (an activity retry).
      const r = prng(42);
      let next = 0;
      const worker = async () => {
        while (next < leads.length) {
          const lead = leads[next++]!;
          let sent: LeadEvent[] = [];
          for (const batch of lead.batches) {
            await append(lead.leadId, r() < 0.1 ? [...sent.slice(-2), ...batch] : batch);
            if (r() < 0.1) await append(lead.leadId, batch);
            sent = [...sent, ...batch];
          }
        }
      };
      await Promise.all(Array.from({ length: 6 }, worker));

      expect((await eventCount()) - before).toBe(generated);
      const ids = leads.map((l) => l.leadId);
      const { n } = await db
        .selectFrom('leadEvents')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('leadId', 'in', ids)
        .executeTakeFirstOrThrow();
      expect(Number(n)).toBe(generated);
      const live = await db.selectFrom('leads').selectAll().where('leadId', 'in', ids).orderBy('leadId').execute();
      expect(live).toEqual(leads.map((l) => foldedRow(l.leadId, l.events)));

      const snapshot = await allLeadRows();
      await db.deleteFrom('leads').execute();
      await rebuildLeadsFromEvents(db, sealer);
      expect(await allLeadRows()).toStrictEqual(snapshot);
    }, MANY_LEADS_TIMEOUT_MS);

    it('a rebuild running while the live projection writes ends with every row at the fold', async () => {
      const leads = Array.from({ length: 40 }, (_, i) => randomHistory(id(`during-${String(i).padStart(2, '0')}`), 5000 + i));
      // Half the leads already have some events, so the rebuild has rows of theirs to refold meanwhile.
      for (const lead of leads.slice(0, 20)) await append(lead.leadId, lead.batches[0]!);
      let next = 0;
      const worker = async () => {
        while (next < leads.length) {
          const lead = leads[next++]!;
          for (const batch of lead.batches) await append(lead.leadId, batch);
        }
      };
      await Promise.all([
        ...Array.from({ length: 4 }, worker),
        rebuildLeadsFromEvents(db, sealer, undefined, 5),
        rebuildLeadsFromEvents(db, sealer, undefined, 13),
      ]);
      const live = await db
        .selectFrom('leads')
        .selectAll()
        .where('leadId', 'in', leads.map((l) => l.leadId))
        .orderBy('leadId')
        .execute();
      expect(live).toEqual(leads.map((l) => foldedRow(l.leadId, l.events)));
    }, MANY_LEADS_TIMEOUT_MS);
  });
});
