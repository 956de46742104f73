import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { after, before, test } from 'node:test';
import { CreateActivationCommand, DescribeAutomationStepExecutionsCommand, ListCommandsCommand, PutParameterCommand, SendAutomationSignalCommand, StartChangeRequestExecutionCommand, CreateDocumentCommand } from '@aws-sdk/client-ssm';
import { stringify } from 'yaml';
import { okStep, failedStep, SimulatedAgent } from '../test-support/sim-agent.js';
import { pythonAvailable } from './script/index.js';
import { WEBHOOK_PARAMETER_PREFIX } from './actions/webhook.js';
import { automationHarness, ended, type AutomationHarness } from './test-support/harness.js';

let h: AutomationHarness;
const agents: SimulatedAgent[] = [];
let hook: { url: string; received: { path: string; headers: IncomingMessage['headers']; body: string }[]; status: number; close(): Promise<void> };

before(async () => {
  h = await automationHarness();
  const received: { path: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(hook.status, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  hook = { url: `http://127.0.0.1:${port}`, received, status: 200, close: () => new Promise((r) => server.close(() => r())) };
});
after(async () => {
  for (const a of agents) await a.close();
  await hook.close();
  await h.stop();
});

async function nodes(n: number): Promise<SimulatedAgent[]> {
  const { ActivationId, ActivationCode } = await h.ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: n }));
  const out: SimulatedAgent[] = [];
  for (let i = 0; i < n; i++) {
    const a = new SimulatedAgent(h.t.endpoint, `node-${i}`);
    await a.register(ActivationId!, ActivationCode!);
    await a.connect();
    agents.push(a);
    out.push(a);
  }
  return out;
}

test('aws:runCommand sends the command as the automation and waits for every node; outputs carry its id, status and output', async () => {
  const [a, b] = await nodes(2);
  for (const n of [a!, b!]) n.behaviour = () => ({ status: 'Success', steps: [okStep('0.aws:runShellScript', `hi from ${n.instanceId}\n`)], output: `hi from ${n.instanceId}\n` });
  const name = await h.runbook('run', {
    parameters: { Nodes: { type: 'StringList' } },
    mainSteps: [{ name: 'Run', action: 'aws:runCommand', inputs: { DocumentName: 'AWS-RunShellScript', InstanceIds: '{{ Nodes }}', Parameters: { commands: ['echo hi'] } } }],
    outputs: ['Run.Output', 'Run.Status'],
  });
  const done = await h.waitFor(await h.start(name, { Nodes: [a!.instanceId, b!.instanceId] }), ended, { stepMs: 1_000 });
  assert.equal(done.AutomationExecutionStatus, 'Success', done.FailureMessage);
  const step = done.StepExecutions![0]!;
  const commandId = step.Outputs!.CommandId![0]!;
  assert.match(step.Outputs!.Output![0]!, new RegExp(`hi from ${a!.instanceId}`));
  assert.match(step.Outputs!.Output![0]!, new RegExp(`hi from ${b!.instanceId}`));
  assert.deepEqual(done.Outputs!['Run.Status'], ['Success']);
  const cmd = (await h.ssm.send(new ListCommandsCommand({ CommandId: commandId }))).Commands![0]!;
  assert.match(cmd.Comment!, new RegExp(done.AutomationExecutionId!));

  a!.behaviour = () => ({ status: 'Failed', steps: [failedStep('0.aws:runShellScript', 3)] });
  const failed = await h.waitFor(await h.start(name, { Nodes: [a!.instanceId] }), ended, { stepMs: 1_000 });
  assert.equal(failed.AutomationExecutionStatus, 'Failed');
  assert.match(failed.StepExecutions![0]!.FailureMessage!, new RegExp(`ended Failed on ${a!.instanceId}`));
});

test('built-in runbooks run: Capstan-RunScriptWithApproval waits for the approver, then runs the script on the nodes', async () => {
  const [n] = await nodes(1);
  n!.behaviour = () => ({ status: 'Success', steps: [okStep('0.aws:runShellScript', 'patched\n')], output: 'patched\n' });
  const id = await h.start('Capstan-RunScriptWithApproval', { InstanceIds: [n!.instanceId], Commands: ['echo patched'], Approvers: ['admin'] });
  await h.waitFor(id, (e) => e.AutomationExecutionStatus === 'Waiting');
  assert.equal(n!.jobs.length, 0, 'nothing ran before the approval');
  await h.ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: 'Approve' }));
  const done = await h.waitFor(id, ended, { stepMs: 1_000 });
  assert.equal(done.AutomationExecutionStatus, 'Success', done.FailureMessage);
  assert.deepEqual(done.Outputs!['ApproveScript.ApprovalStatus'], ['Approved']);
  assert.match(done.Outputs!['RunScript.Output']![0]!, /patched/);

  const diag = await h.waitFor(await h.start('Capstan-CollectDiagnostics', { InstanceIds: [n!.instanceId] }), ended, { stepMs: 1_000 });
  assert.equal(diag.AutomationExecutionStatus, 'Success', diag.FailureMessage);
  assert.deepEqual(diag.StepExecutions!.map((s) => s.StepName), ['CollectSystem', 'CollectLogs']);
});

