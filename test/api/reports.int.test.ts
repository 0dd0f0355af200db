import { Client, Connection } from '@temporalio/client';
import type { Express } from 'express';
import request from 'supertest';
import { csvField, toCsv } from '../../api/csv';
import {
  CalibrationReportSchema,
  FunnelReportSchema,
  RecyclingReportSchema,
  RejectionsReportSchema,
  SlaReportSchema,
  VelocityReportSchema,
} from '../../api/report-schemas';
import { resolvePeriod } from '../../api/routes/reports.routes';
import type { Db } from '../../db/connection';
import { appendLeadEvents } from '../../db/lead-events.repository';
import * as reports from '../../db/reports.repository';
import type { FillForm } from '../../domain/lead-commands';
import { rejectReasons, type LeadEvent, type RejectReason } from '../../domain/lead-events';
import { defaultLeadPolicy } from '../../domain/lead-policy';
import type { LeadState } from '../../domain/lead-state';
import { bearer, createTestApp, testKeys } from '../support/api-app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { accept, ada, assign, closeLost, closeWon, disqualify, engage, fillForm, LeadDriver, qualify, reject } from '../support/lead-histories';
import { databaseKeyStore, testLeadId } from '../support/encryption';

/*
 * The reports (GET /v1/reports/*) over HTTP, computed by PostgreSQL. A deterministic scenario of leads is
 * driven through the real decide/evolve (LeadDriver) with fixed timestamps across two weeks, two sources
 * (and no source), three reps, and every path: wins, each rejection reason, SLA breaches with
 * reassignment and hand-back, SAL expiry, BANT gaps, lost deals, recycling and re-qualifying. The
 * events go straight into the event store (no Temporal). Every report is compared with the answer
 * computed here, in plain JS, from the generated events and the scenario's definition: never with the
 * SQL under test.
 */

// ---------------------------------------------------------------------------------------------------------
// The scenario

const BASE = '2025-03-03T00:00:00.000Z'; // a Monday
const P = { from: '2025-03-03', to: '2025-03-16' }; // the two weeks every scenario lead is created in
const WEEK2 = { from: '2025-03-10', to: '2025-03-16' };
const WIDE = { from: '2025-03-01', to: '2025-06-30' }; // also the re-qualifications a month later
const PERIODS = [P, WEEK2, WIDE];

/** Three reps; the third name needs CSV quoting. */
const REPS = ['rep-ada', 'rep-grace', 'rep-linus, "lin"'] as const;

type Channel = 'web' | 'paid_search' | null;
type Heat = 'warm' | 'hot' | 'blazing';
type FitProfile = 'fit40' | 'fit70' | 'fit80' | 'low';

const { email: _adaEmail, ...adaProfile } = ada;
const profiles: Record<FitProfile, Omit<FillForm['profile'], 'email'>> = {
  // director 20 + 50-199 employees 10 + DE 10 (retail is no target industry)
  fit40: { ...adaProfile, seniority: 'director', employeeCount: 60, industry: 'retail', country: 'DE' },
  fit70: adaProfile, // vp 25 + 200+ employees 20 + software 15 + GB 10
  fit80: { ...adaProfile, seniority: 'c_level', employeeCount: 1200 }, // 30 + 25 + 15 + 10
  low: { firstName: 'Sam', seniority: 'student', company: 'Uni' },
};

/** Engagement sent at once to make the MQL: 30, 50 and 70 points (bands 30-44, 45-59, 60+). */
const heats: Record<Heat, string[]> = {
  warm: ['pricing_page_view', 'pricing_page_view', 'pricing_page_view'],
  hot: ['pricing_page_view', 'pricing_page_view', 'pricing_page_view', 'webinar_attended', 'content_download'],
  blazing: [
    'pricing_page_view',
    'pricing_page_view',
    'pricing_page_view',
    'webinar_attended',
    'webinar_attended',
    'content_download',
    'content_download',
  ],
};

interface Ctx {
  /** The assigned rep, the next one (reassignment) and the one after. */
  rep: string;
  other: string;
  third: string;
  /** The lead's number, to vary the waits. */
  n: number;
  heat: Heat;
  email: string;
}

const toMql = (d: LeadDriver, c: Ctx) => {
  d.wait(1 + (c.n % 4)).run(engage(d.now, ...heats[c.heat]));
  if (d.state.stage !== 'mql') throw new Error(`${c.email} did not become an MQL`);
  return d;
};
const assigned = (d: LeadDriver, c: Ctx) => toMql(d, c).run(assign(c.rep));
const toSal = (d: LeadDriver, c: Ctx) => assigned(d, c).wait(2 + (c.n % 5)).run(accept(c.rep));
const toSql = (d: LeadDriver, c: Ctx) => toSal(d, c).wait(20 + (c.n % 3)).run(qualify({}, c.rep));
/** After a recycle: past the 30-day cool-off, fresh interest, MQL again. */
const reMql = (d: LeadDriver, c: Ctx) => {
  d.wait(31 * 24 + (c.n % 3)).run(engage(d.now, ...heats.warm));
  if (d.state.stage !== 'mql') throw new Error(`${c.email} did not re-qualify`);
  return d;
};

