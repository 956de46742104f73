import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import {
  DescribeParametersCommand, GetParameterCommand, GetParametersByPathCommand, LabelParameterVersionCommand, PutParameterCommand, SSMClient,
  type DescribeParametersCommandInput, type GetParametersByPathCommandInput,
} from '@aws-sdk/client-ssm';
import { onEveryEngine } from '../test-support/engines.js';
import { failure } from '../test-support/failure.js';
import { startTestServer, type TestServer } from '../test-support/server.js';

onEveryEngine('Parameter Store listings', (engine) => {
  let t: TestServer;
  let ssm: SSMClient;
  before(async () => {
    t = await startTestServer({ engine });
    ssm = new SSMClient(t.clientConfig());
    const put = (Name: string, Value: string, Type: 'String' | 'StringList' | 'SecureString' = 'String', extra = {}) => ssm.send(new PutParameterCommand({ Name, Value, Type, ...extra }));
    await put('/app/a', '1');
    await put('/app/b', '2', 'StringList');
    await put('/app/sub/c', '3');
    await put('/app/sub/deeper/d', '4');
    await put('/app2/e', '5');
    await put('/apple', '6');
    await put('top', '7');
    await put('/app/secret/s', 's3cr3t', 'SecureString');
    await put('/app/tagged', '8', 'String', { Tags: [{ Key: 'team', Value: 'ops' }], Description: 'described' });
    await put('/app/adv', '9', 'String', { Tier: 'Advanced' });
    await put('/app/a', '1b', 'String', { Overwrite: true });
    await ssm.send(new LabelParameterVersionCommand({ Name: '/app/a', ParameterVersion: 1, Labels: ['old'] }));
  });
  after(async () => {
    await t.stop();
  });

  async function byPath(input: GetParametersByPathCommandInput, client = ssm): Promise<string[]> {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new GetParametersByPathCommand({ ...input, ...(token ? { NextToken: token } : {}) }));
      names.push(...page.Parameters!.map((p) => p.Name!));
      token = page.NextToken;
    } while (token);
    return names;
  }

  async function describe(input: DescribeParametersCommandInput): Promise<string[]> {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await ssm.send(new DescribeParametersCommand({ ...input, ...(token ? { NextToken: token } : {}) }));
      names.push(...page.Parameters!.map((p) => p.Name!));
      token = page.NextToken;
    } while (token);
    return names;
  }

  test('GetParametersByPath: one level, or every level with Recursive, never a sibling path', async () => {
    assert.deepEqual(await byPath({ Path: '/app' }), ['/app/a', '/app/adv', '/app/b', '/app/tagged']);
    assert.deepEqual(await byPath({ Path: '/app/', Recursive: true }), ['/app/a', '/app/adv', '/app/b', '/app/secret/s', '/app/sub/c', '/app/sub/deeper/d', '/app/tagged']);
    assert.deepEqual(await byPath({ Path: '/', Recursive: false }), ['/apple']);
    assert.deepEqual(await byPath({ Path: '/nothing', Recursive: true }), []);
  });

  test('paging one name at a time gives the same names, in order, as one page: path, recursive path and name prefix scopes', async () => {
    // Each page resumes after the last name of the one before, inside a range of names: the two
    // bounds are merged into one, and a wrong merge would skip or repeat names at the edges.
    for (const input of [{ Path: '/app', Recursive: true }, { Path: '/app/sub', Recursive: true }, { Path: '/app' }, { Path: '/', Recursive: true }]) {
      const whole = await byPath({ ...input, MaxResults: 10 });
      assert.deepEqual(await byPath({ ...input, MaxResults: 1 }), whole, JSON.stringify(input));
    }
    for (const prefix of ['/app', '/app/s', '/ap', 'to']) {
      const filters = [{ Key: 'Name', Option: 'BeginsWith', Values: [prefix] }];
      const whole = await describe({ ParameterFilters: filters, MaxResults: 50 });
      assert.ok(whole.length > 0, prefix);
      assert.ok(whole.every((n) => n.startsWith(prefix) || n.startsWith(`/${prefix}`)), prefix);
      assert.deepEqual(await describe({ ParameterFilters: filters, MaxResults: 1 }), whole, prefix);
    }
  });

  test('GetParametersByPath pages with MaxResults and NextToken', async () => {
    const page = await ssm.send(new GetParametersByPathCommand({ Path: '/app', Recursive: true, MaxResults: 3 }));
    assert.equal(page.Parameters!.length, 3);
    assert.ok(page.NextToken);
    assert.deepEqual((await byPath({ Path: '/app', Recursive: true, MaxResults: 2 })).length, 7);
    assert.equal((await failure(ssm.send(new GetParametersByPathCommand({ Path: '/app', MaxResults: 11 })))).name, 'ValidationException');
    assert.equal((await failure(ssm.send(new GetParametersByPathCommand({ Path: '/app', NextToken: 'garbage' })))).name, 'InvalidNextToken');
    // A token from one listing is refused by another.
    assert.equal((await failure(ssm.send(new GetParametersByPathCommand({ Path: '/app2', NextToken: page.NextToken! })))).name, 'InvalidNextToken');
  });

  test('paging stays stable while parameters are added and removed', async () => {
    const first = await ssm.send(new GetParametersByPathCommand({ Path: '/app', Recursive: true, MaxResults: 3 }));
    await ssm.send(new PutParameterCommand({ Name: '/app/0-before-everything', Value: 'x', Type: 'String' }));
    const names = first.Parameters!.map((p) => p.Name!);
    let token = first.NextToken;
    while (token) {
      const page = await ssm.send(new GetParametersByPathCommand({ Path: '/app', Recursive: true, MaxResults: 3, NextToken: token }));
      names.push(...page.Parameters!.map((p) => p.Name!));
      token = page.NextToken;
    }
    assert.equal(new Set(names).size, names.length, 'no parameter twice');
    for (const n of ['/app/a', '/app/tagged', '/app/sub/deeper/d']) assert.ok(names.includes(n), n);
  });

  test('GetParametersByPath filters on Type, KeyId and Label, and refuses other keys and options', async () => {
    assert.deepEqual(await byPath({ Path: '/app', Recursive: true, ParameterFilters: [{ Key: 'Type', Values: ['StringList'] }] }), ['/app/b']);
    assert.deepEqual(await byPath({ Path: '/app', Recursive: true, ParameterFilters: [{ Key: 'KeyId', Option: 'Equals', Values: ['alias/aws/ssm'] }] }), ['/app/secret/s']);
    const labeled = await ssm.send(new GetParametersByPathCommand({ Path: '/app', ParameterFilters: [{ Key: 'Label', Values: ['old'] }] }));
    assert.deepEqual(labeled.Parameters!.map((p) => [p.Name, p.Version, p.Value]), [['/app/a', 1, '1']]);
    const badKey = await failure(ssm.send(new GetParametersByPathCommand({ Path: '/app', ParameterFilters: [{ Key: 'Name', Values: ['x'] }] })));
    assert.equal(badKey.name, 'InvalidFilterKey');
    // AWS's shape has no message member; Capstan still says what was wrong.
    assert.match(badKey.message, /Name/);
    assert.equal((await failure(ssm.send(new GetParametersByPathCommand({ Path: '/app', ParameterFilters: [{ Key: 'Label', Option: 'BeginsWith', Values: ['o'] }] })))).name, 'InvalidFilterOption');
    assert.equal((await failure(ssm.send(new GetParametersByPathCommand({ Path: '/app', ParameterFilters: [{ Key: 'Type', Values: ['Number'] }] })))).name, 'InvalidFilterValue');
    assert.equal((await failure(ssm.send(new GetParametersByPathCommand({ Path: 'app' })))).name, 'ValidationException');
  });

  test('SecureStrings come back encrypted unless WithDecryption', async () => {
    const plain = await ssm.send(new GetParametersByPathCommand({ Path: '/app/secret' }));
    assert.notEqual(plain.Parameters![0]!.Value, 's3cr3t');
    const decrypted = await ssm.send(new GetParametersByPathCommand({ Path: '/app/secret', WithDecryption: true }));
    assert.equal(decrypted.Parameters![0]!.Value, 's3cr3t');
  });

  test('GetParametersByPath returns only what the caller may read', async () => {
    const iam = new IAMClient(t.clientConfig());
    await iam.send(new CreateUserCommand({ UserName: 'reader' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'reader' }))).AccessKey!;
    await iam.send(new PutUserPolicyCommand({
      UserName: 'reader', PolicyName: 'app-but-not-sub',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [
        { Effect: 'Allow', Action: ['ssm:GetParametersByPath', 'ssm:GetParameter'], Resource: [`arn:aws:ssm:*:${t.accountId}:parameter/app`, `arn:aws:ssm:*:${t.accountId}:parameter/app/*`] },
        { Effect: 'Deny', Action: ['ssm:GetParametersByPath', 'ssm:GetParameter'], Resource: `arn:aws:ssm:*:${t.accountId}:parameter/app/sub/*` },
      ] }),
    }));
    const reader = new SSMClient(t.clientConfig({ credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } }));
    const names = await byPath({ Path: '/app', Recursive: true }, reader);
    assert.ok(names.includes('/app/a'));
    assert.ok(!names.some((n) => n.startsWith('/app/sub/')), names.join(','));
    await assert.rejects(reader.send(new GetParameterCommand({ Name: '/app/sub/c' })), { name: 'AccessDeniedException' });
    await assert.rejects(reader.send(new GetParametersByPathCommand({ Path: '/app2' })), { name: 'AccessDeniedException' });
  });

  test('DescribeParameters returns metadata and no values', async () => {
    const out = await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: ['/app/tagged'] }] }));
    const m = out.Parameters![0]!;
    assert.equal(m.Name, '/app/tagged');
    assert.equal(m.Description, 'described');
    assert.equal(m.Version, 1);
    assert.equal(m.Tier, 'Standard');
    assert.equal((m as Record<string, unknown>).Value, undefined);
    const secure = (await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: ['/app/secret/s'] }] }))).Parameters![0]!;
    assert.equal(secure.KeyId, 'alias/aws/ssm');
  });

  test('DescribeParameters filters: Name options, Path, Type, Tier, DataType, tag', async () => {
    assert.deepEqual(await describe({ ParameterFilters: [{ Key: 'Name', Option: 'BeginsWith', Values: ['/app/s'] }] }), ['/app/secret/s', '/app/sub/c', '/app/sub/deeper/d']);
    assert.deepEqual(await describe({ ParameterFilters: [{ Key: 'Name', Option: 'Contains', Values: ['ppl'] }] }), ['/apple']);
    assert.deepEqual(await describe({ ParameterFilters: [{ Key: 'Path', Option: 'OneLevel', Values: ['/app/sub'] }] }), ['/app/sub/c']);
    assert.deepEqual(await describe({ ParameterFilters: [{ Key: 'Path', Option: 'Recursive', Values: ['/app/sub'] }] }), ['/app/sub/c', '/app/sub/deeper/d']);
    assert.deepEqual(await describe({ ParameterFilters: [{ Key: 'Type', Values: ['SecureString'] }] }), ['/app/secret/s']);
    assert.deepEqual(await describe({ ParameterFilters: [{ Key: 'Tier', Values: ['Advanced'] }] }), ['/app/adv']);
    assert.deepEqual(await describe({ ParameterFilters: [{ Key: 'tag:team', Values: ['ops'] }] }), ['/app/tagged']);
    assert.deepEqual(await describe({ ParameterFilters: [{ Key: 'tag:team' }] }), ['/app/tagged']);
    assert.ok((await describe({ ParameterFilters: [{ Key: 'DataType', Values: ['text'] }] })).includes('top'));
    assert.deepEqual(await describe({ Filters: [{ Key: 'Name', Values: ['/app/sub'] }] }), ['/app/sub/c', '/app/sub/deeper/d']);
  });

  test('DescribeParameters refuses bad filters with AWS\'s codes', async () => {
    const bad = (input: DescribeParametersCommandInput) => failure(ssm.send(new DescribeParametersCommand(input)));
    assert.equal((await bad({ ParameterFilters: [{ Key: 'Label', Values: ['x'] }] })).name, 'InvalidFilterKey');
    assert.equal((await bad({ ParameterFilters: [{ Key: 'Path', Option: 'Equals', Values: ['/app'] }] })).name, 'InvalidFilterOption');
    assert.equal((await bad({ ParameterFilters: [{ Key: 'Type', Option: 'Contains', Values: ['String'] }] })).name, 'InvalidFilterOption');
    assert.equal((await bad({ ParameterFilters: [{ Key: 'Path', Values: ['app'] }] })).name, 'InvalidFilterValue');
    assert.equal((await bad({ ParameterFilters: [{ Key: 'Name' }] })).name, 'InvalidFilterValue');
    assert.equal((await bad({ ParameterFilters: [{ Key: 'Colour', Values: ['x'] }] })).name, 'ValidationException');
    assert.equal((await bad({ Filters: [{ Key: 'Name', Values: ['x'] }], ParameterFilters: [{ Key: 'Type', Values: ['String'] }] })).name, 'ValidationException');
    assert.equal((await bad({ MaxResults: 51 })).name, 'ValidationException');
    assert.equal((await bad({ NextToken: 'nope' })).name, 'InvalidNextToken');
  });

  test('DescribeParameters pages through everything once', async () => {
    const all = await describe({ MaxResults: 2 });
    assert.equal(new Set(all).size, all.length);
    assert.deepEqual([...all].sort(), all);
    for (const n of ['top', '/apple', '/app2/e', '/app/sub/deeper/d']) assert.ok(all.includes(n), n);
  });
});
