import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../api/app';
import type { ApiKey, AuthConfig } from '../../api/auth';
import { keyIdForLead } from '../../encryption';
import { destroyDataKey } from '../../db/data-keys.repository';
import { bearer, eventually, mqlForm, startApiTestbed, testAppDeps, testKeys, type ApiTestbed } from '../support/api-app';
import { temporalBinaries } from '../support/temporal-env';

// The codec server (/codec/decode, /codec/encode) the Temporal Web UI and CLI call, over real HTTP,
// against a real dev server, a real worker and PostgreSQL, and with the real `temporal` CLI.

const run = promisify(execFile);

const UI_ORIGIN = 'http://localhost:8233'; // testAppDeps' temporalUiUrl
const codecKey: ApiKey = { id: 'ui-codec', secret: 'codec-secret-0123456789abcdef', scopes: ['codec'] };
const codec = bearer(codecKey);

/** Every form field that is personal, as sent. */
const ada = mqlForm('ada.codec@analytical-engines.example');
const personal = [ada.email, ada.firstName, ada.lastName, ada.phone] as string[];

let t: ApiTestbed;
/** The testbed's system with a `codec` key besides the usual ones. */
let app: Express;
let leadId: string;

function appWith(auth: Partial<AuthConfig> = {}): Express {
  const deps = testAppDeps({ client: t.env.client, db: t.db, dataKeys: t.keys, keys: [...Object.values(testKeys), codecKey] });
  return createApp({ ...deps, auth: { ...deps.auth, ...auth } });
}

beforeAll(async () => {
  t = await startApiTestbed();
  app = appWith();
  const res = await request(app).post('/v1/leads').set(bearer(testKeys.intake)).send(ada);
  expect(res.status).toBe(202);
  leadId = res.body.leadId;
  // Routing is the lead's last activity after the form fill: wait for it, so the history is complete and
  // no task of this lead is running when a test destroys its key.
  await eventually(
    () => t.db.selectFrom('leads').select('owner').where('leadId', '=', leadId).executeTakeFirst(),
    (row) => Boolean(row?.owner),
  );
});
afterAll(async () => {
  await t?.close();
});

// ---------------------------------------------------------------------------------------------------------
// Helpers: payloads as the UI and the CLI see them

type JsonPayload = { metadata?: Record<string, string>; data?: string };
const utf8 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const text = (b64: string | undefined) => Buffer.from(b64 ?? '', 'base64').toString('utf8');
const jsonPayload = (value: unknown): JsonPayload => ({ metadata: { encoding: utf8('json/plain') }, data: utf8(JSON.stringify(value)) });
const encodingOf = (p: JsonPayload) => text(p.metadata?.encoding);

/** The lead's history straight from Temporal, through a client without Leadflow's codec. */
async function rawHistory(id = leadId): Promise<temporal.api.history.v1.IHistory> {
  const raw = new Client({ connection: t.env.connection, namespace: t.env.namespace ?? 'default' });
  return raw.workflow.getHandle(id).fetchHistory();
}

/** Every payload of a history in proto3 JSON (bytes as base64), the way the Web UI sends them. */
function payloadsOf(history: temporal.api.history.v1.IHistory): JsonPayload[] {
  const found: JsonPayload[] = [];
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null || node instanceof Uint8Array) return;
    if (Array.isArray(node)) return node.forEach(visit);
    const o = node as Record<string, unknown>;
    if (o.metadata && typeof o.metadata === 'object' && 'encoding' in o.metadata && (o.data === undefined || o.data === null || o.data instanceof Uint8Array)) {
      const metadata = Object.fromEntries(Object.entries(o.metadata as Record<string, Uint8Array>).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
      found.push({ metadata, data: Buffer.from((o.data as Uint8Array | undefined) ?? new Uint8Array()).toString('base64') });
      return;
    }
    Object.values(o).forEach(visit);
  };
  visit(history);
  return found;
}

const decode = (payloads: JsonPayload[], headers: Record<string, string> = codec, target: Express = app) =>
  request(target).post('/codec/decode').set({ 'X-Namespace': 'default', ...headers }).send({ payloads });

