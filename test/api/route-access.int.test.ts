import type { Express } from 'express';
import request from 'supertest';
import type { ApiKey } from '../../api/auth';
import { buildOpenApiDocument } from '../../api/openapi';
import { defaultLeadPolicyInput } from '../../domain/lead-policy';
import { bearer, createTestApp, mqlForm, startApiTestbed, testKeys, type ApiTestbed } from '../support/api-app';
import { testLeadId } from '../support/encryption';

// Who may call what: 401 and 403 on every authenticated route (table-driven, checked against the
// OpenAPI document), the per-key rate limit, and the body limits on every write.

/** The codec server's scope (the Temporal UI's and CLI's calls); the testbed's keys have no such key. */
const codecKey: ApiKey = { id: 'ui-codec', secret: 'codec-secret-0123456789abcdef', scopes: ['codec'] };

let t: ApiTestbed;
/** The testbed's app with the codec key added. */
let app: Express;
let leadId: string;
/** The erasure route erases its lead: it gets one of its own. */
let erasableLeadId: string;
/** A webhook endpoint for the /v1/webhook-endpoints/{id} routes, and one for DELETE to delete. */
let endpointId: string;
let deletableEndpointId: string;

beforeAll(async () => {
  t = await startApiTestbed();
  app = createTestApp({ client: t.env.client, db: t.db, dataKeys: t.keys, keys: [...Object.values(testKeys), codecKey] });
  const res = await request(app).post('/v1/leads').set(bearer(testKeys.intake)).send(mqlForm('access@routes.example'));
  leadId = res.body.leadId;
  const erasable = await request(app).post('/v1/leads').set(bearer(testKeys.intake)).send(mqlForm('erasable@routes.example'));
  erasableLeadId = erasable.body.leadId;
  // Port 9 (discard) is refused at once: the test delivery answers quickly, undelivered.
  const endpoint = { url: 'http://127.0.0.1:9/route-access', eventTypes: ['lead.mql'] };
  endpointId = (await request(app).post('/v1/webhook-endpoints').set(bearer(testKeys.admin)).send(endpoint)).body.id;
  deletableEndpointId = (await request(app).post('/v1/webhook-endpoints').set(bearer(testKeys.admin)).send(endpoint)).body.id;
});
afterAll(async () => {
  await t?.close();
});

type Method = 'get' | 'post' | 'patch' | 'delete';
interface RouteCase {
  method: Method;
  /** As in the OpenAPI document. */
  path: string;
  scope: 'intake' | 'sales' | 'read' | 'codec' | 'manager' | 'admin';
  body?: object;
  /** Above this a body is a 413 (default: the API's 1 MB). */
  bodyLimitMb?: number;
  /** Calls it on the lead of its own (the erasure), not the one the other routes share. */
  ownLead?: true;
  /** Calls it on the webhook endpoint of its own (DELETE), not the one the other routes share. */
  ownEndpoint?: true;
}

