/**
 * The agent's session plugins end to end against a fake server (control channel in, session
 * socket out, a relay to the client's stream socket), with the real agent loop (runAgent) and
 * the CLI's client code on the other side.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runAgent } from '../run.js';
import { saveIdentity } from '../state.js';
import { nodeClientChannel, type ClientChannel } from '../../../cli/src/session/channel.js';
import { listenForward } from '../../../cli/src/session/port-forward.js';
import { runTerminal } from '../../../cli/src/session/terminal.js';
import { isDeniedAddress } from './port.js';
import { FakeSessionServer } from './test-support/fake-server.js';

const instanceId = 'mi-0123456789abcdef0';
const { privateKey } = generateKeyPairSync('ed25519');
const stateDir = mkdtempSync(join(tmpdir(), 'capstan-session-'));
let server: FakeSessionServer;
const stop = new AbortController();
let agentDone: Promise<void>;
const agentLog: string[] = [];
let n = 0;

before(async () => {
  server = FakeSessionServer.forKey(instanceId, privateKey);
  await server.start();
  saveIdentity(stateDir, { instanceId, accountId: '123456789012', region: 'us-east-1', endpoint: server.endpoint }, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  agentDone = runAgent({ stateDir, signal: stop.signal, log: (l) => agentLog.push(l) });
});

after(async () => {
  stop.abort();
  await agentDone;
  await server.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}\nagent log:\n${agentLog.join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Term {
  channel: ClientChannel;
  sessionId: string;
  stdin: PassThrough;
  out: () => string;
  err: () => string;
  resize: (cols: number, rows: number) => void;
  ended: ReturnType<typeof runTerminal>;
  /** waits until the output since `from` matches */
  expect: (re: RegExp, from?: number) => Promise<RegExpExecArray>;
}

async function open(message: Record<string, unknown>): Promise<Term> {
  const sessionId = `s-${++n}-${randomBytes(4).toString('hex')}`;
  const { streamUrl, token } = await server.startSession({ sessionId, ...message });
  const channel = nodeClientChannel({ sessionId, streamUrl, tokenValue: token, resume: async () => server.resume(sessionId) });
  await channel.connect();
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  let size = { cols: 80, rows: 24 };
  let onResize: () => void = () => undefined;
  const ended = runTerminal(channel, {
    stdin,
    stdout,
    stderr,
    size: () => size,
    onResize: (fn) => ((onResize = fn), () => undefined),
  });
  return {
    channel,
    sessionId,
    stdin,
    out: () => out,
    err: () => err,
    resize: (cols, rows) => ((size = { cols, rows }), onResize()),
    ended,
    expect: async (re, from = 0) => {
      try {
        return await until(`${re}`, () => re.exec(out.slice(from)) ?? undefined);
      } catch (e) {
        (e as Error).message += `\noutput:\n${out}`;
        throw e;
      }
    },
  };
}

test('a shell: output, resize, Ctrl-C, exit', async () => {
  const t = await open({ sessionType: 'Standard_Stream', documentName: 'SSM-SessionManagerRunShell', properties: {}, shellProfile: { linux: 'export CAPSTAN_PROFILE=yes' } });
  assert.equal((await server.ack(t.sessionId))['status'], 'accepted');
  await t.channel.ready;
  t.stdin.write('echo $((6*7)) $CAPSTAN_PROFILE $TERM\r');
  await t.expect(/42 yes xterm-256color\r?$/m);

  t.resize(132, 50);
  let mark = t.out().length;
  t.stdin.write('stty size\r');
  await t.expect(/^50 132\r?$/m, mark);

  mark = t.out().length;
  t.stdin.write('sleep 30; echo slept\r');
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  t.stdin.write('\x03');
  t.stdin.write('echo after-$((1+1))\r');
  await t.expect(/after-2\r?$/m, mark);
  assert.ok(Date.now() - t0 < 5_000, 'Ctrl-C interrupted sleep');
  assert.doesNotMatch(t.out().slice(mark), /^slept/m);

  // bytes pass through untouched, multi-byte UTF-8 included
  mark = t.out().length;
  t.stdin.write("printf 'h\\303\\251llo \\342\\202\\254\\n'\r");
  await t.expect(/héllo €\r?$/m, mark);

  t.stdin.write('exit\r');
  const end = await t.ended;
  assert.match(end.reason, /ended on the node/);
  assert.deepEqual(server.sessions.get(t.sessionId)!.states, ['Connected', 'Terminating']);
  assert.equal(t.channel.stream.mode, 'fast', 'the Capstan client negotiated the fast transport');
});

test('the client socket drops and the session resumes', async () => {
  const t = await open({ sessionType: 'Standard_Stream', properties: {} });
  await t.channel.ready;
  t.stdin.write('echo one-$((0+1))\r');
  await t.expect(/one-1\r?$/m);
  server.dropClient(t.sessionId);
  const mark = t.out().length;
  t.stdin.write('echo two-$((1+1))\r');
  await t.expect(/two-2\r?$/m, mark);
  t.stdin.write('exit\r');
  await t.ended;
});

