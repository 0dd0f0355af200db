import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { rejectDestination } from '../domain/lead-decider';
import { leadStages, rejectReasons, type LeadStage, type RejectReason } from '../domain/lead-events';
import { defaultLeadPolicy } from '../domain/lead-policy';
import { engagementPoints, fitScore } from '../domain/scoring';

/*
 * Realistic traffic against a running Leadflow (`npm start`), over its HTTP API only:
 *
 *   npm run demo                      300 leads, 8 at a time
 *   npm run demo -- --leads 40        fewer
 *   npm run demo -- --seed 7          another (still reproducible) mix of people and journeys
 *
 * Every lifecycle path is exercised: hand-raisers accepted, qualified and won or lost, BANT gaps, every
 * rejection reason, nurture by engagement until MQL, free-mail students who never qualify, newsletter
 * sign-ups, spam disqualified, and open MQLs and SALs left behind so their SLA timers run (Temporal UI:
 * `LeadStage = 'mql'`). People and journeys come from a seeded PRNG; e-mail addresses carry a run id,
 * so every run creates new leads.
 *
 * Environment: LEADFLOW_API_URL (default http://localhost:3000), LEADFLOW_API_KEY (else the key
 * `npm start` keeps in .data/dev-api-key.json), TEMPORAL_UI_URL and TEMPORAL_NAMESPACE for the links.
 */

const policy = defaultLeadPolicy;
const reps = policy.routing.reps.map((r) => r.id);
const manager = policy.routing.manager;

// ---------------------------------------------------------------------------------------------------------
// Options

interface Options {
  leads: number;
  concurrency: number;
  seed: number;
  runId: string;
  apiUrl: string;
  uiUrl: string;
  namespace: string;
}

const usage = `usage: npm run demo -- [--leads N] [--concurrency N] [--seed N] [--run-id ID]

  --leads N         leads to create (default 300)
  --concurrency N   leads driven at the same time (default 8)
  --seed N          PRNG seed for people and journeys (default 42)
  --run-id ID       tag in every e-mail address (default: derived from the clock, unique per run)

  LEADFLOW_API_URL  API base URL (default http://localhost:3000)
  LEADFLOW_API_KEY  bearer key (default: the development key in .data/dev-api-key.json)`;

function readOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      leads: { type: 'string' },
      concurrency: { type: 'string' },
      seed: { type: 'string' },
      'run-id': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const int = (name: string, raw: string | undefined, fallback: number, min: number, max: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
  const runId = values['run-id'] ?? Date.now().toString(36);
  if (!/^[a-z0-9]{1,16}$/i.test(runId)) throw new UsageError('--run-id must be 1-16 letters or digits');
  return {
    leads: int('leads', values.leads, 300, 1, 100_000),
    concurrency: int('concurrency', values.concurrency, 8, 1, 256),
    seed: int('seed', values.seed, 42, 0, 2 ** 31 - 1),
    runId: runId.toLowerCase(),
    apiUrl: (process.env.LEADFLOW_API_URL ?? 'http://localhost:3000').replace(/\/+$/, ''),
    uiUrl: (process.env.TEMPORAL_UI_URL ?? 'http://localhost:8233').replace(/\/+$/, ''),
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
  };
}

class UsageError extends Error {}

/** LEADFLOW_API_KEY, else the development key `npm start` persists in the data folder. */
function resolveApiKey(): string {
  const fromEnv = process.env.LEADFLOW_API_KEY?.trim();
  if (fromEnv) {
    // Accept a whole LEADFLOW_API_KEYS entry (id:secret:scopes) too: the secret is the middle part.
    const entry = /^[\w.-]+:(\S+):[a-z+]+$/.exec(fromEnv);
    return entry ? entry[1]! : fromEnv;
  }
  const dataDir = process.env.LEADFLOW_DATA_DIR ? path.resolve(process.env.LEADFLOW_DATA_DIR) : path.join(repoRoot(), '.data');
  const file = path.join(dataDir, 'dev-api-key.json');
  if (!existsSync(file)) {
    throw new UsageError(`no API key: set LEADFLOW_API_KEY, or start Leadflow first with npm start (it writes ${file})`);
  }
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { secret?: unknown };
  if (typeof parsed.secret !== 'string' || parsed.secret === '') throw new UsageError(`${file} has no "secret"; delete it and restart npm start`);
  return parsed.secret;
}

function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Seeded randomness: one independent stream per lead, so the data does not depend on scheduling.

