/**
 * Resource Groups and the tagging API as people drive them from the shell: the AWS CLI, each
 * command a process of its own pointed at a Capstan server with --endpoint-url. Both CLIs are
 * tried where they exist: version 1 (the `aws` on PATH here) and version 2 (/usr/bin/aws), each
 * skipped, saying why, where it is not installed. The server keeps real time: the CLI signs with it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AddTagsToResourceCommand, CreateActivationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { SimulatedAgent } from '../test-support/sim-agent.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { awsClis, runTool, ToolFiles } from '../test-support/aws-tools.js';

const files = new ToolFiles('capstan-rg-cli-');
const clis = awsClis();

let t: TestServer;
let agent: SimulatedAgent;
let nodeArn = '';

/** Runs the CLI as the test's admin against the server, answering JSON. */
const run = (command: string, args: string[]) => runTool(command, [...args, '--endpoint-url', t.endpoint, '--output', 'json'], files.env(t.credentials));

/** The CLI's output is untyped JSON; the assertions are what check its shape. */
type Json = Record<string, any>;

before(async () => {
  t = await startTestServer({});
  const ssm = new SSMClient(t.clientConfig());
  const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
  agent = new SimulatedAgent(t.endpoint, 'rg-cli');
  await agent.register(ActivationId!, ActivationCode!);
  await ssm.send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: agent.instanceId, Tags: [{ Key: 'Role', Value: 'web' }] }));
  nodeArn = `arn:aws:ssm:us-east-1:${t.accountId}:managed-instance/${agent.instanceId}`;
  ssm.destroy();
});

after(async () => {
  await agent?.close();
  await t?.stop();
  files.remove();
});

describe('resource groups from the AWS CLI', () => {
  for (const cli of clis) {
    describe(cli.label, { skip: cli.skip }, () => {
      const group = `web-${cli.version.replace(/[^0-9]/g, '')}`;
      const ok = async (...args: string[]): Promise<Json> => {
        const r = await run(cli.command, args);
        assert.equal(r.code, 0, `aws ${args.join(' ')} failed: ${r.stderr}`);
        return r.stdout.trim() ? (JSON.parse(r.stdout) as Json) : {};
      };

      test('create-group with a tag query, then list-group-resources shows the tagged node', async () => {
        const query = JSON.stringify({ ResourceTypeFilters: ['AWS::SSM::ManagedInstance'], TagFilters: [{ Key: 'Role', Values: ['web'] }] });
        const created = await ok('resource-groups', 'create-group', '--name', group, '--resource-query', JSON.stringify({ Type: 'TAG_FILTERS_1_0', Query: query }), '--tags', 'Team=ops');
        assert.equal(created.Group.Name, group);
        assert.equal(created.Group.GroupArn, `arn:aws:resource-groups:us-east-1:${t.accountId}:group/${group}`);
        assert.deepEqual(created.Tags, { Team: 'ops' });
        const listed = await ok('resource-groups', 'list-group-resources', '--group', group);
        assert.deepEqual(
          listed.Resources.map((r: Json) => r.Identifier),
          [{ ResourceArn: nodeArn, ResourceType: 'AWS::SSM::ManagedInstance' }],
        );
        const groups = await ok('resource-groups', 'list-groups');
        assert.ok(groups.GroupIdentifiers.some((g: Json) => g.GroupName === group));
      });

      test('a bad query fails with BadRequestException', async () => {
        const r = await run(cli.command, ['resource-groups', 'create-group', '--name', `${group}-bad`, '--resource-query', JSON.stringify({ Type: 'TAG_FILTERS_1_0', Query: '{"TagFilters":[]}' })]);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /BadRequestException/);
      });

      test('resourcegroupstaggingapi get-resources finds the node and the group by tag', async () => {
        const byRole = await ok('resourcegroupstaggingapi', 'get-resources', '--tag-filters', 'Key=Role,Values=web');
        assert.deepEqual(
          byRole.ResourceTagMappingList.map((m: Json) => m.ResourceARN),
          [nodeArn],
        );
        const groups = await ok('resourcegroupstaggingapi', 'get-resources', '--resource-type-filters', 'resource-groups:group', '--tag-filters', 'Key=Team');
        assert.ok(groups.ResourceTagMappingList.some((m: Json) => m.ResourceARN.endsWith(`:group/${group}`) && m.Tags.some((x: Json) => x.Key === 'Team' && x.Value === 'ops')));
        await ok('resource-groups', 'delete-group', '--group', group);
      });
    });
  }
});
