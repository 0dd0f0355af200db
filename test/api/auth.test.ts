import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type Express, type RequestHandler } from 'express';
import pino from 'pino';
import request from 'supertest';
import {
  authenticate,
  generateDevKey,
  grants,
  hashSecret,
  isLoopbackAddress,
  loadApiKeysFile,
  parseApiKeys,
  rateLimiter,
  signWebhookBody,
  type AuthConfig,
  type Scope,
  type SeenSignatures,
} from '../../api/auth';
import { errorHandler } from '../../api/errors';

/*
 * API keys, bearer and signed-webhook authentication, and the per-key rate limit, driven over HTTP
 * through a tiny express app with the API's real error handler.
 */

const intakeSecret = 'intake-secret-0123456789';
const salesSecret = 'sales-secret-0123456789';
const adminSecret = 'admin-secret-0123456789';
const webhookSecret = 'webhook-secret-0123456789';

const config: AuthConfig = {
  keys: [
    { id: 'forms', secret: intakeSecret, scopes: ['intake'] },
    { id: 'crm', secret: salesSecret, scopes: ['sales', 'read'] },
    { id: 'ops', secret: adminSecret, scopes: ['admin'] },
  ],
  webhookSecret,
  rateLimitPerMinute: 60,
};

/** POST /guarded behind the given middleware; answers with the principal. */
function appWith(...guards: RequestHandler[]): Express {
  const app = express();
  app.use(
    express.json({
      verify: (req, _res, buf) => {
        (req as { rawBody?: Buffer }).rawBody = buf;
      },
    }),
  );
  app.all('/guarded', ...guards, (req, res) => {
    res.json({ principal: req.principal });
  });
  app.use(errorHandler(pino({ level: 'silent' })));
  return app;
}

