import { existsSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import type { z } from 'zod';
import type { ApiKey } from '../../api/auth';
import type { LeadHistory } from '../../api/schemas';
import type {
  CalibrationReport,
  FunnelReport,
  RecyclingReport,
  RejectionsReport,
  SlaReport,
  VelocityReport,
} from '../../db/reports.repository';
import { eventually, mqlForm, startApiTestbed, testKeys, type ApiTestbed } from '../support/api-app';

// The reports dashboard (GET /dashboard) in real headless Chromium, over real HTTP: a Temporal dev
// server, a real worker projecting into PostgreSQL, and the app listening on a random port. A dozen
// leads are seeded through the public API; the test then reads what each panel shows (the tables and
// the data-values of the Chart.js canvases) and compares it with the seeded scenario and with the
// report endpoints' own JSON. Chromium is Debian's (`apt-get install chromium`; .ci/run installs it):
// without it this suite fails, it is never skipped.

const CHROMIUM = process.env.LEADFLOW_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
const SCREENSHOT = path.resolve(__dirname, '../../test-results/dashboard.png');
const HOUR = 3_600_000;

let t: ApiTestbed;
let server: Server;
let base: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Console errors, page errors, failed requests and HTTP errors seen by any page of the suite. */
const problems: string[] = [];

/** The seeded leads, by role. */
const lead = {
  openMqls: [] as string[],
  rejected: [] as string[],
  sal: '',
  won: '',
  inquiries: [] as string[],
};

interface Reports {
  funnel: FunnelReport;
  sla: SlaReport;
  velocity: VelocityReport;
  rejections: RejectionsReport;
  calibration: CalibrationReport;
  recycling: RecyclingReport;
}

/**
 * The bits of the page's DOM and globals the assertions read (the test is compiled without the DOM lib).
 * Functions passed to evaluate() run in the browser: they may use these types, never the test's helpers.
 */
interface DomElement {
  dataset: Record<string, string | undefined>;
  classList: { contains(name: string): boolean };
  style: { backgroundColor: string };
}
interface PageGlobals {
  Chart?: { getChart(canvas: unknown): { config: { type: string }; data: { labels: unknown[]; datasets: { data: unknown[] }[] } } | undefined };
  document: { querySelector(selector: string): unknown };
  sessionStorage: { getItem(key: string): string | null };
  getComputedStyle(element: unknown): { backgroundColor: string };
}

interface ChartValues {
  labels: unknown[];
  datasets: { label: string; data: unknown[] }[];
}

// ---------------------------------------------------------------------------------------------------------
// Real HTTP against the listening app

async function http<T>(method: 'GET' | 'POST', urlPath: string, key: ApiKey, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${urlPath}`, {
    method,
    headers: { Authorization: `Bearer ${key.secret}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`${method} ${urlPath} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

const getLead = (leadId: string) => http<{ lead: { owner: string | null; stage: string } }>('GET', `/v1/leads/${leadId}`, testKeys.read);
const report = <K extends keyof Reports>(name: K) => http<Reports[K]>('GET', `/v1/reports/${name}`, testKeys.read);
const history = (leadId: string) => http<z.infer<typeof LeadHistory>>('GET', `/v1/leads/${leadId}/history`, testKeys.read);

/** A demo request from a good-fit person: an MQL at once; resolves once its owner is assigned. */
async function newMql(email: string, channel: string): Promise<{ leadId: string; owner: string }> {
  const res = await http<{ leadId: string; stage: string }>(
    'POST',
    '/v1/leads',
    testKeys.intake,
    mqlForm(email, { source: { channel, campaign: 'dashboard-tests' } }),
  );
  expect(res.stage).toBe('mql');
  const view = await eventually(() => getLead(res.leadId), (b) => b.lead.owner !== null);
  return { leadId: res.leadId, owner: view.lead.owner! };
}

const decide = (leadId: string, decision: string, body: object) => http('POST', `/v1/leads/${leadId}/${decision}`, testKeys.sales, body);

/**
 * 12 leads: 4 open MQLs (paid_search; the first created is the nearest to its 24 h SLA breach), 4 MQLs
 * rejected (webinar: not_a_fit ×2 and competitor disqualify, not_ready recycles), 1 accepted and left
 * as a SAL and 1 won (linkedin), and 2 newsletter inquiries (organic).
 */
async function seed(): Promise<void> {
  lead.openMqls.push((await newMql('open-0@dashboard.example', 'paid_search')).leadId);
  // All new MQLs are due 24 h after they qualified: a second between them makes the order plain.
  await new Promise((r) => setTimeout(r, 1_100));
  for (let i = 1; i < 4; i++) lead.openMqls.push((await newMql(`open-${i}@dashboard.example`, 'paid_search')).leadId);

  for (const [i, reason] of (['not_a_fit', 'not_a_fit', 'not_ready', 'competitor'] as const).entries()) {
    const { leadId, owner } = await newMql(`rejected-${i}@dashboard.example`, 'webinar');
    await decide(leadId, 'reject', { rep: owner, reason, note: `seeded ${reason}` });
    lead.rejected.push(leadId);
  }

  const sal = await newMql('accepted@dashboard.example', 'linkedin');
  await decide(sal.leadId, 'accept', { rep: sal.owner });
  lead.sal = sal.leadId;

  const won = await newMql('won@dashboard.example', 'linkedin');
  await decide(won.leadId, 'accept', { rep: won.owner });
  await decide(won.leadId, 'qualify', { rep: won.owner, budget: true, authority: true, need: true, timeline: true });
  await decide(won.leadId, 'close', { rep: won.owner, outcome: 'won' });
  lead.won = won.leadId;

  for (let i = 0; i < 2; i++) {
    const res = await http<{ leadId: string; stage: string }>('POST', '/v1/leads', testKeys.intake, {
      email: `newsletter-${i}@dashboard.example`,
      formType: 'newsletter',
      source: { channel: 'organic', campaign: 'monthly-newsletter' },
    });
    expect(res.stage).toBe('inquiry');
    lead.inquiries.push(res.leadId);
  }
  await eventually(() => getLead(lead.won), (b) => b.lead.stage === 'won');
}

// ---------------------------------------------------------------------------------------------------------
// The browser

async function newPage(options: Parameters<Browser['newContext']>[0] = {}): Promise<{ context: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC', ...options });
  const p = await ctx.newPage();
  p.setDefaultTimeout(15_000);
  p.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  p.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  p.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`));
  p.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  return { context: ctx, page: p };
}

