/**
 * A node's network cut mid-command: a real agent runs in a network namespace of the test's own,
 * reaching the server (over TLS, as any node off this machine must) through a veth pair whose
 * host end the test takes down and up again, as a pulled cable would: neither side is told.
 * Needs root (ip netns).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { connect } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KMSClient } from '@aws-sdk/client-kms';
import {
  CreateActivationCommand,
  DescribeInstanceInformationCommand,
  DescribeSessionsCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ResumeSessionCommand,
  SendCommandCommand,
  SSMClient,
  StartSessionCommand,
  TerminateSessionCommand,
} from '@aws-sdk/client-ssm';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { nodeClientChannel } from '../../../cli/src/session/channel.js';
import { listenForward } from '../../../cli/src/session/port-forward.js';
import { sessionKms } from '../../../cli/src/session/start.js';
import { buildAgentBundle } from '../test-support/agent-process.js';
import { NetNamespace, rootSkipReason } from '../test-support/netns.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { until } from '../test-support/until.js';

const PING_MS = 1_000;
const skip = rootSkipReason('puts an agent in a network namespace of its own and cuts its link (ip netns, ip link)');

describe('an agent whose network is cut', { skip: skip ?? false }, () => {
  const work = mkdtempSync(join(tmpdir(), 'capstan-netcut-'));
  let ns: NetNamespace | undefined;
  let t: TestServer;
  let ssm: SSMClient;
  let agent: ChildProcess | undefined;
  let agentOutput = '';
  let instanceId = '';
  let cert: Buffer;
  let echo: ChildProcess | undefined;
  const requestHandler = () => new NodeHttpHandler({ httpsAgent: new HttpsAgent({ ca: cert }) });

  const ping = async () => (await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [instanceId] }] }))).InstanceInformationList?.[0]?.PingStatus;
  const invocation = (commandId: string) => ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
  const detail = () => `agent:\n${agentOutput.slice(-3000)}`;
  const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  /** Runs `script` on the node; it appends `start` then `ran` to a file of its own, so runs are counted. */
  const send = async (name: string, script: (marker: string) => string) => {
    const marker = join(work, `${name}.log`);
    const { Command } = await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [instanceId], TimeoutSeconds: 60, Parameters: { commands: [script(marker)] } }));
    await until(`${name} running on the node`, () => read(marker).includes('start'), { detail });
    return { commandId: Command!.CommandId!, marker };
  };
  const ended = (commandId: string) =>
    until(`${commandId} to end`, async () => {
      const r = await invocation(commandId);
      return ['Success', 'Failed', 'TimedOut', 'Cancelled'].includes(r.Status!) ? r : undefined;
    }, { ms: 45_000, every: 250, detail });
  /** The agent's own account of the job: accepted and run once. */
  const ranOnce = (commandId: string) => {
    assert.equal(agentOutput.split(`job ${commandId} running`).length - 1, 1, `the agent ran ${commandId} once\n${detail()}`);
  };

  before(async () => {
    ns = NetNamespace.create(Math.floor(Math.random() * 64));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=capstan-faults', '-addext', `subjectAltName=IP:${ns.hostAddress}`, '-keyout', join(work, 'key.pem'), '-out', join(work, 'cert.pem')], { stdio: 'ignore' });
    cert = readFileSync(join(work, 'cert.pem'));
    const [server, bundle] = await Promise.all([startTestServer({ host: ns.hostAddress, tls: { cert, key: readFileSync(join(work, 'key.pem')) }, agentPingMs: PING_MS }), buildAgentBundle(join(work, 'agent-bundle'))]);
    t = server;
    ssm = new SSMClient({ ...t.clientConfig(), requestHandler: requestHandler() });
    const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
    const stateDir = join(work, 'agent');
    mkdirSync(stateDir);
    const pin = new X509Certificate(cert).fingerprint256;
    const [cmd, ...args] = ns.exec([process.execPath, bundle, 'agent', 'register', '--endpoint', t.endpoint, '--activation-id', ActivationId!, '--activation-code', ActivationCode!, '--state-dir', stateDir, '--pin-sha256', pin]);
    await promisify(execFile)(cmd!, args);
    instanceId = (JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as { instanceId: string }).instanceId;
    const [runCmd, ...runArgs] = ns.exec([process.execPath, bundle, 'agent', 'run', '--state-dir', stateDir]);
    agent = spawn(runCmd!, runArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    agent.stdout!.on('data', (d: Buffer) => (agentOutput += d.toString()));
    agent.stderr!.on('data', (d: Buffer) => (agentOutput += d.toString()));
    await until('the agent online', async () => (await ping()) === 'Online', { detail });
  });

  after(async () => {
    echo?.kill('SIGKILL');
    if (agent && agent.exitCode === null && agent.signalCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGKILL');
      await exited;
    }
    ssm?.destroy();
    await t?.stop();
    ns?.remove();
    rmSync(work, { recursive: true, force: true });
  });

  test('a cut of 2 s mid-command: the command ends Success once, with its output', async () => {
    const { commandId, marker } = await send('short-cut', (m) => `echo start >> '${m}'; sleep 5; echo ran >> '${m}'; echo done`);
    ns!.cut();
    await new Promise((r) => setTimeout(r, 2_000));
    ns!.restore();
    const r = await ended(commandId);
    assert.equal(r.Status, 'Success', detail());
    assert.equal(r.StandardOutputContent, 'done\n');
    assert.equal(read(marker), 'start\nran\n', 'the script ran once');
    const all = (await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId }))).CommandInvocations ?? [];
    assert.deepEqual(all.map((i) => [i.InstanceId, i.Status]), [[instanceId, 'Success']]);
    ranOnce(commandId);
  });

  test('a cut past the ping timeout: ConnectionLost, then Online again, and the reply made while cut off still lands once', async () => {
    const onlineBefore = agentOutput.split('online as ').length - 1;
    const { commandId, marker } = await send('long-cut', (m) => `echo start >> '${m}'; sleep 2; echo ran >> '${m}'; echo done`);
    const cutAt = agentOutput.length;
    ns!.cut();
    try {
      await until('the node ConnectionLost', async () => (await ping()) === 'ConnectionLost', { ms: 20_000, detail });
      // The node finishes while cut off: its reply waits in its outbox.
      await until('the command finished on the node', () => read(marker).includes('ran'), { detail });
      // Two ping intervals without a pong: the agent gives the connection up and tries new ones.
      await until('the agent to give up its connection', () => agentOutput.slice(cutAt).includes('disconnected ('), { ms: 20_000, detail });
      assert.equal((await invocation(commandId)).Status, 'InProgress', 'the reply could not arrive while the link was down');
    } finally {
      ns!.restore();
    }
    await until('the node Online again', async () => (await ping()) === 'Online', { ms: 45_000, every: 250, detail });
    const r = await ended(commandId);
    assert.equal(r.Status, 'Success', detail());
    assert.equal(r.StandardOutputContent, 'done\n');
    assert.equal(read(marker), 'start\nran\n', 'the script ran once');
    ranOnce(commandId);
    assert.ok(agentOutput.split('online as ').length - 1 > onlineBefore, 'the agent reconnected');
  });

  test('a port-forwarding session across a 5 s cut: it carries on, and every byte arrives once, in order', async () => {
    // An echo service on the node, inside its namespace (the node's own 127.0.0.1).
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const [cmd, ...args] = ns!.exec([process.execPath, '-e', `require('node:net').createServer({ allowHalfOpen: true }, (c) => c.pipe(c)).listen(${port}, '127.0.0.1', () => console.log('listening'))`]);
    echo = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => echo!.stdout!.once('data', () => resolve()));

    const started = await ssm.send(new StartSessionCommand({ Target: instanceId, DocumentName: 'AWS-StartPortForwardingSession', Parameters: { portNumber: [String(port)], localPortNumber: ['0'] } }));
    const sessionId = started.SessionId!;
    const kms = new KMSClient({ ...t.clientConfig(), requestHandler: requestHandler() });
    const channel = nodeClientChannel({
      sessionId,
      streamUrl: started.StreamUrl!,
      tokenValue: started.TokenValue!,
      resume: async () => {
        const r = await ssm.send(new ResumeSessionCommand({ SessionId: sessionId }));
        return r.TokenValue ? { tokenValue: r.TokenValue, streamUrl: r.StreamUrl ?? started.StreamUrl! } : undefined;
      },
      kms: sessionKms(kms),
      targetId: instanceId,
      // The client trusts the server's private certificate, as `--ca-file` does.
      wsOptions: { ca: cert },
    });
    await channel.connect();
    await channel.ready;
    const fwd = await listenForward(channel, { localPort: 0 });
    try {
      const sock = connect(fwd.port, '127.0.0.1');
      const back: Buffer[] = [];
      let received = 0;
      sock.on('data', (d: Buffer) => (back.push(d), (received += d.length)));
      await new Promise<void>((r) => sock.once('connect', r));
      const before = randomBytes(256 * 1024);
      sock.write(before);
      await until('the first bytes echoed', () => received >= before.length, { detail });

      const cutAt = agentOutput.length;
      ns!.cut();
      // Sent while the node is unreachable: they must wait, not vanish.
      const during = randomBytes(256 * 1024);
      sock.write(during);
      await new Promise((r) => setTimeout(r, 5_000));
      assert.ok(received < before.length + during.length, 'nothing crossed the cut link');
      ns!.restore();

      const afterCut = randomBytes(64 * 1024);
      sock.end(afterCut);
      await new Promise<void>((resolve, reject) => (sock.once('close', () => resolve()), sock.once('error', reject)));
      const sent = Buffer.concat([before, during, afterCut]);
      const got = Buffer.concat(back);
      assert.equal(got.length, sent.length, `bytes echoed: ${got.length} of ${sent.length}\n${detail()}`);
      assert.ok(got.equals(sent), 'the bytes came back in order, none lost or repeated');
      const sessions = (await ssm.send(new DescribeSessionsCommand({ State: 'Active', Filters: [{ key: 'SessionId', value: sessionId }] }))).Sessions ?? [];
      assert.equal(sessions.length, 1, 'the session is still active');
      console.log(`session across the cut: ${sent.length} bytes echoed; the agent's session socket ${agentOutput.slice(cutAt).includes(`session ${sessionId}: socket resumed`) ? 'reconnected and resumed' : 'survived the cut (TCP retransmitted)'}`);
    } finally {
      fwd.close();
      channel.close();
      await ssm.send(new TerminateSessionCommand({ SessionId: sessionId })).catch(() => undefined);
      kms.destroy();
    }
  });
});
