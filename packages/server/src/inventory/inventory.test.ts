import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  AddTagsToResourceCommand,
  CreateActivationCommand,
  RemoveTagsFromResourceCommand,
  DeleteInventoryCommand,
  DescribeInventoryDeletionsCommand,
  GetInventoryCommand,
  GetInventorySchemaCommand,
  ListInventoryEntriesCommand,
  PutInventoryCommand,
  SSMClient,
  type InventoryItem,
} from '@aws-sdk/client-ssm';
import { onEveryEngine } from '../test-support/engines.js';
import { SimulatedAgent } from '../test-support/sim-agent.js';
import { startTestServer, type Engine, type TestServer } from '../test-support/server.js';
import { nodeService } from '../nodes/index.js';
import { compareVersions } from './versions.js';
import { inventoryService } from './index.js';

const CAPTURE = '2026-11-25T10:00:00Z';
const apps = (...list: [string, string][]): InventoryItem => ({ TypeName: 'AWS:Application', SchemaVersion: '1.1', CaptureTime: CAPTURE, Content: list.map(([Name, Version]) => ({ Name, Version })) });

test('the version order is natural and dpkg-like', () => {
  const ordered = ['1.0~rc1', '1.0', '1.0.1', '1.0.1a', '1.2', '1.10', '3.0.2', '3.0.9', '3.0.13', '3.1', '1:0.1'];
  for (let i = 0; i + 1 < ordered.length; i++) assert.equal(compareVersions(ordered[i]!, ordered[i + 1]!), -1, `${ordered[i]} < ${ordered[i + 1]}`);
  assert.equal(compareVersions('3.0.013', '3.0.13'), 0);
  assert.equal(compareVersions('3.0.2-0ubuntu1.15', '3.0.13'), -1);
});

