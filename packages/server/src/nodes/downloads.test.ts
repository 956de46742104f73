import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { attachAgentDownloads } from './downloads.js';

const root = mkdtempSync(join(tmpdir(), 'capstan-downloads-'));
const dist = join(root, 'dist', 'agent');
mkdirSync(dist, { recursive: true });
writeFileSync(join(dist, 'install-agent.sh'), '#!/bin/sh\necho install\n');
writeFileSync(join(dist, 'capstan-agent.mjs'), 'console.log("agent")\n');
writeFileSync(join(dist, 'capstan-agent-linux-x64'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]));
// Beside the artifacts, never to be served.
writeFileSync(join(root, 'dist', 'secret'), 'secret');
writeFileSync(join(dist, 'other'), 'other');
mkdirSync(join(dist, 'capstan-agent-linux-arm64'));

const app = Fastify();
attachAgentDownloads(app, dist);
after(async () => {
  await app.close();
  rmSync(root, { recursive: true, force: true });
});

test('the agent downloads serve the built artifacts by their fixed names', async () => {
  const script = await app.inject({ method: 'GET', url: '/capstan/agent/v1/install.sh' });
  assert.equal(script.statusCode, 200);
  assert.equal(script.body, '#!/bin/sh\necho install\n');
  assert.match(String(script.headers['content-type']), /^text\/x-shellscript/);

  const bundle = await app.inject({ method: 'GET', url: '/capstan/agent/v1/download/capstan-agent.mjs' });
  assert.equal(bundle.statusCode, 200);
  assert.equal(bundle.body, 'console.log("agent")\n');
  assert.match(String(bundle.headers['content-type']), /^text\/javascript/);

  const binary = await app.inject({ method: 'GET', url: '/capstan/agent/v1/download/capstan-agent-linux-x64' });
  assert.equal(binary.statusCode, 200);
  assert.deepEqual(binary.rawPayload, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]));
  assert.equal(binary.headers['content-type'], 'application/octet-stream');
  assert.equal(binary.headers['content-length'], '7');

  const head = await app.inject({ method: 'HEAD', url: '/capstan/agent/v1/download/capstan-agent-linux-x64' });
  assert.equal(head.statusCode, 200);
  assert.equal(head.headers['content-length'], '7');
  assert.equal(head.body, '');
});

test('anything else is a 404, also a known name that is not built and paths that climb out', async () => {
  const paths = [
    '/capstan/agent/v1/download/SHA256SUMS', // a known name, not built here
    '/capstan/agent/v1/download/capstan-agent-linux-arm64', // a directory, not a file
    '/capstan/agent/v1/download/other',
    '/capstan/agent/v1/download/install.sh',
    '/capstan/agent/v1/download/install-agent.sh',
    '/capstan/agent/v1/download/..%2Fsecret',
    '/capstan/agent/v1/download/%2e%2e%2fsecret',
    '/capstan/agent/v1/download/../secret',
    '/capstan/agent/v1/download/../../dist/secret',
    '/capstan/agent/v1/download/',
    '/capstan/agent/v1/download/__proto__',
    '/capstan/agent/v1/install-agent.sh',
  ];
  for (const url of paths) {
    const res = await app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 404, url);
    assert.ok(res.body !== 'secret' && res.body !== 'other', url);
  }
  const missing = await app.inject({ method: 'GET', url: '/capstan/agent/v1/download/SHA256SUMS' });
  assert.match(JSON.parse(missing.body).error, /not built on this server: run `npm run build:agent`/);
});
