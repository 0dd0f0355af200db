import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Express, Response } from 'express';

/** Where the dashboard's static files are served from (its script, styles and Chart.js). */
export const DASHBOARD_ASSETS_PATH = '/dashboard/assets';

/**
 * The dashboard's files: api/dashboard/ when running from source (tsx, jest), dist/api/dashboard/ when
 * compiled (the build copies the folder there, so the Docker image, which keeps only dist/, has them).
 * The repository's api/dashboard/ is the fallback for a dist/ built without the copy step.
 */
export function dashboardDir(): string {
  const candidates = [path.resolve(__dirname, '../dashboard'), path.resolve(__dirname, '../../../api/dashboard')];
  const found = candidates.find((dir) => existsSync(path.join(dir, 'index.html')));
  if (!found) throw new Error(`dashboard files not found (looked in ${candidates.join(', ')})`);
  return found;
}

// chart.js exports only its module entry points; the UMD build for the browser sits beside the CommonJS one.
const chartJsDir = path.dirname(require.resolve('chart.js'));

/**
 * The reports dashboard: GET /dashboard is a static page, no authentication. Everything it shows comes
 * from the `read`-scoped report and lead endpoints, fetched by the page itself with the API key the
 * user gives it (kept in sessionStorage; `#key=…` in the URL is taken once and then removed).
 * No inline script or style, so the page is served under a strict Content-Security-Policy.
 */
export function registerDashboardRoutes(app: Express): void {
  const dir = dashboardDir();
  const securityHeaders = (res: Response): void => {
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
  };

  app.get('/dashboard', (_req, res) => {
    securityHeaders(res);
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(path.join(dir, 'index.html'));
  });

  // The page's script and styles, and Chart.js from the installed package (no CDN): these four files only.
  const assets = new Map([
    ['dashboard.js', dir],
    ['dashboard.css', dir],
    ['chart.umd.js', chartJsDir],
    ['chart.umd.js.map', chartJsDir],
  ]);
  app.use(DASHBOARD_ASSETS_PATH, (req, res, next) => {
    const file = req.path.slice(1);
    const folder = assets.get(file);
    if (!folder || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // The page's own files are revalidated (ETag) on every load; the library's are versioned by the lock file.
    res.sendFile(path.join(folder, file), { maxAge: folder === chartJsDir ? '1h' : 0 });
  });
}

/** Same-origin scripts, styles and requests only; canvas styles set from script are allowed by CSP. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
