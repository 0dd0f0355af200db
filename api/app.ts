import { randomUUID } from 'node:crypto';
import express, { type Express, type Request } from 'express';
import { ApiError, errorHandler } from './errors';
import type { AppDeps } from './app-deps';
import { buildOpenApiDocument, docsPage } from './openapi';
import { isCodecRequest, registerCodecCors, registerCodecRoutes } from './routes/codec.routes';
import { registerDashboardRoutes } from './routes/dashboard.routes';
import { registerHealthRoutes } from './routes/health.routes';
import { registerLeadRoutes } from './routes/leads.routes';
import { POLICY_DOCUMENT_TYPES, registerPolicyRoutes, takesPolicyDocument } from './routes/policy.routes';
import { registerWebhookDeliveryRoutes } from './routes/webhook-deliveries.routes';
import { registerWebhookEndpointRoutes } from './routes/webhook-endpoints.routes';

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    /** The exact bytes received, for webhook signature checks. */
    rawBody?: Buffer;
  }
}

/** Request bodies above this are a 413 (JSON and policy documents alike; the codec has its own limit). */
const BODY_LIMIT = '1mb';

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  app.use((req, res, next) => {
    const incoming = req.header('x-request-id');
    req.id = incoming && /^[\w.-]{1,100}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', req.id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = routeLabel(req);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      deps.metrics.observeRequest(req.method, route, res.statusCode, seconds);
      deps.logger.info(
        { reqId: req.id, method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1000), leadId: req.params?.leadId },
        'request',
      );
    });
    next();
  });

  // Before anything can refuse a request: the Temporal UI's browser must see CORS headers on every answer.
  registerCodecCors(app, deps);

  // Only JSON bodies are accepted on writes (a policy candidate may also be YAML); anything else is a 415
  // before any work is done.
  app.use((req, _res, next) => {
    if (['POST', 'PUT', 'PATCH'].includes(req.method) && req.headers['content-length'] !== '0') {
      if (takesPolicyDocument(req)) {
        if (!req.is(POLICY_DOCUMENT_TYPES)) {
          return next(new ApiError(415, 'unsupported_media_type', 'Send the policy as application/json or application/yaml'));
        }
      } else if (!req.is('application/json')) {
        return next(new ApiError(415, 'unsupported_media_type', 'Send the body as application/json'));
      }
    }
    next();
  });
  const keepRawBody = (req: unknown, _res: unknown, buf: Buffer) => {
    (req as Request).rawBody = buf;
  };
  app.use(
    express.json({
      limit: BODY_LIMIT,
      type: (req) => !takesPolicyDocument(req as Request) && !isCodecRequest(req as Request) && Boolean((req as Request).is('application/json')),
      verify: keepRawBody,
    }),
  );
  // A policy candidate stays text, JSON or YAML alike: the route parses it the way start-up parses a policy file.
  app.use(
    express.text({
      limit: BODY_LIMIT,
      type: (req) => takesPolicyDocument(req as Request) && Boolean((req as Request).is(POLICY_DOCUMENT_TYPES)),
      verify: keepRawBody,
    }),
  );

  registerHealthRoutes(app, deps);
  registerPolicyRoutes(app, deps);
  registerLeadRoutes(app, deps);
  registerWebhookEndpointRoutes(app, deps);
  registerWebhookDeliveryRoutes(app, deps);
  registerDashboardRoutes(app);
  registerCodecRoutes(app, deps);

  const openApi = buildOpenApiDocument();
  app.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  app.get('/docs', (_req, res) => {
    res.type('html').send(docsPage());
  });

  app.use((req, _res, next) => next(new ApiError(404, 'not_found', `No route for ${req.method} ${req.path}`)));
  app.use(errorHandler(deps.logger));
  return app;
}

function routeLabel(req: Request): string {
  const route = (req.route as { path?: string } | undefined)?.path;
  return route ? `${req.baseUrl}${route}` : 'unmatched';
}