const guarded = (scope: Scope, options?: { allowSignedWebhook?: boolean }) => appWith(authenticate(config, scope, options));
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('parseApiKeys', () => {
  it('reads id:secret:scope+scope entries', () => {
    expect(parseApiKeys(`forms:${intakeSecret}:intake, crm:${salesSecret}:sales+read,`)).toEqual([
      { id: 'forms', secret: intakeSecret, scopes: ['intake'] },
      { id: 'crm', secret: salesSecret, scopes: ['sales', 'read'] },
    ]);
  });

  it('takes the id before the first colon and the scopes after the last, so secrets may hold colons', () => {
    expect(parseApiKeys('ops:a:b:c:0123456789abcdef:admin+read+read')).toEqual([
      { id: 'ops', secret: 'a:b:c:0123456789abcdef', scopes: ['admin', 'read'] },
    ]);
  });

  it('knows the codec scope (the Temporal UI and CLI codec server)', () => {
    expect(parseApiKeys(`ui:${intakeSecret}:codec`)).toEqual([{ id: 'ui', secret: intakeSecret, scopes: ['codec'] }]);
  });

  it('knows the manager scope', () => {
    expect(parseApiKeys(`lead:${salesSecret}:manager+read`)).toEqual([{ id: 'lead', secret: salesSecret, scopes: ['manager', 'read'] }]);
  });

  it('binds a key to a rep with a fourth part, id:secret:scopes:rep', () => {
    expect(parseApiKeys(`crm-ada:${salesSecret}:sales+read:rep-ada, forms:${intakeSecret}:intake`)).toEqual([
      { id: 'crm-ada', secret: salesSecret, scopes: ['sales', 'read'], rep: 'rep-ada' },
      { id: 'forms', secret: intakeSecret, scopes: ['intake'] },
    ]);
    // A secret with colons still works, bound or not: the rep is read only after a scope list.
    expect(parseApiKeys('crm-ada:a:b:0123456789abcdef:sales:rep-ada')).toEqual([
      { id: 'crm-ada', secret: 'a:b:0123456789abcdef', scopes: ['sales'], rep: 'rep-ada' },
    ]);
    expect(parseApiKeys('crm:a:sales:0123456789abcdef:read')).toEqual([{ id: 'crm', secret: 'a:sales:0123456789abcdef', scopes: ['read'] }]);
  });

  it.each([
    ['a rep-bound manager', `crm-ada:${salesSecret}:manager:rep-ada`, /entry 1 \("crm-ada"\): a key bound to a rep cannot have the "manager" scope/],
    ['a rep-bound admin', `crm-ada:${salesSecret}:sales+admin:rep-ada`, /entry 1 \("crm-ada"\): a key bound to a rep cannot have the "admin" scope/],
    ['an empty rep', `crm-ada:${salesSecret}:sales:`, /entry 1 \("crm-ada"\): the rep must be/],
    ['a rep with odd characters', `crm-ada:${salesSecret}:sales:rep ada`, /entry 1 \("crm-ada"\): the rep must be/],
  ])('refuses %s', (_what, spec, message) => {
    expect(() => parseApiKeys(spec)).toThrow(message);
  });

  it('still reads an unknown last part as an unknown scope, without echoing the secret', () => {
    expect(() => parseApiKeys(`forms:${intakeSecret}:write`)).toThrow(/entry 1 \("forms"\): unknown scope "write"/);
    expect(() => parseApiKeys(`forms:${intakeSecret}:write`)).not.toThrow(new RegExp(intakeSecret));
  });

  it('reads an empty spec as no keys', () => {
    expect(parseApiKeys('')).toEqual([]);
    expect(parseApiKeys('  ')).toEqual([]);
  });

  it.each([
    ['an unknown scope', `forms:${intakeSecret}:intake,crm:${salesSecret}:sales+write`, /entry 2 \("crm"\): unknown scope "write"/],
    ['a secret shorter than 16 characters', 'forms:short-secret:intake', /entry 1 \("forms"\): the secret must be at least 16 characters/],
    ['a duplicate id', `crm:${intakeSecret}:intake,crm:${salesSecret}:sales`, /entry 2 \("crm"\): duplicate id/],
    ['a duplicate secret', `a:${intakeSecret}:intake,b:${intakeSecret}:sales`, /entry 2 \("b"\): same secret/],
    ['missing scopes', `forms:${intakeSecret}:`, /entry 1 \("forms"\): missing scopes/],
    ['an empty scope', `forms:${intakeSecret}:intake+`, /entry 1 \("forms"\): missing scopes/],
    ['a missing secret', 'forms:intake', /entry 1 \("forms"\): expected id:secret:scope\+scope/],
    ['a missing id', `:${intakeSecret}:intake`, /entry 1: (expected id:secret|the id must)/],
    ['an id with odd characters', `my key:${intakeSecret}:intake`, /entry 1: the id must be/],
    ['the reserved webhook id', `webhook:${intakeSecret}:intake`, /entry 1 \("webhook"\): the id "webhook" is reserved/],
    ['the reserved development loopback id', `dev-loopback:${intakeSecret}:codec`, /entry 1 \("dev-loopback"\): the id "dev-loopback" is reserved/],
  ])('refuses %s, naming the entry', (_what, spec, message) => {
    expect(() => parseApiKeys(spec)).toThrow(message);
  });

  it('never echoes a bare secret given without colons', () => {
    expect(() => parseApiKeys(intakeSecret)).toThrow(/^LEADFLOW_API_KEYS entry 1: expected id:secret:scope\+scope$/);
  });
});

