import { log } from '@temporalio/activity';
import type { LeadPolicy } from '../domain/lead-policy';
import { nextInRotation, poolKeyFor, routeLead, type RoutingDecision, type RoutingLead } from '../domain/routing';

export interface AssignOwnerInput {
  leadId: string;
  mqlCycle: number;
  /** 1 for the first owner of a stage, 2 after the first breach, … */
  assignment: number;
  stage: 'mql' | 'sal';
  lead: RoutingLead;
  /** Reps who already breached this lead's SLA in this stage. */
  exclude: string[];
  /** The policy the lead's cycle runs on (carried by the workflow, so a cycle routes consistently). */
  policy: LeadPolicy;
  /** ISO instant of the decision (workflow time), for out-of-office dates. */
  now: string;
}

/**
 * The input of workflows started before routing policies: plain round robin over `candidates`, in their
 * order, by the same rotation rule as policy routing (nextInRotation). Kept so an activity scheduled by
 * such a history still runs after the worker is upgraded.
 */
export interface LegacyAssignOwnerInput {
  leadId: string;
  mqlCycle: number;
  assignment: number;
  stage: 'mql' | 'sal';
  candidates: string[];
  exclude: string[];
  /** Who gets the lead when no candidate is left: never "landing nowhere". */
  fallback: string;
}

/** What routing must remember across restarts and share between workers (db/routing.repository.ts). */
export interface RoutingStore {
  /**
   * One step of the pool's rotation, as a unit: reads the rep the pool last gave a lead to by round
   * robin (undefined when none yet), lets `choose` decide, and stores the decision's owner as the new
   * last rep when `via` is 'round_robin' (a fallback to the manager leaves the rotation where it was).
   * Concurrent calls for one pool run one after the other, each seeing the previous one's owner, so two
   * assignments never both take the same "next" rep. `choose` is synchronous and pure: it runs while
   * the pool is locked (on PGlite, while the database session is held) and must not touch the store.
   */
  rotate(poolKey: string, choose: (lastOwner: string | undefined) => RoutingDecision): Promise<RoutingDecision>;
  /** The owner stored for an assignment key, if one was. */
  recall(assignmentKey: string): Promise<string | undefined>;
  /** Stores the owner unless one is stored already; returns the stored one, so racing attempts agree. */
  remember(assignmentKey: string, owner: string): Promise<string>;
  /** Open leads (MQL + SAL) per rep; every rep asked for is in the answer. */
  openLoads(reps: readonly string[]): Promise<Record<string, number>>;
}

/** The pool of legacy inputs: they name no territory or segment, like a lead no territory lists. */
const LEGACY_POOL_KEY = 'territory:*|segment:*';
const MEMORY_ASSIGNMENTS_KEPT = 10_000;

/**
 * A store in this process's memory, for tests and a single worker: rotations restart with the process.
 * `loads` stands in for the read model's open leads per rep.
 */
export function memoryRoutingStore(loads: Readonly<Record<string, number>> = {}): RoutingStore {
  const lastOwners = new Map<string, string>();
  const assignments = new Map<string, string>();
  return {
    rotate(poolKey, choose) {
      // Read, choose and write with no await in between: atomic on the one JavaScript thread. (The
      // executor runs synchronously; a `choose` that throws rejects and leaves the rotation untouched.)
      return new Promise((resolve) => {
        const decision = choose(lastOwners.get(poolKey));
        if (decision.via === 'round_robin') lastOwners.set(poolKey, decision.owner);
        resolve(decision);
      });
    },
    recall(assignmentKey) {
      return Promise.resolve(assignments.get(assignmentKey));
    },
    remember(assignmentKey, owner) {
      const stored = assignments.get(assignmentKey);
      if (stored !== undefined) return Promise.resolve(stored);
      assignments.set(assignmentKey, owner);
      if (assignments.size > MEMORY_ASSIGNMENTS_KEPT) assignments.delete(assignments.keys().next().value!);
      return Promise.resolve(owner);
    },
    openLoads(reps) {
      return Promise.resolve(Object.fromEntries(reps.map((rep) => [rep, loads[rep] ?? 0])));
    },
  };
}

/**
 * Routing: the pure `routeLead` fed with the store's state. The answer for one (lead, cycle, stage,
 * assignment) is remembered in the store, so an activity retried after a lost response, or two attempts
 * racing, pick the same rep; each pool's rotation (the last rep it gave a lead to) lives in the store
 * too, and is read and moved on in one `rotate` step, so a restart or a second worker continues the
 * rotation instead of starting it again, and concurrent assignments take turns rather than the same rep.
 */
export function createRoutingActivities(store: RoutingStore = memoryRoutingStore(), policy?: LeadPolicy) {
  return {
    async assignOwner(input: AssignOwnerInput | LegacyAssignOwnerInput): Promise<string> {
      const key = `${input.leadId}:${input.mqlCycle}:${input.stage}:${input.assignment}`;
      const known = await store.recall(key);
      if (known !== undefined) {
        log.info('owner recalled', { leadId: input.leadId, assignmentKey: key, owner: known });
        return known;
      }
      const decision = 'policy' in input ? await route(input) : await routeLegacy(input);
      const owner = await store.remember(key, decision.owner);
      log.info('owner assigned', {
        leadId: input.leadId,
        assignmentKey: key,
        owner,
        // A racing attempt stored its choice first; both answer with that one.
        ...(owner !== decision.owner && { discardedChoice: decision.owner }),
        via: decision.via,
        poolKey: decision.poolKey,
        eligible: decision.eligible,
        skipped: decision.skipped,
      });
      return owner;
    },

    /** The policy this worker was started with (null when it was given none). */
    activePolicy(): Promise<LeadPolicy | null> {
      return Promise.resolve(policy ?? null);
    },
  };

  async function route(input: AssignOwnerInput): Promise<RoutingDecision> {
    const { policy: p } = input;
    const leastLoaded = p.routing.strategy === 'least_loaded';
    // Loads matter for capacity and for least_loaded only; skip the query when nothing reads them.
    const counted = p.routing.reps.filter((rep) => leastLoaded || rep.capacity !== undefined).map((rep) => rep.id);
    const loads = counted.length > 0 ? await store.openLoads(counted) : {};
    const decide = (lastOwner?: string) =>
      routeLead({ policy: p, lead: input.lead, now: input.now, exclude: input.exclude, loads, lastOwner });
    // Least loaded neither reads nor moves the rotation; loads are read before rotate locks the pool.
    return leastLoaded ? decide() : store.rotate(poolKeyFor(p, input.lead), decide);
  }

  async function routeLegacy(input: LegacyAssignOwnerInput): Promise<RoutingDecision> {
    const exclude = new Set(input.exclude);
    const eligible = input.candidates.filter((rep) => !exclude.has(rep));
    const skipped = input.candidates.filter((rep) => exclude.has(rep)).map((rep) => ({ rep, reason: 'breached' as const }));
    return store.rotate(LEGACY_POOL_KEY, (lastOwner): RoutingDecision => {
      const owner = nextInRotation(input.candidates, eligible, lastOwner);
      return owner === undefined
        ? { owner: input.fallback, via: 'fallback', poolKey: LEGACY_POOL_KEY, eligible, skipped }
        : { owner, via: 'round_robin', poolKey: LEGACY_POOL_KEY, eligible, skipped };
    });
  }
}
