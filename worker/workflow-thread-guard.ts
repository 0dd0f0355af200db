/**
 * Keeps the worker process alive when a workflow task runs past the SDK's isolate timeout (issue 16).
 *
 * What kills it without this (reproduced with @temporalio/worker 1.24.0 on Node 20.20, see
 * test/worker/slow-workflow-task.int.test.ts): the SDK runs workflow code with `vm` in a worker thread, in a
 * context with `microtaskMode: 'afterEvaluate'`, under a 5 s `timeout` (its deadlock detection). Workflow
 * code after an `await` runs as a promise reaction, and once a cancellation scope has run (`condition(fn,
 * timeout)` runs one, and the lead waits that way) the sandbox's AsyncLocalStorage has turned Node's async
 * hooks on, so each reaction pushes an async context. When the timeout terminates a reaction, its context is
 * never popped; when the thread's message callback then closes, Node finds the stack out of order and ends
 * the whole process with exit code 1: "async hook stack has become corrupted" (nodejs/node#38503, open).
 * reuseV8Context, workflowThreadPoolSize and maxCachedWorkflows make no difference.
 *
 * What this does: the SDK's workflow threads start with a small wrapper around `vm.Script#runInContext`.
 * When a call with a timeout ends in ERR_SCRIPT_EXECUTION_TIMEOUT, it pops the async contexts the
 * terminated reactions left behind, back to the one the call started in, so the stack is as Node expects.
 * The timeout error goes on to the SDK unchanged: the task fails ("Script execution timed out after
 * 5000ms"), Core evicts the run and the server retries the task, and the worker keeps polling. Nothing
 * changes for a task that finishes in time. Popping needs Node's `async_wrap` binding (process.binding,
 * deprecated; Node prints DEP0111 once, in the thread, the first time a timeout is repaired).
 */
import { createRequire } from 'node:module';

/** Runs in each workflow thread before the SDK's thread code: plain JavaScript, no tooling there. */
const THREAD_GUARD_SOURCE = `
(() => {
  const vm = require('node:vm');
  const { executionAsyncId } = require('node:async_hooks');
  const runInContext = vm.Script.prototype.runInContext;
  vm.Script.prototype.runInContext = function leadflowGuardedRunInContext(context, options) {
    if (!options || !options.timeout) return runInContext.call(this, context, options);
    const entered = executionAsyncId();
    try {
      return runInContext.call(this, context, options);
    } catch (err) {
      if (err && err.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT' && executionAsyncId() !== entered) {
        const asyncWrap = process.binding('async_wrap');
        const fields = asyncWrap.async_hook_fields;
        const { kStackLength } = asyncWrap.constants;
        let popped = 0;
        while (fields[kStackLength] > 0 && executionAsyncId() !== entered) {
          asyncWrap.popAsyncContext(executionAsyncId());
          popped++;
        }
        console.warn('leadflow: a workflow task ran past the ' + options.timeout + ' ms isolate timeout; popped ' + popped +
          ' async contexts it left behind, so the worker lives on (the task fails and is retried)');
      }
      throw err;
    }
  };
})();
`;

/** The SDK starts its workflow threads from this file (lib/workflow/threaded-vm.js). */
const SDK_WORKFLOW_THREAD = /[\\/]@temporalio[\\/]worker[\\/]lib[\\/]workflow[\\/]workflow-worker-thread(?:\.js)?$/;

let installed = false;

/**
 * Makes the SDK's workflow threads, created from now on in this process, start with the guard. Idempotent;
 * call it before `Worker.create`. Other worker threads are left alone.
 */
export function installWorkflowThreadGuard(): void {
  if (installed) return;
  installed = true;
  // The real module object (an `import * as` namespace would be a copy): the SDK reads
  // `worker_threads.Worker` from it each time it starts a thread.
  const workerThreads = createRequire(__filename)('node:worker_threads') as typeof import('node:worker_threads');
  const NodeWorker = workerThreads.Worker;
  class GuardedWorker extends NodeWorker {
    constructor(filename: string | URL, options?: import('node:worker_threads').WorkerOptions) {
      const file = typeof filename === 'string' ? filename : filename.protocol === 'file:' ? decodeURIComponent(filename.pathname) : '';
      if (!options?.eval && SDK_WORKFLOW_THREAD.test(file)) {
        super(`${THREAD_GUARD_SOURCE}\nrequire(${JSON.stringify(file)});`, { ...options, eval: true });
      } else {
        super(filename, options);
      }
    }
  }
  workerThreads.Worker = GuardedWorker;
}
