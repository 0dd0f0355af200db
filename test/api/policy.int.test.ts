import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { stringify as toYaml } from 'yaml';
import { PolicyResponse, PolicyValid } from '../../api/schemas';
import { builtInPolicy, checkPolicyDocument, loadPolicyFile } from '../../config/policy-file';
import { defaultLeadPolicyInput, type LeadPolicyInput } from '../../domain/lead-policy';
import { bearer, createTestApp, startApiTestbed, testKeys, type ApiTestbed } from '../support/api-app';

// GET /v1/policy and POST /v1/policy/validate over HTTP. The app runs with the example policy file, loaded
// the way start-up loads LEADFLOW_POLICY_FILE; candidates are checked against what loadPolicyFile says
// about a file with the same content.

const examplePath = path.resolve(__dirname, '../../examples/leadflow.policy.yaml');
const exampleText = readFileSync(examplePath, 'utf8');
const examplePolicy = loadPolicyFile(examplePath);

let t: ApiTestbed;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'leadflow-policy-api-'));
  t = await startApiTestbed({ policy: examplePolicy, policySource: examplePath });
});
afterAll(async () => {
  await t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const read = bearer(testKeys.read);
const admin = bearer(testKeys.admin);

const validate = (text: string, contentType = 'application/json', headers: Record<string, string> = admin) =>
  request(t.app).post('/v1/policy/validate').set(headers).set('Content-Type', contentType).send(text);

/** What start-up says about a policy file with this content: its version, or its error message. */
function loadAsFile(name: string, text: string): { version: string } | { error: string; file: string } {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  try {
    return { version: loadPolicyFile(file).version };
  } catch (err) {
    return { error: (err as Error).message, file };
  }
}

const typoCandidate = (): Record<string, unknown> => {
  const { threshold, ...fit } = defaultLeadPolicyInput.fit;
  return { ...defaultLeadPolicyInput, fit: { ...fit, treshold: threshold } };
};

describe('GET /v1/policy', () => {
  test('the active policy: its content-hash version, name, source and every field parsed', async () => {
    const res = await request(t.app).get('/v1/policy').set(read);
    expect(res.status).toBe(200);
    const body = PolicyResponse.parse(res.body);
    expect(body.version).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(body).toMatchObject({ version: examplePolicy.version, name: 'sample-two-territories', source: examplePath });
    // The parsed form, every default filled in, exactly what the leads are started with.
    expect(res.body.policy).toEqual(JSON.parse(JSON.stringify(examplePolicy)));
    expect(res.body.policy.version).toBe(examplePolicy.version);
  });

  test('without a policy file: the built-in policy, versioned by content, source `built-in`', async () => {
    const app = createTestApp({ client: t.env.client, db: t.db, dataKeys: t.keys });
    const res = await request(app).get('/v1/policy').set(read);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ version: builtInPolicy().version, source: 'built-in' });
    expect(res.body.name).toBeUndefined();
    expect(res.body.version).not.toBe(examplePolicy.version);
  });
});