// ---------------------------------------------------------------------------------------------------------

describe('POST /codec/decode', () => {
  test('the raw history holds no personal field; the codec gives the UI every one of them back', async () => {
    const history = await rawHistory();
    const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
    for (const field of personal) expect({ field, inRawHistory: bytes.includes(Buffer.from(field)) }).toEqual({ field, inRawHistory: false });

    const payloads = payloadsOf(history);
    const encrypted = payloads.filter((p) => encodingOf(p) === 'binary/encrypted');
    expect(encrypted.length).toBeGreaterThan(3);
    expect(new Set(encrypted.map((p) => text(p.metadata?.['encryption-key-id'])))).toEqual(new Set([keyIdForLead(leadId)]));

    // The UI calls once per event, from its origin, with X-Namespace.
    const answers = await Promise.all(encrypted.map((p) => decode([p], { ...codec, Origin: UI_ORIGIN })));
    for (const res of answers) {
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(res.body.payloads).toHaveLength(1);
    }
    const decoded = answers.map((res) => res.body.payloads[0] as JsonPayload);
    expect(decoded.every((p) => encodingOf(p) !== 'binary/encrypted')).toBe(true);
    const clear = decoded.map((p) => text(p.data)).join('\n');
    for (const field of personal) expect({ field, decoded: clear.includes(field) }).toEqual({ field, decoded: true });
  });

  test('several payloads in one call keep their order; payloads that are not encrypted come back unchanged', async () => {
    const encrypted = payloadsOf(await rawHistory()).filter((p) => encodingOf(p) === 'binary/encrypted');
    const plain = { ...jsonPayload({ stage: 'mql' }), externalPayloads: [] };
    const res = await decode([plain, encrypted[0]!, jsonPayload(null), encrypted[1]!]);
    expect(res.status).toBe(200);
    expect(res.body.payloads).toHaveLength(4);
    expect(res.body.payloads[0]).toEqual(plain);
    expect(res.body.payloads[2]).toEqual(jsonPayload(null));
    expect([1, 3].map((i) => encodingOf(res.body.payloads[i]))).not.toContain('binary/encrypted');
    // proto3 JSON leaves out empty fields: `{}` is an empty list, and `{}` an empty payload.
    expect((await request(app).post('/codec/decode').set(codec).send({})).body).toEqual({ payloads: [] });
    expect((await decode([{}])).body).toEqual({ payloads: [{}] });
  });

  test('a key id this Leadflow does not know, or bytes that do not decrypt, come back as a marker, not an error', async () => {
    const [real] = payloadsOf(await rawHistory()).filter((p) => encodingOf(p) === 'binary/encrypted');
    const tampered = Buffer.from(real!.data!, 'base64');
    tampered[tampered.length - 1]! ^= 0xff;
    const unknownKey = { metadata: { ...real!.metadata, 'encryption-key-id': utf8('lead:lead-00000000000000000000000000000000') }, data: real!.data };
    const res = await decode([unknownKey, { ...real!, data: tampered.toString('base64') }]);
    expect(res.status).toBe(200);
    expect(res.body.payloads.map(encodingOf)).toEqual(['json/plain', 'json/plain']);
    expect(JSON.parse(text(res.body.payloads[0].data))).toEqual({
      undecodable: true,
      reason: 'unknown_key',
      keyId: 'lead:lead-00000000000000000000000000000000',
      message: expect.stringContaining('not in this Leadflow'),
    });
    expect(JSON.parse(text(res.body.payloads[1].data))).toMatchObject({ undecodable: true, reason: 'decryption_failed', keyId: keyIdForLead(leadId) });
  });

  test('malformed bodies are 400 with the zod issues, in the API error shape', async () => {
    const cases: [unknown, (string | number)[]][] = [
      [{ payloads: 'all of them' }, ['payloads']],
      [{ payloads: [{ data: 'not base64!' }] }, ['payloads', 0, 'data']],
      [{ payloads: [{ metadata: { encoding: 42 } }] }, ['payloads', 0, 'metadata', 'encoding']],
    ];
    for (const [body, path] of cases) {
      const res = await request(app).post('/codec/decode').set(codec).send(body as object);
      expect({ body, status: res.status, code: res.body.error?.code, path: res.body.error?.details?.[0]?.path }).toEqual({ body, status: 400, code: 'invalid_request', path });
    }
    const broken = await request(app).post('/codec/decode').set(codec).set('Content-Type', 'application/json').send('{"payloads": [');
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('invalid_json');
    const plain = await request(app).post('/codec/decode').set(codec).set('Content-Type', 'text/plain').send('payloads');
    expect(plain.status).toBe(415);
  });

  test('bodies up to 4 MB pass (a 2 MB payload in base64), above that 413', async () => {
    const twoMb = { metadata: { encoding: utf8('binary/plain') }, data: Buffer.alloc(2 * 1024 * 1024, 1).toString('base64') };
    const big = await decode([twoMb]);
    expect(big.status).toBe(200);
    expect(big.body.payloads[0].data).toBe(twoMb.data);

    const tooBig = await decode([{ ...twoMb, data: Buffer.alloc(3 * 1024 * 1024 + 1, 1).toString('base64') }]);
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error).toEqual({ code: 'payload_too_large', message: 'The request body is larger than 4 MB' });
    // The rest of the API keeps its 1 MB.
    const form = await request(app).post('/v1/leads').set(bearer(testKeys.intake)).send({ email: 'x@codec.example', padding: 'x'.repeat(1_100_000) });
    expect(form.status).toBe(413);
    expect(form.body.error.message).toBe('The request body is larger than 1 MB');
  });
});