test('built-in Capstan-TroubleshootNode: an Online node runs the agent self-check; one that is not gets advice with its last ping', async () => {
  const [online] = await nodes(1);
  online!.behaviour = () => ({ status: 'Success', steps: [okStep('diagnose', 'all checks passed\n')], output: 'all checks passed\n' });
  const ok = await h.waitFor(await h.start('Capstan-TroubleshootNode', { InstanceId: [online!.instanceId] }), ended, { stepMs: 1_000 });
  assert.equal(ok.AutomationExecutionStatus, 'Success', ok.FailureMessage);
  assert.deepEqual(ok.StepExecutions!.map((s) => s.StepName), ['LookUp', 'IsOnline', 'SelfCheck']);
  assert.match(ok.Outputs!['SelfCheck.Output']![0]!, /all checks passed/);

  const { ActivationId, ActivationCode } = await h.ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
  const silent = new SimulatedAgent(h.t.endpoint, 'silent');
  await silent.register(ActivationId!, ActivationCode!);
  const advice = await h.waitFor(await h.start('Capstan-TroubleshootNode', { InstanceId: [silent.instanceId] }), ended, { stepMs: 1_000 });
  assert.equal(advice.AutomationExecutionStatus, 'Success', advice.FailureMessage);
  assert.deepEqual(advice.StepExecutions!.map((s) => s.StepName), ['LookUp', 'IsOnline', 'Advise']);
  const payload = JSON.parse(advice.Outputs!['Advise.Payload']![0]!) as { summary: string; check: string[] };
  assert.match(payload.summary, new RegExp(`${silent.instanceId} is (ConnectionLost|Inactive)`));
  assert.ok(payload.check.length >= 3);
});

test('aws:executeScript in Python: events in, the return value out as Payload; an exception fails the step with its message', async (t) => {
  if (!(await pythonAvailable())) return t.skip('python3 is not installed on this machine');
  const name = await h.runbook('py', {
    parameters: { Word: { type: 'String', default: 'hello' } },
    mainSteps: [
      { name: 'Py', action: 'aws:executeScript', inputs: { Runtime: 'python3.11', Handler: 'handler', Script: 'def handler(events, context):\n  return {"upper": events["w"].upper(), "id": context["automation:EXECUTION_ID"]}\n', InputPayload: { w: '{{ Word }}' } }, outputs: [{ Name: 'Upper', Selector: '$.Payload.upper', Type: 'String' }] },
    ],
    outputs: ['Py.Upper'],
  });
  const id = await h.start(name);
  const done = await h.waitFor(id, ended);
  assert.equal(done.AutomationExecutionStatus, 'Success', done.FailureMessage);
  assert.deepEqual(done.Outputs, { 'Py.Upper': ['HELLO'] });
  assert.equal(JSON.parse(done.StepExecutions![0]!.Outputs!.Payload![0]!).id, id);
  const bad = await h.runbook('py-bad', { mainSteps: [{ name: 'Py', action: 'aws:executeScript', inputs: { Runtime: 'python3.11', Handler: 'handler', Script: 'def handler(events, context):\n  raise ValueError("no way")\n' } }] });
  const failed = await h.waitFor(await h.start(bad), ended);
  assert.equal(failed.AutomationExecutionStatus, 'Failed');
  assert.match(failed.StepExecutions![0]!.FailureMessage!, /no way/);
});