/** The overview has loaded every report. */
async function overviewReady(p: Page): Promise<void> {
  await p.waitForSelector('[data-testid="overview"][data-state="ready"]', { timeout: 30_000 });
}

/** What the Chart.js chart on the canvas actually plots (null when there is no chart). */
function plotted(p: Page, canvasTestId: string): Promise<{ type: string; labels: unknown[]; data: unknown[][] } | null> {
  return p.evaluate((testId) => {
    const g = globalThis as unknown as PageGlobals;
    const chart = g.Chart?.getChart(g.document.querySelector(`canvas[data-testid="${testId}"]`));
    return chart ? { type: chart.config.type, labels: chart.data.labels, data: chart.data.datasets.map((d) => d.data) } : null;
  }, canvasTestId);
}

async function dataValues(p: Page, canvasTestId: string): Promise<ChartValues> {
  return JSON.parse((await p.getByTestId(canvasTestId).getAttribute('data-values')) ?? 'null') as ChartValues;
}

/** A cell of a dashboard table: its raw number (data-value) and its text. */
function cell(p: Page, table: string, row: string, col: string): Locator {
  return p.locator(`[data-testid="${table}"] tr[data-row="${row}"] [data-col="${col}"]`);
}
async function cellNumber(p: Page, table: string, row: string, col: string): Promise<number> {
  const raw = await cell(p, table, row, col).getAttribute('data-value');
  return raw === null ? NaN : Number(raw);
}
async function rowKeys(p: Page, table: string): Promise<string[]> {
  return p.locator(`[data-testid="${table}"] tbody tr`).evaluateAll((rows) => (rows as unknown as DomElement[]).map((r) => r.dataset.row ?? ''));
}

// ---------------------------------------------------------------------------------------------------------

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the dashboard tests need a real browser. Install Debian's ` +
        '(`apt-get update && apt-get install -y chromium`; .ci/run does this), or point LEADFLOW_CHROMIUM at one.',
    );
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  t = await startApiTestbed();
  server = await new Promise<Server>((resolve, reject) => {
    const s = t.app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await seed();
  ({ context, page } = await newPage());
}, 240_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  if (server) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await t?.close();
});