class Rng {
  private state: number;
  constructor(...seed: (string | number)[]) {
    // FNV-1a over the seed parts, then mulberry32.
    let h = 0x811c9dc5;
    for (const ch of seed.join('\u0000')) {
      h ^= ch.codePointAt(0)!;
      h = Math.imul(h, 0x01000193);
    }
    this.state = h >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [item, w] of items) if ((r -= w) < 0) return item;
    return items[items.length - 1]![0];
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

// ---------------------------------------------------------------------------------------------------------
// People

type Country = 'DE' | 'GB' | 'US' | 'FR' | 'NL' | 'CA' | 'ES' | 'IT' | 'BR' | 'IN' | 'JP' | 'AU';

const names: Record<Country, { first: string[]; last: string[] }> = {
  DE: { first: ['Lukas', 'Anna', 'Felix', 'Lena', 'Jonas', 'Mia', 'Maximilian', 'Sophie', 'Katharina', 'Tobias'], last: ['Müller', 'Schmidt', 'Weber', 'Fischer', 'Wagner', 'Becker', 'Hoffmann', 'Schäfer', 'Krüger', 'Neumann'] },
  GB: { first: ['Oliver', 'Amelia', 'Harry', 'Isla', 'George', 'Ava', 'Jack', 'Emily', 'Priya', 'Callum'], last: ['Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Evans', 'Thomas', 'Okafor', 'Khan'] },
  US: { first: ['James', 'Olivia', 'Michael', 'Emma', 'David', 'Sophia', 'Jamal', 'Isabella', 'Wei', 'Carlos'], last: ['Johnson', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Nguyen', 'Patel', 'Kim', 'Washington'] },
  FR: { first: ['Camille', 'Louis', 'Chloé', 'Hugo', 'Léa', 'Gabriel', 'Manon', 'Théo'], last: ['Martin', 'Bernard', 'Dubois', 'Laurent', 'Lefèvre', 'Moreau', 'Girard', 'Fontaine'] },
  NL: { first: ['Daan', 'Emma', 'Sem', 'Julia', 'Lucas', 'Tess', 'Bram', 'Fenna'], last: ['de Jong', 'Jansen', 'de Vries', 'van den Berg', 'Bakker', 'Visser', 'Smit', 'Meijer'] },
  CA: { first: ['Liam', 'Charlotte', 'Noah', 'Chloe', 'Ethan', 'Maya', 'Olivier', 'Avery'], last: ['Tremblay', 'Roy', 'Gagnon', 'Côté', 'Bouchard', 'Campbell', 'Singh', 'MacDonald'] },
  ES: { first: ['Lucía', 'Pablo', 'Martina', 'Hugo', 'Sofía', 'Álvaro'], last: ['García', 'López', 'Martínez', 'Sánchez', 'Fernández', 'Ruiz'] },
  IT: { first: ['Giulia', 'Marco', 'Francesca', 'Luca', 'Chiara', 'Matteo'], last: ['Rossi', 'Bianchi', 'Romano', 'Colombo', 'Ricci', 'Greco'] },
  BR: { first: ['Ana', 'João', 'Beatriz', 'Pedro', 'Larissa', 'Rafael'], last: ['Silva', 'Santos', 'Oliveira', 'Souza', 'Lima', 'Costa'] },
  IN: { first: ['Aarav', 'Ananya', 'Vihaan', 'Diya', 'Arjun', 'Saanvi'], last: ['Sharma', 'Iyer', 'Reddy', 'Gupta', 'Nair', 'Mehta'] },
  JP: { first: ['Yuki', 'Haruto', 'Sakura', 'Ren', 'Aoi', 'Sota'], last: ['Sato', 'Tanaka', 'Suzuki', 'Takahashi', 'Watanabe', 'Ito'] },
  AU: { first: ['Matilda', 'Lachlan', 'Charlotte', 'Oliver', 'Ruby', 'Cooper'], last: ['Kelly', 'Nguyen', 'Walker', 'Harris', 'Ryan', 'Thompson'] },
};

const legalSuffix: Partial<Record<Country, string>> = { DE: 'GmbH', GB: 'Ltd', US: 'Inc.', FR: 'SAS', NL: 'B.V.', CA: 'Inc.' };

const companyStems = [
  'Northwind', 'Bluefin', 'Helix', 'Kestrel', 'Lumen', 'Meridian', 'Orbital', 'Riverstone', 'Sable', 'Tidewater',
  'Vantage', 'Wexford', 'Zephyr', 'Alder', 'Brightline', 'Cobalt', 'Driftwood', 'Evergreen', 'Foxglove', 'Granite',
  'Harbor', 'Ironbark', 'Juniper', 'Larkspur', 'Mosaic', 'Nimbus', 'Quartz', 'Redwood', 'Silverleaf', 'Westbrook',
];

/** Company name words per industry; the target industries of the default policy come first. */
const companyKinds: Record<string, string[]> = {
  software: ['Software', 'Analytics', 'Cloud', 'Labs', 'Systems'],
  financial_services: ['Capital', 'Payments', 'Insurance', 'Bank'],
  manufacturing: ['Manufacturing', 'Robotics', 'Industries', 'Components'],
  healthcare: ['Health', 'Medical', 'Diagnostics', 'Care'],
  logistics: ['Logistics', 'Freight'],
  retail: ['Retail', 'Outfitters'],
  media: ['Media', 'Studios'],
};

const productInterests = ['lead routing', 'lead scoring', 'SLA automation', 'CRM sync', 'marketing attribution', 'sales handoff'];
const channels: readonly (readonly [string, number])[] = [
  ['paid_search', 4], ['organic', 4], ['linkedin', 3], ['webinar', 2], ['events', 1], ['referral', 1], ['email', 2],
];
const campaigns = ['2026-q1-demo-push', 'lead-routing-guide', 'sla-benchmark-report', 'spring-webinar-series', 'retargeting-eu', 'partner-referrals'];
const freeMail = ['gmail.com', 'yahoo.com', 'hotmail.com', 'outlook.com', 'icloud.com'];
const universities = ['University of Leeds', 'TU München', 'Universidad de Sevilla', 'Politecnico di Milano', 'University of Toronto', 'IIT Bombay', 'Keio University'];

interface Profile {
  email: string;
  firstName?: string;
  lastName?: string;
  phone?: string;
  company?: string;
  country?: string;
  productInterest?: string;
  seniority?: string;
  employeeCount?: number;
  industry?: string;
}

interface FormFill extends Profile {
  formType: string;
  source: { channel: string; campaign: string };
}

/** ASCII for e-mail local parts and domains: Müller → mueller, Côté → cote, de Jong → dejong. */
function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/ä/g, 'ae')
    .replace(/ö/g, 'oe')
    .replace(/ü/g, 'ue')
    .replace(/ß/g, 'ss')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '');
}