const paths = {
  inquiry: (d: LeadDriver) => d,
  disqualifiedInquiry: (d: LeadDriver) => d.wait(5).run(disqualify('spam')),
  mqlOpen: (d: LeadDriver, c: Ctx) => assigned(d, c),
  salOpen: (d: LeadDriver, c: Ctx) => toSal(d, c),
  won: (d: LeadDriver, c: Ctx) => toSql(d, c).wait(48 + c.n).run(closeWon(c.rep)),
  /** A demo request from a good fit: captured and an MQL in one decision (0 h in inquiry). */
  handRaiserWon: (d: LeadDriver, c: Ctx) =>
    d.run(assign(c.rep)).wait(2).run(accept(c.rep)).wait(2).run(qualify({}, c.rep)).wait(48).run(closeWon(c.rep)),
  ...(Object.fromEntries(
    rejectReasons.map((reason) => [`reject:${reason}`, (d: LeadDriver, c: Ctx) => assigned(d, c).wait(1 + (c.n % 6)).run(reject(reason, c.rep))]),
  ) as Record<`reject:${RejectReason}`, (d: LeadDriver, c: Ctx) => LeadDriver>),
  /** Breached at 24 h, reassigned, accepted by the second rep, won. */
  breachReassignWon: (d: LeadDriver, c: Ctx) =>
    assigned(d, c)
      .fireTimer() // reminder at 18 h
      .fireTimer() // breach at 24 h
      .run(assign(c.other))
      .wait(2)
      .run(accept(c.other))
      .wait(3)
      .run(qualify({}, c.other))
      .wait(24)
      .run(closeWon(c.other)),
  breachReassignReject: (d: LeadDriver, c: Ctx) =>
    assigned(d, c).fireTimer().fireTimer().run(assign(c.other)).wait(4).run(reject('not_a_fit', c.other)),
  /** Breached, not reassigned yet, and the rep who breached accepts after all: late for that rep too. */
  breachLateAccept: (d: LeadDriver, c: Ctx) => assigned(d, c).fireTimer().fireTimer().wait(1).run(accept(c.rep)),
  /** A rep who was not assigned takes the lead within the window; then an open SQL. */
  acceptedByOther: (d: LeadDriver, c: Ctx) => assigned(d, c).wait(3).run(accept(c.other)).wait(10).run(qualify({}, c.other)),
  /** Two MQL breaches: handed back to marketing (sla_expired from mql). */
  mqlSlaExpired: (d: LeadDriver, c: Ctx) => assigned(d, c).fireTimer().fireTimer().run(assign(c.other)).fireTimer().fireTimer(),
  /** Two SAL breaches (a SAL reassignment, not an MQL one): sla_expired from sal. */
  salSlaExpired: (d: LeadDriver, c: Ctx) => toSal(d, c).fireTimer().fireTimer().run(assign(c.third)).fireTimer().fireTimer(),
  bantGaps: (d: LeadDriver, c: Ctx) => toSal(d, c).wait(3).run(qualify({ budget: false }, c.rep)),
  lostNotNow: (d: LeadDriver, c: Ctx) => toSql(d, c).wait(72).run(closeLost('not_now', c.rep)),
  lostCompetitor: (d: LeadDriver, c: Ctx) => toSql(d, c).wait(72).run(closeLost('chose_competitor', c.rep)),
  /** Rejected not_ready, recycled, MQL again after the cool-off (cycle 2), won with another rep. */
  requalifyWon: (d: LeadDriver, c: Ctx) =>
    reMql(assigned(d, c).wait(2).run(reject('not_ready', c.rep)), c)
      .run(assign(c.other))
      .wait(1)
      .run(accept(c.other))
      .wait(2)
      .run(qualify({}, c.other))
      .wait(24)
      .run(closeWon(c.other)),
  /** Bounced for bad contact data, repaired by a form, MQL again: an open MQL of cycle 2. */
  badContactRepaired: (d: LeadDriver, c: Ctx) =>
    reMql(
      assigned(d, c)
        .wait(1)
        .run(reject('bad_contact_data', c.rep))
        .wait(24)
        .run(fillForm({ email: c.email, phone: '+44 20 7946 1234' })),
      c,
    ).run(assign(c.other)),
  /** Recycled for BANT gaps, MQL again, then rejected (bad_timing) a month after the scenario weeks. */
  recycleTwice: (d: LeadDriver, c: Ctx) =>
    reMql(toSal(d, c).wait(3).run(qualify({ need: false }, c.rep)), c)
      .run(assign(c.other))
      .wait(5)
      .run(reject('bad_timing', c.other)),
  disqualifySal: (d: LeadDriver, c: Ctx) => toSal(d, c).wait(5).run(disqualify('fake_company', c.rep)),
};
type PathName = keyof typeof paths;

interface Spec {
  path: PathName;
  channel: Channel;
  day: number;
  rep: number;
  fit: FitProfile;
  heat: Heat;
  form?: string;
}

const s = (path: PathName, channel: Channel, day: number, rep: number, fit: FitProfile = 'fit70', heat: Heat = 'warm', form?: string): Spec => ({
  path,
  channel,
  day,
  rep,
  fit,
  heat,
  ...(form ? { form } : {}),
});

const specs: Spec[] = [
  s('won', 'web', 0, 0),
  s('won', 'paid_search', 1, 1, 'fit80', 'hot'),
  s('won', 'web', 8, 2, 'fit70', 'blazing'),
  s('handRaiserWon', 'paid_search', 2, 0, 'fit80', 'warm', 'demo_request'),
  s('handRaiserWon', 'web', 9, 1, 'fit70', 'warm', 'demo_request'),
  s('reject:not_ready', 'web', 0, 1),
  s('reject:no_budget', 'paid_search', 1, 2, 'fit40'),
  s('reject:bad_timing', 'web', 3, 0, 'fit70', 'hot'),
  s('reject:bad_contact_data', 'paid_search', 4, 1),
  s('reject:not_a_fit', 'web', 5, 2, 'fit40'),
  s('reject:competitor', 'paid_search', 8, 0),
  s('reject:spam', null, 9, 1, 'fit40'),
  s('reject:duplicate', 'web', 10, 2, 'fit80', 'blazing'),
  s('reject:not_ready', 'paid_search', 11, 0, 'fit40', 'hot'),
  s('breachReassignWon', 'web', 2, 0),
  s('breachReassignReject', 'paid_search', 9, 1, 'fit40'),
  s('breachLateAccept', 'web', 3, 2),
  s('acceptedByOther', 'paid_search', 10, 0, 'fit80', 'hot'),
  s('mqlSlaExpired', 'web', 4, 1),
  s('mqlSlaExpired', 'paid_search', 11, 2, 'fit40'),
  s('salSlaExpired', 'web', 5, 0, 'fit70', 'hot'),
  s('bantGaps', 'paid_search', 6, 1),
  s('lostNotNow', 'web', 7, 2, 'fit80'),
  s('lostCompetitor', 'paid_search', 12, 0, 'fit70', 'hot'),
  s('requalifyWon', 'web', 1, 1),
  s('requalifyWon', 'paid_search', 8, 2, 'fit80'),
  s('badContactRepaired', 'web', 6, 0),
  s('recycleTwice', 'paid_search', 3, 1),
  s('disqualifySal', 'web', 12, 2, 'fit40'),
  s('mqlOpen', 'paid_search', 13, 0),
  s('salOpen', 'web', 13, 1, 'fit80', 'hot'),
  s('inquiry', 'web', 0, 0),
  s('inquiry', 'paid_search', 7, 0, 'low'),
  s('inquiry', null, 12, 0),
  s('disqualifiedInquiry', 'web', 5, 0, 'low'),
  s('disqualifiedInquiry', 'paid_search', 10, 0, 'low'),
];

interface SeededLead {
  leadId: string;
  channel: Channel;
  path: PathName | 'live';
  events: LeadEvent[];
  batches: LeadEvent[][];
  state: LeadState;
}

function hoursAfter(iso: string, hours: number): string {
  return new Date(Date.parse(iso) + hours * 3_600_000).toISOString();
}