test('aws:invokeWebhook posts the Body to the integration stored as a parameter; an error status fails the step', async () => {
  await h.ssm.send(new PutParameterCommand({ Name: `${WEBHOOK_PARAMETER_PREFIX}ops`, Type: 'SecureString', Value: JSON.stringify({ url: `${hook.url}/notify`, headers: [{ key: 'x-token', value: 'abc' }] }) }));
  const name = await h.runbook('hook', { mainSteps: [{ name: 'Tell', action: 'aws:invokeWebhook', inputs: { IntegrationName: 'ops', Body: '{"text":"run {{ automation:EXECUTION_ID }}"}' } }] });
  hook.status = 200;
  const id = await h.start(name);
  const done = await h.waitFor(id, ended);
  assert.equal(done.AutomationExecutionStatus, 'Success', done.FailureMessage);
  const got = hook.received.at(-1)!;
  assert.equal(got.path, '/notify');
  assert.equal(got.headers['x-token'], 'abc');
  assert.deepEqual(JSON.parse(got.body), { text: `run ${id}` });
  assert.deepEqual(done.StepExecutions![0]!.Outputs!.ResponseCode, ['200']);
  hook.status = 500;
  const failed = await h.waitFor(await h.start(name), ended);
  assert.equal(failed.AutomationExecutionStatus, 'Failed');
  assert.match(failed.StepExecutions![0]!.FailureMessage!, /HTTP 500/);
  const missing = await h.runbook('hook-missing', { mainSteps: [{ name: 'Tell', action: 'aws:invokeWebhook', inputs: { IntegrationName: 'nope' } }] });
  const m = await h.waitFor(await h.start(missing), ended);
  assert.match(m.StepExecutions![0]!.FailureMessage!, /does not exist/);
});

test('aws:waitForAwsResourceProperty polls until the property has a desired value; aws:assertAwsResourceProperty checks once', async () => {
  await h.ssm.send(new PutParameterCommand({ Name: '/flag', Type: 'String', Value: 'red' }));
  const name = await h.runbook('wait', {
    mainSteps: [
      { name: 'WaitGreen', action: 'aws:waitForAwsResourceProperty', timeoutSeconds: 600, inputs: { Service: 'ssm', Api: 'GetParameter', Name: '/flag', PropertySelector: '$.Parameter.Value', DesiredValues: ['green'] } },
      { name: 'AssertGreen', action: 'aws:assertAwsResourceProperty', inputs: { Service: 'ssm', Api: 'GetParameter', Name: '/flag', PropertySelector: '$.Parameter.Value', DesiredValues: ['green', 'blue'] } },
    ],
  });
  const id = await h.start(name);
  await h.waitFor(id, (e) => e.StepExecutions?.[0]?.StepStatus === 'InProgress', { stepMs: 5_000 });
  await h.ssm.send(new PutParameterCommand({ Name: '/flag', Type: 'String', Value: 'green', Overwrite: true }));
  const done = await h.waitFor(id, ended, { stepMs: 5_000 });
  assert.equal(done.AutomationExecutionStatus, 'Success', done.FailureMessage);
  const assertOnly = await h.runbook('assert', { mainSteps: [{ name: 'AssertRed', action: 'aws:assertAwsResourceProperty', inputs: { Service: 'ssm', Api: 'GetParameter', Name: '/flag', PropertySelector: '$.Parameter.Value', DesiredValues: ['red'] } }] });
  const failed = await h.waitFor(await h.start(assertOnly), ended);
  assert.equal(failed.AutomationExecutionStatus, 'Failed');
  assert.match(failed.StepExecutions![0]!.FailureMessage!, /\["green"\], not one of \["red"\]/);
});

test('an approval with a webhook NotificationArn tells the approvers when it starts waiting', async () => {
  const before = hook.received.length;
  hook.status = 200;
  const name = await h.runbook('notify', { mainSteps: [{ name: 'Ask', action: 'aws:approve', inputs: { Approvers: ['admin'], NotificationArn: `${hook.url}/approvals`, Message: 'please' } }] });
  const id = await h.start(name);
  await h.waitFor(id, (e) => e.AutomationExecutionStatus === 'Waiting');
  const note = hook.received.slice(before).find((r) => r.path === '/approvals');
  assert.ok(note, 'the approvers were notified');
  assert.equal(JSON.parse(note.body).automationExecutionId, id);
  assert.equal(JSON.parse(note.body).message, 'please');
  await h.ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: 'Approve' }));
  assert.equal((await h.waitFor(id, ended)).AutomationExecutionStatus, 'Success');
});