test('/dashboard and its assets are served without a key, under a strict Content-Security-Policy', async () => {
  const html = await fetch(`${base}/dashboard`);
  expect(html.status).toBe(200);
  expect(html.headers.get('content-type')).toMatch(/^text\/html/);
  expect(html.headers.get('content-security-policy')).toContain("script-src 'self'");
  expect(await html.text()).toContain('data-testid="sla-board"');
  for (const [asset, type] of [
    ['chart.umd.js', /javascript/],
    ['dashboard.js', /javascript/],
    ['dashboard.css', /text\/css/],
  ] as const) {
    const res = await fetch(`${base}/dashboard/assets/${asset}`);
    expect({ asset, status: res.status }).toEqual({ asset, status: 200 });
    expect(res.headers.get('content-type')).toMatch(type);
  }
  // Those files only: nothing else of the folder or of the chart.js package.
  for (const other of ['index.html', 'chart.js', '../dashboard.routes.ts']) {
    expect({ other, status: (await fetch(`${base}/dashboard/assets/${other}`)).status }).toEqual({ other, status: 404 });
  }
  // The data is not: the reports still need the read scope.
  expect((await fetch(`${base}/v1/reports/funnel`)).status).toBe(401);
});

test('without a key the page asks for one, keeps it in sessionStorage and loads every report', async () => {
  await page.goto(`${base}/dashboard`);
  await page.getByTestId('auth-form').waitFor();
  expect(await page.getByTestId('overview').isHidden()).toBe(true);
  await page.getByLabel('API key', { exact: true }).fill(testKeys.read.secret);
  await page.getByRole('button', { name: 'Show reports' }).click();
  await overviewReady(page);
  expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.getItem('leadflow.apiKey'))).toBe(testKeys.read.secret);
  expect(await page.getByTestId('auth').isHidden()).toBe(true);
  // Every panel loaded (no error shown), and the period is the report's default (last 90 days).
  expect(await page.locator('[data-error]').allTextContents()).toEqual(Array(7).fill(''));
  const funnel = await report('funnel');
  expect(await page.getByTestId('period-line').getAttribute('data-to')).toBe(funnel.period.to);
});

test('funnel: a Chart.js bar chart of the seeded leads reaching each stage, with conversions and a by-source view', async () => {
  const api = await report('funnel');
  const expected = { inquiry: 12, mql: 10, sal: 2, sql: 1, won: 1 };
  expect(api.totals.reached).toEqual(expected);
  expect(api.totals).toMatchObject({ disqualified: 3, recycled: 1 });

  for (const [stage, count] of Object.entries(expected)) {
    expect({ stage, reached: await cellNumber(page, 'funnel-table', stage, 'reached') }).toEqual({ stage, reached: count });
  }
  expect(await cellNumber(page, 'funnel-table', 'mql', 'conversion')).toBe(api.totals.conversion.inquiry_to_mql);
  expect(await cell(page, 'funnel-table', 'mql', 'conversion').textContent()).toBe('83.3 %'); // 10 of 12
  expect(await cell(page, 'funnel-table', 'sal', 'conversion').textContent()).toBe('20 %'); // 2 of 10
  expect(await page.locator('#funnel-note').getAttribute('data-disqualified')).toBe('3');
  expect(await page.locator('#funnel-note').getAttribute('data-recycled')).toBe('1');

  const values = await dataValues(page, 'funnel-chart');
  expect(values.labels).toEqual(['inquiry', 'mql', 'sal', 'sql', 'won']);
  expect(values.datasets[0]!.data).toEqual([12, 10, 2, 1, 1]);
  const chart = await plotted(page, 'funnel-chart');
  expect(chart).toMatchObject({ type: 'bar', data: [[12, 10, 2, 1, 1]] });
  expect(chart!.labels[1]).toEqual(['MQL', '83.3 % conv.']);

  // By source: one bar series and one table row per channel.
  await page.getByTestId('funnel-toggle-source').click();
  await page.getByTestId('funnel-source-table').waitFor();
  expect(await page.getByTestId('funnel-toggle-source').getAttribute('aria-pressed')).toBe('true');
  const bySource: Record<string, Record<string, number>> = {
    paid_search: { inquiry: 4, mql: 4, sal: 0, sql: 0, won: 0 },
    webinar: { inquiry: 4, mql: 4, sal: 0, sql: 0, won: 0 },
    linkedin: { inquiry: 2, mql: 2, sal: 2, sql: 1, won: 1 },
    organic: { inquiry: 2, mql: 0, sal: 0, sql: 0, won: 0 },
  };
  expect(Object.fromEntries(api.bySource.map((s) => [s.channel, s.reached]))).toEqual(bySource);
  expect((await rowKeys(page, 'funnel-source-table')).sort()).toEqual(Object.keys(bySource).sort());
  for (const [channel, reached] of Object.entries(bySource)) {
    for (const [stage, count] of Object.entries(reached)) {
      expect({ channel, stage, n: await cellNumber(page, 'funnel-source-table', channel, stage) }).toEqual({ channel, stage, n: count });
    }
  }
  const sourceChart = await plotted(page, 'funnel-chart');
  expect(sourceChart!.data).toHaveLength(4);
  await page.getByTestId('funnel-toggle-total').click();
  await page.getByTestId('funnel-table').waitFor();
});