function drive(spec: Spec, n: number): SeededLead {
  const email = `${spec.path.replace(/[^a-z]/gi, '-').toLowerCase()}-${n}@reports.example`;
  const d = new LeadDriver(testLeadId(email));
  d.now = hoursAfter(BASE, spec.day * 24 + 8 + (n % 9));
  const ctx: Ctx = { rep: REPS[spec.rep]!, other: REPS[(spec.rep + 1) % 3]!, third: REPS[(spec.rep + 2) % 3]!, n, heat: spec.heat, email };
  d.run(fillForm({ ...profiles[spec.fit], email }, spec.form ?? 'profile_update', spec.channel ? { channel: spec.channel, campaign: 'spring' } : undefined));
  paths[spec.path](d, ctx);
  return { leadId: d.leadId, channel: spec.channel, path: spec.path, events: d.events, batches: d.batches, state: d.state };
}

/**
 * Leads whose SLA runs around the real clock (the open-SLA lists are "now"): one MQL due in 22 h, one SAL
 * due in 96 h, and one MQL 6 h past due whose breach has not been recorded.
 */
function liveLeads(now: number): SeededLead[] {
  const at = (hoursAgo: number) => new Date(Math.floor(now / 60_000) * 60_000 - hoursAgo * 3_600_000).toISOString();
  const make = (name: string, startHoursAgo: number, steps: (d: LeadDriver) => void): SeededLead => {
    const email = `${name}@reports.example`;
    const d = new LeadDriver(testLeadId(email));
    d.now = at(startHoursAgo);
    d.run(fillForm({ ...profiles.fit70, email }, 'profile_update', { channel: 'web' }));
    d.wait(1).run(engage(d.now, ...heats.warm));
    steps(d);
    return { leadId: d.leadId, channel: 'web', path: 'live', events: d.events, batches: d.batches, state: d.state };
  };
  return [
    make('live-mql', 3, (d) => d.run(assign('rep-ada'))),
    make('live-sal', 30, (d) => d.run(assign('rep-grace')).wait(5).run(accept('rep-grace'))),
    make('live-past-due', 40, (d) => d.wait(9).run(assign('rep-ada'))),
  ];
}

async function seed(db: Db, leads: readonly SeededLead[]): Promise<void> {
  for (const lead of leads) {
    for (const events of lead.batches) await appendLeadEvents(db, databaseKeyStore(db).sealer, { leadId: lead.leadId, events, workflowRunId: `run-${lead.leadId}` });
  }
}

// ---------------------------------------------------------------------------------------------------------
// The expected answers, in plain JS over the generated events

type Period = { from: string; to: string };
type Unit = 'week' | 'month';

const DAY_MS = 86_400_000;
const startOf = (p: Period) => Date.parse(`${p.from}T00:00:00.000Z`);
const endOf = (p: Period) => Date.parse(`${p.to}T00:00:00.000Z`) + DAY_MS;
const inPeriod = (iso: string, p: Period) => Date.parse(iso) >= startOf(p) && Date.parse(iso) < endOf(p);
const createdAt = (l: SeededLead) => l.events[0]!.occurredAt;
const createdIn = (leads: readonly SeededLead[], p: Period) => leads.filter((l) => inPeriod(createdAt(l), p));
const hoursBetween = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 3_600_000;
const has = (l: SeededLead, type: LeadEvent['type']) => l.events.some((e) => e.type === type);

/** Decimal rounding, half away from zero, like PostgreSQL's round(numeric) of a double's 15 digits. */
function round(x: number, digits: number): number {
  const v = Number(x.toPrecision(15));
  if (String(v).includes('e')) return Math.round(v * 10 ** digits) / 10 ** digits;
  return Number(`${Math.round(Number(`${v}e${digits}`))}e-${digits}`);
}
const ratio = (a: number, b: number) => (b === 0 ? null : round(a / b, 4));
/** percentile_cont: linear interpolation between the closest ranks. */
function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const v = [...values].sort((a, b) => a - b);
  const pos = p * (v.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return round(v[lo]! + (v[hi]! - v[lo]!) * (pos - lo), 2);
}
const compare = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);
const countBy = <T>(items: readonly T[], key: (t: T) => string) =>
  items.reduce((m, t) => m.set(key(t), (m.get(key(t)) ?? 0) + 1), new Map<string, number>());

