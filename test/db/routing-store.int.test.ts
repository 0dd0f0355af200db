import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import {
  createRoutingActivities,
  memoryRoutingStore,
  type AssignOwnerInput,
  type LegacyAssignOwnerInput,
  type RoutingStore,
} from '../../activities/routing.activities';
import { createDatabase, type Db } from '../../db/connection';
import { migrateToLatest } from '../../db/migrate';
import { databaseRoutingStore } from '../../db/routing.repository';
import { defaultLeadPolicyInput, parseLeadPolicy, type LeadPolicyInput } from '../../domain/lead-policy';
import type { RoutingDecision } from '../../domain/routing';
import { createTestDatabase, type Backend, type TestDatabase } from '../support/database';

/*
 * The routing store on the real databases: PostgreSQL (several workers share it) and PGlite (the
 * embedded default). Each pool's rotation steps one assignment at a time, whatever the concurrency (50
 * leads over 5 reps give each 10), a fallback to the manager leaves it where it was, and it survives a
 * new store or a new connection; the owner of an assignment, once stored, is the answer of every attempt.
 */

const NOW = '2026-11-24T10:00:00.000Z'; // a Tuesday

const policyWith = (routing: Partial<LeadPolicyInput['routing']>) =>
  parseLeadPolicy({
    ...defaultLeadPolicyInput,
    routing: { manager: 'manager-margaret', reps: ['a'], territories: { emea: { countries: ['DE', 'FR'] } }, ...routing },
  });

/** Round robin across three reps, b out of office this week. */
const threeReps = policyWith({
  reps: ['a', { id: 'b', outOfOffice: [{ from: '2026-11-23', to: '2026-11-27' }] }, 'c'],
});

/** Round robin across five reps, all present. */
const fiveReps = policyWith({ reps: ['r1', 'r2', 'r3', 'r4', 'r5'] });

/** A rotation step's decision over `reps`, as the activity's `choose` would make it. */
const roundRobin = (owner: string): RoutingDecision => ({ owner, via: 'round_robin', poolKey: 'pool', eligible: [owner], skipped: [] });
const fallback: RoutingDecision = { owner: 'boss', via: 'fallback', poolKey: 'pool', eligible: [], skipped: [] };

/** 50 concurrent assignments of distinct leads in one pool of five reps: leads per owner. */
async function fiftyConcurrent(run: (input: AssignOwnerInput) => Promise<unknown>): Promise<Record<string, number>> {
  const owners = await Promise.all(
    Array.from({ length: 50 }, (_, i) => run({ ...assignment(`lead-${i}`), policy: fiveReps })),
  );
  const counts: Record<string, number> = {};
  for (const owner of owners.map(String)) counts[owner] = (counts[owner] ?? 0) + 1;
  return counts;
}
const tenEach = { r1: 10, r2: 10, r3: 10, r4: 10, r5: 10 };

/** Activity logs, kept instead of printed; the routing explanation is asserted from them. */
let logged: LogEntry[] = [];
const activityEnv = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('INFO', (entry) => logged.push(entry)) });

type RoutingActivities = ReturnType<typeof createRoutingActivities>;
/** Calls assignOwner inside an activity context, as the worker would. */
const runAssign = (env: MockActivityEnvironment, acts: RoutingActivities, input: AssignOwnerInput | LegacyAssignOwnerInput) =>
  env.run((i: AssignOwnerInput | LegacyAssignOwnerInput) => acts.assignOwner(i), input);

const assignment = (leadId: string, more: Partial<AssignOwnerInput> = {}): AssignOwnerInput => ({
  leadId,
  mqlCycle: 1,
  assignment: 1,
  stage: 'mql',
  lead: { country: 'DE' },
  exclude: [],
  policy: threeReps,
  now: NOW,
  ...more,
});

