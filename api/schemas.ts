import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  acceptLeadSchema,
  closeLeadSchema,
  contactAttemptSchema,
  disqualifyLeadSchema,
  engagementInputSchema,
  isStorableText,
  leadProfileSchema,
  qualifyLeadSchema,
  rejectLeadSchema,
} from '../domain/lead-command.schemas';
import { managerCommandTypes, salesCommandTypes } from '../domain/lead-commands';
import { bantCriteria, leadStages, recycleReasons } from '../domain/lead-events';
import { leadPolicySchema } from '../domain/lead-policy';

/*
 * The HTTP API's shapes, in one place: these zod schemas validate every request, give the route
 * handlers their types, and generate the OpenAPI 3.1 document (api/openapi.ts). Field rules reuse the
 * domain's command schemas, so the API never accepts what the lead workflow would refuse as malformed.
 */

extendZodWithOpenApi(z);

const isoTimestamp = z.iso.datetime({ offset: true });
// Field schemas taken from domain/ were built before extendZodWithOpenApi ran, so they carry their docs
// with zod's own `.meta()` (which the generator reads too) instead of `.openapi()`.
const profile = leadProfileSchema.shape;

// ---------------------------------------------------------------------------------------------------------
// Path, query and header parameters

export const LEAD_ID_PATTERN = /^lead-[0-9a-f]{32}$/;

export const LeadId = z
  .string()
  .regex(LEAD_ID_PATTERN, 'a lead id is "lead-" followed by 32 lowercase hex characters')
  .openapi('LeadId', {
    description:
      '`lead-` + the first 32 hex characters of HMAC-SHA-256(secret, normalised email). Stable for a person until the lead is erased.',
    example: 'lead-3f1c9a0e5b7d4c2a8e6f0b1d9c7a5e3f',
  });

export const LeadPathParams = z.object({
  leadId: LeadId,
});
export type LeadPathParams = z.infer<typeof LeadPathParams>;

/** Printable ASCII without spaces, as sent by the common HTTP clients (UUIDs, ULIDs, hashes). */
export const IdempotencyKey = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
  .openapi({ example: 'c2d6f2a4-3f57-4d8e-9b1e-0c7a2c0f9e11' });

export const IdempotencyHeaders = z.object({
  'Idempotency-Key': IdempotencyKey.optional().openapi({
    param: {
      in: 'header',
      description:
        'Makes the request safe to retry. The first answer (status and body, except 5xx) is stored per API key (signed webhooks share one) ' +
        'for 24 hours and replayed for the same key (with `Idempotent-Replayed: true`); the key is also the ' +
        'Temporal update id, so concurrent duplicates collapse into one change. The same key with a different ' +
        'method, path or body is refused with 422 `idempotency_key_reused`.',
    },
  }),
});

export const WebhookHeaders = z.object({
  'X-Leadflow-Timestamp': z
    .string()
    .regex(/^\d{1,12}$/)
    .optional()
    .openapi({
      param: {
        in: 'header',
        description: 'Signed webhooks only (instead of a bearer key): unix seconds, at most 5 minutes from the server clock.',
      },
      example: '1763841600',
    }),
  'X-Leadflow-Signature': z
    .string()
    .optional()
    .openapi({
      param: {
        in: 'header',
        description:
          'Signed webhooks only: `sha256=` + hex HMAC-SHA256 of `"<X-Leadflow-Timestamp>.<raw body bytes>"` with the ' +
          'shared webhook secret (LEADFLOW_WEBHOOK_SECRET).',
      },
      example: 'sha256=5d41402abc4b2a76b9719d911017c592ae8f2b7e3c6a1d0f4e5b6c7d8e9f0a1b',
    }),
});

export const GetLeadQuery = z.object({
  consistent: z
    .enum(['true', 'false'])
    .default('false')
    .openapi({
      description:
        '`true` reads the lead from its workflow (a Temporal query) instead of the read model: always current, ' +
        'slower, and 503 when Temporal or the worker does not answer in time.',
    }),
});

export const HistoryQuery = z.object({
  // seq is a PostgreSQL integer: a larger number would overflow the query (a 500) instead of a 400.
  afterSeq: z.coerce.number().int().min(0).max(2_147_483_647).default(0).openapi({ description: 'Only events with a greater seq (paging).' }),
  limit: z.coerce.number().int().min(1).max(1000).default(500).openapi({ description: 'Events per page, 1-1000.' }),
});