describe('loadApiKeysFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'leadflow-keys-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('reads a JSON array of {id, secret, scopes}', () => {
    const path = file('good.json', JSON.stringify(config.keys));
    expect(loadApiKeysFile(path)).toEqual(config.keys);
  });

  it('reads a rep and a secret stored as its SHA-256, and refuses malformed ones', () => {
    const path = file(
      'hashed.json',
      JSON.stringify([
        { id: 'crm-ada', secretSha256: hashSecret(salesSecret).toUpperCase(), scopes: ['sales'], rep: 'rep-ada' },
        { id: 'forms', secret: intakeSecret, scopes: ['intake'] },
      ]),
    );
    expect(loadApiKeysFile(path)).toEqual([
      { id: 'crm-ada', secretSha256: hashSecret(salesSecret), scopes: ['sales'], rep: 'rep-ada' },
      { id: 'forms', secret: intakeSecret, scopes: ['intake'] },
    ]);
    const both = file('both.json', JSON.stringify([{ id: 'crm', secret: salesSecret, secretSha256: hashSecret(salesSecret), scopes: ['sales'] }]));
    expect(() => loadApiKeysFile(both)).toThrow(/entry 1 \("crm"\): expected .*exactly one of secret and secretSha256/);
    const neither = file('neither.json', JSON.stringify([{ id: 'crm', scopes: ['sales'] }]));
    expect(() => loadApiKeysFile(neither)).toThrow(/exactly one of secret and secretSha256/);
    const short = file('short.json', JSON.stringify([{ id: 'crm', secretSha256: 'abc123', scopes: ['sales'] }]));
    expect(() => loadApiKeysFile(short)).toThrow(/entry 1 \("crm"\): secretSha256 must be the 64 hex characters/);
    const numericRep = file('rep.json', JSON.stringify([{ id: 'crm', secret: salesSecret, scopes: ['sales'], rep: 7 }]));
    expect(() => loadApiKeysFile(numericRep)).toThrow(/entry 1 \("crm"\): expected/);
    const manager = file('manager.json', JSON.stringify([{ id: 'boss', secret: salesSecret, scopes: ['manager'], rep: 'rep-ada' }]));
    expect(() => loadApiKeysFile(manager)).toThrow(/cannot have the "manager" scope/);
    // The same secret twice is found whether it is stored in clear or hashed.
    const twice = file('twice.json', JSON.stringify([
      { id: 'a', secret: salesSecret, scopes: ['sales'] },
      { id: 'b', secretSha256: hashSecret(salesSecret), scopes: ['read'] },
    ]));
    expect(() => loadApiKeysFile(twice)).toThrow(/entry 2 \("b"\): same secret as another key/);
  });

  it('refuses bad files and entries, naming them', () => {
    expect(() => loadApiKeysFile(join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read it as JSON/);
    expect(() => loadApiKeysFile(file('object.json', '{"id":"x"}'))).toThrow(/object\.json: expected a JSON array/);
    expect(() => loadApiKeysFile(file('shape.json', JSON.stringify([{ id: 'crm', secret: salesSecret, scopes: 'sales' }])))).toThrow(
      /entry 1 \("crm"\): expected \{id: string, secret: string .*scopes: string\[\], rep\?: string\}/,
    );
    expect(() => loadApiKeysFile(file('scope.json', JSON.stringify([{ id: 'crm', secret: salesSecret, scopes: ['root'] }])))).toThrow(
      /entry 1 \("crm"\): unknown scope "root"/,
    );
    expect(() => loadApiKeysFile(file('dup.json', JSON.stringify([config.keys[0], config.keys[0]])))).toThrow(/entry 2 \("forms"\): duplicate id/);
  });
});

describe('generateDevKey', () => {
  it('makes an all-scopes key with a fresh 32-byte hex secret', () => {
    const key = generateDevKey();
    expect(key).toEqual({ id: 'dev', secret: expect.stringMatching(/^[0-9a-f]{64}$/), scopes: ['intake', 'sales', 'read', 'admin'] });
    expect(generateDevKey().secret).not.toBe(key.secret);
  });
});

