/**
 * Distributor end to end: packages made of real zip archives, installed, updated, rolled back
 * and removed by real agents on this machine through AWS-ConfigureAWSPackage, sent by Run
 * Command and by a State Manager association. The scripts of each version write under a temp
 * directory the test reads.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AddTagsToResourceCommand,
  CreateActivationCommand,
  CreateAssociationCommand,
  CreateDocumentCommand,
  DescribeAssociationExecutionsCommand,
  GetDocumentCommand,
  GetInventoryCommand,
  ListCommandInvocationsCommand,
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
import { manifestOf, putPackageFile, sha256, zipOf } from './test-support/packages.js';

const work = mkdtempSync(join(tmpdir(), 'capstan-distributor-e2e-'));
const target = join(work, 'installed');
let t: TestServer;
let ssm: SSMClient;
let web: AgentProcess;
let other: AgentProcess;
const output = () => `tagged agent:\n${web?.output ?? ''}\nother agent:\n${other?.output ?? ''}`;

/** Each script appends what it did to the log; install and update also write the version. */
const script = (line: string, version?: string, exit = 0) => `set -e\nmkdir -p "$TARGET_DIR"\necho "${line} $BWS_ACTION_NAME" >> "$TARGET_DIR/log"\n${version ? `echo ${version} > "$TARGET_DIR/version"\n` : ''}${exit ? `exit ${exit}\n` : ''}`;
const archive = (v: string, o: { failInstall?: boolean; update?: boolean } = {}) =>
  zipOf({
    'install.sh': o.failInstall ? script(`install-${v}-failing`, undefined, 3) : script(`install-${v}`, v),
    'uninstall.sh': `${script(`uninstall-${v}`)}rm -f "$TARGET_DIR/version"\n`,
    ...(o.update ? { 'update.sh': script(`update-${v}`, v) } : {}),
    'payload.txt': `payload of ${v}\n`,
  });
const v1 = archive('1.0');
const v2 = archive('2.0', { update: true });
const v3 = archive('3.0', { failInstall: true });

const log = () => (existsSync(join(target, 'log')) ? readFileSync(join(target, 'log'), 'utf8').split('\n').filter(Boolean) : []);
const installedVersion = () => (existsSync(join(target, 'version')) ? readFileSync(join(target, 'version'), 'utf8').trim() : undefined);
const parameters = (p: Record<string, string>) => ({ ...Object.fromEntries(Object.entries(p).map(([k, v]) => [k, [v]])), additionalArguments: [JSON.stringify({ TARGET_DIR: target })] });

before(async () => {
  const [server, bundle] = await Promise.all([startTestServer({ schedulerPollMs: 50, agentPingMs: 5_000 }), buildAgentBundle(join(work, 'agent-bundle'))]);
  t = server;
  ssm = new SSMClient(t.clientConfig());
  const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 2 }));
  [web, other] = await Promise.all(['web', 'other'].map((n) => AgentProcess.register({ bundle, endpoint: t.endpoint, activationId: ActivationId!, activationCode: ActivationCode!, stateDir: join(work, `agent-${n}`) })));
  await Promise.all([web!.start(), other!.start()]);
  await ssm.send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: web!.instanceId, Tags: [{ Key: 'Role', Value: 'web' }] }));

  for (const file of [v1, v2, v3]) assert.equal((await putPackageFile(t, file)).status, 200);
  await ssm.send(new CreateDocumentCommand({ Name: 'CapstanDemo', DocumentType: 'Package', Content: manifestOf('1.0', 'demo-1.0.zip', v1, { publisher: 'Capstan tests' }) }));
  await ssm.send(new UpdateDocumentCommand({ Name: 'CapstanDemo', DocumentVersion: '$LATEST', Content: manifestOf('2.0', 'demo-2.0.zip', v2, { publisher: 'Capstan tests' }) }));
  await ssm.send(new UpdateDocumentCommand({ Name: 'CapstanDemo', DocumentVersion: '$LATEST', Content: manifestOf('3.0', 'demo-3.0.zip', v3, { publisher: 'Capstan tests' }) }));
});

