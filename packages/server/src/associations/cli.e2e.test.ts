/**
 * State Manager as people drive it from the shell: the AWS CLI, each command a process of its
 * own pointed at a Capstan server with --endpoint-url, and a real agent tagged Env=dev running
 * what the associations send it. Both CLIs are tried where they exist: version 1 (the `aws` on
 * PATH here) prints timestamps as epoch seconds, version 2 (/usr/bin/aws) as ISO 8601, and each
 * must parse every response (a timestamp or map it cannot read fails the command). Each is
 * skipped, saying why, where it is not installed. The server keeps real time: the CLI signs with it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddTagsToResourceCommand, CreateActivationCommand, DescribeAssociationExecutionsCommand, DescribeAssociationExecutionTargetsCommand, GetCommandInvocationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AgentProcess, buildAgentBundle } from '../test-support/agent-process.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { awsClis, cliTime, runTool, ToolFiles } from '../test-support/aws-tools.js';
import { until } from '../test-support/until.js';

const work = mkdtempSync(join(tmpdir(), 'capstan-assoc-cli-'));
const files = new ToolFiles('capstan-assoc-cli-tools-');
const clis = awsClis();

let t: TestServer;
let agent: AgentProcess;
/** For waiting and for facts the CLI has already shown it can read: each CLI call costs a second. */
let sdk: SSMClient;

/** Runs the CLI as the test's admin. */
const run = (command: string, args: string[]) => runTool(command, args, files.env(t.credentials));

/** The CLI's output is untyped JSON; the assertions are what check its shape. */
type Json = Record<string, any>;

before(async () => {
  const [server, bundle] = await Promise.all([startTestServer({ schedulerPollMs: 50 }), buildAgentBundle(join(work, 'agent-bundle'))]);
  t = server;
  const ssm = (sdk = new SSMClient(t.clientConfig()));
  const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
  const stateDir = join(work, 'agent');
  mkdirSync(stateDir);
  agent = await AgentProcess.register({ bundle, endpoint: t.endpoint, activationId: ActivationId!, activationCode: ActivationCode!, stateDir });
  await agent.start();
  await ssm.send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: agent.instanceId, Tags: [{ Key: 'Env', Value: 'dev' }] }));
});

after(async () => {
  sdk?.destroy();
  await agent?.kill();
  await t?.stop();
  rmSync(work, { recursive: true, force: true });
  files.remove();
});

