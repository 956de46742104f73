import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TurnWrites } from './turn-writes.js';

async function listen(handler: (path: string, res: ServerResponse) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handler(req.url ?? '/', res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

/** One request on its own connection: the status and body, or the error the client saw. */
function get(port: number, path: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

test('responses finished in one turn are written when it ends, each with its own status and body', async () => {
  const writes = new TurnWrites();
  /** Whether each response had been sent when it was queued, and once its turn had ended. */
  const seen: [boolean, boolean][] = [];
  const { server, port } = await listen((path, res) => {
    const body = `body of ${path}`;
    writes.write(res, path === '/missing' ? 404 : 200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) }, body);
    const atQueue = res.headersSent;
    setImmediate(() => seen.push([atQueue, res.headersSent]));
  });
  try {
    const paths = Array.from({ length: 40 }, (_, i) => (i === 7 ? '/missing' : `/p/${i}`));
    const answers = await Promise.all(paths.map((p) => get(port, p)));
    answers.forEach((a, i) => assert.deepEqual(a, { status: paths[i] === '/missing' ? 404 : 200, body: `body of ${paths[i]}` }));
    // Not written when queued; written by the end of the turn (a check queued after it sees it sent).
    assert.equal(seen.length, 40);
    assert.ok(seen.every(([atQueue, afterTurn]) => !atQueue && afterTurn), JSON.stringify(seen));
  } finally {
    server.close();
  }
});

test('a response that cannot be written closes its connection and does not hold back the others of its turn', async () => {
  const writes = new TurnWrites();
  let queued = 0;
  const waiting: (() => void)[] = [];
  const { server, port } = await listen((path, res) => {
    // Hold every response until all three are queued, so that they share one turn.
    waiting.push(() => {
      const body = `body of ${path}`;
      // A header value with a line break is refused by writeHead.
      writes.write(res, 200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), ...(path === '/bad' ? { 'x-broken': 'a\nb' } : {}) }, body);
    });
    if (++queued === 3) for (const w of waiting) w();
  });
  try {
    const [first, bad, last] = await Promise.all([get(port, '/first'), get(port, '/bad'), get(port, '/last')]);
    assert.deepEqual(first, { status: 200, body: 'body of /first' });
    assert.deepEqual(last, { status: 200, body: 'body of /last' });
    assert.ok('error' in bad, `the refused response ends its connection: ${JSON.stringify(bad)}`);
  } finally {
    server.close();
  }
});
