import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { Route } from './server.ts';

const DASHBOARD_PATH = '/dashboard';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

/*
 * The page holds an API key: it loads nothing from elsewhere, talks only to this origin (HTTP and
 * WebSocket), and may not be framed.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * Serves the built example dashboard (a static Vite build) at /dashboard/. Hashed assets are
 * cached for good, index.html never; a path that leaves the folder is not found. Without a build
 * the page says how to make one.
 */
export function dashboardRoute(dashboardDir: string): Route {
  const root = normalize(dashboardDir);
  return {
    method: 'GET',
    path: DASHBOARD_PATH,
    prefix: true,
    async handle(req, res) {
      const path = (req.url ?? '/').split(/[?#]/)[0] as string;
      if (path === DASHBOARD_PATH) {
        res.writeHead(308, { location: `${DASHBOARD_PATH}/` }).end();
        return;
      }
      const file = resolveFile(root, path.slice(DASHBOARD_PATH.length + 1) || 'index.html');
      const found = file ? await stat(file).catch(() => null) : null;
      if (!file || !found?.isFile()) {
        const built = await stat(join(root, 'index.html')).catch(() => null);
        const text = built
          ? 'not found'
          : 'The dashboard is not built: run `npm run dashboard:build` (or set DASHBOARD_DIR).';
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
        return;
      }
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': found.size,
        // Vite names what it puts in assets/ by content hash: a new build has new names.
        'cache-control': file.startsWith(join(root, 'assets') + sep)
          ? 'public, max-age=31536000, immutable'
          : 'no-cache',
      });
      createReadStream(file).pipe(res);
    },
  };
}

/** The file a URL path names inside the folder, or null when it would leave it. */
function resolveFile(root: string, relative: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(relative);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const file = normalize(join(root, decoded));
  return file.startsWith(root + sep) ? file : null;
}
