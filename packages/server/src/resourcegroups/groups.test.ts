import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CreateGroupCommand,
  DeleteGroupCommand,
  GetGroupCommand,
  GetGroupQueryCommand,
  GetTagsCommand,
  GroupResourcesCommand,
  ListGroupResourcesCommand,
  ListGroupsCommand,
  ResourceGroupsClient,
  SearchResourcesCommand,
  TagCommand,
  UngroupResourcesCommand,
  UntagCommand,
  UpdateGroupCommand,
  UpdateGroupQueryCommand,
  type ResourceQuery,
} from '@aws-sdk/client-resource-groups';
import {
  AddTagsToResourceCommand,
  CreateActivationCommand,
  CreateAssociationCommand,
  CreateDocumentCommand,
  CreateMaintenanceWindowCommand,
  DescribeEffectiveInstanceAssociationsCommand,
  DescribeMaintenanceWindowTargetsCommand,
  GetAutomationExecutionCommand,
  ListCommandInvocationsCommand,
  PutParameterCommand,
  RegisterTargetWithMaintenanceWindowCommand,
  RemoveTagsFromResourceCommand,
  SendCommandCommand,
  SSMClient,
  StartAutomationExecutionCommand,
  StopAutomationExecutionCommand,
} from '@aws-sdk/client-ssm';
import { onEveryEngine } from '../test-support/engines.js';
import { SimulatedAgent } from '../test-support/sim-agent.js';
import { startTestServer, type Engine, type TestServer } from '../test-support/server.js';

const REGION = 'us-east-1';
const nodeQuery = (filters: { Key: string; Values: string[] }[], types = ['AWS::SSM::ManagedInstance']): ResourceQuery => ({ Type: 'TAG_FILTERS_1_0', Query: JSON.stringify({ ResourceTypeFilters: types, TagFilters: filters }) });

