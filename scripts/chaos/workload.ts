import { randomUUID } from 'node:crypto';
import { sleep } from '../lib/local-stack';
import type { ApiClient } from './api-client';

/** The keys the workload uses, each with the scope a real integration of that kind would have. */
export interface WorkloadKeys {
  /** Forms, engagement, unsubscribes (marketing automation, the website). */
  intake: string;
  /** Reads (the CRM sync). */
  read: string;
  /** A sales manager's key: decides on any lead, in the rep's name it gives. */
  manager: string;
  /** Keys bound to one rep each: they decide only on that rep's leads, as that rep. */
  reps: Record<string, string>;
}

interface KnownLead {
  leadId: string;
  email: number;
  /** The stage the API last showed us (answers only; the truth is the lead's). */
  stage?: string;
}

/** A small seeded PRNG (mulberry32), so a seed gives the same choices and fault schedule. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const countries = ['DE', 'GB', 'FR', 'NL', 'US', 'CA'];

/**
 * The mixed workload of `npm run chaos`, through the HTTP API only: new and repeat form fills, engagement,
 * sales decisions as each lead's stage allows them (read first, as a CRM user would), and unsubscribes.
 * `actors` loops run at once, each with a short pause between requests, until `until` or `maxRequests`.
 * Synthetic people only (`chaos-<n>@chaos-<m>.example`): nothing personal, and nothing printed.
 */
export class Workload {
  readonly leads: KnownLead[] = [];
  private readonly byId = new Map<string, KnownLead>();
  private emails = 0;
  private started = 0;

  constructor(
    private readonly api: ApiClient,
    private readonly keys: WorkloadKeys,
    private readonly random: () => number,
    private readonly options: { actors: number; until: number; maxRequests: number },
  ) {}

  async run(): Promise<void> {
    await Promise.all(Array.from({ length: this.options.actors }, () => this.actor()));
  }

