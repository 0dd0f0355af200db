import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { leadIdForEmail } from '../../client/lead-id';
import { submitForm } from '../../client/lead-intake';
import { createDatabase, type Db } from '../../db/connection';
import type { LeadPolicy } from '../../domain/lead-policy';
import type { FillFormInput, FormAnswer } from '../../workflows/lead.messages';
import { migrateToLatest } from '../../db/migrate';
import { createKeyStore, leadflowDataConverter, type KeyStore } from '../../encryption';
import { generateMasterKeySpec, parseMasterKeys } from '../../encryption/master-keys';
import { leadSearchAttributeFlags } from '../../workflows/lead.search-attributes';
import { JsonHttpClient, sleep, waitFor } from './load';
import { BENCH_DATABASE_PREFIX, PLAINTEXT_TASK_QUEUE } from './plaintext';

/** The machine's PostgreSQL server; the bench creates and drops its own database on it. */
export const POSTGRES_ADMIN_URL = process.env.LEADFLOW_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The folder holding package.json (dist/bench/lib when compiled). */
export function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
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

export function temporalCli(): string {
  const out = execFileSync('bash', [path.join(repoRoot(), 'scripts/temporal-tools.sh'), '--print'], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.startsWith('TEMPORAL_CLI='));
  if (!line) throw new Error('scripts/temporal-tools.sh --print did not name TEMPORAL_CLI');
  return line.slice('TEMPORAL_CLI='.length).trim();
}

/** Resident memory of a process in MiB, from /proc (Linux); NaN when the process is gone. */
export function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  loadAverage: { atStart: number[]; atEnd?: number[] };
  temporalCli: string;
  postgres: string;
}

/** A child process whose output goes to a log file; `ready` resolves when a line matches. */
class Child {
  readonly proc: ChildProcess;
  private exited = false;
  constructor(
    readonly name: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    readonly logFile: string,
  ) {
    const log = createWriteStream(logFile);
    this.proc = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout?.pipe(log);
    this.proc.stderr?.pipe(log);
    this.proc.on('exit', (code, signal) => {
      this.exited = true;
      this.exit = { code, signal };
    });
  }

  /** How the process ended, once it has. */
  exit?: { code: number | null; signal: NodeJS.Signals | null };

  /** The last lines of its log (for the report when it died). */
  logTail(lines = 12): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  waitForLine(pattern: RegExp, maxMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let buffer = '';
      const timer = setTimeout(() => done(new Error(`${this.name} not ready within ${maxMs} ms (see ${this.logFile})`)), maxMs);
      const onData = (chunk: Buffer): void => {
        buffer = (buffer + chunk.toString('utf8')).slice(-10_000);
        if (pattern.test(buffer)) done();
      };
      const onExit = (code: number | null): void => done(new Error(`${this.name} exited with ${code} (see ${this.logFile})`));
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.proc.stdout?.off('data', onData);
        this.proc.stderr?.off('data', onData);
        this.proc.off('exit', onExit);
        if (err) reject(err);
        else resolve();
      };
      this.proc.stdout?.on('data', onData);
      this.proc.stderr?.on('data', onData);
      this.proc.on('exit', onExit);
    });
  }

  /** SIGTERM (graceful: workers drain, --cpu-prof profiles are written), SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.exited || this.pid === undefined) return;
    const gone = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.kill('SIGTERM');
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs));
    if ((await Promise.race([gone, timer])) === 'timeout' && !this.exited) {
      this.proc.kill('SIGKILL');
      await gone;
    }
  }
}

export interface EnvironmentOptions {
  /** When set, the lead worker and the API run under `node --cpu-prof` and write their profiles in worker/ and api/ here. */
  profileDir?: string;
  /** API log level (info = what production logs). */
  logLevel?: string;
  say: (message: string) => void;
  /** `file` (default): SQLite file in the temporary folder, like `npm start`; `memory`: in-memory SQLite. */
  temporalDb?: 'file' | 'memory';
  /**
   * The dev server's `history.maximumSignalsPerExecution` (Temporal's default: 10,000 signals per run).
   * Lower it to reach the per-run signal cap with a small storm (see the storm scenario).
   */
  maxSignalsPerRun?: number;
  /** Also start the plaintext pair (bench/plaintext-worker.ts, bench/plaintext-api.ts): Leadflow with encryption off. */
  plaintext?: boolean;
}

/** Which Leadflow a measurement runs against: production's (payloads encrypted) or the plaintext pair. */
export type Encryption = 'on' | 'off';

