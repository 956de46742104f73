import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AddTagsToResourceCommand, DeleteParameterCommand, DeleteParametersCommand, GetParameterCommand, GetParameterHistoryCommand, GetParametersCommand,
  GetServiceSettingCommand, LabelParameterVersionCommand, ListTagsForResourceCommand, PutParameterCommand, RemoveTagsFromResourceCommand,
  ResetServiceSettingCommand, SSMClient, UnlabelParameterVersionCommand, UpdateServiceSettingCommand, type PutParameterCommandInput,
} from '@aws-sdk/client-ssm';
import { onEveryEngine } from '../test-support/engines.js';
import { failure } from '../test-support/failure.js';
import { startTestServer, type TestServer } from '../test-support/server.js';

onEveryEngine('Parameter Store', (engine) => {
  let t: TestServer;
  let ssm: SSMClient;
  before(async () => {
    t = await startTestServer({ engine });
    ssm = new SSMClient(t.clientConfig());
  });
  after(async () => {
    await t.stop();
  });
  const put = (input: PutParameterCommandInput) => ssm.send(new PutParameterCommand(input));
  const get = (Name: string) => ssm.send(new GetParameterCommand({ Name }));

  test('a String parameter is created, read, overwritten to a new version, and read by version', async () => {
    const created = await put({ Name: '/app/db/host', Value: 'db1.internal', Type: 'String', Description: 'primary' });
    assert.deepEqual([created.Version, created.Tier], [1, 'Standard']);
    const got = (await get('/app/db/host')).Parameter!;
    assert.equal(got.Value, 'db1.internal');
    assert.equal(got.Type, 'String');
    assert.equal(got.Version, 1);
    assert.equal(got.DataType, 'text');
    assert.equal(got.ARN, `arn:aws:ssm:us-east-1:${t.accountId}:parameter/app/db/host`);
    assert.ok(Math.abs(got.LastModifiedDate!.getTime() - Date.now()) < 60_000);
    const second = await put({ Name: '/app/db/host', Value: 'db2.internal', Overwrite: true });
    assert.equal(second.Version, 2);
    assert.equal((await get('/app/db/host')).Parameter!.Value, 'db2.internal');
    const v1 = (await get('/app/db/host:1')).Parameter!;
    assert.deepEqual([v1.Value, v1.Version, v1.Selector], ['db1.internal', 1, ':1']);
  });

  test('a parameter can be read by its ARN, and a name differing only in case is another parameter', async () => {
    await put({ Name: '/Case/Sensitive', Value: 'A', Type: 'String' });
    assert.equal((await get(`arn:aws:ssm:us-east-1:${t.accountId}:parameter/Case/Sensitive`)).Parameter!.Value, 'A');
    assert.equal((await failure(get('/case/sensitive'))).name, 'ParameterNotFound');
    await put({ Name: 'plain-name', Value: 'B', Type: 'String' });
    assert.equal((await get(`arn:aws:ssm:us-east-1:${t.accountId}:parameter/plain-name`)).Parameter!.Value, 'B');
    assert.equal((await failure(get(`arn:aws:ssm:us-east-1:999999999999:parameter/plain-name`))).name, 'ParameterNotFound');
  });

  test('surrounding spaces in a name are trimmed, as AWS does', async () => {
    await put({ Name: '  /trim/me  ', Value: 'x', Type: 'String' });
    assert.equal((await get('/trim/me')).Parameter!.Value, 'x');
  });

  test('StringList values come back comma-separated', async () => {
    await put({ Name: '/lists/zones', Value: 'a,b,c', Type: 'StringList' });
    const p = (await get('/lists/zones')).Parameter!;
    assert.deepEqual([p.Type, p.Value], ['StringList', 'a,b,c']);
  });

  test('an existing name without Overwrite is ParameterAlreadyExists and changes nothing', async () => {
    await put({ Name: '/dup/x', Value: 'one', Type: 'String' });
    const e = await failure(put({ Name: '/dup/x', Value: 'two', Type: 'String' }));
    assert.equal(e.name, 'ParameterAlreadyExists');
    assert.match(e.message, /set the overwrite option/);
    const p = (await get('/dup/x')).Parameter!;
    assert.deepEqual([p.Value, p.Version], ['one', 1]);
  });

  test('bad names are refused with AWS\'s errors and nothing is created', async () => {
    for (const Name of ['/has space/x', 'a/b', '/aws/reserved', 'ssm-reserved', '/SSM/upper', '/bad//empty', '/bad/ch@r', '/semi:colon']) {
      const e = await failure(put({ Name, Value: 'v', Type: 'String' }));
      assert.equal(e.name, 'ValidationException', Name);
    }
    const deep = '/' + Array.from({ length: 16 }, (_, i) => `l${i}`).join('/');
    assert.equal((await failure(put({ Name: deep, Value: 'v', Type: 'String' }))).name, 'HierarchyLevelLimitExceededException');
    const fifteen = '/' + Array.from({ length: 15 }, (_, i) => `l${i}`).join('/');
    assert.equal((await put({ Name: fifteen, Value: 'v', Type: 'String' })).Version, 1);
    const long = '/' + 'x'.repeat(1011);
    assert.equal((await failure(put({ Name: long, Value: 'v', Type: 'String' }))).name, 'ValidationException');
    assert.equal((await failure(get('/has space/x'))).name, 'ParameterNotFound');
  });

  test('bad values and options are refused with AWS\'s errors', async () => {
    assert.equal((await failure(put({ Name: '/v/nest', Value: 'use {{ssm:/other}}', Type: 'String' }))).name, 'ValidationException');
    assert.equal((await failure(put({ Name: '/v/notype', Value: 'x' }))).name, 'ValidationException');
    assert.equal((await failure(put({ Name: '/v/empty', Value: '', Type: 'String' }))).name, 'ValidationException');
    assert.equal((await failure(put({ Name: '/v/badtype', Value: 'x', Type: 'Number' as 'String' }))).name, 'ValidationException');
    assert.equal((await failure(put({ Name: '/v/key', Value: 'x', Type: 'String', KeyId: 'alias/aws/ssm' }))).name, 'ValidationException');
    const tags = await failure(put({ Name: '/v/tags', Value: 'x', Type: 'String', Overwrite: true, Tags: [{ Key: 'a', Value: 'b' }] }));
    assert.equal(tags.name, 'ValidationException');
    assert.match(tags.message, /tags and overwrite can't be used together/);
    const big = await failure(put({ Name: '/v/big', Value: 'x'.repeat(4097), Type: 'String' }));
    assert.equal(big.name, 'ValidationException');
    assert.match(big.message, /Standard tier parameters support a maximum parameter value of 4096 characters/);
    assert.equal((await put({ Name: '/v/max', Value: 'x'.repeat(4096), Type: 'String' })).Tier, 'Standard');
    assert.equal((await failure(put({ Name: '/v/dt', Value: 'x', Type: 'String', DataType: 'Text' }))).name, 'ValidationException');
    for (const Name of ['/v/nest', '/v/notype', '/v/empty', '/v/key', '/v/tags', '/v/big', '/v/dt']) assert.equal((await failure(get(Name))).name, 'ParameterNotFound', Name);
  });

  test('AllowedPattern is enforced on the value, on each StringList item, and on later overwrites', async () => {
    await put({ Name: '/pat/port', Value: '8080', Type: 'String', AllowedPattern: '\\d{1,5}' });
    const e = await failure(put({ Name: '/pat/port', Value: '100000', Overwrite: true }));
    assert.equal(e.name, 'ParameterPatternMismatchException');
    assert.equal(e.message, 'Parameter value, cannot be validated against allowedPattern: \\d{1,5}');
    assert.equal((await get('/pat/port')).Parameter!.Version, 1);
    assert.equal((await failure(put({ Name: '/pat/list', Value: 'ab,c1', Type: 'StringList', AllowedPattern: '[a-z]+' }))).name, 'ParameterPatternMismatchException');
    assert.equal((await failure(put({ Name: '/pat/bad', Value: 'x', Type: 'String', AllowedPattern: '([a-z' }))).name, 'InvalidAllowedPatternException');
  });

  test('the aws:ec2:image data type checks the AMI id format', async () => {
    const ok = await put({ Name: '/ami/golden', Value: 'ami-0123456789abcdef0', Type: 'String', DataType: 'aws:ec2:image' });
    assert.equal(ok.Version, 1);
    assert.equal((await get('/ami/golden')).Parameter!.DataType, 'aws:ec2:image');
    assert.equal((await failure(put({ Name: '/ami/bad', Value: 'not-an-ami', Type: 'String', DataType: 'aws:ec2:image' }))).name, 'ValidationException');
    assert.equal((await failure(put({ Name: '/ami/list', Value: 'ami-0123456789abcdef0', Type: 'StringList', DataType: 'aws:ec2:image' }))).name, 'UnsupportedParameterType');
  });

  test('changing the type of a hierarchical parameter is HierarchyTypeMismatchException', async () => {
    await put({ Name: '/types/t', Value: 'x', Type: 'String' });
    assert.equal((await failure(put({ Name: '/types/t', Value: 'x', Type: 'StringList', Overwrite: true }))).name, 'HierarchyTypeMismatchException');
  });

  test('tiers: Advanced holds 8 KB, Intelligent-Tiering picks what it needs, and nothing moves down', async () => {
    assert.equal((await put({ Name: '/tier/adv', Value: 'x'.repeat(8192), Type: 'String', Tier: 'Advanced' })).Tier, 'Advanced');
    assert.equal((await failure(put({ Name: '/tier/too-big', Value: 'x'.repeat(8193), Type: 'String', Tier: 'Advanced' }))).name, 'ValidationException');
    assert.equal((await put({ Name: '/tier/it-small', Value: 'x', Type: 'String', Tier: 'Intelligent-Tiering' })).Tier, 'Standard');
    assert.equal((await put({ Name: '/tier/it-big', Value: 'x'.repeat(5000), Type: 'String', Tier: 'Intelligent-Tiering' })).Tier, 'Advanced');
    const down = await failure(put({ Name: '/tier/adv', Value: 'y', Overwrite: true, Tier: 'Standard' }));
    assert.equal(down.name, 'ValidationException');
    assert.match(down.message, /can't downgrade/);
    assert.equal((await put({ Name: '/tier/adv', Value: 'y', Overwrite: true })).Tier, 'Advanced');
    assert.equal((await put({ Name: '/tier/std', Value: 'y', Type: 'String' })).Tier, 'Standard');
    assert.equal((await put({ Name: '/tier/std', Value: 'y', Overwrite: true, Tier: 'Advanced' })).Tier, 'Advanced');
  });

  test('the default tier comes from the service setting, which can be read, updated and reset', async () => {
    const id = '/ssm/parameter-store/default-parameter-tier';
    const initial = (await ssm.send(new GetServiceSettingCommand({ SettingId: id }))).ServiceSetting!;
    assert.deepEqual([initial.SettingValue, initial.Status], ['Standard', 'Default']);
    assert.equal(initial.ARN, `arn:aws:ssm:us-east-1:${t.accountId}:servicesetting${id}`);
    await ssm.send(new UpdateServiceSettingCommand({ SettingId: id, SettingValue: 'Advanced' }));
    const updated = (await ssm.send(new GetServiceSettingCommand({ SettingId: initial.ARN! }))).ServiceSetting!;
    assert.deepEqual([updated.SettingValue, updated.Status, updated.LastModifiedUser], ['Advanced', 'Customized', `arn:aws:iam::${t.accountId}:user/admin`]);
    assert.equal((await put({ Name: '/tier/by-default', Value: 'x', Type: 'String' })).Tier, 'Advanced');
    const reset = (await ssm.send(new ResetServiceSettingCommand({ SettingId: id }))).ServiceSetting!;
    assert.deepEqual([reset.SettingValue, reset.Status], ['Standard', 'Default']);
    assert.equal((await put({ Name: '/tier/after-reset', Value: 'x', Type: 'String' })).Tier, 'Standard');
    assert.equal((await failure(ssm.send(new UpdateServiceSettingCommand({ SettingId: id, SettingValue: 'Premium' })))).name, 'ValidationException');
    assert.equal((await failure(ssm.send(new GetServiceSettingCommand({ SettingId: '/ssm/no/such/setting' })))).name, 'ServiceSettingNotFound');
    const ht = (await ssm.send(new GetServiceSettingCommand({ SettingId: '/ssm/parameter-store/high-throughput-enabled' }))).ServiceSetting!;
    assert.equal(ht.SettingValue, 'false');
  });

  test('versions: selectors, unknown versions, and history with labels and pagination', async () => {
    for (let i = 1; i <= 5; i++) await put({ Name: '/hist/p', Value: `v${i}`, Type: 'String', Overwrite: i > 1 });
    assert.equal((await failure(get('/hist/p:9'))).name, 'ParameterVersionNotFound');
    assert.equal((await failure(get('/hist/p:nolabel'))).name, 'ParameterVersionNotFound');
    assert.equal((await failure(get('/hist/p:1:2'))).name, 'ValidationException');
    await ssm.send(new LabelParameterVersionCommand({ Name: '/hist/p', ParameterVersion: 2, Labels: ['stable'] }));
    const byLabel = (await get('/hist/p:stable')).Parameter!;
    assert.deepEqual([byLabel.Value, byLabel.Selector], ['v2', ':stable']);
    const seen: number[] = [];
    let token: string | undefined;
    do {
      const page = await ssm.send(new GetParameterHistoryCommand({ Name: '/hist/p', MaxResults: 2, ...(token ? { NextToken: token } : {}) }));
      for (const h of page.Parameters!) seen.push(h.Version!);
      if (page.Parameters!.some((h) => h.Version === 2)) assert.deepEqual(page.Parameters!.find((h) => h.Version === 2)!.Labels, ['stable']);
      token = page.NextToken;
    } while (token);
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);
    const h = (await ssm.send(new GetParameterHistoryCommand({ Name: '/hist/p', MaxResults: 1 }))).Parameters![0]!;
    assert.equal(h.LastModifiedUser, `arn:aws:iam::${t.accountId}:user/admin`);
    assert.equal((await failure(ssm.send(new GetParameterHistoryCommand({ Name: '/hist/none' })))).name, 'ParameterNotFound');
    assert.equal((await failure(ssm.send(new GetParameterHistoryCommand({ Name: '/hist/p', NextToken: 'bogus' })))).name, 'InvalidNextToken');
  });

  test('labels: moved when reapplied, invalid ones reported, at most ten per version, removable', async () => {
    for (let i = 1; i <= 3; i++) await put({ Name: '/lab/p', Value: `v${i}`, Type: 'String', Overwrite: i > 1 });
    const res = await ssm.send(new LabelParameterVersionCommand({ Name: '/lab/p', ParameterVersion: 1, Labels: ['prod', '1bad', 'awsy', 'ok.label-1', 'has space'] }));
    assert.deepEqual(res.InvalidLabels?.sort(), ['1bad', 'awsy', 'has space']);
    assert.equal(res.ParameterVersion, 1);
    assert.equal((await get('/lab/p:prod')).Parameter!.Version, 1);
    const moved = await ssm.send(new LabelParameterVersionCommand({ Name: '/lab/p', Labels: ['prod'] }));
    assert.equal(moved.ParameterVersion, 3);
    assert.equal((await get('/lab/p:prod')).Parameter!.Version, 3);
    const history = (await ssm.send(new GetParameterHistoryCommand({ Name: '/lab/p' }))).Parameters!;
    assert.deepEqual(history.find((h) => h.Version === 1)!.Labels, ['ok.label-1']);
    const ten = Array.from({ length: 10 }, (_, i) => `l${i}`);
    await ssm.send(new LabelParameterVersionCommand({ Name: '/lab/p', ParameterVersion: 2, Labels: ten }));
    assert.equal((await failure(ssm.send(new LabelParameterVersionCommand({ Name: '/lab/p', ParameterVersion: 2, Labels: ['eleventh'] })))).name, 'ParameterVersionLabelLimitExceeded');
    assert.equal((await failure(ssm.send(new LabelParameterVersionCommand({ Name: '/lab/p', ParameterVersion: 7, Labels: ['x'] })))).name, 'ParameterVersionNotFound');
    assert.equal((await failure(ssm.send(new LabelParameterVersionCommand({ Name: '/lab/none', Labels: ['x'] })))).name, 'ParameterNotFound');
    const un = await ssm.send(new UnlabelParameterVersionCommand({ Name: '/lab/p', ParameterVersion: 3, Labels: ['prod', 'not-there'] }));
    assert.deepEqual([un.RemovedLabels, un.InvalidLabels], [['prod'], ['not-there']]);
    assert.equal((await failure(get('/lab/p:prod'))).name, 'ParameterVersionNotFound');
    assert.equal((await failure(ssm.send(new UnlabelParameterVersionCommand({ Name: '/lab/p', ParameterVersion: 9, Labels: ['x'] })))).name, 'ParameterVersionNotFound');
  });

  test('history keeps 100 versions, and a label on the oldest blocks the 101st', async () => {
    await put({ Name: '/many/p', Value: 'v1', Type: 'String' });
    await ssm.send(new LabelParameterVersionCommand({ Name: '/many/p', ParameterVersion: 1, Labels: ['first'] }));
    for (let i = 2; i <= 100; i++) await put({ Name: '/many/p', Value: `v${i}`, Overwrite: true });
    const e = await failure(put({ Name: '/many/p', Value: 'v101', Overwrite: true }));
    assert.equal(e.name, 'ParameterMaxVersionLimitExceeded');
    assert.match(e.message, /Version 1, the oldest version, can't be deleted because it has a label/);
    assert.equal((await get('/many/p')).Parameter!.Version, 100);
    await ssm.send(new LabelParameterVersionCommand({ Name: '/many/p', ParameterVersion: 50, Labels: ['first'] }));
    assert.equal((await put({ Name: '/many/p', Value: 'v101', Overwrite: true })).Version, 101);
    assert.equal((await failure(get('/many/p:1'))).name, 'ParameterVersionNotFound');
    assert.equal((await get('/many/p:2')).Parameter!.Value, 'v2');
  });

  test('concurrent overwrites each get a version or TooManyUpdates, and the history has no gaps', async () => {
    await put({ Name: '/race/p', Value: 'v0', Type: 'String' });
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => put({ Name: '/race/p', Value: `v${i + 1}`, Overwrite: true })));
    const won = results.filter((r) => r.status === 'fulfilled').length;
    for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as Error).name, 'TooManyUpdates');
    assert.ok(won >= 1);
    assert.equal((await get('/race/p')).Parameter!.Version, 1 + won);
    const versions = (await ssm.send(new GetParameterHistoryCommand({ Name: '/race/p' }))).Parameters!.map((h) => h.Version);
    assert.deepEqual(versions, Array.from({ length: 1 + won }, (_, i) => i + 1));
  });

  test('concurrent creates of one name: one succeeds, the rest get ParameterAlreadyExists, and one Create event is written', async () => {
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => put({ Name: '/race/new', Value: `v${i}`, Type: 'String' })));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as Error).name, 'ParameterAlreadyExists');
    assert.equal((await get('/race/new')).Parameter!.Version, 1);
    const events = await t.server.core.events.list({ accountId: t.accountId, region: 'us-east-1', detailType: 'Parameter Store Change' });
    assert.deepEqual(events.filter((e) => e.detail.name === '/race/new').map((e) => e.detail.operation), ['Create']);
  });

  test('GetParameters returns found ones sorted and the rest in InvalidParameters', async () => {
    await put({ Name: '/batch/b', Value: 'B', Type: 'String' });
    await put({ Name: '/batch/a', Value: 'A', Type: 'String' });
    const out = await ssm.send(new GetParametersCommand({ Names: ['/batch/b', '/batch/missing', '/batch/a', '/batch/a:7'] }));
    assert.deepEqual(out.Parameters!.map((p) => p.Name), ['/batch/a', '/batch/b']);
    assert.deepEqual(out.InvalidParameters!.sort(), ['/batch/a:7', '/batch/missing']);
    assert.equal((await failure(ssm.send(new GetParametersCommand({ Names: Array.from({ length: 11 }, (_, i) => `/n${i}`) })))).name, 'ValidationException');
  });

  test('DeleteParameter and DeleteParameters remove every version', async () => {
    await put({ Name: '/del/a', Value: 'x', Type: 'String' });
    await put({ Name: '/del/a', Value: 'y', Overwrite: true });
    await ssm.send(new DeleteParameterCommand({ Name: '/del/a' }));
    assert.equal((await failure(get('/del/a'))).name, 'ParameterNotFound');
    assert.equal((await failure(get('/del/a:1'))).name, 'ParameterNotFound');
    assert.equal((await failure(ssm.send(new DeleteParameterCommand({ Name: '/del/a' })))).name, 'ParameterNotFound');
    await put({ Name: '/del/b', Value: 'x', Type: 'String' });
    await put({ Name: '/del/c', Value: 'x', Type: 'String' });
    const out = await ssm.send(new DeleteParametersCommand({ Names: ['/del/b', '/del/c', '/del/nope'] }));
    assert.deepEqual([out.DeletedParameters!.sort(), out.InvalidParameters], [['/del/b', '/del/c'], ['/del/nope']]);
    // A deleted name can be used again from version 1.
    assert.equal((await put({ Name: '/del/a', Value: 'again', Type: 'String' })).Version, 1);
  });

  test('tags: set at creation, added, listed, removed; bad resource types and ids refused', async () => {
    await put({ Name: '/tagged/p', Value: 'x', Type: 'String', Tags: [{ Key: 'env', Value: 'prod' }] });
    await ssm.send(new AddTagsToResourceCommand({ ResourceType: 'Parameter', ResourceId: '/tagged/p', Tags: [{ Key: 'team', Value: 'ops' }, { Key: 'env', Value: 'dev' }] }));
    const listed = await ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: '/tagged/p' }));
    assert.deepEqual(listed.TagList, [{ Key: 'env', Value: 'dev' }, { Key: 'team', Value: 'ops' }]);
    await ssm.send(new RemoveTagsFromResourceCommand({ ResourceType: 'Parameter', ResourceId: '/tagged/p', TagKeys: ['env'] }));
    assert.deepEqual((await ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: '/tagged/p' }))).TagList, [{ Key: 'team', Value: 'ops' }]);
    assert.equal((await failure(ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: '/tagged/none' })))).name, 'InvalidResourceId');
    assert.equal((await failure(ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Bucket' as 'Parameter', ResourceId: '/tagged/p' })))).name, 'ValidationException');
    const many = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    assert.equal((await failure(ssm.send(new AddTagsToResourceCommand({ ResourceType: 'Parameter', ResourceId: '/tagged/p', Tags: many })))).name, 'TooManyTagsError');
    assert.equal((await failure(ssm.send(new AddTagsToResourceCommand({ ResourceType: 'Parameter', ResourceId: '/tagged/p', Tags: [{ Key: 'aws:x', Value: 'v' }] })))).name, 'ValidationException');
    assert.deepEqual((await ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: '/tagged/p' }))).TagList, [{ Key: 'team', Value: 'ops' }]);
  });

  test('parameters are partitioned by region and account', async () => {
    await put({ Name: '/region/p', Value: 'virginia', Type: 'String' });
    const ireland = new SSMClient(t.clientConfig({ region: 'eu-west-1' }));
    assert.equal((await failure(ireland.send(new GetParameterCommand({ Name: '/region/p' })))).name, 'ParameterNotFound');
    await ireland.send(new PutParameterCommand({ Name: '/region/p', Value: 'ireland', Type: 'String' }));
    assert.equal((await ireland.send(new GetParameterCommand({ Name: '/region/p' }))).Parameter!.Value, 'ireland');
    assert.equal((await get('/region/p')).Parameter!.Value, 'virginia');
    const other = await t.server.core.iam.createAccount({ name: `ps-other-${engine}` });
    const theirs = new SSMClient(t.clientConfig({ credentials: { accessKeyId: other.accessKeyId, secretAccessKey: other.secretAccessKey } }));
    assert.equal((await failure(theirs.send(new GetParameterCommand({ Name: '/region/p' })))).name, 'ParameterNotFound');
  });
});
