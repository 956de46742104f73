/**
 * End to end, KMS-encrypted sessions: a real server, a real `capstan agent run` process and the
 * CLI's session client, with the session preferences naming a KMS key. What the server relays is
 * captured at the relay and must hold none of what was typed or printed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CreateKeyCommand, DisableKeyCommand, EnableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateActivationCommand, CreateDocumentCommand, DeleteDocumentCommand, DescribeSessionsCommand, SSMClient, StartSessionCommand } from '@aws-sdk/client-ssm';
import { ENCRYPTED_SESSION_MESSAGE, MessageType, PayloadType, decodeAgentMessage, encodeAgentMessage } from '@capstan/wire/session';
import { sessionService } from '../../../server/src/sessions/index.js';
import { relayObservers } from '../../../server/src/sessions/relay.js';
import { startTestServer, type TestServer } from '../../../server/src/test-support/server.js';
import { wsOpener } from '../../../cli/src/session/channel.js';
import { listenForward } from '../../../cli/src/session/port-forward.js';
import { startSession } from '../../../cli/src/session/start.js';
import { runTerminal } from '../../../cli/src/session/terminal.js';
import { jsonHeaders, rawCall } from '../../../server/src/test-support/sign.js';
import { loadIdentity } from '../state.js';

const root = new URL('../../../../', import.meta.url).pathname;
const cli = ['--conditions=capstan-src', '--import', 'tsx', 'packages/cli/src/main.ts'];
const capstan = (...args: string[]) => promisify(execFile)(process.execPath, [...cli, ...args], { cwd: root });

let t: TestServer;
let ssm: SSMClient;
let kms: KMSClient;
let agent: ChildProcess;
let agentOutput = '';
let instanceId = '';
let keyArn = '';
const work = mkdtempSync(join(tmpdir(), 'capstan-kms-e2e-'));
/** Every frame the server's relays received, per session. */
const relayed = new Map<string, Buffer[]>();
const observe = (sessionId: string, _from: string, frame: Buffer) => {
  const list = relayed.get(sessionId) ?? [];
  list.push(Buffer.from(frame));
  relayed.set(sessionId, list);
};
const crossed = (sessionId: string) => Buffer.concat(relayed.get(sessionId) ?? []).toString('latin1');

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}\nagent:\n${agentOutput}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function transcript(sessionId: string) {
  const res = await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, headers: jsonHeaders('AmazonSSM.CapstanGetSessionTranscript'), body: JSON.stringify({ SessionId: sessionId }) });
  assert.equal(res.status, 200, res.text);
  return JSON.parse(res.text) as { Events: { Stream: string; Data: string }[] };
}

const preferences = (kmsKeyId: string) =>
  new CreateDocumentCommand({ Name: 'SSM-SessionManagerRunShell', DocumentType: 'Session', Content: JSON.stringify({ schemaVersion: '1.0', description: 'prefs', sessionType: 'Standard_Stream', inputs: { kmsKeyId } }) });

/** A shell session through the CLI's client: types a line, waits for what it prints. */
async function shell(line: string, expect: RegExp, client = ssm) {
  const s = await startSession(client, { target: instanceId, reason: 'kms e2e' });
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  const ended = runTerminal(s.channel, { stdin, stdout, stderr: new PassThrough(), size: () => ({ cols: 80, rows: 24 }), onResize: () => () => undefined });
  await s.channel.ready;
  stdin.write(`${line}\r`);
  await until(`${expect} in the output`, () => expect.test(out) || undefined);
  stdin.write('exit\r');
  await ended;
  return { sessionId: s.sessionId, customerMessage: s.channel.customerMessage };
}

