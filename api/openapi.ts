import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { ZodObject, ZodType } from 'zod';
import { registerAssignOpenApi } from './routes/assign.routes';
import { CODEC_OPENAPI_TAG, registerCodecOpenApi } from './routes/codec.routes';
import { DOCS_ASSETS_PATH } from './routes/docs.routes';
import { registerErasureOpenApi } from './routes/erasure.routes';
import { registerEventsOpenApi } from './routes/events.routes';
import { registerPersonalDataOpenApi } from './routes/personal-data.routes';
import { POLICY_VALIDATE_PATH } from './routes/policy.routes';
import { registerWebhookDeliveryOpenApi } from './routes/webhook-deliveries.routes';
import { registerWebhookEndpointOpenApi, WEBHOOK_ENDPOINTS_OPENAPI_TAG } from './routes/webhook-endpoints.routes';
import {
  AcceptBody,
  CloseBody,
  ContactAttemptBody,
  DisqualifyBody,
  EngagementBody,
  EngagementsAccepted,
  ErrorResponse,
  FormAccepted,
  FormFill,
  GetLeadQuery,
  Health,
  HistoryQuery,
  IdempotencyHeaders,
  LeadHistory,
  LeadList,
  LeadPathParams,
  LeadResponse,
  LeadScore,
  ListLeadsQuery,
  MAX_ENGAGEMENTS_PER_REQUEST,
  PolicyCandidate,
  PolicyResponse,
  PolicyValid,
  QualifyBody,
  Ready,
  RejectBody,
  UnsubscribeAccepted,
  WebhookHeaders,
} from './schemas';
import {
  CalibrationReportSchema,
  FunnelQuery,
  FunnelReportSchema,
  RecyclingReportSchema,
  RejectionsQuery,
  RejectionsReportSchema,
  ReportQuery,
  SlaReportSchema,
  VelocityReportSchema,
} from './report-schemas';

/*
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate requests (api/schemas.ts).
 * Every route the app serves is registered here; test/api/openapi.int.test.ts checks both directions.
 */

const API_DESCRIPTION = `Leadflow's HTTP API: capture leads from forms and webhooks, feed them engagement, take the sales
decisions (accept, reject, qualify, close, disqualify, contact attempts), read leads, their history, lists and
score explanations, and read or check the lead policy.

Every lead is one Temporal workflow. Writes are Temporal Updates (form fills, decisions) or Signals
(engagement) to it; reads come from the PostgreSQL read model, which the lead updates before it answers.

**Authentication.** \`Authorization: Bearer <API key>\`. Each key has scopes: \`intake\` (form fills and
engagement, unsubscribes), \`sales\` (decisions, contact attempts), \`manager\` (the decisions on any lead in any
rep's name, and reassigning leads), \`read\` (reads, the events, the policy and /metrics), \`codec\` (the codec
server of the Temporal UI and CLI, /codec), \`admin\` (all of them, and checking a candidate policy, webhook
endpoints, erasure and access requests). A key may be bound to a rep: it then decides only on the leads that rep
owns, in that rep's name (403 \`forbidden\` with \`details.reason\` \`not_owner\` or \`acting_as_someone_else\`). Form fills may instead be sent as a signed webhook (\`X-Leadflow-Timestamp\` + \`X-Leadflow-Signature\`).
Requests are rate limited per key (429 with \`Retry-After\`).

**Errors** are \`{"error": {"code", "message", "details"?}}\`.

**Retries and 503.** A write that gets 503 \`unavailable\` did not get an answer from the lead in time
(Temporal or the lead worker is down or slow). It **may still be applied** when the worker is back: it was
delivered to Temporal before the deadline passed. Retrying with the **same \`Idempotency-Key\`** is safe: the
key is the Temporal update id, so the retry and the delayed original are one change with one answer.
Without a key, check the lead (\`GET /v1/leads/{leadId}?consistent=true\`) before retrying a decision.`;

export const API_VERSION = '1.0.0';

const errorResponse = (description: string, headers?: ResponseConfig['headers']): ResponseConfig => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/json': { schema: ErrorResponse } },
});
const jsonResponse = (schema: ZodType, description: string): ResponseConfig => ({
  description,
  content: { 'application/json': { schema } },
});
const jsonBody = (schema: ZodType, description?: string) => ({
  required: true,
  ...(description ? { description } : {}),
  content: { 'application/json': { schema } },
});

const retryAfter = {
  'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' as const } },
};