function phoneFor(country: Country, rng: Rng): string {
  const d = (n: number) => Array.from({ length: n }, () => rng.int(0, 9)).join('');
  switch (country) {
    case 'DE':
      return `+49 30 ${d(7)}`;
    case 'GB':
      return `+44 20 7946 0${d(3)}`; // Ofcom's range for drama
    case 'US':
    case 'CA':
      return `+1 ${rng.pick(['212', '415', '512', '617', '416', '604'])} 555 01${d(2)}`; // 555-01xx is fictional
    case 'FR':
      return `+33 1 ${d(2)} ${d(2)} ${d(2)} ${d(2)}`;
    case 'NL':
      return `+31 20 ${d(7)}`;
    default:
      return `+${rng.pick(['34', '39', '55', '91', '81', '61'])} ${d(3)} ${d(3)} ${d(3)}`;
  }
}

class People {
  constructor(
    private readonly runId: string,
    private readonly index: number,
    private readonly rng: Rng,
  ) {}

  private person(country: Country) {
    const n = names[country];
    return { firstName: this.rng.pick(n.first), lastName: this.rng.pick(n.last) };
  }

  /** Unique per run and lead: plus-addressing carries the run id. */
  private email(firstName: string, lastName: string, domain: string): string {
    return `${slug(firstName)}.${slug(lastName)}+${this.runId}-${this.index}@${domain}`;
  }

  private company(country: Country, industry: string): { company: string; domain: string } {
    const stem = this.rng.pick(companyStems);
    const kind = this.rng.pick(companyKinds[industry] ?? ['Group']);
    const suffix = legalSuffix[country];
    return { company: [stem, kind, suffix].filter(Boolean).join(' '), domain: `${slug(stem)}-${slug(kind)}.example` };
  }

  private source(formType: string): FormFill['source'] {
    const channel = formType === 'webinar' ? 'webinar' : this.rng.weighted(channels);
    return { channel, campaign: this.rng.pick(campaigns) };
  }

  /** A complete profile that clears the fit threshold: senior, 200+ employees, target industry and country. */
  goodFit(formType: string, seniorities: readonly string[] = ['c_level', 'vp', 'vp', 'director', 'director']): FormFill {
    for (;;) {
      const country = this.rng.weighted<Country>([['US', 4], ['DE', 3], ['GB', 3], ['FR', 1], ['NL', 1], ['CA', 1]]);
      const industry = this.rng.pick(policy.fit.targetIndustries);
      const { firstName, lastName } = this.person(country);
      const { company, domain } = this.company(country, industry);
      const fill: FormFill = {
        email: this.email(firstName, lastName, domain),
        firstName,
        lastName,
        phone: phoneFor(country, this.rng),
        company,
        country,
        productInterest: this.rng.pick(productInterests),
        seniority: this.rng.pick(seniorities),
        employeeCount: this.rng.weighted([[this.rng.int(200, 999), 3], [this.rng.int(1000, 4999), 2], [this.rng.int(5000, 40000), 1]]),
        industry,
        formType,
        source: this.source(formType),
      };
      if (fitScore(fill, policy) >= policy.fit.threshold) return fill;
    }
  }

  /** A student on a free-mail address: engaged, perhaps, but never a fit. */
  student(formType: string): FormFill {
    const country = this.rng.pick<Country>(['GB', 'DE', 'ES', 'IT', 'CA', 'IN', 'JP']);
    const { firstName, lastName } = this.person(country);
    return {
      email: this.email(firstName, lastName, this.rng.pick(freeMail)),
      firstName,
      lastName,
      company: this.rng.pick(universities),
      country,
      productInterest: this.rng.pick(['thesis research', 'course project', productInterests[0]!]),
      seniority: 'student',
      industry: 'education',
      formType,
      source: this.source(formType),
    };
  }

  /** A newsletter sign-up: an address, a first name, sometimes a country. */
  subscriber(): FormFill {
    const country = this.rng.pick<Country>(['US', 'GB', 'DE', 'FR', 'NL', 'BR', 'AU', 'IN']);
    const { firstName, lastName } = this.person(country);
    const work = this.rng.chance(0.6);
    const domain = work ? this.company(country, this.rng.pick(Object.keys(companyKinds))).domain : this.rng.pick(freeMail);
    return {
      email: this.email(firstName, lastName, domain),
      firstName,
      ...(this.rng.chance(0.5) ? { country } : {}),
      formType: 'newsletter',
      source: { channel: this.rng.pick(['organic', 'email', 'referral']), campaign: 'monthly-newsletter' },
    };
  }