describe('POST /codec/encode', () => {
  test("encrypts with the system key (no workflow is named), and decode gives the payload back", async () => {
    const signal = jsonPayload({ note: 'typed into the UI' });
    const res = await request(app).post('/codec/encode').set(codec).send({ payloads: [signal] });
    expect(res.status).toBe(200);
    const [encoded] = res.body.payloads as JsonPayload[];
    expect(encodingOf(encoded!)).toBe('binary/encrypted');
    expect(text(encoded!.metadata?.['encryption-key-id'])).toBe('system:1');
    expect(text(encoded!.data)).not.toContain('typed into the UI');
    expect((await decode([encoded!])).body.payloads).toEqual([signal]);
  });
});

describe('access', () => {
  const routes = ['/codec/decode', '/codec/encode'];

  test.each(routes)('%s: 401 without or with an unknown key, 403 with another scope, 200 with codec or admin', async (path) => {
    const call = (headers: Record<string, string>) => request(app).post(path).set(headers).send({ payloads: [jsonPayload(1)] });
    for (const headers of [{} as Record<string, string>, { Authorization: 'Bearer not-a-real-key-0123456789' }, { Authorization: `Basic ${codecKey.secret}` }]) {
      const res = await call(headers);
      expect({ headers, status: res.status, code: res.body.error?.code }).toEqual({ headers, status: 401, code: 'unauthorized' });
    }
    for (const key of [testKeys.read, testKeys.intake, testKeys.sales]) {
      const res = await call(bearer(key));
      expect({ key: key.id, status: res.status, code: res.body.error?.code }).toEqual({ key: key.id, status: 403, code: 'forbidden' });
    }
    for (const key of [codecKey, testKeys.admin]) expect({ key: key.id, status: (await call(bearer(key))).status }).toEqual({ key: key.id, status: 200 });
  });

  test('without the development switch, a call from this machine needs a key like any other', async () => {
    const res = await decode([jsonPayload(1)], { Origin: UI_ORIGIN });
    expect(res.status).toBe(401);
    // The UI can read the refusal: CORS headers are on errors too.
    expect(res.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
  });

  test('development switch: no key needed from loopback, unless another web origin or a proxy is in the way', async () => {
    const dev = appWith({ devCodecLoopbackWithoutKey: true });
    // supertest connects to 127.0.0.1: the UI's origin, or no origin (curl, the CLI).
    expect((await decode([jsonPayload(1)], { Origin: UI_ORIGIN }, dev)).status).toBe(200);
    expect((await decode([jsonPayload(1)], {}, dev)).status).toBe(200);
    expect((await decode([jsonPayload(1)], { Origin: 'http://evil.example' }, dev)).status).toBe(401);
    expect((await decode([jsonPayload(1)], { 'X-Forwarded-For': '203.0.113.9' }, dev)).status).toBe(401);
    // A key that is presented is checked as usual.
    expect((await decode([jsonPayload(1)], bearer(testKeys.read), dev)).status).toBe(403);
    // The rest of the API is not opened by it.
    expect((await request(dev).get('/v1/policy')).status).toBe(401);
  });

  test('development switch: a call from another address than loopback needs a key', async () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (!external) {
      // No other address to call from on this machine: nothing to check (the loopback rule is above).
      console.warn('no non-loopback IPv4 address here; skipped the remote-address check');
      return;
    }
    const server = await listen(appWith({ devCodecLoopbackWithoutKey: true }), '0.0.0.0');
    try {
      const url = `http://${external}:${(server.address() as AddressInfo).port}/codec/decode`;
      const post = (headers: Record<string, string>) =>
        fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ payloads: [] }) });
      expect((await post({})).status).toBe(401);
      expect((await post(codec)).status).toBe(200);
    } finally {
      await close(server);
    }
  });

  test('its own rate limit per key, apart from the API budget of the same key', async () => {
    const limited = appWith({ rateLimitPerMinute: 2, codecRateLimitPerMinute: 3 });
    const admin = bearer(testKeys.admin);
    for (let i = 0; i < 3; i++) expect((await decode([jsonPayload(i)], admin, limited)).status).toBe(200);
    const refused = await decode([jsonPayload(3)], admin, limited);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // The API's budget of the key is untouched by the codec calls.
    for (let i = 0; i < 2; i++) expect((await request(limited).get('/v1/policy').set(admin)).status).toBe(200);
  });
});