before(async () => {
  relayObservers.add(observe);
  t = await startTestServer({});
  ssm = new SSMClient(t.clientConfig());
  kms = new KMSClient(t.clientConfig());
  keyArn = (await kms.send(new CreateKeyCommand({ Description: 'sessions' }))).KeyMetadata!.Arn!;
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
  relayObservers.delete(observe);
  agent?.kill('SIGKILL');
  await t?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('without a kmsKeyId the relay carries the session in clear (and records it)', async () => {
  const { sessionId, customerMessage } = await shell('echo capstan-plain-$((6*7))-marker', /capstan-plain-42-marker/);
  assert.equal(customerMessage, '');
  const seen = crossed(sessionId);
  assert.ok(seen.includes('capstan-plain-$((6*7))-marker'), 'the typed line crossed the relay in clear');
  assert.ok(seen.includes('capstan-plain-42-marker'), 'the printed line crossed the relay in clear');
  const recorded = (await transcript(sessionId)).Events.filter((e) => e.Stream === 'output').map((e) => Buffer.from(e.Data, 'base64').toString()).join('');
  assert.match(recorded, /capstan-plain-42-marker/);
});

test('with a kmsKeyId: the shell works, and neither the relay nor the transcript holds what was typed or printed', async () => {
  await ssm.send(preferences(keyArn));
  try {
    const { sessionId, customerMessage } = await shell('echo capstan-secret-$((6*7))-marker', /capstan-secret-42-marker/);
    assert.equal(customerMessage, ENCRYPTED_SESSION_MESSAGE);
    const frames = relayed.get(sessionId) ?? [];
    const seen = crossed(sessionId);
    assert.ok(frames.length > 4, 'frames crossed the relay');
    for (const secret of ['capstan-secret', '42-marker', '$((6*7))']) assert.ok(!seen.includes(secret), `${secret} crossed the relay in clear`);
    // the handshake says which key, and the sealed frames are there
    assert.ok(seen.includes(keyArn), 'the HandshakeRequest names the key');
    const types = new Set(frames.map((f) => decodeAgentMessage(f, { verifyDigest: false }).payloadType));
    for (const p of [5, 6, 7, 8, 9]) assert.ok(types.has(p), `payload type ${p} (handshake, challenge) crossed`);
    // the server never had the plaintext, so its transcript of the session is empty
    assert.deepEqual((await transcript(sessionId)).Events, []);
  } finally {
    await ssm.send(new DeleteDocumentCommand({ Name: 'SSM-SessionManagerRunShell' }));
  }
});

test('input forged at the relay is not run: the agent ends the encrypted session instead', async () => {
  await ssm.send(preferences(keyArn));
  try {
    const s = await startSession(ssm, { target: instanceId });
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    const ended = runTerminal(s.channel, { stdin, stdout, stderr: new PassThrough(), size: () => ({ cols: 80, rows: 24 }), onResize: () => () => undefined });
    await s.channel.ready;
    stdin.write('echo ready-$((1+1))\r');
    await until('the shell answers', () => /ready-2/.test(out) || undefined);
    await new Promise((r) => setTimeout(r, 300));
    // the next input frame the agent expects, in clear, sent to it by the relay itself
    const input = (relayed.get(s.sessionId) ?? []).map((f) => decodeAgentMessage(f, { verifyDigest: false })).filter((m) => m.messageType === MessageType.InputStreamData);
    const next = Math.max(...input.map((m) => m.sequenceNumber)) + 1;
    const pwned = join(work, 'pwned');
    const relay = sessionService(t.server.core).relays.get(s.sessionId)!;
    relay.sockets.agent!.send(encodeAgentMessage({ messageType: MessageType.InputStreamData, createdDate: Date.now(), sequenceNumber: next, payloadType: PayloadType.Output, payload: Buffer.from(`touch ${pwned}\r`) }));
    const end = await ended;
    assert.match(end.reason, /ended on the node/);
    assert.match(agentOutput, /input that does not decrypt/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(existsSync(pwned), false, 'the forged command ran');
    await until('the session is over', async () => (await ssm.send(new DescribeSessionsCommand({ State: 'History', Filters: [{ key: 'SessionId', value: s.sessionId }] }))).Sessions?.[0]);
  } finally {
    await ssm.send(new DeleteDocumentCommand({ Name: 'SSM-SessionManagerRunShell' }));
  }
});

test('NonInteractiveCommands over an encrypted session: stdout, stderr and the exit code arrive, none of them in clear at the relay', async () => {
  await ssm.send(preferences(keyArn));
  try {
    const s = await startSession(ssm, { target: instanceId, documentName: 'AWS-StartNonInteractiveCommand', parameters: { command: ['echo out-$((2*21))-marker; echo err-$((3*11))-marker >&2; exit 3'] } });
    let out = '';
    let err = '';
    s.channel.onData = (type, payload) => {
      if (type === 1) out += payload.toString();
      else if (type === 11) err += payload.toString();
    };
    await s.channel.ready;
    const end = await s.channel.ended$;
    assert.equal(out, 'out-42-marker\n');
    assert.equal(err, 'err-33-marker\n');
    assert.equal(end.exitCode, 3);
    const seen = crossed(s.sessionId);
    for (const secret of ['out-42', 'err-33', 'EXIT_CODE']) assert.ok(!seen.includes(secret), `${secret} crossed the relay in clear`);
  } finally {
    await ssm.send(new DeleteDocumentCommand({ Name: 'SSM-SessionManagerRunShell' }));
  }
});

test('port forwarding over an encrypted session: 20 connections, byte-exact, nothing in clear at the relay', async () => {
  await ssm.send(preferences(keyArn));
  const echo: Server = createServer({ allowHalfOpen: true }, (c) => c.pipe(c));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  const port = (echo.address() as AddressInfo).port;
  const s = await startSession(ssm, { target: instanceId, documentName: 'AWS-StartPortForwardingSession', parameters: { portNumber: [String(port)], localPortNumber: ['0'] } });
  const marker = 'capstan-forwarded-plaintext-marker';
  try {
    await s.channel.ready;
    assert.equal(s.channel.customerMessage, ENCRYPTED_SESSION_MESSAGE);
    const fwd = await listenForward(s.channel, { localPort: 0 });
    try {
      const ok = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const data = Buffer.concat([Buffer.from(marker), randomBytes(40_000 + i * 3_001)]);
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
    }
    const seen = crossed(s.sessionId);
    assert.ok(seen.length > 20 * 40_000, 'the forwarded bytes crossed the relay');
    assert.ok(!seen.includes(marker), 'forwarded bytes crossed the relay in clear');
  } finally {
    s.channel.close();
    await s.terminate();
    echo.close();
    await ssm.send(new DeleteDocumentCommand({ Name: 'SSM-SessionManagerRunShell' }));
  }
});

test('a user without kms:GenerateDataKey on the key is refused, with the key named, and no session stays open', async () => {
  await ssm.send(preferences(keyArn));
  try {
    const iam = new IAMClient(t.clientConfig());
    await iam.send(new CreateUserCommand({ UserName: 'no-kms' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'no-kms' }))).AccessKey!;
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'no-kms',
        PolicyName: 'sessions-only',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ssm:StartSession', 'ssm:ResumeSession', 'ssm:TerminateSession', 'ssm:DescribeSessions'], Resource: '*' }] }),
      }),
    );
    const limited = new SSMClient(t.clientConfig({ credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } }));
    await until('the new key works', () => limited.send(new DescribeSessionsCommand({ State: 'Active' })).then(() => true, () => undefined));
    const s = await startSession(limited, { target: instanceId });
    await assert.rejects(s.channel.ready, (e: Error) => {
      assert.match(e.message, /kms:GenerateDataKey on .+ failed: AccessDeniedException/);
      assert.ok(e.message.includes(keyArn), e.message);
      return true;
    });
    await until('the session is over', async () => {
      const r = await ssm.send(new DescribeSessionsCommand({ State: 'History', Filters: [{ key: 'SessionId', value: s.sessionId }] }));
      return r.Sessions?.[0];
    });
    const active = await ssm.send(new DescribeSessionsCommand({ State: 'Active', Filters: [{ key: 'SessionId', value: s.sessionId }] }));
    assert.deepEqual(active.Sessions, []);
  } finally {
    await ssm.send(new DeleteDocumentCommand({ Name: 'SSM-SessionManagerRunShell' }));
  }
});