/** The plaintext pair: a lead worker and an API with encryption off, on their own task queue. */
export interface PlaintextPair {
  worker: Child;
  api: Child;
  apiUrl: string;
  http?: JsonHttpClient;
}

/**
 * Everything a bench run needs, all local and all its own: a Temporal dev server on free ports with its
 * SQLite file in a temporary folder, a throwaway PostgreSQL database, the lead worker and the API as
 * child processes (the production entry points, dist/worker/main.js and dist/api/main.js), optionally
 * the same two with encryption off (dist/bench/plaintext-worker.js and plaintext-api.js), and the floor
 * worker. `stop()` ends every process it started and drops the database.
 */
export class BenchEnvironment {
  readonly tmpDir = mkdtempSync(path.join(os.tmpdir(), 'leadflow-bench-'));
  readonly apiKey = { id: 'bench', secret: `bench-${randomBytes(16).toString('hex')}` };
  readonly dbName = `${BENCH_DATABASE_PREFIX}${randomBytes(6).toString('hex')}`;
  /** This run's master key and lead id secret, given to the worker, the API and the bench's own client. */
  readonly masterKey = generateMasterKeySpec('bench');
  readonly leadIdSecret = randomBytes(32).toString('base64');
  keys?: KeyStore;
  temporalAddress = '';
  apiUrl = '';
  databaseUrl = '';
  temporal?: Child;
  worker?: Child;
  api?: Child;
  floorWorker?: Child;
  /** Leadflow with encryption off, when the run measures what encryption costs. */
  plaintext?: PlaintextPair;
  connection?: Connection;
  /** Leadflow's client: the data converter of the API and the worker (payloads encrypted per lead). */
  client?: Client;
  /**
   * The floors' client: Temporal's default data converter, like the floor worker. The floor is the bare
   * engine, so Leadflow's encryption is billed to Leadflow; and the floor worker has no codec, so an
   * encrypted floor payload would fail its workflow task ("Unknown encoding: binary/encrypted").
   */
  floorClient?: Client;
  db?: Db;
  http?: JsonHttpClient;
  private dbCreated = false;
  /** Set when something went wrong, so the processes' logs survive the run. */
  keepTmp = false;

  constructor(private readonly options: EnvironmentOptions) {}

  get temporalDbFile(): string {
    return path.join(this.tmpDir, 'temporal.db');
  }

