/**
 * AWS-RunPatchBaseline end to end: a Capstan server, a real agent process whose APT_CONFIG points
 * apt and dpkg at an isolated root, the official SDK creating the baseline, sending the command
 * and reading the node's patch state back.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateActivationCommand, CreatePatchBaselineCommand, DescribeInstancePatchesCommand, DescribeInstancePatchStatesCommand, GetCommandInvocationCommand, ListCommandsCommand,
  RegisterDefaultPatchBaselineCommand, SendCommandCommand, SSMClient, type Command,
} from '@aws-sdk/client-ssm';
import { startTestServer, type TestServer } from '../../../../../server/src/test-support/server.js';
import { loadIdentity } from '../../../state.js';
import { buildDeb, dpkgInstall, installedVersions, makeRoot, packagesStanza, writeSuite, type AptRoot } from './test-support/apt-root.js';

const root = new URL('../../../../../../', import.meta.url).pathname;
const cli = ['--conditions=capstan-src', '--import', 'tsx', 'packages/cli/src/main.ts'];
const work = mkdtempSync(join(tmpdir(), 'capstan-patch-e2e-'));
let t: TestServer;
let ssm: SSMClient;
let agent: ChildProcess | undefined;
let output = '';

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}; agent said:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  t = await startTestServer();
  ssm = new SSMClient(t.clientConfig());
});
after(async () => {
  agent?.kill('SIGKILL');
  await t.stop();
  rmSync(work, { recursive: true, force: true });
});

/** alpha and kern have security updates (kern's asks for a reboot), beta a non-security one; gamma's is rejected. */
function patchableNode(): AptRoot {
  const repo = join(work, 'repo');
  const build = join(work, 'build');
  const stable = [
    buildDeb(repo, 'bookworm', { name: 'alpha', version: '1.0-1', section: 'utils', priority: 'optional' }, build),
    buildDeb(repo, 'bookworm', { name: 'beta', version: '2.0-1', section: 'net', priority: 'important' }, build),
    buildDeb(repo, 'bookworm', { name: 'kern', version: '5.0-1', section: 'kernel', priority: 'required' }, build),
    buildDeb(repo, 'bookworm', { name: 'gamma', version: '3.0-1', section: 'libs', priority: 'extra' }, build),
  ];
  writeSuite(repo, 'bookworm', stable.map(packagesStanza).join(''));
  writeSuite(
    repo,
    'bookworm-security',
    [
      buildDeb(repo, 'bookworm-security', { name: 'alpha', version: '1.0-2', section: 'utils', priority: 'optional' }, build),
      buildDeb(repo, 'bookworm-security', { name: 'kern', version: '5.0-2', section: 'kernel', priority: 'required', needsReboot: true }, build),
      buildDeb(repo, 'bookworm-security', { name: 'gamma', version: '3.0-2', section: 'libs', priority: 'extra' }, build),
    ].map(packagesStanza).join(''),
  );
  writeSuite(repo, 'bookworm-updates', packagesStanza(buildDeb(repo, 'bookworm-updates', { name: 'beta', version: '2.1-1', section: 'net', priority: 'important' }, build)));
  const r = makeRoot(join(work, 'node'), repo, ['bookworm', 'bookworm-security', 'bookworm-updates']);
  dpkgInstall(r, repo, stable);
  return r;
}

const finished = (id: string) =>
  until<Command>(`command ${id} finished`, async () => {
    const c = (await ssm.send(new ListCommandsCommand({ CommandId: id }))).Commands![0]!;
    return ['Success', 'Failed', 'TimedOut', 'Cancelled'].includes(c.Status!) ? c : undefined;
  });

test('a real agent scans and installs against the baseline the server resolves, and the server keeps what it reported', async () => {
  const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
  const stateDir = join(work, 'agent');
  await promisify(execFile)(process.execPath, [...cli, 'agent', 'register', '--endpoint', t.endpoint, '--activation-id', ActivationId!, '--activation-code', ActivationCode!, '--state-dir', stateDir], { cwd: root });
  const instanceId = loadIdentity(stateDir).identity.instanceId;
  const node = patchableNode();
  // The reboot command is harmless: NoReboot never runs it, and this machine must not restart.
  agent = spawn(process.execPath, [...cli, 'agent', 'run', '--state-dir', stateDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...node.env, CAPSTAN_AGENT_REBOOT_COMMAND: 'true' } });
  agent.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  agent.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await until('the agent online', async () => (output.includes('online as') ? true : undefined));

  const { BaselineId } = await ssm.send(
    new CreatePatchBaselineCommand({
      Name: 'DebianSecurityNoGamma',
      OperatingSystem: 'DEBIAN',
      ApprovalRules: { PatchRules: [{ PatchFilterGroup: { PatchFilters: [{ Key: 'PRIORITY', Values: ['Required', 'Important', 'Standard', 'Optional', 'Extra'] }] }, ComplianceLevel: 'CRITICAL' }] },
      RejectedPatches: ['gamma'],
      RejectedPatchesAction: 'BLOCK',
    }),
  );
  await ssm.send(new RegisterDefaultPatchBaselineCommand({ BaselineId }));

  const run = async (Operation: string) => {
    const id = (await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunPatchBaseline', InstanceIds: [instanceId], Parameters: { Operation: [Operation], RebootOption: ['NoReboot'] } }))).Command!.CommandId!;
    const c = await finished(id);
    const inv = await ssm.send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: instanceId, PluginName: 'PatchLinux' }));
    return { c, inv };
  };
  const state = async () => (await ssm.send(new DescribeInstancePatchStatesCommand({ InstanceIds: [instanceId] }))).InstancePatchStates?.[0];

  const scan = await run('Scan');
  assert.equal(scan.c.Status, 'Success', `${scan.inv.StandardOutputContent}\n${scan.inv.StandardErrorContent}`);
  assert.match(scan.inv.StandardOutputContent!, /Missing: 2/);
  const s1 = await until('the scan’s patch state', async () => {
    const s = await state();
    return s?.Operation === 'Scan' ? s : undefined;
  });
  assert.equal(s1.BaselineId, BaselineId);
  assert.deepEqual([s1.MissingCount, s1.InstalledRejectedCount, s1.InstalledOtherCount, s1.InstalledCount], [2, 1, 1, 0]);

  const install = await run('Install');
  assert.equal(install.c.Status, 'Success', `${install.inv.StandardOutputContent}\n${install.inv.StandardErrorContent}`);
  const s2 = await until('the install’s patch state', async () => {
    const s = await state();
    return s?.Operation === 'Install' ? s : undefined;
  });
  assert.deepEqual(
    [s2.InstalledCount, s2.InstalledPendingRebootCount, s2.InstalledRejectedCount, s2.InstalledOtherCount, s2.MissingCount, s2.FailedCount],
    [1, 1, 1, 1, 0, 0],
  );
  assert.ok(s2.LastNoRebootInstallOperationTime, 'the NoReboot install is dated');
  assert.deepEqual(installedVersions(node), { alpha: '1.0-2', beta: '2.0-1', kern: '5.0-2', gamma: '3.0-1' });

  const pendingReboot = await ssm.send(new DescribeInstancePatchesCommand({ InstanceId: instanceId, Filters: [{ Key: 'State', Values: ['INSTALLED_PENDING_REBOOT'] }] }));
  assert.deepEqual(pendingReboot.Patches?.map((p) => [p.KBId, p.Title]), [['kern', 'kern.all:0:5.0-2']]);
});
