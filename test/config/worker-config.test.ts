import { DEFAULT_MAX_CACHED_WORKFLOWS, DEV_WORKER_METRICS_ADDRESS, loadConfig as load } from '../../config/leadflow.config';
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

describe('worker metrics address (LEADFLOW_WORKER_METRICS_ADDRESS)', () => {
  const address = (value: string | undefined) =>
    loadConfig(value === undefined ? {} : { LEADFLOW_WORKER_METRICS_ADDRESS: value }).worker?.metricsAddress;

  it('is off unless set, so several workers on one host never fight over a port', () => {
    expect(address(undefined)).toBeUndefined();
    expect(address('off')).toBeUndefined();
  });

  it('takes an IP address and a port, as the SDK binds them', () => {
    expect(address('0.0.0.0:9464')).toBe('0.0.0.0:9464');
    expect(address('127.0.0.1:1')).toBe('127.0.0.1:1');
    expect(address('[::]:9464')).toBe('[::]:9464');
    expect(address('[::1]:65535')).toBe('[::1]:65535');
    expect(address(' 10.0.0.7:9100 ')).toBe('10.0.0.7:9100');
    expect(DEV_WORKER_METRICS_ADDRESS).toBe('127.0.0.1:9464');
    expect(address(DEV_WORKER_METRICS_ADDRESS)).toBe(DEV_WORKER_METRICS_ADDRESS);
  });

  it.each([
    ['', 'empty'],
    ['9464', 'a port alone'],
    [':9464', 'no address'],
    ['localhost:9464', 'a host name (the SDK parses a socket address)'],
    ['0.0.0.0', 'no port'],
    ['0.0.0.0:0', 'port 0 (a random port nobody could scrape)'],
    ['0.0.0.0:65536', 'a port out of range'],
    ['256.0.0.1:9464', 'not an IPv4 address'],
    ['::1:9464', 'IPv6 without brackets'],
    ['[::g]:9464', 'not an IPv6 address'],
    ['http://0.0.0.0:9464/metrics', 'a URL'],
    ['on', 'neither off nor an address'],
  ])('refuses %j (%s), naming the variable', (value) => {
    expect(() => address(value)).toThrow(/LEADFLOW_WORKER_METRICS_ADDRESS/);
  });

  it('leaves the cache bound as it was', () => {
    expect(loadConfig({ LEADFLOW_WORKER_METRICS_ADDRESS: '0.0.0.0:9464' }).worker).toEqual({
      maxCachedWorkflows: DEFAULT_MAX_CACHED_WORKFLOWS,
      metricsAddress: '0.0.0.0:9464',
    });
  });
});
