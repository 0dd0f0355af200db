import type { ChildProcess } from 'node:child_process';
import { sleep, spawnLogged, stopChild } from '../lib/local-stack';

/**
 * A process of the stack under test (the dev server, a worker, the API), kept running the way a
 * production supervisor would: the suite kills or stops it on purpose (`kill`, `stop`), and starts it
 * again; when it dies on its own it is restarted after a second, and that is counted and reported.
 */
export class Supervised {
  private child?: ChildProcess;
  /** True while the suite wants it down (a fault in progress, or the end of the run). */
  private held = true;
  /** Exits the suite did not cause, with their code or signal. */
  readonly unexpectedExits: string[] = [];

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    readonly logFile: string,
    private readonly readyLine: RegExp | undefined,
    private readonly say: (message: string) => void,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The current child process (the last one started). */
  get process(): ChildProcess | undefined {
    return this.child;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts it and waits for its ready line (if it has one), within `maxMs`. */
  async start(maxMs = 120_000): Promise<void> {
    this.held = false;
    const child = spawnLogged(this.command, this.args, this.logFile, this.env);
    this.child = child;
    child.once('exit', (code, signal) => {
      if (this.held || this.child !== child) return;
      const how = signal ? `signal ${signal}` : `code ${code}`;
      this.unexpectedExits.push(how);
      // Backoff like a supervisor's (1 s doubling to 8 s), reset once it is ready again.
      const delay = Math.min(8000, 1000 * 2 ** this.failures++);
      this.say(`${this.name} exited on its own (${how}); restarting it in ${delay / 1000} s`);
      void sleep(delay).then(() => (this.held || this.child !== child ? undefined : this.start(maxMs).catch(() => undefined)));
    });
    if (this.readyLine) await waitForLine(child, this.readyLine, maxMs, this.name);
    this.failures = 0;
  }

  /** Exits on its own since it was last ready (the restart backoff grows with them). */
  private failures = 0;

  /** SIGKILL: no goodbye, as when a machine dies. */
  async kill(): Promise<void> {
    this.held = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await gone;
  }

  /** SIGTERM (graceful), SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    this.held = true;
    if (this.child) await stopChild(this.child, graceMs);
  }
}

function waitForLine(child: ChildProcess, pattern: RegExp, maxMs: number, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => done(new Error(`${name} not ready within ${maxMs / 1000} s`)), maxMs);
    const onData = (chunk: Buffer): void => {
      buffer = (buffer + chunk.toString('utf8')).slice(-10_000);
      if (pattern.test(buffer)) done();
    };
    const onExit = (code: number | null, signal: string | null): void => done(new Error(`${name} exited (${signal ?? code}) before it was ready`));
    const done = (err?: Error): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}
