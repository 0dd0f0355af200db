import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { buildOpenApiDocument } from '../../api/openapi';

/*
 * Checks an answer against the OpenAPI document the way `npm run fuzz` (schemathesis) does: the status code
 * is documented for the operation, the content type for that status, and the body matches the documented
 * JSON Schema. For the tests of what the fuzzer found: the zod schema that validates may be right while
 * the document rendered from it is not.
 */

const document = buildOpenApiDocument();
const DOCUMENT_ID = 'https://leadflow.invalid/openapi.json';
// Not strict: the document carries OpenAPI's own keywords (example, discriminator…). Formats are not
// checked here (schemathesis does); the shapes, types, enums, patterns and bounds are.
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
ajv.addSchema({ ...document, $id: DOCUMENT_ID });
const validators = new Map<string, ValidateFunction>();

const pointer = (...parts: string[]): string => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  text?: string;
}

/** What in `res` the document does not promise for `method path` (the documented path, `{leadId}` style); [] when it conforms. */
export function documentViolations(method: string, path: string, res: Answer): string[] {
  const op = (document.paths?.[path] as Record<string, { responses?: Record<string, { content?: Record<string, unknown> }> }> | undefined)?.[method.toLowerCase()];
  if (!op) return [`${method.toUpperCase()} ${path} is not in the document`];
  const status = String(res.status);
  const response = op.responses?.[status] ?? op.responses?.[`${status[0]}XX`] ?? op.responses?.default;
  if (!response) return [`status ${status} is not documented for ${method.toUpperCase()} ${path}`];
  if (!response.content) return [];
  const contentType = String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (!(contentType in response.content)) {
    return [`content type ${contentType || '(none)'} is not documented for ${status} (documented: ${Object.keys(response.content).join(', ')})`];
  }
  if (contentType !== 'application/json') return [];
  const key = pointer('paths', path, method.toLowerCase(), 'responses', status in (op.responses ?? {}) ? status : 'default', 'content', contentType, 'schema');
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile({ $ref: `${DOCUMENT_ID}#/${key}` });
    validators.set(key, validate);
  }
  const body = res.body !== undefined ? res.body : res.text ? JSON.parse(res.text) : undefined;
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? 'is invalid'}`);
}
