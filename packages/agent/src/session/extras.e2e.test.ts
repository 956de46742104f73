/**
 * End to end through a real server and a real `capstan agent run` process, with the `capstan`
 * command as a user runs it: file copy (`capstan cp`), several ports in one port-forwarding
 * session, re-establishing after the node's agent restarts, and `session ssh-proxy`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, createReadStream, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateActivationCommand, CreateDocumentCommand, DeleteDocumentCommand, DescribeSessionsCommand, SSMClient, StartSessionCommand } from '@aws-sdk/client-ssm';
import { startTestServer, type TestServer } from '../../../server/src/test-support/server.js';
import { until } from '../../../server/src/test-support/until.js';
import { PortMux } from '../../../cli/src/session/port-forward.js';
import { startSession } from '../../../cli/src/session/start.js';
import { loadIdentity } from '../state.js';

const root = new URL('../../../../', import.meta.url).pathname;
const cliArgs = ['--conditions=capstan-src', '--import', 'tsx', 'packages/cli/src/main.ts'];

let t: TestServer;
let ssm: SSMClient;
let agent: ChildProcess | undefined;
let agentOutput = '';
let instanceId = '';
let stateDir = '';
const work = mkdtempSync(join(tmpdir(), 'capstan-extras-e2e-'));
const isRoot = process.getuid?.() === 0;

function env(): NodeJS.ProcessEnv {
  return { ...process.env, AWS_ACCESS_KEY_ID: t.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: t.credentials.secretAccessKey, AWS_REGION: 'us-east-1', CAPSTAN_ENDPOINT: t.endpoint };
}

/** `capstan ARGS` as a user runs it: its exit code and what it printed. */
function capstan(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...cliArgs, ...args], { cwd: root, env: env(), maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function startAgent(): void {
  const proc = spawn(process.execPath, [...cliArgs, 'agent', 'run', '--state-dir', stateDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d: Buffer) => (agentOutput += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (agentOutput += d.toString()));
  agent = proc;
}

const onlineCount = () => agentOutput.split('online as ').length - 1;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const detail = () => `agent:\n${agentOutput.slice(-4000)}`;

before(async () => {
  t = await startTestServer({});
  ssm = new SSMClient(t.clientConfig());
  const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole' }));
  stateDir = join(work, 'node');
  // not execFileSync: the server runs in this process
  await promisify(execFile)(process.execPath, [...cliArgs, 'agent', 'register', '--endpoint', t.endpoint, '--activation-id', ActivationId!, '--activation-code', ActivationCode!, '--state-dir', stateDir], { cwd: root });
  instanceId = loadIdentity(stateDir).identity.instanceId;
  startAgent();
  await until('the agent online', () => onlineCount() >= 1, { detail });
});

after(async () => {
  agent?.kill('SIGKILL');
  await t?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('capstan cp: 5 MB both ways, byte-exact, mode kept, written atomically', async () => {
  const dir = join(work, 'cp');
  mkdirSync(join(dir, 'back'), { recursive: true });
  const data = randomBytes(5 * 1024 * 1024);
  const src = join(dir, 'random.bin');
  writeFileSync(src, data);
  chmodSync(src, 0o640);
  const remoteDir = join(dir, 'on-node');
  mkdirSync(remoteDir);

  const put = await capstan('cp', src, `${instanceId}:${remoteDir}/copy.bin`);
  assert.equal(put.code, 0, `${put.stderr}\n${detail()}`);
  assert.equal(sha256(readFileSync(join(remoteDir, 'copy.bin'))), sha256(data));
  assert.equal(statSync(join(remoteDir, 'copy.bin')).mode & 0o7777, 0o640);
  assert.deepEqual(readdirSync(remoteDir), ['copy.bin'], 'no temporary file is left beside it');
  // a directory on the node takes the source's name
  const intoDir = await capstan('cp', src, `${instanceId}:${remoteDir}`);
  assert.equal(intoDir.code, 0, intoDir.stderr);
  assert.equal(sha256(readFileSync(join(remoteDir, 'random.bin'))), sha256(data));
  rmSync(join(remoteDir, 'random.bin'));

  // a directory as the destination takes the source's name
  const get = await capstan('cp', `${instanceId}:${remoteDir}/copy.bin`, join(dir, 'back'));
  assert.equal(get.code, 0, `${get.stderr}\n${detail()}`);
  const back = join(dir, 'back', 'copy.bin');
  assert.equal(sha256(readFileSync(back)), sha256(data));
  assert.equal(statSync(back).mode & 0o7777, 0o640);
  assert.deepEqual(readdirSync(join(dir, 'back')), ['copy.bin']);
});

test('capstan cp: a missing source, a directory, and a missing local file fail with the reason', async () => {
  const dir = join(work, 'cp-errors');
  mkdirSync(dir, { recursive: true });
  const missing = await capstan('cp', `${instanceId}:${dir}/no-such-file`, dir);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /no-such-file: no such file or directory/);
  assert.deepEqual(readdirSync(dir), [], 'nothing written locally');

  const directory = await capstan('cp', `${instanceId}:${work}`, dir);
  assert.notEqual(directory.code, 0);
  assert.match(directory.stderr, /is a directory: only files can be copied/);

  const local = await capstan('cp', join(dir, 'absent'), `${instanceId}:${dir}/x`);
  assert.notEqual(local.code, 0);
  assert.match(local.stderr, /absent: no such file or directory/);
  assert.ok(!existsSync(join(dir, 'x')));
});

test('capstan cp as a run-as user: what the user cannot read or write is refused', { skip: isRoot ? false : 'needs root (run-as)' }, async () => {
  const user = `capcp${randomBytes(3).toString('hex')}`;
  execFileSync('useradd', ['-m', '-s', '/bin/sh', user]);
  const dir = mkdtempSync(join(tmpdir(), 'capstan-cp-runas-'));
  chmodSync(dir, 0o755);
  const secret = join(dir, 'secret');
  writeFileSync(secret, 'root only\n', { mode: 0o600 });
  const open = join(dir, 'open');
  writeFileSync(open, 'anyone\n', { mode: 0o644 });
  const prefs = { schemaVersion: '1.0', description: 'run-as', sessionType: 'Standard_Stream', inputs: { runAsEnabled: true, runAsDefaultUser: user } };
  await ssm.send(new CreateDocumentCommand({ Name: 'SSM-SessionManagerRunShell', Content: JSON.stringify(prefs), DocumentType: 'Session' }));
  const local = join(work, 'runas-local');
  mkdirSync(local, { recursive: true });
  try {
    const denied = await capstan('cp', `${instanceId}:${secret}`, local);
    assert.notEqual(denied.code, 0, denied.stderr);
    assert.match(denied.stderr, new RegExp(`secret: permission denied \\(as ${user}\\)`));
    assert.ok(!existsSync(join(local, 'secret')));

    const readable = await capstan('cp', `${instanceId}:${open}`, local);
    assert.equal(readable.code, 0, `${readable.stderr}\n${detail()}`);
    assert.equal(readFileSync(join(local, 'open'), 'utf8'), 'anyone\n');

    // the directory belongs to root: the user may not create files in it
    const upload = join(work, 'upload.txt');
    writeFileSync(upload, 'hello\n');
    const refused = await capstan('cp', upload, `${instanceId}:${dir}/upload.txt`);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /permission denied/);
    assert.ok(!existsSync(join(dir, 'upload.txt')));

    // in the user's home it works, and the file is the user's
    const home = `/home/${user}`;
    const ok = await capstan('cp', upload, `${instanceId}:upload.txt`);
    assert.equal(ok.code, 0, `${ok.stderr}\n${detail()}`);
    const st = statSync(join(home, 'upload.txt'));
    assert.equal(st.uid, Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim()));
  } finally {
    await ssm.send(new DeleteDocumentCommand({ Name: 'SSM-SessionManagerRunShell' }));
    rmSync(dir, { recursive: true, force: true });
    try {
      execFileSync('userdel', ['-f', '-r', user], { stdio: 'ignore' });
    } catch {
      // -f removed what it could
    }
  }
});

/** A TCP server on the node's side that says its name, then echoes. */
async function namedEcho(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, (c) => {
    c.write(`${name}\n`);
    c.pipe(c);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

/** Sends `data` through 127.0.0.1:port, half-closes, and resolves with everything that came back. */
async function roundTrip(port: number, data: Buffer): Promise<Buffer> {
  const sock = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  sock.on('data', (d: Buffer) => chunks.push(d));
  await new Promise<void>((resolve, reject) => (sock.once('connect', resolve), sock.once('error', reject)));
  sock.end(data);
  await new Promise<void>((resolve, reject) => (sock.once('close', () => resolve()), sock.once('error', reject)));
  return Buffer.concat(chunks);
}

/** A long-running `capstan …` whose stderr is watched. */
function capstanProcess(...args: string[]): { proc: ChildProcess; err: () => string; stdout: Buffer[] } {
  const proc = spawn(process.execPath, [...cliArgs, ...args], { cwd: root, env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  const stdout: Buffer[] = [];
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  proc.stdout!.on('data', (d: Buffer) => stdout.push(d));
  return { proc, err: () => err, stdout };
}

const listening = (err: () => string, n: number) => until(`${n} forwards listening`, () => {
  const ports = [...err().matchAll(/Forwarding 127\.0\.0\.1:(\d+) to /g)].map((m) => Number(m[1]));
  return ports.length >= n ? ports : undefined;
}, { detail: () => `cli:\n${err()}\n${detail()}` });

test('port-forward with several --forward: one session, each connection to its own destination, byte-exact', async () => {
  const a = await namedEcho('A');
  const b = await namedEcho('B');
  const cli = capstanProcess('session', 'port-forward', '--target', instanceId, '--forward', `0:${a.port}`, '--forward', `0:127.0.0.1:${b.port}`);
  try {
    const [la, lb] = await listening(cli.err, 2);
    const results = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const data = randomBytes(300_000 + i * 7_001);
        const [name, port] = i % 2 ? ['B', lb!] : ['A', la!];
        const got = await roundTrip(port, data);
        return got.equals(Buffer.concat([Buffer.from(`${name}\n`), data]));
      }),
    );
    assert.deepEqual(results, Array(6).fill(true), `${cli.err()}\n${detail()}`);
    assert.equal(cli.err().match(/session ([\w.@-]+-[0-9a-f]+)\); Ctrl-C/g)?.length, 1, 'one session carries both');
  } finally {
    cli.proc.kill('SIGINT');
    await new Promise((r) => cli.proc.once('exit', r));
    a.server.close();
    b.server.close();
  }
});

test('a multi-destination session refuses a stream to a destination it does not list', async () => {
  const a = await namedEcho('A');
  const other = await namedEcho('X');
  const s = await startSession(ssm, { target: instanceId, documentName: 'Capstan-StartMultiPortForwardingSession', parameters: { destinations: [String(a.port), `127.0.0.1:${a.port}`] } });
  try {
    await s.channel.ready;
    const pm = new PortMux(s.channel);
    const reason = await new Promise<string>((resolve) => {
      const stream = pm.mux.open({ host: '127.0.0.1', port: other.port });
      stream.onReset = resolve;
      stream.onData = () => resolve('data came back');
    });
    assert.match(reason, /forwards to localhost:\d+, 127\.0\.0\.1:\d+ only/);
  } finally {
    s.channel.close();
    await s.terminate();
    a.server.close();
    other.server.close();
  }
  // a literal link-local destination ends the session before it starts
  const imds = await ssm.send(new StartSessionCommand({ Target: instanceId, DocumentName: 'Capstan-StartMultiPortForwardingSession', Parameters: { destinations: ['5432', '169.254.169.254:80'] } }));
  const ended = await until('the refused session in the history', async () => {
    const h = await ssm.send(new DescribeSessionsCommand({ State: 'History', Filters: [{ key: 'SessionId', value: imds.SessionId! }] }));
    return h.Sessions?.[0];
  }, { detail });
  assert.equal(ended.Status, 'Failed');
  assert.match(ended.Details ?? '', /169\.254\.169\.254 is forbidden/);
});

test('session ssh-proxy carries stdin and stdout to a port on the node, byte-exact', async () => {
  const a = await namedEcho('P');
  const cli = capstanProcess('session', 'ssh-proxy', instanceId, String(a.port));
  const data = randomBytes(1024 * 1024);
  cli.proc.stdin!.end(data);
  const code = await new Promise<number | null>((r) => cli.proc.once('exit', r));
  a.server.close();
  assert.equal(code, 0, cli.err());
  assert.ok(Buffer.concat(cli.stdout).equals(Buffer.concat([Buffer.from('P\n'), data])), `${Buffer.concat(cli.stdout).length} bytes came back\n${cli.err()}`);
});

test('port-forward re-establishes after the node\'s agent restarts; the local listener stays up', async () => {
  const a = await namedEcho('R');
  const cli = capstanProcess('session', 'port-forward', '--target', instanceId, '--forward', `0:${a.port}`);
  try {
    const [local] = await listening(cli.err, 1);
    const one = randomBytes(100_000);
    assert.ok((await roundTrip(local!, one)).equals(Buffer.concat([Buffer.from('R\n'), one])));
    const before = onlineCount();
    agent!.kill('SIGKILL');
    await new Promise((r) => agent!.once('exit', r));
    startAgent();
    await until('the agent online again', () => onlineCount() > before, { detail });
    await until('forwarding again', () => /forwarding again, in session/.test(cli.err()) || undefined, { ms: 60_000, detail: () => `cli:\n${cli.err()}\n${detail()}` });
    const two = randomBytes(200_000);
    assert.ok((await roundTrip(local!, two)).equals(Buffer.concat([Buffer.from('R\n'), two])), cli.err());
    assert.match(cli.err(), /the node's agent restarted/);
  } finally {
    cli.proc.kill('SIGINT');
    await new Promise((r) => cli.proc.once('exit', r));
    a.server.close();
  }
});

test('a shell says the node restarted its agent, and exits, instead of waiting out the resume window', async () => {
  const cli = capstanProcess('session', 'start', '--target', instanceId);
  try {
    cli.proc.stdin!.write('echo ready-$((40+2))\n');
    const out = () => Buffer.concat(cli.stdout).toString();
    await until('the shell answers', () => out().includes('ready-42') || undefined, { detail: () => `cli:\n${cli.err()}\n${detail()}` });
    const before = onlineCount();
    agent!.kill('SIGKILL');
    await new Promise((r) => agent!.once('exit', r));
    startAgent();
    await until('the agent online again', () => onlineCount() > before, { detail });
    const code = await new Promise<number | null>((r) => cli.proc.once('exit', r));
    assert.equal(code, 1);
    assert.match(cli.err(), /restarted its agent: session \S+ and its shell ended with it/);
  } finally {
    if (cli.proc.exitCode === null) cli.proc.kill('SIGKILL');
  }
});

test('capstan cp copies again in a new session when the node\'s agent restarts mid-copy', async () => {
  const dir = join(work, 'cp-restart');
  mkdirSync(join(dir, 'local'), { recursive: true });
  // sparse on the node: long enough to restart the agent mid-copy, cheap to make
  const big = join(dir, 'big.bin');
  const fd = openSync(big, 'w');
  ftruncateSync(fd, 400 * 1024 * 1024);
  closeSync(fd);
  const cli = capstanProcess('cp', `${instanceId}:${big}`, join(dir, 'local'));
  try {
    await until('the copy under way', () => readdirSync(join(dir, 'local')).some((n) => n.startsWith('.big.bin.capstan-')) || undefined, { every: 20, detail: () => `cli:\n${cli.err()}` });
    const before = onlineCount();
    agent!.kill('SIGKILL');
    await new Promise((r) => agent!.once('exit', r));
    startAgent();
    await until('the agent online again', () => onlineCount() > before, { detail });
    const code = await new Promise<number | null>((r) => cli.proc.once('exit', r));
    assert.equal(code, 0, `${cli.err()}\n${detail()}`);
    assert.match(cli.err(), /copying again in a new session/);
    assert.equal(statSync(join(dir, 'local', 'big.bin')).size, 400 * 1024 * 1024);
    const zeros = createHash('sha256');
    for (let i = 0; i < 400; i++) zeros.update(Buffer.alloc(1024 * 1024));
    const got = createHash('sha256');
    for await (const chunk of createReadStream(join(dir, 'local', 'big.bin'))) got.update(chunk as Buffer);
    assert.equal(got.digest('hex'), zeros.digest('hex'));
    assert.deepEqual(readdirSync(join(dir, 'local')), ['big.bin'], 'the first attempt left nothing behind');
  } finally {
    if (cli.proc.exitCode === null) cli.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
