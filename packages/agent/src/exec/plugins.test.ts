import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { removeTempDirs, run, tempDir } from './test-support/harness.js';

const nested = {
  schemaVersion: '2.2',
  parameters: {
    commands: { type: 'StringList', default: ['echo default'] },
    greeting: { type: 'String', default: 'hello' },
    who: { type: 'String' },
  },
  mainSteps: [
    { action: 'aws:runShellScript', name: 'lines', inputs: { runCommand: '{{ commands }}' } },
    { action: 'aws:runShellScript', name: 'greet', inputs: { runCommand: ['echo "{{greeting}}, {{ who }}"', 'echo oops >&2'] } },
  ],
};

test('aws:runDocument runs a sent SSM document with parameters into its own streams', async () => {
  const r = await run(
    {
      schemaVersion: '2.2',
      mainSteps: [
        { action: 'aws:runShellScript', name: 'before', inputs: { runCommand: 'echo before' } },
        { action: 'aws:runDocument', name: 'nested', inputs: { documentType: 'SSMDocument', documentPath: 'Shared-Doc', documentParameters: '{"commands":["echo a","echo b"],"who":"world"}' } },
      ],
    },
    { payload: { documents: { 'Shared-Doc': { content: nested, format: 'JSON', text: JSON.stringify(nested) } } } },
  );
  assert.equal(r.outcome.status, 'Success', JSON.stringify(r.outcome.steps));
  const step = r.outcome.steps[1]!;
  assert.equal(step.action, 'aws:runDocument');
  assert.equal(step.stdout, 'a\nb\nhello, world\n');
  assert.equal(step.stderr, 'oops\n');
  assert.equal(r.output('nested'), 'a\nb\nhello, world\n');
  assert.match(step.details!, /lines: Success \(0\), greet: Success \(0\)/);
  assert.ok(existsSync(join(r.workDir, 'nested', 'nested', 'greet', '_script.sh')), JSON.stringify(readdirSync(join(r.workDir, 'nested'), { recursive: true })));

  const missing = await run({ schemaVersion: '2.2', mainSteps: [{ action: 'aws:runDocument', name: 'n', inputs: { documentType: 'SSMDocument', documentPath: 'Shared-Doc', documentParameters: {} } }] }, { payload: { documents: { 'Shared-Doc': { content: nested, format: 'JSON', text: '' } } } });
  assert.equal(missing.outcome.steps[0]!.status, 'Failed');
  assert.match(missing.outcome.steps[0]!.details!, /parameter who is required/);
});

test('aws:runDocument reads a LocalPath YAML document relative to downloads/, and fails as its steps do', async () => {
  const workDir = tempDir();
  mkdirSync(join(workDir, 'downloads', 'docs'), { recursive: true });
  writeFileSync(
    join(workDir, 'downloads', 'docs', 'inner.yaml'),
    ['schemaVersion: "2.2"', 'parameters:', '  code: {type: String, default: "0"}', 'mainSteps:', '  - action: aws:runShellScript', '    name: inner', '    inputs:', '      runCommand: ["echo from yaml", "exit {{ code }}"]', ''].join('\n'),
  );
  const doc = (code: string) => ({ schemaVersion: '2.2', mainSteps: [{ action: 'aws:runDocument', name: 'local', inputs: { documentType: 'LocalPath', documentPath: 'docs/inner.yaml', documentParameters: { code } } }] });
  const ok = await run(doc('0'), { workDir });
  assert.equal(ok.outcome.steps[0]!.status, 'Success');
  assert.equal(ok.outcome.steps[0]!.stdout, 'from yaml\n');
  const bad = await run(doc('7'), { workDir: (mkdirSync(join(workDir, 'again')), join(workDir, 'again')) });
  assert.equal(bad.outcome.steps[0]!.status, 'Failed');
  assert.match(bad.outcome.steps[0]!.details!, /cannot read/);
  const failing = await run(doc('7'), { workDir });
  assert.equal(failing.outcome.steps[0]!.status, 'Failed');
  assert.match(failing.outcome.steps[0]!.details!, /inner: Failed \(7\)/);
});

