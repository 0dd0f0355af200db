import { localDateOf } from './business-calendar';
import type { LeadPolicy, RepPolicy } from './lead-policy';

/**
 * Who gets a lead: pure routing over the policy's reps. Everything that changes between calls (the
 * rep the pool's rotation last gave a lead to, the reps' open loads, who already breached) comes in as
 * data, so the same input always gives the same owner and the answer can be explained rep by rep.
 *
 * Round robin is a rotation through the policy's rep order, not a counter: the next lead goes to the
 * first eligible rep after the one who got the pool's previous lead. A counter taken modulo the
 * eligible list (what this used to be) is unfair whenever that list changes length between calls
 * (out of office, capacity, a breach exclusion): with a, b, c, lead 1 → a, its reassignment without a
 * → c (position 1 of [b, c]), lead 2 → c again (position 2 of [a, b, c]), and b is skipped.
 *
 * Matching rule: a rep who lists no territories (absent or empty) is a generalist and matches every
 * lead; a rep with territories matches only leads whose territory is one of them. A lead whose country
 * lies in no territory (or is unknown) therefore goes to the generalists, and to the manager when there
 * are none: a territory rep never receives a lead nobody can place. Segments work the same way, with
 * the employee count.
 */

export interface RoutingLead {
  /** ISO 3166-1 alpha-2 code, any case. */
  country?: string;
  employeeCount?: number;
}

export type RoutingVia = 'round_robin' | 'least_loaded' | 'fallback';
export type RoutingSkipReason = 'territory' | 'segment' | 'out_of_office' | 'at_capacity' | 'breached';

export interface RouteLeadInput {
  policy: LeadPolicy;
  lead: RoutingLead;
  /** ISO instant; decides who is out of office. */
  now: string;
  /** Reps who breached this lead's SLA in this stage: never given it again. */
  exclude?: readonly string[];
  /** Open leads (MQL + SAL) per rep; a rep absent here owns none. */
  loads?: Readonly<Record<string, number>>;
  /**
   * The rep the pool's rotation last gave a lead to (only round_robin reads it). Unknown, or no longer
   * in the policy: the rotation starts again from the first eligible rep in policy order.
   */
  lastOwner?: string;
}

export interface RoutingDecision {
  owner: string;
  via: RoutingVia;
  /** The pool whose rotation the decision reads and, via round_robin, moves on (see poolKeyFor). */
  poolKey: string;
  /** Reps who could take the lead, in policy order. */
  eligible: string[];
  /** Every other rep, with the first reason that ruled them out. */
  skipped: { rep: string; reason: RoutingSkipReason }[];
}

/** The first territory listing the lead's country (case-insensitive), if any. */
export function leadTerritory(policy: LeadPolicy, country?: string): string | undefined {
  const code = country?.trim().toUpperCase();
  if (!code) return undefined;
  for (const [territory, def] of Object.entries(policy.routing.territories)) {
    if (def.countries.some((c) => c.toUpperCase() === code)) return territory;
  }
  return undefined;
}

/** The first segment whose band (both ends included; no max = open-ended) holds the employee count. */
export function leadSegment(policy: LeadPolicy, employeeCount?: number): string | undefined {
  if (employeeCount === undefined || !Number.isFinite(employeeCount)) return undefined;
  for (const [segment, band] of Object.entries(policy.routing.segments)) {
    if (employeeCount >= band.minEmployees && (band.maxEmployees === undefined || employeeCount <= band.maxEmployees)) {
      return segment;
    }
  }
  return undefined;
}

/** Leads of one territory and segment share a rotation: `territory:emea|segment:enterprise`, `*` for none. */
export function poolKeyFor(policy: LeadPolicy, lead: RoutingLead): string {
  const territory = leadTerritory(policy, lead.country) ?? '*';
  const segment = leadSegment(policy, lead.employeeCount) ?? '*';
  return `territory:${territory}|segment:${segment}`;
}

/**
 * Whether `nowIso` falls on one of the rep's out-of-office dates, read as a local date in the zone of
 * the rep's calendar (UTC when the rep has none), so a Berlin rep's day off starts at Berlin midnight.
 */
export function isOutOfOffice(rep: RepPolicy, policy: LeadPolicy, nowIso: string): boolean {
  if (!rep.outOfOffice?.length) return false;
  const timeZone = (rep.calendar !== undefined ? policy.calendars[rep.calendar]?.timeZone : undefined) ?? 'UTC';
  const today = localDateOf(nowIso, timeZone);
  // YYYY-MM-DD strings order like the dates they name.
  return rep.outOfOffice.some((range) => range.from <= today && today <= range.to);
}

export function routeLead(input: RouteLeadInput): RoutingDecision {
  const { policy, lead, now } = input;
  const exclude = new Set(input.exclude ?? []);
  const loads = input.loads ?? {};
  const territory = leadTerritory(policy, lead.country);
  const segment = leadSegment(policy, lead.employeeCount);
  const poolKey = poolKeyFor(policy, lead);

  const eligible: string[] = [];
  const skipped: RoutingDecision['skipped'] = [];
  for (const rep of policy.routing.reps) {
    const reason = skipReason(rep);
    if (reason) skipped.push({ rep: rep.id, reason });
    else eligible.push(rep.id);
  }

  function skipReason(rep: RepPolicy): RoutingSkipReason | undefined {
    // Pool membership first (who could ever get this lead), then why a member cannot take it now.
    if (rep.territories?.length && !(territory !== undefined && rep.territories.includes(territory))) return 'territory';
    if (rep.segments?.length && !(segment !== undefined && rep.segments.includes(segment))) return 'segment';
    if (exclude.has(rep.id)) return 'breached';
    if (isOutOfOffice(rep, policy, now)) return 'out_of_office';
    if (rep.capacity !== undefined && (loads[rep.id] ?? 0) >= rep.capacity) return 'at_capacity';
    return undefined;
  }

  // Never landing nowhere: the manager takes what no rep can, even a manager listed in `exclude`.
  if (eligible.length === 0) return { owner: policy.routing.manager, via: 'fallback', poolKey, eligible, skipped };

  if (policy.routing.strategy === 'least_loaded') {
    let owner = eligible[0]!;
    for (const rep of eligible) if ((loads[rep] ?? 0) < (loads[owner] ?? 0)) owner = rep;
    return { owner, via: 'least_loaded', poolKey, eligible, skipped };
  }

  const order = policy.routing.reps.map((rep) => rep.id);
  return { owner: nextInRotation(order, eligible, input.lastOwner)!, via: 'round_robin', poolKey, eligible, skipped };
}

/**
 * The round-robin rule, shared by policy routing and the legacy candidates list: the first `eligible`
 * rep after `lastOwner` in `order`, wrapping around (so `lastOwner` itself only when nobody else is
 * eligible); the first eligible rep when `lastOwner` is absent or not in `order`. Walking the full
 * order, not the eligible list, is what keeps it fair: a rep skipped once (away, full, breached) is not
 * also skipped by a shifted index next time, and nobody gets two turns in a row while others wait.
 * Undefined only when `eligible` is empty.
 */
export function nextInRotation(order: readonly string[], eligible: readonly string[], lastOwner?: string): string | undefined {
  const last = lastOwner === undefined ? -1 : order.indexOf(lastOwner);
  if (last < 0) return eligible[0];
  const can = new Set(eligible);
  for (let step = 1; step <= order.length; step++) {
    const rep = order[(last + step) % order.length]!;
    if (can.has(rep)) return rep;
  }
  return eligible[0];
}