onEveryEngine('Resource Groups', (engine: Engine) => {
  let t: TestServer;
  const agents: SimulatedAgent[] = [];
  const ssm = () => new SSMClient(t.clientConfig());
  const rg = () => new ResourceGroupsClient(t.clientConfig());
  const nodeArn = (id: string) => `arn:aws:ssm:${REGION}:${t.accountId}:managed-instance/${id}`;
  const groupArnOf = (name: string) => `arn:aws:resource-groups:${REGION}:${t.accountId}:group/${name}`;
  let n1: string, n2: string, n3: string;
  let docArn: string, paramArn: string;

  async function node(tags: Record<string, string>): Promise<string> {
    const { ActivationId, ActivationCode } = await ssm().send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
    const a = new SimulatedAgent(t.endpoint, `rg-${agents.length}`);
    await a.register(ActivationId!, ActivationCode!);
    await a.connect();
    agents.push(a);
    if (Object.keys(tags).length) await ssm().send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: a.instanceId, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
    return a.instanceId;
  }

  async function rejects(p: Promise<unknown>, code: string, status: number, message?: RegExp): Promise<void> {
    await assert.rejects(p, (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(e.name, code, e.message);
      assert.equal(e.$metadata?.httpStatusCode, status);
      if (message) assert.match(e.message, message);
      return true;
    });
  }

  /** Every member's ARN, across pages. */
  async function members(group: string, filters?: { Name: 'resource-type'; Values: string[] }[]): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const r = await rg().send(new ListGroupResourcesCommand({ Group: group, ...(filters ? { Filters: filters } : {}), ...(token ? { NextToken: token } : {}) }));
      out.push(...r.Resources!.map((x) => x.Identifier!.ResourceArn!));
      token = r.NextToken;
    } while (token);
    return out;
  }

  before(async () => {
    t = await startTestServer({ engine });
    n1 = await node({ Role: 'web', Env: 'prod' });
    n2 = await node({ Role: 'db', Env: 'prod' });
    n3 = await node({});
    const doc = await ssm().send(
      new CreateDocumentCommand({ Name: 'rg-doc', DocumentType: 'Command', Content: JSON.stringify({ schemaVersion: '2.2', mainSteps: [{ action: 'aws:runShellScript', name: 'x', inputs: { runCommand: ['true'] } }] }), Tags: [{ Key: 'Role', Value: 'web' }] }),
    );
    docArn = `arn:aws:ssm:${REGION}:${t.accountId}:document/${doc.DocumentDescription!.Name}`;
    await ssm().send(new PutParameterCommand({ Name: '/rg/p', Value: 'v', Type: 'String', Tags: [{ Key: 'Role', Value: 'web' }] }));
    paramArn = `arn:aws:ssm:${REGION}:${t.accountId}:parameter/rg/p`;
  });
  after(async () => {
    for (const a of agents) await a.close();
    await t.stop();
  });

  test('a tag-query group follows tag changes at once: a node tagged after the group was made is in it, untagged it is out', async () => {
    await rg().send(new CreateGroupCommand({ Name: 'web-nodes', ResourceQuery: nodeQuery([{ Key: 'Role', Values: ['web'] }]) }));
    assert.deepEqual(await members('web-nodes'), [nodeArn(n1)]);
    await ssm().send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: n3, Tags: [{ Key: 'Role', Value: 'web' }] }));
    assert.deepEqual(await members('web-nodes'), [nodeArn(n1), nodeArn(n3)].sort());
    await ssm().send(new RemoveTagsFromResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: n3, TagKeys: ['Role'] }));
    assert.deepEqual(await members('web-nodes'), [nodeArn(n1)]);
    const r = await rg().send(new ListGroupResourcesCommand({ Group: groupArnOf('web-nodes') }));
    assert.deepEqual(r.Resources, [{ Identifier: { ResourceArn: nodeArn(n1), ResourceType: 'AWS::SSM::ManagedInstance' } }]);
    assert.deepEqual(r.ResourceIdentifiers, [{ ResourceArn: nodeArn(n1), ResourceType: 'AWS::SSM::ManagedInstance' }]);
    await rg().send(new DeleteGroupCommand({ Group: 'web-nodes' }));
  });

  test('queries: AND across keys, OR across a key’s values, a key without values matches any value; AWS::AllSupported spans types; unknown types are reported', async () => {
    const search = async (q: ResourceQuery) => {
      const out: string[] = [];
      let token: string | undefined;
      let errors: unknown;
      do {
        const r = await rg().send(new SearchResourcesCommand({ ResourceQuery: q, MaxResults: 1, ...(token ? { NextToken: token } : {}) }));
        assert.ok(r.ResourceIdentifiers!.length <= 1);
        out.push(...r.ResourceIdentifiers!.map((x) => `${x.ResourceType} ${x.ResourceArn}`));
        errors = r.QueryErrors;
        token = r.NextToken;
      } while (token);
      return { out, errors };
    };
    const all = await search(nodeQuery([{ Key: 'Role', Values: ['web'] }], ['AWS::AllSupported']));
    assert.deepEqual(all.out, [`AWS::SSM::ManagedInstance ${nodeArn(n1)}`, `AWS::SSM::Document ${docArn}`, `AWS::SSM::Parameter ${paramArn}`].sort((a, b) => a.split(' ')[1]!.localeCompare(b.split(' ')[1]!)));
    const and = await search(nodeQuery([{ Key: 'Role', Values: ['web', 'db'] }, { Key: 'Env', Values: ['prod'] }]));
    assert.deepEqual(and.out.map((x) => x.split(' ')[1]), [nodeArn(n1), nodeArn(n2)].sort());
    const none = await search(nodeQuery([{ Key: 'Role', Values: ['web'] }, { Key: 'Env', Values: ['dev'] }]));
    assert.deepEqual(none.out, []);
    const exists = await search(nodeQuery([{ Key: 'Env', Values: [] }]));
    assert.deepEqual(exists.out.map((x) => x.split(' ')[1]), [nodeArn(n1), nodeArn(n2)].sort());
    const docsOnly = await search(nodeQuery([{ Key: 'Role', Values: ['web'] }], ['AWS::SSM::Document', 'AWS::EC2::Volume']));
    assert.deepEqual(docsOnly.out, [`AWS::SSM::Document ${docArn}`]);
    assert.deepEqual(docsOnly.errors, [{ ErrorCode: 'RESOURCE_TYPE_NOT_SUPPORTED', Message: 'Resource type AWS::EC2::Volume is not supported by Capstan.' }]);
  });

  test('a static group holds exactly the resources grouped into it, whatever their tags', async () => {
    const created = await rg().send(
      new CreateGroupCommand({
        Name: 'fixed',
        Description: 'hand picked',
        Configuration: [{ Type: 'AWS::ResourceGroups::Generic', Parameters: [{ Name: 'allowed-resource-types', Values: ['AWS::AllSupported'] }, { Name: 'deletion-protection', Values: ['UNLESS_EMPTY'] }] }],
      }),
    );
    assert.equal(created.ResourceQuery, undefined);
    assert.equal(created.GroupConfiguration?.Configuration?.[0]?.Type, 'AWS::ResourceGroups::Generic');
    assert.deepEqual(await members('fixed'), []);
    const bogus = `arn:aws:ssm:${REGION}:${t.accountId}:managed-instance/mi-00000000000000000`;
    const g = await rg().send(new GroupResourcesCommand({ Group: 'fixed', ResourceArns: [nodeArn(n2), docArn, bogus] }));
    assert.deepEqual(g.Succeeded, [nodeArn(n2), docArn]);
    assert.deepEqual(g.Failed?.map((f) => f.ResourceArn), [bogus]);
    assert.match(g.Failed![0]!.ErrorMessage!, /does not exist/);
    assert.deepEqual(g.Pending, []);
    assert.deepEqual(await members('fixed'), [nodeArn(n2), docArn].sort());
    // Tags do not move a static group's members.
    await ssm().send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: n3, Tags: [{ Key: 'Role', Value: 'db' }] }));
    assert.deepEqual(await members('fixed'), [nodeArn(n2), docArn].sort());
    await ssm().send(new RemoveTagsFromResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: n3, TagKeys: ['Role'] }));
    assert.deepEqual(await members('fixed', [{ Name: 'resource-type', Values: ['AWS::SSM::ManagedInstance'] }]), [nodeArn(n2)]);
    const first = await rg().send(new ListGroupResourcesCommand({ Group: 'fixed', MaxResults: 1 }));
    assert.equal(first.Resources!.length, 1);
    assert.ok(first.NextToken);
    await rejects(rg().send(new ListGroupResourcesCommand({ Group: 'fixed', NextToken: 'Zm9v' })), 'BadRequestException', 400, /NextToken/);
    const u = await rg().send(new UngroupResourcesCommand({ Group: groupArnOf('fixed'), ResourceArns: [docArn, nodeArn(n3)] }));
    assert.deepEqual(u.Succeeded, [docArn]);
    assert.deepEqual(u.Failed?.map((f) => f.ResourceArn), [nodeArn(n3)]);
    assert.deepEqual(await members('fixed'), [nodeArn(n2)]);
    await rejects(rg().send(new GetGroupQueryCommand({ Group: 'fixed' })), 'BadRequestException', 400, /explicit list/);
    await rejects(rg().send(new UpdateGroupQueryCommand({ Group: 'fixed', ResourceQuery: nodeQuery([{ Key: 'Role', Values: ['x'] }]) })), 'BadRequestException', 400);
    await rg().send(new CreateGroupCommand({ Name: 'by-tag', ResourceQuery: nodeQuery([{ Key: 'Role', Values: ['web'] }]) }));
    await rejects(rg().send(new GroupResourcesCommand({ Group: 'by-tag', ResourceArns: [docArn] })), 'BadRequestException', 400, /resource query/);
    await rejects(rg().send(new UngroupResourcesCommand({ Group: 'by-tag', ResourceArns: [nodeArn(n1)] })), 'BadRequestException', 400, /resource query/);
    assert.deepEqual(await members('by-tag'), [nodeArn(n1)]);
    await rg().send(new DeleteGroupCommand({ Group: 'by-tag' }));
    await rg().send(new DeleteGroupCommand({ Group: 'fixed' }));
  });

  test('groups: get by name or ARN, update, update the query, list with filters and paging, their own tags, delete', async () => {
    const c = await rg().send(new CreateGroupCommand({ Name: 'ops.team-1', Description: 'first', ResourceQuery: nodeQuery([{ Key: 'Role', Values: ['web'] }]), Tags: { Team: 'ops' }, Owner: 'alice', Criticality: 3 }));
    assert.deepEqual(c.Group, { GroupArn: groupArnOf('ops.team-1'), Name: 'ops.team-1', Description: 'first', Owner: 'alice', Criticality: 3 });
    assert.deepEqual(c.Tags, { Team: 'ops' });
    await rg().send(new CreateGroupCommand({ Name: 'other', ResourceQuery: nodeQuery([{ Key: 'Role', Values: ['db'] }], ['AWS::SSM::Document']) }));
    assert.deepEqual((await rg().send(new GetGroupCommand({ Group: groupArnOf('ops.team-1') }))).Group, c.Group);
    assert.deepEqual((await rg().send(new GetGroupCommand({ GroupName: 'ops.team-1' }))).Group, c.Group);
    const q = await rg().send(new GetGroupQueryCommand({ Group: 'ops.team-1' }));
    assert.deepEqual(q.GroupQuery, { GroupName: 'ops.team-1', ResourceQuery: nodeQuery([{ Key: 'Role', Values: ['web'] }]) });
    const u = await rg().send(new UpdateGroupCommand({ Group: 'ops.team-1', Description: 'second', DisplayName: 'Ops team', Criticality: 5 }));
    assert.deepEqual(u.Group, { GroupArn: groupArnOf('ops.team-1'), Name: 'ops.team-1', Description: 'second', Owner: 'alice', Criticality: 5, DisplayName: 'Ops team' });
    const uq = await rg().send(new UpdateGroupQueryCommand({ Group: 'ops.team-1', ResourceQuery: nodeQuery([{ Key: 'Role', Values: ['db'] }]) }));
    assert.equal(uq.GroupQuery?.ResourceQuery?.Query, nodeQuery([{ Key: 'Role', Values: ['db'] }]).Query);
    assert.deepEqual(await members('ops.team-1'), [nodeArn(n2)]);

    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await rg().send(new ListGroupsCommand({ MaxResults: 1, ...(token ? { NextToken: token } : {}) }));
      assert.equal(page.GroupIdentifiers!.length, 1);
      names.push(page.GroupIdentifiers![0]!.GroupName!);
      token = page.NextToken;
    } while (token);
    assert.deepEqual(names, ['ops.team-1', 'other']);
    const byType = await rg().send(new ListGroupsCommand({ Filters: [{ Name: 'resource-type', Values: ['AWS::SSM::ManagedInstance'] }] }));
    assert.deepEqual(byType.GroupIdentifiers, [{ GroupName: 'ops.team-1', GroupArn: groupArnOf('ops.team-1'), Description: 'second', Owner: 'alice', Criticality: 5, DisplayName: 'Ops team' }]);
    const byOwner = await rg().send(new ListGroupsCommand({ Filters: [{ Name: 'owner', Values: ['bob', 'alice'] }, { Name: 'criticality', Values: ['5'] }] }));
    assert.deepEqual(byOwner.GroupIdentifiers!.map((g) => g.GroupName), ['ops.team-1']);

    const arn = groupArnOf('ops.team-1');
    const tagged = await rg().send(new TagCommand({ Arn: arn, Tags: { Stage: 'prod', Team: 'sre' } }));
    assert.deepEqual(tagged, { $metadata: tagged.$metadata, Arn: arn, Tags: { Stage: 'prod', Team: 'sre' } });
    assert.deepEqual((await rg().send(new GetTagsCommand({ Arn: arn }))).Tags, { Stage: 'prod', Team: 'sre' });
    const untagged = await rg().send(new UntagCommand({ Arn: arn, Keys: ['Team'] }));
    assert.deepEqual(untagged.Keys, ['Team']);
    assert.deepEqual((await rg().send(new GetTagsCommand({ Arn: arn }))).Tags, { Stage: 'prod' });
    await rejects(rg().send(new TagCommand({ Arn: arn, Tags: { 'aws:owner': 'x' } })), 'BadRequestException', 400, /reserved/);
    await rejects(rg().send(new GetTagsCommand({ Arn: groupArnOf('nope') })), 'NotFoundException', 404);

    const d = await rg().send(new DeleteGroupCommand({ Group: arn }));
    assert.equal(d.Group?.Name, 'ops.team-1');
    await rejects(rg().send(new GetGroupCommand({ Group: 'ops.team-1' })), 'NotFoundException', 404);
    await rejects(rg().send(new DeleteGroupCommand({ Group: 'ops.team-1' })), 'NotFoundException', 404);
    await rg().send(new DeleteGroupCommand({ Group: 'other' }));
  });

  test('bad names and queries get BadRequestException saying what was wrong, and nothing is written', async () => {
    await rg().send(new CreateGroupCommand({ Name: 'taken', ResourceQuery: nodeQuery([{ Key: 'Role', Values: ['web'] }]) }));
    const before = (await rg().send(new ListGroupsCommand({}))).GroupIdentifiers!.map((g) => g.GroupName);
    const q = (query: unknown): ResourceQuery => ({ Type: 'TAG_FILTERS_1_0', Query: typeof query === 'string' ? query : JSON.stringify(query) });
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['taken', {}, /already exists/],
      ['has space', {}, /'name'/],
      ['x'.repeat(301), {}, /'name'/],
      ['AWSthings', {}, /reserved/],
      ['awsy', {}, /reserved/],
      ['q1', { ResourceQuery: q('{not json') }, /not valid JSON/],
      ['q2', { ResourceQuery: q({ ResourceTypeFilters: ['AWS::SSM::ManagedInstance'] }) }, /TagFilters/],
      ['q3', { ResourceQuery: q({ ResourceTypeFilters: [], TagFilters: [{ Key: 'a', Values: [] }] }) }, /ResourceTypeFilters/],
      ['q4', { ResourceQuery: q({ ResourceTypeFilters: ['AWS::AllSupported', 'AWS::SSM::Document'], TagFilters: [{ Key: 'a' }] }) }, /AllSupported/],
      ['q5', { ResourceQuery: q({ ResourceTypeFilters: ['ManagedInstance'], TagFilters: [{ Key: 'a' }] }) }, /ManagedInstance/],
      ['q6', { ResourceQuery: q({ ResourceTypeFilters: ['AWS::AllSupported'], TagFilters: [{ Key: 'a' }], Extra: 1 }) }, /Extra/],
      ['q7', { ResourceQuery: q({ ResourceTypeFilters: ['AWS::AllSupported'], TagFilters: [{ Key: '', Values: [] }] }) }, /Key/],
      ['q8', { ResourceQuery: q({ ResourceTypeFilters: ['AWS::AllSupported'], TagFilters: [{ Key: 'a', Values: Array.from({ length: 21 }, (_, n) => `v${n}`) }] }) }, /20 values/],
      ['q9', { ResourceQuery: { Type: 'CLOUDFORMATION_STACK_1_0', Query: JSON.stringify({ StackIdentifier: 'arn:aws:cloudformation:us-east-1:111122223333:stack/s/x' }) } }, /CloudFormation/],
      ['q10', { ResourceQuery: { Type: 'TAG_FILTERS_2_0', Query: '{}' } }, /resourceQuery.type/],
      ['q11', { Tags: { 'aws:x': 'y' } }, /reserved/],
      ['q12', { Description: 'no!' }, /'description'/],
    ];
    for (const [Name, rest, message] of cases) await rejects(rg().send(new CreateGroupCommand({ Name, ...rest } as never)), 'BadRequestException', 400, message);
    await rejects(rg().send(new SearchResourcesCommand({ ResourceQuery: q({ ResourceTypeFilters: ['AWS::AllSupported'], TagFilters: [] }) })), 'BadRequestException', 400, /TagFilters/);
    await rejects(rg().send(new UpdateGroupQueryCommand({ Group: 'taken', ResourceQuery: q('[]') })), 'BadRequestException', 400, /JSON object/);
    await rejects(rg().send(new GetGroupCommand({})), 'BadRequestException', 400, /Group/);
    await rejects(rg().send(new GetGroupCommand({ Group: 'nope' })), 'NotFoundException', 404, /nope/);
    await rejects(rg().send(new GetGroupCommand({ Group: 'arn:aws:resource-groups:us-east-1:999988887777:group/taken' })), 'NotFoundException', 404);
    await rejects(rg().send(new GetGroupCommand({ Group: 'arn:aws:resource-groups:eu-west-1:111122223333:group/taken' })), 'NotFoundException', 404);
    assert.deepEqual((await rg().send(new ListGroupsCommand({}))).GroupIdentifiers!.map((g) => g.GroupName), before);
    assert.equal((await rg().send(new GetGroupQueryCommand({ Group: 'taken' }))).GroupQuery?.ResourceQuery?.Query, nodeQuery([{ Key: 'Role', Values: ['web'] }]).Query);
    await rg().send(new DeleteGroupCommand({ Group: 'taken' }));
  });

  test('SendCommand to resource-groups:Name reaches exactly the group’s nodes', async () => {
    await rg().send(new CreateGroupCommand({ Name: 'cmd-web', ResourceQuery: nodeQuery([{ Key: 'Role', Values: ['web'] }]) }));
    await rg().send(new CreateGroupCommand({ Name: 'cmd-fixed' }));
    await rg().send(new GroupResourcesCommand({ Group: 'cmd-fixed', ResourceArns: [nodeArn(n2), nodeArn(n3), docArn] }));
    const targetsOf = async (targets: { Key: string; Values: string[] }[]) => {
      const { Command } = await ssm().send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', Parameters: { commands: ['true'] }, Targets: targets }));
      const inv = await ssm().send(new ListCommandInvocationsCommand({ CommandId: Command!.CommandId! }));
      return inv.CommandInvocations!.map((i) => i.InstanceId!).sort();
    };
    assert.deepEqual(await targetsOf([{ Key: 'resource-groups:Name', Values: ['cmd-web'] }]), [n1]);
    assert.deepEqual(await targetsOf([{ Key: 'resource-groups:Name', Values: ['cmd-fixed'] }, { Key: 'resource-groups:ResourceTypeFilters', Values: ['AWS::EC2::Instance'] }]), [n2, n3].sort());
    assert.deepEqual(await targetsOf([{ Key: 'resource-groups:Name', Values: ['cmd-web', 'cmd-fixed'] }]), [n1, n2, n3].sort());
    // A target narrows the others: the static group's nodes that also carry Env=prod.
    assert.deepEqual(await targetsOf([{ Key: 'resource-groups:Name', Values: ['cmd-fixed'] }, { Key: 'tag:Env', Values: ['prod'] }]), [n2]);
    await assert.rejects(
      ssm().send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', Parameters: { commands: ['true'] }, Targets: [{ Key: 'resource-groups:Name', Values: ['cmd-web'] }, { Key: 'resource-groups:ResourceTypeFilters', Values: ['AWS::S3::Bucket'] }] })),
      (e: Error) => e.name === 'ValidationException' && /AWS::S3::Bucket/.test(e.message),
    );
    await rg().send(new DeleteGroupCommand({ Group: 'cmd-web' }));
    await rg().send(new DeleteGroupCommand({ Group: 'cmd-fixed' }));
  });

  test('an association targeting a group applies to the group’s nodes, including a node tagged into it later', async () => {
    await rg().send(new CreateGroupCommand({ Name: 'assoc-grp', ResourceQuery: nodeQuery([{ Key: 'Tier', Values: ['front'] }]) }));
    await ssm().send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: n1, Tags: [{ Key: 'Tier', Value: 'front' }] }));
    const { AssociationDescription } = await ssm().send(new CreateAssociationCommand({ Name: 'AWS-RunShellScript', Parameters: { commands: ['true'] }, Targets: [{ Key: 'resource-groups:Name', Values: ['assoc-grp'] }] }));
    const id = AssociationDescription!.AssociationId!;
    const applies = async (node: string) => ((await ssm().send(new DescribeEffectiveInstanceAssociationsCommand({ InstanceId: node }))).Associations ?? []).some((a) => a.AssociationId === id);
    assert.equal(await applies(n1), true);
    assert.equal(await applies(n2), false);
    await ssm().send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: n2, Tags: [{ Key: 'Tier', Value: 'front' }] }));
    assert.equal(await applies(n2), true);
    await ssm().send(new RemoveTagsFromResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: n2, TagKeys: ['Tier'] }));
    assert.equal(await applies(n2), false);
  });

  test('Automation ResourceGroup targets run one child per group node; a maintenance window registers a RESOURCE_GROUP target', async () => {
    await rg().send(new CreateGroupCommand({ Name: 'auto-grp', ResourceQuery: nodeQuery([{ Key: 'Env', Values: ['prod'] }]) }));
    const content = { schemaVersion: '0.3', parameters: { InstanceId: { type: 'String' } }, mainSteps: [{ name: 'Wait', action: 'aws:sleep', inputs: { Duration: 'PT10M' } }] };
    await ssm().send(new CreateDocumentCommand({ Name: 'rg-runbook', DocumentType: 'Automation', DocumentFormat: 'JSON', Content: JSON.stringify(content) }));
    const { AutomationExecutionId } = await ssm().send(new StartAutomationExecutionCommand({ DocumentName: 'rg-runbook', TargetParameterName: 'InstanceId', Targets: [{ Key: 'ResourceGroup', Values: ['auto-grp'] }], MaxConcurrency: '5' }));
    const ex = (await ssm().send(new GetAutomationExecutionCommand({ AutomationExecutionId }))).AutomationExecution!;
    assert.deepEqual([...ex.ResolvedTargets!.ParameterValues!].sort(), [n1, n2].sort());
    await ssm().send(new StopAutomationExecutionCommand({ AutomationExecutionId, Type: 'Cancel' }));

    const { WindowId } = await ssm().send(new CreateMaintenanceWindowCommand({ Name: 'rg-window', Schedule: 'rate(1 day)', Duration: 2, Cutoff: 1, AllowUnassociatedTargets: false }));
    const { WindowTargetId } = await ssm().send(
      new RegisterTargetWithMaintenanceWindowCommand({ WindowId, ResourceType: 'RESOURCE_GROUP', Targets: [{ Key: 'resource-groups:Name', Values: ['auto-grp'] }, { Key: 'resource-groups:ResourceTypeFilters', Values: ['AWS::EC2::Instance'] }] }),
    );
    const listed = await ssm().send(new DescribeMaintenanceWindowTargetsCommand({ WindowId }));
    assert.deepEqual(listed.Targets?.map((x) => [x.WindowTargetId, x.ResourceType]), [[WindowTargetId, 'RESOURCE_GROUP']]);
    await assert.rejects(
      ssm().send(new RegisterTargetWithMaintenanceWindowCommand({ WindowId, ResourceType: 'RESOURCE_GROUP', Targets: [{ Key: 'resource-groups:Name', Values: ['auto-grp'] }, { Key: 'resource-groups:ResourceTypeFilters', Values: ['AWS::S3::Bucket'] }] })),
      (e: Error) => e.name === 'ValidationException' && /AWS::S3::Bucket/.test(e.message),
    );
  });
});
