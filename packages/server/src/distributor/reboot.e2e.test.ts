/**
 * Distributor's reboot requests and validate scripts, end to end with a real agent: package
 * scripts that exit 194 or 3010 the first time they run, an agent whose reboot command stops
 * it (the test starts it again, as the node's service manager would after a restart), and
 * validate scripts that pass or fail on what the install left behind.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateActivationCommand,
  CreateDocumentCommand,
  GetDocumentCommand,
  ListCommandsCommand,
  ListInventoryEntriesCommand,
  SendCommandCommand,
  SSMClient,
  UpdateDocumentCommand,
  type GetCommandInvocationCommandOutput,
} from '@aws-sdk/client-ssm';
import { AgentProcess, buildAgentBundle } from '../test-support/agent-process.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { invocationEnded } from '../test-support/invocation.js';
import { until } from '../test-support/until.js';
import { manifestOf, putPackageFile, zipOf } from './test-support/packages.js';

const work = mkdtempSync(join(tmpdir(), 'capstan-distributor-reboot-'));
const target = join(work, 'installed');
const rebooted = join(work, 'rebooted');
let t: TestServer;
let ssm: SSMClient;
let node: AgentProcess;
const output = () => node?.output ?? '';

/** A script that logs its name, runs `body`, and exits `code` the first time it runs only. */
const once = (name: string, body: string, code: number) =>
  `mkdir -p "$TARGET_DIR"\necho ${name} >> "$TARGET_DIR/log"\n${body}\nif [ ! -f "$TARGET_DIR/${name}.done" ]; then touch "$TARGET_DIR/${name}.done"; exit ${code}; fi\n`;
const logged = (name: string, body: string) => `mkdir -p "$TARGET_DIR"\necho ${name} >> "$TARGET_DIR/log"\n${body}\n`;

// 1.0: install asks for a reboot (`exit 3010`, which Linux reports as 194), uninstall too; valid while the version file says 1.0.
const v1 = zipOf({
  'install.sh': once('install-1.0', 'echo 1.0 > "$TARGET_DIR/version"', 3010),
  'uninstall.sh': once('uninstall-1.0', 'rm -f "$TARGET_DIR/version"', 194),
  'validate.sh': logged('validate-1.0', 'test "$(cat "$TARGET_DIR/version" 2>/dev/null)" = 1.0'),
});
// 2.0: its in-place update asks for a reboot, and the version never validates.
const v2 = zipOf({
  'install.sh': logged('install-2.0', 'echo 2.0 > "$TARGET_DIR/version"'),
  'update.sh': once('update-2.0', 'echo 2.0 > "$TARGET_DIR/version"', 194),
  'uninstall.sh': logged('uninstall-2.0', 'rm -f "$TARGET_DIR/version"'),
  'validate.sh': logged('validate-2.0', 'exit 1'),
});

const log = () => (existsSync(join(target, 'log')) ? readFileSync(join(target, 'log'), 'utf8').split('\n').filter(Boolean) : []);
const version = () => (existsSync(join(target, 'version')) ? readFileSync(join(target, 'version'), 'utf8').trim() : undefined);
const parameters = (p: Record<string, string>) => ({ ...Object.fromEntries(Object.entries(p).map(([k, v]) => [k, [v]])), additionalArguments: [JSON.stringify({ TARGET_DIR: target })] });

before(async () => {
  const [server, bundle] = await Promise.all([startTestServer({ schedulerPollMs: 50, agentPingMs: 5_000 }), buildAgentBundle(join(work, 'agent-bundle'))]);
  t = server;
  ssm = new SSMClient(t.clientConfig());
  const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
  node = await AgentProcess.register({ bundle, endpoint: t.endpoint, activationId: ActivationId!, activationCode: ActivationCode!, stateDir: join(work, 'agent') });
  // The node's "reboot": note it and stop the agent, which the test starts again.
  writeFileSync(join(node.stateDir, 'config.json'), JSON.stringify({ rebootCommand: `touch '${rebooted}'; kill -TERM $PPID` }));
  await node.start();

  for (const file of [v1, v2]) assert.equal((await putPackageFile(t, file)).status, 200);
  await ssm.send(new CreateDocumentCommand({ Name: 'RebootDemo', DocumentType: 'Package', Content: manifestOf('1.0', 'reboot-1.0.zip', v1) }));
  await ssm.send(new UpdateDocumentCommand({ Name: 'RebootDemo', DocumentVersion: '$LATEST', Content: manifestOf('2.0', 'reboot-2.0.zip', v2) }));
  const gather = await ssm.send(new GetDocumentCommand({ Name: 'AWS-GatherSoftwareInventory' }));
  await ssm.send(new CreateDocumentCommand({ Name: 'Gather-Inventory', DocumentType: 'Command', DocumentFormat: 'JSON', Content: gather.Content! }));
});

after(async () => {
  await node?.kill();
  ssm?.destroy();
  await t?.stop();
  rmSync(work, { recursive: true, force: true });
});

const ended = (commandId: string) => invocationEnded(ssm, commandId, node.instanceId, output);