  /** A contact form filled by a link seller: no company, no fit, clearly not a buyer. */
  spammer(): FormFill {
    const stem = this.rng.pick(['rankboost', 'linkfarm', 'seo-wizards', 'cheap-traffic', 'backlinkz']);
    return {
      email: `offers+${this.runId}-${this.index}@${stem}.example`,
      firstName: this.rng.pick(['SEO', 'Best', 'Top']),
      lastName: this.rng.pick(['Expert', 'Services', 'Agency']),
      productInterest: this.rng.pick(['guaranteed first page on Google!!!', 'buy 10000 backlinks cheap', 'crypto partnership']),
      formType: 'contact_sales',
      source: { channel: 'organic', campaign: 'contact-page' },
    };
  }
}

// ---------------------------------------------------------------------------------------------------------
// HTTP

interface Stats {
  requests: number;
  failed: number;
  retries: number;
  throttled: number;
  refusalsShown: number;
  byStatus: Map<string, number>;
  errors: string[];
}

class FatalError extends Error {}

class RequestFailed extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

interface Answer {
  status: number;
  body: unknown;
}

const retryable = new Set([502, 503, 504]);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class Api {
  stopped = false;

  constructor(
    private readonly baseUrl: string,
    private readonly key: string,
    readonly stats: Stats,
  ) {}

  /**
   * One logical request: retried on 429 (after Retry-After), 502-504 and network errors, with the same
   * Idempotency-Key so a retry never applies a decision twice. A status outside `expect` is a failure.
   */
  async call(method: 'GET' | 'POST', route: string, body: unknown, expect: number[], idempotencyKey?: string): Promise<Answer> {
    this.stats.requests++;
    const what = `${method} ${route.replace(/lead-[0-9a-f]{16,}/, 'lead-…')}`;
    let failures = 0; // network errors and 502-504: a few tries
    let throttles = 0; // 429: as long as the server asks, within reason
    for (;;) {
      if (this.stopped) throw new FatalError('stopped');
      let res: Response;
      try {
        res = await fetch(`${this.baseUrl}${route}`, {
          method,
          headers: {
            authorization: `Bearer ${this.key}`,
            accept: 'application/json',
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (err) {
        if (++failures >= 5) return this.fail(`${what}: ${describeFetchError(err)} (gave up after ${failures} attempts)`);
        this.stats.retries++;
        await sleep(250 * 2 ** failures);
        continue;
      }
      const text = await res.text();
      const parsed = parseJson(text);
      this.count(res.status);
      if (res.status === 401 || res.status === 403) {
        throw new FatalError(
          `${what} answered ${res.status} (${errorText(parsed) ?? res.statusText}): the API key was refused. ` +
            'Set LEADFLOW_API_KEY to a key with the intake, sales and read scopes, or restart npm start so .data/dev-api-key.json is current.',
        );
      }
      if (expect.includes(res.status)) return { status: res.status, body: parsed };
      const retryAfter = Number(res.headers.get('retry-after'));
      if (res.status === 429 && ++throttles <= 60) {
        this.stats.retries++;
        this.stats.throttled++;
        await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 10) * 1000 : 1000);
        continue;
      }
      if (retryable.has(res.status) && ++failures < 5) {
        this.stats.retries++;
        await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 10) * 1000 : 250 * 2 ** failures);
        continue;
      }
      return this.fail(`${what} answered ${res.status}${errorText(parsed) ? `: ${errorText(parsed)}` : ''}`, res.status);
    }
  }

  private count(status: number): void {
    const k = String(status);
    this.stats.byStatus.set(k, (this.stats.byStatus.get(k) ?? 0) + 1);
  }

  /** Counts a failed request and stops the lead's journey. */
  fail(message: string, status?: number): never {
    this.stats.failed++;
    if (this.stats.errors.length < 500) this.stats.errors.push(message);
    throw new RequestFailed(message, status);
  }
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return text.slice(0, 200);
  }
}

function errorText(body: unknown): string | undefined {
  const error = get(body, 'error');
  const code = get(error, 'code');
  const message = get(error, 'message');
  if (typeof code === 'string' || typeof message === 'string') return [code, message].filter((s) => typeof s === 'string').join(': ');
  return typeof body === 'string' && body !== '' ? body : undefined;
}

function describeFetchError(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'no answer within 30 s';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}

