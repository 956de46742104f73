import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateActivationCommand, DescribeInstanceInformationCommand, GetCommandInvocationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startTestServer, type TestServer } from '../../server/src/test-support/server.js';
import { loadIdentity } from './state.js';

const root = new URL('../../../', import.meta.url).pathname;
const cli = ['--conditions=capstan-src', '--import', 'tsx', 'packages/cli/src/main.ts'];
const capstan = (...args: string[]) => promisify(execFile)(process.execPath, [...cli, ...args], { cwd: root });
const refusal = (p: Promise<unknown>) => p.then(() => assert.fail('the command succeeded'), (e: { stderr: string }) => e.stderr);

const dir = mkdtempSync(join(tmpdir(), 'capstan-tls-'));
let t: TestServer;
let ssm: SSMClient;
let pin: string;
let agent: ChildProcess | undefined;

before(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const cert = readFileSync(join(dir, 'cert.pem'));
  pin = new X509Certificate(cert).fingerprint256;
  t = await startTestServer({ tls: { cert, key: readFileSync(join(dir, 'key.pem')) } });
  ssm = new SSMClient({ ...t.clientConfig(), requestHandler: new NodeHttpHandler({ httpsAgent: new HttpsAgent({ ca: cert }) }) });
});
after(async () => {
  agent?.kill('SIGKILL');
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('agents reach a TLS server only when they can verify it: a CA file or a pinned fingerprint', async () => {
  assert.match(t.endpoint, /^https:\/\/127\.0\.0\.1:/);
  const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 3 }));
  const reg = (stateDir: string, ...trust: string[]) => capstan('agent', 'register', '--endpoint', t.endpoint, '--activation-id', ActivationId!, '--activation-code', ActivationCode!, '--state-dir', join(dir, stateDir), ...trust);

  assert.match(await refusal(reg('untrusted')), /self-signed|certificate/i);
  assert.match(await refusal(reg('wrong-pin', '--pin-sha256', 'AB'.repeat(32))), /not the pinned one/);
  assert.ok(!existsSync(join(dir, 'wrong-pin', 'identity.json')), 'nothing is kept from a refused registration');
  assert.match(await refusal(capstan('agent', 'register', '--endpoint', 'http://10.20.30.40:9700', '--activation-id', ActivationId!, '--activation-code', ActivationCode!, '--state-dir', join(dir, 'plain'))), /use https:\/\/.*plain http is only for loopback/);

  await reg('by-ca', '--ca-file', join(dir, 'cert.pem'));
  await reg('pinned', '--pin-sha256', pin);
  const pinned = join(dir, 'pinned');
  assert.equal(loadIdentity(pinned).identity.trust?.pinSha256, pin);

  const diagnosis = await capstan('agent', 'diagnose', '--state-dir', pinned);
  assert.match(diagnosis.stdout, /ok\s+tls\s+certificate of 127\.0\.0\.1 verified \(pinned fingerprint\)/);
  assert.match(diagnosis.stdout, /ok\s+identity/);

  // The whole life of a node works over wss: channel, a job, its output.
  agent = spawn(process.execPath, [...cli, 'agent', 'run', '--state-dir', pinned], { cwd: root, stdio: 'ignore' });
  const id = loadIdentity(pinned).identity.instanceId;
  for (let i = 0; ; i++) {
    const n = (await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [id] }] }))).InstanceInformationList?.[0];
    if (n?.PingStatus === 'Online') break;
    if (i > 200) assert.fail('the pinned agent never came Online');
    await new Promise((r) => setTimeout(r, 50));
  }
  const { Command } = await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [id], Parameters: { commands: ['echo over tls'] } }));
  for (let i = 0; ; i++) {
    const r = await ssm.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId!, InstanceId: id })).catch(() => undefined);
    if (r?.Status === 'Success') {
      assert.equal(r.StandardOutputContent, 'over tls\n');
      break;
    }
    if (i > 200) assert.fail('the command did not finish over TLS');
    await new Promise((r) => setTimeout(r, 50));
  }
});
