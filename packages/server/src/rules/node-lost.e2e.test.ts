/**
 * The acceptance test of event rules: a real agent (the `capstan agent run` process) is killed,
 * the clock moves past the ConnectionLost cutoff, and a rule on the node's status event starts
 * a runbook, as the rule's role, whose parameters carry the node's id.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateActivationCommand, CreateDocumentCommand, DescribeInstanceInformationCommand, GetAutomationExecutionCommand, GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { loadIdentity } from '../../../agent/src/state.js';
import { NODE_STATUS_EVENT } from '../nodes/index.js';
import { ManualClock } from '../scheduler/clock.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { until } from '../test-support/until.js';
import { jsonHeaders, rawCall } from '../test-support/sign.js';

const root = new URL('../../../../', import.meta.url).pathname;
const cli = ['--conditions=capstan-src', '--import', 'tsx', 'packages/cli/src/main.ts'];
const PING_MS = 60_000;


let t: TestServer;
const clock = new ManualClock(Date.now());
const work = mkdtempSync(join(tmpdir(), 'capstan-rules-e2e-'));
let agent: ChildProcess | undefined;
let agentOutput = '';

// The SDK signs with its own clock; keep it level with the server's as the test moves time.
const config = () => ({ ...t.clientConfig(), systemClockOffset: clock.now() - Date.now() });

before(async () => {
  t = await startTestServer({ clock, agentPingMs: PING_MS, schedulerPollMs: 20 });
});
after(async () => {
  agent?.kill('SIGKILL');
  await t.stop();
  rmSync(work, { recursive: true, force: true });
});

test('a node turning ConnectionLost starts a runbook with the node\'s id, as the rule\'s role, and the firing is recorded', async () => {
  const ssm = () => new SSMClient(config());
  const { ActivationId, ActivationCode } = await ssm().send(new CreateActivationCommand({ IamRole: 'SSMServiceRole' }));
  const stateDir = join(work, 'node');
  await promisify(execFile)(process.execPath, [...cli, 'agent', 'register', '--endpoint', t.endpoint, '--activation-id', ActivationId!, '--activation-code', ActivationCode!, '--state-dir', stateDir], { cwd: root });
  const nodeId = loadIdentity(stateDir).identity.instanceId;
  agent = spawn(process.execPath, [...cli, 'agent', 'run', '--state-dir', stateDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  agent.stdout!.on('data', (d: Buffer) => (agentOutput += d.toString()));
  agent.stderr!.on('data', (d: Buffer) => (agentOutput += d.toString()));
  const exited = new Promise((resolve) => agent!.on('exit', resolve));
  await until('the agent online', async () => (agentOutput.includes('online as') ? true : undefined));

  // The runbook records which node was lost; the rule's role may start it and the step may write the parameter.
  await ssm().send(
    new CreateDocumentCommand({
      Name: 'RecordLostNode',
      DocumentType: 'Automation',
      DocumentFormat: 'YAML',
      Content: stringify({
        schemaVersion: '0.3',
        parameters: { InstanceId: { type: 'String' } },
        mainSteps: [{ name: 'Record', action: 'aws:executeAwsApi', inputs: { Service: 'ssm', Api: 'PutParameter', Name: '/lost-nodes/{{ InstanceId }}', Value: 'ConnectionLost', Type: 'String', Overwrite: true } }],
      }),
    }),
  );
  const iam = new IAMClient(config());
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': t.accountId } } }] });
  const roleArn = (await iam.send(new CreateRoleCommand({ RoleName: 'node-lost-responder', AssumeRolePolicyDocument: trust }))).Role!.Arn!;
  const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ssm:StartAutomationExecution', 'ssm:PutParameter'], Resource: '*' }] });
  await iam.send(new PutRolePolicyCommand({ RoleName: 'node-lost-responder', PolicyName: 'respond', PolicyDocument: policy }));

  const events = new EventBridgeClient(config());
  await events.send(new PutRuleCommand({ Name: 'node-lost', EventPattern: JSON.stringify({ source: ['aws.ssm'], 'detail-type': [NODE_STATUS_EVENT], detail: { 'ping-status': ['ConnectionLost'] } }) }));
  await events.send(
    new PutTargetsCommand({
      Rule: 'node-lost',
      Targets: [
        {
          Id: 'record',
          Arn: `arn:aws:ssm:us-east-1:${t.accountId}:automation-definition/RecordLostNode`,
          RoleArn: roleArn,
          InputTransformer: { InputPathsMap: { node: '$.detail.instance-id' }, InputTemplate: '{"InstanceId": ["<node>"]}' },
        },
      ],
    }),
  );

  const statusEvents = async () => (await t.server.core.events.list({ accountId: t.accountId, region: 'us-east-1', detailType: NODE_STATUS_EVENT })).filter((e) => e.detail['instance-id'] === nodeId);
  assert.deepEqual((await statusEvents()).map((e) => e.detail['ping-status']), ['Online']);

  agent.kill('SIGKILL');
  await exited;
  // Until the sweep runs, nothing is announced; past the cutoff it runs and the node is ConnectionLost.
  clock.advance(3 * PING_MS);
  await t.server.core.scheduler.tick();
  const info = (await ssm().send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [nodeId] }] }))).InstanceInformationList![0]!;
  assert.equal(info.PingStatus, 'ConnectionLost');
  const lost = await until('the ConnectionLost event', async () => {
    const list = await statusEvents();
    return list.length === 2 ? list[1] : undefined;
  });
  assert.deepEqual([lost.source, lost.detail['ping-status'], lost.detail['previous-ping-status'], lost.resources], ['aws.ssm', 'ConnectionLost', 'Online', [`arn:aws:ssm:us-east-1:${t.accountId}:managed-instance/${nodeId}`]]);

  const firing = await until('the rule to fire', async () => {
    const r = await rawCall({ endpoint: t.endpoint, service: 'events', credentials: t.credentials, headers: jsonHeaders('AWSEvents.CapstanListRuleFirings'), body: JSON.stringify({ RuleName: 'node-lost' }), signingDate: new Date(clock.now()) });
    const f = (r.json() as { Firings: { Status: string; EventId: string; AutomationExecutionId?: string; ErrorMessage?: string }[] }).Firings[0];
    return f && f.Status !== 'PENDING' ? f : undefined;
  });
  assert.equal(firing.Status, 'SUCCEEDED', firing.ErrorMessage);
  assert.equal(firing.EventId, lost.id);
  const execution = await until('the runbook to finish', async () => {
    await t.server.core.scheduler.tick();
    const e = (await ssm().send(new GetAutomationExecutionCommand({ AutomationExecutionId: firing.AutomationExecutionId! }))).AutomationExecution!;
    return ['Success', 'Failed', 'TimedOut', 'Cancelled'].includes(e.AutomationExecutionStatus ?? '') ? e : undefined;
  });
  assert.equal(execution.AutomationExecutionStatus, 'Success', execution.FailureMessage);
  assert.deepEqual(execution.Parameters, { InstanceId: [nodeId] });
  assert.equal(execution.ExecutedBy, `arn:aws:sts::${t.accountId}:assumed-role/node-lost-responder/events-node-lost`);
  assert.equal((await ssm().send(new GetParameterCommand({ Name: `/lost-nodes/${nodeId}` }))).Parameter!.Value, 'ConnectionLost');

  // Announced once: later sweeps find nothing new, and the rule does not fire again.
  clock.advance(3 * PING_MS);
  await t.server.core.scheduler.tick();
  assert.equal((await statusEvents()).length, 2);
});
