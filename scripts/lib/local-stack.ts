import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { leadSearchAttributeFlags } from '../../workflows/lead.search-attributes';

/*
 * What the scripts that run a whole local stack of their own share (`npm run fuzz`, `npm run chaos`):
 * the pinned tools, child processes that cannot outlive the script, the Temporal dev server's flags, free
 * ports and the machine's PostgreSQL server, where each run creates and drops a database of its own.
 */

export const repoRoot = path.resolve(__dirname, '../..');

/** The machine's PostgreSQL server, reached as its superuser (trust auth). */
export const POSTGRES_ADMIN_URL = process.env.LEADFLOW_FUZZ_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A tool a `scripts/*-tools.sh --print` script provides (the pinned binaries, installed on first use). */
export function toolPath(script: string, name: string): string {
  const out = execFileSync('bash', [path.join(repoRoot, 'scripts', script), '--print'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const line = out.split('\n').find((l) => l.startsWith(`${name}=`));
  if (!line) throw new Error(`scripts/${script} --print did not name ${name}`);
  return line.slice(name.length + 1).trim();
}

/**
 * `temporal server start-dev` for Leadflow: headless on 127.0.0.1, the lead search attributes,
 * update-with-start on; in memory unless `dbFile` persists it.
 */
export function devServerArgs(ports: { grpc: number; http: number; metrics: number }, options: { dbFile?: string; dynamicConfig?: string[] } = {}): string[] {
  return [
    'server', 'start-dev', '--headless', '--ip', '127.0.0.1',
    '--port', String(ports.grpc), '--http-port', String(ports.http), '--metrics-port', String(ports.metrics),
    ...(options.dbFile ? ['--db-filename', options.dbFile] : []),
    '--log-level', 'error',
    ...leadSearchAttributeFlags.flatMap((a) => ['--search-attribute', a]),
    ...['frontend.enableExecuteMultiOperation=true', ...(options.dynamicConfig ?? [])].flatMap((v) => ['--dynamic-config-value', v]),
  ];
}

/**
 * A child process whose output is appended to `logFile`. Should this process die without stopping it (an
 * uncaught error, process.exit), the child is killed on the way out, so no server outlives the script.
 */
export function spawnLogged(command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const killOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  if ((await withTimeout(gone, graceMs).then(() => 'gone', () => 'timeout')) === 'timeout') {
    child.kill('SIGKILL');
    await gone;
  }
}

/** A client connection once the dev server answers (it takes a few seconds to start), within `maxMs`. */
export async function connectTemporal(address: string, server: ChildProcess, maxMs = 60_000): Promise<Connection> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the Temporal dev server exited with ${server.exitCode}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return connection;
      } catch (err) {
        await connection.close();
        throw err;
      }
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the Temporal dev server did not answer within ${maxMs / 1000} s: ${String(err)}`);
      await sleep(500);
    }
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** One statement on the machine's server as its superuser (create/drop database). */
export async function pgAdmin(statement: string): Promise<void> {
  const client = new PgClient({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** The URL of database `name` on the machine's server. */
export function databaseUrlFor(name: string): string {
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