function get(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

/** `{lead: {...}}` (decisions) or the lead itself (GET): its stage. */
function stageOf(body: unknown): LeadStage | undefined {
  const lead = get(body, 'lead') ?? body;
  const stage = get(lead, 'stage');
  return typeof stage === 'string' && (leadStages as readonly string[]).includes(stage) ? (stage as LeadStage) : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Journeys

const journeyNames = [
  'won',
  'lost_not_now',
  'lost_to_competitor',
  'bant_gap',
  ...rejectReasons.map((r) => `rejected_${r}` as const),
  'nurtured_to_mql',
  'nurtured_then_accepted',
  'student',
  'newsletter',
  'spam',
  'open_mql',
  'open_sal',
  'open_sql',
] as const;
type Journey = (typeof journeyNames)[number];

/** Share of each journey in the mix (every one also appears at least once when --leads allows). */
const journeyWeights: Record<Journey, number> = {
  won: 12,
  lost_not_now: 5,
  lost_to_competitor: 3,
  bant_gap: 6,
  rejected_not_ready: 2,
  rejected_no_budget: 2,
  rejected_bad_timing: 2,
  rejected_bad_contact_data: 2,
  rejected_not_a_fit: 2,
  rejected_competitor: 2,
  rejected_spam: 2,
  rejected_duplicate: 2,
  nurtured_to_mql: 8,
  nurtured_then_accepted: 5,
  student: 8,
  newsletter: 10,
  spam: 5,
  open_mql: 12,
  open_sal: 7,
  open_sql: 3,
};

function expectedStage(journey: Journey): LeadStage {
  if (journey.startsWith('rejected_')) return rejectDestination[journey.slice('rejected_'.length) as RejectReason];
  const stages: Record<string, LeadStage> = {
    won: 'won',
    lost_not_now: 'recycled',
    lost_to_competitor: 'disqualified',
    bant_gap: 'recycled',
    nurtured_to_mql: 'mql',
    nurtured_then_accepted: 'sal',
    student: 'inquiry',
    newsletter: 'inquiry',
    spam: 'disqualified',
    open_mql: 'mql',
    open_sal: 'sal',
    open_sql: 'sql',
  };
  return stages[journey]!;
}

function planJourneys(count: number, seed: number): Journey[] {
  const rng = new Rng(seed, 'plan');
  const weighted = journeyNames.map((j) => [j, journeyWeights[j]] as const);
  const plan: Journey[] = [];
  for (let i = 0; i < count; i++) plan.push(i < journeyNames.length ? journeyNames[i]! : rng.weighted(weighted));
  return rng.shuffle(plan);
}

const rejectNotes: Record<RejectReason, string> = {
  not_ready: 'Interested, but still writing requirements; revisit next quarter.',
  no_budget: 'No budget approved for this fiscal year.',
  bad_timing: 'In the middle of a CRM migration until the summer.',
  bad_contact_data: 'Phone number does not connect and the e-mail bounced.',
  not_a_fit: 'Needs on-premise only; we do not offer that.',
  competitor: 'Works for a direct competitor.',
  spam: 'Form filled by a bot.',
  duplicate: 'Same person as an open opportunity in the CRM.',
};

interface LeadOutcome {
  journey: Journey;
  stage: LeadStage | 'error';
  /** Stage read after engagement that the lead processes asynchronously, checked at the end. */
  recheck?: string;
}

class LeadRun {
  private leadId = '';
  private stage: LeadStage | undefined;
  private step = 0;

  constructor(
    private readonly api: Api,
    private readonly runId: string,
    private readonly index: number,
    private readonly rng: Rng,
  ) {}

  private key(): string {
    return `demo-${this.runId}-${this.index}-${++this.step}`;
  }

  private path(suffix = ''): string {
    return `/v1/leads/${encodeURIComponent(this.leadId)}${suffix}`;
  }

  async submit(fill: FormFill): Promise<LeadStage | undefined> {
    const { status, body } = await this.api.call('POST', '/v1/leads', fill, [202, 200, 201], this.key());
    const leadId = get(body, 'leadId');
    if (typeof leadId !== 'string') this.api.fail(`POST /v1/leads answered ${status} without a leadId`);
    this.leadId = leadId;
    return (this.stage = stageOf(body));
  }

  async decide(command: 'accept' | 'reject' | 'qualify' | 'close' | 'disqualify', body: object): Promise<LeadStage | undefined> {
    const answer = await this.api.call('POST', this.path(`/${command}`), body, [200], this.key());
    return (this.stage = stageOf(answer.body) ?? this.stage);
  }

  /** A command the stage does not allow: the API must refuse it with 409 and name what is allowed. */
  async showRefusal(): Promise<void> {
    const answer = await this.api.call('POST', this.path('/close'), { rep: this.rng.pick(reps), outcome: 'won' }, [409], this.key());
    const allowed = get(get(get(answer.body, 'error'), 'details'), 'allowed');
    if (!Array.isArray(allowed)) this.api.fail('POST /v1/leads/…/close answered 409 without error.details.allowed');
    this.api.stats.refusalsShown++;
  }

  async engage(types: string[], daysBack: number): Promise<void> {
    // Oldest first, spread over the last `daysBack` days, each with an id so re-deliveries are dropped.
    const now = Date.now();
    const offsets = types.map(() => this.rng.int(5, daysBack * 24 * 60)).sort((a, b) => b - a);
    const events = types.map((type, k) => ({
      type,
      occurredAt: new Date(now - offsets[k]! * 60_000).toISOString(),
      id: `demo-${this.runId}-${this.index}-e${k}`,
    }));
    // Two deliveries, as a marketing-automation sync would send them.
    const cut = Math.max(1, Math.floor(events.length / 2));
    for (const batch of [events.slice(0, cut), events.slice(cut)]) {
      if (batch.length === 0) continue;
      await this.api.call('POST', this.path('/engagements'), { events: batch }, [202, 200], this.key());
    }
  }

  /** Engagement is processed asynchronously by the lead: wait until it shows `stage` (or give up). */
  async waitForStage(stage: LeadStage, timeoutMs = 30_000): Promise<LeadStage | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (let wait = 250; ; wait = Math.min(2000, wait * 2)) {
      await sleep(wait);
      this.stage = await this.read();
      if (this.stage === stage || Date.now() > deadline) return this.stage;
    }
  }

  /**
   * The lead's stage as the lead workflow itself has it (`?consistent=true`): the read model may show a
   * new stage a moment before the workflow accepts commands for it, and a rep acting on that gets a 409.
   */
  async read(): Promise<LeadStage | undefined> {
    const { status, body } = await this.api.call('GET', this.path('?consistent=true'), undefined, [200, 404]);
    return status === 200 ? stageOf(body) : this.stage;
  }

  get id(): string {
    return this.leadId;
  }
}

/** Engagement types that take a lead captured by a `formType` form past the threshold, within the per-type caps. */
function nurtureEvents(rng: Rng, formType: string): string[] {
  const byType: Record<string, number> = { [formType]: engagementPoints(formType, 0, policy) };
  const events: string[] = [];
  let score = byType[formType]!;
  const target = policy.engagement.threshold + rng.int(2, 12);
  const kinds: readonly (readonly [string, number])[] = [['email_click', 4], ['pricing_page_view', 3], ['content_download', 2], ['webinar_attended', 1]];
  while (score < target && events.length < 40) {
    const type = rng.weighted(kinds);
    const points = engagementPoints(type, byType[type] ?? 0, policy);
    if (points <= 0) continue;
    byType[type] = (byType[type] ?? 0) + points;
    score += points;
    events.push(type);
  }
  return events;
}

async function runJourney(api: Api, journey: Journey, opts: Options, index: number): Promise<LeadOutcome> {
  const rng = new Rng(opts.seed, 'lead', index);
  const people = new People(opts.runId, index, rng);
  const lead = new LeadRun(api, opts.runId, index, rng);
  const rep = reps[index % reps.length]!;
  const done = (stage: LeadStage | undefined, recheck = false): LeadOutcome => ({
    journey,
    stage: stage ?? 'error',
    ...(recheck ? { recheck: lead.id } : {}),
  });
  /** Stop the journey when the lead is not where the journey needs it; the summary shows the mismatch. */
  const at = (stage: LeadStage | undefined, wanted: LeadStage): boolean => stage === wanted;

  const handRaiser = () => people.goodFit(rng.weighted([['demo_request', 3], ['contact_sales', 1]]));

  switch (journey) {
    case 'won':
    case 'lost_not_now':
    case 'lost_to_competitor':
    case 'bant_gap':
    case 'open_sql': {
      let stage = await lead.submit(handRaiser());
      if (!at(stage, 'mql')) return done(stage);
      stage = await lead.decide('accept', { rep });
      if (!at(stage, 'sal')) return done(stage);
      if (journey === 'bant_gap') {
        const gaps = rng.pick([['budget'], ['timeline'], ['authority'], ['budget', 'timeline'], ['need']]);
        const bant = Object.fromEntries(['budget', 'authority', 'need', 'timeline'].map((c) => [c, !gaps.includes(c)]));
        return done(await lead.decide('qualify', { rep, ...bant }));
      }
      stage = await lead.decide('qualify', { rep, budget: true, authority: true, need: true, timeline: true });
      if (!at(stage, 'sql') || journey === 'open_sql') return done(stage);
      if (journey === 'won') return done(await lead.decide('close', { rep, outcome: 'won' }));
      const reason = journey === 'lost_not_now' ? 'not_now' : rng.pick(['chose_competitor', 'went_with_incumbent']);
      return done(await lead.decide('close', { rep, outcome: 'lost', reason }));
    }
    case 'open_mql': {
      const stage = await lead.submit(handRaiser());
      if (at(stage, 'mql') && rng.chance(0.3)) await lead.showRefusal(); // close is not allowed on an MQL
      return done(stage); // left open: the 24 h SLA runs, reminder at 18 h
    }
    case 'open_sal': {
      const stage = await lead.submit(handRaiser());
      if (!at(stage, 'mql')) return done(stage);
      return done(await lead.decide('accept', { rep })); // left open: the 5-day SAL SLA runs
    }
    case 'nurtured_to_mql':
    case 'nurtured_then_accepted': {
      const formType = rng.pick(['content_download', 'webinar', 'content_download']);
      const fill = people.goodFit(formType, ['manager', 'director', 'vp', 'individual_contributor']);
      let stage = await lead.submit(fill);
      if (!at(stage, 'inquiry')) return done(stage);
      await lead.engage(nurtureEvents(rng, formType), 14);
      stage = await lead.waitForStage('mql');
      if (!at(stage, 'mql') || journey === 'nurtured_to_mql') return done(stage);
      return done(await lead.decide('accept', { rep }));
    }
    case 'student': {
      const formType = rng.pick(['content_download', 'webinar']);
      const stage = await lead.submit(people.student(formType));
      // Plenty of engagement, and still no MQL: fit is the other axis.
      if (at(stage, 'inquiry')) await lead.engage(nurtureEvents(rng, formType), 30);
      return done(stage, true);
    }
    case 'newsletter':
      return done(await lead.submit(people.subscriber()));
    case 'spam': {
      const stage = await lead.submit(people.spammer());
      if (!at(stage, 'inquiry')) return done(stage);
      return done(await lead.decide('disqualify', { by: manager, reason: 'spam' }));
    }
    default: {
      const reason = journey.slice('rejected_'.length) as RejectReason;
      const stage = await lead.submit(handRaiser());
      if (!at(stage, 'mql')) return done(stage);
      return done(await lead.decide('reject', { rep, reason, note: rejectNotes[reason] }));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Progress (stderr): a bar on a terminal, a line now and then otherwise.

class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private lastLineAt = 0;
  private lastLineDone = -1;
  done = 0;

  constructor(
    private readonly total: number,
    private readonly stats: Stats,
  ) {}

  start(): void {
    if (this.tty) process.stderr.write('\x1b[?25l');
    this.timer = setInterval(() => this.render(false), this.tty ? 100 : 1000);
    this.render(false);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.render(true);
    if (this.tty) process.stderr.write('\n\x1b[?25h');
  }

  restoreCursor(): void {
    if (this.tty) process.stderr.write('\x1b[?25h');
  }

  private render(final: boolean): void {
    const elapsed = (Date.now() - this.started) / 1000;
    const rate = elapsed > 0 ? this.done / elapsed : 0;
    const eta = rate > 0 ? Math.ceil((this.total - this.done) / rate) : undefined;
    const pct = Math.floor((100 * this.done) / this.total);
    const s = this.stats;
    const counters = `${s.requests} req  ${s.failed} failed${s.throttled ? `  ${s.throttled} throttled` : ''}  ${rate.toFixed(1)} leads/s`;
    if (this.tty) {
      const tail = final ? `${elapsed.toFixed(1)} s` : `ETA ${eta === undefined ? '?' : `${eta}s`}`;
      const text = ` ${this.done}/${this.total} ${String(pct).padStart(3)}%  ${counters}  ${tail}`;
      const columns = process.stderr.columns ?? 80;
      const width = Math.max(10, Math.min(40, columns - text.length - 6));
      const filled = Math.round((width * this.done) / this.total);
      const line = `  [${'#'.repeat(filled)}${'-'.repeat(width - filled)}]${text}`;
      // Never wider than the terminal, or \r would no longer return to the start of the bar.
      process.stderr.write(`\r\x1b[2K${line.slice(0, columns - 1)}`);
      return;
    }
    // Not a terminal (CI, a pipe): a line per 10 % or every 10 s, and the last one.
    const step = Math.max(1, Math.ceil(this.total / 10));
    const due = final || Math.floor(this.done / step) > Math.floor(this.lastLineDone / step) || Date.now() - this.lastLineAt > 10_000;
    if (!due || (this.done === this.lastLineDone && !final)) return;
    this.lastLineAt = Date.now();
    this.lastLineDone = this.done;
    process.stderr.write(`demo: ${this.done}/${this.total} leads (${pct}%)  ${counters}  ${elapsed.toFixed(0)} s\n`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Main

async function checkHealth(apiUrl: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(5000) });
  } catch (err) {
    throw new UsageError(`Leadflow API at ${apiUrl} is not reachable (${describeFetchError(err)}): start Leadflow first with npm start`);
  }
  if (!res.ok) {
    const detail = errorText(parseJson(await res.text()));
    throw new UsageError(
      `Leadflow API at ${apiUrl} is not healthy (GET /healthz answered ${res.status}${detail ? `: ${detail}` : ''}): start Leadflow first with npm start, or check its log`,
    );
  }
  // /healthz says the process is up; /readyz (when the API has it) that Temporal and the database answer.
  const ready = await fetch(`${apiUrl}/readyz`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  if (ready && ready.status === 503) {
    const detail = errorText(parseJson(await ready.text()));
    throw new UsageError(`Leadflow API at ${apiUrl} is up but not ready${detail ? ` (${detail})` : ''}: check that Temporal and the database are running`);
  }
}

async function main(): Promise<number> {
  const opts = readOptions(process.argv.slice(2));
  await checkHealth(opts.apiUrl);
  const key = resolveApiKey();
  const stats: Stats = { requests: 0, failed: 0, retries: 0, throttled: 0, refusalsShown: 0, byStatus: new Map(), errors: [] };
  const api = new Api(opts.apiUrl, key, stats);
  const plan = planJourneys(opts.leads, opts.seed);
  const outcomes: LeadOutcome[] = new Array<LeadOutcome>(plan.length);
  const progress = new Progress(plan.length, stats);
  let fatal: FatalError | undefined;
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    api.stopped = true;
    progress.restoreCursor();
    process.stderr.write('\ndemo: interrupted, finishing the summary (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', onSigint);

  console.error(`Leadflow demo: ${plan.length} leads, ${opts.concurrency} at a time, against ${opts.apiUrl} (run ${opts.runId}, seed ${opts.seed})`);
  const started = Date.now();
  progress.start();
  let next = 0;
  const worker = async () => {
    while (!api.stopped && next < plan.length) {
      const i = next++;
      const journey = plan[i]!;
      try {
        outcomes[i] = await runJourney(api, journey, opts, i);
      } catch (err) {
        if (err instanceof FatalError) {
          if (!fatal && err.message !== 'stopped') fatal = err;
          api.stopped = true;
        } else if (!(err instanceof RequestFailed)) {
          stats.errors.push(`lead ${i} (${journey}): ${err instanceof Error ? err.message : String(err)}`);
        }
        outcomes[i] = { journey, stage: 'error' };
      }
      progress.done++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, plan.length) }, worker));

  // Students got engagement after their form: read where they ended up once the leads processed it.
  const recheck = outcomes.filter((o): o is LeadOutcome & { recheck: string } => o?.recheck !== undefined && o.stage !== 'error');
  if (!api.stopped && recheck.length > 0) {
    await sleep(1000);
    let k = 0;
    const reader = async () => {
      while (!api.stopped && k < recheck.length) {
        const o = recheck[k++]!;
        try {
          const { status, body } = await api.call('GET', `/v1/leads/${encodeURIComponent(o.recheck)}?consistent=true`, undefined, [200, 404]);
          if (status === 200) o.stage = stageOf(body) ?? o.stage;
        } catch (err) {
          if (err instanceof FatalError && !fatal && err.message !== 'stopped') fatal = err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency, recheck.length) }, reader));
  }
  progress.stop();
  process.off('SIGINT', onSigint);

  if (fatal) {
    console.error(`demo: ${fatal.message}`);
    return 1;
  }
  printSummary(opts, plan.length, outcomes, stats, (Date.now() - started) / 1000);
  if (interrupted) return 130;
  const failedShare = stats.requests === 0 ? 0 : stats.failed / stats.requests;
  if (failedShare > 0.01) {
    console.error(`\ndemo: ${stats.failed} of ${stats.requests} requests failed (${(failedShare * 100).toFixed(1)} %, more than 1 %)`);
    return 1;
  }
  return 0;
}

function printSummary(opts: Options, total: number, outcomes: (LeadOutcome | undefined)[], stats: Stats, seconds: number): void {
  const finished = outcomes.filter((o): o is LeadOutcome => o !== undefined);
  const out: string[] = [];
  const num = (n: number) => n.toLocaleString('en-US');
  out.push('');
  out.push(`Leadflow demo, run ${opts.runId} (seed ${opts.seed}) against ${opts.apiUrl}`);
  out.push(
    `${num(finished.length)} of ${num(total)} leads in ${seconds.toFixed(1)} s (${(finished.length / Math.max(seconds, 0.001)).toFixed(1)} leads/s), ` +
      `${num(stats.requests)} requests: ${num(stats.failed)} failed, ${num(stats.retries)} retries (${num(stats.throttled)} after 429), ` +
      `${num(stats.refusalsShown)} refused commands shown (409)`,
  );

  const byStage = new Map<string, number>();
  for (const o of finished) byStage.set(o.stage, (byStage.get(o.stage) ?? 0) + 1);
  out.push('');
  out.push(table(['final stage', 'leads', 'share'], [...leadStages, 'error' as const].map((s) => {
    const n = byStage.get(s) ?? 0;
    return [s, num(n), `${finished.length ? ((100 * n) / finished.length).toFixed(1) : '0.0'} %`];
  })));

  out.push('');
  const rows = journeyNames
    .map((j) => {
      const mine = finished.filter((o) => o.journey === j);
      const expected = expectedStage(j);
      const elsewhere = new Map<string, number>();
      for (const o of mine) if (o.stage !== expected) elsewhere.set(o.stage, (elsewhere.get(o.stage) ?? 0) + 1);
      const note = [...elsewhere].map(([s, n]) => `${n} ${s}`).join(', ');
      return [j, num(mine.length), expected, num(mine.length - [...elsewhere.values()].reduce((a, b) => a + b, 0)), note];
    })
    .filter((r) => r[1] !== '0');
  out.push(table(['journey', 'leads', 'expected', 'as expected', 'elsewhere'], rows));

  const statuses = [...stats.byStatus].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}: ${num(n)}`);
  out.push('');
  out.push(`HTTP statuses: ${statuses.join(', ') || 'none'}`);
  if (stats.errors.length > 0) {
    out.push(`Errors (${stats.errors.length}${stats.errors.length > 10 ? ', first 10' : ''}):`);
    for (const e of stats.errors.slice(0, 10)) out.push(`  - ${e}`);
  } else {
    out.push('Errors: none');
  }
  const query = (q: string) => `${opts.uiUrl}/namespaces/${encodeURIComponent(opts.namespace)}/workflows?query=${encodeURIComponent(q)}`;
  out.push('');
  out.push('In the Temporal UI:');
  const links: [string, string][] = [
    ['open MQLs, 24 h SLA running', "LeadStage = 'mql'"],
    ['open SALs, 5-day SLA running', "LeadStage = 'sal'"],
    [`owned by ${reps[0]}`, `LeadOwner = '${reps[0]}'`],
  ];
  const labelWidth = Math.max(...links.map(([label]) => label.length));
  for (const [label, q] of links) out.push(`  ${label.padEnd(labelWidth)}  ${query(q)}`);
  console.log(out.join('\n'));
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const numeric = (c: number) => rows.every((r) => /^[\d,.]+( %)?$/.test(r[c] ?? '') || r[c] === '');
  const fmt = (cells: string[]) =>
    '  ' +
    cells
      .map((cell, c) => (numeric(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (process.stderr.isTTY) process.stderr.write('\x1b[?25h');
    console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
