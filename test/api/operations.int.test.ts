import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Express } from 'express';
import request from 'supertest';
import { buildOpenApiDocument } from '../../api/openapi';
import { createDatabase } from '../../db/connection';
import { bearer, createTestApp, mqlForm, startApiTestbed, testKeys, type ApiTestbed } from '../support/api-app';

// The operational endpoints (probes, metrics, docs) and the OpenAPI document, over HTTP.

let t: ApiTestbed;
/**
 * A Temporal connection to nowhere (for /readyz), without the SDK's gRPC retries: a retry still pending
 * when the connection closes fires later, in whatever suite this jest worker runs next, and fails it
 * ("Channel has been shut down").
 */
const deadConnection = Connection.lazy({ address: '127.0.0.1:1', interceptors: [] });

beforeAll(async () => {
  t = await startApiTestbed();
});
afterAll(async () => {
  await t?.close();
  await deadConnection.close();
});

describe('probes', () => {
  test('GET /healthz needs no key', async () => {
    const res = await request(t.app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  test('GET /readyz: 200 when Temporal and the database answer', async () => {
    const res = await request(t.app).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', checks: { temporal: 'ok', database: 'ok', worker: 'ok' } });
  });

  test('GET /readyz: 503 naming the dependency that does not answer', async () => {
    const deadDb = createDatabase({ databaseUrl: 'postgres://postgres@127.0.0.1:1/nothing', dataDir: '' });
    try {
      const noDb = createTestApp({ client: t.env.client, db: deadDb, dataKeys: t.keys });
      const dbDown = await request(noDb).get('/readyz');
      expect(dbDown.status).toBe(503);
      expect(dbDown.body.error).toMatchObject({ code: 'not_ready', details: { checks: { temporal: 'ok', worker: 'ok', database: expect.stringMatching(/failed|timeout/) } } });
      expect(dbDown.body.error.message).toContain('the database');

      const noTemporal = createTestApp({ client: new Client({ connection: deadConnection }), db: t.db, dataKeys: t.keys });
      const temporalDown = await request(noTemporal).get('/readyz');
      expect(temporalDown.status).toBe(503);
      expect(temporalDown.body.error.details.checks).toEqual({ temporal: expect.stringMatching(/failed|timeout/), database: 'ok', worker: expect.stringMatching(/failed|timeout/) });
    } finally {
      await deadDb.destroy();
    }
  });
});

test('GET /readyz: 503 while no worker polls the lead task queue', async () => {
  const nobodyPolls = createTestApp({ client: t.env.client, db: t.db, dataKeys: t.keys, taskQueue: 'nobody-polls-here' });
  const res = await request(nobodyPolls).get('/readyz');
  expect(res.status).toBe(503);
  expect(res.body.error).toMatchObject({ code: 'not_ready', details: { checks: { temporal: 'ok', database: 'ok', worker: 'none' } } });
  expect(res.body.error.message).toContain('no worker polls the task queue nobody-polls-here');
});

describe('GET /metrics', () => {
  test('Prometheus text with HTTP and lead metrics, for a key with read', async () => {
    await request(t.app).post('/v1/leads').set(bearer(testKeys.intake)).send(mqlForm('metrics@ops.example')).expect(202);
    const res = await request(t.app).get('/metrics').set(bearer(testKeys.read));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain('leadflow_http_requests_total{method="POST",route="/v1/leads",status="202"} 1');
    expect(res.text).toMatch(/leadflow_leads\{stage="mql"\} 1/);

    expect((await request(t.app).get('/metrics')).status).toBe(401);
    expect((await request(t.app).get('/metrics').set(bearer(testKeys.sales))).status).toBe(403);
  });
});

describe('docs', () => {
  test('GET /docs is Swagger UI served from the installed package, pointed at /openapi.json', async () => {
    const page = await request(t.app).get('/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toEqual(expect.arrayContaining(['/docs/assets/swagger-ui.css', '/docs/assets/swagger-ui-bundle.js']));
    for (const asset of assets) {
      const res = await request(t.app).get(asset);
      expect({ asset, status: res.status }).toEqual({ asset, status: 200 });
    }
    const init = await request(t.app).get('/docs/assets/leadflow-docs.js');
    expect(init.text).toContain("url: '/openapi.json'");
    const missing = await request(t.app).get('/docs/assets/nothing-here.js');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
  });
});

describe('GET /openapi.json', () => {
  const methods = ['get', 'post', 'put', 'patch', 'delete'] as const;

  test('is a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator)', async () => {
    const res = await request(t.app).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
    expect(res.body.openapi).toMatch(/^3\.1\./);

    const dir = mkdtempSync(path.join(tmpdir(), 'leadflow-openapi-'));
    try {
      const file = path.join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(res.body));
      const cli = require.resolve('@seriousme/openapi-schema-validator/bin/validate-api-cli.js');
      const out = execFileSync(process.execPath, [cli, file], { encoding: 'utf8' });
      expect(JSON.parse(out)).toEqual({ valid: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every operation has responses, every error response uses the error schema, every secured one says its scope', () => {
    const doc = buildOpenApiDocument();
    for (const [p, item] of Object.entries(doc.paths ?? {})) {
      const ops = methods.filter((m) => item[m]);
      expect({ path: p, operations: ops.length > 0 }).toEqual({ path: p, operations: true });
      for (const m of ops) {
        const op = item[m]!;
        expect(Object.keys(op.responses ?? {}).length).toBeGreaterThan(0);
        expect(op.operationId).toEqual(expect.any(String));
        for (const [status, response] of Object.entries(op.responses ?? {})) {
          if (Number(status) >= 400) {
            expect({ op: `${m} ${p} ${status}`, schema: (response as { content?: Record<string, { schema?: unknown }> }).content?.['application/json']?.schema }).toEqual({
              op: `${m} ${p} ${status}`,
              schema: { $ref: '#/components/schemas/Error' },
            });
          }
        }
        const secured = (op.security ?? []).length > 0;
        if (secured) {
          for (const status of ['401', '403', '429']) expect({ op: `${m} ${p}`, status, has: status in (op.responses ?? {}) }).toEqual({ op: `${m} ${p}`, status, has: true });
        }
      }
    }
    expect(doc.components?.securitySchemes).toMatchObject({
      bearerAuth: { type: 'http', scheme: 'bearer' },
      webhookSignature: { type: 'apiKey', in: 'header', name: 'X-Leadflow-Signature' },
    });
    expect(doc.paths?.['/v1/leads']?.post?.security).toEqual([{ bearerAuth: ['intake'] }, { webhookSignature: [] }]);
    expect(doc.paths?.['/v1/leads/{leadId}/accept']?.post?.responses?.['503']).toBeDefined();
  });

  test('documents exactly the routes the app serves', () => {
    const served = expressRoutes(t.app).filter((r) => !r.startsWith('GET /docs/assets/'));
    const doc = buildOpenApiDocument();
    const documented = Object.entries(doc.paths ?? {}).flatMap(([p, item]) =>
      methods.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(served.sort()).toEqual(documented.sort());
  });
});

function expressRoutes(app: Express): string[] {
  const stack = (app as unknown as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }).router.stack;
  return stack.flatMap((layer) =>
    layer.route
      ? Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${layer.route!.path.replace(/:(\w+)/g, '{$1}')}`)
      : [],
  );
}