describe('authenticate with bearer keys', () => {
  it('answers 401 with WWW-Authenticate without an Authorization header', async () => {
    const res = await request(guarded('read')).get('/guarded');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
  });

  it.each([
    ['a wrong key', `Bearer ${intakeSecret}x`],
    ['a prefix of a key', `Bearer ${intakeSecret.slice(0, 16)}`],
    ['another scheme', `Basic ${Buffer.from(`forms:${intakeSecret}`).toString('base64')}`],
    ['an empty bearer', 'Bearer '],
  ])('answers 401 to %s', async (_what, authorization) => {
    const res = await request(guarded('intake')).get('/guarded').set('Authorization', authorization);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.body.error.code).toBe('unauthorized');
    expect(JSON.stringify(res.body)).not.toContain(intakeSecret);
  });

  it('answers 403 naming the scope when the key lacks it', async () => {
    const res = await request(guarded('sales')).get('/guarded').set('Authorization', `Bearer ${intakeSecret}`);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: { code: 'forbidden', message: expect.stringContaining('"sales"') } });
  });

  it('lets a key with the scope through and sets the principal', async () => {
    const res = await request(guarded('read')).get('/guarded').set('Authorization', `bearer ${salesSecret}`);
    expect(res.status).toBe(200);
    expect(res.body.principal).toEqual({ keyId: 'crm', via: 'bearer', scopes: ['sales', 'read'] });
  });

  it.each<Scope>(['intake', 'sales', 'read', 'codec', 'admin'])('lets an admin key through a %s route', async (scope) => {
    const res = await request(guarded(scope)).get('/guarded').set('Authorization', `Bearer ${adminSecret}`);
    expect(res.status).toBe(200);
    expect(res.body.principal).toEqual({ keyId: 'ops', via: 'bearer', scopes: ['admin'] });
  });

  it('compares a presented key with a secret stored as its SHA-256', async () => {
    const hashed = 'hashed-secret-0123456789abcdef';
    const app = appWith(authenticate({ keys: [{ id: 'crm-ada', secretSha256: hashSecret(hashed), scopes: ['sales'], rep: 'rep-ada' }], rateLimitPerMinute: 60 }, 'sales'));
    const res = await request(app).get('/guarded').set('Authorization', `Bearer ${hashed}`);
    expect(res.status).toBe(200);
    expect(res.body.principal).toEqual({ keyId: 'crm-ada', via: 'bearer', scopes: ['sales'], rep: 'rep-ada' });
    expect((await request(app).get('/guarded').set('Authorization', `Bearer ${hashSecret(hashed)}`)).status).toBe(401);
    expect((await request(app).get('/guarded').set('Authorization', `Bearer ${hashed}x`)).status).toBe(401);
  });

  it('lets a manager key through sales and manager routes only', async () => {
    const managerSecret = 'manager-secret-0123456789';
    const keys: AuthConfig = { keys: [{ id: 'boss', secret: managerSecret, scopes: ['manager'] }], rateLimitPerMinute: 60 };
    for (const [scope, status] of [['sales', 200], ['manager', 200], ['read', 403], ['intake', 403], ['codec', 403], ['admin', 403]] as const) {
      const res = await request(appWith(authenticate(keys, scope))).get('/guarded').set('Authorization', `Bearer ${managerSecret}`);
      expect({ scope, status: res.status }).toEqual({ scope, status });
    }
  });

  it('knows which scopes imply which', () => {
    expect(grants(['admin'], 'manager')).toBe(true);
    expect(grants(['manager'], 'sales')).toBe(true);
    expect(grants(['sales'], 'manager')).toBe(false);
    expect(grants(['read', 'intake'], 'sales')).toBe(false);
  });

  it('refuses everything when no keys are configured', async () => {
    const app = appWith(authenticate({ keys: [], rateLimitPerMinute: 60 }, 'read'));
    const res = await request(app).get('/guarded').set('Authorization', `Bearer ${adminSecret}`);
    expect(res.status).toBe(401);
  });
});

describe('isLoopbackAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['192.0.2.2', false],
    ['::ffff:192.0.2.2', false],
    ['10.0.0.127', false],
    ['fe80::1', false],
    [undefined, false],
  ])('%s → %s', (address, loopback) => {
    expect(isLoopbackAddress(address)).toBe(loopback);
  });
});

