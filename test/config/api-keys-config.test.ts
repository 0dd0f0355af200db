import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hashSecret } from '../../api/auth';
import { loadConfig as load } from '../../config/leadflow.config';
import { TEST_LEAD_ID_SECRET, TEST_MASTER_KEY_SPEC } from '../support/encryption';

/** Every process needs its master key and lead id secret; these tests are about the API keys. */
const loadConfig = (env: NodeJS.ProcessEnv, options?: { devKey?: boolean }) =>
  load({ LEADFLOW_MASTER_KEY: TEST_MASTER_KEY_SPEC, LEADFLOW_LEAD_ID_SECRET: TEST_LEAD_ID_SECRET, ...env }, options);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'leadflow-api-keys-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const keysFile = (name: string, keys: unknown[]): string => {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(keys));
  return file;
};

describe('API keys bound to a rep, and secrets stored hashed', () => {
  it('reads a rep-bound key from LEADFLOW_API_KEYS beside the existing format', () => {
    const config = loadConfig({ LEADFLOW_API_KEYS: 'crm-ada:ada-secret-0123456789abcdef:sales:rep-ada,ops:ops-secret-0123456789abcdef:admin' });
    expect(config.api.keys).toEqual([
      { id: 'crm-ada', secret: 'ada-secret-0123456789abcdef', scopes: ['sales'], rep: 'rep-ada' },
      { id: 'ops', secret: 'ops-secret-0123456789abcdef', scopes: ['admin'] },
    ]);
    expect(config.api.hashedKeys).toEqual([]);
  });

  it('keeps the keys file\'s hashed keys apart from the ones with a secret in clear', () => {
    const file = keysFile('mixed.json', [
      { id: 'crm-ada', secretSha256: hashSecret('ada-secret-0123456789abcdef'), scopes: ['sales'], rep: 'rep-ada' },
      { id: 'forms', secret: 'forms-secret-0123456789abcdef', scopes: ['intake'] },
    ]);
    const config = loadConfig({ LEADFLOW_API_KEYS_FILE: file });
    expect(config.api.keys).toEqual([{ id: 'forms', secret: 'forms-secret-0123456789abcdef', scopes: ['intake'] }]);
    expect(config.api.hashedKeys).toEqual([
      { id: 'crm-ada', secretSha256: hashSecret('ada-secret-0123456789abcdef'), scopes: ['sales'], rep: 'rep-ada' },
    ]);
  });

  it('makes no development key when only hashed keys are configured', () => {
    const file = keysFile('hashed-only.json', [{ id: 'boss', secretSha256: hashSecret('boss-secret-0123456789abcdef'), scopes: ['manager'] }]);
    const config = loadConfig({ LEADFLOW_API_KEYS_FILE: file }, { devKey: true });
    expect(config.api.keys).toEqual([]);
    expect(config.api.hashedKeys).toHaveLength(1);
  });

  it('refuses a bad entry naming the variable', () => {
    const file = keysFile('bad.json', [{ id: 'crm-ada', secretSha256: 'not-hex', scopes: ['sales'] }]);
    expect(() => loadConfig({ LEADFLOW_API_KEYS_FILE: file })).toThrow(/LEADFLOW_API_KEYS_FILE: .*secretSha256 must be/);
    expect(() => loadConfig({ LEADFLOW_API_KEYS: 'boss:boss-secret-0123456789abcdef:manager:rep-ada' })).toThrow(
      /LEADFLOW_API_KEYS: .*cannot have the "manager" scope/,
    );
  });
});