describe.each<Backend>(['postgres', 'pglite'])('routing store on %s', (backend) => {
  let tdb: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    tdb = await createTestDatabase(backend);
    db = tdb.db;
  }, 60_000);
  afterAll(async () => {
    await tdb?.drop();
  });
  beforeEach(async () => {
    await db.deleteFrom('routingPositions').execute();
    await db.deleteFrom('routingAssignments').execute();
    await db.deleteFrom('leads').execute();
    logged = [];
  });

  /** A read-model row with only what routing reads filled in meaningfully. */
  async function insertLead(leadId: string, owner: string | null, stage: string): Promise<void> {
    await db
      .insertInto('leads')
      .values({
        leadId,
        stage,
        owner,
        email: `${leadId}@example.com`,
        fullName: null,
        company: null,
        country: null,
        sourceChannel: null,
        sourceCampaign: null,
        fitScore: 0,
        engagementScore: 0,
        slaKind: null,
        slaDueAt: null,
        slaBreaches: 0,
        mqlCycle: 1,
        recycleCount: 0,
        recycleReason: null,
        needsDataRepair: false,
        unsubscribed: false,
        closedReason: null,
        firstInquiryAt: null,
        firstMqlAt: null,
        firstSalAt: null,
        firstSqlAt: null,
        firstWonAt: null,
        firstDisqualifiedAt: null,
        firstRecycledAt: null,
        createdAt: NOW,
        updatedAt: NOW,
        lastEventSeq: 1,
        state: '{}',
      })
      .execute();
  }

  describe('rotate', () => {
    const lastOwner = async (poolKey: string) =>
      (await db.selectFrom('routingPositions').select('lastOwner').where('poolKey', '=', poolKey).executeTakeFirst())?.lastOwner;
    /** Steps the pool's rotation once over `reps`, by the rule the activities use. */
    const step = (store: RoutingStore, poolKey: string, reps: string[]) =>
      store.rotate(poolKey, (last) => roundRobin(reps[(last === undefined ? 0 : reps.indexOf(last) + 1) % reps.length]!));

    it('hands each call the owner stored by the one before it, even 50 at once', async () => {
      const store = databaseRoutingStore(db);
      const seen: (string | undefined)[] = [];
      const reps = Array.from({ length: 50 }, (_, i) => `rep-${i}`);
      const decisions = await Promise.all(
        reps.map(() =>
          store.rotate('territory:emea|segment:*', (last) => {
            seen.push(last);
            return roundRobin(reps[last === undefined ? 0 : reps.indexOf(last) + 1]!);
          }),
        ),
      );
      // A chain: every call saw the previous owner, none saw the same one twice.
      expect(seen).toEqual([undefined, ...reps.slice(0, 49)]);
      expect(decisions.map((d) => d.owner).sort()).toEqual([...reps].sort());
      expect(await lastOwner('territory:emea|segment:*')).toBe('rep-49');
    });

    it('keeps each pool on its own, and continues in a new store instance', async () => {
      const store = databaseRoutingStore(db);
      expect((await step(store, 'p1', ['a', 'b', 'c'])).owner).toBe('a');
      expect((await step(store, 'p1', ['a', 'b', 'c'])).owner).toBe('b');
      expect((await step(store, 'p2', ['a', 'b', 'c'])).owner).toBe('a');
      expect((await step(databaseRoutingStore(db), 'p1', ['a', 'b', 'c'])).owner).toBe('c');
    });

    it('a fallback leaves the rotation where it was', async () => {
      const store = databaseRoutingStore(db);
      await step(store, 'pool', ['a', 'b']);
      expect(await store.rotate('pool', () => fallback)).toBe(fallback);
      expect(await lastOwner('pool')).toBe('a');
      expect(await store.rotate('fresh', () => fallback)).toBe(fallback);
      expect(await lastOwner('fresh')).toBeNull();
    });

    it('a choice that throws rolls back and releases the pool', async () => {
      const store = databaseRoutingStore(db);
      await step(store, 'pool', ['a', 'b']);
      await expect(
        store.rotate('pool', () => {
          throw new Error('no decision');
        }),
      ).rejects.toThrow('no decision');
      expect((await step(store, 'pool', ['a', 'b'])).owner).toBe('b');
    });
  });

  describe('recall and remember', () => {
    it('the first stored owner wins, for concurrent attempts and later ones', async () => {
      const store = databaseRoutingStore(db);
      expect(await store.recall('lead-1:1:mql:1')).toBeUndefined();
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => store.remember('lead-1:1:mql:1', `rep-${i}`)));
      expect(new Set(answers).size).toBe(1);
      expect(await store.recall('lead-1:1:mql:1')).toBe(answers[0]);
      expect(await store.remember('lead-1:1:mql:1', 'someone-else')).toBe(answers[0]);
      expect(await databaseRoutingStore(db).recall('lead-1:1:mql:1')).toBe(answers[0]);
      expect(await store.recall('lead-1:1:mql:2')).toBeUndefined();
    });
  });

  describe('openLoads', () => {
    it('counts the MQL and SAL leads each rep owns, zero for a rep with none', async () => {
      await insertLead('l1', 'a', 'mql');
      await insertLead('l2', 'a', 'sal');
      await insertLead('l3', 'a', 'sql');
      await insertLead('l4', 'a', 'won');
      await insertLead('l5', 'a', 'recycled');
      await insertLead('l6', 'b', 'sal');
      await insertLead('l7', 'other', 'mql');
      await insertLead('l8', null, 'mql');
      await insertLead('l9', null, 'inquiry');
      const store = databaseRoutingStore(db);
      expect(await store.openLoads(['a', 'b', 'c'])).toEqual({ a: 2, b: 1, c: 0 });
      expect(await store.openLoads([])).toEqual({});
    });
  });

  describe('assignOwner through the activities', () => {
    const env = activityEnv();
    const activities = () => createRoutingActivities(databaseRoutingStore(db), threeReps);
    const assign = (acts: RoutingActivities, input: AssignOwnerInput | LegacyAssignOwnerInput) => runAssign(env, acts, input);

    it('round robin a, c, a, c with b out of office, continuing after the activities are re-created', async () => {
      const first = activities();
      expect(await assign(first, assignment('lead-1'))).toBe('a');
      expect(await assign(first, assignment('lead-2'))).toBe('c');
      const restarted = activities(); // a worker restart: nothing kept in memory
      expect(await assign(restarted, assignment('lead-3'))).toBe('a');
      expect(await assign(restarted, assignment('lead-4'))).toBe('c');
      expect(await restarted.activePolicy()).toBe(threeReps);
    });

    it('logs how the owner was chosen, and that a retry was answered from the store', async () => {
      const acts = activities();
      await assign(acts, assignment('lead-1'));
      await assign(acts, assignment('lead-1'));
      expect(logged.map((e) => [e.message, e.meta?.owner])).toEqual([
        ['owner assigned', 'a'],
        ['owner recalled', 'a'],
      ]);
      expect(logged[0]!.meta).toMatchObject({
        leadId: 'lead-1',
        assignmentKey: 'lead-1:1:mql:1',
        via: 'round_robin',
        poolKey: 'territory:emea|segment:*',
        eligible: ['a', 'c'],
        skipped: [{ rep: 'b', reason: 'out_of_office' }],
      });
    });

    it('a retried call answers the same owner, even after a restart', async () => {
      const acts = activities();
      const owners = [await assign(acts, assignment('lead-1')), await assign(acts, assignment('lead-2'))];
      expect(owners).toEqual(['a', 'c']);
      expect(await assign(acts, assignment('lead-2'))).toBe('c');
      expect(await assign(activities(), assignment('lead-1'))).toBe('a');
      // The retries did not move the rotation.
      expect(await assign(acts, assignment('lead-3'))).toBe('a');
    });

    it('50 concurrent assignments over five reps give each rep exactly 10 leads', async () => {
      expect(await fiftyConcurrent((input) => assign(activities(), input))).toEqual(tenEach);
    });

    it('a fallback to the manager does not move the rotation', async () => {
      const acts = activities();
      expect(await assign(acts, assignment('lead-1'))).toBe('a');
      expect(await assign(acts, assignment('lead-2', { exclude: ['a', 'c'] }))).toBe('manager-margaret');
      expect(await assign(acts, assignment('lead-3'))).toBe('c');
      expect(await assign(acts, assignment('lead-4'))).toBe('a');
    });

    it('concurrent attempts for one assignment agree', async () => {
      const owners = await Promise.all(Array.from({ length: 8 }, () => assign(activities(), assignment('lead-race'))));
      expect(new Set(owners).size).toBe(1);
    });

    it('reassignment after a breach skips the rep who breached', async () => {
      const acts = activities();
      expect(await assign(acts, assignment('lead-1'))).toBe('a');
      expect(await assign(acts, assignment('lead-1', { assignment: 2, exclude: ['a'] }))).toBe('c');
      expect(await assign(acts, assignment('lead-1', { assignment: 3, exclude: ['a', 'c'] }))).toBe('manager-margaret');
    });

    it('a breach reassignment takes the next turn: a, then b without a (not c), then c', async () => {
      const acts = activities();
      const policy = policyWith({ reps: ['a', 'b', 'c'] });
      expect(await assign(acts, assignment('lead-1', { policy }))).toBe('a');
      expect(await assign(acts, assignment('lead-1', { policy, assignment: 2, exclude: ['a'] }))).toBe('b');
      expect(await assign(acts, assignment('lead-2', { policy }))).toBe('c');
    });

    it('least loaded and capacity read the leads table', async () => {
      const policy = policyWith({ strategy: 'least_loaded', reps: [{ id: 'a', capacity: 2 }, 'b', 'c'] });
      await insertLead('l1', 'b', 'mql');
      await insertLead('l2', 'c', 'sal');
      await insertLead('l3', 'c', 'won');
      const acts = activities();
      expect(await assign(acts, assignment('lead-1', { policy }))).toBe('a');
      await insertLead('lead-1', 'a', 'mql');
      await insertLead('l4', 'a', 'sal');
      // a is full now; b and c each own one open lead, b comes first.
      expect(await assign(acts, assignment('lead-2', { policy }))).toBe('b');
    });

    it('routes an in-flight legacy input by plain round robin over its candidates', async () => {
      const acts = createRoutingActivities(databaseRoutingStore(db));
      const legacy = (leadId: string, exclude: string[] = []) => ({
        leadId,
        mqlCycle: 1,
        assignment: 1,
        stage: 'mql' as const,
        candidates: ['x', 'y', 'z'],
        exclude,
        fallback: 'boss',
      });
      expect(await assign(acts, legacy('old-1'))).toBe('x');
      expect(await assign(acts, legacy('old-2', ['y']))).toBe('z');
      expect(await assign(acts, legacy('old-3', ['x', 'y', 'z']))).toBe('boss');
      expect(await assign(acts, legacy('old-1'))).toBe('x');
      // The fallback and the recalled retry did not move the rotation: after z comes x, then y.
      expect(await assign(acts, legacy('old-4'))).toBe('x');
      expect(await assign(acts, legacy('old-5'))).toBe('y');
      expect(await acts.activePolicy()).toBeNull();
    });
  });

  it('the rotation and assignments survive a new connection to the database', async () => {
    let dataDir: string | undefined;
    const open = async (): Promise<Db> => {
      if (backend === 'postgres') return createDatabase({ databaseUrl: tdb.url, dataDir: '' });
      dataDir ??= mkdtempSync(path.join(tmpdir(), 'leadflow-routing-'));
      const opened = createDatabase({ dataDir });
      await migrateToLatest(opened);
      return opened;
    };
    try {
      const before = await open();
      const acts = createRoutingActivities(databaseRoutingStore(before));
      const env = activityEnv();
      expect(await runAssign(env, acts, assignment('lead-1'))).toBe('a');
      await before.destroy();

      const after = await open();
      try {
        const again = createRoutingActivities(databaseRoutingStore(after));
        expect(await runAssign(env, again, assignment('lead-2'))).toBe('c');
        expect(await runAssign(env, again, assignment('lead-1'))).toBe('a');
      } finally {
        await after.destroy();
      }
    } finally {
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('routing store in memory', () => {
  it('keeps the same contract: 50 concurrent assignments over five reps give each rep 10 leads', async () => {
    const acts = createRoutingActivities(memoryRoutingStore());
    expect(await fiftyConcurrent((input) => runAssign(activityEnv(), acts, input))).toEqual(tenEach);
  });

  it('a fallback leaves the rotation where it was', async () => {
    const store = memoryRoutingStore();
    const seen: (string | undefined)[] = [];
    await store.rotate('pool', () => roundRobin('a'));
    await store.rotate('pool', () => fallback);
    await store.rotate('pool', (last) => (seen.push(last), roundRobin('b')));
    expect(seen).toEqual(['a']);
  });
});
