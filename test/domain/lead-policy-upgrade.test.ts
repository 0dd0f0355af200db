import path from 'node:path';
import { loadPolicyFile } from '../../config/policy-file';
import { defaultLeadPolicy, defaultLeadPolicyInput, parseLeadPolicy, type LeadPolicyInput } from '../../domain/lead-policy';
import { upgradeRecordedPolicy } from '../../domain/lead-policy-upgrade';

/** The workflow's zod-free policy upgrade must give exactly what the schema gives. */

const sample = loadPolicyFile(path.resolve(__dirname, '../../examples/leadflow.policy.yaml'));

function legacy(change: (p: LeadPolicyInput) => void): LeadPolicyInput {
  const p = structuredClone(defaultLeadPolicyInput);
  change(p);
  return p;
}

it.each([
  ['the built-in policy as recorded by older releases', defaultLeadPolicyInput],
  ['an older policy with another reminder and window', legacy((p) => (p.sla.mql = { windowHours: 8, remindAtFraction: 0.5, reassignmentsBeforeHandBack: 2 }))],
  ['an older policy with five reps', legacy((p) => (p.routing = { reps: ['a', 'b', 'c', 'd', 'e'], manager: 'm' }))],
  ['the parsed built-in policy', defaultLeadPolicy],
  ['the parsed sample policy', sample],
  ['the sample policy after a JSON round trip (continue-as-new input)', JSON.parse(JSON.stringify(sample)) as LeadPolicyInput],
])('%s upgrades to what parseLeadPolicy gives', (_label, input) => {
  expect(upgradeRecordedPolicy(input)).toEqual(parseLeadPolicy(input));
});

it('a complete policy passes unchanged', () => {
  expect(upgradeRecordedPolicy(sample)).toEqual(sample);
});
