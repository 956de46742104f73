import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CreateGroupCommand, GetGroupCommand, GetTagsCommand, ResourceGroupsClient } from '@aws-sdk/client-resource-groups';
import { GetResourcesCommand, GetTagKeysCommand, GetTagValuesCommand, ResourceGroupsTaggingAPIClient, TagResourcesCommand, UntagResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { CreateActivationCommand, CreateMaintenanceWindowCommand, CreatePatchBaselineCommand, ListTagsForResourceCommand, PutParameterCommand, SSMClient, type ResourceTypeForTagging } from '@aws-sdk/client-ssm';
import { onEveryEngine } from '../test-support/engines.js';
import { SimulatedAgent } from '../test-support/sim-agent.js';
import { startTestServer, type Engine, type TestServer } from '../test-support/server.js';

const REGION = 'us-east-1';

onEveryEngine('Resource Groups Tagging API', (engine: Engine) => {
  let t: TestServer;
  let agent: SimulatedAgent;
  const ssm = () => new SSMClient(t.clientConfig());
  const tagging = () => new ResourceGroupsTaggingAPIClient(t.clientConfig());
  const arn = (rest: string) => `arn:aws:ssm:${REGION}:${t.accountId}:${rest}`;
  let nodeId: string, windowId: string, baselineId: string;
  const a = { node: '', param: '', window: '', baseline: '', group: '' };

  /** The tags SSM itself reports for a resource: the one copy the tagging API must have changed. */
  const ssmTags = async (ResourceType: ResourceTypeForTagging, ResourceId: string) =>
    Object.fromEntries(((await ssm().send(new ListTagsForResourceCommand({ ResourceType, ResourceId }))).TagList ?? []).map((x) => [x.Key!, x.Value!]));

  async function allResources(input: ConstructorParameters<typeof GetResourcesCommand>[0]): Promise<Record<string, Record<string, string>>> {
    const out: Record<string, Record<string, string>> = {};
    let token = '';
    do {
      const r = await tagging().send(new GetResourcesCommand({ ...input, ...(token ? { PaginationToken: token } : {}) }));
      for (const m of r.ResourceTagMappingList!) out[m.ResourceARN!] = Object.fromEntries(m.Tags!.map((x) => [x.Key!, x.Value!]));
      token = r.PaginationToken ?? '';
    } while (token);
    return out;
  }

  before(async () => {
    t = await startTestServer({ engine });
    const { ActivationId, ActivationCode } = await ssm().send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
    agent = new SimulatedAgent(t.endpoint, 'tagging');
    nodeId = await agent.register(ActivationId!, ActivationCode!);
    await ssm().send(new PutParameterCommand({ Name: '/app/url', Value: 'x', Type: 'String', Tags: [{ Key: 'App', Value: 'shop' }] }));
    await ssm().send(new PutParameterCommand({ Name: 'untagged', Value: 'x', Type: 'String' }));
    windowId = (await ssm().send(new CreateMaintenanceWindowCommand({ Name: 'tag-window', Schedule: 'rate(1 day)', Duration: 2, Cutoff: 1, AllowUnassociatedTargets: false, Tags: [{ Key: 'App', Value: 'billing' }] }))).WindowId!;
    baselineId = (await ssm().send(new CreatePatchBaselineCommand({ Name: 'tag-baseline', OperatingSystem: 'UBUNTU' }))).BaselineId!;
    await new ResourceGroupsClient(t.clientConfig()).send(new CreateGroupCommand({ Name: 'g', Tags: { App: 'shop', Kind: 'group' } }));
    a.node = arn(`managed-instance/${nodeId}`);
    a.param = arn('parameter/app/url');
    a.window = arn(`maintenancewindow/${windowId}`);
    a.baseline = arn(`patchbaseline/${baselineId}`);
    a.group = `arn:aws:resource-groups:${REGION}:${t.accountId}:group/g`;
  });
  after(async () => {
    await agent.close();
    await t.stop();
  });

  test('TagResources and UntagResources change tags across resource types through their owners, reporting unknown ARNs in FailedResourcesMap', async () => {
    const unknown = arn('document/NoSuchDoc');
    const otherAccount = `arn:aws:ssm:${REGION}:999988887777:parameter/app/url`;
    const tagged = await tagging().send(new TagResourcesCommand({ ResourceARNList: [a.node, a.param, a.window, a.baseline, a.group, unknown, otherAccount], Tags: { Owner: 'ops', Stage: 'prod' } }));
    assert.deepEqual(Object.keys(tagged.FailedResourcesMap ?? {}).sort(), [otherAccount, unknown].sort());
    assert.equal(tagged.FailedResourcesMap![unknown]!.ErrorCode, 'InvalidParameterException');
    assert.equal(tagged.FailedResourcesMap![unknown]!.StatusCode, 400);
    assert.match(tagged.FailedResourcesMap![unknown]!.ErrorMessage!, /not found/);
    assert.deepEqual(await ssmTags('ManagedInstance', nodeId), { Owner: 'ops', Stage: 'prod' });
    assert.deepEqual(await ssmTags('Parameter', '/app/url'), { App: 'shop', Owner: 'ops', Stage: 'prod' });
    assert.deepEqual(await ssmTags('MaintenanceWindow', windowId), { App: 'billing', Owner: 'ops', Stage: 'prod' });
    assert.deepEqual(await ssmTags('PatchBaseline', baselineId), { Owner: 'ops', Stage: 'prod' });
    assert.deepEqual((await new ResourceGroupsClient(t.clientConfig()).send(new GetTagsCommand({ Arn: a.group }))).Tags, { App: 'shop', Kind: 'group', Owner: 'ops', Stage: 'prod' });

    const untagged = await tagging().send(new UntagResourcesCommand({ ResourceARNList: [a.node, a.window, unknown], TagKeys: ['Stage', 'Missing'] }));
    assert.deepEqual(Object.keys(untagged.FailedResourcesMap ?? {}), [unknown]);
    assert.deepEqual(await ssmTags('ManagedInstance', nodeId), { Owner: 'ops' });
    assert.deepEqual(await ssmTags('MaintenanceWindow', windowId), { App: 'billing', Owner: 'ops' });
    await tagging().send(new UntagResourcesCommand({ ResourceARNList: [a.node, a.param, a.window, a.baseline, a.group], TagKeys: ['Owner', 'Stage'] }));
    assert.deepEqual(await ssmTags('Parameter', '/app/url'), { App: 'shop' });
    assert.deepEqual(await ssmTags('ManagedInstance', nodeId), {});

    const tooMany = Object.fromEntries(Array.from({ length: 50 }, (_, n) => [`k${n}`, 'v']));
    const r = await tagging().send(new TagResourcesCommand({ ResourceARNList: [a.param, a.baseline], Tags: tooMany }));
    assert.deepEqual(Object.keys(r.FailedResourcesMap ?? {}), [a.param], 'the parameter already has App, so 50 more is 51');
    assert.match(r.FailedResourcesMap![a.param]!.ErrorMessage!, /at most 50 tags/);
    assert.equal(Object.keys(await ssmTags('PatchBaseline', baselineId)).length, 50);
    await tagging().send(new UntagResourcesCommand({ ResourceARNList: [a.baseline], TagKeys: Object.keys(tooMany) }));
  });

  test('GetResources filters by tags (AND across keys, OR across values) and by resource type, lists only tagged resources, and pages', async () => {
    await tagging().send(new TagResourcesCommand({ ResourceARNList: [a.node], Tags: { App: 'shop', Tier: 'web' } }));
    const all = await allResources({});
    assert.deepEqual(Object.keys(all).sort(), [a.group, a.node, a.param, a.window].sort(), 'the untagged parameter and baseline are not listed');
    assert.deepEqual(all[a.node], { App: 'shop', Tier: 'web' });
    assert.deepEqual(Object.keys(await allResources({ TagFilters: [{ Key: 'App', Values: ['shop'] }] })).sort(), [a.group, a.node, a.param].sort());
    assert.deepEqual(Object.keys(await allResources({ TagFilters: [{ Key: 'App', Values: ['shop', 'billing'] }, { Key: 'Tier' }] })), [a.node]);
    assert.deepEqual(Object.keys(await allResources({ TagFilters: [{ Key: 'App', Values: ['billing'] }] })), [a.window]);
    assert.deepEqual(Object.keys(await allResources({ ResourceTypeFilters: ['ssm:parameter', 'ssm:maintenancewindow'] })).sort(), [a.param, a.window].sort());
    assert.deepEqual(Object.keys(await allResources({ ResourceTypeFilters: ['ssm'], TagFilters: [{ Key: 'App', Values: ['shop'] }] })).sort(), [a.node, a.param].sort());
    assert.deepEqual(Object.keys(await allResources({ ResourceTypeFilters: ['resource-groups:group'] })), [a.group]);
    assert.deepEqual(Object.keys(await allResources({ ResourceARNList: [a.baseline, a.param] })), [a.baseline, a.param].sort(), 'named by ARN, a resource is listed with or without tags');
    const first = await tagging().send(new GetResourcesCommand({ ResourcesPerPage: 1 }));
    assert.equal(first.ResourceTagMappingList!.length, 1);
    assert.ok(first.PaginationToken);
    const pages = await allResources({ ResourcesPerPage: 1 });
    assert.deepEqual(Object.keys(pages).sort(), Object.keys(all).sort());
  });

  test('GetTagKeys and GetTagValues span every resource type', async () => {
    await tagging().send(new TagResourcesCommand({ ResourceARNList: [a.baseline], Tags: { Patch: 'weekly', App: 'os' } }));
    const keys = await tagging().send(new GetTagKeysCommand({}));
    assert.deepEqual(keys.TagKeys, ['App', 'Kind', 'Patch', 'Tier']);
    assert.equal(keys.PaginationToken, '');
    assert.deepEqual((await tagging().send(new GetTagValuesCommand({ Key: 'App' }))).TagValues, ['billing', 'os', 'shop']);
    assert.deepEqual((await tagging().send(new GetTagValuesCommand({ Key: 'Nope' }))).TagValues, []);
  });

  test('IAM: TagResources needs the owning service\'s permission on each resource; group operations are authorized on the group\'s ARN', async () => {
    const iam = new IAMClient(t.clientConfig());
    await iam.send(new CreateUserCommand({ UserName: 'tagger' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'tagger' }))).AccessKey!;
    const statements = [
      { Effect: 'Allow', Action: ['tag:TagResources', 'tag:GetResources'], Resource: '*' },
      { Effect: 'Allow', Action: 'ssm:AddTagsToResource', Resource: a.param },
      { Effect: 'Allow', Action: ['resource-groups:Tag', 'resource-groups:GetGroup'], Resource: a.group },
    ];
    await iam.send(new PutUserPolicyCommand({ UserName: 'tagger', PolicyName: 'tagging', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }));
    const credentials = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
    const limited = new ResourceGroupsTaggingAPIClient(t.clientConfig({ credentials }));
    const r = await limited.send(new TagResourcesCommand({ ResourceARNList: [a.param, a.window, a.group], Tags: { Audit: 'yes' } }));
    assert.deepEqual(Object.keys(r.FailedResourcesMap ?? {}), [a.window]);
    assert.equal(r.FailedResourcesMap![a.window]!.StatusCode, 403);
    assert.equal(r.FailedResourcesMap![a.window]!.ErrorCode, 'AccessDeniedException');
    assert.equal((await ssmTags('Parameter', '/app/url')).Audit, 'yes');
    assert.equal((await ssmTags('MaintenanceWindow', windowId)).Audit, undefined);
    await tagging().send(new UntagResourcesCommand({ ResourceARNList: [a.param, a.group], TagKeys: ['Audit'] }));
    const groupsAs = new ResourceGroupsClient(t.clientConfig({ credentials }));
    assert.equal((await groupsAs.send(new GetGroupCommand({ Group: 'g' }))).Group?.Name, 'g');
    await new ResourceGroupsClient(t.clientConfig()).send(new CreateGroupCommand({ Name: 'secret' }));
    await assert.rejects(groupsAs.send(new GetGroupCommand({ Group: 'secret' })), (e: Error) => e.name === 'AccessDeniedException' && e.message.includes(':group/secret'));
    await assert.rejects(limited.send(new UntagResourcesCommand({ ResourceARNList: [a.param], TagKeys: ['App'] })), (e: Error) => e.name === 'AccessDeniedException' && e.message.includes('tag:UntagResources'));
  });

  test('bad input gets InvalidParameterException and changes nothing', async () => {
    const refused = (p: Promise<unknown>, message: RegExp) =>
      assert.rejects(p, (e: Error) => {
        assert.equal(e.name, 'InvalidParameterException', e.message);
        assert.match(e.message, message);
        return true;
      });
    const before = await allResources({});
    await refused(tagging().send(new TagResourcesCommand({ ResourceARNList: [a.param], Tags: { 'aws:cloudformation': 'x' } })), /reserved/);
    await refused(tagging().send(new TagResourcesCommand({ ResourceARNList: [a.param], Tags: {} })), /Tags/);
    await refused(tagging().send(new TagResourcesCommand({ ResourceARNList: [], Tags: { A: 'b' } })), /resourceARNList/);
    await refused(tagging().send(new TagResourcesCommand({ ResourceARNList: Array.from({ length: 21 }, () => a.param), Tags: { A: 'b' } })), /resourceARNList/);
    await refused(tagging().send(new UntagResourcesCommand({ ResourceARNList: [a.param], TagKeys: [] })), /tagKeys/);
    await refused(tagging().send(new GetResourcesCommand({ ResourceARNList: [a.param], TagFilters: [{ Key: 'App' }] })), /ResourceARNList cannot be combined/);
    await refused(tagging().send(new GetResourcesCommand({ ResourcesPerPage: 101 })), /resourcesPerPage/);
    await refused(tagging().send(new GetResourcesCommand({ PaginationToken: 'bm90IGEgdG9rZW4=' })), /PaginationToken/);
    await refused(tagging().send(new GetTagValuesCommand({ Key: '' })), /key/);
    assert.deepEqual(await allResources({}), before);
  });
});
