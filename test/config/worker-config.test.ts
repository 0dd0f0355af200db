import { DEFAULT_MAX_CACHED_WORKFLOWS, loadConfig as load } from '../../config/leadflow.config';
import { TEST_LEAD_ID_SECRET, TEST_MASTER_KEY_SPEC } from '../support/encryption';

/** Every process needs its master key and lead id secret; these tests are about the other variables. */
const loadConfig = (env: NodeJS.ProcessEnv) => load({ LEADFLOW_MASTER_KEY: TEST_MASTER_KEY_SPEC, LEADFLOW_LEAD_ID_SECRET: TEST_LEAD_ID_SECRET, ...env });

describe('worker cache bound (LEADFLOW_WORKER_MAX_CACHED_WORKFLOWS)', () => {
  it('defaults to a bounded cache', () => {
    expect(loadConfig({}).worker).toEqual({ maxCachedWorkflows: DEFAULT_MAX_CACHED_WORKFLOWS });
    expect(DEFAULT_MAX_CACHED_WORKFLOWS).toBe(1000);
  });

  it('takes a number', () => {
    expect(loadConfig({ LEADFLOW_WORKER_MAX_CACHED_WORKFLOWS: '250' }).worker?.maxCachedWorkflows).toBe(250);
    expect(loadConfig({ LEADFLOW_WORKER_MAX_CACHED_WORKFLOWS: '1' }).worker?.maxCachedWorkflows).toBe(1);
  });

  it('refuses a bad value naming the variable', () => {
    expect(() => loadConfig({ LEADFLOW_WORKER_MAX_CACHED_WORKFLOWS: 'lots' })).toThrow(/LEADFLOW_WORKER_MAX_CACHED_WORKFLOWS/);
    // No cache at all would let the SDK evict a lead mid-task while its local activities run.
    expect(() => loadConfig({ LEADFLOW_WORKER_MAX_CACHED_WORKFLOWS: '0' })).toThrow(/LEADFLOW_WORKER_MAX_CACHED_WORKFLOWS/);
  });
});
