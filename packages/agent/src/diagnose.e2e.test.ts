import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateActivationCommand, DeregisterManagedInstanceCommand, DescribeInstanceInformationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { startTestServer, type TestServer } from '../../server/src/test-support/server.js';
import { loadIdentity } from './state.js';

const root = new URL('../../../', import.meta.url).pathname;
const cli = ['--conditions=capstan-src', '--import', 'tsx', 'packages/cli/src/main.ts'];

/** Runs `capstan agent diagnose` and returns its exit code and report lines by check name. */
async function diagnose(stateDir: string) {
  const r = await promisify(execFile)(process.execPath, [...cli, 'agent', 'diagnose', '--state-dir', stateDir], { cwd: root }).then(
    (o) => ({ code: 0, stdout: o.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );
  const lines = Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.split(/\s+/)[1]!, l]));
  return { code: r.code, lines, stdout: r.stdout };
}

let t: TestServer;
let ssm: SSMClient;
let agent: ChildProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'capstan-diagnose-'));
const state = join(dir, 'state');

before(async () => {
  t = await startTestServer();
  ssm = new SSMClient(t.clientConfig());
});
after(async () => {
  agent?.kill('SIGKILL');
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

const ping = async (id: string) => (await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [id] }] }))).InstanceInformationList?.[0]?.PingStatus;

test('diagnose passes for a healthy node and names the failing layer otherwise', async () => {
  const missing = await diagnose(state);
  assert.equal(missing.code, 1);
  assert.match(missing.lines.state!, /^FAIL\s+state\s+missing identity\.json, private-key\.pem/);

  const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole' }));
  await promisify(execFile)(process.execPath, [...cli, 'agent', 'register', '--endpoint', t.endpoint, '--activation-id', ActivationId!, '--activation-code', ActivationCode!, '--state-dir', state], { cwd: root });
  const id = loadIdentity(state).identity.instanceId;
  agent = spawn(process.execPath, [...cli, 'agent', 'run', '--state-dir', state], { cwd: root, stdio: 'ignore' });
  for (let i = 0; (await ping(id)) !== 'Online'; i++) {
    assert.ok(i < 150, 'the agent came Online');
    await new Promise((r) => setTimeout(r, 100));
  }

  const healthy = await diagnose(state);
  assert.equal(healthy.code, 0, healthy.stdout);
  for (const name of ['state', 'endpoint', 'dns', 'tcp', 'clock', 'identity']) assert.match(healthy.lines[name]!, /^ok\s/, healthy.stdout);
  assert.match(healthy.lines.tls!, /^skip\s+tls\s+plain http/);
  assert.match(healthy.lines.identity!, new RegExp(`accepted instance ${id}`));
  assert.equal(await ping(id), 'Online', 'the probe does not displace the running agent');

  chmodSync(join(state, 'private-key.pem'), 0o644);
  const loose = await diagnose(state);
  assert.equal(loose.code, 1);
  assert.match(loose.lines.state!, /^FAIL\s+state\s+permissions too open: .*private-key\.pem is 0644, want 0600/);
  assert.match(loose.lines.identity!, /^ok\s/, 'the other layers are still checked');
  chmodSync(join(state, 'private-key.pem'), 0o600);

  await ssm.send(new DeregisterManagedInstanceCommand({ InstanceId: id }));
  const gone = await diagnose(state);
  assert.equal(gone.code, 1);
  assert.match(gone.lines.tcp!, /^ok\s/);
  assert.match(gone.lines.identity!, new RegExp(`^FAIL\\s+identity\\s+the server refused the identity: instance ${id} is not registered or was deregistered`));

  await t.server.close();
  const down = await diagnose(state);
  assert.equal(down.code, 1);
  assert.match(down.lines.tcp!, /^FAIL\s+tcp\s+cannot connect to 127\.0\.0\.1:\d+: connection refused/);
  assert.match(down.lines.identity!, /^skip\s/);
});
