import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { loadPolicyFile } from '../../config/policy-file';
import { defaultLeadPolicyInput } from '../../domain/lead-policy';
import { TEST_LEAD_ID_SECRET, TEST_MASTER_KEY_SPEC } from '../support/encryption';

// A policy with a typo stops every real start-up entry before it connects to anything: the process exits
// non-zero and stderr names the file and the field. Temporal and the database both point at a local TCP
// listener that counts connection attempts, so "before connecting" is observed, not assumed.

const root = path.resolve(__dirname, '../..');
const entries = ['worker/main.ts', 'api/main.ts', 'scripts/start-all.ts'];

let dir: string;
let listener: Server;
let port: number;
let connections = 0;
const children: ChildProcess[] = [];
const sockets = new Set<Socket>();

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'leadflow-policy-startup-'));
  listener = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    // Never answers: a client that got this far is stuck until it is killed.
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as { port: number }).port;
});
afterAll(async () => {
  for (const child of children) killGroup(child);
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => listener?.close(() => resolve()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Stops the process group this test started for `child` (npx and everything under it). */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

const typoPolicy = (): Record<string, unknown> => {
  const { threshold, ...fit } = defaultLeadPolicyInput.fit;
  return { ...defaultLeadPolicyInput, fit: { ...fit, treshold: threshold } };
};

function startEntry(entry: string, policyFile: string): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }> } {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LEADFLOW_POLICY_FILE: policyFile,
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/leadflow`,
    LEADFLOW_API_KEYS: 'ops:startup-secret-0123456789abcdef:admin',
    LEADFLOW_MASTER_KEY: TEST_MASTER_KEY_SPEC,
    LEADFLOW_LEAD_ID_SECRET: TEST_LEAD_ID_SECRET,
    LEADFLOW_DATA_DIR: dir,
  };
  delete env.PORT;
  // Its own process group, so npx, tsx and the node process under them can be stopped together.
  const child = spawn('npx', ['--no', 'tsx', entry], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.resume();
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  return { child, done };
}

describe.each([
  ['json', (p: unknown) => JSON.stringify(p, null, 2)],
  ['yaml', (p: unknown) => toYaml(p)],
] as const)('a .%s policy file with a typo (fit.treshold)', (ext, write) => {
  test.each(entries)('%s exits non-zero naming fit.treshold, before connecting to Temporal or the database', async (entry) => {
    const file = path.join(dir, `typo-${entry.replace(/\W/g, '-')}.${ext}`);
    writeFileSync(file, write(typoPolicy()));
    const expected = (() => {
      try {
        loadPolicyFile(file);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('the typo policy loaded');
    })();

    const before = connections;
    const { code, stderr } = await startEntry(entry, file).done;
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(stderr).toContain(`invalid policy in ${file}:`);
    expect(stderr).toContain('  - fit.treshold: unknown field');
    // Exactly what loadPolicyFile says (what POST /v1/policy/validate answers, after the file line).
    expect(stderr).toContain(expected);
    expect(stderr).not.toMatch(/\n\s+at /); // the message, not a stack trace
    expect(connections - before).toBe(0);
  });
});

test('the listener does see an entry that gets past the policy (a valid file): the check above is meaningful', async () => {
  const file = path.join(dir, 'valid.yaml');
  writeFileSync(file, toYaml(defaultLeadPolicyInput));
  const before = connections;
  const { child, done } = startEntry('worker/main.ts', file);
  const deadline = Date.now() + 60_000;
  while (connections === before && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  killGroup(child);
  await done;
  expect(connections).toBeGreaterThan(before);
});