const errors = {
  400: errorResponse('`invalid_request` (the body, path or query does not match the schema; `details` lists the zod issues) or `invalid_json`.'),
  401: errorResponse('`unauthorized`: no or an unknown API key; `invalid_signature` for a bad, stale or tampered signed webhook.'),
  403: errorResponse('`forbidden`: the key lacks the scope this operation needs.'),
  404: errorResponse('`not_found`: no lead with this id.'),
  413: errorResponse('`payload_too_large`: the body is larger than 1 MB.'),
  415: errorResponse('`unsupported_media_type`: send `Content-Type: application/json`.'),
  422: errorResponse('`idempotency_key_reused`: this Idempotency-Key was used for a different request (method, path or body).'),
  429: errorResponse('`rate_limited`: too many requests for this API key.', retryAfter),
  leadClosed: errorResponse('`lead_closed`: the lead is won or disqualified and takes no more changes; `details.stage` says which.'),
  410: errorResponse('`lead_erased`: the person behind the lead was erased; `details` is the tombstone `{leadId, erasedAt}`.'),
};

const writeUnavailable = errorResponse(
  '`unavailable`: the lead did not answer within the deadline (Temporal or the worker is down or slow). The request ' +
    '**may still be applied** when the worker is back; retrying with the same Idempotency-Key is safe.',
  retryAfter,
);
const readUnavailable = errorResponse('`unavailable`: Temporal or the database did not answer; nothing changed, retry after `Retry-After` seconds.', retryAfter);

/** What every read of one lead may answer besides its 200. */
const leadReadErrors = {
  400: errors[400],
  401: errors[401],
  403: errors[403],
  404: errors[404],
  410: errors[410],
  429: errors[429],
  503: readUnavailable,
};

/** What every write to one lead may answer besides its success and its own 409. */
const leadWriteErrors = {
  400: errors[400],
  401: errors[401],
  403: errors[403],
  404: errors[404],
  410: errors[410],
  413: errors[413],
  415: errors[415],
  422: errors[422],
  429: errors[429],
  503: writeUnavailable,
};

const bearer = (scope: string) => ({ bearerAuth: [scope] });

export function buildOpenApiDocument(): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key. The scope each operation needs is listed in its security requirement (`admin` implies all).',
  });
  registry.registerComponent('securitySchemes', 'webhookSignature', {
    type: 'apiKey',
    in: 'header',
    name: 'X-Leadflow-Signature',
    description:
      'For form-fill webhooks that cannot hold an API key: `X-Leadflow-Signature: sha256=<hex HMAC-SHA256(secret, ' +
      '"<X-Leadflow-Timestamp>.<raw body>")>` with `X-Leadflow-Timestamp` in unix seconds, at most 5 minutes old.',
  });

  for (const route of routes()) registry.registerPath(route);
  registerAssignOpenApi(registry);
  registerErasureOpenApi(registry);
  registerEventsOpenApi(registry);
  registerPersonalDataOpenApi(registry);
  registerCodecOpenApi(registry);
  registerWebhookEndpointOpenApi(registry);
  registerWebhookDeliveryOpenApi(registry);

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Leadflow API',
      version: API_VERSION,
      description: API_DESCRIPTION,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'intake', description: 'Form fills and engagement (scope `intake`).' },
      { name: 'decisions', description: 'Sales decisions (scope `sales`) and reassignment by hand (scope `manager`).' },
      { name: 'reads', description: 'Leads, their history, lists and score explanations (scope `read`).' },
      { name: 'policy', description: 'The lead policy: the active one (scope `read`) and checking a candidate (scope `admin`).' },
      { name: 'reports', description: 'Funnel, SLA, velocity, rejection, calibration and recycling reports (scope `read`).' },
      { name: 'events', description: 'The public lead events: the catalogue (`webhooks`), and paging through them (scope `read`).' },
      { name: 'privacy', description: 'Erasure (art. 17) and access (art. 15) requests about the person behind a lead (scope `admin`).' },
      { name: 'operations', description: 'Probes, metrics and this documentation.' },
      CODEC_OPENAPI_TAG,
      WEBHOOK_ENDPOINTS_OPENAPI_TAG,
    ],
  });
}

