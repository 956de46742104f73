import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateActivationCommand, DescribeInstanceInformationCommand, GetCommandInvocationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { answerChallenge } from '@capstan/wire';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../../server/src/test-support/server.js';
import { loadIdentity } from './state.js';
import { jsonHeaders, rawCall } from '../../server/src/test-support/sign.js';

const root = new URL('../../../', import.meta.url).pathname;
const cli = ['--conditions=capstan-src', '--import', 'tsx', 'packages/cli/src/main.ts'];
const capstan = (env: Record<string, string>, ...args: string[]) => promisify(execFile)(process.execPath, [...cli, ...args], { cwd: root, env: { ...process.env, ...env } });

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'capstan-identity-'));
let t: TestServer;
let ssm: SSMClient;
const running = new Set<ChildProcess>();

before(async () => {
  t = await startTestServer({ agentPingMs: 400 });
  ssm = new SSMClient(t.clientConfig());
});
after(async () => {
  for (const p of running) p.kill('SIGKILL');
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

function run(stateDir: string, env: Record<string, string> = {}) {
  const p = spawn(process.execPath, [...cli, 'agent', 'run', '--state-dir', stateDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  running.add(p);
  const out = { text: '' };
  p.stdout!.on('data', (d: Buffer) => (out.text += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (out.text += d.toString()));
  const exited = new Promise<void>((resolve) => p.on('exit', () => (running.delete(p), resolve())));
  return { p, out, stop: async () => (p.kill('SIGKILL'), await exited) };
}

/** One hello over a raw socket with the given key: welcome or the refusal. */
function hello(instanceId: string, keyPem: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${t.endpoint.replace(/^http/, 'ws')}/capstan/agent/v1/channel`);
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { type: string; nonce?: string; message?: string };
      if (m.type === 'challenge') ws.send(JSON.stringify({ type: 'hello', instanceId, signature: answerChallenge(m.nonce!, instanceId, createPrivateKey(keyPem)), probe: true }));
      else if (m.type === 'welcome') resolve('welcome');
      else if (m.type === 'error') resolve(m.message ?? 'error');
    });
    ws.on('close', () => resolve('closed'));
  });
}

const online = async (id: string) => ((await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [id] }] }))).InstanceInformationList?.[0]?.PingStatus === 'Online' ? true : undefined);

test('the agent rotates its key in two phases and keeps its identity; the old key stops working', async () => {
  const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 2 }));
  const state = join(dir, 'rotating');
  await capstan({}, 'agent', 'register', '--endpoint', t.endpoint, '--activation-id', ActivationId!, '--activation-code', ActivationCode!, '--state-dir', state);
  const before = loadIdentity(state);
  const oldKey = before.privateKeyPem;
  // A key "older than" about two seconds is due: the agent rotates soon after it connects.
  const agent = run(state, { CAPSTAN_AGENT_KEY_ROTATION_DAYS: String(2 / 86_400) });
  await until('the key rotated', () => (agent.out.text.includes('key rotated') ? true : undefined));
  await until('online again with the new key', () => (agent.out.text.slice(agent.out.text.indexOf('key rotated;') + 1).includes('online as') && agent.out.text.includes('key rotated;') ? true : undefined)).catch((e) => {
    console.log(agent.out.text);
    throw e;
  });
  const after = loadIdentity(state);
  assert.equal(after.identity.instanceId, before.identity.instanceId, 'same identity');
  assert.notEqual(after.privateKeyPem, oldKey, 'a new key');
  assert.ok((after.identity.keyCreatedAt ?? 0) > (before.identity.keyCreatedAt ?? 0));
  await until('Online', () => online(after.identity.instanceId));
  assert.match(await hello(after.identity.instanceId, oldKey), /signature does not match/, 'the retired key is refused');
  assert.equal(await hello(after.identity.instanceId, after.privateKeyPem), 'welcome');
  await agent.stop();
});

test('a node that is not Online is explained by the server, with the failure the agent reported; the agent check runs as a document', async () => {
  const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole' }));
  const state = join(dir, 'flaky');
  await capstan({}, 'agent', 'register', '--endpoint', t.endpoint, '--activation-id', ActivationId!, '--activation-code', ActivationCode!, '--state-dir', state);
  const { identity } = loadIdentity(state);
  const env = { AWS_ACCESS_KEY_ID: t.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: t.credentials.secretAccessKey, AWS_REGION: 'us-east-1' };

  const never = await capstan(env, 'nodes', 'diagnose', identity.instanceId, '--endpoint', t.endpoint).catch((e: { stdout: string; code: number }) => e);
  assert.equal((never as { code: number }).code, 1);
  assert.match((never as { stdout: string }).stdout, /never connected since the node was registered/);

  // The agent first dials a port where nothing listens, then the right one: it reports what failed.
  const path = join(state, 'identity.json');
  writeFileSync(path, JSON.stringify({ ...identity, endpoint: 'http://127.0.0.1:9' }), { mode: 0o600 });
  const wrong = run(state);
  await until('a failed dial', () => (/ECONNREFUSED|connect/.test(wrong.out.text) ? true : undefined));
  await wrong.stop();
  writeFileSync(path, JSON.stringify(identity), { mode: 0o600 });
  const right = run(state);
  await until('Online', () => online(identity.instanceId));
  await right.stop();
  await until('ConnectionLost', async () => ((await online(identity.instanceId)) ? undefined : true));

  const d = await capstan(env, 'nodes', 'diagnose', identity.instanceId, '--endpoint', t.endpoint).catch((e: { stdout: string }) => e);
  const text = (d as { stdout: string }).stdout;
  assert.match(text, /status\s+ConnectionLost/);
  assert.match(text, /channel closed\s+\S+ closed with code 1006/);
  assert.match(text, /agent reported\s+\S+ .*ECONNREFUSED/);
  assert.match(text, /Likely: nothing listens at the endpoint/);
  const raw = (await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, headers: jsonHeaders('AmazonSSM.CapstanDiagnoseNode'), body: JSON.stringify({ InstanceId: identity.instanceId }) })).json();
  assert.equal(raw.PingStatus, 'ConnectionLost');
  assert.match(String(raw.LastAgentError), /ECONNREFUSED/);
  assert.equal((await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, headers: jsonHeaders('AmazonSSM.CapstanDiagnoseNode'), body: JSON.stringify({ InstanceId: 'mi-0123456789abcdef0' }) })).json().__type, 'InvalidInstanceId');

  const again = run(state);
  await until('Online', () => online(identity.instanceId));
  const { Command } = await ssm.send(new SendCommandCommand({ DocumentName: 'Capstan-DiagnoseAgent', InstanceIds: [identity.instanceId] }));
  const r = await until('the diagnosis ran', async () => {
    const x = await ssm.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId!, InstanceId: identity.instanceId })).catch(() => undefined);
    return x && ['Success', 'Failed'].includes(x.Status!) ? x : undefined;
  });
  assert.equal(r.Status, "Success", `${r.StandardOutputContent}${r.StandardErrorContent}`);
  assert.match(r.StandardOutputContent!, /ok\s+identity\s+the server accepted instance/);
  assert.ok(!readFileSync(path, 'utf8').includes('127.0.0.1:9"'));
  await again.stop();
});
