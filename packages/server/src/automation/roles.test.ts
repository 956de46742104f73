import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutRolePolicyCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { GetParameterCommand, SSMClient, StartAutomationExecutionCommand } from '@aws-sdk/client-ssm';
import { automationHarness, ended, type AutomationHarness } from './test-support/harness.js';

let h: AutomationHarness;
let iam: IAMClient;
const trust = (service: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });
const allow = (action: string | string[], resource = '*') => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] });

before(async () => {
  h = await automationHarness();
  iam = new IAMClient(h.t.clientConfig());
});
after(async () => h.stop());

async function role(name: string, service: string, policy?: string): Promise<string> {
  const arn = (await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust(service) }))).Role!.Arn!;
  if (policy) await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'p', PolicyDocument: policy }));
  return arn;
}

test('steps act as the runbook assumeRole: what the role may do succeeds, what it may not fails the step with AccessDenied, and the audit trail names the role', async () => {
  const writer = await role('automation-writer', 'ssm.amazonaws.com', allow(['ssm:PutParameter', 'ssm:GetParameter'], 'arn:aws:ssm:*:*:parameter/allowed/*'));
  const name = await h.runbook('as-role', {
    assumeRole: '{{ AutomationAssumeRole }}',
    parameters: { AutomationAssumeRole: { type: 'String', default: '' }, Path: { type: 'String' } },
    mainSteps: [{ name: 'Put', action: 'aws:executeAwsApi', inputs: { Service: 'ssm', Api: 'PutParameter', Name: '{{ Path }}', Value: 'v', Type: 'String' } }],
  });
  const ok = await h.waitFor(await h.start(name, { AutomationAssumeRole: [writer], Path: ['/allowed/x'] }), ended);
  assert.equal(ok.AutomationExecutionStatus, 'Success', ok.FailureMessage);
  assert.equal((await h.ssm.send(new GetParameterCommand({ Name: '/allowed/x' }))).Parameter?.Value, 'v');

  const denied = await h.waitFor(await h.start(name, { AutomationAssumeRole: [writer], Path: ['/elsewhere/x'] }), ended);
  assert.equal(denied.AutomationExecutionStatus, 'Failed');
  assert.match(denied.StepExecutions![0]!.FailureMessage!, /AccessDeniedException.*assumed-role\/automation-writer/);

  await h.t.server.core.audit.flush();
  const trail = new CloudTrailClient(h.t.clientConfig());
  const events = (await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'PutParameter' }] }))).Events ?? [];
  const byRole = events.map((e) => JSON.parse(e.CloudTrailEvent!) as { userIdentity: { arn: string }; sourceIPAddress: string; errorCode?: string });
  assert.ok(byRole.some((e) => /assumed-role\/automation-writer\//.test(e.userIdentity.arn) && e.sourceIPAddress === 'ssm.amazonaws.com' && !e.errorCode), 'the allowed write is in the trail as the role');
  assert.ok(byRole.some((e) => /assumed-role\/automation-writer\//.test(e.userIdentity.arn) && e.errorCode === 'AccessDeniedException'), 'so is the denied one');
});

test('assumeRole must exist, trust ssm.amazonaws.com and be passable by the caller', async () => {
  const untrusting = await role('automation-untrusting', 'events.amazonaws.com');
  const name = await h.runbook('role-checks', {
    assumeRole: '{{ Role }}',
    parameters: { Role: { type: 'String' } },
    mainSteps: [{ name: 'S', action: 'aws:sleep', inputs: { Duration: 'PT1S' } }],
  });
  await assert.rejects(h.start(name, { Role: [`arn:aws:iam::${h.t.accountId}:role/no-such-role`] }), /InvalidAutomationExecutionParametersException.*does not exist/);
  await assert.rejects(h.start(name, { Role: [untrusting] }), /InvalidAutomationExecutionParametersException.*does not trust ssm.amazonaws.com/);
  await assert.rejects(h.start(name, { Role: ['not-an-arn'] }), /InvalidAutomationExecutionParametersException/);

  // A user allowed to start automations but not to pass the role.
  const trusted = await role('automation-trusted', 'ssm.amazonaws.com');
  await iam.send(new CreateUserCommand({ UserName: 'starter' }));
  await iam.send(new PutUserPolicyCommand({ UserName: 'starter', PolicyName: 'p', PolicyDocument: allow(['ssm:StartAutomationExecution', 'ssm:GetAutomationExecution']) }));
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'starter' }))).AccessKey!;
  const starter = new SSMClient(h.t.clientConfig({ credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } }));
  await assert.rejects(starter.send(new StartAutomationExecutionCommand({ DocumentName: name, Parameters: { Role: [trusted] } })), /AccessDenied.*iam:PassRole/);
  await iam.send(new PutUserPolicyCommand({ UserName: 'starter', PolicyName: 'pass', PolicyDocument: allow('iam:PassRole', trusted) }));
  const id = (await starter.send(new StartAutomationExecutionCommand({ DocumentName: name, Parameters: { Role: [trusted] } }))).AutomationExecutionId!;
  const done = await h.waitFor(id, ended, { stepMs: 1_000 });
  assert.equal(done.AutomationExecutionStatus, 'Success');
  assert.match(done.ExecutedBy!, /user\/starter$/);
});

test('without assumeRole the steps act as the user who started it, with the policies the user has at each step', async () => {
  await iam.send(new CreateUserCommand({ UserName: 'limited' }));
  await iam.send(new PutUserPolicyCommand({ UserName: 'limited', PolicyName: 'p', PolicyDocument: allow(['ssm:StartAutomationExecution', 'ssm:GetAutomationExecution', 'ssm:DescribeDocument', 'ssm:GetDocument']) }));
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'limited' }))).AccessKey!;
  const limited = new SSMClient(h.t.clientConfig({ credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } }));
  const name = await h.runbook('as-user', { mainSteps: [{ name: 'Put', action: 'aws:executeAwsApi', inputs: { Service: 'ssm', Api: 'PutParameter', Name: '/limited/x', Value: 'v', Type: 'String' } }] });
  const id = (await limited.send(new StartAutomationExecutionCommand({ DocumentName: name }))).AutomationExecutionId!;
  const done = await h.waitFor(id, ended);
  assert.equal(done.AutomationExecutionStatus, 'Failed');
  assert.match(done.StepExecutions![0]!.FailureMessage!, /AccessDeniedException.*user\/limited.*ssm:PutParameter/);
});
