import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * After every suite: ends the Temporal servers this run started that are still running, and says so.
 * A server outlives its suite when the process that created it dies before `env.teardown()` (a jest worker
 * that crashed or was killed leaves its server to init, still listening), when an environment is created
 * after its suite gave up (a beforeAll that timed out), or when the SDK fails to connect to a server it
 * just started (TestWorkflowEnvironment.create does not stop it then).
 */
export default function globalTeardown(): void {
  const runId = process.env.LEADFLOW_TEST_RUN;
  if (!runId) return;
  const script = path.resolve(__dirname, '../../scripts/test-servers.sh');
  const found = spawnSync('bash', [script, runId, '--kill'], { encoding: 'utf8' });
  if (found.status === 1) {
    console.warn(
      `\nTemporal servers started by this test run (LEADFLOW_TEST_RUN=${runId}) were still running after every suite; ended them:\n${found.stdout}`,
    );
  } else if (found.status !== 0) {
    console.warn(`\nscripts/test-servers.sh failed (${found.status ?? found.signal}): ${found.stderr}`);
  }
}