describe('CORS', () => {
  test("a preflight from the UI's origin is answered before authentication", async () => {
    const res = await request(app)
      .options('/codec/decode')
      .set({ Origin: UI_ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace,authorization' });
    expect(res.status).toBe(204);
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': UI_ORIGIN,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'POST, OPTIONS',
    });
    const allowed = (res.headers['access-control-allow-headers'] as string).split(/,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(['content-type', 'x-namespace', 'authorization']));
    expect(res.headers.vary).toMatch(/Origin/i);
  });

  test('any other origin gets no CORS answer', async () => {
    const preflight = await request(app)
      .options('/codec/decode')
      .set({ Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' });
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    // Even with a valid key, a browser on another origin cannot read the answer.
    const post = await decode([jsonPayload(1)], { ...codec, Origin: 'http://localhost:8234' });
    expect(post.status).toBe(200);
    expect(post.headers['access-control-allow-origin']).toBeUndefined();
    // The rest of the API answers no CORS at all.
    const api = await request(app).options('/v1/leads').set({ Origin: UI_ORIGIN, 'Access-Control-Request-Method': 'POST' });
    expect(api.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('the Temporal CLI', () => {
  /** The payloads of `temporal workflow show --output json` (proto JSON), each with its data as text. */
  const shownPayloads = (stdout: string): { encoding: string; text: string }[] => {
    const found: { encoding: string; text: string }[] = [];
    const visit = (node: unknown): void => {
      if (typeof node !== 'object' || node === null) return;
      if (Array.isArray(node)) return node.forEach(visit);
      const o = node as Record<string, unknown>;
      const metadata = o.metadata as Record<string, string> | undefined;
      if (metadata && typeof metadata.encoding === 'string') {
        found.push({ encoding: text(metadata.encoding), text: text(o.data as string | undefined) });
        return;
      }
      Object.values(o).forEach(visit);
    };
    visit(JSON.parse(stdout));
    return found;
  };

  test('temporal workflow show: ciphertext without the codec, the person with it', async () => {
    const server = await listen(app, '127.0.0.1');
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/codec`;
      const show = async (...extra: string[]) =>
        (
          await run(
            temporalBinaries().cli,
            ['workflow', 'show', '--address', t.env.address, '--namespace', t.env.namespace ?? 'default', '--workflow-id', leadId, '--output', 'json', ...extra],
            { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
          )
        ).stdout;
      const without = shownPayloads(await show());
      expect(without.filter((p) => p.encoding === 'binary/encrypted').length).toBeGreaterThan(3);
      const clearWithout = without.map((p) => p.text).join('\n');
      for (const field of personal) expect({ field, shown: clearWithout.includes(field) }).toEqual({ field, shown: false });

      const withCodec = shownPayloads(await show('--codec-endpoint', endpoint, '--codec-auth', `Bearer ${codecKey.secret}`));
      expect(withCodec.map((p) => p.encoding)).not.toContain('binary/encrypted');
      expect(withCodec).toHaveLength(without.length);
      const clear = withCodec.map((p) => p.text).join('\n');
      for (const field of personal) expect({ field, shown: clear.includes(field) }).toEqual({ field, shown: true });

      // A key without the scope: the codec answers 403, which the CLI retries until its own deadline
      // (about 10 s) and then fails, showing nothing.
      const refused = await show('--codec-endpoint', endpoint, '--codec-auth', `Bearer ${testKeys.read.secret}`).then(
        (stdout) => ({ failed: false, stdout }),
        (err: { stdout?: string }) => ({ failed: true, stdout: err.stdout ?? '' }),
      );
      expect(refused.failed).toBe(true);
      for (const field of personal) expect(refused.stdout).not.toContain(field);
    } finally {
      await close(server);
    }
  });
});

describe('after erasure', () => {
  test("a key destroyed by another process is seen at once: the lead's payloads decode to the erased marker, 200", async () => {
    const encrypted = payloadsOf(await rawHistory()).filter((p) => encodingOf(p) === 'binary/encrypted');
    // The app's key store has the key cached from the tests above; the erasure happens elsewhere (its own
    // process, straight in the database), as when the worker erases the lead.
    expect((await decode(encrypted.slice(0, 1))).status).toBe(200);
    const erasedAt = new Date().toISOString();
    await destroyDataKey(t.db, { keyId: keyIdForLead(leadId), leadId, at: erasedAt });

    const res = await decode(encrypted, { ...codec, Origin: UI_ORIGIN });
    expect(res.status).toBe(200);
    expect(res.body.payloads).toHaveLength(encrypted.length);
    for (const payload of res.body.payloads as JsonPayload[]) {
      expect(encodingOf(payload)).toBe('json/plain');
      expect(JSON.parse(text(payload.data))).toEqual({ erased: true, leadId, erasedAt, message: expect.stringContaining(`Lead ${leadId} was erased`) });
    }
    const clear = (res.body.payloads as JsonPayload[]).map((p) => text(p.data)).join('\n');
    for (const field of personal) expect(clear).not.toContain(field);
  });

  test('after t.keys.destroyLeadKey the same: 200 with the marker', async () => {
    const grace = mqlForm('grace.codec@navy.example', { firstName: 'Grace', lastName: 'Hopper' });
    const created = await request(app).post('/v1/leads').set(bearer(testKeys.intake)).send(grace);
    expect(created.status).toBe(202);
    const id = created.body.leadId as string;
    await eventually(
      () => t.db.selectFrom('leads').select('owner').where('leadId', '=', id).executeTakeFirst(),
      (row) => Boolean(row?.owner),
    );
    const encrypted = payloadsOf(await rawHistory(id)).filter((p) => encodingOf(p) === 'binary/encrypted');
    expect((await decode(encrypted)).body.payloads.map((p: JsonPayload) => text(p.data)).join('')).toContain('Hopper');

    await t.keys.destroyLeadKey(id);
    const res = await decode(encrypted);
    expect(res.status).toBe(200);
    expect(res.body.payloads.map((p: JsonPayload) => JSON.parse(text(p.data)))).toEqual(
      encrypted.map(() => ({ erased: true, leadId: id, erasedAt: expect.any(String), message: expect.any(String) })),
    );
  });
});

function listen(target: Express, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = target.listen(0, host, (err?: Error) => (err ? reject(err) : resolve(server)));
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
