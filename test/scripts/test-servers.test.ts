import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// scripts/test-servers.sh finds the Temporal servers one test run left running (jest's globalTeardown and
// .ci/run use it) and must never touch anyone else's: another run's, or a developer's `npm start`. Fake
// servers here: `sleep` started under the servers' file names, with and without the run's marker.

const script = path.resolve(__dirname, '../../scripts/test-servers.sh');
const linux = existsSync('/proc/self/environ');
const dir = mkdtempSync(path.join(tmpdir(), 'leadflow-test-servers-'));
const started: ChildProcess[] = [];
const runId = `unit-${process.pid}-${Date.now()}`;

function fake(name: string, run: string | undefined): ChildProcess {
  const bin = path.join(dir, name);
  if (!existsSync(bin)) symlinkSync('/bin/sleep', bin);
  const env = { ...process.env };
  delete env.LEADFLOW_TEST_RUN;
  if (run) env.LEADFLOW_TEST_RUN = run;
  const child = spawn(bin, ['300'], { env, stdio: 'ignore' });
  started.push(child);
  return child;
}

const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;
const listed = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((line) => Number(line.split(' ')[0])).sort();

afterAll(() => {
  for (const child of started) if (alive(child)) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

(linux ? test : test.skip)("lists and ends only this run's temporal and temporal-test-server processes", async () => {
  const ours = [fake('temporal', runId), fake('temporal-test-server', runId)];
  const others = [
    fake('temporal', `${runId}-other`), // another run, an id that starts the same
    fake('temporal', undefined), // unmarked: a developer's npm start
    fake('sleep', runId), // this run's, but not a Temporal server
  ];
  await new Promise((r) => setTimeout(r, 300)); // let them exec

  const found = spawnSync('bash', [script, runId], { encoding: 'utf8' });
  expect(found.status).toBe(1);
  expect(listed(found.stdout)).toEqual(ours.map((c) => c.pid).sort());

  const killed = spawnSync('bash', [script, runId, '--kill'], { encoding: 'utf8' });
  expect(killed.status).toBe(1);
  await new Promise((r) => setTimeout(r, 300));
  expect(ours.filter(alive)).toEqual([]);
  expect(others.filter(alive)).toHaveLength(others.length);

  const none = spawnSync('bash', [script, runId], { encoding: 'utf8' });
  expect(none.status).toBe(0);
  expect(none.stdout).toBe('');
});