const routes: RouteCase[] = [
  { method: 'post', path: '/v1/leads', scope: 'intake', body: { email: 'someone@routes.example' } },
  { method: 'post', path: '/v1/leads/{leadId}/engagements', scope: 'intake', body: { type: 'page_view', occurredAt: '2026-11-22T10:00:00Z' } },
  { method: 'post', path: '/v1/leads/{leadId}/accept', scope: 'sales', body: { rep: 'rep-ada' } },
  { method: 'post', path: '/v1/leads/{leadId}/reject', scope: 'sales', body: { rep: 'rep-ada', reason: 'not_ready' } },
  { method: 'post', path: '/v1/leads/{leadId}/qualify', scope: 'sales', body: { rep: 'rep-ada', budget: true, authority: true, need: true, timeline: true } },
  { method: 'post', path: '/v1/leads/{leadId}/close', scope: 'sales', body: { rep: 'rep-ada', outcome: 'won' } },
  { method: 'post', path: '/v1/leads/{leadId}/disqualify', scope: 'sales', body: { by: 'ops', reason: 'spam' } },
  { method: 'post', path: '/v1/leads/{leadId}/contact-attempts', scope: 'sales', body: { rep: 'rep-ada', channel: 'phone' } },
  { method: 'post', path: '/v1/leads/{leadId}/assign', scope: 'manager', body: { owner: 'rep-grace', by: 'manager-margaret' } },
  { method: 'get', path: '/v1/leads', scope: 'read' },
  { method: 'get', path: '/v1/leads/{leadId}', scope: 'read' },
  { method: 'get', path: '/v1/leads/{leadId}/history', scope: 'read' },
  { method: 'get', path: '/v1/leads/{leadId}/score', scope: 'read' },
  { method: 'get', path: '/v1/events', scope: 'read' },
  { method: 'get', path: '/v1/policy', scope: 'read' },
  { method: 'post', path: '/v1/policy/validate', scope: 'admin', body: defaultLeadPolicyInput },
  { method: 'get', path: '/v1/leads/{leadId}/personal-data', scope: 'admin' },
  { method: 'post', path: '/v1/leads/{leadId}/erasure', scope: 'admin', body: { requestedBy: 'privacy-officer' }, ownLead: true },
  { method: 'get', path: '/metrics', scope: 'read' },
  // Last: it changes the lead (the decisions above do not depend on it).
  { method: 'post', path: '/v1/leads/{leadId}/unsubscribe', scope: 'intake' },
  ...['funnel', 'sla', 'velocity', 'rejections', 'calibration', 'recycling'].map((name): RouteCase => ({ method: 'get', path: `/v1/reports/${name}`, scope: 'read' })),
  { method: 'post', path: '/codec/decode', scope: 'codec', body: { payloads: [] }, bodyLimitMb: 4 },
  { method: 'post', path: '/codec/encode', scope: 'codec', body: { payloads: [] }, bodyLimitMb: 4 },
  { method: 'post', path: '/v1/webhook-endpoints', scope: 'admin', body: { url: 'https://crm.example/hooks/leadflow', eventTypes: ['lead.won'] } },
  { method: 'get', path: '/v1/webhook-endpoints', scope: 'admin' },
  { method: 'get', path: '/v1/webhook-endpoints/{id}', scope: 'admin' },
  { method: 'patch', path: '/v1/webhook-endpoints/{id}', scope: 'admin', body: { description: 'route access' } },
  { method: 'post', path: '/v1/webhook-endpoints/{id}/rotate-secret', scope: 'admin' },
  { method: 'post', path: '/v1/webhook-endpoints/{id}/test', scope: 'admin' },
  { method: 'get', path: '/v1/webhook-endpoints/{id}/deliveries', scope: 'admin' },
  { method: 'post', path: '/v1/webhook-endpoints/{id}/redeliver', scope: 'admin', body: { eventId: `evt_${'0'.repeat(32)}_1` } },
  { method: 'delete', path: '/v1/webhook-endpoints/{id}', scope: 'admin', ownEndpoint: true },
];

const urlOf = (route: RouteCase): string =>
  route.path
    .replace('{leadId}', route.ownLead ? erasableLeadId : leadId)
    .replace('{id}', route.ownEndpoint ? deletableEndpointId : endpointId);

const call = (app: Parameters<typeof request>[0], route: RouteCase, headers: Record<string, string>) => {
  const req = request(app)[route.method](urlOf(route));
  req.set(headers);
  return route.body ? req.send(route.body) : req;
};

test('the table covers every secured operation of the OpenAPI document, with its scope', () => {
  const doc = buildOpenApiDocument();
  const secured = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    (['get', 'post', 'patch', 'delete'] as const)
      .filter((m) => (item[m]?.security ?? []).length > 0)
      .map((m) => `${m} ${path} ${JSON.stringify(item[m]!.security![0])}`),
  );
  expect(secured.sort()).toEqual(routes.map((r) => `${r.method} ${r.path} ${JSON.stringify({ bearerAuth: [r.scope] })}`).sort());
});