  private async actor(): Promise<void> {
    while (Date.now() < this.options.until && this.started < this.options.maxRequests) {
      this.started++;
      await this.step();
      await sleep(50 + this.random() * 250);
    }
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private async step(): Promise<void> {
    const r = this.random();
    if (this.leads.length < 5 || r < 0.3) return this.formFill(true);
    if (r < 0.4) return this.formFill(false);
    if (r < 0.55) return this.engagement();
    if (r < 0.95) return this.decision();
    return this.unsubscribe();
  }

  private profile(n: number): Record<string, unknown> {
    return {
      email: `chaos-${n}@chaos-${n % 13}.example`,
      firstName: 'Chaos',
      lastName: `Person${n}`,
      phone: `+49 30 ${String(1000000 + n)}`,
      company: `Chaos Company ${n % 40}`,
      country: countries[n % countries.length],
      productInterest: 'lead routing',
      seniority: n % 5 === 0 ? 'manager' : 'vp',
      employeeCount: 150 + (n % 7) * 200,
      industry: 'software',
    };
  }

  private async formFill(fresh: boolean): Promise<void> {
    const known = fresh ? undefined : this.pick(this.leads);
    const n = known?.email ?? this.emails++;
    // Most new people ask for a demo (an MQL at once: routed, on an SLA clock); some only read.
    const formType = fresh && this.random() < 0.75 ? 'demo_request' : this.pick(['newsletter', 'content_download', 'webinar']);
    const { status, body, record } = await this.api.call('POST', '/v1/leads', this.keys.intake, {
      op: fresh ? 'form_new' : 'form_repeat',
      idempotent: true,
      body: { ...this.profile(n), formType, source: { channel: 'web', campaign: 'chaos' } },
      detail: { formType },
    });
    const answer = body as { leadId?: string; stage?: string } | undefined;
    if (status !== undefined && status >= 200 && status < 300 && answer?.leadId) {
      record.leadId = answer.leadId;
      this.remember(answer.leadId, n, answer.stage);
    }
  }

  private remember(leadId: string, email: number, stage?: string): void {
    let lead = this.byId.get(leadId);
    if (!lead) {
      lead = { leadId, email };
      this.byId.set(leadId, lead);
      this.leads.push(lead);
    }
    if (stage) lead.stage = stage;
  }

  private async engagement(): Promise<void> {
    const lead = this.pick(this.leads);
    const count = 1 + Math.floor(this.random() * 3);
    const events = Array.from({ length: count }, () => ({
      type: this.pick(['pricing_page_view', 'content_download', 'webinar_attended', 'email_click', 'page_view']),
      occurredAt: new Date().toISOString(),
      id: `chaos-${randomUUID()}`,
    }));
    await this.api.call('POST', `/v1/leads/${lead.leadId}/engagements`, this.keys.intake, {
      op: 'engagement',
      leadId: lead.leadId,
      idempotent: true,
      body: { events },
      detail: { engagementIds: events.map((e) => e.id) },
    });
  }

  private async unsubscribe(): Promise<void> {
    const lead = this.pick(this.leads);
    await this.api.call('POST', `/v1/leads/${lead.leadId}/unsubscribe`, this.keys.intake, { op: 'unsubscribe', leadId: lead.leadId, idempotent: true });
  }

  /** Reads a lead (preferring those last seen in a stage with decisions), then takes a decision its stage allows. */
  private async decision(): Promise<void> {
    const open = this.leads.filter((l) => l.stage === 'mql' || l.stage === 'sal' || l.stage === 'sql');
    const lead = open.length > 0 && this.random() < 0.8 ? this.pick(open) : this.pick(this.leads);
    const read = await this.api.call('GET', `/v1/leads/${lead.leadId}`, this.keys.read, { op: 'read', leadId: lead.leadId });
    if (read.status !== 200) return;
    const view = (read.body as { lead: { stage: string; owner: string | null; allowedCommands: string[] } }).lead;
    lead.stage = view.stage;
    const allowed = new Set(view.allowedCommands);
    const owner = view.owner;
    const choices: { weight: number; op: string; segment: string; body: Record<string, unknown>; actor: 'rep' | 'by' }[] = [];
    if (owner && allowed.has('AcceptLead')) choices.push({ weight: 6, op: 'accept', segment: 'accept', body: {}, actor: 'rep' });
    if (owner && allowed.has('RejectLead')) {
      choices.push({ weight: 2, op: 'reject', segment: 'reject', body: { reason: this.pick(['no_budget', 'bad_timing', 'not_a_fit']) }, actor: 'rep' });
    }
    if (owner && allowed.has('QualifyLead')) {
      choices.push({ weight: 6, op: 'qualify', segment: 'qualify', body: { budget: true, authority: true, need: true, timeline: true }, actor: 'rep' });
    }
    if (owner && allowed.has('CloseLead')) {
      const won = this.random() < 0.6;
      choices.push({ weight: 6, op: 'close', segment: 'close', body: won ? { outcome: 'won' } : { outcome: 'lost', reason: this.pick(['not_now', 'chose_competitor']) }, actor: 'rep' });
    }
    if (allowed.has('DisqualifyLead')) choices.push({ weight: 0.5, op: 'disqualify', segment: 'disqualify', body: { by: 'ops-chaos', reason: 'fake_company' }, actor: 'by' });
    if (choices.length === 0) return;
    const total = choices.reduce((s, c) => s + c.weight, 0);
    let x = this.random() * total;
    const choice = choices.find((c) => (x -= c.weight) < 0) ?? choices[choices.length - 1]!;
    // Half the owner's decisions come through the owner's own key (bound to the rep, the rep filled in),
    // the rest through the manager's key, naming the rep.
    const repKey = owner && choice.actor === 'rep' ? this.keys.reps[owner] : undefined;
    const viaRep = repKey !== undefined && this.random() < 0.5;
    const body = choice.actor === 'rep' && !viaRep ? { ...choice.body, rep: owner } : choice.body;
    const answer = await this.api.call('POST', `/v1/leads/${lead.leadId}/${choice.segment}`, viaRep ? repKey : this.keys.manager, {
      op: choice.op,
      leadId: lead.leadId,
      idempotent: true,
      body,
      detail: { ...(choice.op === 'close' ? { outcome: choice.body.outcome } : {}), via: viaRep ? 'rep' : 'manager' },
    });
    const after = answer.body as { lead?: { stage?: string; lastEventSeq?: number } } | undefined;
    if (answer.status === 200 && after?.lead) {
      answer.record.answerSeq = after.lead.lastEventSeq;
      lead.stage = after.lead.stage;
    }
  }
}
