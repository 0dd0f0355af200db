import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { quietRuntime, temporalBinaries } from '../support/temporal-env';

// A worker survives a slow workflow task (issue 16). Without worker/workflow-thread-guard.ts, Node ends the
// whole worker process ("async hook stack has become corrupted", exit code 1) when a task's promise
// continuation runs past the SDK's 5 s isolate timeout; see that file for why. The worker runs in a process
// of its own (test/worker/fixtures/slow-task-worker.ts, with the guard as createLeadWorker installs it), so
// that an abort shows as a dead process and not as a dead jest worker. Real dev server, no mocks.

const root = path.resolve(__dirname, '../..');
const taskQueue = `slow-task-${process.pid}`;

let env: TestWorkflowEnvironment;
let worker: ChildProcess | undefined;
let output = '';
let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;

beforeAll(async () => {
  quietRuntime();
  env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporalBinaries().cli } },
  });
  worker = spawn(path.join(root, 'node_modules/.bin/tsx'), [path.join(__dirname, 'fixtures/slow-task-worker.ts')], {
    cwd: root,
    env: { ...process.env, TEMPORAL_ADDRESS: env.address, SLOW_TASK_QUEUE: taskQueue },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so afterAll can end it with everything it started
  });
  worker.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  worker.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  worker.on('exit', (code, signal) => (exited = { code, signal }));
  await waitFor(async () => output.includes('worker polling') || exited !== undefined, 90_000, 'the worker to poll');
  expect(exited).toBeUndefined();
}, 180_000);

afterAll(async () => {
  if (worker?.pid && exited === undefined) {
    try {
      process.kill(-worker.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  await env?.teardown();
});

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; worker output:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The attempt of the workflow task the server has pending (0 when none). */
async function pendingTaskAttempt(handle: WorkflowHandle): Promise<number> {
  const { raw } = await handle.describe();
  return raw.pendingWorkflowTask?.attempt ?? 0;
}

async function failedTaskMessages(handle: WorkflowHandle): Promise<string[]> {
  const { events } = await handle.fetchHistory();
  return (events ?? [])
    .filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
    .map((e) => e.workflowTaskFailedEventAttributes?.failure?.message ?? '');
}

test('a task past the 5 s isolate timeout fails and is retried; the worker process lives on and completes other work', async () => {
  // Shaped like a lead: it waits with condition(fn, timeout), and a signal's continuation never ends.
  const spinner = await env.client.workflow.start('spinOnSignal', {
    taskQueue,
    workflowId: `spin-${taskQueue}`,
    workflowTaskTimeout: '60s',
  });
  await spinner.signal('go');

  // The task fails as a timeout, not a crash; the server retries it, and the retry times out the same way.
  // Each timeout left async contexts behind (the state Node aborts on) and the guard popped them: so the
  // test is not vacuous.
  const repaired = () => output.match(/leadflow: a workflow task ran past the 5000 ms isolate timeout; popped [1-9]\d* async contexts/g) ?? [];
  await waitFor(async () => repaired().length >= 2 || exited !== undefined, 150_000, 'two timed-out attempts');
  expect(exited).toBeUndefined();
  expect(output).not.toMatch(/async hook stack has become corrupted/);
  const failed = await failedTaskMessages(spinner);
  expect(failed.length).toBeGreaterThan(0);
  expect(new Set(failed)).toEqual(new Set(['Script execution timed out after 5000ms']));
  expect(await pendingTaskAttempt(spinner)).toBeGreaterThanOrEqual(2);

  // The same worker still takes work and completes it, while the spinner keeps failing beside it.
  const result = await env.client.workflow.execute('quick', {
    taskQueue,
    workflowId: `quick-${taskQueue}`,
    args: ['after the slow task'],
    workflowExecutionTimeout: '90s',
  });
  expect(result).toBe('done after the slow task');

  await spinner.terminate('test over');
  expect(exited).toBeUndefined();

  // And it still shuts down cleanly.
  process.kill(worker!.pid!, 'SIGTERM');
  await waitFor(async () => exited !== undefined, 60_000, 'the worker to stop');
  expect(exited).toEqual({ code: 0, signal: null });
  expect(output).toContain('worker stopped');
}, 400_000);