function bucketOf(iso: string, unit: Unit): string {
  if (unit === 'month') return `${iso.slice(0, 7)}-01`;
  const d = new Date(`${iso.slice(0, 10)}T00:00:00.000Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}
function bucketsOf(p: Period, unit: Unit): string[] {
  const out: string[] = [];
  const last = bucketOf(p.to, unit);
  for (let b = bucketOf(p.from, unit); b <= last; ) {
    out.push(b);
    const d = new Date(`${b}T00:00:00.000Z`);
    if (unit === 'week') d.setUTCDate(d.getUTCDate() + 7);
    else d.setUTCMonth(d.getUTCMonth() + 1);
    b = d.toISOString().slice(0, 10);
  }
  return out;
}

/** MQL cycles: each starts with a LeadBecameMql and runs to the next one. */
function cyclesOf(events: readonly LeadEvent[]): LeadEvent[][] {
  const cycles: LeadEvent[][] = [];
  for (const e of events) {
    if (e.type === 'LeadBecameMql') cycles.push([]);
    cycles[cycles.length - 1]?.push(e);
  }
  return cycles;
}

const funnelStageEvents = { inquiry: 'LeadCaptured', mql: 'LeadBecameMql', sal: 'LeadAccepted', sql: 'LeadQualified', won: 'LeadWon' } as const;

function reachedOf(leads: readonly SeededLead[]) {
  const n = (stage: keyof typeof funnelStageEvents) => leads.filter((l) => has(l, funnelStageEvents[stage])).length;
  return { inquiry: n('inquiry'), mql: n('mql'), sal: n('sal'), sql: n('sql'), won: n('won') };
}
function conversionOf(r: ReturnType<typeof reachedOf>) {
  return { inquiry_to_mql: ratio(r.mql, r.inquiry), mql_to_sal: ratio(r.sal, r.mql), sal_to_sql: ratio(r.sql, r.sal), sql_to_won: ratio(r.won, r.sql) };
}

function expectedFunnel(all: readonly SeededLead[], period: Period, cohort: Unit) {
  const leads = createdIn(all, period);
  const reached = reachedOf(leads);
  const channels = [...new Set(leads.map((l) => l.channel))];
  return {
    period,
    stages: ['inquiry', 'mql', 'sal', 'sql', 'won'],
    totals: {
      reached,
      disqualified: leads.filter((l) => has(l, 'LeadDisqualified')).length,
      recycled: leads.filter((l) => has(l, 'LeadRecycled')).length,
      conversion: conversionOf(reached),
    },
    cohorts: bucketsOf(period, cohort).map((b) => {
      const r = reachedOf(leads.filter((l) => bucketOf(createdAt(l), cohort) === b));
      return { cohort: b, reached: r, conversion: conversionOf(r) };
    }),
    bySource: channels
      .map((channel) => {
        const r = reachedOf(leads.filter((l) => l.channel === channel));
        return { channel, reached: r, conversion: conversionOf(r) };
      })
      .sort((a, b) => b.reached.inquiry - a.reached.inquiry || compare(a.channel, b.channel)),
  };
}

function expectedSla(all: readonly SeededLead[], period: Period) {
  const leads = createdIn(all, period);
  let decided = 0;
  let withinSla = 0;
  let breaches = 0;
  let reassignments = 0;
  let handedBack = 0;
  const hours: number[] = [];
  const reps = new Map<string, { assigned: number; accepted: number; rejected: number; breaches: number; within: boolean[]; hours: number[] }>();
  const rep = (name: string) => {
    if (!reps.has(name)) reps.set(name, { assigned: 0, accepted: 0, rejected: 0, breaches: 0, within: [], hours: [] });
    return reps.get(name)!;
  };
  for (const l of leads) {
    for (const e of l.events) {
      if (e.type === 'SlaBreached' && e.data.slaKind === 'mql') {
        breaches++;
        rep(e.data.owner).breaches++;
      }
      if (e.type === 'LeadAssigned' && e.data.slaKind === 'mql') {
        rep(e.data.owner).assigned++;
        if (e.data.assignment > 1) reassignments++;
      }
      if (e.type === 'LeadRecycled' && e.data.reason === 'sla_expired' && e.data.from === 'mql') handedBack++;
    }
    for (const cycle of cyclesOf(l.events)) {
      const mql = cycle[0]!;
      const decision = cycle.find((e) => e.type === 'LeadAccepted' || e.type === 'LeadRejected');
      if (!decision || (decision.type !== 'LeadAccepted' && decision.type !== 'LeadRejected')) continue;
      const before = cycle.filter((e) => e.seq < decision.seq);
      const breachSeqs = before.filter((e) => e.type === 'SlaBreached' && e.data.slaKind === 'mql').map((e) => e.seq);
      decided++;
      if (breachSeqs.length === 0) withinSla++;
      hours.push(hoursBetween(mql.occurredAt, decision.occurredAt));
      const r = rep(decision.data.rep);
      if (decision.type === 'LeadAccepted') r.accepted++;
      else r.rejected++;
      const own = before.filter((e) => e.type === 'LeadAssigned' && e.data.slaKind === 'mql' && e.data.owner === decision.data.rep).at(-1);
      const start = own ?? mql;
      r.within.push(!breachSeqs.some((seq) => seq > start.seq));
      r.hours.push(hoursBetween(start.occurredAt, decision.occurredAt));
    }
  }
  return {
    period,
    mql: {
      decided,
      withinSla,
      withinSlaShare: ratio(withinSla, decided),
      breaches,
      reassignments,
      handedBack,
      timeToFirstDecisionHours: { median: percentile(hours, 0.5), p90: percentile(hours, 0.9) },
    },
    byRep: [...reps.entries()]
      .sort(([a], [b]) => compare(a, b))
      .map(([name, r]) => ({
        rep: name,
        assigned: r.assigned,
        accepted: r.accepted,
        rejected: r.rejected,
        breaches: r.breaches,
        withinSlaShare: ratio(r.within.filter(Boolean).length, r.within.length),
        medianHoursToDecision: percentile(r.hours, 0.5),
      })),
  };
}

/** The running SLAs from each lead's final state (the driver's fold), as of `now`. */
function expectedOpenSlas(all: readonly SeededLead[], now: number) {
  const open = all
    .filter((l) => (l.state.stage === 'mql' || l.state.stage === 'sal') && l.state.sla)
    .map((l) => ({ leadId: l.leadId, stage: l.state.stage, owner: l.state.owner ?? null, slaDueAt: l.state.sla!.dueAt }))
    .sort((a, b) => Date.parse(a.slaDueAt) - Date.parse(b.slaDueAt) || compare(a.leadId, b.leadId));
  return {
    openPastDue: open.filter((o) => Date.parse(o.slaDueAt) <= now).map((o) => ({ ...o, overdueHours: (now - Date.parse(o.slaDueAt)) / 3_600_000 })),
    openBySla: open.filter((o) => Date.parse(o.slaDueAt) > now).map((o) => ({ ...o, hoursLeft: (Date.parse(o.slaDueAt) - now) / 3_600_000 })),
  };
}

const stageChanges: Partial<Record<LeadEvent['type'], string>> = {
  LeadCaptured: 'inquiry',
  LeadBecameMql: 'mql',
  LeadAccepted: 'sal',
  LeadQualified: 'sql',
  LeadWon: 'won',
  LeadDisqualified: 'disqualified',
  LeadRecycled: 'recycled',
};

function expectedVelocity(all: readonly SeededLead[], period: Period) {
  const stays: { stage: string; hours: number }[] = [];
  for (const l of all) {
    const changes = l.events.filter((e) => stageChanges[e.type] !== undefined);
    for (let i = 0; i + 1 < changes.length; i++) {
      if (inPeriod(changes[i + 1]!.occurredAt, period)) {
        stays.push({ stage: stageChanges[changes[i]!.type]!, hours: hoursBetween(changes[i]!.occurredAt, changes[i + 1]!.occurredAt) });
      }
    }
  }
  return {
    period,
    stages: (['inquiry', 'mql', 'sal', 'sql'] as const).map((stage) => {
      const hours = stays.filter((st) => st.stage === stage).map((st) => st.hours);
      return { stage, leads: hours.length, medianHours: percentile(hours, 0.5), p90Hours: percentile(hours, 0.9) };
    }),
  };
}

function expectedRejections(all: readonly SeededLead[], period: Period, unit: Unit) {
  const rejections = all.flatMap((l) =>
    l.events.flatMap((e) =>
      e.type === 'LeadRejected' && inPeriod(e.occurredAt, period)
        ? [{ reason: e.data.reason, rep: e.data.rep, channel: l.channel, bucket: bucketOf(e.occurredAt, unit) }]
        : [],
    ),
  );
  const pairs = <K extends string>(key: (r: (typeof rejections)[number]) => string | null, name: K) =>
    [...countBy(rejections, (r) => JSON.stringify([key(r), r.reason])).entries()]
      .map(([k, count]) => {
        const [value, reason] = JSON.parse(k) as [string | null, string];
        return { [name]: value, reason, count } as Record<K, string | null> & { reason: string; count: number };
      })
      .sort((a, b) => compare(a[name], b[name]) || compare(a.reason, b.reason));
  return {
    period,
    reasons: [...countBy(rejections, (r) => r.reason).entries()]
      .map(([reason, count]) => ({ reason, count, share: ratio(count, rejections.length) }))
      .sort((a, b) => b.count - a.count || compare(a.reason, b.reason)),
    overTime: pairs((r) => r.bucket, 'bucket'),
    bySource: pairs((r) => r.channel, 'channel'),
    byRep: pairs((r) => r.rep, 'rep'),
  };
}

const fitBandOf = (x: number) => (x < 20 ? '<20' : x < 40 ? '20-39' : x < 60 ? '40-59' : x < 80 ? '60-79' : '80+');
const engagementBandOf = (x: number) => (x < 15 ? '<15' : x < 30 ? '15-29' : x < 45 ? '30-44' : x < 60 ? '45-59' : '60+');

function mqlsOf(all: readonly SeededLead[], period: Period) {
  return createdIn(all, period).flatMap((l) =>
    cyclesOf(l.events).map((cycle) => {
      const mql = cycle[0]!;
      if (mql.type !== 'LeadBecameMql') throw new Error('a cycle starts with its MQL');
      return {
        fit: mql.data.fitScore,
        engagement: mql.data.engagementScore,
        accepted: cycle.some((e) => e.type === 'LeadAccepted'),
        won: has(l, 'LeadWon'),
      };
    }),
  );
}

function expectedCalibration(all: readonly SeededLead[], period: Period) {
  const mqls = mqlsOf(all, period);
  const fitBands = ['<20', '20-39', '40-59', '60-79', '80+'];
  const engagementBands = ['<15', '15-29', '30-44', '45-59', '60+'];
  const acceptedMqls = mqls.filter((m) => m.accepted);
  const quartiles = (values: number[]) => ({ p25: percentile(values, 0.25), median: percentile(values, 0.5), p75: percentile(values, 0.75) });
  return {
    period,
    fitBands,
    engagementBands,
    cells: fitBands.flatMap((fitBand) =>
      engagementBands.map((engagementBand) => {
        const cell = mqls.filter((m) => fitBandOf(m.fit) === fitBand && engagementBandOf(m.engagement) === engagementBand);
        const accepted = cell.filter((m) => m.accepted).length;
        const won = cell.filter((m) => m.won).length;
        return { fitBand, engagementBand, mqls: cell.length, accepted, won, acceptanceRate: ratio(accepted, cell.length), wonRate: ratio(won, cell.length) };
      }),
    ),
    accepted: { fit: quartiles(acceptedMqls.map((m) => m.fit)), engagement: quartiles(acceptedMqls.map((m) => m.engagement)) },
    thresholds: { fit: 40, engagement: 30 },
  };
}

function recyclesOf(all: readonly SeededLead[], period: Period) {
  return createdIn(all, period).flatMap((l) =>
    l.events.flatMap((e) => {
      if (e.type !== 'LeadRecycled') return [];
      const next = l.events.find((x) => x.seq > e.seq && x.type === 'LeadBecameMql');
      const rawDays = next ? (Date.parse(next.occurredAt) - Date.parse(e.occurredAt)) / DAY_MS : null;
      return [{ leadId: l.leadId, seq: e.seq, reason: e.data.reason, recycledAt: e.occurredAt, requalifiedAt: next?.occurredAt ?? null, rawDays }];
    }),
  );
}

function expectedRecycling(all: readonly SeededLead[], period: Period) {
  const rows = recyclesOf(all, period);
  const requalified = rows.filter((r) => r.requalifiedAt !== null);
  const reasons = [...new Set(rows.map((r) => r.reason))];
  return {
    period,
    recycled: rows.length,
    requalified: requalified.length,
    requalifiedShare: ratio(requalified.length, rows.length),
    daysToRequalify: { median: percentile(requalified.map((r) => r.rawDays!), 0.5), p90: percentile(requalified.map((r) => r.rawDays!), 0.9) },
    byReason: reasons
      .map((reason) => ({
        reason,
        recycled: rows.filter((r) => r.reason === reason).length,
        requalified: requalified.filter((r) => r.reason === reason).length,
      }))
      .sort((a, b) => b.recycled - a.recycled || compare(a.reason, b.reason)),
    leads: [...rows]
      .sort((a, b) => compare(b.recycledAt, a.recycledAt) || compare(a.leadId, b.leadId) || b.seq - a.seq)
      .slice(0, 200)
      .map((r) => ({ leadId: r.leadId, reason: r.reason, recycledAt: r.recycledAt, requalifiedAt: r.requalifiedAt, days: r.rawDays === null ? null : round(r.rawDays, 2) })),
  };
}

// ---------------------------------------------------------------------------------------------------------
// The suite

let pg: TestDatabase;
let app: Express;
let scenario: SeededLead[];
let live: SeededLead[];
let all: SeededLead[];
/** createApp needs a Temporal client; the reports never use it, so it points nowhere. */
const nowhere = Connection.lazy({ address: '127.0.0.1:1' });
const read = bearer(testKeys.read);
const get = (path: string) => request(app).get(path).set(read);
const qs = (p: Period, extra = '') => `from=${p.from}&to=${p.to}${extra}`;

beforeAll(async () => {
  scenario = specs.map((spec, n) => drive(spec, n));
  live = liveLeads(Date.now());
  all = [...scenario, ...live];
  pg = await createTestDatabase('postgres');
  await seed(pg.db, all);
  app = createTestApp({ client: new Client({ connection: nowhere }), db: pg.db, dataKeys: databaseKeyStore(pg.db).keys });
});
afterAll(async () => {
  await pg?.drop();
  await nowhere.close();
});

const countPaths = (...names: PathName[]) => specs.filter((sp) => names.includes(sp.path)).length;

test('the scenario is what it says: every path, both sources and no source, three reps, two weeks', () => {
  expect(scenario).toHaveLength(specs.length);
  expect(new Set(specs.map((sp) => sp.path)).size).toBe(Object.keys(paths).length);
  expect(new Set(specs.map((sp) => sp.channel))).toEqual(new Set(['web', 'paid_search', null]));
  expect(createdIn(scenario, P)).toHaveLength(scenario.length);
  const stageOf = (path: PathName) => scenario.filter((l) => l.path === path).map((l) => l.state.stage);
  expect(stageOf('won')).toEqual(['won', 'won', 'won']);
  expect(stageOf('requalifyWon')).toEqual(['won', 'won']);
  expect(stageOf('mqlSlaExpired')).toEqual(['recycled', 'recycled']);
  expect(stageOf('badContactRepaired')).toEqual(['mql']);
  expect(stageOf('recycleTwice')).toEqual(['recycled']);
  const owners = new Set(scenario.flatMap((l) => l.events.flatMap((e) => (e.type === 'LeadAssigned' ? [e.data.owner] : []))));
  expect(owners).toEqual(new Set(REPS));
});

describe('GET /v1/reports/funnel', () => {
  test.each(PERIODS)('matches the scenario for %j, by week and by month', async (period) => {
    for (const cohort of ['week', 'month'] as const) {
      const res = await get(`/v1/reports/funnel?${qs(period, `&cohort=${cohort}`)}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(expectedFunnel(all, period, cohort));
      FunnelReportSchema.parse(res.body);
    }
  });

  test('the totals, counted from the scenario definition', async () => {
    const { body } = await get(`/v1/reports/funnel?${qs(P)}`);
    const won = countPaths('won', 'handRaiserWon', 'breachReassignWon', 'requalifyWon');
    const neverMql = countPaths('inquiry', 'disqualifiedInquiry');
    expect(body.totals.reached).toMatchObject({ inquiry: specs.length, mql: specs.length - neverMql, won });
    expect(body.totals.conversion.inquiry_to_mql).toBe(round((specs.length - neverMql) / specs.length, 4));
    expect(body.cohorts.map((c: { cohort: string }) => c.cohort)).toEqual(['2025-03-03', '2025-03-10']);
    expect(body.cohorts[0].reached.inquiry + body.cohorts[1].reached.inquiry).toBe(specs.length);
    expect(body.bySource.map((r: { channel: string | null }) => r.channel)).toEqual(['web', 'paid_search', null]);
  });

  test('empty weeks are listed with zeros and null conversions; the default period is the last 90 days', async () => {
    const { body } = await get('/v1/reports/funnel?from=2025-02-17&to=2025-03-02');
    expect(body.cohorts).toEqual(
      ['2025-02-17', '2025-02-24'].map((cohort) => ({
        cohort,
        reached: { inquiry: 0, mql: 0, sal: 0, sql: 0, won: 0 },
        conversion: { inquiry_to_mql: null, mql_to_sal: null, sal_to_sql: null, sql_to_won: null },
      })),
    );
    const before = resolvePeriod({});
    const res = await get('/v1/reports/funnel');
    expect(res.status).toBe(200);
    expect([before.to, resolvePeriod({}).to]).toContain(res.body.period.to);
    expect(res.body).toEqual(expectedFunnel(all, res.body.period, 'week'));
    expect(res.body.totals.reached).toEqual({ inquiry: live.length, mql: live.length, sal: 1, sql: 0, won: 0 });
    expect(res.body.cohorts.length).toBeGreaterThanOrEqual(13);
  });
});

