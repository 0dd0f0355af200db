import path from 'node:path';
import express, { type Express } from 'express';

/** Where the API reference page loads Swagger UI from (the swagger-ui-dist package, served locally). */
export const DOCS_ASSETS_PATH = '/docs/assets';

const swaggerUiDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));

/**
 * The static files of /docs (the page itself is api/openapi.ts docsPage()): Swagger UI from the
 * installed package, so the reference works offline, and the script that points it at /openapi.json
 * (a file, not an inline script, so a strict Content-Security-Policy can be added later).
 */
export function registerDocsAssets(app: Express): void {
  app.get(`${DOCS_ASSETS_PATH}/leadflow-docs.js`, (_req, res) => {
    res.type('application/javascript').send(INIT_SCRIPT);
  });
  app.use(DOCS_ASSETS_PATH, express.static(swaggerUiDir, { index: false, fallthrough: true, maxAge: '1h' }));
}

const INIT_SCRIPT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
    persistAuthorization: false,
  });
});
`;
