import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const CONSOLE_PATH = '/console';

/** `CAPSTAN_CONSOLE_DIST`, else packages/console/dist: the same three levels up from src/console and dist/console. */
export function consoleDistDir(): string {
  return process.env.CAPSTAN_CONSOLE_DIST || fileURLToPath(new URL('../../../console/dist/', import.meta.url));
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

/** Vite names what it builds under assets/ by content hash: a changed file is a new name. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Capstan console not built</title></head>
<body><h1>The Capstan console is not built</h1>
<p>Run <code>npm run build</code> in the Capstan checkout and reload this page.</p></body></html>
`;

/**
 * The file a request path names inside the build, or undefined when it names none. Decoded
 * once and resolved against the directory, so neither `..` nor an encoded one gets out.
 */
function fileFor(dir: string, rest: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const full = resolve(dir, `.${sep}${decoded}`);
  return full.startsWith(dir + sep) ? full : undefined;
}

async function isFile(path: string | undefined): Promise<boolean> {
  return path !== undefined && (await stat(path).catch(() => undefined))?.isFile() === true;
}

/**
 * The web console's built files at /console/: assets by name with a long cache, and index.html
 * (never cached, so a rebuild is picked up) for every other path, which the app routes itself.
 * Files are read at each request, so `npm run build` needs no restart.
 */
export function attachConsoleStatic(app: FastifyInstance, dir = resolve(consoleDistDir())): void {
  const index = join(dir, 'index.html');

  const serve = async (req: FastifyRequest, reply: FastifyReply, rest: string) => {
    reply.headers(SECURITY_HEADERS);
    if (!(await isFile(index))) {
      return reply.code(503).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
    }
    const path = rest ? fileFor(dir, rest) : undefined;
    if (path && path !== index && (await isFile(path))) {
      const asset = rest.startsWith('assets/');
      return reply
        .code(200)
        .header('content-type', TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream')
        .header('cache-control', asset ? IMMUTABLE : 'no-cache')
        .send(await readFile(path));
    }
    // A missing asset is a stale page asking for an old build: say so, not with the app's HTML.
    if (rest.startsWith('assets/')) return reply.code(404).header('content-type', 'text/plain; charset=utf-8').header('cache-control', 'no-store').send('not found\n');
    return reply.code(200).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache').send(await readFile(index));
  };

  app.get(CONSOLE_PATH, (_req, reply) => reply.redirect(`${CONSOLE_PATH}/`, 302));
  app.get(`${CONSOLE_PATH}/`, (req, reply) => serve(req, reply, ''));
  app.get(`${CONSOLE_PATH}/*`, (req, reply) => serve(req, reply, rawRest(req)));

  // A browser opening the server's address lands on the console; API clients never GET / for HTML.
  app.addHook('onRequest', async (req, reply) => {
    if (req.method !== 'GET' || req.url !== '/') return;
    const accept = req.headers.accept;
    if (typeof accept === 'string' && accept.includes('text/html') && req.headers.authorization === undefined) return reply.redirect(`${CONSOLE_PATH}/`, 302);
  });
}

/** The path after /console/, as sent (still percent-encoded), without its query. */
function rawRest(req: FastifyRequest): string {
  const url = req.raw.url ?? '';
  const q = url.indexOf('?');
  return (q < 0 ? url : url.slice(0, q)).slice(CONSOLE_PATH.length + 1);
}