  async start(concurrency: number): Promise<void> {
    const { say } = this.options;
    const root = repoRoot();
    const cli = temporalCli();
    const [grpcPort, httpPort, metricsPort, apiPort, plaintextApiPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    this.temporalAddress = `127.0.0.1:${grpcPort}`;
    const attrs = leadSearchAttributeFlags.flatMap((a) => ['--search-attribute', a]);
    const dynamic = [
      'frontend.enableExecuteMultiOperation=true',
      // The bench pushes one namespace hard; lift the per-namespace and per-instance rate limits.
      'frontend.namespaceRPS=100000',
      'frontend.rps=100000',
      'frontend.namespaceRPS.visibility=10000',
      ...(this.options.maxSignalsPerRun ? [`history.maximumSignalsPerExecution=${this.options.maxSignalsPerRun}`] : []),
    ].flatMap((v) => ['--dynamic-config-value', v]);
    say(`starting Temporal dev server on ${this.temporalAddress} (${this.options.temporalDb === 'memory' ? 'in-memory SQLite' : `data in ${this.temporalDbFile}`})`);
    this.temporal = new Child(
      'temporal dev server',
      cli,
      [
        'server', 'start-dev', '--headless', '--ip', '127.0.0.1',
        '--port', String(grpcPort), '--http-port', String(httpPort), '--metrics-port', String(metricsPort),
        ...(this.options.temporalDb === 'memory' ? [] : ['--db-filename', this.temporalDbFile]),
        '--log-level', 'error', ...attrs, ...dynamic,
      ],
      process.env,
      path.join(this.tmpDir, 'temporal.log'),
    );
    const connected = await waitFor(async () => {
      if (!this.temporal?.alive) throw new Error(`Temporal dev server exited (see ${this.temporal?.logFile})`);
      try {
        this.connection = await Connection.connect({ address: this.temporalAddress, connectTimeout: 1000 });
        await this.connection.workflowService.getSystemInfo({});
        return true;
      } catch {
        await this.connection?.close().catch(() => undefined);
        this.connection = undefined;
        return false;
      }
    }, 60_000, 500);
    if (!connected || !this.connection) throw new Error('Temporal dev server did not answer within 60 s');

    say(`creating PostgreSQL database ${this.dbName}`);
    await pgAdmin(`create database ${this.dbName}`);
    this.dbCreated = true;
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${this.dbName}`;
    this.databaseUrl = url.toString();
    this.db = createDatabase({ databaseUrl: this.databaseUrl, dataDir: '', maxConnections: 4 });
    await migrateToLatest(this.db);
    // The bench's own client encrypts and decrypts like the API: same data keys, same master key.
    this.keys = createKeyStore(this.db, parseMasterKeys(this.masterKey));
    this.client = new Client({ connection: this.connection, namespace: 'default', dataConverter: leadflowDataConverter(this.keys) });
    this.floorClient = new Client({ connection: this.connection, namespace: 'default' });

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      LEADFLOW_MASTER_KEY: this.masterKey,
      LEADFLOW_LEAD_ID_SECRET: this.leadIdSecret,
      TEMPORAL_ADDRESS: this.temporalAddress,
      DATABASE_URL: this.databaseUrl,
      PORT: String(apiPort),
      LEADFLOW_API_KEYS: `${this.apiKey.id}:${this.apiKey.secret}:admin`,
      LEADFLOW_RATE_LIMIT_PER_MINUTE: '100000000',
      LOG_LEVEL: this.options.logLevel ?? 'info',
      NODE_ENV: 'production',
    };
    const node = process.execPath;
    // One folder per process: the worker's workflow threads write their own profiles beside the main one.
    const prof = (name: string): string[] =>
      this.options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(this.options.profileDir, name)}`] : [];
    say(`starting the lead worker, the API${this.options.plaintext ? ', the plaintext worker and API (encryption off)' : ''} and the floor worker`);
    this.worker = new Child('lead worker', node, [...prof('worker'), path.join(root, 'dist/worker/main.js')], env, path.join(this.tmpDir, 'worker.log'));
    this.api = new Child('api', node, [...prof('api'), path.join(root, 'dist/api/main.js')], env, path.join(this.tmpDir, 'api.log'));
    this.floorWorker = new Child(
      'floor worker',
      node,
      [path.join(root, 'dist/bench/floor-worker.js')],
      { ...process.env, TEMPORAL_ADDRESS: this.temporalAddress },
      path.join(this.tmpDir, 'floor-worker.log'),
    );
    if (this.options.plaintext) {
      // Same server, database, keys and settings; its own task queue and port, and no profiling.
      const plainEnv: NodeJS.ProcessEnv = { ...env, PORT: String(plaintextApiPort), LEADFLOW_TASK_QUEUE: PLAINTEXT_TASK_QUEUE };
      this.plaintext = {
        worker: new Child('plaintext worker', node, [path.join(root, 'dist/bench/plaintext-worker.js')], plainEnv, path.join(this.tmpDir, 'plaintext-worker.log')),
        api: new Child('plaintext api', node, [path.join(root, 'dist/bench/plaintext-api.js')], plainEnv, path.join(this.tmpDir, 'plaintext-api.log')),
        apiUrl: `http://127.0.0.1:${plaintextApiPort}`,
      };
    }
    await Promise.all([
      this.worker.waitForLine(/leadflow worker started/, 90_000),
      this.api.waitForLine(/leadflow api listening/, 90_000),
      this.floorWorker.waitForLine(/floor worker started/, 90_000),
      // It bundles its workflow code at start-up (see plaintext-worker.ts): give it longer.
      ...(this.plaintext
        ? [this.plaintext.worker.waitForLine(/leadflow plaintext worker started/, 180_000), this.plaintext.api.waitForLine(/leadflow plaintext api listening/, 90_000)]
        : []),
    ]);
    this.apiUrl = `http://127.0.0.1:${apiPort}`;
    this.http = await this.connectHttp(this.apiUrl, concurrency, 'the API');
    if (this.plaintext) this.plaintext.http = await this.connectHttp(this.plaintext.apiUrl, concurrency, 'the plaintext API');
  }

  private async connectHttp(url: string, concurrency: number, name: string): Promise<JsonHttpClient> {
    const http = new JsonHttpClient(url, { authorization: `Bearer ${this.apiKey.secret}` }, concurrency + 4);
    const ready = await waitFor(async () => (await http.request('GET', '/readyz').catch(() => ({ status: 0 }))).status === 200, 30_000);
    if (!ready) throw new Error(`${name} did not become ready within 30 s`);
    return http;
  }

  /** The HTTP client of production's API (`on`) or of the plaintext API (`off`). */
  httpFor(encryption: Encryption): JsonHttpClient {
    const http = encryption === 'on' ? this.http : this.plaintext?.http;
    if (!http) throw new Error(`no API running with encryption ${encryption}`);
    return http;
  }