describe('POST /v1/policy/validate', () => {
  test('a valid JSON candidate: 200 with the version start-up would give a file with that content', async () => {
    const candidate: LeadPolicyInput = { ...defaultLeadPolicyInput, name: 'candidate-json', recycleCoolOffDays: 14 };
    const text = JSON.stringify(candidate, null, 2);
    const res = await validate(text);
    expect(res.status).toBe(200);
    const body = PolicyValid.parse(res.body);
    expect(body).toEqual({ valid: true, version: expect.stringMatching(/^sha256:[0-9a-f]{16}$/) });
    expect(loadAsFile('candidate.json', text)).toEqual({ version: body.version });
    // Content, not spelling: the same policy with other whitespace and key order is the same version.
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(candidate).reverse()));
    expect((await validate(reordered)).body.version).toBe(body.version);
    // And a different policy is a different version.
    expect((await validate(JSON.stringify({ ...candidate, recycleCoolOffDays: 15 }))).body.version).not.toBe(body.version);
  });

  test('a YAML candidate (application/yaml or text/yaml) is checked like a .yaml policy file', async () => {
    for (const type of ['application/yaml', 'text/yaml', 'text/yaml; charset=utf-8']) {
      const res = await validate(exampleText, type);
      expect({ type, status: res.status, body: res.body }).toEqual({ type, status: 200, body: { valid: true, version: examplePolicy.version } });
    }
    // The same policy written as JSON has the same version: it hashes the parsed policy, not the text.
    const asJson = JSON.stringify(JSON.parse(JSON.stringify(examplePolicy)));
    expect((await validate(asJson)).body).toEqual({ valid: true, version: examplePolicy.version });
  });

  test('a typo (fit.treshold): 400 invalid_policy with the very lines start-up prints, problems as details', async () => {
    const text = JSON.stringify(typoCandidate(), null, 2);
    const res = await validate(text);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_policy');
    expect(res.body.error.message).toContain('fit.treshold: unknown field');
    // Unknown fields come first; the missing field the typo leaves behind is named too.
    expect(res.body.error.details[0]).toEqual({ path: 'fit.treshold', message: 'unknown field' });
    expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'fit.threshold' })]));
    expect(res.body.error.message).toBe(res.body.error.details.map((p: { path: string; message: string }) => `  - ${p.path}: ${p.message}`).join('\n'));

    const loaded = loadAsFile('typo.json', text);
    expect('error' in loaded).toBe(true);
    if ('error' in loaded) expect(loaded.error).toBe(`invalid policy in ${loaded.file}:\n${res.body.error.message}`);
  });

  test('the same typo in YAML names the same field, with the same message as a .yaml file', async () => {
    const text = toYaml(typoCandidate());
    const res = await validate(text, 'application/yaml');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_policy', message: expect.stringContaining('fit.treshold: unknown field') });
    const loaded = loadAsFile('typo.yaml', text);
    if (!('error' in loaded)) throw new Error('the typo file loaded');
    expect(loaded.error).toBe(`invalid policy in ${loaded.file}:\n${res.body.error.message}`);
    const check = checkPolicyDocument(text, 'yaml');
    expect(check.ok).toBe(false);
    if (!check.ok) expect(res.body.error.message).toBe(check.message);
  });

  test('a document that is not JSON (or YAML) at all is one invalid_policy problem at (document), as at start-up', async () => {
    for (const [text, type, name] of [
      ['{"fit": ', 'application/json', 'broken.json'],
      ['fit: [unclosed', 'application/yaml', 'broken.yaml'],
      ['', 'application/json', 'empty.json'],
    ] as const) {
      const res = await validate(text, type);
      expect({ type, status: res.status, code: res.body.error?.code }).toEqual({ type, status: 400, code: 'invalid_policy' });
      expect(res.body.error.details).toEqual([{ path: '(document)', message: expect.stringMatching(/^not valid (JSON|YAML): /) }]);
      const loaded = loadAsFile(name, text);
      if (!('error' in loaded)) throw new Error(`${name} loaded`);
      expect(loaded.error).toBe(`invalid policy in ${loaded.file}:\n${res.body.error.message}`);
    }
  });

  test('several problems at once, each named by its path', async () => {
    const candidate = {
      ...defaultLeadPolicyInput,
      sla: { ...defaultLeadPolicyInput.sla, contactAttemptsBeforeNotReady: 99 },
      fit: { ...defaultLeadPolicyInput.fit, threshold: 'forty' },
      engagment: {},
    };
    const res = await validate(JSON.stringify(candidate));
    expect(res.status).toBe(400);
    const paths = (res.body.error.details as { path: string }[]).map((p) => p.path);
    expect(paths[0]).toBe('engagment');
    expect(paths).toEqual(expect.arrayContaining(['sla.contactAttemptsBeforeNotReady', 'fit.threshold']));
  });

  test('validating changes nothing: the active policy stays what it was', async () => {
    await validate(JSON.stringify({ ...defaultLeadPolicyInput, name: 'not-deployed' })).expect(200);
    const res = await request(t.app).get('/v1/policy').set(read);
    expect(res.body).toMatchObject({ version: examplePolicy.version, name: 'sample-two-territories' });
  });

  test('admin scope only; 415 for other media types; 413 above 1 MB', async () => {
    const text = JSON.stringify(defaultLeadPolicyInput);
    for (const key of [testKeys.read, testKeys.sales, testKeys.intake]) {
      const res = await validate(text, 'application/json', bearer(key));
      expect({ key: key.id, status: res.status, code: res.body.error?.code }).toEqual({ key: key.id, status: 403, code: 'forbidden' });
    }
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await validate(text, type);
      expect({ type, status: res.status, code: res.body.error?.code }).toEqual({ type, status: 415, code: 'unsupported_media_type' });
    }
    const huge = await validate(`# ${'x'.repeat(1_100_000)}\n${exampleText}`, 'application/yaml');
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
  });

  test('other write routes still take JSON only (YAML is a 415 there)', async () => {
    const res = await request(t.app).post('/v1/leads').set(bearer(testKeys.intake)).set('Content-Type', 'application/yaml').send('email: a@b.example\n');
    expect(res.status).toBe(415);
  });
});
