import type { Express, Request } from 'express';
import { checkPolicyDocument, type PolicyFormat } from '../../config/policy-file';
import type { AppDeps } from '../app-deps';
import { ApiError } from '../errors';
import type { PolicyResponse, PolicyValid } from '../schemas';
import { guard } from './route-support';

/** The path of the one write that takes a body other than JSON. */
export const POLICY_VALIDATE_PATH = '/v1/policy/validate';
/** What a policy candidate may be sent as: JSON, or YAML like a `leadflow.policy.yaml` file. */
export const POLICY_YAML_TYPES = ['application/yaml', 'text/yaml'];
export const POLICY_DOCUMENT_TYPES = ['application/json', ...POLICY_YAML_TYPES];

/** Whether this request is a policy candidate (its body is parsed as text, JSON or YAML, by the route). */
export function takesPolicyDocument(req: Pick<Request, 'method' | 'path'>): boolean {
  // Express matches routes case-insensitively and with or without a trailing slash; so does this.
  return req.method === 'POST' && req.path.toLowerCase().replace(/\/+$/, '') === POLICY_VALIDATE_PATH;
}

/**
 * GET /v1/policy: the policy this process runs with. POST /v1/policy/validate: checks a candidate exactly
 * the way start-up checks LEADFLOW_POLICY_FILE (same parser, same field-named problem lines, same version
 * hash), so marketing ops can try a change before deploying it.
 */
export function registerPolicyRoutes(app: Express, deps: AppDeps): void {
  app.get('/v1/policy', ...guard(app, deps, 'read'), (_req, res) => {
    const { policy } = deps;
    const body: PolicyResponse = {
      version: policy.version,
      ...(policy.name !== undefined ? { name: policy.name } : {}),
      source: deps.policySource,
      policy,
    };
    res.json(body);
  });

  app.post(POLICY_VALIDATE_PATH, ...guard(app, deps, 'admin'), (req, res) => {
    const format: PolicyFormat = req.is(POLICY_YAML_TYPES) ? 'yaml' : 'json';
    const text = typeof req.body === 'string' ? req.body : '';
    const check = checkPolicyDocument(text, format);
    if (!check.ok) throw new ApiError(400, 'invalid_policy', check.message, check.problems);
    const body: PolicyValid = { valid: true, version: check.version };
    res.json(body);
  });
}
