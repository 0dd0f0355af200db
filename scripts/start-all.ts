import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import pino from 'pino';
import { generateDevKey, parseApiKeys, type ApiKey } from '../api/auth';
import { startApiServer } from '../api/server';
import { dataDirFromEnv, withDevSecrets } from '../config/dev-secrets';
import { DEV_WORKER_METRICS_ADDRESS, loadConfig } from '../config/leadflow.config';
import { createDatabase, describeDatabase } from '../db/connection';
import { migrateToLatest } from '../db/migrate';
import { createKeyStore, leadflowDataConverter } from '../encryption';
import { createLeadWorker } from '../worker/lead-worker';
import { installWorkerTelemetry } from '../worker/telemetry';

/**
 * What `npm start` runs after the dev server is up: the worker and the API in ONE process, sharing one
 * database handle, because the embedded PGlite database can be opened by a single process only.
 * Production runs them apart (`npm run worker`, `npm run api`) against PostgreSQL.
 */
async function main(): Promise<void> {
  const dev = withDevSecrets(withDevWorkerMetrics(withDevCodec(withDevKey(process.env))), dataDirFromEnv(process.env, repoRoot()), { create: true });
  const config = loadConfig(dev.env, { devKey: true });
  const logger = pino({ level: config.logLevel });
  // Before any connection: the Runtime (and the worker's metrics exporter) is installed once per process.
  const workerMetrics = installWorkerTelemetry(config);
  const db = createDatabase(config.database);
  await migrateToLatest(db);
  // One key store for the worker and the API: an erasure forgets the lead's key in both at once.
  const keys = createKeyStore(db, config.privacy.masterKeys);
  const nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: leadflowDataConverter(keys) });
  const worker = await createLeadWorker(config, db, nativeConnection, keys);
  const api = await startApiServer(config, db, client, logger, keys);

  const key = config.api.keys[0]!;
  const codecEndpoint = `${api.url}/codec`;
  const readKey = config.api.keys.find((k) => k.scopes.includes('read') || k.scopes.includes('admin')) ?? key;
  const banner = [
    '',
    'Leadflow is running',
    `  API          ${api.url}   (docs: ${api.url}/docs, OpenAPI: ${api.url}/openapi.json)`,
    `  Dashboard    ${api.url}/dashboard#key=${encodeURIComponent(readKey.secret)}`,
    `  Temporal UI  ${config.temporal.uiUrl}`,
    `  Codec        ${codecEndpoint}   (the Temporal UI and CLI decode lead payloads here${
      config.api.devCodecLoopbackWithoutKey ? '; from this machine without a key, for development only' : ''
    })`,
    `  Database     ${describeDatabase(config.database)}`,
    `  Worker       metrics at ${workerMetrics ?? 'none (LEADFLOW_WORKER_METRICS_ADDRESS=off)'}   (Prometheus: task latencies, slots, cache, SLA timers; the API's own at ${api.url}/metrics)`,
    `  Policy       ${config.policySource} (${config.policy.version})`,
    `  API key      ${key.id}: ${key.secret}   (scopes: ${key.scopes.join(', ')})`,
    `  Master key   ${config.privacy.masterKeySource} (key ${config.privacy.masterKeys.active.id})`,
    ...(dev.used.length > 0
      ? [`               development secrets in ${dev.used.map((f) => path.relative(process.cwd(), f)).join(', ')}: for development only,`,
         '               set LEADFLOW_MASTER_KEY and LEADFLOW_LEAD_ID_SECRET in production']
      : []),
    '',
    '  Try it:',
    `  curl -s -X POST ${api.url}/v1/leads -H 'Authorization: Bearer ${key.secret}' -H 'Content-Type: application/json' \\`,
    `    -d '{"email":"ada@analytical-engines.example","firstName":"Ada","lastName":"Lovelace","phone":"+44 20 7946 0000","company":"Analytical Engines Ltd","country":"GB","productInterest":"lead routing","seniority":"vp","employeeCount":1200,"industry":"software","formType":"demo_request"}'`,
    `  ${temporalCli()} workflow show --workflow-id <leadId>${
      config.temporal.address === 'localhost:7233' ? '' : ` --address ${config.temporal.address}`
    } --codec-endpoint ${codecEndpoint}${config.api.devCodecLoopbackWithoutKey ? '' : ` --codec-auth 'Bearer ${key.secret}'`}   # its history, decoded`,
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  console.log(banner.join('\n'));

  // The Temporal Runtime already drains the worker on SIGINT/SIGTERM; stop taking HTTP requests too.
  process.once('SIGINT', () => void api.close());
  process.once('SIGTERM', () => void api.close());
  try {
    await worker.run(); // resolves once the Runtime has drained the worker after a signal
  } finally {
    await api.close();
    await connection.close();
    await nativeConnection.close();
    await db.destroy();
  }
}