test('SLA board: the open MQLs and the SAL, nearest breach first, with a live countdown', async () => {
  const api = await report('sla');
  expect(api.mql).toMatchObject({ decided: 6, withinSla: 6, withinSlaShare: 1, breaches: 0, reassignments: 0, handedBack: 0 });
  expect(api.openPastDue).toEqual([]);
  const expectedOrder = [...lead.openMqls, lead.sal];
  expect(api.openBySla.map((r) => r.leadId)).toEqual(expectedOrder);

  const rows = page.getByTestId('sla-row');
  expect(await rows.evaluateAll((els) => (els as unknown as DomElement[]).map((e) => e.dataset.leadId))).toEqual(expectedOrder);
  // The first row is the lead created first: its 24 h window ends first.
  const first = rows.first();
  expect(await first.getAttribute('data-lead-id')).toBe(lead.openMqls[0]);
  expect(await first.locator('[data-col="stage"]').textContent()).toBe('MQL');
  expect(await rows.last().locator('[data-col="stage"]').textContent()).toBe('SAL');
  expect(await rows.evaluateAll((els) => (els as unknown as DomElement[]).map((e) => e.dataset.breached))).toEqual(Array(5).fill('false'));
  expect(await page.getByTestId('sla-decided').locator('dd').textContent()).toBe('6');
  expect(await page.getByTestId('sla-within').locator('dd').textContent()).toBe('6 (100 %)');

  const countdown = first.locator('[data-col="timeLeft"]');
  const before = await countdown.textContent();
  expect(before).toMatch(/^2[34]h \d\dm \d\ds$/);
  await page.waitForTimeout(1_200);
  expect(await countdown.textContent()).not.toBe(before);
  expect(await rows.last().locator('[data-col="timeLeft"]').textContent()).toMatch(/^[45]d \d\dh \d\dm \d\ds$/);
});

test('rejection reasons: Chart.js bars and stacked bars over time, with the seeded counts', async () => {
  const api = await report('rejections');
  expect(api.reasons).toEqual([
    { reason: 'not_a_fit', count: 2, share: 0.5 },
    { reason: 'competitor', count: 1, share: 0.25 },
    { reason: 'not_ready', count: 1, share: 0.25 },
  ]);
  expect(await rowKeys(page, 'rejections-table')).toEqual(['not_a_fit', 'competitor', 'not_ready']);
  expect(await cellNumber(page, 'rejections-table', 'not_a_fit', 'count')).toBe(2);
  expect(await cell(page, 'rejections-table', 'not_a_fit', 'share').textContent()).toBe('50 %');
  expect(await cellNumber(page, 'rejections-table', 'not_ready', 'count')).toBe(1);
  expect(await cellNumber(page, 'rejections-table', 'competitor', 'count')).toBe(1);

  expect(await dataValues(page, 'rejections-chart')).toEqual({
    labels: ['not_a_fit', 'competitor', 'not_ready'],
    datasets: [{ label: 'Rejections', data: [2, 1, 1] }],
  });
  expect(await plotted(page, 'rejections-chart')).toMatchObject({ type: 'bar', data: [[2, 1, 1]] });

  // Over time: one bucket (this week), a stacked series per reason.
  const overTime = await dataValues(page, 'rejections-over-time-chart');
  expect(overTime.labels).toEqual([...new Set(api.overTime.map((o) => o.bucket))]);
  expect(overTime.labels).toHaveLength(1);
  expect(Object.fromEntries(overTime.datasets.map((d) => [d.label, d.data]))).toEqual({ not_a_fit: [2], competitor: [1], not_ready: [1] });
  expect((await plotted(page, 'rejections-over-time-chart'))!.data).toHaveLength(3);
  expect(await page.getByTestId('rejections-by-rep-table').locator('tbody tr').count()).toBe(api.byRep.length);
});

