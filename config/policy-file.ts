import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { defaultLeadPolicy, leadPolicySchema, policyProblems, type LeadPolicy } from '../domain/lead-policy';

/**
 * Policy files (`leadflow.policy.json` or `.yaml`): read, validated with the domain's schema, and
 * versioned by content. The same function checks a candidate sent to `POST /v1/policy/validate`, so
 * start-up and the API give the same field-named message.
 */

export type PolicyFormat = 'json' | 'yaml';

export interface PolicyProblem {
  /** Dotted path of the field, e.g. `fit.treshold` or `routing.reps.2.territories.0`. */
  path: string;
  message: string;
}

export type PolicyCheck =
  | { ok: true; policy: LeadPolicy; version: string }
  | { ok: false; problems: PolicyProblem[]; message: string };

/** Parses and validates a policy document; the version is the content hash of the parsed policy. */
export function checkPolicyDocument(text: string, format: PolicyFormat): PolicyCheck {
  let raw: unknown;
  try {
    raw = format === 'yaml' ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    const problems = [{ path: '(document)', message: `not valid ${format.toUpperCase()}: ${(err as Error).message.split('\n')[0]}` }];
    return { ok: false, problems, message: formatPolicyProblems(problems) };
  }
  return checkPolicy(raw);
}

/** Validates an already-parsed candidate. */
export function checkPolicy(raw: unknown): PolicyCheck {
  const problems = policyProblems(raw);
  if (problems.length > 0) return { ok: false, problems, message: formatPolicyProblems(problems) };
  const parsed = leadPolicySchema.parse(raw);
  const version = policyVersionOf(parsed);
  return { ok: true, policy: { ...parsed, version }, version };
}

/** "sha256:<16 hex>" of the policy's canonical JSON (keys sorted, `version` left out). */
export function policyVersionOf(policy: LeadPolicy): string {
  const { version: _ignored, ...content } = policy;
  return `sha256:${createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 16)}`;
}

export function formatPolicyProblems(problems: readonly PolicyProblem[]): string {
  return problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n');
}

export function policyFormatOf(file: string): PolicyFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  throw new Error(`policy file ${file}: expected a .json, .yaml or .yml file`);
}

/** Loads a policy file or throws an error naming the file and every wrong field. */
export function loadPolicyFile(file: string): LeadPolicy {
  const format = policyFormatOf(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`policy file ${file} cannot be read: ${(err as Error).message}`);
  }
  const check = checkPolicyDocument(text, format);
  if (!check.ok) throw new Error(`invalid policy in ${file}:\n${check.message}`);
  return check.policy;
}

/** The built-in policy, versioned by content like a file would be. */
export function builtInPolicy(): LeadPolicy {
  return { ...defaultLeadPolicy, version: policyVersionOf(defaultLeadPolicy) };
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