export const ListLeadsQuery = z.object({
  stage: z.enum(leadStages).optional(),
  // A NUL in a query parameter is an error of PostgreSQL's (a 500), not an empty page (found by npm run fuzz).
  owner: z.string().min(1).max(200).refine(isStorableText, 'must not contain NUL or unpaired surrogate characters').optional().openapi({ example: 'rep-ada' }),
  slaDueBefore: isoTimestamp.optional().openapi({
    description: 'Only leads with a running SLA due before this instant (the SLA board).',
    example: '2026-11-23T09:00:00Z',
  }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .max(500)
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional()
    .openapi({ description: 'Opaque: the `nextCursor` of the previous page.' }),
});
export type ListLeadsQuery = z.infer<typeof ListLeadsQuery>;

// ---------------------------------------------------------------------------------------------------------
// Request bodies

export const lawfulBases = ['consent', 'contract', 'legal_obligation', 'vital_interests', 'public_task', 'legitimate_interests'] as const;

export const Consent = z
  .object({
    lawfulBasis: z.enum(lawfulBases).openapi({ description: 'GDPR Art. 6(1) basis for processing.' }),
    capturedAt: isoTimestamp,
    text: z.string().min(1).max(5000).openapi({ description: 'The consent wording the person saw.' }),
  })
  .openapi('Consent', {
    description:
      'What the person agreed to, as captured by the form. Validated and kept in the lead workflow\'s history ' +
      '(the form fill\'s update input, i.e. the audit trail in Temporal); it is not yet part of the lead events, ' +
      'the read model or any response.',
  });

export const LeadSource = z
  .object({
    channel: z.string().max(100).optional().openapi({ example: 'paid_search' }),
    campaign: z.string().max(200).optional().openapi({ example: '2026-q4-routing' }),
  })
  .openapi('LeadSource');

export const FormFill = z
  .object({
    email: profile.email.meta({ description: 'Identifies the person (trimmed, case-insensitive).', format: 'email', example: 'ada@analytical.example' }),
    firstName: profile.firstName,
    lastName: profile.lastName,
    phone: profile.phone,
    company: profile.company,
    companyDomain: profile.companyDomain,
    jobTitle: profile.jobTitle,
    seniority: profile.seniority.meta({ example: 'director' }),
    industry: profile.industry.meta({ example: 'software' }),
    employeeCount: profile.employeeCount,
    annualRevenue: profile.annualRevenue,
    country: profile.country.meta({ description: 'ISO 3166-1 alpha-2 (upper-cased).', example: 'DE' }),
    productInterest: profile.productInterest,
    formType: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .default('form')
      .openapi({
        description:
          'Which form: `contact_sales`, `demo_request` (hand-raisers: an MQL at once when fit clears the bar), ' +
          '`content_download`, `webinar`, `newsletter`, or any other name (engagement points per the policy). Default `form`.',
        example: 'demo_request',
      }),
    source: LeadSource.optional(),
    consent: Consent.optional(),
  })
  .openapi('FormFill', {
    description:
      'A form fill. Only `email` is required; fields sent later complete the profile (a field sent again replaces ' +
      'the earlier value). Unknown fields are ignored.',
  });
export type FormFill = z.infer<typeof FormFill>;

export const EngagementEvent = z
  .object({
    type: engagementInputSchema.shape.type.meta({ example: 'pricing_page_view' }),
    occurredAt: engagementInputSchema.shape.occurredAt.meta({ example: '2026-11-22T10:15:00Z' }),
    id: engagementInputSchema.shape.id.meta({
      description: 'Your id for the event; a re-delivered id is ignored (at-least-once delivery is fine).',
    }),
  })
  .openapi('EngagementEvent');

export const MAX_ENGAGEMENTS_PER_REQUEST = 1000;

export const EngagementBatch = z
  .object({ events: z.array(EngagementEvent).min(1).max(MAX_ENGAGEMENTS_PER_REQUEST) })
  .openapi('EngagementBatch');

export const EngagementBody = z
  .union([EngagementBatch, EngagementEvent])
  .openapi('EngagementBody', { description: `One event, or \`{events: [...]}\` with up to ${MAX_ENGAGEMENTS_PER_REQUEST}.` });
export type EngagementBody = z.infer<typeof EngagementBody>;

/** Who decides: filled in for a key bound to a rep, which may name no one else (403 `acting_as_someone_else`). */
const actorNote = 'Required, except with an API key bound to a rep: it is then that rep, and naming anyone else is refused (403).';
const rep = acceptLeadSchema.shape.rep.optional().meta({ description: `The sales rep deciding. ${actorNote}`, example: 'rep-ada' });
const note = z.string().max(2000);

export const AcceptBody = z.strictObject({ rep }).openapi('AcceptLead');

export const RejectBody = z
  .strictObject({
    rep,
    reason: rejectLeadSchema.shape.reason.meta({
      description:
        '`not_ready`, `no_budget`, `bad_timing`, `bad_contact_data` recycle the lead to marketing; `not_a_fit`, ' +
        '`competitor`, `spam`, `duplicate` disqualify it. `not_ready` is refused (409, `details.reason` ' +
        '`CONTACT_ATTEMPTS_REQUIRED`) until the policy\'s `sla.contactAttemptsBeforeNotReady` contact attempts are ' +
        'recorded (POST /v1/leads/{leadId}/contact-attempts).',
    }),
    note: note.optional(),
  })
  .openapi('RejectLead');

export const QualifyBody = z
  .strictObject({
    rep,
    budget: qualifyLeadSchema.shape.budget,
    authority: qualifyLeadSchema.shape.authority,
    need: qualifyLeadSchema.shape.need,
    timeline: qualifyLeadSchema.shape.timeline,
    note: note.optional(),
  })
  .openapi('QualifyLead', { description: 'All four BANT criteria confirmed make the lead an SQL; any gap recycles it.' });

export const CloseBody = z
  .strictObject({
    rep,
    outcome: closeLeadSchema.shape.outcome,
    reason: closeLeadSchema.shape.reason.meta({
      description: 'Required for `lost`: `not_now` recycles the lead, any other reason disqualifies it.',
      example: 'chose_competitor',
    }),
  })
  .refine((c) => c.outcome === 'won' || c.reason !== undefined, {
    message: 'a lost deal needs a reason (not_now recycles the lead)',
    path: ['reason'],
  })
  .openapi('CloseLead');

export const DisqualifyBody = z
  .strictObject({
    by: disqualifyLeadSchema.shape.by.optional().meta({ description: `Who disqualifies the lead. ${actorNote}`, example: 'ops-olga' }),
    reason: disqualifyLeadSchema.shape.reason.meta({ example: 'fake_company' }),
  })
  .openapi('DisqualifyLead');

export const ContactAttemptBody = z
  .strictObject({
    rep: contactAttemptSchema.shape.rep.optional().meta({ description: `The sales rep who tried to reach the lead. ${actorNote}`, example: 'rep-ada' }),
    channel: contactAttemptSchema.shape.channel.meta({ example: 'phone' }),
    outcome: contactAttemptSchema.shape.outcome.meta({ description: 'How the attempt went, when known.', example: 'voicemail' }),
    note: note.optional(),
  })
  .openapi('ContactAttempt', {
    description:
      'One attempt by the owner to reach an accepted lead (SAL). The policy may require a number of them ' +
      '(`sla.contactAttemptsBeforeNotReady`) before the lead can be rejected as `not_ready`.',
  });

// ---------------------------------------------------------------------------------------------------------
// Responses

const commandType = z
  .enum(['FillForm', 'RecordEngagement', 'Unsubscribe', ...salesCommandTypes, ...managerCommandTypes])
  .openapi('LeadCommandType', { description: 'What may be asked of a lead (the API operation that sends it).' });

const nullableIso = isoTimestamp.nullable();

export const LeadView = z
  .object({
    leadId: LeadId,
    stage: z.enum(leadStages).openapi('LeadStage'),
    owner: z.string().nullable(),
    email: z.string(),
    fullName: z.string().nullable(),
    company: z.string().nullable(),
    country: z.string().nullable(),
    profile: z
      .object({
        email: z.string(),
        firstName: z.string().optional(),
        lastName: z.string().optional(),
        phone: z.string().optional(),
        company: z.string().optional(),
        companyDomain: z.string().optional(),
        jobTitle: z.string().optional(),
        seniority: z.string().optional(),
        industry: z.string().optional(),
        employeeCount: z.number().optional(),
        annualRevenue: z.number().optional(),
        country: z.string().optional(),
        productInterest: z.string().optional(),
      })
      .openapi('LeadProfile'),
    source: z.object({ channel: z.string().nullable(), campaign: z.string().nullable() }),
    fitScore: z.number().int(),
    engagementScore: z.number().int(),
    sla: z
      .object({
        kind: z.enum(['mql', 'sal']),
        owner: z.string(),
        startedAt: isoTimestamp,
        remindAt: isoTimestamp,
        dueAt: isoTimestamp,
        reminded: z.boolean(),
      })
      .nullable()
      .openapi({ description: 'The follow-up promise currently running, if any.' }),
    slaBreaches: z.number().int().openapi({ description: 'Breaches in the current stage.' }),
    mqlCycle: z.number().int(),
    recycleCount: z.number().int(),
    recycleReason: z.enum(recycleReasons).nullable().openapi({ description: 'Set while the lead is recycled.' }),
    bantGaps: z.array(z.enum(bantCriteria)).nullable(),
    needsDataRepair: z.boolean(),
    unsubscribed: z.boolean(),
    contactAttempts: z.number().int().openapi({ description: 'Contact attempts recorded since the lead was accepted.' }),
    opportunityId: z.string().nullable(),
    closed: z
      .object({ outcome: z.enum(['won', 'disqualified']), reason: z.string().nullable(), by: z.string(), at: isoTimestamp })
      .nullable(),
    stageReachedAt: z
      .object({
        inquiry: isoTimestamp.optional(),
        mql: isoTimestamp.optional(),
        sal: isoTimestamp.optional(),
        sql: isoTimestamp.optional(),
        won: isoTimestamp.optional(),
        disqualified: isoTimestamp.optional(),
        recycled: isoTimestamp.optional(),
      } satisfies Record<(typeof leadStages)[number], unknown>)
      .openapi({ description: 'When each stage was first reached (later visits do not overwrite it).' }),
    allowedCommands: z.array(commandType).openapi({ description: 'What the current stage allows.' }),
    createdAt: nullableIso,
    updatedAt: nullableIso,
    lastEventSeq: z.number().int().openapi({ description: 'Seq of the last event folded in (see /history).' }),
    links: z.object({
      self: z.string(),
      history: z.string(),
      temporal: z.string().optional().openapi({ description: 'The lead workflow in the Temporal Web UI.' }),
    }),
  })
  .openapi('Lead');
export type LeadView = z.infer<typeof LeadView>;

export const LeadResponse = z.object({ lead: LeadView }).openapi('LeadResponse');

export const FormAccepted = z
  .object({
    leadId: LeadId,
    created: z.boolean().openapi({ description: 'True when this form fill captured a new lead.' }),
    stage: z.enum(leadStages),
  })
  .openapi('FormAccepted');

export const EngagementsAccepted = z
  .object({
    leadId: LeadId,
    accepted: z.number().int().openapi({ description: 'Events handed to the lead (re-delivered ids are dropped later).' }),
  })
  .openapi('EngagementsAccepted');

export const LeadEventView = z
  .object({
    seq: z.number().int(),
    type: z.string().openapi({ example: 'LeadBecameMql' }),
    occurredAt: isoTimestamp,
    recordedAt: isoTimestamp,
    data: z.record(z.string(), z.unknown()),
  })
  .openapi('LeadEvent');

export const LeadHistory = z
  .object({
    leadId: LeadId,
    events: z.array(LeadEventView),
    nextAfterSeq: z.number().int().nullable().openapi({ description: 'Pass as `afterSeq` for the next page; null on the last.' }),
  })
  .openapi('LeadHistory');

export const LeadList = z
  .object({
    items: z.array(LeadView),
    nextCursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last.' }),
  })
  .openapi('LeadList');

export const UnsubscribeAccepted = z
  .object({ leadId: LeadId })
  .openapi('UnsubscribeAccepted', { description: 'The unsubscribe is handed to the lead; `unsubscribed` turns true shortly.' });
export type UnsubscribeAccepted = z.infer<typeof UnsubscribeAccepted>;

// ---------------------------------------------------------------------------------------------------------
// Policy and score explanation

const PolicyDocument = leadPolicySchema.meta({
  id: 'LeadPolicy',
  description:
    'A lead policy (see `examples/leadflow.policy.yaml`). Objects are strict: an unknown field (a typo) is an error ' +
    'naming it. As answered by GET /v1/policy it is the parsed form, every default filled in.',
});

export const PolicyVersion = z.string().openapi({
  description: 'Content hash of the parsed policy (`sha256:` + 16 hex), the same whether written as JSON or YAML.',
  example: 'sha256:3f1c9a0e5b7d4c2a',
});

export const PolicyResponse = z
  .object({
    version: PolicyVersion,
    name: z.string().optional().openapi({ description: 'The policy\'s own label, when it has one.' }),
    source: z.string().openapi({ description: 'The policy file (LEADFLOW_POLICY_FILE) or `built-in`.', example: 'built-in' }),
    policy: PolicyDocument,
  })
  .openapi('ActivePolicy');
export type PolicyResponse = z.infer<typeof PolicyResponse>;

/** What POST /v1/policy/validate documents as its body (parsed by the route itself, JSON or YAML). */
export const PolicyCandidate = PolicyDocument;

export const PolicyValid = z
  .object({ valid: z.literal(true), version: PolicyVersion })
  .openapi('PolicyValid', { description: 'The candidate is a valid policy; `version` is what it would run as.' });
export type PolicyValid = z.infer<typeof PolicyValid>;

export const LeadScore = z
  .object({
    leadId: LeadId,
    stage: z.enum(leadStages),
    policyVersion: z.string().nullable().openapi({
      description: 'The policy version the lead last became an MQL under (its current cycle\'s); null before its first MQL.',
    }),
    activePolicyVersion: PolicyVersion.openapi({ description: 'The policy this process runs with (GET /v1/policy).' }),
    explainedWithPolicyVersion: PolicyVersion.openapi({
      description:
        'The policy whose rules and thresholds `fit`, `engagement.threshold` and `mql` use: the lead\'s own ' +
        '(`policyVersion`) when a worker or the API of this deployment ran with it, else the active one.',
    }),
    fit: z.object({
      score: z.number().int().openapi({ description: 'The fit score the lead holds (recorded with its last form fill).' }),
      threshold: z.number().int().openapi({ description: 'The fit threshold of `explainedWithPolicyVersion`.' }),
      reasons: z
        .array(
          z.object({
            rule: z.string().openapi({ example: 'seniority:vp' }),
            points: z.number().int(),
            flag: z.string().optional().openapi({ description: 'A suspect marker (student, competitor, role_account…).' }),
          }),
        )
        .openapi({
          description:
            'The rules of `explainedWithPolicyVersion` that match the profile. They add up to `score` unless the ' +
            'lead\'s own policy version is unknown here and the active one differs.',
        }),
    }),
    engagement: z.object({
      score: z.number().int(),
      threshold: z.number().int(),
      reasons: z
        .array(
          z.object({
            rule: z.string().openapi({ description: '`form:<formType>`, `engagement:<type>` or `decay`.', example: 'engagement:pricing_page_view' }),
            points: z.number().int(),
            at: isoTimestamp,
            seq: z.number().int().openapi({ description: 'The event behind it (see /history).' }),
            engagementId: z.string().optional(),
            note: z.string().optional().openapi({ description: 'Why it scored less than its type\'s points (cap), or how a decay was computed.' }),
          }),
        )
        .openapi({ description: 'Every scored event since the lead was last recycled, oldest first; the points add up to `score`.' }),
    }),
    mql: z
      .object({
        via: z.enum(['score', 'hand_raiser']).nullable().openapi({ description: 'How the lead would become an MQL now; null when blocked.' }),
        blockedBy: z
          .array(z.string())
          .optional()
          .openapi({
            description:
              'What keeps it from becoming an MQL now: `stage:<stage>`, `cool_off_until:<time>`, `missing:<field>`, ' +
              '`needs_data_repair`, `fit_below_threshold`, `suspect:<reason>`, `no_lawful_basis`, `unsubscribed`, ' +
              '`engagement_below_threshold`.',
            example: ['engagement_below_threshold'],
          }),
      })
      .openapi({ description: 'MQL readiness under `explainedWithPolicyVersion`.' }),
    suspect: z
      .object({ reasons: z.array(z.string()), at: isoTimestamp })
      .optional()
      .openapi({ description: 'Set while the lead is held as suspect (high engagement, low fit).' }),
    consent: z
      .object({ lawfulBasis: z.string(), capturedAt: isoTimestamp, text: z.string().optional() })
      .optional()
      .openapi({ description: 'The latest lawful basis a form recorded.' }),
  })
  .openapi('LeadScore');
export type LeadScore = z.infer<typeof LeadScore>;

export const Health = z.object({ status: z.literal('ok') }).openapi('Health');
export const Ready = z
  .object({ status: z.literal('ready'), checks: z.object({ temporal: z.literal('ok'), database: z.literal('ok'), worker: z.literal('ok') }) })
  .openapi('Ready');

export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string().openapi({
        description:
          'invalid_request, invalid_json, unauthorized, invalid_signature, forbidden, not_found, lead_closed, ' +
          'transition_not_allowed, idempotency_key_reused, payload_too_large, unsupported_media_type, rate_limited, ' +
          'unavailable, not_ready, internal, invalid_policy, lead_erased',
      }),
      message: z.string(),
      details: z.unknown().optional().openapi({
        description:
          'invalid_request: the zod issues. transition_not_allowed: `{stage, command, allowed, reason}`. ' +
          'lead_closed: `{stage}`. not_ready: `{checks}`. invalid_policy: `[{path, message}]`, one per problem. ' +
          'lead_erased: the tombstone `{leadId, erasedAt}`.',
      }),
    }),
  })
  .openapi('Error');