test('velocity: median and p90 hours per stage as a Chart.js chart, with the stays the seed produced', async () => {
  const api = await report('velocity');
  // Stays that ended: 10 inquiries that qualified at once, 6 MQLs decided, the won lead's SAL and SQL.
  expect(Object.fromEntries(api.stages.map((s) => [s.stage, s.leads]))).toEqual({ inquiry: 10, mql: 6, sal: 1, sql: 1 });
  for (const s of api.stages) {
    expect({ stage: s.stage, leads: await cellNumber(page, 'velocity-table', s.stage, 'leads') }).toEqual({ stage: s.stage, leads: s.leads });
  }
  const values = await dataValues(page, 'velocity-chart');
  expect(values.labels).toEqual(['inquiry', 'mql', 'sal', 'sql']);
  expect(values.datasets).toEqual([
    { label: 'medianHours', data: api.stages.map((s) => s.medianHours) },
    { label: 'p90Hours', data: api.stages.map((s) => s.p90Hours) },
  ]);
  expect(await plotted(page, 'velocity-chart')).toMatchObject({
    type: 'bar',
    data: [api.stages.map((s) => s.medianHours), api.stages.map((s) => s.p90Hours)],
  });
});

test('calibration heat map: 25 cells coloured by acceptance rate, holding the 10 MQLs', async () => {
  const api = await report('calibration');
  const cells = await page
    .getByTestId('calibration-cell')
    .evaluateAll((els) =>
      (els as unknown as DomElement[]).map(({ dataset: d, style }) => ({
        fit: d.fit,
        engagement: d.engagement,
        mqls: d.mqls,
        accepted: d.accepted,
        won: d.won,
        background: style.backgroundColor,
      })),
    );
  expect(cells).toHaveLength(25);
  const sum = (key: 'mqls' | 'accepted' | 'won') => cells.reduce((n, c) => n + Number(c[key]), 0);
  expect({ mqls: sum('mqls'), accepted: sum('accepted'), won: sum('won') }).toEqual({ mqls: 10, accepted: 2, won: 1 });
  for (const c of api.cells) {
    const shown = cells.find((x) => x.fit === c.fitBand && x.engagement === c.engagementBand)!;
    expect({ fit: c.fitBand, engagement: c.engagementBand, mqls: Number(shown.mqls), accepted: Number(shown.accepted) }).toEqual({
      fit: c.fitBand,
      engagement: c.engagementBand,
      mqls: c.mqls,
      accepted: c.accepted,
    });
    // Cells with MQLs are shaded, empty ones are not.
    expect({ cell: `${c.fitBand}/${c.engagementBand}`, shaded: shown.background !== '' }).toEqual({ cell: `${c.fitBand}/${c.engagementBand}`, shaded: c.mqls > 0 });
  }
  expect(await page.getByTestId('calibration-thresholds').locator('dd').textContent()).toBe(
    `fit ${api.thresholds.fit} · engagement ${api.thresholds.engagement}`,
  );
});

test('recycling summary: the one lead recycled (not_ready), not yet qualified again', async () => {
  const api = await report('recycling');
  expect(api).toMatchObject({ recycled: 1, requalified: 0, byReason: [{ reason: 'not_ready', recycled: 1, requalified: 0 }] });
  expect(await page.getByTestId('recycling-recycled').locator('dd').textContent()).toBe('1');
  expect(await cellNumber(page, 'recycling-table', 'not_ready', 'recycled')).toBe(1);
  expect(await cellNumber(page, 'recycling-table', 'not_ready', 'requalified')).toBe(0);
  const recycledLead = lead.rejected[2]!; // the not_ready rejection
  expect(await page.locator(`[data-testid="recycling-leads-table"] a[href="#lead=${recycledLead}"]`).count()).toBe(1);
});