describe('authenticate with signed webhooks', () => {
  const body = JSON.stringify({ email: 'ada@analytical.example', formType: 'demo_request' });
  const intake = () => guarded('intake', { allowSignedWebhook: true });

  function post(app: Express, sentBody: string, headers: Record<string, string>) {
    let req = request(app).post('/guarded').set('Content-Type', 'application/json');
    for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
    return req.send(sentBody);
  }
  const signed = (timestamp: number, signedBody = body) => ({
    'X-Leadflow-Timestamp': String(timestamp),
    'X-Leadflow-Signature': signWebhookBody(webhookSecret, timestamp, signedBody),
  });

  it('accepts a fresh signature of the exact body', async () => {
    const res = await post(intake(), body, signed(nowSeconds()));
    expect(res.status).toBe(200);
    expect(res.body.principal).toEqual({ keyId: 'webhook', via: 'webhook', scopes: ['intake'] });
  });

  it('accepts a signature made from the raw bytes as a Buffer, up to 5 minutes off', async () => {
    const ts = nowSeconds() - 290;
    const res = await post(intake(), body, {
      'X-Leadflow-Timestamp': String(ts),
      'X-Leadflow-Signature': signWebhookBody(webhookSecret, ts, Buffer.from(body)),
    });
    expect(res.status).toBe(200);
  });

  it('refuses a tampered body', async () => {
    const tampered = body.replace('ada@', 'eve@');
    const res = await post(intake(), tampered, signed(nowSeconds()));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_signature');
  });

  it('refuses a body that differs only in whitespace (the raw bytes are signed)', async () => {
    const res = await post(intake(), body.replace(':', ': '), signed(nowSeconds()));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_signature');
  });

  it('refuses a changed timestamp', async () => {
    const ts = nowSeconds();
    const res = await post(intake(), body, { ...signed(ts), 'X-Leadflow-Timestamp': String(ts - 1) });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_signature');
  });

  it.each([
    ['stale (6 minutes old)', -360],
    ['from the future (6 minutes ahead)', 360],
  ])('refuses a %s timestamp even when correctly signed', async (_what, offset) => {
    const res = await post(intake(), body, signed(nowSeconds() + offset));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: 'invalid_signature', message: expect.stringContaining('5 minutes') } });
  });

  it.each([
    ['a missing signature', { 'X-Leadflow-Timestamp': '1' }],
    ['a missing timestamp', { 'X-Leadflow-Signature': `sha256=${'0'.repeat(64)}` }],
    ['a non-numeric timestamp', { 'X-Leadflow-Timestamp': 'yesterday', 'X-Leadflow-Signature': `sha256=${'0'.repeat(64)}` }],
    ['a signature without sha256=', { 'X-Leadflow-Timestamp': String(nowSeconds()), 'X-Leadflow-Signature': '0'.repeat(64) }],
    ['a short signature', { 'X-Leadflow-Timestamp': String(nowSeconds()), 'X-Leadflow-Signature': 'sha256=abcd' }],
    ['garbage', { 'X-Leadflow-Timestamp': '0', 'X-Leadflow-Signature': 'x' }],
  ])('refuses %s', async (_what, headers) => {
    const res = await post(intake(), body, headers);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_signature');
  });

  it('refuses a signature made with another secret', async () => {
    const ts = nowSeconds();
    const res = await post(intake(), body, {
      'X-Leadflow-Timestamp': String(ts),
      'X-Leadflow-Signature': signWebhookBody('some-other-secret-0123', ts, body),
    });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_signature');
  });

  it('signs an empty body too', async () => {
    const ts = nowSeconds();
    const res = await request(intake()).post('/guarded').set(signed(ts, ''));
    expect(res.status).toBe(200);
  });

  it('ignores signatures where the route does not allow them, or without a webhook secret', async () => {
    const headers = signed(nowSeconds());
    for (const app of [
      guarded('intake'),
      appWith(authenticate({ ...config, webhookSecret: undefined }, 'intake', { allowSignedWebhook: true })),
    ]) {
      const res = await post(app, body, headers);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
  });

  describe('with a seen-signature store', () => {
    /** The store in memory, as the database's behaves for one process. */
    const memoryStore = (): SeenSignatures & { seen: Map<string, Date> } => {
      const seen = new Map<string, Date>();
      return {
        seen,
        firstUse(signature, expiresAt) {
          if (seen.has(signature)) return Promise.resolve(false);
          seen.set(signature, expiresAt);
          return Promise.resolve(true);
        },
      };
    };
    const withStore = (seenSignatures: SeenSignatures) => appWith(authenticate({ ...config, seenSignatures }, 'intake', { allowSignedWebhook: true }));

    it('takes a signature once: the replay is 401 replayed_signature, a request signed again passes', async () => {
      const store = memoryStore();
      const app = withStore(store);
      const ts = nowSeconds();
      expect((await post(app, body, signed(ts))).status).toBe(200);
      const replay = await post(app, body, signed(ts));
      expect(replay.status).toBe(401);
      expect(replay.body).toEqual({ error: { code: 'replayed_signature', message: expect.stringContaining('new x-leadflow-timestamp') } });
      expect((await post(app, body, signed(ts + 1))).status).toBe(200);
    });

    it('remembers a signature until it could no longer pass the 5-minute check', async () => {
      const store = memoryStore();
      const ts = nowSeconds();
      const headers = signed(ts);
      expect((await post(withStore(store), body, headers)).status).toBe(200);
      expect([...store.seen.keys()]).toEqual([headers['X-Leadflow-Signature'].slice('sha256='.length)]);
      expect(store.seen.get(headers['X-Leadflow-Signature'].slice('sha256='.length))!.getTime()).toBe((ts + 301) * 1000);
    });

    it('finds a replay whatever the letter case of the hex', async () => {
      const app = withStore(memoryStore());
      const ts = nowSeconds();
      expect((await post(app, body, signed(ts))).status).toBe(200);
      const upper = { ...signed(ts), 'X-Leadflow-Signature': `sha256=${signed(ts)['X-Leadflow-Signature'].slice(7).toUpperCase()}` };
      expect((await post(app, body, upper)).body.error.code).toBe('replayed_signature');
    });

    it('never lets a request through when the store cannot answer: 503 when the database is unreachable', async () => {
      const down: SeenSignatures = { firstUse: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) };
      const res = await post(withStore(down), body, signed(nowSeconds()));
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('unavailable');
    });

    it('does not store refused signatures (bad, stale) or bearer calls', async () => {
      const store = memoryStore();
      const app = withStore(store);
      await post(app, body, signed(nowSeconds() - 360));
      await post(app, body.replace('ada@', 'eve@'), signed(nowSeconds()));
      await post(app, body, { Authorization: `Bearer ${intakeSecret}` });
      expect(store.seen.size).toBe(0);
    });
  });

  it('gives a webhook the intake scope only', async () => {
    const res = await post(guarded('sales', { allowSignedWebhook: true }), body, signed(nowSeconds()));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
  });

  it('checks the Authorization header first when both are sent', async () => {
    const res = await post(intake(), body, { ...signed(nowSeconds()), Authorization: `Bearer ${intakeSecret}` });
    expect(res.status).toBe(200);
    expect(res.body.principal.via).toBe('bearer');
  });
});