test('aws:runDocument: a nested reboot is Failed, and nesting stops at depth 3', async () => {
  const reboot = { schemaVersion: '2.2', mainSteps: [{ action: 'aws:runShellScript', name: 'r', inputs: { runCommand: 'exit 194' } }] };
  const loop = { schemaVersion: '2.2', mainSteps: [{ action: 'aws:runShellScript', name: 'tick', inputs: { runCommand: 'echo tick' } }, { action: 'aws:runDocument', name: 'again', inputs: { documentType: 'SSMDocument', documentPath: 'Loop' } }] };
  const documents = { Reboot: { content: reboot, format: 'JSON' as const, text: '' }, Loop: { content: loop, format: 'JSON' as const, text: '' } };
  const r = await run(
    {
      schemaVersion: '2.2',
      mainSteps: [
        { action: 'aws:runDocument', name: 'reboot', inputs: { documentType: 'SSMDocument', documentPath: 'Reboot' } },
        { action: 'aws:runDocument', name: 'loop', inputs: { documentType: 'SSMDocument', documentPath: 'Loop' } },
      ],
    },
    { payload: { documents } },
  );
  assert.equal(r.outcome.reboot, false);
  assert.equal(r.outcome.steps[0]!.status, 'Failed');
  assert.match(r.outcome.steps[0]!.details!, /r: Failed \(194\)/);
  assert.equal(r.outcome.steps[1]!.status, 'Failed');
  assert.equal(r.outcome.steps[1]!.stdout, 'tick\ntick\ntick\n');
});

let server: Server;
let base: string;
const body = 'downloaded content\n';
const sha = createHash('sha256').update(body).digest('hex');

before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/files/app.txt') return void res.end(body);
    res.statusCode = 404;
    res.end('no');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((resolve) => server.close(resolve));
  removeTempDirs();
});

const download = (name: string, sourceType: string, sourceInfo: unknown, extra: Record<string, unknown> = {}) => ({ action: 'aws:downloadContent', name, inputs: { sourceType, sourceInfo, ...extra } });

test('aws:downloadContent fetches over HTTP, verifies sha256, and scripts find the file by relative path', async () => {
  const r = await run({
    schemaVersion: '2.2',
    mainSteps: [
      download('get', 'HTTP', JSON.stringify({ url: `${base}/files/app.txt`, allowInsecureDownload: true, sha256: sha.toUpperCase() }), { destinationPath: 'pkg/' }),
      download('s3', 'S3', { path: `${base}/files/app.txt` }, { destinationPath: 'named.txt' }),
      { action: 'aws:runShellScript', name: 'use', inputs: { runCommand: 'cat app.txt', workingDirectory: 'pkg' } },
    ],
  });
  assert.equal(r.outcome.status, 'Success', JSON.stringify(r.outcome.steps));
  assert.equal(readFileSync(join(r.workDir, 'downloads', 'pkg', 'app.txt'), 'utf8'), body);
  assert.equal(readFileSync(join(r.workDir, 'downloads', 'named.txt'), 'utf8'), body);
  assert.equal(r.outcome.steps[2]!.stdout, body);
  assert.match(r.outcome.steps[0]!.stdout, /downloaded to .*pkg\/app\.txt/);
});

test('aws:downloadContent keeps nothing on a bad sha256, a 404, or plain http without allowInsecureDownload', async () => {
  const dest = tempDir();
  const r = await run({
    schemaVersion: '2.2',
    mainSteps: [
      download('badsum', 'HTTP', { url: `${base}/files/app.txt`, allowInsecureDownload: 'true', sha256: '0'.repeat(64) }, { destinationPath: dest }),
      download('missing', 'HTTP', { url: `${base}/files/nope.txt`, allowInsecureDownload: true }, { destinationPath: dest }),
      download('insecure', 'HTTP', { url: `${base}/files/app.txt` }, { destinationPath: dest }),
      download('git', 'Git', { repository: 'x' }),
    ],
  });
  assert.deepEqual(r.outcome.steps.map((s) => s.status), ['Failed', 'Failed', 'Failed', 'Failed']);
  assert.match(r.outcome.steps[0]!.details!, /sha256 mismatch/);
  assert.match(r.outcome.steps[1]!.details!, /404/);
  assert.match(r.outcome.steps[2]!.details!, /allowInsecureDownload/);
  assert.match(r.outcome.steps[3]!.details!, /not supported/);
  assert.deepEqual(readdirSync(dest), []);
});

test('aws:downloadContent saves a sent SSM document', async () => {
  const text = '{"schemaVersion":"2.2","mainSteps":[]}';
  const r = await run({ schemaVersion: '2.2', mainSteps: [download('doc', 'SSMDocument', { name: 'My-Doc:3' })] }, { payload: { documents: { 'My-Doc:3': { content: JSON.parse(text), format: 'JSON', text } } } });
  assert.equal(r.outcome.status, 'Success');
  assert.equal(readFileSync(join(r.workDir, 'downloads', 'My-Doc.json'), 'utf8'), text);
});