const send = async (p: Record<string, string>) => (await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-ConfigureAWSPackage', InstanceIds: [node.instanceId], Parameters: parameters(p) }))).Command!.CommandId!;

/** Runs AWS-ConfigureAWSPackage through one reboot: the agent asks for it, stops, is started again and finishes. */
async function configureThroughReboot(p: Record<string, string>): Promise<GetCommandInvocationCommandOutput> {
  rmSync(rebooted, { force: true });
  const id = await send(p);
  await until('the agent to ask for a reboot', () => existsSync(rebooted), { ms: 60_000, every: 100, detail: output });
  await until('the agent to stop', () => node.proc?.exitCode !== null || node.proc?.signalCode !== null, { ms: 20_000, every: 100, detail: output });
  assert.equal((await ssm.send(new ListCommandsCommand({ CommandId: id }))).Commands![0]!.Status, 'InProgress', 'the command waits for the node to come back');
  await node.start();
  return ended(id);
}

async function inventoried(expect: string | undefined): Promise<Record<string, string>[]> {
  const id = (await ssm.send(new SendCommandCommand({ DocumentName: 'Gather-Inventory', InstanceIds: [node.instanceId] }))).Command!.CommandId!;
  assert.equal((await ended(id)).Status, 'Success');
  return until(
    `inventory to show RebootDemo ${expect ?? 'gone'}`,
    async () => {
      const entries = ((await ssm.send(new ListInventoryEntriesCommand({ InstanceId: node.instanceId, TypeName: 'AWS:Application', Filters: [{ Key: 'Name', Values: ['RebootDemo'], Type: 'Equal' }] }))).Entries ?? []) as Record<string, string>[];
      return (expect === undefined ? entries.length === 0 : entries.length === 1 && entries[0]!.Version === expect) ? entries : undefined;
    },
    { ms: 20_000, every: 200, detail: output },
  );
}

test('an install that asks for a reboot is finished after it; validate decides whether the installed version needs installing again; an update that fails to validate after its reboot rolls back; an uninstall that asks for a reboot runs again after it', async () => {
  // install.sh exits 3010: the node reboots, the step runs again and finds the version valid, so install.sh does not run again.
  const installed = await configureThroughReboot({ action: 'Install', name: 'RebootDemo', version: '1.0' });
  assert.equal(installed.Status, 'Success', JSON.stringify(installed));
  assert.deepEqual(log(), ['install-1.0', 'validate-1.0']);
  assert.match(installed.StandardOutputContent!, /Rebooting to finish the installation of RebootDemo 1\.0[\s\S]*The node restarted: finishing the installation of RebootDemo 1\.0[\s\S]*RebootDemo 1\.0 installed/);
  assert.equal(version(), '1.0');
  assert.equal((await inventoried('1.0'))[0]!.ApplicationType, 'Distributor package');

  // The installed version asked for again: it validates, so nothing runs.
  const again = await ended(await send({ action: 'Install', name: 'RebootDemo', version: '1.0' }));
  assert.equal(again.Status, 'Success');
  assert.match(again.StandardOutputContent!, /RebootDemo 1\.0 is already installed and valid; nothing to do/);
  assert.deepEqual(log().slice(2), ['validate-1.0']);

  // Its files damaged: validate fails, install.sh runs again and the version validates.
  rmSync(join(target, 'version'));
  const repaired = await ended(await send({ action: 'Install', name: 'RebootDemo', version: '1.0' }));
  assert.equal(repaired.Status, 'Success', JSON.stringify(repaired));
  assert.match(repaired.StandardOutputContent!, /RebootDemo 1\.0 is installed but not valid \(validate\.sh exited with 1\); installing it again[\s\S]*RebootDemo 1\.0 installed again/);
  assert.deepEqual(log().slice(3), ['validate-1.0', 'install-1.0', 'validate-1.0']);
  assert.equal(version(), '1.0');

  // update.sh exits 194; after the reboot 2.0 does not validate, so (as AWS's agent) update.sh
  // runs again, 2.0 still does not validate, 2.0's uninstall clears it and 1.0 is installed back.
  const updated = await configureThroughReboot({ action: 'Install', installationType: 'In-place update', name: 'RebootDemo', version: '2.0' });
  assert.equal(updated.Status, 'Failed', JSON.stringify(updated));
  assert.match(updated.StandardErrorContent!, /update of RebootDemo to 2\.0 failed: validate\.sh exited with 1; rolled back to 1\.0/);
  assert.deepEqual(log().slice(6), ['update-2.0', 'validate-2.0', 'update-2.0', 'validate-2.0', 'uninstall-2.0', 'install-1.0', 'validate-1.0']);
  assert.equal(version(), '1.0');
  await inventoried('1.0');

  // uninstall.sh exits 194: after the reboot it runs again, as AWS's agent does, and finishes.
  const removed = await configureThroughReboot({ action: 'Uninstall', name: 'RebootDemo' });
  assert.equal(removed.Status, 'Success', JSON.stringify(removed));
  assert.match(removed.StandardOutputContent!, /Rebooting to finish the uninstall of RebootDemo 1\.0[\s\S]*RebootDemo 1\.0 uninstalled/);
  assert.deepEqual(log().slice(13), ['uninstall-1.0', 'uninstall-1.0']);
  assert.equal(version(), undefined);
  assert.equal(existsSync(join(node.stateDir, 'packages', 'RebootDemo', 'pending-reboot.json')), false);
  await inventoried(undefined);
});