test('StopStep fails the running step (its onFailure applies); DescribeAutomationStepExecutions filters and pages', async () => {
  const name = await h.runbook('stopstep', {
    mainSteps: [
      { name: 'Long', action: 'aws:sleep', onFailure: 'Continue', isCritical: false, inputs: { Duration: 'PT1H' } },
      { name: 'Next', action: 'aws:updateVariable', inputs: { Name: 'V', Value: 'x' } },
    ],
  });
  const id = await h.start(name);
  const e = await h.waitFor(id, (x) => x.StepExecutions?.[0]?.StepStatus === 'InProgress');
  await h.ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: 'StopStep', Payload: { StepExecutionId: [e.StepExecutions![0]!.StepExecutionId!] } }));
  const done = await h.waitFor(id, ended);
  assert.equal(done.AutomationExecutionStatus, 'Success');
  assert.match(done.StepExecutions![0]!.FailureMessage!, /StopStep/);
  const page1 = await h.ssm.send(new DescribeAutomationStepExecutionsCommand({ AutomationExecutionId: id, MaxResults: 1 }));
  assert.equal(page1.StepExecutions![0]!.StepName, 'Long');
  const page2 = await h.ssm.send(new DescribeAutomationStepExecutionsCommand({ AutomationExecutionId: id, MaxResults: 1, NextToken: page1.NextToken }));
  assert.equal(page2.StepExecutions![0]!.StepName, 'Next');
  assert.equal(page2.NextToken, undefined);
  const failedOnly = await h.ssm.send(new DescribeAutomationStepExecutionsCommand({ AutomationExecutionId: id, Filters: [{ Key: 'StepExecutionStatus', Values: ['Failed'] }] }));
  assert.deepEqual(failedOnly.StepExecutions!.map((s) => s.StepName), ['Long']);
});

test('status changes are published as EventBridge-shaped events in order', async () => {
  const name = await h.runbook('events', { mainSteps: [{ name: 'Only', action: 'aws:updateVariable', inputs: { Name: 'V', Value: 'x' } }] });
  const since = h.clock.now();
  const id = await h.start(name);
  await h.waitFor(id, ended);
  const events = await h.t.server.core.events.list({ accountId: h.t.accountId, region: 'us-east-1', since });
  const mine = events.filter((e) => (e.detail as { ExecutionId?: string }).ExecutionId === id);
  assert.deepEqual(
    mine.filter((e) => e.detailType === 'EC2 Automation Execution Status-change Notification').map((e) => e.detail.Status),
    ['Pending', 'InProgress', 'Success'],
  );
  const step = mine.find((e) => e.detailType === 'EC2 Automation Step Status-change Notification' && e.detail.Status === 'Success')!;
  assert.equal(step.source, 'aws.ssm');
  assert.equal(step.detail.StepName, 'Only');
  assert.ok(step.resources.includes(`arn:aws:ssm:us-east-1:${h.t.accountId}:automation-execution/${id}`));
});

test('a change request waits for the template approvers, then runs its runbook as a child', async () => {
  const template = `cr-template-${process.pid}`;
  await h.ssm.send(new CreateDocumentCommand({
    Name: template,
    DocumentType: 'Automation.ChangeTemplate',
    DocumentFormat: 'YAML',
    Content: stringify({ description: 'change', templateInformation: 'x', schemaVersion: '0.3', emergencyChange: false, autoApprovable: false, mainSteps: [{ name: 'Approve', action: 'aws:approve', timeoutSeconds: 3600, inputs: { Approvers: ['admin'], MinRequiredApprovals: 1, NotificationArn: '' } }] }),
  }));
  const runbook = await h.runbook('cr-runbook', { mainSteps: [{ name: 'Do', action: 'aws:updateVariable', inputs: { Name: 'V', Value: 'changed' } }] });
  const { AutomationExecutionId: id } = await h.ssm.send(new StartChangeRequestExecutionCommand({ DocumentName: template, ChangeRequestName: 'my change', Runbooks: [{ DocumentName: runbook }] }));
  const pending = await h.waitFor(id!, (e) => e.AutomationExecutionStatus === 'PendingApproval');
  assert.equal(pending.ChangeRequestName, 'my change');
  assert.equal(pending.AutomationSubtype, 'ChangeRequest');
  await h.ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: 'Approve' }));
  const done = await h.waitFor(id!, (e) => ['CompletedWithSuccess', 'CompletedWithFailure', 'Rejected'].includes(e.AutomationExecutionStatus!));
  assert.equal(done.AutomationExecutionStatus, 'CompletedWithSuccess');
  const child = await h.get(done.StepExecutions!.at(-1)!.Outputs!.ExecutionId![0]!);
  assert.equal(child.DocumentName, runbook);
  assert.equal(child.AutomationExecutionStatus, 'Success');
});
