/**
 * End to end: a real server (startTestServer), a real `capstan agent run` process, and the CLI's
 * session client (StartSession, the stream socket, the terminal and port forwarding).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { CreateActivationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { startTestServer, type TestServer } from '../../../server/src/test-support/server.js';
import { listenForward } from '../../../cli/src/session/port-forward.js';
import { startSession } from '../../../cli/src/session/start.js';
import { runTerminal } from '../../../cli/src/session/terminal.js';
import { loadIdentity } from '../state.js';

const root = new URL('../../../../', import.meta.url).pathname;
const cli = ['--conditions=capstan-src', '--import', 'tsx', 'packages/cli/src/main.ts'];
const capstan = (...args: string[]) => promisify(execFile)(process.execPath, [...cli, ...args], { cwd: root });

let t: TestServer;
let ssm: SSMClient;
let agent: ChildProcess;
let agentOutput = '';
let instanceId = '';
const work = mkdtempSync(join(tmpdir(), 'capstan-session-e2e-'));

async function until<T>(what: string, probe: () => T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}\nagent:\n${agentOutput}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

before(async () => {
  t = await startTestServer({});
  ssm = new SSMClient(t.clientConfig());
  const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole' }));
  const stateDir = join(work, 'node');
  await capstan('agent', 'register', '--endpoint', t.endpoint, '--activation-id', ActivationId!, '--activation-code', ActivationCode!, '--state-dir', stateDir);
  instanceId = loadIdentity(stateDir).identity.instanceId;
  agent = spawn(process.execPath, [...cli, 'agent', 'run', '--state-dir', stateDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  agent.stdout!.on('data', (d: Buffer) => (agentOutput += d.toString()));
  agent.stderr!.on('data', (d: Buffer) => (agentOutput += d.toString()));
  await until('the agent online', () => agentOutput.includes('online as') || undefined);
});

after(async () => {
  agent?.kill('SIGKILL');
  await t?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('a shell through the real server and agent', async () => {
  const s = await startSession(ssm, { target: instanceId, reason: 'e2e' });
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  let size = { cols: 80, rows: 24 };
  let resized: () => void = () => undefined;
  const ended = runTerminal(s.channel, { stdin, stdout, stderr: new PassThrough(), size: () => size, onResize: (fn) => ((resized = fn), () => undefined) });
  await s.channel.ready;
  stdin.write('echo $((6*7))\r');
  await until('42', () => /42\r?$/m.test(out) || undefined);
  size = { cols: 101, rows: 33 };
  resized();
  stdin.write('stty size\r');
  await until('the new size', () => /^33 101\r?$/m.test(out) || undefined);
  stdin.write('exit\r');
  const end = await ended;
  assert.ok(end.reason, 'the session ended');
});

test('port forwarding through the real server: 20 concurrent connections, byte-exact', async () => {
  const echo: Server = createServer({ allowHalfOpen: true }, (c) => c.pipe(c));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  const port = (echo.address() as AddressInfo).port;
  const s = await startSession(ssm, { target: instanceId, documentName: 'AWS-StartPortForwardingSession', parameters: { portNumber: [String(port)], localPortNumber: ['0'] } });
  await s.channel.ready;
  const fwd = await listenForward(s.channel, { localPort: 0 });
  try {
    const ok = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const data = randomBytes(50_000 + i * 3_001);
        const sock = connect(fwd.port, '127.0.0.1');
        const chunks: Buffer[] = [];
        sock.on('data', (d: Buffer) => chunks.push(d));
        await new Promise<void>((r) => sock.once('connect', r));
        sock.end(data);
        await new Promise<void>((resolve, reject) => (sock.once('close', () => resolve()), sock.once('error', reject)));
        return Buffer.concat(chunks).equals(data);
      }),
    );
    assert.deepEqual(ok, Array(20).fill(true), agentOutput);
  } finally {
    fwd.close();
    s.channel.close();
    await s.terminate();
    echo.close();
  }
});
