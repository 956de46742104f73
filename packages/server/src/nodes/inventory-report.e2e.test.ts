/**
 * aws:softwareInventory end to end: a real agent on this machine runs AWS-GatherSoftwareInventory's
 * content and its report reaches the handler registered on nodeService(core).onInventory, with
 * this machine's real dpkg packages, and every type it collected is stored. A second run sends
 * only what changed.
 *
 * The built-in is a Policy document, which SendCommand refuses (AWS's rule) and which State
 * Manager today also sends through SendCommand's planner (so an association of it fails with
 * InvalidDocument: to be fixed in commands/associations). The test runs the same content as a
 * Command document of its own.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateActivationCommand, CreateDocumentCommand, GetCommandInvocationCommand, GetDocumentCommand, ListInventoryEntriesCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { InventoryItem } from '@capstan/wire';
import { AgentProcess, buildAgentBundle } from '../test-support/agent-process.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { until } from '../test-support/until.js';
import { nodeService } from './index.js';

const work = mkdtempSync(join(tmpdir(), 'capstan-inventory-e2e-'));
let t: TestServer;
let ssm: SSMClient;
let agent: AgentProcess;
const reports: { accountId: string; region: string; instanceId: string; items: InventoryItem[] }[] = [];

before(async () => {
  const [server, bundle] = await Promise.all([startTestServer({ schedulerPollMs: 50, agentPingMs: 5_000 }), buildAgentBundle(join(work, 'agent-bundle'))]);
  t = server;
  // Seen here, then stored by the inventory capability as in production.
  const store = nodeService(t.server.core).inventoryHandler!;
  nodeService(t.server.core).onInventory(async (accountId, region, instanceId, items) => {
    reports.push({ accountId, region, instanceId, items });
    return store(accountId, region, instanceId, items);
  });
  ssm = new SSMClient(t.clientConfig());
  const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
  const stateDir = join(work, 'agent');
  mkdirSync(join(stateDir, 'inventory', 'custom'), { recursive: true });
  writeFileSync(join(stateDir, 'inventory', 'custom', 'rack.json'), JSON.stringify({ SchemaVersion: '1.0', TypeName: 'Custom:RackInfo', Content: { Location: 'DC1' } }));
  agent = await AgentProcess.register({ bundle, endpoint: t.endpoint, activationId: ActivationId!, activationCode: ActivationCode!, stateDir });
  await agent.start();
});

after(async () => {
  await agent?.kill();
  ssm?.destroy();
  await t?.stop();
  rmSync(work, { recursive: true, force: true });
});

const runToEnd = async (DocumentName: string) => {
  const id = (await ssm.send(new SendCommandCommand({ DocumentName, InstanceIds: [agent.instanceId] }))).Command!.CommandId!;
  return until(`command ${id} to end`, async () => {
    const inv = await ssm.send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: agent.instanceId })).catch(() => undefined);
    return inv && ['Success', 'Failed', 'TimedOut', 'Cancelled'].includes(inv.Status!) ? inv : undefined;
  }, { ms: 60_000, every: 200, detail: () => agent.output });
};

test('AWS-GatherSoftwareInventory: the node’s real dpkg packages reach the registered handler; a quiet rerun sends nothing new', async () => {
  const version = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'dpkg'], { encoding: 'utf8' });
  const builtin = await ssm.send(new GetDocumentCommand({ Name: 'AWS-GatherSoftwareInventory' }));
  await ssm.send(new CreateDocumentCommand({ Name: 'Gather-Inventory-Command', DocumentType: 'Command', DocumentFormat: 'JSON', Content: builtin.Content! }));
  const first = await runToEnd('Gather-Inventory-Command');
  assert.equal(first.Status, 'Success', JSON.stringify(first));
  assert.match(first.StandardOutputContent ?? '', /AWS:Application: \d+ collected, sent/);
  const types = () => reports.flatMap((r) => r.items.map((i) => i.TypeName));
  await until('the application inventory', () => types().includes('AWS:Application') && types().includes('Custom:RackInfo'), { ms: 20_000, detail: () => `${JSON.stringify(types())}\n${agent.output}` });
  const report = reports.find((r) => r.items.some((i) => i.TypeName === 'AWS:Application'))!;
  assert.equal(report.instanceId, agent.instanceId);
  assert.equal(report.accountId, t.accountId);
  assert.equal(report.region, t.clientConfig().region);
  const apps = report.items.find((i) => i.TypeName === 'AWS:Application')!;
  const dpkg = apps.Content.find((r) => r.Name === 'dpkg');
  assert.ok(dpkg, 'the dpkg package is reported');
  assert.equal(dpkg.Version, version);
  assert.match(apps.CaptureTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.match(apps.ContentHash, /^[0-9a-f]{64}$/);
  assert.ok(types().includes('AWS:InstanceDetailedInformation'));
  // Every type the agent collected was accepted and stored, not only the packages.
  // Each type travels in its own outbox message: they land one after another.
  // AWS:Service comes from systemd, where the machine runs it.
  const systemd = existsSync('/run/systemd/system');
  for (const type of ['AWS:Application', 'AWS:Network', 'AWS:InstanceDetailedInformation', ...(systemd ? ['AWS:Service'] : []), 'Custom:RackInfo', 'AWS:InstanceInformation']) {
    await until(`${type} stored`, async () => ((await ssm.send(new ListInventoryEntriesCommand({ InstanceId: agent.instanceId, TypeName: type }))).Entries ?? []).length > 0, { ms: 20_000, detail: () => agent.output });
  }
  const details = (await ssm.send(new ListInventoryEntriesCommand({ InstanceId: agent.instanceId, TypeName: 'AWS:InstanceDetailedInformation' }))).Entries![0]!;
  assert.equal(details.KernelVersion, release());

  // Nothing changed on the node but the custom file: the rerun reports only that type.
  writeFileSync(join(agent.stateDir, 'inventory', 'custom', 'rack.json'), JSON.stringify({ SchemaVersion: '1.0', TypeName: 'Custom:RackInfo', Content: { Location: 'DC2' } }));
  const before = reports.length;
  const second = await runToEnd('Gather-Inventory-Command');
  assert.equal(second.Status, 'Success', JSON.stringify(second));
  assert.match(second.StandardOutputContent ?? '', /AWS:Application: \d+ collected, unchanged, not sent/);
  await until('the second report', () => reports.length > before, { ms: 20_000, detail: () => agent.output });
  await new Promise((r) => setTimeout(r, 500));
  const again = reports.slice(before).flatMap((r) => r.items);
  assert.deepEqual(again.map((i) => i.TypeName), ['Custom:RackInfo']);
  assert.deepEqual(again[0]!.Content, [{ Location: 'DC2' }]);
});

test('nothing receives inventory: the report is dropped and the agent is told to send everything next time', async () => {
  const nodes = nodeService(t.server.core);
  const handler = nodes.inventoryHandler;
  nodes.inventoryHandler = undefined;
  writeFileSync(join(agent.stateDir, 'inventory', 'custom', 'rack.json'), JSON.stringify({ SchemaVersion: '1.0', TypeName: 'Custom:RackInfo', Content: { Location: 'DC3' } }));
  const before = reports.length;
  try {
    assert.equal((await runToEnd('Gather-Inventory-Command')).Status, 'Success');
    await until('the agent to forget its inventory hashes', () => !existsSync(join(agent.stateDir, 'inventory', 'hashes.json')), { ms: 20_000, detail: () => agent.output });
  } finally {
    nodes.inventoryHandler = handler;
  }
  assert.equal(reports.length, before, 'no handler saw the dropped report');
  const run = await runToEnd('Gather-Inventory-Command');
  assert.match(run.StandardOutputContent ?? '', /AWS:Application: \d+ collected, sent/);
  await until('the full report', () => reports.slice(before).flatMap((r) => r.items.map((i) => i.TypeName)).includes('AWS:Application'), { ms: 20_000, detail: () => agent.output });
});
