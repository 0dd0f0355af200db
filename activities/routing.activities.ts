import { log } from '@temporalio/activity';
import type { LeadPolicy } from '../domain/lead-policy';
import { poolKeyFor, routeLead, type RoutingDecision, type RoutingLead } from '../domain/routing';

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
 * The input of workflows started before routing policies: plain round robin over `candidates`. Kept so
 * an activity scheduled by such a history still runs after the worker is upgraded.
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
  /** The pool's next round-robin position: 0, 1, 2, … each value handed out once, even concurrently. */
  nextPosition(poolKey: string): Promise<number>;
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
 * A store in this process's memory, for tests and a single worker: positions restart with the process.
 * `loads` stands in for the read model's open leads per rep.
 */
export function memoryRoutingStore(loads: Readonly<Record<string, number>> = {}): RoutingStore {
  const positions = new Map<string, number>();
  const assignments = new Map<string, string>();
  return {
    nextPosition(poolKey) {
      const position = positions.get(poolKey) ?? 0;
      positions.set(poolKey, position + 1);
      return Promise.resolve(position);
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
 * racing, pick the same rep; the round-robin position lives in the store too, so a restart or a second
 * worker continues the rotation instead of starting it again.
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
    const position = leastLoaded ? undefined : await store.nextPosition(poolKeyFor(p, input.lead));
    return routeLead({ policy: p, lead: input.lead, now: input.now, exclude: input.exclude, loads, position });
  }

  async function routeLegacy(input: LegacyAssignOwnerInput): Promise<RoutingDecision> {
    const exclude = new Set(input.exclude);
    const eligible = input.candidates.filter((rep) => !exclude.has(rep));
    const skipped = input.candidates.filter((rep) => exclude.has(rep)).map((rep) => ({ rep, reason: 'breached' as const }));
    if (eligible.length === 0) return { owner: input.fallback, via: 'fallback', poolKey: LEGACY_POOL_KEY, eligible, skipped };
    const position = await store.nextPosition(LEGACY_POOL_KEY);
    return { owner: eligible[position % eligible.length]!, via: 'round_robin', poolKey: LEGACY_POOL_KEY, eligible, skipped };
  }
}
