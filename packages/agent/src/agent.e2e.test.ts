import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateActivationCommand, DeregisterManagedInstanceCommand, DescribeInstanceInformationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ManualClock } from '../../server/src/scheduler/clock.js';
import { startTestServer, type TestServer } from '../../server/src/test-support/server.js';
import { loadIdentity } from './state.js';

const root = new URL('../../../', import.meta.url).pathname;
const cli = ['--conditions=capstan-src', '--import', 'tsx', 'packages/cli/src/main.ts'];
const PING = 300;

const capstan = (...args: string[]) => promisify(execFile)(process.execPath, [...cli, ...args], { cwd: root });

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let t: TestServer;
let ssm: SSMClient;
const clock = new ManualClock(Date.now());
const dirs: string[] = [];
const running = new Set<ChildProcess>();

before(async () => {
  t = await startTestServer({ clock, agentPingMs: PING });
  ssm = new SSMClient(t.clientConfig());
});
after(async () => {
  for (const p of running) p.kill('SIGKILL');
  await t.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function run(stateDir: string) {
  const p = spawn(process.execPath, [...cli, 'agent', 'run', '--state-dir', stateDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(p);
  let output = '';
  p.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => (running.delete(p), resolve(code))));
  return { p, exited, output: () => output };
}

const status = async (id: string) => (await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [id] }] }))).InstanceInformationList?.[0];

test('real agents register, come Online, lose and regain the connection, and are refused once deregistered', async () => {
  const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 2 }));
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'capstan-agent-'));
    dirs.push(dir);
    const { stdout } = await capstan('agent', 'register', '--endpoint', t.endpoint, '--activation-id', ActivationId!, '--activation-code', ActivationCode!, '--region', 'us-east-1', '--state-dir', join(dir, 'state'));
    assert.match(stdout, /registered as mi-[0-9a-f]{17}/);
    ids.push(loadIdentity(join(dir, 'state')).identity.instanceId);
    assert.equal(statSync(join(dir, 'state')).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, 'state', 'private-key.pem')).mode & 0o777, 0o600);
  }
  const third = await capstan('agent', 'register', '--endpoint', t.endpoint, '--activation-id', ActivationId!, '--activation-code', ActivationCode!, '--state-dir', join(dirs[0]!, 'other')).catch((e: { stderr: string }) => e);
  assert.match((third as { stderr: string }).stderr, /registration limit of 2/);

  const states = dirs.map((d) => join(d, 'state'));
  const agents = states.map(run);
  for (const id of ids) {
    const node = await until(`${id} Online`, async () => ((await status(id))?.PingStatus === 'Online' ? status(id) : undefined));
    assert.equal(node!.ComputerName, hostname());
    assert.equal(node!.AgentVersion, '0.1.0');
    assert.equal(node!.PlatformType, 'Linux');
    assert.ok(node!.PlatformName && node!.PlatformVersion && node!.IPAddress);
  }

  agents[0]!.p.kill('SIGKILL');
  await agents[0]!.exited;
  clock.advance(2 * PING + 1);
  await until('the killed agent ConnectionLost and the live one Online again', async () => {
    const [a, b] = [await status(ids[0]!), await status(ids[1]!)];
    return a?.PingStatus === 'ConnectionLost' && b?.PingStatus === 'Online' ? true : undefined;
  });

  const restarted = run(states[0]!);
  await until('the restarted agent Online', async () => ((await status(ids[0]!))?.PingStatus === 'Online' ? true : undefined));
  assert.match(restarted.output(), /online as mi-/);

  await ssm.send(new DeregisterManagedInstanceCommand({ InstanceId: ids[1]! }));
  const code = await agents[1]!.exited;
  assert.notEqual(code, 0);
  assert.match(agents[1]!.output(), /refused instance .*not registered or was deregistered|refused instance .*deregistered/);
  await assert.rejects(status(ids[1]!), { name: 'InvalidInstanceId' });
  restarted.p.kill('SIGTERM');
  assert.equal(await restarted.exited, 0);
});
