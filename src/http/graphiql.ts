import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';

/**
 * GraphiQL (development only) without a CDN: Yoga's own page loads @graphql-yoga/graphiql from
 * unpkg, so offline it never gets past "Loading…". This page loads the same bundle from the
 * installed npm package, served by the server under GRAPHIQL_ASSETS_PATH.
 */
export const GRAPHIQL_ASSETS_PATH = '/graphiql';

/** What a new GraphiQL opens with: how to send the key, and a first query. */
const GRAPHIQL_DEFAULT_QUERY = `# Billing server GraphiQL
#
# Most fields need an API key. Open the "Headers"
# tab below the editor and enter:
#
#   { "Authorization": "Bearer <your API key>" }
#
# The first \`npm start\` prints an ADMIN key;
# createApiKey makes others. plans and meters are
# public; the query below needs an OWNER or VIEWER
# key. Run it with Ctrl-Enter or the play button.

query MonthToDateUsage {
  viewer {
    role
    organization {
      name
    }
  }
  usage {
    meter {
      key
    }
    used
    limit
    pct
    status
  }
}
`;

export const graphiqlOptions: GraphiQLOptions = {
  title: 'Billing server',
  subscriptionsProtocol: 'SSE',
  defaultQuery: GRAPHIQL_DEFAULT_QUERY,
  // The headers pane open, where the Authorization header goes.
  defaultEditorToolsVisibility: 'headers',
};

/** The files of the package's dist/ that the page uses (nothing else is served). */
const ASSETS: Record<string, string> = {
  'graphiql.css': 'text/css; charset=utf-8',
  'yoga-graphiql.umd.js': 'text/javascript; charset=utf-8',
  'monacoeditorwork/editor.worker.bundle.js': 'text/javascript; charset=utf-8',
  'monacoeditorwork/json.worker.bundle.js': 'text/javascript; charset=utf-8',
  // Sic: the package names it with two dots.
  'monacoeditorwork/graphql.worker..bundle.js': 'text/javascript; charset=utf-8',
};

interface Package {
  dist: string;
  /** The URL prefix of its files; it names the version, so they may be cached for good. */
  base: string;
}

let installed: Package | undefined;

function graphiqlPackage(): Package {
  if (!installed) {
    const require = createRequire(import.meta.url);
    const manifestPath = require.resolve('@graphql-yoga/graphiql/package.json');
    const { version } = require(manifestPath) as { version: string };
    installed = {
      dist: join(dirname(manifestPath), 'dist'),
      base: `${GRAPHIQL_ASSETS_PATH}/${encodeURIComponent(version)}`,
    };
  }
  return installed;
}

/** JSON inside <script>: no "</script>" or "<!--" can end it early. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Yoga's GraphiQL page with every URL on this server (Yoga's `renderGraphiQL` option). */
export function renderGraphiQL(options: GraphiQLOptions): string {
  const { base } = graphiqlPackage();
  const workers = {
    editorWorkerService: `${base}/monacoeditorwork/editor.worker.bundle.js`,
    json: `${base}/monacoeditorwork/json.worker.bundle.js`,
    graphql: `${base}/monacoeditorwork/graphql.worker..bundle.js`,
  };
  const title = escapeHtml(options.title ?? 'GraphiQL');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${base}/graphiql.css">
</head>
<body id="body" class="no-focus-outline">
<noscript>You need to enable JavaScript to run GraphiQL.</noscript>
<div id="root">Loading ${title}…</div>
<script>
const workerUrls = ${scriptJson(workers)};
self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_moduleId, label) => workerUrls[label] };
</script>
<script src="${base}/yoga-graphiql.umd.js"></script>
<script>
const options = ${scriptJson(options)};
// The first tab: a link's ?query=, else defaultQuery (Yoga would show its own welcome text).
options.query = new URLSearchParams(location.search).get('query') || options.defaultQuery;
YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), options);
</script>
</body>
</html>
`;
}

/**
 * A Yoga plugin that answers GET GRAPHIQL_ASSETS_PATH/<version>/<file> from the package's dist/.
 * Only the files in ASSETS are served; each is read once and kept in memory.
 */
export function useGraphiQLAssets(): Plugin {
  const cache = new Map<string, Promise<Buffer>>();
  return {
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (!url.pathname.startsWith(`${GRAPHIQL_ASSETS_PATH}/`)) return;
      const { dist, base } = graphiqlPackage();
      const name = url.pathname.startsWith(`${base}/`) ? url.pathname.slice(base.length + 1) : '';
      const contentType = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
      if (!contentType || (request.method !== 'GET' && request.method !== 'HEAD')) {
        endResponse(new fetchAPI.Response('Not found', { status: 404 }));
        return;
      }
      let body = cache.get(name);
      if (!body) {
        body = readFile(join(dist, name));
        // A failed read is tried again by the next request.
        body.catch(() => cache.delete(name));
        cache.set(name, body);
      }
      return body.then((bytes) => {
        endResponse(
          new fetchAPI.Response(request.method === 'HEAD' ? null : new Uint8Array(bytes), {
            headers: {
              'content-type': contentType,
              'content-length': String(bytes.byteLength),
              'cache-control': 'public, max-age=31536000, immutable',
            },
          }),
        );
      });
    },
  };
}
