import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CreateActivationCommand, CreateResourceDataSyncCommand, DeleteInventoryCommand, DeleteResourceDataSyncCommand, ListInventoryEntriesCommand, ListResourceDataSyncCommand, PutInventoryCommand, SSMClient, UpdateResourceDataSyncCommand } from '@aws-sdk/client-ssm';
import { startS3Store, type TestS3Store } from '../test-support/s3-store.js';
import { onEveryEngine } from '../test-support/engines.js';
import { SimulatedAgent } from '../test-support/sim-agent.js';
import { startTestServer, type Engine, type TestServer } from '../test-support/server.js';

const CAPTURE = '2026-11-25T10:00:00Z';

onEveryEngine('Inventory resource data sync', (engine: Engine) => {
  let t: TestServer;
  let root: string;
  const agents: SimulatedAgent[] = [];
  const ssm = () => new SSMClient(t.clientConfig());

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'capstan-sync-'));
    process.env.CAPSTAN_RESOURCE_DATA_SYNC_DIR = root;
    t = await startTestServer({ engine });
  });
  after(async () => {
    for (const a of agents) await a.close();
    await t.stop();
    delete process.env.CAPSTAN_RESOURCE_DATA_SYNC_DIR;
    rmSync(root, { recursive: true, force: true });
  });

  async function node(): Promise<string> {
    const { ActivationId, ActivationCode } = await ssm().send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
    const a = new SimulatedAgent(t.endpoint, `sync-${agents.length}`);
    await a.register(ActivationId!, ActivationCode!);
    await a.connect();
    agents.push(a);
    return a.instanceId;
  }

  const fileOf = (prefix: string, type: string, id: string) => join(root, 'inventory-bucket', prefix, type, `accountid=${t.accountId}`, 'region=us-east-1', 'resourcetype=ManagedInstanceInventory', `${id}.json`);
  const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);

  test('the fleet inventory lands as JSON lines in the directory, on create and on each report', async () => {
    const n1 = await node();
    await ssm().send(new PutInventoryCommand({ InstanceId: n1, Items: [{ TypeName: 'AWS:Application', SchemaVersion: '1.1', CaptureTime: CAPTURE, Content: [{ Name: 'openssl', Version: '3.0.2' }] }] }));
    await ssm().send(new CreateResourceDataSyncCommand({ SyncName: 'fleet', S3Destination: { BucketName: 'inventory-bucket', Prefix: 'prod', SyncFormat: 'JsonSerDe', Region: 'us-east-1' } }));
    assert.deepEqual(lines(fileOf('prod', 'AWS:Application', n1)), [{ Name: 'openssl', Version: '3.0.2', resourceId: n1, captureTime: CAPTURE, schemaVersion: '1.1', resourceType: 'managedInstance' }]);
    assert.equal(lines(fileOf('prod', 'AWS:InstanceInformation', n1))[0]!.InstanceId, n1);

    const n2 = await node();
    await ssm().send(new PutInventoryCommand({ InstanceId: n2, Items: [{ TypeName: 'Custom:Rack', SchemaVersion: '1.0', CaptureTime: CAPTURE, Content: [{ Row: 'C' }, { Row: 'D' }] }] }));
    assert.deepEqual(lines(fileOf('prod', 'Custom:Rack', n2)).map((l) => l.Row), ['C', 'D']);

    const list = await ssm().send(new ListResourceDataSyncCommand({}));
    assert.equal(list.ResourceDataSyncItems!.length, 1);
    const s = list.ResourceDataSyncItems![0]!;
    assert.equal(s.SyncName, 'fleet');
    assert.equal(s.SyncType, 'SyncToDestination');
    assert.equal(s.LastStatus, 'Successful');
    assert.deepEqual(s.S3Destination, { BucketName: 'inventory-bucket', Prefix: 'prod', SyncFormat: 'JsonSerDe', Region: 'us-east-1' });

    await assert.rejects(ssm().send(new CreateResourceDataSyncCommand({ SyncName: 'fleet', S3Destination: { BucketName: 'inventory-bucket', SyncFormat: 'JsonSerDe', Region: 'us-east-1' } })), { name: 'ResourceDataSyncAlreadyExistsException' });
    await assert.rejects(ssm().send(new CreateResourceDataSyncCommand({ SyncName: 'escape', S3Destination: { BucketName: 'inventory-bucket', Prefix: '../other-bucket', SyncFormat: 'JsonSerDe', Region: 'us-east-1' } })), { name: 'ResourceDataSyncInvalidConfigurationException' });
    await assert.rejects(ssm().send(new CreateResourceDataSyncCommand({ SyncName: 'bad', S3Destination: { BucketName: 'Not_A_Bucket', SyncFormat: 'JsonSerDe', Region: 'us-east-1' } })), { name: 'ResourceDataSyncInvalidConfigurationException' });
    await assert.rejects(ssm().send(new CreateResourceDataSyncCommand({ SyncName: 'bad', S3Destination: { BucketName: 'inventory-bucket', SyncFormat: 'Parquet' as never, Region: 'us-east-1' } })), { name: 'ResourceDataSyncInvalidConfigurationException' });
    await assert.rejects(ssm().send(new CreateResourceDataSyncCommand({ SyncName: 'bad' })), { name: 'ResourceDataSyncInvalidConfigurationException' });
    await assert.rejects(ssm().send(new CreateResourceDataSyncCommand({ SyncName: 'bad', SyncType: 'SyncSideways', S3Destination: { BucketName: 'inventory-bucket', SyncFormat: 'JsonSerDe', Region: 'us-east-1' } })), { name: 'ResourceDataSyncInvalidConfigurationException' });
    assert.deepEqual((await ssm().send(new ListResourceDataSyncCommand({}))).ResourceDataSyncItems!.map((i) => i.SyncName), ['fleet'], 'nothing written by the refused ones');

    await ssm().send(new DeleteResourceDataSyncCommand({ SyncName: 'fleet' }));
    assert.deepEqual((await ssm().send(new ListResourceDataSyncCommand({}))).ResourceDataSyncItems, []);
    await assert.rejects(ssm().send(new DeleteResourceDataSyncCommand({ SyncName: 'fleet' })), { name: 'ResourceDataSyncNotFoundException' });
    // No sync: reports no longer reach the directory.
    await ssm().send(new PutInventoryCommand({ InstanceId: n2, Items: [{ TypeName: 'Custom:Other', SchemaVersion: '1.0', CaptureTime: CAPTURE, Content: [{ A: 'b' }] }] }));
    assert.equal(existsSync(fileOf('prod', 'Custom:Other', n2)), false);
  });

  test('SyncFromSource keeps its regions, and UpdateResourceDataSync changes only that kind of sync', async () => {
    await ssm().send(new CreateResourceDataSyncCommand({ SyncName: 'explorer', SyncType: 'SyncFromSource', SyncSource: { SourceType: 'SingleAccountMultiRegions', SourceRegions: ['us-east-1', 'eu-west-1'], IncludeFutureRegions: false } }));
    await ssm().send(new CreateResourceDataSyncCommand({ SyncName: 'files', S3Destination: { BucketName: 'inventory-bucket', SyncFormat: 'JsonSerDe', Region: 'us-east-1' } }));
    const sources = await ssm().send(new ListResourceDataSyncCommand({ SyncType: 'SyncFromSource' }));
    assert.equal(sources.ResourceDataSyncItems!.length, 1);
    const src = sources.ResourceDataSyncItems![0]!;
    assert.equal(src.SyncName, 'explorer');
    assert.equal(src.S3Destination, undefined);
    assert.deepEqual(src.SyncSource!.SourceRegions, ['us-east-1', 'eu-west-1']);
    assert.equal(src.LastStatus, 'Successful');

    await ssm().send(new UpdateResourceDataSyncCommand({ SyncName: 'explorer', SyncType: 'SyncFromSource', SyncSource: { SourceType: 'SingleAccountMultiRegions', SourceRegions: ['eu-central-1'], IncludeFutureRegions: true } }));
    const updated = (await ssm().send(new ListResourceDataSyncCommand({ SyncType: 'SyncFromSource' }))).ResourceDataSyncItems![0]!;
    assert.deepEqual(updated.SyncSource!.SourceRegions, ['eu-central-1']);
    assert.equal(updated.SyncSource!.IncludeFutureRegions, true);
    assert.ok(updated.SyncLastModifiedTime!.getTime() >= src.SyncLastModifiedTime!.getTime());

    const invalid = 'ResourceDataSyncInvalidConfigurationException';
    const cases: [() => Promise<unknown>, string][] = [
      [() => ssm().send(new UpdateResourceDataSyncCommand({ SyncName: 'nope', SyncType: 'SyncFromSource', SyncSource: { SourceType: 'SingleAccountMultiRegions', SourceRegions: ['us-east-1'] } })), 'ResourceDataSyncNotFoundException'],
      [() => ssm().send(new UpdateResourceDataSyncCommand({ SyncName: 'files', SyncType: 'SyncFromSource', SyncSource: { SourceType: 'SingleAccountMultiRegions', SourceRegions: ['us-east-1'] } })), 'ResourceDataSyncNotFoundException'],
      [() => ssm().send(new UpdateResourceDataSyncCommand({ SyncName: 'files', SyncType: 'SyncToDestination', SyncSource: { SourceType: 'SingleAccountMultiRegions', SourceRegions: ['us-east-1'] } })), invalid],
      [() => ssm().send(new UpdateResourceDataSyncCommand({ SyncName: 'explorer', SyncType: 'SyncFromSource', SyncSource: { SourceType: 'AwsOrganizations', SourceRegions: ['us-east-1'] } })), invalid],
      [() => ssm().send(new UpdateResourceDataSyncCommand({ SyncName: 'explorer', SyncType: 'SyncFromSource', SyncSource: { SourceType: 'SingleAccountMultiRegions', SourceRegions: ['not a region'] } })), invalid],
      [() => ssm().send(new CreateResourceDataSyncCommand({ SyncName: 'org', SyncType: 'SyncFromSource', SyncSource: { SourceType: 'AwsOrganizations', SourceRegions: ['us-east-1'], AwsOrganizationsSource: { OrganizationSourceType: 'EntireOrganization' } } })), invalid],
      [() => ssm().send(new CreateResourceDataSyncCommand({ SyncName: 'both', SyncType: 'SyncFromSource', SyncSource: { SourceType: 'SingleAccountMultiRegions', SourceRegions: ['us-east-1'] }, S3Destination: { BucketName: 'inventory-bucket', SyncFormat: 'JsonSerDe', Region: 'us-east-1' } })), invalid],
      [() => ssm().send(new CreateResourceDataSyncCommand({ SyncName: 'nosrc', SyncType: 'SyncFromSource' })), invalid],
    ];
    for (const [call, code] of cases) await assert.rejects(call(), { name: code });
    assert.deepEqual((await ssm().send(new ListResourceDataSyncCommand({ SyncType: 'SyncFromSource' }))).ResourceDataSyncItems!.map((i) => i.SyncSource!.SourceRegions), [['eu-central-1']], 'the refused update changed nothing');
    assert.deepEqual((await ssm().send(new ListResourceDataSyncCommand({}))).ResourceDataSyncItems!.map((i) => i.SyncName), ['explorer', 'files']);
    await ssm().send(new DeleteResourceDataSyncCommand({ SyncName: 'explorer', SyncType: 'SyncFromSource' }));
    await ssm().send(new DeleteResourceDataSyncCommand({ SyncName: 'files' }));
  });
});

