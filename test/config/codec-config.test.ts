import { DEFAULT_CODEC_RATE_LIMIT_PER_MINUTE } from '../../api/auth';
import { loadConfig as load } from '../../config/leadflow.config';
import { TEST_LEAD_ID_SECRET, TEST_MASTER_KEY_SPEC } from '../support/encryption';

/** Every process needs its master key and lead id secret; these tests are about the codec's variables. */
const loadConfig = (env: NodeJS.ProcessEnv) => load({ LEADFLOW_MASTER_KEY: TEST_MASTER_KEY_SPEC, LEADFLOW_LEAD_ID_SECRET: TEST_LEAD_ID_SECRET, ...env });

describe('LEADFLOW_DEV_CODEC_LOOPBACK_WITHOUT_KEY', () => {
  it('is off unless set (only npm start sets it)', () => {
    expect(loadConfig({}).api.devCodecLoopbackWithoutKey).toBe(false);
    expect(loadConfig({ LEADFLOW_DEV_CODEC_LOOPBACK_WITHOUT_KEY: 'false' }).api.devCodecLoopbackWithoutKey).toBe(false);
    expect(loadConfig({ LEADFLOW_DEV_CODEC_LOOPBACK_WITHOUT_KEY: 'true' }).api.devCodecLoopbackWithoutKey).toBe(true);
  });

  it('refuses a value that is not a yes or a no, naming the variable', () => {
    expect(() => loadConfig({ LEADFLOW_DEV_CODEC_LOOPBACK_WITHOUT_KEY: 'maybe' })).toThrow(/LEADFLOW_DEV_CODEC_LOOPBACK_WITHOUT_KEY/);
  });
});

describe('LEADFLOW_CODEC_RATE_LIMIT_PER_MINUTE', () => {
  it('defaults to a budget that lets the UI open a full lead history', () => {
    expect(loadConfig({}).api.codecRateLimitPerMinute).toBe(DEFAULT_CODEC_RATE_LIMIT_PER_MINUTE);
    expect(DEFAULT_CODEC_RATE_LIMIT_PER_MINUTE).toBe(6000);
    expect(loadConfig({ LEADFLOW_CODEC_RATE_LIMIT_PER_MINUTE: '120' }).api.codecRateLimitPerMinute).toBe(120);
  });

  it('refuses a bad value naming the variable', () => {
    expect(() => loadConfig({ LEADFLOW_CODEC_RATE_LIMIT_PER_MINUTE: '0' })).toThrow(/LEADFLOW_CODEC_RATE_LIMIT_PER_MINUTE/);
  });
});
