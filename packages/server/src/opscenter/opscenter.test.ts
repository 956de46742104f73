import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  AddTagsToResourceCommand,
  AssociateOpsItemRelatedItemCommand,
  CreateOpsItemCommand,
  CreateOpsMetadataCommand,
  DeleteOpsItemCommand,
  DeleteOpsMetadataCommand,
  DescribeOpsItemsCommand,
  DisassociateOpsItemRelatedItemCommand,
  GetOpsItemCommand,
  GetOpsMetadataCommand,
  GetOpsSummaryCommand,
  ListOpsItemEventsCommand,
  ListOpsItemRelatedItemsCommand,
  ListOpsMetadataCommand,
  ListTagsForResourceCommand,
  SSMClient,
  UpdateOpsItemCommand,
  UpdateOpsMetadataCommand,
  type CreateOpsItemCommandInput,
  type OpsItemFilter,
} from '@aws-sdk/client-ssm';
import { onEveryEngine } from '../test-support/engines.js';
import { startTestServer, type TestServer } from '../test-support/server.js';

let sourceCounter = 0;

onEveryEngine('OpsCenter API', (engine) => {
  let t: TestServer;
  const ssm = () => new SSMClient(t.clientConfig());
  before(async () => {
    t = await startTestServer({ engine });
  });
  after(async () => t.stop());

  async function rejects(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
    await assert.rejects(p, (e: Error) => {
      assert.equal(e.name, code, e.message);
      if (message) assert.match(e.message, message);
      return true;
    });
  }
  const newSource = () => `test-source-${process.pid}-${++sourceCounter}`;
  const create = async (i: Partial<CreateOpsItemCommandInput> & { Source: string }) => (await ssm().send(new CreateOpsItemCommand({ Title: 'Disk full', Description: 'The disk is full.', ...i }))).OpsItemId!;
  const describe = async (filters: OpsItemFilter[]) => (await ssm().send(new DescribeOpsItemsCommand({ OpsItemFilters: filters }))).OpsItemSummaries!.map((s) => s.OpsItemId!).sort();
  const count = async (source: string) => (await describe([{ Key: 'Source', Values: [source], Operator: 'Equal' }])).length;

  test('CreateOpsItem, GetOpsItem, UpdateOpsItem and DeleteOpsItem keep every AWS field', async () => {
    const source = newSource();
    const planned = new Date('2026-12-01T10:00:00Z');
    const created = await ssm().send(
      new CreateOpsItemCommand({
        Title: 'Web tier slow',
        Description: 'p99 above 2 s',
        Source: source,
        Priority: 2,
        Severity: '2',
        Category: 'Performance',
        OperationalData: { team: { Value: 'web', Type: 'SearchableString' }, '/aws/resources': { Value: JSON.stringify([{ arn: 'arn:aws:ssm:us-east-1:111122223333:managed-instance/mi-0123456789abcdef0' }]), Type: 'SearchableString' } },
        PlannedStartTime: planned,
        PlannedEndTime: new Date('2026-12-01T11:00:00Z'),
        Tags: [{ Key: 'env', Value: 'prod' }],
      }),
    );
    assert.match(created.OpsItemId!, /^oi-[0-9a-f]{12}$/);
    assert.equal(created.OpsItemArn, `arn:aws:ssm:us-east-1:${t.accountId}:opsitem/${created.OpsItemId}`);
    const got = (await ssm().send(new GetOpsItemCommand({ OpsItemId: created.OpsItemId, OpsItemArn: created.OpsItemArn }))).OpsItem!;
    assert.deepEqual(
      [got.Title, got.Description, got.Source, got.Status, got.Priority, got.Severity, got.Category, got.OpsItemType, got.PlannedStartTime?.toISOString(), got.OperationalData?.team?.Value],
      ['Web tier slow', 'p99 above 2 s', source, 'Open', 2, '2', 'Performance', '/aws/issue', planned.toISOString(), 'web'],
    );
    assert.match(got.CreatedBy!, /:user\/admin$|:root$/);
    const tags = await ssm().send(new ListTagsForResourceCommand({ ResourceType: 'OpsItem', ResourceId: created.OpsItemId }));
    assert.deepEqual(tags.TagList, [{ Key: 'env', Value: 'prod' }]);
    await ssm().send(new AddTagsToResourceCommand({ ResourceType: 'OpsItem', ResourceId: created.OpsItemId, Tags: [{ Key: 'team', Value: 'web' }] }));

    await ssm().send(
      new UpdateOpsItemCommand({
        OpsItemId: created.OpsItemId,
        Status: 'InProgress',
        Priority: 1,
        Title: 'Web tier very slow',
        OperationalData: { ticket: { Value: 'T-1', Type: 'String' } },
        OperationalDataToDelete: ['team'],
        ActualStartTime: new Date('2026-12-01T10:05:00Z'),
      }),
    );
    const after = (await ssm().send(new GetOpsItemCommand({ OpsItemId: created.OpsItemId }))).OpsItem!;
    assert.deepEqual([after.Status, after.Priority, after.Title, after.Description], ['InProgress', 1, 'Web tier very slow', 'p99 above 2 s']);
    assert.deepEqual(Object.keys(after.OperationalData!).sort(), ['/aws/resources', 'ticket']);
    assert.equal(after.ActualStartTime?.toISOString(), '2026-12-01T10:05:00.000Z');
    assert.notEqual(after.Version, got.Version, 'each change gets a new version');

    await ssm().send(new DeleteOpsItemCommand({ OpsItemId: created.OpsItemId }));
    await rejects(ssm().send(new GetOpsItemCommand({ OpsItemId: created.OpsItemId })), 'OpsItemNotFoundException');
    await ssm().send(new DeleteOpsItemCommand({ OpsItemId: created.OpsItemId }));
  });

  test('bad input gets AWS error codes, says what is wrong, and writes nothing', async () => {
    const source = newSource();
    const bad: [Partial<CreateOpsItemCommandInput>, string, RegExp][] = [
      [{ OperationalData: { 'aws:thing': { Value: 'x' } } }, 'OpsItemInvalidParameterException', /reserved prefix/],
      [{ OperationalData: { '/ssm/thing': { Value: 'x' } } }, 'OpsItemInvalidParameterException', /reserved prefix/],
      [{ OperationalData: { '/aws/dedup': { Value: 'not json' } } }, 'OpsItemInvalidParameterException', /must be JSON/],
      [{ OperationalData: { '/aws/dedup': { Value: '{"other":1}' } } }, 'OpsItemInvalidParameterException', /dedupString/],
      [{ OperationalData: { '/aws/resources': { Value: '[{"id":"x"}]' } } }, 'OpsItemInvalidParameterException', /\/aws\/resources/],
      [{ OperationalData: { big: { Value: 'x'.repeat(21 * 1024) } } }, 'OpsItemInvalidParameterException', /20 KB/],
      [{ Source: 'my-aws-monitor' }, 'OpsItemInvalidParameterException', /must not contain aws/],
      [{ Notifications: [{ Arn: 'arn:aws:sns:us-east-1:111122223333:topic' }] }, 'OpsItemInvalidParameterException', /webhook/],
      [{ Notifications: [{ Arn: 'http://user:pw@127.0.0.1:1/x' }] }, 'OpsItemInvalidParameterException', /credentials/],
      [{ RelatedOpsItems: [{ OpsItemId: 'oi-000000000000' }] }, 'OpsItemInvalidParameterException', /does not exist/],
      [{ PlannedStartTime: new Date('2026-12-02'), PlannedEndTime: new Date('2026-12-01') }, 'OpsItemInvalidParameterException', /before PlannedStartTime/],
      [{ Priority: 6 }, 'ValidationException', /priority/i],
      [{ Title: '   ' }, 'ValidationException', /title/i],
      [{ AccountId: '999999999999' }, 'OpsItemAccessDeniedException', /999999999999/],
    ];
    for (const [input, code, message] of bad) await rejects(create({ Source: source, ...input }), code, message);
    assert.equal(await count(source), 0, 'no OpsItem was written');
    assert.equal(await count('my-aws-monitor'), 0);

    const id = await create({ Source: source, OperationalData: { '/aws/dedup': { Value: JSON.stringify({ dedupString: `bad-${source}` }) } } });
    const before = (await ssm().send(new GetOpsItemCommand({ OpsItemId: id }))).OpsItem!;
    const badUpdates: [Record<string, unknown>, string, RegExp][] = [
      [{ Status: 'Approved' }, 'OpsItemInvalidParameterException', /Open, InProgress, Resolved/],
      [{ OperationalData: { '/aws/dedup': { Value: '{"dedupString":"other"}' } } }, 'OpsItemInvalidParameterException', /cannot be changed/],
      [{ OperationalDataToDelete: ['/aws/dedup'] }, 'OpsItemInvalidParameterException', /cannot be changed/],
      [{ RelatedOpsItems: [{ OpsItemId: id }] }, 'OpsItemInvalidParameterException', /itself/],
      [{ OpsItemArn: 'arn:aws:ssm:us-east-1:111122223333:opsitem/oi-000000000000' }, 'OpsItemInvalidParameterException', /not the ARN/],
      [{ Title: 'new', Status: 'Resolved', Priority: 0 }, 'ValidationException', /priority/i],
    ];
    for (const [u, code, message] of badUpdates) await rejects(ssm().send(new UpdateOpsItemCommand({ OpsItemId: id, ...u })), code, message);
    const unchanged = (await ssm().send(new GetOpsItemCommand({ OpsItemId: id }))).OpsItem!;
    assert.deepEqual([unchanged.Version, unchanged.Title, unchanged.Status], [before.Version, before.Title, before.Status]);
    await rejects(ssm().send(new UpdateOpsItemCommand({ OpsItemId: 'oi-000000000000', Status: 'Resolved' })), 'OpsItemNotFoundException');
    await rejects(ssm().send(new GetOpsItemCommand({ OpsItemId: 'oi-nothex' })), 'ValidationException');
  });

  test('a repeat of an open OpsItem\'s dedup string counts on that item; once it is resolved, the next one is new', async () => {
    const source = newSource();
    const dedup = { '/aws/dedup': { Value: JSON.stringify({ dedupString: `disk-${source}` }), Type: 'SearchableString' as const } };
    const first = await create({ Source: source, OperationalData: dedup });
    const again = await create({ Source: source, OperationalData: dedup, Title: 'Disk full again' });
    assert.equal(again, first);
    assert.equal(await count(source), 1);
    const events = (await ssm().send(new ListOpsItemEventsCommand({ Filters: [{ Key: 'OpsItemId', Values: [first], Operator: 'Equal' }] }))).Summaries!;
    assert.deepEqual(events.map((e) => e.DetailType).sort(), ['OpsItem Create', 'OpsItem Duplicate']);
    assert.equal(JSON.parse(events.find((e) => e.DetailType === 'OpsItem Duplicate')!.Detail!).occurrences, 2);
    await ssm().send(new UpdateOpsItemCommand({ OpsItemId: first, Status: 'InProgress' }));
    assert.equal(await create({ Source: source, OperationalData: dedup }), first, 'InProgress still absorbs repeats');
    await ssm().send(new UpdateOpsItemCommand({ OpsItemId: first, Status: 'Resolved' }));
    const fresh = await create({ Source: source, OperationalData: dedup });
    assert.notEqual(fresh, first);
    assert.equal(await count(source), 2);
  });

  test('DescribeOpsItems answers every OpsItemFilters key with its operators, and pages', async () => {
    const source = newSource();
    const node = 'arn:aws:ssm:us-east-1:111122223333:managed-instance/mi-00000000000000aaa';
    const a = await create({
      Source: source,
      Title: 'CPU high on web-1',
      Priority: 1,
      Severity: '1',
      Category: 'Performance',
      OperationalData: { app: { Value: 'checkout', Type: 'SearchableString' }, secret: { Value: 'hidden', Type: 'String' }, '/aws/resources': { Value: JSON.stringify([{ arn: node }]), Type: 'SearchableString' } },
      ActualStartTime: new Date('2026-01-02T00:00:00Z'),
      PlannedEndTime: new Date('2026-01-05T00:00:00Z'),
    });
    const b = await create({ Source: source, Title: 'Memory high on db-1', Priority: 4, Severity: '3', Category: 'Availability', OpsItemType: '/capstan/custom', ActualEndTime: new Date('2026-02-01T00:00:00Z'), PlannedStartTime: new Date('2026-03-01T00:00:00Z') });
    await ssm().send(new UpdateOpsItemCommand({ OpsItemId: b, Status: 'Resolved' }));
    const c = await create({ Source: source, Title: 'Certificate expiring', Priority: 3 });
    const src: OpsItemFilter = { Key: 'Source', Values: [source], Operator: 'Equal' };
    const q = (Key: string, Operator: string, ...Values: string[]) => describe([src, { Key, Operator, Values } as OpsItemFilter]);
    assert.deepEqual(await describe([src]), [a, b, c].sort());
    assert.deepEqual(await q('Status', 'Equal', 'Resolved'), [b]);
    assert.deepEqual(await q('Status', 'Equal', 'Open', 'Resolved'), [a, b, c].sort(), 'values of one filter are alternatives');
    assert.deepEqual(await q('Title', 'Contains', 'high'), [a, b].sort());
    assert.deepEqual(await q('Title', 'Equal', 'Certificate expiring'), [c]);
    assert.deepEqual(await q('OpsItemId', 'Equal', a), [a]);
    assert.deepEqual(await q('Priority', 'Equal', '3'), [c]);
    assert.deepEqual(await q('Priority', 'GreaterThan', '2'), [b, c].sort());
    assert.deepEqual(await q('Priority', 'LessThan', '2'), [a]);
    assert.deepEqual(await q('Severity', 'Equal', '3'), [b]);
    assert.deepEqual(await q('Category', 'Contains', 'Perf'), [a]);
    assert.deepEqual(await q('OpsItemType', 'Equal', '/capstan/custom'), [b]);
    assert.equal((await q('CreatedBy', 'Contains', 'admin')).length + (await q('CreatedBy', 'Contains', 'root')).length >= 3, true);
    assert.deepEqual(await q('CreatedTime', 'GreaterThan', '2020-01-01T00:00:00Z'), [a, b, c].sort());
    assert.deepEqual(await q('CreatedTime', 'LessThan', '2020-01-01T00:00:00Z'), []);
    assert.deepEqual(await q('LastModifiedTime', 'GreaterThan', '2020-01-01T00:00:00Z'), [a, b, c].sort());
    assert.deepEqual(await q('ActualStartTime', 'LessThan', '2026-01-03T00:00:00Z'), [a]);
    assert.deepEqual(await q('ActualEndTime', 'GreaterThan', '2026-01-15T00:00:00Z'), [b]);
    assert.deepEqual(await q('PlannedStartTime', 'GreaterThan', '2026-02-15T00:00:00Z'), [b]);
    assert.deepEqual(await q('PlannedEndTime', 'LessThan', '2026-02-15T00:00:00Z'), [a]);
    assert.deepEqual(await q('OperationalData', 'Equal', JSON.stringify({ key: 'app', value: 'checkout' })), [a]);
    assert.deepEqual(await q('OperationalData', 'Equal', JSON.stringify({ key: 'secret', value: 'hidden' })), [], 'String data is not searchable');
    assert.deepEqual(await q('OperationalDataKey', 'Equal', 'app'), [a]);
    assert.deepEqual(await q('OperationalDataValue', 'Contains', 'check'), [a]);
    assert.deepEqual(await q('OperationalDataValue', 'Equal', 'hidden'), []);
    assert.deepEqual(await q('ResourceId', 'Equal', node), [a]);
    assert.deepEqual(await q('ResourceId', 'Contains', 'mi-00000000000000aaa'), [a]);
    assert.deepEqual(await q('AccountId', 'Equal', t.accountId), [a, b, c].sort());
    const assoc = await ssm().send(new AssociateOpsItemRelatedItemCommand({ OpsItemId: c, AssociationType: 'IsParentOf', ResourceType: 'AWS::SSM::AutomationExecution', ResourceUri: `arn:aws:ssm:us-east-1:${t.accountId}:automation-execution/11111111-2222-3333-4444-555555555555` }));
    assert.ok(assoc.AssociationId);
    assert.deepEqual(await q('AutomationId', 'Equal', '11111111-2222-3333-4444-555555555555'), [c]);
    const summary = (await ssm().send(new DescribeOpsItemsCommand({ OpsItemFilters: [src, { Key: 'OpsItemId', Values: [a], Operator: 'Equal' }] }))).OpsItemSummaries![0]!;
    assert.deepEqual(Object.keys(summary.OperationalData!).sort(), ['/aws/resources', 'app'], 'summaries carry searchable data only');

    const first = await ssm().send(new DescribeOpsItemsCommand({ OpsItemFilters: [src], MaxResults: 2 }));
    assert.equal(first.OpsItemSummaries!.length, 2);
    const second = await ssm().send(new DescribeOpsItemsCommand({ OpsItemFilters: [src], MaxResults: 2, NextToken: first.NextToken }));
    assert.equal(second.OpsItemSummaries!.length, 1);
    assert.equal(second.NextToken, undefined);
    assert.deepEqual([...first.OpsItemSummaries!, ...second.OpsItemSummaries!].map((s) => s.OpsItemId).sort(), [a, b, c].sort());
    await rejects(ssm().send(new DescribeOpsItemsCommand({ OpsItemFilters: [{ Key: 'Status', Values: ['Open'], Operator: 'Equal' }], NextToken: first.NextToken })), 'InvalidNextToken');

    await rejects(q('Priority', 'Contains', '1'), 'OpsItemInvalidParameterException', /Equal, GreaterThan, LessThan/);
    await rejects(q('CreatedTime', 'Equal', '2026-01-01'), 'OpsItemInvalidParameterException', /GreaterThan, LessThan/);
    await rejects(q('CreatedTime', 'GreaterThan', 'yesterday'), 'OpsItemInvalidParameterException', /not a date/);
    await rejects(q('OperationalData', 'Equal', 'app=checkout'), 'OpsItemInvalidParameterException', /"key"/);
    await rejects(q('InsightByType', 'Equal', 'x'), 'OpsItemInvalidParameterException', /not one Capstan answers/);
  });

  test('GetOpsSummary lists AWS:OpsItem entities, filters them and counts them by an attribute', async () => {
    const source = newSource();
    await create({ Source: source, Severity: '1' });
    await create({ Source: source, Severity: '1' });
    const resolved = await create({ Source: source, Severity: '3' });
    await ssm().send(new UpdateOpsItemCommand({ OpsItemId: resolved, Status: 'Resolved' }));
    const filters = [{ Key: 'AWS:OpsItem.Source', Values: [source], Type: 'Equal' as const }];
    const items = await ssm().send(new GetOpsSummaryCommand({ Filters: filters, ResultAttributes: [{ TypeName: 'AWS:OpsItem' }] }));
    assert.equal(items.Entities!.length, 3);
    assert.equal(items.Entities!.find((e) => e.Id === resolved)!.Data!['AWS:OpsItem']!.Content![0]!.Status, 'Resolved');
    const counted = await ssm().send(new GetOpsSummaryCommand({ Filters: filters, Aggregators: [{ AggregatorType: 'Count', TypeName: 'AWS:OpsItem', AttributeName: 'Status' }, { AggregatorType: 'Count', TypeName: 'AWS:OpsItem', AttributeName: 'Severity', Filters: [{ Key: 'AWS:OpsItem.Status', Values: ['Open'], Type: 'Equal' }] }] }));
    assert.deepEqual(counted.Entities!.map((e) => [e.Id, e.Data!['AWS:OpsItem']!.Content]), [
      ['AWS:OpsItem.Status', [{ Status: 'Open', Count: '2' }, { Status: 'Resolved', Count: '1' }]],
      ['AWS:OpsItem.Severity', [{ Severity: '1', Count: '2' }]],
    ]);
    const notOpen = await ssm().send(new GetOpsSummaryCommand({ Filters: [...filters, { Key: 'AWS:OpsItem.Status', Values: ['Open'], Type: 'NotEqual' }] }));
    assert.deepEqual(notOpen.Entities!.map((e) => e.Id), [resolved]);
    const severe = await ssm().send(new GetOpsSummaryCommand({ Filters: [...filters, { Key: 'AWS:OpsItem.Severity', Values: ['2'], Type: 'LessThan' }] }));
    assert.equal(severe.Entities!.length, 2);
    const begins = await ssm().send(new GetOpsSummaryCommand({ Filters: [{ Key: 'AWS:OpsItem.Source', Values: [`${source}`], Type: 'BeginWith' }, { Key: 'AWS:OpsItem.Severity', Values: ['x'], Type: 'Exists' }] }));
    assert.ok(begins.Entities!.length >= 3);
    const categorised = await ssm().send(new GetOpsSummaryCommand({ Filters: [...filters, { Key: 'AWS:OpsItem.Category', Values: ['x'], Type: 'Exists' }] }));
    assert.equal(categorised.Entities!.length, 0, 'none of them has a Category');
    await rejects(ssm().send(new GetOpsSummaryCommand({ ResultAttributes: [{ TypeName: 'AWS:Application' }] })), 'InvalidTypeNameException');
    await rejects(ssm().send(new GetOpsSummaryCommand({ Filters: [{ Key: 'Status', Values: ['Open'] }] })), 'InvalidFilter', /TYPE\.ATTRIBUTE/);
    await rejects(ssm().send(new GetOpsSummaryCommand({ Aggregators: [{ AggregatorType: 'Count', TypeName: 'AWS:OpsItem', AttributeName: 'Colour' }] })), 'InvalidAggregatorException', /Colour/);
    await rejects(ssm().send(new GetOpsSummaryCommand({ SyncName: 'nope' })), 'ResourceDataSyncNotFoundException');
  });

  test('related items: associate, list with filters, refuse a duplicate, disassociate once', async () => {
    const source = newSource();
    const id = await create({ Source: source });
    const doc = `arn:aws:ssm:us-east-1:${t.accountId}:document/Runbook-A`;
    const { AssociationId } = await ssm().send(new AssociateOpsItemRelatedItemCommand({ OpsItemId: id, AssociationType: 'RelatesTo', ResourceType: 'AWS::SSM::Document', ResourceUri: doc }));
    await ssm().send(new AssociateOpsItemRelatedItemCommand({ OpsItemId: id, AssociationType: 'IsParentOf', ResourceType: 'AWS::SSMIncidents::IncidentRecord', ResourceUri: `arn:aws:ssm-incidents::${t.accountId}:incident-record/plan/abc` }));
    await rejects(ssm().send(new AssociateOpsItemRelatedItemCommand({ OpsItemId: id, AssociationType: 'RelatesTo', ResourceType: 'AWS::SSM::Document', ResourceUri: doc })), 'OpsItemRelatedItemAlreadyExistsException', /already associated/);
    await rejects(ssm().send(new AssociateOpsItemRelatedItemCommand({ OpsItemId: id, AssociationType: 'Owns', ResourceType: 'AWS::SSM::Document', ResourceUri: `${doc}-2` })), 'OpsItemInvalidParameterException', /AssociationType/);
    await rejects(ssm().send(new AssociateOpsItemRelatedItemCommand({ OpsItemId: id, AssociationType: 'RelatesTo', ResourceType: 'Document', ResourceUri: `${doc}-2` })), 'OpsItemInvalidParameterException', /ResourceType/);
    await rejects(ssm().send(new AssociateOpsItemRelatedItemCommand({ OpsItemId: id, AssociationType: 'RelatesTo', ResourceType: 'AWS::SSM::Document', ResourceUri: 'Runbook-A' })), 'OpsItemInvalidParameterException', /not an ARN/);
    await rejects(ssm().send(new AssociateOpsItemRelatedItemCommand({ OpsItemId: 'oi-000000000000', AssociationType: 'RelatesTo', ResourceType: 'AWS::SSM::Document', ResourceUri: doc })), 'OpsItemNotFoundException');
    const all = (await ssm().send(new ListOpsItemRelatedItemsCommand({ OpsItemId: id }))).Summaries!;
    assert.equal(all.length, 2);
    const docs = (await ssm().send(new ListOpsItemRelatedItemsCommand({ OpsItemId: id, Filters: [{ Key: 'ResourceType', Values: ['AWS::SSM::Document'], Operator: 'Equal' }] }))).Summaries!;
    assert.deepEqual(docs.map((s) => [s.AssociationId, s.ResourceUri, s.AssociationType]), [[AssociationId, doc, 'RelatesTo']]);
    const byId = (await ssm().send(new ListOpsItemRelatedItemsCommand({ Filters: [{ Key: 'AssociationId', Values: [AssociationId!], Operator: 'Equal' }] }))).Summaries!;
    assert.deepEqual(byId.map((s) => s.OpsItemId), [id]);
    const byUri = (await ssm().send(new ListOpsItemRelatedItemsCommand({ OpsItemId: id, Filters: [{ Key: 'ResourceUri', Values: [doc], Operator: 'Equal' }], MaxResults: 1 }))).Summaries!;
    assert.equal(byUri.length, 1);
    await ssm().send(new DisassociateOpsItemRelatedItemCommand({ OpsItemId: id, AssociationId }));
    await rejects(ssm().send(new DisassociateOpsItemRelatedItemCommand({ OpsItemId: id, AssociationId })), 'OpsItemRelatedItemAssociationNotFoundException');
    await rejects(ssm().send(new ListOpsItemRelatedItemsCommand({ OpsItemId: 'oi-000000000000' })), 'OpsItemNotFoundException');
    assert.equal((await ssm().send(new ListOpsItemRelatedItemsCommand({ OpsItemId: id }))).Summaries!.length, 1);
  });

  test('ListOpsItemEvents records who changed what, newest first, and refuses an unknown OpsItem', async () => {
    const id = await create({ Source: newSource() });
    await ssm().send(new UpdateOpsItemCommand({ OpsItemId: id, Status: 'Resolved', Severity: '4' }));
    const events = (await ssm().send(new ListOpsItemEventsCommand({ Filters: [{ Key: 'OpsItemId', Values: [id], Operator: 'Equal' }] }))).Summaries!;
    assert.deepEqual(events.map((e) => e.DetailType), ['OpsItem Update', 'OpsItem Create']);
    assert.deepEqual(JSON.parse(events[0]!.Detail!), { Status: { from: 'Open', to: 'Resolved' }, Severity: '4' });
    assert.equal(events[0]!.Source, 'aws.ssm');
    assert.match(events[0]!.CreatedBy!.Arn!, /^arn:aws:iam::/);
    const paged = await ssm().send(new ListOpsItemEventsCommand({ Filters: [{ Key: 'OpsItemId', Values: [id], Operator: 'Equal' }], MaxResults: 1 }));
    assert.equal(paged.Summaries!.length, 1);
    assert.ok(paged.NextToken);
    await rejects(ssm().send(new ListOpsItemEventsCommand({ Filters: [{ Key: 'OpsItemId', Values: ['oi-000000000000'], Operator: 'Equal' }] })), 'OpsItemNotFoundException');
  });

  test('OpsMetadata: create, read in pages, update and delete keys, list, tag and delete; bad input is refused', async () => {
    const resource = `/aws/ssm/app-${process.pid}-${engine}/appmanager`;
    const { OpsMetadataArn } = await ssm().send(new CreateOpsMetadataCommand({ ResourceId: resource, Metadata: { owner: { Value: 'web' }, tier: { Value: 'gold' } }, Tags: [{ Key: 'env', Value: 'prod' }] }));
    assert.equal(OpsMetadataArn, `arn:aws:ssm:us-east-1:${t.accountId}:opsmetadata${resource}`);
    await rejects(ssm().send(new CreateOpsMetadataCommand({ ResourceId: resource })), 'OpsMetadataAlreadyExistsException');
    await rejects(ssm().send(new CreateOpsMetadataCommand({ ResourceId: 'bad id!' })), 'OpsMetadataInvalidArgumentException');
    await rejects(ssm().send(new CreateOpsMetadataCommand({ ResourceId: `${resource}-x`, Metadata: { k: { Value: '' } } })), 'OpsMetadataInvalidArgumentException', /Value/);
    const p1 = await ssm().send(new GetOpsMetadataCommand({ OpsMetadataArn, MaxResults: 1 }));
    assert.deepEqual([p1.ResourceId, p1.Metadata], [resource, { owner: { Value: 'web' } }]);
    const p2 = await ssm().send(new GetOpsMetadataCommand({ OpsMetadataArn, MaxResults: 1, NextToken: p1.NextToken }));
    assert.deepEqual(p2.Metadata, { tier: { Value: 'gold' } });
    await ssm().send(new UpdateOpsMetadataCommand({ OpsMetadataArn, MetadataToUpdate: { tier: { Value: 'silver' }, region: { Value: 'eu' } }, KeysToDelete: ['owner'] }));
    assert.deepEqual((await ssm().send(new GetOpsMetadataCommand({ OpsMetadataArn }))).Metadata, { region: { Value: 'eu' }, tier: { Value: 'silver' } });
    await rejects(ssm().send(new UpdateOpsMetadataCommand({ OpsMetadataArn, KeysToDelete: ['missing'] })), 'OpsMetadataInvalidArgumentException', /missing/);
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, n) => [`k${n}`, { Value: 'v' }]));
    await rejects(ssm().send(new UpdateOpsMetadataCommand({ OpsMetadataArn, MetadataToUpdate: many })), 'OpsMetadataKeyLimitExceededException');
    assert.deepEqual(Object.keys((await ssm().send(new GetOpsMetadataCommand({ OpsMetadataArn }))).Metadata!).sort(), ['region', 'tier'], 'a refused update changes nothing');
    const listed = (await ssm().send(new ListOpsMetadataCommand({ Filters: [{ Key: 'ResourceId', Values: [resource] }] }))).OpsMetadataList!;
    assert.deepEqual(listed.map((m) => m.OpsMetadataArn), [OpsMetadataArn]);
    await rejects(ssm().send(new ListOpsMetadataCommand({ Filters: [{ Key: 'Colour', Values: ['x'] }] })), 'OpsMetadataInvalidArgumentException');
    const tags = await ssm().send(new ListTagsForResourceCommand({ ResourceType: 'OpsMetadata', ResourceId: resource }));
    assert.deepEqual(tags.TagList, [{ Key: 'env', Value: 'prod' }]);
    await rejects(ssm().send(new GetOpsMetadataCommand({ OpsMetadataArn: 'arn:aws:ssm:us-east-1:111122223333:parameter/x' })), 'OpsMetadataInvalidArgumentException');
    await ssm().send(new DeleteOpsMetadataCommand({ OpsMetadataArn }));
    await rejects(ssm().send(new GetOpsMetadataCommand({ OpsMetadataArn })), 'OpsMetadataNotFoundException');
    await rejects(ssm().send(new DeleteOpsMetadataCommand({ OpsMetadataArn })), 'OpsMetadataNotFoundException');
    await rejects(ssm().send(new UpdateOpsMetadataCommand({ OpsMetadataArn, KeysToDelete: ['tier'] })), 'OpsMetadataNotFoundException');
  });
});