test('session-end from the server kills the shell', async () => {
  const t = await open({ sessionType: 'Standard_Stream', properties: {} });
  await t.channel.ready;
  t.stdin.write('echo pid=$$\r');
  const pid = Number((await t.expect(/pid=(\d+)\r?$/m))[1]);
  server.endSession(t.sessionId);
  await until('the shell to die', () => {
    try {
      process.kill(pid, 0);
      return undefined;
    } catch {
      return true;
    }
  });
  t.channel.close();
});

test('run-as: the shell runs as the user; root is refused', { skip: process.getuid?.() !== 0 ? 'needs root' : false }, async () => {
  const user = `capst${randomBytes(3).toString('hex')}`;
  execFileSync('useradd', ['-m', '-s', '/bin/sh', user]);
  try {
    const t = await open({ sessionType: 'Standard_Stream', properties: {}, runAsUser: user });
    assert.equal((await server.ack(t.sessionId))['status'], 'accepted');
    await t.channel.ready;
    t.stdin.write('echo "who=$(id -un) home=$HOME groups=$(id -G)"\r');
    const m = await t.expect(/who=(\S+) home=(\S+) groups=([\d ]+?)\r?$/m);
    assert.equal(m[1], user);
    assert.equal(m[2], `/home/${user}`);
    assert.ok(!m[3]!.split(' ').includes('0'), `root's groups were dropped (${m[3]})`);
    t.stdin.write('exit\r');
    await t.ended;

    const sessionId = `s-root-${randomBytes(3).toString('hex')}`;
    await server.startSession({ sessionId, sessionType: 'Standard_Stream', properties: {}, runAsUser: 'root' });
    const ack = await server.ack(sessionId);
    assert.equal(ack['status'], 'refused');
    assert.match(String(ack['message']), /root is not allowed/);
  } finally {
    await new Promise((r) => setTimeout(r, 200));
    try {
      execFileSync('userdel', ['-f', '-r', user], { stdio: 'ignore' });
    } catch {
      // a process of the user may still be exiting; -f removed what it could
    }
  }
});

test('NonInteractiveCommands: stdout, stderr and the exit code', async () => {
  const t = await open({ sessionType: 'NonInteractiveCommands', properties: { linux: { commands: 'echo out; echo err >&2; exit 3' } } });
  const end = await t.ended;
  assert.equal(t.out(), 'out\n');
  assert.equal(t.err(), 'err\n');
  assert.equal(end.exitCode, 3);
});

test('InteractiveCommands runs the command on a PTY', async () => {
  const t = await open({ sessionType: 'InteractiveCommands', properties: { linux: { commands: 'test -t 0 && echo tty-yes; read x; echo "got $x"' } } });
  await t.expect(/tty-yes/);
  t.stdin.write('abc\r');
  await t.expect(/got abc/);
  await t.ended;
});

test('port forwarding: 20 concurrent connections, byte-exact', async () => {
  const echo: Server = createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  const port = (echo.address() as AddressInfo).port;
  const sessionId = `s-port-${randomBytes(3).toString('hex')}`;
  const { streamUrl, token } = await server.startSession({ sessionId, sessionType: 'Port', properties: { portNumber: String(port), host: '127.0.0.1', type: 'LocalPortForwarding' } });
  const channel = nodeClientChannel({ sessionId, streamUrl, tokenValue: token });
  await channel.connect();
  await channel.ready;
  const fwd = await listenForward(channel, { localPort: 0 });
  try {
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const data = randomBytes(100_000 + i * 7_919);
        const sock = connect(fwd.port, '127.0.0.1');
        const chunks: Buffer[] = [];
        sock.on('data', (d: Buffer) => chunks.push(d));
        await new Promise<void>((r) => sock.once('connect', r));
        sock.end(data);
        await new Promise<void>((resolve, reject) => (sock.once('close', () => resolve()), sock.once('error', reject)));
        const got = Buffer.concat(chunks);
        if (!got.equals(data)) console.error(`conn ${i}: sent ${data.length} got ${got.length}`);
        return got.equals(data);
      }),
    );
    assert.deepEqual(results, Array(20).fill(true), agentLog.join("\n"));
  } finally {
    fwd.close();
    channel.close();
    echo.close();
  }
});

test('port forwarding refuses link-local and metadata addresses', async () => {
  assert.ok(isDeniedAddress('169.254.169.254'));
  assert.ok(isDeniedAddress('fd00:ec2::254'));
  assert.ok(isDeniedAddress('::ffff:169.254.169.254'));
  assert.ok(!isDeniedAddress('127.0.0.1'));
  const sessionId = `s-imds-${randomBytes(3).toString('hex')}`;
  await server.startSession({ sessionId, sessionType: 'Port', properties: { portNumber: '80', host: '169.254.169.254' } });
  // a literal address is refused before the session starts
  const ack = await server.ack(sessionId);
  assert.equal(ack['status'], 'refused');
  assert.match(String(ack['message']), /169\.254\.169\.254 is forbidden/);
});
