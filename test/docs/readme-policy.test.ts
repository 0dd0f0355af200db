import { readFileSync } from 'node:fs';
import path from 'node:path';
import { checkPolicyDocument, loadPolicyFile } from '../../config/policy-file';

/** The README's policy example must be the sample file, and valid: docs that are true. */
const root = path.resolve(__dirname, '../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const sampleFile = path.join(root, 'examples/leadflow.policy.yaml');

test('the README shows examples/leadflow.policy.yaml verbatim', () => {
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks).toContain(readFileSync(sampleFile, 'utf8'));
});

test('the sample policy is valid: two territories, each with its own calendar', () => {
  const policy = loadPolicyFile(sampleFile);
  expect(policy.version).toMatch(/^sha256:[0-9a-f]{16}$/);
  expect(Object.keys(policy.routing.territories)).toEqual(['emea', 'north-america']);
  expect(policy.sla.clock).toBe('business_hours');
});

test('the typo message the README quotes is what the check prints', () => {
  const text = readFileSync(sampleFile, 'utf8').replace('\n  threshold: 40\n', '\n  treshold: 40\n');
  const check = checkPolicyDocument(text, 'yaml');
  expect(check.ok).toBe(false);
  // The README quotes it inside a list item, so compare without indentation.
  const unindent = (text: string) => text.replace(/^ +/gm, '');
  if (!check.ok) expect(unindent(readme)).toContain(unindent(check.message));
});