test('a disabled or missing key in the preferences: StartSession fails and names it, and stores no session', async () => {
  await kms.send(new DisableKeyCommand({ KeyId: keyArn }));
  await ssm.send(preferences(keyArn));
  try {
    const before = (await ssm.send(new DescribeSessionsCommand({ State: 'Active' }))).Sessions?.length ?? 0;
    await assert.rejects(ssm.send(new StartSessionCommand({ Target: instanceId })), (e: Error) => {
      assert.equal(e.name, 'InvalidDocument');
      assert.ok(e.message.includes(keyArn) && /Disabled/.test(e.message), e.message);
      return true;
    });
    assert.equal((await ssm.send(new DescribeSessionsCommand({ State: 'Active' }))).Sessions?.length ?? 0, before);
    await ssm.send(new DeleteDocumentCommand({ Name: 'SSM-SessionManagerRunShell' }));
    await ssm.send(preferences('alias/no-such-key'));
    await assert.rejects(ssm.send(new StartSessionCommand({ Target: instanceId })), { name: 'InvalidDocument', message: /alias\/no-such-key, which does not exist/ });
  } finally {
    await kms.send(new EnableKeyCommand({ KeyId: keyArn }));
    await ssm.send(new DeleteDocumentCommand({ Name: 'SSM-SessionManagerRunShell' })).catch(() => undefined);
  }
});

test('the client sends a session over plain ws: only to loopback', async () => {
  await assert.rejects(wsOpener()('ws://192.0.2.10:8443/capstan/v1/session/s-1/stream'), /not TLS \(wss:\), and 192\.0\.2\.10 is not loopback/);
  await assert.rejects(wsOpener()('ws://ssm.example.com/capstan/v1/session/s-1/stream'), /ssm\.example\.com is not loopback/);
  // loopback is allowed in clear: the attempt reaches the network (nothing listens on port 9)
  await assert.rejects(wsOpener()('ws://127.0.0.1:9/capstan/v1/session/s-1/stream'), /ECONNREFUSED/);
});
