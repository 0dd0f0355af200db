export interface AssignOwnerInput {
  leadId: string;
  mqlCycle: number;
  /** 1 for the first owner of a stage, 2 after the first breach, … */
  assignment: number;
  stage: 'mql' | 'sal';
  candidates: string[];
  /** Reps who already breached this lead's SLA in this stage. */
  exclude: string[];
  /** Who gets the lead when no candidate is left: never "landing nowhere". */
  fallback: string;
}

/**
 * Round robin over the configured reps. The answer for one (lead, cycle, stage, assignment) is
 * remembered, so an activity retried after a lost response picks the same rep. The position lives in
 * the worker's memory for now: a restart starts the rotation again (durable routing is a policy issue).
 */
export function createRoutingActivities() {
  let position = 0;
  const answered = new Map<string, string>();
  return {
    assignOwner(input: AssignOwnerInput): Promise<string> {
      const key = `${input.leadId}:${input.mqlCycle}:${input.stage}:${input.assignment}`;
      const known = answered.get(key);
      if (known) return Promise.resolve(known);
      const pool = input.candidates.filter((rep) => !input.exclude.includes(rep));
      let owner = input.fallback;
      if (pool.length > 0) {
        owner = pool[position % pool.length]!;
        position = (position + 1) % Number.MAX_SAFE_INTEGER;
      }
      answered.set(key, owner);
      if (answered.size > 10_000) answered.delete(answered.keys().next().value!);
      return Promise.resolve(owner);
    },
  };
}