describe('GET /v1/reports/sla', () => {
  test.each(PERIODS)('matches the scenario for %j', async (period) => {
    const before = Date.now();
    const res = await get(`/v1/reports/sla?${qs(period)}`);
    const after = Date.now();
    expect(res.status).toBe(200);
    SlaReportSchema.parse(res.body);
    const { openPastDue, openBySla, ...rest } = res.body;
    expect(rest).toEqual(expectedSla(all, period));

    // The open lists are as of the request: the hours are compared within the request's duration.
    const expected = expectedOpenSlas(all, before);
    const slack = (after - before) / 3_600_000 + 0.01;
    const strip = ({ overdueHours: _o, hoursLeft: _h, ...row }: Record<string, unknown>) => row;
    expect(openPastDue.map(strip)).toEqual(expected.openPastDue.map(strip));
    expect(openBySla.map(strip)).toEqual(expected.openBySla.map(strip));
    openPastDue.forEach((row: { overdueHours: number }, i: number) => {
      expect(Math.abs(row.overdueHours - expected.openPastDue[i]!.overdueHours)).toBeLessThanOrEqual(slack);
    });
    openBySla.forEach((row: { hoursLeft: number }, i: number) => {
      expect(Math.abs(row.hoursLeft - expected.openBySla[i]!.hoursLeft)).toBeLessThanOrEqual(slack);
    });
  });

  test('the counts, from the scenario definition', async () => {
    const { body } = await get(`/v1/reports/sla?${qs(P)}`);
    // Breaches of the MQL SLA: one per reassignment path and the late accept, two per hand-back.
    expect(body.mql.breaches).toBe(countPaths('breachReassignWon', 'breachReassignReject', 'breachLateAccept') + 2 * countPaths('mqlSlaExpired'));
    // The SAL reassignment of salSlaExpired is not an MQL reassignment.
    expect(body.mql.reassignments).toBe(countPaths('breachReassignWon', 'breachReassignReject', 'mqlSlaExpired'));
    expect(body.mql.handedBack).toBe(countPaths('mqlSlaExpired'));
    // Decided late: after a breach of the cycle.
    expect(body.mql.decided - body.mql.withinSla).toBe(countPaths('breachReassignWon', 'breachReassignReject', 'breachLateAccept'));
    expect(body.byRep.map((r: { rep: string }) => r.rep)).toEqual([...REPS]);

    // The open lists: the live leads around now, and the scenario's open MQLs and SALs long past due.
    expect(body.openBySla.map((r: { leadId: string }) => r.leadId)).toEqual([live[0]!.leadId, live[1]!.leadId]);
    expect(body.openBySla[0]).toMatchObject({ stage: 'mql', owner: 'rep-ada' });
    expect(body.openBySla[0].hoursLeft).toBeGreaterThan(21.9);
    expect(body.openBySla[0].hoursLeft).toBeLessThanOrEqual(22);
    expect(body.openBySla[1]).toMatchObject({ stage: 'sal', owner: 'rep-grace' });
    const lastPastDue = body.openPastDue[body.openPastDue.length - 1];
    expect(lastPastDue.leadId).toBe(live[2]!.leadId);
    expect(lastPastDue.overdueHours).toBeGreaterThanOrEqual(6);
    expect(lastPastDue.overdueHours).toBeLessThan(6.1);
    expect(body.openPastDue).toHaveLength(1 + countPaths('mqlOpen', 'salOpen', 'breachLateAccept', 'badContactRepaired'));
  });

  test("a rep's window starts at their own assignment", async () => {
    const { body } = await get(`/v1/reports/sla?${qs(WEEK2)}`);
    // Week 2: breachReassignReject (rep-grace breached, rep-linus rejected 4 h after his assignment).
    const linus = body.byRep.find((r: { rep: string }) => r.rep === REPS[2]);
    expect(linus.rejected).toBeGreaterThanOrEqual(1);
    expect(linus.withinSlaShare).toBe(1);
    // Week 1: breachLateAccept (rep-linus breached, then accepted the lead himself): late for him.
    const week1 = (await get('/v1/reports/sla?from=2025-03-03&to=2025-03-09')).body;
    const linus1 = week1.byRep.find((r: { rep: string }) => r.rep === REPS[2]);
    const decisions = linus1.accepted + linus1.rejected;
    expect(linus1.withinSlaShare).toBe(round((decisions - 1) / decisions, 4));
  });
});