function routes(): RouteConfig[] {
  const decision = (
    name: string,
    summary: string,
    body: ZodType,
    description: string,
    options: { operationId?: string; conflict?: string } = {},
  ): RouteConfig => ({
    method: 'post',
    path: `/v1/leads/{leadId}/${name}`,
    operationId: options.operationId ?? `${name}Lead`,
    tags: ['decisions'],
    summary,
    description:
      `${description}\n\nOne Temporal Update of the lead workflow, refused before anything is recorded when the stage ` +
      'does not allow it. Answers with the lead as it is afterwards. See 503 for what a timeout means.',
    security: [bearer('sales')],
    request: { params: LeadPathParams, headers: IdempotencyHeaders, body: jsonBody(body) },
    responses: {
      200: jsonResponse(LeadResponse, 'Recorded; the lead as it is now.'),
      ...leadWriteErrors,
      403: errorResponse(
        '`forbidden`: the key lacks the `sales` scope (`manager` and `admin` imply it); or the key is bound to a rep and ' +
          '`details.reason` says why it may not do this: `not_owner` (the lead is not that rep\'s when the decision is applied, ' +
          'for instance after an SLA breach or a manager reassigned it) or `acting_as_someone_else` (the body names another rep).',
      ),
      409: errorResponse(
        '`transition_not_allowed`: the lead\'s stage does not allow this; `details` is `{stage, command, ' +
          'allowed, reason}` (allowed = the commands the stage allows, reason = the refusal code, ' +
          '`STAGE_DOES_NOT_ALLOW` here). `lead_closed`: the lead is won or disqualified (`details.stage`).' +
          (options.conflict ? ` ${options.conflict}` : ''),
      ),
    },
  });

  return [
    {
      method: 'post',
      path: '/v1/leads',
      operationId: 'submitForm',
      tags: ['intake'],
      summary: 'Submit a form fill (creates or updates the lead)',
      description:
        'Creates the lead for this email, or updates the person\'s existing lead (one person, one lead: the id is ' +
        'derived from the normalised email, so different letter case is the same lead). Answers once the form\'s ' +
        'events are recorded: `created` says whether this fill captured the lead, `stage` where it is now (a ' +
        '`demo_request` or `contact_sales` from a good fit is an MQL at once).\n\n' +
        'Authenticate with a bearer key (scope `intake`) **or** sign the raw body (signed webhook). `consent` is ' +
        'validated and kept in the lead workflow\'s history with the form fill; it is not part of the lead events ' +
        'or the read model yet.',
      security: [bearer('intake'), { webhookSignature: [] }],
      request: {
        headers: IdempotencyHeaders.extend(WebhookHeaders.shape),
        body: jsonBody(FormFill),
      },
      responses: {
        202: jsonResponse(FormAccepted, 'The form fill is recorded.'),
        400: errors[400],
        401: errors[401],
        403: errors[403],
        409: errors.leadClosed,
        413: errors[413],
        415: errors[415],
        422: errors[422],
        429: errors[429],
        503: writeUnavailable,
      },
    },
    {
      method: 'post',
      path: '/v1/leads/{leadId}/engagements',
      operationId: 'recordEngagements',
      tags: ['intake'],
      summary: 'Record engagement events',
      description:
        `One event, or \`{events: [...]}\` with up to ${MAX_ENGAGEMENTS_PER_REQUEST}, sent to the lead as one ` +
        'Signal: accepted now, scored asynchronously (points per type, capped per type by the policy). Give each ' +
        'event an `id` so re-deliveries are ignored; a 503 here may still have been delivered.',
      security: [bearer('intake')],
      request: { params: LeadPathParams, headers: IdempotencyHeaders, body: jsonBody(EngagementBody) },
      responses: {
        202: jsonResponse(EngagementsAccepted, 'The events are handed to the lead.'),
        ...leadWriteErrors,
        409: errors.leadClosed,
      },
    },
    {
      method: 'post',
      path: '/v1/leads/{leadId}/unsubscribe',
      operationId: 'unsubscribeLead',
      tags: ['intake'],
      summary: 'Unsubscribe the person from marketing',
      description:
        'Sent to the lead as a Signal: accepted now, applied asynchronously (`unsubscribed` turns true). Stops ' +
        'nurture-driven qualification and nurture timers; an explicit request to talk to sales still counts. No body ' +
        '(an empty JSON object is fine); sending it again changes nothing.',
      security: [bearer('intake')],
      request: { params: LeadPathParams, headers: IdempotencyHeaders },
      responses: {
        202: jsonResponse(UnsubscribeAccepted, 'The unsubscribe is handed to the lead.'),
        ...leadWriteErrors,
        409: errors.leadClosed,
      },
    },
    decision('accept', 'Accept an MQL (it becomes a SAL)', AcceptBody, 'The owner takes the lead: MQL → SAL, with the SAL follow-up SLA.'),
    decision(
      'reject',
      'Reject an MQL or a SAL',
      RejectBody,
      'Sends the lead back to marketing (recycled) or out of the funnel (disqualified), depending on the reason.',
      {
        conflict:
          'A `not_ready` rejection before the policy\'s `sla.contactAttemptsBeforeNotReady` contact attempts are ' +
          'recorded is also `transition_not_allowed`, with `details.reason` `CONTACT_ATTEMPTS_REQUIRED` and a message ' +
          'saying how many are needed and recorded.',
      },
    ),
    decision('qualify', 'Qualify a SAL with BANT', QualifyBody, 'All four criteria confirmed: SAL → SQL (an opportunity); any gap recycles it.'),
    decision('close', 'Close an SQL as won or lost', CloseBody, '`won` closes the lead; `lost` with `not_now` recycles it, any other reason disqualifies it.'),
    decision('disqualify', 'Disqualify an open lead', DisqualifyBody, 'Takes the lead out of the funnel from any open stage except SQL (close it instead).'),
    decision(
      'contact-attempts',
      'Record a contact attempt on a SAL',
      ContactAttemptBody,
      'The owner tried to reach the accepted lead (phone, email, LinkedIn, meeting…). The lead counts them ' +
        '(`contactAttempts`); the policy may require some before a `not_ready` rejection.',
      { operationId: 'recordContactAttempt' },
    ),
    {
      method: 'get',
      path: '/v1/leads',
      operationId: 'listLeads',
      tags: ['reads'],
      summary: 'List leads',
      description:
        'From the read model, most recently changed first (`updatedAt` desc, then `leadId` desc), with keyset ' +
        'pagination: pass `nextCursor` back as `cursor` until it is null.',
      security: [bearer('read')],
      request: { query: ListLeadsQuery },
      responses: {
        200: jsonResponse(LeadList, 'One page of leads.'),
        400: errors[400],
        401: errors[401],
        403: errors[403],
        429: errors[429],
        503: readUnavailable,
      },
    },
    {
      method: 'get',
      path: '/v1/leads/{leadId}',
      operationId: 'getLead',
      tags: ['reads'],
      summary: 'Get a lead',
      description: 'From the read model, or from the lead workflow itself with `consistent=true`.',
      security: [bearer('read')],
      request: { params: LeadPathParams, query: GetLeadQuery },
      responses: {
        200: jsonResponse(LeadResponse, 'The lead.'),
        ...leadReadErrors,
      },
    },
    {
      method: 'get',
      path: '/v1/leads/{leadId}/history',
      operationId: 'getLeadHistory',
      tags: ['reads'],
      summary: "A lead's events, in order",
      description: 'Every event of the lead (`LeadCaptured`, `FormFilled`, `LeadBecameMql`, …) in `seq` order, paged by `afterSeq`.',
      security: [bearer('read')],
      request: { params: LeadPathParams, query: HistoryQuery },
      responses: {
        200: jsonResponse(LeadHistory, 'One page of events.'),
        ...leadReadErrors,
      },
    },
    {
      method: 'get',
      path: '/v1/leads/{leadId}/score',
      operationId: 'explainLeadScore',
      tags: ['reads'],
      summary: 'Why a lead scores what it does, and what keeps it from becoming an MQL',
      description:
        'From the read model and the event log. `fit.reasons` are the active policy\'s rules that match the profile; ' +
        '`engagement.reasons` are the scored events since the last recycle (their points add up to ' +
        '`engagement.score`); `mql` is the readiness under the active policy. `policyVersion` is the policy the lead ' +
        'decides with, `activePolicyVersion` the one this process runs with.',
      security: [bearer('read')],
      request: { params: LeadPathParams },
      responses: {
        200: jsonResponse(LeadScore, 'The explanation.'),
        ...leadReadErrors,
      },
    },
    {
      method: 'get',
      path: '/v1/policy',
      operationId: 'getPolicy',
      tags: ['policy'],
      summary: 'The active lead policy',
      description:
        'The policy this process runs with (LEADFLOW_POLICY_FILE, or the built-in one), parsed, every default filled ' +
        'in, with its content-hash version. New leads and leads starting a new cycle decide with it.',
      security: [bearer('read')],
      responses: {
        200: jsonResponse(PolicyResponse, 'The active policy.'),
        401: errors[401],
        403: errors[403],
        429: errors[429],
      },
    },
    {
      method: 'post',
      path: POLICY_VALIDATE_PATH,
      operationId: 'validatePolicy',
      tags: ['policy'],
      summary: 'Check a candidate policy (JSON or YAML) before deploying it',
      description:
        'Checks the body exactly as start-up checks LEADFLOW_POLICY_FILE: same parser, same problem lines, same ' +
        'version hash. Nothing is changed: the active policy only changes by deploying the file. Send JSON ' +
        '(`application/json`) or YAML (`application/yaml`, `text/yaml`), at most 1 MB.',
      security: [bearer('admin')],
      request: {
        body: {
          required: true,
          content: { 'application/json': { schema: PolicyCandidate }, 'application/yaml': { schema: PolicyCandidate } },
        },
      },
      responses: {
        200: jsonResponse(PolicyValid, 'The candidate is valid; `version` is the version it would run as.'),
        400: errorResponse(
          '`invalid_policy`: `message` is the problem lines start-up prints (`  - <field path>: <problem>`, unknown ' +
            'fields first), `details` the same problems as `[{path, message}]`. A document that is not JSON or YAML ' +
            'at all is one problem at path `(document)`.',
        ),
        401: errors[401],
        403: errors[403],
        413: errors[413],
        415: errorResponse('`unsupported_media_type`: send `application/json`, `application/yaml` or `text/yaml`.'),
        429: errors[429],
      },
    },
    ...reportRoutes(),
    {
      method: 'get',
      path: '/healthz',
      operationId: 'health',
      tags: ['operations'],
      summary: 'Liveness probe (no auth)',
      security: [],
      responses: { 200: jsonResponse(Health, 'The process is up.') },
    },
    {
      method: 'get',
      path: '/readyz',
      operationId: 'ready',
      tags: ['operations'],
      summary: 'Readiness probe (no auth)',
      description: 'Checks that Temporal and the database each answer within 2 seconds, and that a worker polled the lead task queue in the last 90 seconds (without one, writes would only wait for their 503).',
      security: [],
      responses: {
        200: jsonResponse(Ready, 'Temporal and the database answer.'),
        503: errorResponse('`not_ready`: `details.checks` says which of `temporal`, `database` and `worker` failed (`failed` or `timeout`; `worker: none` when no worker polls the lead task queue).'),
      },
    },
    {
      method: 'get',
      path: '/metrics',
      operationId: 'metrics',
      tags: ['operations'],
      summary: 'Prometheus metrics (scope read)',
      description:
        'HTTP traffic, Node process metrics and lead gauges (leads per stage, SLA breaches, overdue SLAs). Needs a ' +
        'key with `read`, since the lead counts are business data (Prometheus: `authorization: {credentials: <key>}`).',
      security: [bearer('read')],
      responses: {
        200: {
          description: 'Prometheus text exposition format.',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
        401: errors[401],
        403: errors[403],
        429: errors[429],
      },
    },
    {
      method: 'get',
      path: '/openapi.json',
      operationId: 'openApiDocument',
      tags: ['operations'],
      summary: 'This document (no auth)',
      security: [],
      responses: { 200: { description: 'The OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
    {
      method: 'get',
      path: '/docs',
      operationId: 'docs',
      tags: ['operations'],
      summary: 'API reference page (no auth)',
      description: `Swagger UI on /openapi.json, served from ${DOCS_ASSETS_PATH} (works offline).`,
      security: [],
      responses: { 200: { description: 'HTML.', content: { 'text/html': { schema: { type: 'string' } } } } },
    },
    {
      method: 'get',
      path: '/dashboard',
      operationId: 'dashboard',
      tags: ['operations'],
      summary: 'Reports dashboard (no auth for the page)',
      description:
        'Funnel, SLA board, rejections, velocity, scoring calibration and recycling, drawn from the `/v1/reports/*` ' +
        'endpoints. The page asks for a key with `read` (or takes it from `#key=…` in the URL) and keeps it in ' +
        'sessionStorage; its script, styles and Chart.js are served from /dashboard/assets.',
      security: [],
      responses: { 200: { description: 'HTML.', content: { 'text/html': { schema: { type: 'string' } } } } },
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Reports (GET /v1/reports/*): schemas in api/report-schemas.ts, routes in api/routes/reports.routes.ts

const REPORT_PERIOD_TEXT =
  'The period is `from`..`to`, UTC dates, both inclusive (default: the last 90 days, today included).';

function reportRoutes(): RouteConfig[] {
  const report = (
    name: string,
    operationId: string,
    summary: string,
    description: string,
    query: ZodObject,
    schema: ZodType,
    csvTable: string,
  ): RouteConfig => ({
    method: 'get',
    path: `/v1/reports/${name}`,
    operationId,
    tags: ['reports'],
    summary,
    description: `${description}\n\n${REPORT_PERIOD_TEXT} Computed in the database from the read model and the event log.`,
    security: [bearer('read')],
    request: { query },
    responses: {
      200: {
        description: `The report. As CSV (\`format=csv\` or \`Accept: text/csv\`): ${csvTable}, RFC 4180 with a header row.`,
        content: {
          'application/json': { schema },
          'text/csv': { schema: { type: 'string' } },
        },
      },
      400: errors[400],
      401: errors[401],
      403: errors[403],
      429: errors[429],
      503: readUnavailable,
    },
  });

  return [
    report(
      'funnel',
      'funnelReport',
      'Funnel: stages reached and conversion, by cohort and source',
      'The leads **created** in the period and the stages they have reached (a lead counts for every stage whose ' +
        'first-reached time it has), with the step conversions, per creation cohort (`cohort=week|month`; every ' +
        'week or month of the period, empty ones included) and per source channel.',
      FunnelQuery,
      FunnelReportSchema,
      'one row per cohort (`cohort`, the reached counts, the conversions)',
    ),
    report(
      'sla',
      'slaReport',
      'MQL follow-up SLA: decisions, breaches, reps, open SLAs',
      'For the leads **created** in the period, the MQL follow-up SLA: decisions (the first accept or reject of each ' +
        'MQL cycle), how many came before any breach of that cycle, hours from the MQL to the decision, breaches, ' +
        'reassignments and hand-backs (`sla_expired`) of the MQL SLA, and the same per rep (a rep\'s window starts ' +
        'at their own assignment). `openPastDue` and `openBySla` are the running MQL and SAL SLAs now, whatever the ' +
        'period: past due (most overdue first), and still running (nearest due first), at most 100 each.',
      ReportQuery,
      SlaReportSchema,
      'one row per rep (`byRep`)',
    ),
    report(
      'velocity',
      'velocityReport',
      'Velocity: hours spent in each stage',
      'Median and 90th percentile of the hours spent in inquiry, MQL, SAL and SQL, for the stays that **ended** in ' +
        'the period. A stay runs from the event that entered the stage to the lead\'s next stage-changing event.',
      ReportQuery,
      VelocityReportSchema,
      'one row per stage',
    ),
    report(
      'rejections',
      'rejectionsReport',
      'Rejections by reason, over time, by source and by rep',
      'The MQL rejections (LeadRejected) that **happened** in the period, by reason, per week or month ' +
        '(`bucket=week|month`), per source channel of the lead and per rep. Only combinations that occurred are listed.',
      RejectionsQuery,
      RejectionsReportSchema,
      'one row per reason (`reasons`)',
    ),
    report(
      'calibration',
      'calibrationReport',
      'Scoring calibration: MQL outcomes by fit and engagement at the MQL',
      'Every MQL of the leads **created** in the period, by its fit and engagement scores at the moment it became ' +
        'an MQL: how many were accepted in that cycle and how many belong to leads that were won, per fit × engagement ' +
        'band, with the quartiles of the scores of the accepted MQLs and the policy\'s current thresholds.',
      ReportQuery,
      CalibrationReportSchema,
      'one row per cell (`cells`)',
    ),
    report(
      'recycling',
      'recyclingReport',
      'Recycling: how many recycled leads qualify again, and how fast',
      'The recycles of the leads **created** in the period and which were followed by a new MQL of the same lead ' +
        '(re-qualified), with the days it took, per reason, and the recycles themselves (newest first, at most 200).',
      ReportQuery,
      RecyclingReportSchema,
      'one row per recycle (`leads`)',
    ),
  ];
}

/** The /docs page: Swagger UI from the locally installed swagger-ui-dist, reading /openapi.json. */
export function docsPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Leadflow API reference</title>
  <link rel="stylesheet" href="${DOCS_ASSETS_PATH}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${DOCS_ASSETS_PATH}/favicon-32x32.png">
</head>
<body>
  <noscript>This page needs JavaScript. The API description itself is at <a href="/openapi.json">/openapi.json</a>.</noscript>
  <div id="swagger-ui"></div>
  <script src="${DOCS_ASSETS_PATH}/swagger-ui-bundle.js"></script>
  <script src="${DOCS_ASSETS_PATH}/swagger-ui-standalone-preset.js"></script>
  <script src="${DOCS_ASSETS_PATH}/leadflow-docs.js"></script>
</body>
</html>
`;
}