after(async () => {
  await Promise.all([web?.kill(), other?.kill()]);
  ssm?.destroy();
  await t?.stop();
  rmSync(work, { recursive: true, force: true });
});

const runOn = (instanceId: string, commandId: string) => invocationEnded(ssm, commandId, instanceId, output);

/** AWS-ConfigureAWSPackage on the nodes tagged Role=web; the tagged node's invocation once it ended. */
async function configure(p: Record<string, string>): Promise<GetCommandInvocationCommandOutput> {
  const id = (await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-ConfigureAWSPackage', Targets: [{ Key: 'tag:Role', Values: ['web'] }], Parameters: parameters(p) }))).Command!.CommandId!;
  const inv = await runOn(web.instanceId, id);
  const invocations = (await ssm.send(new ListCommandInvocationsCommand({ CommandId: id }))).CommandInvocations ?? [];
  assert.deepEqual(invocations.map((i) => i.InstanceId), [web.instanceId], 'only the tagged node runs it');
  return inv;
}

/** AWS-GatherSoftwareInventory's content as a Command document, run on the tagged node; its AWS:Application rows for the package once stored. */
async function inventoried(expectVersion: string | undefined): Promise<Record<string, string>[]> {
  const id = (await ssm.send(new SendCommandCommand({ DocumentName: 'Gather-Inventory', InstanceIds: [web.instanceId] }))).Command!.CommandId!;
  assert.equal((await runOn(web.instanceId, id)).Status, 'Success');
  return until(
    `inventory to show CapstanDemo ${expectVersion ?? 'gone'}`,
    async () => {
      const entries = ((await ssm.send(new ListInventoryEntriesCommand({ InstanceId: web.instanceId, TypeName: 'AWS:Application', Filters: [{ Key: 'Name', Values: ['CapstanDemo'], Type: 'Equal' }] }))).Entries ?? []) as Record<string, string>[];
      return (expectVersion === undefined ? entries.length === 0 : entries[0]?.Version === expectVersion) ? entries : undefined;
    },
    { ms: 20_000, every: 200, detail: output },
  );
}

test('install v1 on tagged nodes, again (nothing to do), update to v2 in place by an association, a failing v3 rolls back to v2, an in-place update without update.sh is refused, uninstall; inventory follows', async () => {
  const gather = await ssm.send(new GetDocumentCommand({ Name: 'AWS-GatherSoftwareInventory' }));
  await ssm.send(new CreateDocumentCommand({ Name: 'Gather-Inventory', DocumentType: 'Command', DocumentFormat: 'JSON', Content: gather.Content! }));

  // v1, pinned by its version name, on the node tagged Role=web only.
  const first = await configure({ action: 'Install', name: 'CapstanDemo', version: '1.0' });
  assert.equal(first.Status, 'Success', JSON.stringify(first));
  assert.match(first.StandardOutputContent!, new RegExp(`Downloaded demo-1\\.0\\.zip for CapstanDemo 1\\.0; sha256 ${sha256(v1)} verified`));
  assert.match(first.StandardOutputContent!, /CapstanDemo 1\.0 installed/);
  assert.equal(installedVersion(), '1.0');
  assert.deepEqual(log(), ['install-1.0 Install']);
  assert.equal(existsSync(join(other.stateDir, 'packages')), false, 'the untagged node installed nothing');

  // Installing the installed version does nothing.
  const again = await configure({ action: 'Install', name: 'CapstanDemo', version: '1.0' });
  assert.equal(again.Status, 'Success');
  assert.match(again.StandardOutputContent!, /CapstanDemo 1\.0 is already installed; nothing to do/);
  assert.deepEqual(log(), ['install-1.0 Install']);
  const [row1] = await inventoried('1.0');
  assert.equal(row1!.ApplicationType, 'Distributor package');
  assert.equal(row1!.Publisher, 'Capstan tests');

  // v2 in place, by State Manager.
  const assoc = (await ssm.send(new CreateAssociationCommand({ Name: 'AWS-ConfigureAWSPackage', Targets: [{ Key: 'tag:Role', Values: ['web'] }], Parameters: parameters({ action: 'Install', installationType: 'In-place update', name: 'CapstanDemo', version: '2.0' }) }))).AssociationDescription!;
  const [execution] = await until(
    'the association to run',
    async () => {
      const list = (await ssm.send(new DescribeAssociationExecutionsCommand({ AssociationId: assoc.AssociationId! }))).AssociationExecutions ?? [];
      return list.length > 0 && ['Success', 'Failed'].includes(list[0]!.Status!) ? list : undefined;
    },
    { ms: 60_000, every: 250, detail: output },
  );
  assert.equal(execution!.Status, 'Success', JSON.stringify(execution));
  assert.equal(installedVersion(), '2.0');
  assert.deepEqual(log(), ['install-1.0 Install', 'update-2.0 Install'], 'updated in place: v1 was not uninstalled');
  assert.equal((await inventoried('2.0'))[0]!.Version, '2.0');

  // v3's install fails: v2 is uninstalled, v3 tried and removed, v2 installed again.
  const failed = await configure({ action: 'Install', name: 'CapstanDemo', version: '3.0' });
  assert.equal(failed.Status, 'Failed');
  assert.match(failed.StandardErrorContent!, /install of CapstanDemo 3\.0 failed: install\.sh exited with 3; rolled back to 2\.0/);
  assert.deepEqual(log().slice(2), ['uninstall-2.0 Install', 'install-3.0-failing Install', 'uninstall-3.0 Install', 'install-2.0 Install']);
  assert.equal(installedVersion(), '2.0');
  // An in-place update needs the new version's update.sh: v3 has none, and nothing runs.
  const noUpdate = await configure({ action: 'Install', installationType: 'In-place update', name: 'CapstanDemo', version: '3.0' });
  assert.equal(noUpdate.Status, 'Failed');
  assert.match(noUpdate.StandardErrorContent!, /CapstanDemo 3\.0 has no update\.sh, which an In-place update needs; 2\.0 stays installed/);
  assert.equal(log().length, 6);
  assert.equal(installedVersion(), '2.0');
  const summary = await ssm.send(new GetInventoryCommand({ Filters: [{ Key: 'AWS:Application.Name', Values: ['CapstanDemo'], Type: 'Equal' }] }));
  assert.deepEqual(summary.Entities?.map((e) => e.Id), [web.instanceId]);

  // Uninstall, with no version: whatever is installed.
  const removed = await configure({ action: 'Uninstall', name: 'CapstanDemo' });
  assert.equal(removed.Status, 'Success', JSON.stringify(removed));
  assert.match(removed.StandardOutputContent!, /CapstanDemo 2\.0 uninstalled/);
  assert.equal(installedVersion(), undefined);
  assert.equal(log().at(-1), 'uninstall-2.0 Uninstall');
  assert.deepEqual(await inventoried(undefined), []);
});

test('an archive changed in the store is refused by its checksum: nothing is unpacked or run', async () => {
  const good = archive('7.0');
  assert.equal((await putPackageFile(t, good)).status, 200);
  await ssm.send(new CreateDocumentCommand({ Name: 'TamperedDemo', DocumentType: 'Package', Content: manifestOf('7.0', 'demo-7.0.zip', good) }));
  const bad = archive('6.6');
  writeFileSync(join(t.dataDir, 'packages', sha256(good)), bad);
  mkdirSync(target, { recursive: true });
  const before = log();
  const inv = await configure({ action: 'Install', name: 'TamperedDemo' });
  assert.equal(inv.Status, 'Failed');
  assert.match(inv.StandardErrorContent!, new RegExp(`checksum mismatch: the manifest gives sha256 ${sha256(good)}, the downloaded archive has ${sha256(bad)}; it was not unpacked and nothing was installed or removed`));
  assert.deepEqual(log(), before, 'no script ran');
  assert.equal(existsSync(join(web.stateDir, 'packages', 'TamperedDemo', 'installed.json')), false);
});
