import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../config/leadflow.config';
import { privacyConfigFromEnv } from '../../config/privacy.config';
import { withDevSecrets } from '../../config/dev-secrets';
import { generateMasterKeySpec } from '../../encryption/master-keys';

const secret = 'a-lead-id-secret-of-at-least-32-characters';
const key = (id: string) => generateMasterKeySpec(id);

describe('privacy configuration: a bad or missing key stops start-up naming the variable', () => {
  it('needs a master key', () => {
    expect(() => privacyConfigFromEnv({ LEADFLOW_LEAD_ID_SECRET: secret })).toThrow(/LEADFLOW_MASTER_KEY \(or LEADFLOW_MASTER_KEY_FILE\) is required/);
    // The worker and the API load it with everything else.
    expect(() => loadConfig({ LEADFLOW_LEAD_ID_SECRET: secret })).toThrow(/LEADFLOW_MASTER_KEY/);
  });

  it('needs a lead id secret of at least 32 characters', () => {
    expect(() => privacyConfigFromEnv({ LEADFLOW_MASTER_KEY: key('mk-1') })).toThrow(/LEADFLOW_LEAD_ID_SECRET is required/);
    expect(() => privacyConfigFromEnv({ LEADFLOW_MASTER_KEY: key('mk-1'), LEADFLOW_LEAD_ID_SECRET: 'short' })).toThrow(
      /at least 32 characters[\s\S]*LEADFLOW_LEAD_ID_SECRET/,
    );
  });

  it.each([
    ['no id', 'c2VjcmV0'],
    ['a key of the wrong length', 'mk-1:c2VjcmV0'],
    ['a bad id', `m k:${Buffer.alloc(32).toString('base64')}`],
    ['the same id twice', `mk-1:${Buffer.alloc(32).toString('base64')},mk-1:${Buffer.alloc(32, 1).toString('base64')}`],
  ])('refuses a master key with %s', (_case, value) => {
    expect(() => privacyConfigFromEnv({ LEADFLOW_MASTER_KEY: value, LEADFLOW_LEAD_ID_SECRET: secret })).toThrow(/^invalid configuration: LEADFLOW_MASTER_KEY: /);
  });

  it('takes several master keys, the active one first, from the variable or a file', () => {
    const spec = `${key('mk-2')},${key('mk-1')}`;
    const fromEnv = privacyConfigFromEnv({ LEADFLOW_MASTER_KEY: spec, LEADFLOW_LEAD_ID_SECRET: secret });
    expect(fromEnv.masterKeys.active.id).toBe('mk-2');
    expect([...fromEnv.masterKeys.keys.keys()]).toEqual(['mk-2', 'mk-1']);

    const dir = mkdtempSync(path.join(tmpdir(), 'leadflow-keys-'));
    try {
      const file = path.join(dir, 'master-keys');
      writeFileSync(file, `# rotated 2026-12\n${key('mk-3')}\n${key('mk-2')}\n`);
      const fromFile = privacyConfigFromEnv({ LEADFLOW_MASTER_KEY_FILE: file, LEADFLOW_LEAD_ID_SECRET: secret });
      expect(fromFile.masterKeys.active.id).toBe('mk-3');
      expect(fromFile.masterKeySource).toBe(file);
      expect(() => privacyConfigFromEnv({ LEADFLOW_MASTER_KEY_FILE: path.join(dir, 'missing'), LEADFLOW_LEAD_ID_SECRET: secret })).toThrow(
        /LEADFLOW_MASTER_KEY_FILE: cannot read .*ENOENT/,
      );
      expect(() => privacyConfigFromEnv({ LEADFLOW_MASTER_KEY: spec, LEADFLOW_MASTER_KEY_FILE: file, LEADFLOW_LEAD_ID_SECRET: secret })).toThrow(/not both/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('npm start makes development secrets once, in the data folder, and reuses them', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'leadflow-dev-'));
    try {
      expect(withDevSecrets({}, dir, { create: false }).used).toEqual([]);
      const first = withDevSecrets({}, dir, { create: true });
      expect(first.used.map((f) => path.basename(f))).toEqual(['dev-master-key', 'dev-lead-id-secret']);
      const again = withDevSecrets({}, dir, { create: false });
      expect(again.env).toEqual(first.env);
      const config = privacyConfigFromEnv(again.env);
      expect(config.masterKeys.active.id).toMatch(/^dev-/);
      // Configured values always win.
      const configured = withDevSecrets({ LEADFLOW_MASTER_KEY: key('prod'), LEADFLOW_LEAD_ID_SECRET: secret }, dir, { create: true });
      expect(configured.used).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