onEveryEngine('Inventory resource data sync to an S3-compatible store', (engine: Engine) => {
  let t: TestServer;
  let store: TestS3Store;
  const agents: SimulatedAgent[] = [];
  const ssm = () => new SSMClient(t.clientConfig());

  before(async () => {
    store = await startS3Store();
    t = await startTestServer({ engine, s3: store.config });
  });
  after(async () => {
    for (const a of agents) await a.close();
    await t.stop();
    await store.close();
  });

  test('objects are PUT, SigV4-signed, under the bucket and prefix; a type gone is DELETEd; a store that fails marks the sync Failed without refusing reports', async () => {
    const { ActivationId, ActivationCode } = await ssm().send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
    const a = new SimulatedAgent(t.endpoint, 'sync-s3');
    await a.register(ActivationId!, ActivationCode!);
    await a.connect();
    agents.push(a);
    const id = a.instanceId;
    const put = (type: string, content: Record<string, string>[]) => ssm().send(new PutInventoryCommand({ InstanceId: id, Items: [{ TypeName: type, SchemaVersion: type.startsWith('Custom:') ? '1.0' : '1.1', CaptureTime: CAPTURE, Content: content }] }));
    await put('AWS:Application', [{ Name: 'openssl', Version: '3.0.2' }]);
    await ssm().send(new CreateResourceDataSyncCommand({ SyncName: 'lake', S3Destination: { BucketName: 'fleet-lake', Prefix: 'inventory/', SyncFormat: 'JsonSerDe', Region: 'us-east-1' } }));
    const key = (type: string) => `/fleet-lake/inventory/${type}/accountid=${t.accountId}/region=us-east-1/resourcetype=ManagedInstanceInventory/${id}.json`;
    assert.deepEqual(store.problems, []);
    assert.deepEqual(JSON.parse(store.objects.get(key('AWS:Application'))!.trim()), { Name: 'openssl', Version: '3.0.2', resourceId: id, captureTime: CAPTURE, schemaVersion: '1.1', resourceType: 'managedInstance' });

    await put('Custom:Rack', [{ Row: 'C' }]);
    assert.equal(JSON.parse(store.objects.get(key('Custom:Rack'))!.trim()).Row, 'C');
    await ssm().send(new DeleteInventoryCommand({ TypeName: 'Custom:Rack', SchemaDeleteOption: 'DeleteSchema' }));
    // The node's next report of the type (now empty of it) takes the object away.
    await put('Custom:Rack2', [{ Row: 'D' }]);
    await ssm().send(new PutInventoryCommand({ InstanceId: id, Items: [{ TypeName: 'Custom:Rack2', SchemaVersion: '1.0', CaptureTime: CAPTURE, Content: [{ Row: 'E' }] }] }));
    assert.equal(JSON.parse(store.objects.get(key('Custom:Rack2'))!.trim()).Row, 'E');

    store.failWith = 500;
    await put('AWS:Application', [{ Name: 'openssl', Version: '3.0.13' }]);
    const failed = (await ssm().send(new ListResourceDataSyncCommand({}))).ResourceDataSyncItems![0]!;
    assert.equal(failed.LastStatus, 'Failed');
    assert.match(failed.LastSyncStatusMessage!, /answered 500/);
    assert.deepEqual((await ssm().send(new ListInventoryEntriesCommand({ InstanceId: id, TypeName: 'AWS:Application' }))).Entries, [{ Name: 'openssl', Version: '3.0.13' }], 'the report itself was stored');
    store.failWith = undefined;
    await put('AWS:Application', [{ Name: 'openssl', Version: '3.0.14' }]);
    const ok = (await ssm().send(new ListResourceDataSyncCommand({}))).ResourceDataSyncItems![0]!;
    assert.equal(ok.LastStatus, 'Successful');
    assert.equal(JSON.parse(store.objects.get(key('AWS:Application'))!.trim()).Version, '3.0.14');
    assert.deepEqual(store.problems, [], 'every request was signed correctly');
  });
});