const otherScope = { intake: testKeys.read, sales: testKeys.intake, read: testKeys.sales, codec: testKeys.read, manager: testKeys.sales, admin: testKeys.read } as const;
const ownScope = { intake: testKeys.intake, sales: testKeys.sales, read: testKeys.read, codec: codecKey, manager: testKeys.manager, admin: testKeys.admin } as const;

describe.each(routes.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r] as const))('%s', (_name, route) => {
  test('401 without a key, with an unknown key or a malformed header', async () => {
    const variants: Record<string, string>[] = [{}, { Authorization: 'Bearer not-a-real-key-0123456789' }, { Authorization: `Basic ${ownScope[route.scope].secret}` }, { Authorization: 'Bearer' }];
    for (const headers of variants) {
      const res = await call(app, route, headers);
      expect({ headers, status: res.status, code: res.body.error?.code }).toEqual({ headers, status: 401, code: 'unauthorized' });
    }
  });

  test('403 with a key of another scope', async () => {
    const res = await call(app, route, bearer(otherScope[route.scope]));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
  });

  test('passes with its own scope and with admin (and a sales route with manager)', async () => {
    const implied = route.scope === 'sales' ? [testKeys.manager] : [];
    for (const key of [ownScope[route.scope], testKeys.admin, ...implied] as ApiKey[]) {
      const res = await call(app, route, bearer(key));
      expect({ key: key.id, allowed: ![401, 403, 429, 500].includes(res.status) }).toEqual({ key: key.id, allowed: true });
    }
  });

  if (route.method === 'post' || route.method === 'patch') {
    const limitMb = route.bodyLimitMb ?? 1;
    test(`415 for text/plain and 413 for a body over ${limitMb} MB`, async () => {
      // Refused before any handler runs, so the erasure's own lead is safe here too.
      const url = urlOf(route);
      const text = await request(app)[route.method](url).set(bearer(ownScope[route.scope])).set('Content-Type', 'text/plain').send('hello');
      expect(text.status).toBe(415);
      const huge = await request(app)[route.method](url)
        .set(bearer(ownScope[route.scope]))
        .send({ ...route.body, padding: 'x'.repeat(limitMb * 1024 * 1024 + 50_000) });
      expect(huge.status).toBe(413);
    });
  }
});

test('a manager key is refused where it is not a sales or manager route', async () => {
  for (const route of routes.filter((r) => r.scope !== 'sales' && r.scope !== 'manager')) {
    const res = await call(app, route, bearer(testKeys.manager));
    expect({ route: `${route.method} ${route.path}`, status: res.status }).toEqual({ route: `${route.method} ${route.path}`, status: 403 });
  }
});

test('the unauthenticated routes need no key', async () => {
  for (const path of ['/healthz', '/readyz', '/openapi.json', '/docs']) {
    expect({ path, status: (await request(app).get(path)).status }).toEqual({ path, status: 200 });
  }
});

test('429 once a key has used its budget, with Retry-After; other keys are not affected', async () => {
  const app = createTestApp({ client: t.env.client, db: t.db, dataKeys: t.keys, rateLimitPerMinute: 3 });
  const read = bearer(testKeys.read);
  const url = `/v1/leads/${testLeadId('access@routes.example')}`;
  for (let i = 0; i < 3; i++) expect((await request(app).get(url).set(read)).status).toBe(200);
  // The budget is per key across routes, not per route.
  const limited = await request(app).get('/v1/leads').set(read);
  expect(limited.status).toBe(429);
  expect(limited.body.error.code).toBe('rate_limited');
  expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect((await request(app).get(url).set(bearer(testKeys.admin))).status).toBe(200);
  const form = await request(app).post('/v1/leads').set(bearer(testKeys.intake)).send({ email: 'limits@routes.example' });
  expect(form.status).toBe(202);
});