  /** The lead worker's and the API's process ids, with encryption on or off. */
  pidsFor(encryption: Encryption): { worker?: number; api?: number } {
    return encryption === 'on' ? { worker: this.worker?.pid, api: this.api?.pid } : { worker: this.plaintext?.worker.pid, api: this.plaintext?.api.pid };
  }

  /** A form fill straight to Temporal (update-with-start), the lead id derived with this run's secret. */
  submit(form: FillFormInput, policy: LeadPolicy): Promise<FormAnswer> {
    return submitForm(this.client!, leadIdForEmail(form.profile.email, this.leadIdSecret), form, policy);
  }

  /**
   * Starts the floor worker again after it died, and says how it died (its exit and the log's last
   * lines). The storm's floor can kill it: a bare workflow flooded with signals cannot continue as new,
   * and replaying its grown run outlasts the SDK's workflow-task limit.
   */
  async restartFloorWorker(): Promise<string | undefined> {
    const dead = this.floorWorker;
    if (!dead || dead.alive) return undefined;
    const tail = dead.logTail(60).split('\n');
    const timedOut = tail.some((l) => /Script execution timed out/.test(l));
    const error = tail.find((l) => /^Error/.test(l));
    const how =
      `floor worker exited (code ${dead.exit?.code ?? 'none'}, signal ${dead.exit?.signal ?? 'none'})` +
      `${timedOut ? '; a workflow task had run past the SDK\'s 5 s limit ("Script execution timed out")' : ''}${error ? `; ${error}` : ''}`;
    this.restarts += 1;
    this.floorWorker = new Child(
      'floor worker',
      process.execPath,
      [path.join(repoRoot(), 'dist/bench/floor-worker.js')],
      { ...process.env, TEMPORAL_ADDRESS: this.temporalAddress },
      path.join(this.tmpDir, `floor-worker-${this.restarts + 1}.log`),
    );
    await this.floorWorker.waitForLine(/floor worker started/, 90_000);
    this.keepTmp = true;
    return how;
  }

  private restarts = 0;

  /** A line per process that is no longer running (it should be), with its exit and its log's last lines. */
  deadProcesses(): string[] {
    const children = [this.temporal, this.worker, this.api, this.floorWorker, this.plaintext?.worker, this.plaintext?.api].filter((c): c is Child => c !== undefined);
    return children
      .filter((c) => !c.alive)
      .map((c) => `${c.name} exited (code ${c.exit?.code ?? 'none'}, signal ${c.exit?.signal ?? 'none'}); last lines of its log:\n${c.logTail()}`);
  }

  /** Bytes of the Temporal dev server's SQLite database (main file, WAL and shared memory). */
  temporalDbBytes(): number {
    return ['', '-wal', '-shm'].reduce((sum, suffix) => {
      try {
        return sum + statSync(this.temporalDbFile + suffix).size;
      } catch {
        return sum;
      }
    }, 0);
  }

  async stop(): Promise<void> {
    this.http?.close();
    this.plaintext?.http?.close();
    // Children first (the worker drains and closes its pool), then the server, then the database.
    const children = [this.api, this.worker, this.floorWorker, this.plaintext?.api, this.plaintext?.worker].filter((c): c is Child => c !== undefined);
    await Promise.all(children.map((c) => c.stop().catch(() => undefined)));
    await this.connection?.close().catch(() => undefined);
    await this.temporal?.stop(10_000).catch(() => undefined);
    await this.db?.destroy().catch(() => undefined);
    if (this.dbCreated) {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          await pgAdmin(`drop database if exists ${this.dbName} with (force)`);
          break;
        } catch {
          await sleep(1000);
        }
      }
    }
    if (this.keepTmp || process.env.LEADFLOW_BENCH_KEEP_TMP) this.options.say(`logs kept in ${this.tmpDir}`);
    else rmSync(this.tmpDir, { recursive: true, force: true });
  }
}

export async function pgAdmin(statement: string): Promise<unknown[]> {
  const client = new PgClient({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return (await client.query(statement)).rows as unknown[];
  } finally {
    await client.end();
  }
}

export async function machineInfo(cli: string): Promise<MachineInfo> {
  let temporalVersion = 'unknown';
  try {
    temporalVersion = execFileSync(cli, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    /* keep unknown */
  }
  let postgres = 'unknown';
  try {
    const rows = (await pgAdmin('show server_version')) as { server_version: string }[];
    postgres = rows[0]?.server_version ?? 'unknown';
  } catch {
    /* keep unknown */
  }
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage: { atStart: os.loadavg().map((l) => Math.round(l * 100) / 100) },
    temporalCli: temporalVersion,
    postgres,
  };
}