onEveryEngine('Inventory', (engine: Engine) => {
  let t: TestServer;
  const agents: SimulatedAgent[] = [];
  const ssm = () => new SSMClient(t.clientConfig());

  before(async () => {
    t = await startTestServer({ engine });
  });
  after(async () => {
    for (const a of agents) await a.close();
    await t.stop();
  });

  async function node(platform = 'Linux'): Promise<string> {
    const { ActivationId, ActivationCode } = await ssm().send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
    const a = new SimulatedAgent(t.endpoint, `inv-${agents.length}`);
    await a.register(ActivationId!, ActivationCode!);
    await a.connect();
    agents.push(a);
    if (platform !== 'Linux') await nodeService(t.server.core).update(a.instanceId, { platform_type: platform });
    return a.instanceId;
  }

  async function rejects(p: Promise<unknown>, code: string): Promise<void> {
    await assert.rejects(p, (e: Error) => {
      assert.equal(e.name, code, e.message);
      return true;
    });
  }

  let n1: string, n2: string, n3: string;
  before(async () => {
    n1 = await node('Linux');
    n2 = await node('Linux');
    n3 = await node('Windows');
    await ssm().send(new PutInventoryCommand({ InstanceId: n1, Items: [apps(['openssl', '3.0.2-0ubuntu1.15'], ['curl', '7.81.0'])] }));
    await ssm().send(new PutInventoryCommand({ InstanceId: n2, Items: [apps(['openssl', '3.0.13'], ['curl', '8.5.0'])] }));
    // Through the service, as the nodes capability calls it for what an agent reports.
    await inventoryService(t.server.core).put(t.accountId, 'us-east-1', n3, [apps(['openssl', '1.1.1w'], ['7zip', '23.01'])] as never);
  });

  test('entries round-trip and the node gets AWS:InstanceInformation from the server', async () => {
    const r = await ssm().send(new ListInventoryEntriesCommand({ InstanceId: n1, TypeName: 'AWS:Application' }));
    assert.equal(r.SchemaVersion, '1.1');
    assert.equal(r.CaptureTime, CAPTURE);
    assert.deepEqual(r.Entries, [{ Name: 'openssl', Version: '3.0.2-0ubuntu1.15' }, { Name: 'curl', Version: '7.81.0' }]);
    const filtered = await ssm().send(new ListInventoryEntriesCommand({ InstanceId: n1, TypeName: 'AWS:Application', Filters: [{ Key: 'AWS:Application.Name', Values: ['curl'], Type: 'Equal' }] }));
    assert.deepEqual(filtered.Entries, [{ Name: 'curl', Version: '7.81.0' }]);
    const info = await ssm().send(new ListInventoryEntriesCommand({ InstanceId: n3, TypeName: 'AWS:InstanceInformation' }));
    assert.equal(info.Entries![0]!.InstanceId, n3);
    assert.equal(info.Entries![0]!.PlatformType, 'Windows');
    const paged = await ssm().send(new ListInventoryEntriesCommand({ InstanceId: n1, TypeName: 'AWS:Application', MaxResults: 1 }));
    assert.equal(paged.Entries!.length, 1);
    const rest = await ssm().send(new ListInventoryEntriesCommand({ InstanceId: n1, TypeName: 'AWS:Application', MaxResults: 1, NextToken: paged.NextToken }));
    assert.deepEqual(rest.Entries, [{ Name: 'curl', Version: '7.81.0' }]);
    assert.equal(rest.NextToken, undefined);
  });

  test('GetInventory: which nodes have openssl older than 3.0.13', async () => {
    const r = await ssm().send(
      new GetInventoryCommand({
        Filters: [
          { Key: 'AWS:Application.Name', Values: ['openssl'], Type: 'Equal' },
          { Key: 'AWS:Application.Version', Values: ['3.0.13'], Type: 'LessThan' },
        ],
      }),
    );
    assert.deepEqual(r.Entities!.map((e) => e.Id).sort(), [n1, n3].sort());
    // Filters of one type hold on the same entry: curl 7.81.0 is older, but it is not openssl.
    const none = await ssm().send(new GetInventoryCommand({ Filters: [{ Key: 'AWS:Application.Name', Values: ['openssl'] }, { Key: 'AWS:Application.Version', Values: ['1.0'], Type: 'LessThan' }] }));
    assert.deepEqual(none.Entities, []);
    const newer = await ssm().send(new GetInventoryCommand({ Filters: [{ Key: 'AWS:Application.Name', Values: ['open'], Type: 'BeginWith' }, { Key: 'AWS:Application.Version', Values: ['3.0.5'], Type: 'GreaterThan' }] }));
    assert.deepEqual(newer.Entities!.map((e) => e.Id), [n2]);
    const windows = await ssm().send(new GetInventoryCommand({ Filters: [{ Key: 'AWS:InstanceInformation.PlatformType', Values: ['Linux'], Type: 'NotEqual' }], ResultAttributes: [{ TypeName: 'AWS:Application' }] }));
    assert.deepEqual(windows.Entities!.map((e) => e.Id), [n3]);
    assert.deepEqual(windows.Entities![0]!.Data!['AWS:Application']!.Content, [{ Name: 'openssl', Version: '1.1.1w' }, { Name: '7zip', Version: '23.01' }]);
    const exists = await ssm().send(new GetInventoryCommand({ Filters: [{ Key: 'AWS:Application.Name', Values: ['7zip'] }] }));
    assert.equal(exists.Entities![0]!.Data!['AWS:InstanceInformation']!.Content![0]!.InstanceId, n3);
  });

  test('aggregators count nodes by platform and by version; groups count matching nodes', async () => {
    const r = await ssm().send(new GetInventoryCommand({ Aggregators: [{ Expression: 'AWS:InstanceInformation.PlatformType' }] }));
    assert.deepEqual(r.Entities![0]!.Data!['AWS:InstanceInformation']!.Content, [
      { PlatformType: 'Linux', Count: '2' },
      { PlatformType: 'Windows', Count: '1' },
    ]);
    const v = await ssm().send(new GetInventoryCommand({ Filters: [{ Key: 'AWS:Application.Name', Values: ['openssl'] }, { Key: 'AWS:Application.Version', Values: ['3.0.13'], Type: 'LessThan' }], Aggregators: [{ Expression: 'AWS:InstanceInformation.PlatformType' }] }));
    assert.deepEqual(v.Entities![0]!.Data!['AWS:InstanceInformation']!.Content, [
      { PlatformType: 'Linux', Count: '1' },
      { PlatformType: 'Windows', Count: '1' },
    ]);
    const versions = await ssm().send(new GetInventoryCommand({ Filters: [{ Key: 'AWS:Application.Name', Values: ['openssl'] }], Aggregators: [{ Expression: 'AWS:Application.Version' }] }));
    assert.deepEqual(versions.Entities![0]!.Data!['AWS:Application']!.Content, [
      { Version: '1.1.1w', Count: '1' },
      { Version: '3.0.13', Count: '1' },
      { Version: '3.0.2-0ubuntu1.15', Count: '1' },
    ]);
    const g = await ssm().send(
      new GetInventoryCommand({
        Aggregators: [{ Expression: 'AWS:Application.Name', Groups: [{ Name: 'HasCurl', Filters: [{ Key: 'AWS:Application.Name', Values: ['curl'] }] }, { Name: 'Has7zip', Filters: [{ Key: 'AWS:Application.Name', Values: ['7zip'] }] }] }],
      }),
    );
    assert.deepEqual(g.Entities![0]!.Data!['AWS:Application']!.Content, [
      { Name: 'HasCurl', Count: '2' },
      { Name: 'Has7zip', Count: '1' },
    ]);
    await rejects(ssm().send(new GetInventoryCommand({ Aggregators: [{ Expression: 'AWS:Application.Nope' }] })), 'InvalidAggregatorException');
    await rejects(ssm().send(new GetInventoryCommand({ Filters: [{ Key: 'AWS:Nope.Name', Values: ['x'] }] })), 'InvalidTypeNameException');
    await rejects(ssm().send(new GetInventoryCommand({ Filters: [{ Key: 'AWS:Application.Colour', Values: ['x'] }] })), 'InvalidFilter');
    await rejects(ssm().send(new GetInventoryCommand({ ResultAttributes: [{ TypeName: 'Custom:Nope' }] })), 'InvalidResultAttributeException');
  });

  test("AWS:Tag is the node's tags, written by the server at each report; a client may not send it", async () => {
    const tags = (id: string) => ssm().send(new ListInventoryEntriesCommand({ InstanceId: id, TypeName: 'AWS:Tag' }));
    await ssm().send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: n2, Tags: [{ Key: 'Env', Value: 'prod' }, { Key: 'Team', Value: 'web' }] }));
    assert.deepEqual((await tags(n2)).Entries, [], 'written at the next report, not before');
    await ssm().send(new PutInventoryCommand({ InstanceId: n2, Items: [apps(['openssl', '3.0.13'], ['curl', '8.5.0'])] }));
    assert.deepEqual((await tags(n2)).Entries, [{ Key: 'Env', Value: 'prod' }, { Key: 'Team', Value: 'web' }]);
    const prod = await ssm().send(new GetInventoryCommand({ Filters: [{ Key: 'AWS:Tag.Key', Values: ['Env'] }, { Key: 'AWS:Tag.Value', Values: ['prod'] }], ResultAttributes: [{ TypeName: 'AWS:Tag' }] }));
    assert.deepEqual(prod.Entities!.map((e) => e.Id), [n2]);
    assert.deepEqual(prod.Entities![0]!.Data!['AWS:Tag']!.Content, [{ Key: 'Env', Value: 'prod' }, { Key: 'Team', Value: 'web' }]);
    await rejects(ssm().send(new PutInventoryCommand({ InstanceId: n1, Items: [{ TypeName: 'AWS:Tag', SchemaVersion: '1.0', CaptureTime: CAPTURE, Content: [{ Key: 'Env', Value: 'prod' }] }] })), 'InvalidTypeNameException');
    assert.deepEqual((await tags(n1)).Entries, []);
    // Every tag removed: the next report takes the item away.
    await ssm().send(new RemoveTagsFromResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: n2, TagKeys: ['Env', 'Team'] }));
    await ssm().send(new PutInventoryCommand({ InstanceId: n2, Items: [apps(['openssl', '3.0.13'], ['curl', '8.5.0'])] }));
    assert.deepEqual((await tags(n2)).Entries, []);
    assert.deepEqual((await ssm().send(new GetInventoryCommand({ Filters: [{ Key: 'AWS:Tag.Key', Values: ['Env'] }] }))).Entities, []);
  });

  test('GetInventory pages', async () => {
    const first = await ssm().send(new GetInventoryCommand({ MaxResults: 2 }));
    assert.equal(first.Entities!.length, 2);
    const second = await ssm().send(new GetInventoryCommand({ MaxResults: 2, NextToken: first.NextToken }));
    assert.ok(second.Entities!.length >= 1);
    assert.equal(new Set([...first.Entities!, ...second.Entities!].map((e) => e.Id)).size, first.Entities!.length + second.Entities!.length);
    await rejects(ssm().send(new GetInventoryCommand({ NextToken: 'bogus' })), 'InvalidNextToken');
  });

  test('custom inventory round-trips and appears in the schema', async () => {
    const rack: InventoryItem = { TypeName: 'Custom:RackInfo', SchemaVersion: '1.0', CaptureTime: CAPTURE, Content: [{ RackLocation: 'Bay B/Row C/Rack D', Owner: 'ops' }] };
    await ssm().send(new PutInventoryCommand({ InstanceId: n2, Items: [rack] }));
    const r = await ssm().send(new ListInventoryEntriesCommand({ InstanceId: n2, TypeName: 'Custom:RackInfo' }));
    assert.deepEqual(r.Entries, rack.Content);
    const s = await ssm().send(new GetInventorySchemaCommand({ TypeName: 'Custom:RackInfo' }));
    assert.deepEqual(s.Schemas, [{ TypeName: 'Custom:RackInfo', Version: '1.0', Attributes: [{ Name: 'RackLocation', DataType: 'string' }, { Name: 'Owner', DataType: 'string' }] }]);
    const all = await ssm().send(new GetInventorySchemaCommand({}));
    for (const name of ['AWS:Application', 'AWS:Network', 'AWS:InstanceDetailedInformation', 'AWS:Service', 'AWS:File', 'AWS:Tag', 'AWS:InstanceInformation', 'Custom:RackInfo']) assert.ok(all.Schemas!.some((x) => x.TypeName === name), name);
    const q = await ssm().send(new GetInventoryCommand({ Filters: [{ Key: 'Custom:RackInfo.RackLocation', Values: ['Bay B'], Type: 'BeginWith' }] }));
    assert.deepEqual(q.Entities!.map((e) => e.Id), [n2]);
    await rejects(ssm().send(new GetInventorySchemaCommand({ TypeName: 'Custom:Nope' })), 'InvalidTypeNameException');
  });

  test('bad items get AWS errors and nothing is written', async () => {
    const good: InventoryItem = { TypeName: 'AWS:Service', SchemaVersion: '1.0', CaptureTime: CAPTURE, Content: [{ Name: 'sshd', Status: 'Running' }] };
    const before = await ssm().send(new ListInventoryEntriesCommand({ InstanceId: n1, TypeName: 'AWS:Application' }));
    const bad: [InventoryItem, string][] = [
      [{ TypeName: 'AWS:Nope', SchemaVersion: '1.0', CaptureTime: CAPTURE, Content: [] }, 'InvalidTypeNameException'],
      [{ TypeName: 'AWS:InstanceInformation', SchemaVersion: '1.0', CaptureTime: CAPTURE, Content: [] }, 'InvalidTypeNameException'],
      [{ TypeName: 'Custom:bad name!', SchemaVersion: '1.0', CaptureTime: CAPTURE, Content: [] }, 'InvalidTypeNameException'],
      [{ TypeName: 'AWS:Application', SchemaVersion: '2.0', CaptureTime: CAPTURE, Content: [] }, 'UnsupportedInventorySchemaVersionException'],
      [{ TypeName: 'AWS:Application', SchemaVersion: '1.1', CaptureTime: CAPTURE, Content: [{ Name: 'x', Colour: 'red' }] }, 'InvalidItemContentException'],
      [{ TypeName: 'Custom:RackInfo', SchemaVersion: '1.0', CaptureTime: CAPTURE, Content: [{ Shelf: '3' }] }, 'InvalidItemContentException'],
      [{ TypeName: 'Custom:Wide', SchemaVersion: '1.0', CaptureTime: CAPTURE, Content: [Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`A${i}`, 'v']))] }, 'InvalidItemContentException'],
      [{ TypeName: 'Custom:Big', SchemaVersion: '1.0', CaptureTime: CAPTURE, Content: Array.from({ length: 300 }, (_, i) => ({ Blob: 'x'.repeat(1000) + i })) }, 'ItemSizeLimitExceededException'],
      [{ TypeName: 'AWS:Application', SchemaVersion: '1.1', CaptureTime: CAPTURE, Content: [], Context: { Nope: '1' } }, 'InvalidInventoryItemContextException'],
      [{ TypeName: 'AWS:Application', SchemaVersion: '1.x', CaptureTime: CAPTURE, Content: [] }, 'ValidationException'],
    ];
    for (const [item, code] of bad) await rejects(ssm().send(new PutInventoryCommand({ InstanceId: n1, Items: [good, item] })), code);
    // Three AWS items of 900 KB each pass one by one but not together (2 MB a call).
    const chunky = (type: string): InventoryItem => ({ TypeName: type, SchemaVersion: '1.0', CaptureTime: CAPTURE, Content: Array.from({ length: 900 }, () => ({ Name: 'x'.repeat(1000) })) });
    await rejects(ssm().send(new PutInventoryCommand({ InstanceId: n1, Items: [chunky('AWS:File'), chunky('AWS:Network'), { ...chunky('AWS:Application'), SchemaVersion: '1.1' }] })), 'TotalSizeLimitExceededException');
    const many = Array.from({ length: 21 }, (_, k): InventoryItem => ({ TypeName: `Custom:T${k}`, SchemaVersion: '1.0', CaptureTime: CAPTURE, Content: [{ A: 'b' }] }));
    await rejects(ssm().send(new PutInventoryCommand({ InstanceId: n1, Items: [good, ...many] })), 'CustomSchemaCountLimitExceededException');
    await rejects(ssm().send(new PutInventoryCommand({ InstanceId: 'mi-0123456789abcdef0', Items: [good] })), 'InvalidInstanceId');
    const after = await ssm().send(new ListInventoryEntriesCommand({ InstanceId: n1, TypeName: 'AWS:Application' }));
    assert.deepEqual(after.Entries, before.Entries);
    for (const type of ['AWS:Service', 'AWS:File', 'AWS:Network']) assert.deepEqual((await ssm().send(new ListInventoryEntriesCommand({ InstanceId: n1, TypeName: type }))).Entries, [], type);
    const schemas = await ssm().send(new GetInventorySchemaCommand({}));
    assert.ok(!schemas.Schemas!.some((s) => ['Custom:Wide', 'Custom:Big', 'Custom:T0'].includes(s.TypeName!)));
  });

  test('an item with the stored ContentHash is not written again; a different content under it is a mismatch', async () => {
    const item: InventoryItem = { TypeName: 'Custom:Hashed', SchemaVersion: '1.0', CaptureTime: CAPTURE, ContentHash: 'h1', Content: [{ A: '1' }] };
    await ssm().send(new PutInventoryCommand({ InstanceId: n3, Items: [item] }));
    await ssm().send(new PutInventoryCommand({ InstanceId: n3, Items: [{ ...item, CaptureTime: '2026-11-26T10:00:00Z', Content: [] }] }));
    const r = await ssm().send(new ListInventoryEntriesCommand({ InstanceId: n3, TypeName: 'Custom:Hashed' }));
    assert.equal(r.CaptureTime, CAPTURE);
    assert.deepEqual(r.Entries, [{ A: '1' }]);
    await rejects(ssm().send(new PutInventoryCommand({ InstanceId: n3, Items: [{ ...item, Content: [{ A: '2' }] }] })), 'ItemContentMismatchException');
    await ssm().send(new PutInventoryCommand({ InstanceId: n3, Items: [{ ...item, ContentHash: 'h2', Content: [{ A: '2' }] }] }));
    assert.deepEqual((await ssm().send(new ListInventoryEntriesCommand({ InstanceId: n3, TypeName: 'Custom:Hashed' }))).Entries, [{ A: '2' }]);
  });

  test('agent reports: an unchanged marker the server cannot match asks for a full resend; a bad report is dropped', async () => {
    const svc = inventoryService(t.server.core);
    const net = { TypeName: 'AWS:Network', SchemaVersion: '1.0', CaptureTime: CAPTURE, ContentHash: 'n1', Content: [{ Name: 'eth0', IPV4: '10.0.0.5' }] };
    assert.deepEqual(await svc.report(t.accountId, 'us-east-1', n2, [net]), {});
    assert.deepEqual(await svc.report(t.accountId, 'us-east-1', n2, [{ ...net, Content: [] }]), {});
    assert.deepEqual(await svc.report(t.accountId, 'us-east-1', n2, [{ ...net, ContentHash: 'n2', Content: [] }]), { resend: true });
    assert.deepEqual(await svc.report(t.accountId, 'us-east-1', n2, [{ ...net, TypeName: 'AWS:Nope' }]), {});
    assert.deepEqual((await ssm().send(new ListInventoryEntriesCommand({ InstanceId: n2, TypeName: 'AWS:Network' }))).Entries, net.Content);
  });

  test('DeleteInventory: dry run, DisableSchema, DeleteSchema; DescribeInventoryDeletions', async () => {
    const item = (v: string, n: string): InventoryItem => ({ TypeName: 'Custom:Temp', SchemaVersion: v, CaptureTime: CAPTURE, Content: [{ N: n }] });
    await ssm().send(new PutInventoryCommand({ InstanceId: n1, Items: [item('1.0', 'a')] }));
    await ssm().send(new PutInventoryCommand({ InstanceId: n2, Items: [item('1.0', 'b')] }));
    const dry = await ssm().send(new DeleteInventoryCommand({ TypeName: 'Custom:Temp', DryRun: true }));
    assert.deepEqual(dry.DeletionSummary, { TotalCount: 2, RemainingCount: 2, SummaryItems: [{ Version: '1.0', Count: 2, RemainingCount: 2 }] });
    assert.equal((await ssm().send(new ListInventoryEntriesCommand({ InstanceId: n1, TypeName: 'Custom:Temp' }))).Entries!.length, 1);

    const off = await ssm().send(new DeleteInventoryCommand({ TypeName: 'Custom:Temp', SchemaDeleteOption: 'DisableSchema' }));
    assert.equal(off.DeletionSummary!.RemainingCount, 0);
    assert.ok(!(await ssm().send(new GetInventorySchemaCommand({}))).Schemas!.some((s) => s.TypeName === 'Custom:Temp'));
    await rejects(ssm().send(new PutInventoryCommand({ InstanceId: n1, Items: [item('1.0', 'c')] })), 'UnsupportedInventorySchemaVersionException');
    await ssm().send(new PutInventoryCommand({ InstanceId: n1, Items: [item('2.0', 'c')] }));
    assert.equal((await ssm().send(new GetInventorySchemaCommand({ TypeName: 'Custom:Temp' }))).Schemas![0]!.Version, '2.0');

    const gone = await ssm().send(new DeleteInventoryCommand({ TypeName: 'Custom:Temp', SchemaDeleteOption: 'DeleteSchema' }));
    await rejects(ssm().send(new GetInventorySchemaCommand({ TypeName: 'Custom:Temp' })), 'InvalidTypeNameException');
    assert.deepEqual((await ssm().send(new ListInventoryEntriesCommand({ InstanceId: n1, TypeName: 'AWS:Application' }))).Entries!.length, 2);

    const one = await ssm().send(new DescribeInventoryDeletionsCommand({ DeletionId: gone.DeletionId }));
    assert.equal(one.InventoryDeletions![0]!.TypeName, 'Custom:Temp');
    assert.equal(one.InventoryDeletions![0]!.LastStatus, 'Complete');
    const all = await ssm().send(new DescribeInventoryDeletionsCommand({}));
    assert.deepEqual(new Set(all.InventoryDeletions!.map((d) => d.DeletionId)), new Set([off.DeletionId, gone.DeletionId]));

    await rejects(ssm().send(new DeleteInventoryCommand({ TypeName: 'AWS:Application' })), 'InvalidTypeNameException');
    await rejects(ssm().send(new DeleteInventoryCommand({ TypeName: 'Custom:Never' })), 'InvalidTypeNameException');
    await rejects(ssm().send(new DeleteInventoryCommand({ TypeName: 'Custom:RackInfo', SchemaDeleteOption: 'Shred' as never })), 'InvalidOptionException');
    await rejects(ssm().send(new DescribeInventoryDeletionsCommand({ DeletionId: 'nope' })), 'InvalidDeletionIdException');
  });
});