describe('associations from the AWS CLI', () => {
  for (const cli of clis) {
    describe(cli.label, { skip: cli.skip }, () => {
      const aws = (...args: string[]) => run(cli.command, ['ssm', ...args, '--endpoint-url', t.endpoint, '--output', 'json']);
      const json = async (...args: string[]): Promise<Json> => {
        const r = await aws(...args);
        assert.equal(r.code, 0, `${cli.label} ssm ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
        return r.stdout.trim() ? (JSON.parse(r.stdout) as Json) : {};
      };
      /** What the CLI exits with when the service answers an error. */
      const serviceError = cli.major >= 2 ? 254 : 255;
      const name = `cli-e2e-v${cli.major}-${process.pid}`;

      test('create-association with tag targets and rate(30 minutes); describe, list, executions until Success, execution targets, update to version 2, versions, start-associations-once, delete', async () => {
        const created = (await json('create-association', '--name', 'AWS-RunShellScript', '--targets', 'Key=tag:Env,Values=dev', '--schedule-expression', 'rate(30 minutes)', '--parameters', 'commands="echo hi"', '--association-name', name)).AssociationDescription;
        const id = created.AssociationId as string;
        assert.match(id, /^[0-9a-f-]{36}$/);
        assert.equal(created.AssociationVersion, '1');
        assert.equal(created.Name, 'AWS-RunShellScript');
        assert.deepEqual(created.Targets, [{ Key: 'tag:Env', Values: ['dev'] }]);
        assert.deepEqual(created.Parameters, { commands: ['echo hi'] });
        assert.equal(created.ScheduleExpression, 'rate(30 minutes)');
        assert.equal(created.AssociationName, name);
        assert.equal(created.Overview.Status, 'Pending');
        assert.ok(Math.abs(cliTime(created.Date) - Date.now()) < 60_000, `Date ${created.Date} is now`);

        const listed = (await json('list-associations', '--association-filter-list', `key=AssociationName,value=${name}`)).Associations as Json[];
        assert.deepEqual(listed.map((a) => a.AssociationId), [id]);
        assert.equal(listed[0]!.ScheduleExpression, 'rate(30 minutes)');

        const settled = async (n: number) => {
          await until(`${n} successful executions of ${id}`, async () => {
            const list = (await sdk.send(new DescribeAssociationExecutionsCommand({ AssociationId: id }))).AssociationExecutions ?? [];
            return list.length === n && list.every((e) => e.Status === 'Success');
          }, { ms: 30_000, every: 100, detail: () => agent.output });
          const list = (await json('describe-association-executions', '--association-id', id)).AssociationExecutions as Json[];
          assert.deepEqual(list.map((e) => e.Status), Array(n).fill('Success'));
          return list;
        };
        const [first] = await settled(1);
        assert.equal(first!.AssociationId, id);
        assert.equal(first!.AssociationVersion, '1');
        assert.equal(first!.DetailedStatus, 'Success');
        assert.equal(first!.ResourceCountByStatus, '{Success=1}');
        assert.ok(cliTime(first!.LastExecutionDate) >= cliTime(first!.CreatedTime));

        const targets = (await json('describe-association-execution-targets', '--association-id', id, '--execution-id', first!.ExecutionId)).AssociationExecutionTargets as Json[];
        assert.equal(targets.length, 1);
        assert.equal(targets[0]!.ResourceId, agent.instanceId);
        assert.equal(targets[0]!.ResourceType, 'ManagedInstance');
        assert.equal(targets[0]!.Status, 'Success');
        assert.equal(targets[0]!.OutputSource.OutputSourceType, 'RunCommand');
        cliTime(targets[0]!.LastExecutionDate);
        const output = await json('get-command-invocation', '--command-id', targets[0]!.OutputSource.OutputSourceId, '--instance-id', agent.instanceId);
        assert.equal(output.StandardOutputContent, 'hi\n', 'the real agent ran the association');

        const overview = (await json('describe-association', '--association-id', id)).AssociationDescription;
        assert.equal(overview.AssociationId, id);
        assert.equal(overview.AssociationName, name);
        assert.equal(cliTime(overview.LastUpdateAssociationDate), cliTime(created.Date));
        assert.equal(overview.Overview.Status, 'Success');
        assert.deepEqual(overview.Overview.AssociationStatusAggregatedCount, { Success: 1 });
        cliTime(overview.LastSuccessfulExecutionDate);
        const statuses = (await json('describe-instance-associations-status', '--instance-id', agent.instanceId)).InstanceAssociationStatusInfos as Json[];
        const mine = statuses.find((s) => s.AssociationId === id);
        assert.equal(mine?.Status, 'Success', JSON.stringify(statuses));
        cliTime(mine.ExecutionDate);

        const updated = (await json('update-association', '--association-id', id, '--parameters', 'commands="echo bye"', '--association-version', '1')).AssociationDescription;
        assert.equal(updated.AssociationVersion, '2');
        assert.deepEqual(updated.Parameters, { commands: ['echo bye'] });
        assert.equal(updated.ScheduleExpression, 'rate(30 minutes)', 'what the update leaves out stays');
        const versions = (await json('list-association-versions', '--association-id', id)).AssociationVersions as Json[];
        assert.deepEqual(versions.map((v) => [v.AssociationVersion, v.Parameters.commands[0]]), [['1', 'echo hi'], ['2', 'echo bye']]);
        for (const v of versions) cliTime(v.CreatedDate);

        assert.deepEqual(await json('start-associations-once', '--association-ids', id), {});
        // Creation, the update (applied at once), and the run asked for.
        const all = await settled(3);
        assert.deepEqual(all.map((e) => e.AssociationVersion), ['2', '2', '1']);
        const [latest] = (await sdk.send(new DescribeAssociationExecutionTargetsCommand({ AssociationId: id, ExecutionId: all[0]!.ExecutionId }))).AssociationExecutionTargets!;
        const said = await sdk.send(new GetCommandInvocationCommand({ CommandId: latest!.OutputSource!.OutputSourceId!, InstanceId: agent.instanceId }));
        assert.equal(said.StandardOutputContent, 'bye\n', 'version 2 ran');

        assert.deepEqual(await json('delete-association', '--association-id', id), {});
        const gone = await aws('describe-association', '--association-id', id);
        assert.equal(gone.code, serviceError, gone.stderr);
        assert.match(gone.stderr, /AssociationDoesNotExist/);
      });

      test('bad input: a rate under 30 minutes is InvalidSchedule, a stale version InvalidAssociationVersion; nothing is written', async () => {
        const fast = await aws('create-association', '--name', 'AWS-RunShellScript', '--targets', 'Key=tag:Env,Values=dev', '--schedule-expression', 'rate(5 minutes)', '--parameters', 'commands="echo hi"', '--association-name', `${name}-bad`);
        assert.equal(fast.code, serviceError, `exit code; stderr: ${fast.stderr}`);
        assert.match(fast.stderr, /\(InvalidSchedule\).*30 minutes/);
        assert.equal(fast.stdout, '');
        const none = (await json('list-associations', '--association-filter-list', `key=AssociationName,value=${name}-bad`)).Associations as Json[];
        assert.deepEqual(none, []);

        const made = (await json('create-association', '--name', 'AWS-RunShellScript', '--targets', 'Key=tag:Env,Values=dev', '--parameters', 'commands="true"', '--association-name', `${name}-stale`)).AssociationDescription;
        await json('update-association', '--association-id', made.AssociationId, '--parameters', 'commands="echo two"');
        const stale = await aws('update-association', '--association-id', made.AssociationId, '--association-version', '1', '--parameters', 'commands="echo lost"');
        assert.equal(stale.code, serviceError, stale.stderr);
        assert.match(stale.stderr, /\(InvalidAssociationVersion\)/);
        const versions = (await json('list-association-versions', '--association-id', made.AssociationId)).AssociationVersions as Json[];
        assert.equal(versions.length, 2, 'the stale update made no version');
        await json('delete-association', '--association-id', made.AssociationId);
      });
    });
  }
});