describe('rateLimiter', () => {
  let clock: number;
  const now = () => clock;
  beforeEach(() => {
    clock = Date.parse('2025-03-03T09:00:00Z');
  });

  const limited = (perMinute: number) => appWith(authenticate(config, 'read'), rateLimiter(perMinute, now));
  const call = (app: Express, secret = salesSecret) => request(app).get('/guarded').set('Authorization', `Bearer ${secret}`);

  it('lets a burst of N through, then answers 429 with Retry-After until a token refills', async () => {
    const app = limited(3);
    for (const remaining of ['2', '1', '0']) {
      const res = await call(app);
      expect(res.status).toBe(200);
      expect(res.headers['ratelimit-limit']).toBe('3');
      expect(res.headers['ratelimit-remaining']).toBe(remaining);
    }
    const refused = await call(app);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ error: { code: 'rate_limited', message: expect.any(String) } });
    // 3 a minute: one token every 20 s.
    expect(refused.headers['retry-after']).toBe('20');
    expect(refused.headers['ratelimit-remaining']).toBe('0');

    clock += 19_000;
    const stillRefused = await call(app);
    expect(stillRefused.status).toBe(429);
    expect(stillRefused.headers['retry-after']).toBe('1');

    clock += 1_000;
    expect((await call(app)).status).toBe(200);
    expect((await call(app)).status).toBe(429);

    clock += 60_000;
    for (let i = 0; i < 3; i++) expect((await call(app)).status).toBe(200);
    expect((await call(app)).status).toBe(429);
  });

  it('keeps one bucket per key', async () => {
    const app = limited(1);
    expect((await call(app, salesSecret)).status).toBe(200);
    expect((await call(app, salesSecret)).status).toBe(429);
    expect((await call(app, adminSecret)).status).toBe(200);
  });

  it('does not count refused authentications', async () => {
    const app = limited(1);
    expect((await call(app, 'not-a-key-at-all-0000')).status).toBe(401);
    expect((await call(app)).status).toBe(200);
  });

  it('survives a clock going backwards', async () => {
    const app = limited(1);
    expect((await call(app)).status).toBe(200);
    clock -= 3_600_000;
    expect((await call(app)).status).toBe(429);
  });

  it('is a 500 when mounted without authenticate, and refuses a nonsensical limit', async () => {
    const res = await request(appWith(rateLimiter(10, now))).get('/guarded');
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('internal');
    expect(() => rateLimiter(0)).toThrow(RangeError);
    expect(() => rateLimiter(Number.NaN)).toThrow(RangeError);
  });
});