/**
 * With no key configured, `npm start` uses one development key that survives restarts, so scripts
 * (`npm run demo`) and shells keep working: `<data dir>/dev-api-key.json`, created on first start with
 * mode 0600 (git-ignored, like the rest of the data folder). Configured keys always win.
 */
function withDevKey(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.LEADFLOW_API_KEYS || env.LEADFLOW_API_KEYS_FILE) return env;
  const dataDir = dataDirFromEnv(env, repoRoot());
  const file = path.join(dataDir, 'dev-api-key.json');
  let key: ApiKey;
  if (existsSync(file)) {
    key = readDevKey(file);
  } else {
    mkdirSync(dataDir, { recursive: true });
    key = generateDevKey();
    try {
      // 'wx': never overwrite a key another process wrote in the meantime; use that one instead.
      writeFileSync(file, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      key = readDevKey(file);
    }
  }
  return { ...env, LEADFLOW_API_KEYS: `${key.id}:${key.secret}:${key.scopes.join('+')}` };
}

/**
 * The dev server's Web UI calls the codec from the browser with no way to send a key, so `npm start`
 * lets codec calls from this machine in without one (LEADFLOW_DEV_CODEC_LOOPBACK_WITHOUT_KEY; set it to
 * false to require the key here too). Nothing else turns this on.
 */
function withDevCodec(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return env.LEADFLOW_DEV_CODEC_LOOPBACK_WITHOUT_KEY !== undefined ? env : { ...env, LEADFLOW_DEV_CODEC_LOOPBACK_WITHOUT_KEY: 'true' };
}

/**
 * The worker's Prometheus metrics have their own port, apart from the API's `/metrics`: `npm start` serves
 * them on DEV_WORKER_METRICS_ADDRESS (this machine only) unless LEADFLOW_WORKER_METRICS_ADDRESS is set
 * (`off` for none). `npm run worker` serves none until it is set.
 */
function withDevWorkerMetrics(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return env.LEADFLOW_WORKER_METRICS_ADDRESS !== undefined ? env : { ...env, LEADFLOW_WORKER_METRICS_ADDRESS: DEV_WORKER_METRICS_ADDRESS };
}

/** The pinned CLI start.sh runs (TEMPORAL_CLI), as a path from here, or `temporal` when run otherwise. */
function temporalCli(): string {
  const cli = process.env.TEMPORAL_CLI;
  return cli ? path.relative(process.cwd(), cli) || cli : 'temporal';
}

function readDevKey(file: string): ApiKey {
  try {
    const { id, secret, scopes } = JSON.parse(readFileSync(file, 'utf8')) as Partial<ApiKey>;
    if (typeof id !== 'string' || typeof secret !== 'string' || !Array.isArray(scopes)) throw new Error('expected {id, secret, scopes}');
    return parseApiKeys(`${id}:${secret}:${scopes.join('+')}`)[0]!;
  } catch (err) {
    throw new Error(`${file}: ${err instanceof Error ? err.message : String(err)}; delete the file to generate a new development key`);
  }
}

/** The folder holding package.json: dist/scripts/ when compiled, scripts/ when run from source. */
function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