test('clicking a lead on the SLA board opens its timeline, with a link to its workflow in the Temporal UI', async () => {
  const target = lead.openMqls[0]!;
  await page.getByTestId('sla-row').first().locator('[data-col="owner"]').click();
  await page.waitForSelector(`[data-testid="lead-page"][data-state="ready"][data-lead-id="${target}"]`);
  expect(new URL(page.url()).hash).toBe(`#lead=${target}`);
  expect(await page.getByTestId('overview').isHidden()).toBe(true);

  const types = (await history(target)).events.map((e) => e.type);
  expect(types).toEqual(['LeadCaptured', 'FormFilled', 'LeadBecameMql', 'LeadAssigned']);
  const events = page.getByTestId('timeline-event');
  expect(await events.evaluateAll((els) => (els as unknown as DomElement[]).map((e) => e.dataset.type))).toEqual(types);
  expect(await page.getByTestId('lead-timeline').locator('li').count()).toBe(4);
  expect(await events.nth(3).textContent()).toContain('MQL SLA due');
  expect(await page.getByTestId('lead-stage').locator('dd').textContent()).toBe('MQL');
  expect(await page.getByTestId('temporal-link').getAttribute('href')).toBe(`http://localhost:8233/namespaces/default/workflows/${target}`);

  // The won lead, by its link: the whole journey.
  await page.goto(`${base}/dashboard#lead=${lead.won}`);
  await page.waitForSelector(`[data-testid="lead-page"][data-state="ready"][data-lead-id="${lead.won}"]`);
  const wonTypes = await events.evaluateAll((els) => (els as unknown as DomElement[]).map((e) => e.dataset.type));
  expect(wonTypes).toEqual((await history(lead.won)).events.map((e) => e.type));
  expect(wonTypes).toEqual(expect.arrayContaining(['LeadAccepted', 'LeadQualified', 'LeadWon']));

  await page.getByTestId('back-link').click();
  await overviewReady(page);
  expect(await page.getByTestId('lead-page').isHidden()).toBe(true);
  expect(await page.getByTestId('sla-row').count()).toBe(5);
});

test('#key= signs in from npm start’s link and leaves the address bar; past-due rows turn red', async () => {
  // The browser's clock 25 h ahead: every open MQL (due at +24 h) is past its SLA, the SAL (+5 d) is not.
  const later = await newPage({ reducedMotion: 'reduce' });
  try {
    await later.page.clock.setFixedTime(Date.now() + 25 * HOUR);
    await later.page.goto(`${base}/dashboard#key=${encodeURIComponent(testKeys.read.secret)}`);
    await overviewReady(later.page);
    expect(later.page.url()).toBe(`${base}/dashboard`);
    const rows = later.page.getByTestId('sla-row');
    await later.page.waitForSelector('[data-testid="sla-row"][data-breached="true"]');
    expect(await rows.evaluateAll((els) => (els as unknown as DomElement[]).map((e) => [e.dataset.leadId, e.dataset.breached]))).toEqual([
      ...lead.openMqls.map((id) => [id, 'true']),
      [lead.sal, 'false'],
    ]);
    const first = rows.first();
    expect(await first.evaluate((e) => (e as unknown as DomElement).classList.contains('breached'))).toBe(true);
    expect(await first.evaluate((e) => (globalThis as unknown as PageGlobals).getComputedStyle(e).backgroundColor)).toBe('rgb(253, 236, 234)');
    expect(await first.locator('[data-col="timeLeft"]').textContent()).toMatch(/^\d+h \d\dm \d\ds over$/);
    expect(await first.locator('.breach-flag').textContent()).toBe('Breached');
  } finally {
    await later.context.close();
  }
});

test('the screenshot artefact, and not one console error, page error or failed request in the whole run', async () => {
  await page.waitForTimeout(500); // let the chart animations settle
  mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  expect(existsSync(SCREENSHOT)).toBe(true);
  expect(problems).toEqual([]);
});