describe('GET /v1/reports/velocity', () => {
  test.each(PERIODS)('matches the scenario for %j', async (period) => {
    const res = await get(`/v1/reports/velocity?${qs(period)}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expectedVelocity(all, period));
    VelocityReportSchema.parse(res.body);
  });

  test('stays are counted when they end: the re-qualified MQLs of April are not in March', async () => {
    const march = (await get(`/v1/reports/velocity?${qs(P)}`)).body;
    const wide = (await get(`/v1/reports/velocity?${qs(WIDE)}`)).body;
    const mql = (b: { stages: { stage: string; leads: number }[] }) => b.stages.find((st) => st.stage === 'mql')!.leads;
    // Cycle-2 MQL stays end in April: requalifyWon (accepted), recycleTwice (rejected); badContactRepaired is still open.
    expect(mql(wide) - mql(march)).toBe(countPaths('requalifyWon', 'recycleTwice'));
    // Hand-raisers spend 0 h in inquiry.
    expect(march.stages[0].leads).toBe(specs.length - countPaths('inquiry'));
  });
});

describe('GET /v1/reports/rejections', () => {
  test.each(PERIODS)('matches the scenario for %j, by week and by month', async (period) => {
    for (const bucket of ['week', 'month'] as const) {
      const res = await get(`/v1/reports/rejections?${qs(period, `&bucket=${bucket}`)}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(expectedRejections(all, period, bucket));
      RejectionsReportSchema.parse(res.body);
    }
  });

  test('every reason, counted from the scenario definition', async () => {
    const { body } = await get(`/v1/reports/rejections?${qs(WIDE)}`);
    const count = (reason: string) => body.reasons.find((r: { reason: string }) => r.reason === reason)?.count ?? 0;
    for (const reason of rejectReasons) {
      const extra =
        { not_ready: countPaths('requalifyWon'), bad_contact_data: countPaths('badContactRepaired'), not_a_fit: countPaths('breachReassignReject'), bad_timing: countPaths('recycleTwice') }[
          reason as string
        ] ?? 0;
      expect({ reason, count: count(reason) }).toEqual({ reason, count: countPaths(`reject:${reason}`) + extra });
    }
    // recycleTwice's rejection happens in April: outside the two weeks.
    const march = (await get(`/v1/reports/rejections?${qs(P)}`)).body;
    const total = (b: { reasons: { count: number }[] }) => b.reasons.reduce((sum, r) => sum + r.count, 0);
    expect(total(body) - total(march)).toBe(countPaths('recycleTwice'));
  });
});

describe('GET /v1/reports/calibration', () => {
  test.each(PERIODS)('matches the scenario for %j', async (period) => {
    const res = await get(`/v1/reports/calibration?${qs(period)}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expectedCalibration(all, period));
    CalibrationReportSchema.parse(res.body);
  });

  test('the scenario lands in the cells it was built for; thresholds come from the policy', async () => {
    const { body } = await get(`/v1/reports/calibration?${qs(P)}`);
    const cell = (fitBand: string, engagementBand: string) =>
      body.cells.find((c: { fitBand: string; engagementBand: string }) => c.fitBand === fitBand && c.engagementBand === engagementBand);
    expect(body.cells).toHaveLength(25);
    expect(cell('40-59', '30-44').mqls).toBeGreaterThan(0);
    expect(cell('60-79', '45-59').mqls).toBeGreaterThan(0);
    expect(cell('80+', '60+').mqls).toBe(1); // reject:duplicate, blazing
    expect(cell('<20', '<15').mqls).toBe(0);
    const mqls = body.cells.reduce((sum: number, c: { mqls: number }) => sum + c.mqls, 0);
    const cycle2 = countPaths('requalifyWon', 'badContactRepaired', 'recycleTwice');
    expect(mqls).toBe(specs.length - countPaths('inquiry', 'disqualifiedInquiry') + cycle2);
    expect(body.thresholds).toEqual({ fit: defaultLeadPolicy.fit.threshold, engagement: defaultLeadPolicy.engagement.threshold });
  });
});

describe('GET /v1/reports/recycling', () => {
  test.each(PERIODS)('matches the scenario for %j', async (period) => {
    const res = await get(`/v1/reports/recycling?${qs(period)}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expectedRecycling(all, period));
    RecyclingReportSchema.parse(res.body);
  });

  test('the counts, from the scenario definition', async () => {
    const { body } = await get(`/v1/reports/recycling?${qs(P)}`);
    expect(body.requalified).toBe(countPaths('requalifyWon', 'badContactRepaired', 'recycleTwice'));
    const recycledRejects = (['not_ready', 'no_budget', 'bad_timing', 'bad_contact_data'] as const).reduce(
      (sum, r) => sum + countPaths(`reject:${r}`),
      0,
    );
    expect(body.recycled).toBe(
      recycledRejects +
        countPaths('mqlSlaExpired', 'salSlaExpired', 'bantGaps', 'lostNotNow', 'requalifyWon', 'badContactRepaired') +
        2 * countPaths('recycleTwice'),
    );
    expect(body.byReason.find((r: { reason: string }) => r.reason === 'sla_expired')).toEqual({
      reason: 'sla_expired',
      recycled: countPaths('mqlSlaExpired', 'salSlaExpired'),
      requalified: 0,
    });
    const twice = scenario.find((l) => l.path === 'recycleTwice')!;
    expect(body.leads.filter((r: { leadId: string }) => r.leadId === twice.leadId).map((r: { reason: string; requalifiedAt: string | null }) => [r.reason, r.requalifiedAt !== null])).toEqual([
      ['bad_timing', false],
      ['bant_gaps', true],
    ]);
    for (const r of body.leads.filter((x: { days: number | null }) => x.days !== null)) expect(r.days).toBeGreaterThanOrEqual(31);
  });
});

// ---------------------------------------------------------------------------------------------------------
// CSV

/** RFC 4180 parser (quoted fields with "" escapes, CRLF records), for checking the output. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
    i++;
  }
  if (field !== '' || row.length > 0) throw new Error('the CSV does not end with CRLF');
  return rows;
}

const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

describe('CSV', () => {
  type Row = Record<string, unknown>;
  const rows = (xs: readonly object[]) => xs as Row[];
  const tables: { report: string; query: string; table: (body: unknown) => Row[]; header: string[] }[] = [
    {
      report: 'funnel',
      query: qs(P),
      table: (b) => (b as reports.FunnelReport).cohorts.map((c) => ({ cohort: c.cohort, ...c.reached, ...c.conversion })),
      header: ['cohort', 'inquiry', 'mql', 'sal', 'sql', 'won', 'inquiry_to_mql', 'mql_to_sal', 'sal_to_sql', 'sql_to_won'],
    },
    {
      report: 'sla',
      query: qs(P),
      table: (b) => rows((b as reports.SlaReport).byRep),
      header: ['rep', 'assigned', 'accepted', 'rejected', 'breaches', 'withinSlaShare', 'medianHoursToDecision'],
    },
    {
      report: 'velocity',
      query: qs(P),
      table: (b) => rows((b as reports.VelocityReport).stages),
      header: ['stage', 'leads', 'medianHours', 'p90Hours'],
    },
    {
      report: 'rejections',
      query: qs(WIDE),
      table: (b) => rows((b as reports.RejectionsReport).reasons),
      header: ['reason', 'count', 'share'],
    },
    {
      report: 'calibration',
      query: qs(P),
      table: (b) => rows((b as reports.CalibrationReport).cells),
      header: ['fitBand', 'engagementBand', 'mqls', 'accepted', 'won', 'acceptanceRate', 'wonRate'],
    },
    {
      report: 'recycling',
      query: qs(P),
      table: (b) => rows((b as reports.RecyclingReport).leads),
      header: ['leadId', 'reason', 'recycledAt', 'requalifiedAt', 'days'],
    },
  ];

  test.each(tables.map((t) => [t.report, t] as const))('%s: the main table, with ?format=csv and with Accept: text/csv', async (report, t) => {
    const json = await get(`/v1/reports/${report}?${t.query}`);
    const expectedRows = [t.header, ...t.table(json.body).map((row) => t.header.map((h) => cell(row[h])))];
    expect(expectedRows.length).toBeGreaterThan(1);

    const viaQuery = await get(`/v1/reports/${report}?${t.query}&format=csv`);
    const viaAccept = await get(`/v1/reports/${report}?${t.query}`).set('Accept', 'text/csv');
    for (const res of [viaQuery, viaAccept]) {
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
      const period = json.body.period as Period;
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${report}-${period.from}-${period.to}.csv"`);
      expect(res.headers.vary).toMatch(/Accept/);
      expect(res.text.endsWith('\r\n')).toBe(true);
      expect(res.text.replace(/\r\n/g, '')).not.toMatch(/\n/);
      expect(parseCsv(res.text)).toEqual(expectedRows);
    }
    // format=json wins over the Accept header.
    const jsonAnyway = await get(`/v1/reports/${report}?${t.query}&format=json`).set('Accept', 'text/csv');
    expect(jsonAnyway.headers['content-type']).toMatch(/^application\/json/);
    expect(jsonAnyway.body).toEqual(json.body);
  });

  test('fields with commas and quotes are quoted (RFC 4180), nulls are empty', async () => {
    const res = await get(`/v1/reports/sla?${qs(P)}&format=csv`);
    expect(res.text).toContain('\r\n"rep-linus, ""lin""",');
    const recycling = await get(`/v1/reports/recycling?${qs(P)}&format=csv`);
    expect(recycling.text).toMatch(/,sla_expired,2025-03-\d\dT\d\d:00:00\.000Z,,\r\n/);
  });

  test('csvField and toCsv', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField(0.125)).toBe('0.125');
    expect(csvField(-3)).toBe('-3');
    // Text a spreadsheet would run as a formula is defused.
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(toCsv([{ header: 'a', value: (r: { a: number | null }) => r.a }], [{ a: 1 }, { a: null }])).toBe('a\r\n1\r\n\r\n');
  });
});

// ---------------------------------------------------------------------------------------------------------
// Parameters and access

const routes = ['funnel', 'sla', 'velocity', 'rejections', 'calibration', 'recycling'];

describe('parameters', () => {
  const bad: [string, string][] = [
    ['from=2025-13-01', 'from'],
    ['from=2025-02-30', 'from'],
    ['to=yesterday', 'to'],
    ['from=2025-03-03T00:00:00Z', 'from'],
    ['from=2025-03-10&to=2025-03-03', 'from'],
    ['from=2000-01-01&to=2025-01-01', 'to'],
    ['from=2999-01-01', 'from'], // after the default `to` (today)
    ['format=xml', 'format'],
  ];

  test.each(routes)('%s: 400 with the offending parameter', async (report) => {
    for (const [query, path] of bad) {
      const res = await get(`/v1/reports/${report}?${query}`);
      expect({ query, status: res.status, code: res.body.error?.code }).toEqual({ query, status: 400, code: 'invalid_request' });
      expect(res.body.error.details.map((d: { path: string[] }) => d.path[0])).toContain(path);
    }
  });

  test('cohort and bucket are week or month', async () => {
    expect((await get('/v1/reports/funnel?cohort=day')).status).toBe(400);
    expect((await get('/v1/reports/rejections?bucket=year')).status).toBe(400);
    expect((await get('/v1/reports/funnel?cohort=month')).status).toBe(200);
  });

  test('the default period: the last 90 days, today included; a lone `to` or `from` keeps the other default', () => {
    const today = new Date('2026-11-22T18:00:00.000Z');
    expect(resolvePeriod({}, today)).toEqual({ from: '2026-08-25', to: '2026-11-22' });
    expect(resolvePeriod({ to: '2026-03-01' }, today)).toEqual({ from: '2025-12-02', to: '2026-03-01' });
    expect(resolvePeriod({ from: '2026-11-01' }, today)).toEqual({ from: '2026-11-01', to: '2026-11-22' });
  });
});

describe('access', () => {
  test.each(routes)('%s: 401 without a key, 403 without the read scope, 200 with read or admin', async (report) => {
    const url = `/v1/reports/${report}`;
    expect((await request(app).get(url)).status).toBe(401);
    const wrong = await request(app).get(url).set(bearer(testKeys.intake));
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('forbidden');
    expect((await request(app).get(url).set(bearer(testKeys.sales))).status).toBe(403);
    expect((await request(app).get(url).set(read)).status).toBe(200);
    expect((await request(app).get(url).set(bearer(testKeys.admin))).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The embedded database

test('PGlite (the embedded database of npm start) gives the same reports as PostgreSQL', async () => {
  const lite = await createTestDatabase('pglite');
  try {
    await seed(lite.db, all);
    const now = new Date();
    const thresholds = { fit: 40, engagement: 30 };
    for (const period of [P, WIDE]) {
      const both = async (db: Db) => [
        await reports.funnelReport(db, period, 'week'),
        await reports.slaReport(db, period, now),
        await reports.velocityReport(db, period),
        await reports.rejectionsReport(db, period, 'month'),
        await reports.calibrationReport(db, period, thresholds),
        await reports.recyclingReport(db, period),
      ];
      expect(await both(lite.db)).toEqual(await both(pg.db));
    }
  } finally {
    await lite.drop();
  }
});
